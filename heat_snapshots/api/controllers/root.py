# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""/: the API versions, as Heat lists them."""

from http import client as http_client

import pecan

from heat_snapshots.api.controllers import v1
from heat_snapshots.api import fault


class RootController:

    v1 = v1.Controller()

    @fault.expose(status_code=http_client.MULTIPLE_CHOICES)
    def index(self):
        """Heat answers GET / with 300 Multiple Choices and its versions."""
        if pecan.request.method not in ('GET', 'HEAD'):
            pecan.abort(http_client.METHOD_NOT_ALLOWED)
        return {'versions': [{
            'status': 'CURRENT',
            'id': 'v1.0',
            'links': [{'href': pecan.request.application_url + '/v1/',
                       'rel': 'self'}],
        }]}
