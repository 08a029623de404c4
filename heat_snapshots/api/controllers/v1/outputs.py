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

"""/v1/{tenant_id}/stacks/{stack_name}/{stack_id}/outputs[/{output_key}]"""

import pecan

from heat_snapshots.api.controllers import base
from heat_snapshots.api.controllers.v1 import utils
from heat_snapshots.api import fault
from heat_snapshots.policies import stacks as policies


class OutputsController(base.RestController):

    def __init__(self, identity):
        self.identity = identity

    @fault.expose()
    def get_all(self):
        utils.authorize(policies.LIST_OUTPUTS)
        return {'outputs': utils.stacks().list_outputs(utils.context(),
                                                       self.identity)}

    @pecan.expose()
    def _lookup(self, output_key, *remainder):
        return OutputController(self.identity, output_key), remainder


class OutputController(base.RestController):

    def __init__(self, identity, output_key):
        self.identity = identity
        self.output_key = output_key

    @fault.expose()
    def get_all(self):
        utils.authorize(policies.SHOW_OUTPUT)
        return {'output': utils.stacks().show_output(
            utils.context(), self.identity, self.output_key)}
