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

"""Whether heat-snapshots-api and -all may start with their auth set-up.

The commands in their own processes: tests/functional/cmd/test_api.py.
"""

from heat_snapshots.cmd import api as api_cmd
from heat_snapshots.tests import base
from heat_snapshots.tests.unit.api import auth_fixture


class CheckAuthTest(base.TestCase):

    def test_noauth_on_loopback_is_fine(self):
        self.flags(auth_strategy='noauth', group='heat_snapshots_api')
        for host in ('127.0.0.1', '::1', 'localhost'):
            self.flags(bind_host=host, group='heat_snapshots_api')
            self.assertIsNone(api_cmd.check_auth(base.CONF, 'prog'))

    def test_noauth_on_any_address_is_refused_unless_allowed(self):
        self.flags(auth_strategy='noauth', bind_host='0.0.0.0',
                   group='heat_snapshots_api')
        problem = api_cmd.check_auth(base.CONF, 'heat-snapshots-api')
        self.assertIn('bind_host 0.0.0.0 is not a loopback address',
                      problem)
        self.flags(allow_noauth_on_any_address=True,
                   group='heat_snapshots_api')
        self.assertIsNone(api_cmd.check_auth(base.CONF, 'prog'))

    def test_keystone_on_any_address_is_fine(self):
        self.useFixture(auth_fixture.KeystoneAuthtoken(self.conf_fixture))
        self.flags(auth_strategy='keystone', bind_host='0.0.0.0',
                   group='heat_snapshots_api')
        self.assertIsNone(api_cmd.check_auth(base.CONF, 'prog'))

    def test_keystone_without_authtoken_is_refused(self):
        # The production default, and no [keystone_authtoken] at all.
        problem = api_cmd.check_auth(base.CONF, 'heat-snapshots-api')
        self.assertNotIn('\n', problem)
        self.assertIn('heat-snapshots-api: auth_strategy = keystone, but '
                      '[keystone_authtoken] lacks www_authenticate_uri, '
                      'auth_type,', problem)

    def test_all_in_one_with_keystone_is_checked_too(self):
        self.flags(auth_strategy='keystone', group='heat_snapshots_api')
        self.assertIn('heat-snapshots-all: auth_strategy = keystone',
                      api_cmd.check_auth(base.CONF, 'heat-snapshots-all'))
