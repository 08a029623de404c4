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

"""The keystone set-up checked before the API serves (no process)."""

from heat_snapshots.api import auth_check
from heat_snapshots.tests import base
from heat_snapshots.tests.unit.api import auth_fixture


class KeystoneProblemTest(base.TestCase):

    def configure(self, options=None, **kwargs):
        self.useFixture(auth_fixture.KeystoneAuthtoken(
            self.conf_fixture, options, **kwargs))

    def problem(self):
        return auth_check.keystone_problem(base.CONF, 'heat-snapshots-api')

    def assertOneLine(self, problem):
        self.assertIsNotNone(problem)
        self.assertNotIn('\n', problem)
        self.assertTrue(problem.startswith(
            'heat-snapshots-api: auth_strategy = keystone, but '), problem)

    def test_complete_password_set_up_passes(self):
        self.configure()
        self.assertIsNone(self.problem())

    def test_no_section_names_uri_and_auth_type(self):
        self.assertOneLine(self.problem())
        self.assertIn('[keystone_authtoken] lacks www_authenticate_uri, '
                      'auth_type,', self.problem())

    def test_no_www_authenticate_uri(self):
        self.configure(dict(auth_fixture.COMPLETE, www_authenticate_uri=None))
        self.assertOneLine(self.problem())
        self.assertIn('lacks www_authenticate_uri,', self.problem())

    def test_password_plugin_without_url_nor_credentials(self):
        self.configure({'www_authenticate_uri': 'http://127.0.0.1:9/',
                        'auth_type': 'password'})
        problem = self.problem()
        self.assertOneLine(problem)
        self.assertIn('[keystone_authtoken] lacks auth_url, password, '
                      'username or user_id,', problem)

    def test_user_id_stands_for_username(self):
        self.configure(dict(auth_fixture.COMPLETE, username=None,
                            user_id='0123'))
        self.assertIsNone(self.problem())

    def test_unknown_plugin(self):
        self.configure(dict(auth_fixture.COMPLETE, auth_type='passwrod'))
        problem = self.problem()
        self.assertOneLine(problem)
        self.assertIn('auth_type (passwrod is not a keystoneauth plugin)',
                      problem)

    def test_application_credential_needs_its_secret(self):
        self.configure({'www_authenticate_uri': 'http://127.0.0.1:9/',
                        'auth_url': 'http://127.0.0.1:9/',
                        'auth_type': 'v3applicationcredential',
                        'application_credential_id': 'abc'},
                       plugins=('v3applicationcredential',))
        self.assertIn('lacks application_credential_secret,',
                      self.problem())

    def test_auth_section_is_checked(self):
        self.configure({'www_authenticate_uri': 'http://127.0.0.1:9/',
                        'auth_section': 'service_user'})
        self.configure({'auth_type': 'password', 'username': 'u',
                        'password': 'p'}, group='service_user')
        problem = self.problem()
        self.assertOneLine(problem)
        self.assertIn('[service_user] lacks auth_url,', problem)
        self.assertNotIn('[keystone_authtoken] lacks', problem)


class StartupProblemTest(base.TestCase):
    """One rule for every place the API runs."""

    def problem(self, where, **api):
        self.flags(group='heat_snapshots_api', **api)
        return auth_check.startup_problem(base.CONF, 'prog', where)

    def test_noauth_serves_on_loopback_only(self):
        self.assertIsNone(self.problem(auth_check.SERVER,
                                       auth_strategy='noauth'))
        self.assertIsNone(self.problem(auth_check.SERVER,
                                       auth_strategy='noauth',
                                       bind_host='::1'))
        problem = self.problem(auth_check.SERVER, auth_strategy='noauth',
                               bind_host='0.0.0.0')
        self.assertIn('bind_host 0.0.0.0 is not a loopback address',
                      problem)
        self.assertIsNone(self.problem(auth_check.SERVER,
                                       auth_strategy='noauth',
                                       bind_host='0.0.0.0',
                                       allow_noauth_on_any_address=True))

    def test_noauth_under_a_web_server_needs_its_own_option(self):
        # The entry point cannot see the web server's socket: loopback
        # bind_host proves nothing there.
        problem = self.problem(auth_check.WSGI, auth_strategy='noauth',
                               bind_host='127.0.0.1',
                               allow_noauth_on_any_address=True)
        self.assertTrue(problem.startswith('prog: auth_strategy = noauth'))
        self.assertIn('allow_noauth_wsgi = true', problem)
        self.assertIsNone(self.problem(auth_check.WSGI,
                                       auth_strategy='noauth',
                                       allow_noauth_wsgi=True))

    def test_noauth_inside_heat_api_is_refused_whatever_the_options(self):
        problem = self.problem(auth_check.FILTER, auth_strategy='noauth',
                               allow_noauth_on_any_address=True,
                               allow_noauth_wsgi=True)
        self.assertIn('noauth is refused in heat-api', problem)

    def test_heat_api_strategy_only_inside_heat_api(self):
        self.assertIsNone(self.problem(auth_check.FILTER,
                                       auth_strategy='heat_api'))
        for where in (auth_check.SERVER, auth_check.WSGI):
            self.assertIn('only the paste filter inside heat-api',
                          self.problem(where, auth_strategy='heat_api'))

    def test_keystone_is_checked_everywhere(self):
        for where in auth_check.WHERE:
            self.assertIn('[keystone_authtoken] lacks',
                          self.problem(where, auth_strategy='keystone'))
        self.useFixture(auth_fixture.KeystoneAuthtoken(self.conf_fixture))
        for where in auth_check.WHERE:
            self.assertIsNone(self.problem(where))

    def test_unknown_place_is_a_programming_error(self):
        self.assertRaises(ValueError, auth_check.startup_problem,
                          base.CONF, 'prog', 'elsewhere')
