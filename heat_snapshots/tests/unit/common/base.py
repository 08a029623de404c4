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

"""The trusts' test base: Keystone at the HTTP level (requests_mock), in
its API's shapes, and the [trustee] of the test's configuration.
"""

from keystoneauth1 import fixture as ks_fixture
from keystoneauth1 import loading as ks_loading
from requests_mock.contrib import fixture as rm_fixture

from heat_snapshots.tests import base

KEYSTONE = 'http://keystone.test/v3'
CINDER = 'http://cinder.test/v3'
TRUSTS = KEYSTONE + '/OS-TRUST/trusts'
TRUSTEE_ID = 'trustee-user-id'


class KeystoneTrusts:
    """A test case's Keystone (HTTP) and the [trustee] of its config."""

    def use_keystone(self):
        self.http = self.useFixture(rm_fixture.Fixture())
        self.conf_fixture.register_opts(
            ks_loading.get_auth_plugin_conf_options('password'),
            group='trustee')
        self.flags(group='heat_snapshots_api', auth_strategy='keystone')
        self.flags(group='trustee', auth_type='password',
                   auth_url=KEYSTONE, username='heat-snapshots',
                   password='secret', user_domain_id='default')
        self.flags(group='heat_snapshots_clients',
                   block_storage_endpoint_override=CINDER +
                   '/%(project_id)s')
        self.http.get(KEYSTONE, json={
            'version': ks_fixture.V3Discovery(KEYSTONE)})
        token = ks_fixture.V3Token(user_id=TRUSTEE_ID)
        self.http.post(KEYSTONE + '/auth/tokens', json=token,
                       headers={'X-Subject-Token': 'trustee-token'})

    def requests(self, method, url):
        return [r for r in self.http.request_history
                if r.method == method and r.url == url]

    def token_scopes(self):
        return [r.json()['auth'].get('scope') for r in
                self.requests('POST', KEYSTONE + '/auth/tokens')]


class TrustTestCase(KeystoneTrusts, base.TestCase):

    def setUp(self):
        super().setUp()
        self.use_keystone()
        self.caller = self.make_context(auth_token='caller-token',
                                        request_id='req-1')

    def trust_created(self, trust_id='trust-1'):
        self.http.post(TRUSTS, status_code=201,
                       json={'trust': {'id': trust_id}})
