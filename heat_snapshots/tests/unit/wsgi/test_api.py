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

"""The WSGI entry point's checks, in this process.

Imported by a web server in a process of its own:
tests/functional/cmd/test_wsgi_api.py.
"""

import importlib
import sys

import fixtures
import webtest

from heat_snapshots.common import service
from heat_snapshots.tests import base
from heat_snapshots.tests.unit.api import auth_fixture

MODULE = 'heat_snapshots.wsgi.api'
BROKER = 'rabbit://guest:guest@127.0.0.1:1/'


class ApplicationTest(base.TestCase):

    def setUp(self):
        super().setUp()
        # heat.conf is read by prepare_service (common/test_service.py);
        # the flags below stand for it.
        self.useFixture(fixtures.MockPatchObject(service, 'prepare_service'))
        # The module configures itself on import, as a web server imports
        # it: each test imports it anew.
        sys.modules.pop(MODULE, None)
        self.addCleanup(sys.modules.pop, MODULE, None)

    def load(self):
        return importlib.import_module(MODULE)

    def test_application_serves(self):
        self.flags(transport_url=BROKER)
        self.useFixture(auth_fixture.KeystoneAuthtoken(self.conf_fixture))
        application = self.load().application
        response = webtest.TestApp(application).get('/', status=300)
        self.assertEqual('v1.0', response.json['versions'][0]['id'])

    def test_noauth_is_left_to_the_web_server(self):
        # Whatever the web server binds: it, not bind_host, decides.
        self.flags(transport_url=BROKER)
        self.flags(auth_strategy='noauth', bind_host='0.0.0.0',
                   group='heat_snapshots_api')
        application = self.load().application
        webtest.TestApp(application).get('/', status=300)

    def test_keystone_without_authtoken_is_refused(self):
        self.flags(transport_url=BROKER)
        error = self.assertRaises(RuntimeError, self.load)
        self.assertIn('[keystone_authtoken] lacks www_authenticate_uri, '
                      'auth_type,', str(error))

    def test_in_process_transport_is_refused(self):
        self.flags(transport_url='fake:/')
        error = self.assertRaises(RuntimeError, self.load)
        self.assertIn('run heat-snapshots-all', str(error))
