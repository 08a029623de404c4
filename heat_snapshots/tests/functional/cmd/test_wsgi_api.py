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

"""heat_snapshots.wsgi.api as uWSGI or mod_wsgi import it: in a process
of its own, configured by oslo.config's environment variables.
"""

import os
import subprocess
import sys

import fixtures
import testtools

from heat_snapshots.tests.unit.api import auth_fixture

SCRIPT = '''
import webtest
from heat_snapshots.wsgi import api
response = webtest.TestApp(api.application).get('/', status=300)
print(response.json['versions'][0]['id'])
'''


class ApplicationTest(testtools.TestCase):

    def run_script(self, **env):
        home = self.useFixture(fixtures.TempDir()).path
        # The web server's argv is not ours: configuration comes from
        # heat.conf, or here oslo.config's environment variables.
        return subprocess.run(
            [sys.executable, '-c', SCRIPT], capture_output=True,
            env=dict(os.environ, HOME=home,
                     OS_HEAT_SNAPSHOTS__STATE_PATH=home, **env),
            cwd=home, timeout=60)

    def test_application_serves(self):
        keystone = {'OS_KEYSTONE_AUTHTOKEN__%s' % name.upper(): value
                    for name, value in auth_fixture.COMPLETE.items()}
        result = self.run_script(
            OS_DEFAULT__TRANSPORT_URL='rabbit://guest:guest@127.0.0.1:1/',
            **keystone)
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertEqual(b'v1.0', result.stdout.splitlines()[-1])

    def test_keystone_without_authtoken_is_refused(self):
        result = self.run_script(
            OS_DEFAULT__TRANSPORT_URL='rabbit://guest:guest@127.0.0.1:1/')
        self.assertNotEqual(0, result.returncode)
        self.assertIn(b'[keystone_authtoken] lacks www_authenticate_uri, '
                      b'auth_type,', result.stdout + result.stderr)

    def test_in_process_transport_is_refused(self):
        result = self.run_script()
        self.assertNotEqual(0, result.returncode)
        self.assertIn(b'run heat-snapshots-all', result.stdout + result.stderr)
