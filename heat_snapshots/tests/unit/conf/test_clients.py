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

"""The service credentials' options as the sample shows them."""

from heat_snapshots.conf import clients
from heat_snapshots.tests import base


class AuthOptionsTest(base.TestCase):

    def test_each_option_once(self):
        names = [option.dest for option in clients.auth_options()]
        self.assertEqual(sorted(set(names)), sorted(names))

    def test_password_plugin_options_and_session_options(self):
        names = {option.dest for option in clients.auth_options()}
        self.assertLessEqual({'auth_url', 'username', 'password',
                              'user_domain_name', 'project_name',
                              'auth_type', 'cafile', 'insecure',
                              'timeout'}, names)

    def test_another_plugin(self):
        names = {option.dest for option in clients.auth_options('token')}
        self.assertIn('token', names)
        self.assertNotIn('password', names)

    def test_listed_under_the_service_auth_group(self):
        listed = clients.list_opts()
        self.assertEqual(
            {option.dest for option in clients.auth_options()},
            {option.dest for option in listed[clients.SERVICE_AUTH_GROUP]})
