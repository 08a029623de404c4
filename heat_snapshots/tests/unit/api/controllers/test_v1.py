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

"""/v1/{tenant_id}: the URL's tenant is checked before anything else of
the path, so another tenant's caller learns nothing from the answer.

Which role may do what on which stack is in test_policy_matrix; these
are the answers of the routing itself, with no engine behind the API.
"""

from heat_snapshots.tests.unit.api import api_fixture
from heat_snapshots.tests.unit.api import base

OTHER = 'project-b'

UNROUTED = ('', '/software_configs', '/stacks/', '/stacks/name/id/')


class TenantRoutingTestCase(base.APITestCase):
    start_engine = False

    def test_own_tenant_paths_that_are_no_route_are_404(self):
        for path in UNROUTED:
            self.assertFault(
                self.get('/v1/%s%s' % (base.PROJECT, path), status=None),
                404, 'HTTPNotFound')

    def test_another_tenant_is_403_whatever_the_path(self):
        # A 404 for a path with no route would tell the caller the
        # tenant check passed: it comes first.
        for path in UNROUTED + ('/stacks',):
            self.assertFault(
                self.get('/v1/%s%s' % (OTHER, path), status=None),
                403, 'HTTPForbidden', 'Access was denied to this resource.')

    def test_an_admin_passes_the_tenant_check(self):
        self.headers = api_fixture.headers(roles=['admin'])
        for path in UNROUTED:
            self.assertFault(
                self.get('/v1/%s%s' % (OTHER, path), status=None),
                404, 'HTTPNotFound')
