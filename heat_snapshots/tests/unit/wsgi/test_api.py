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

    def test_noauth_is_refused_without_its_option(self):
        # The web server, not bind_host, decides where the API listens:
        # a loopback bind_host proves nothing here.
        self.flags(transport_url=BROKER)
        self.flags(auth_strategy='noauth', bind_host='127.0.0.1',
                   allow_noauth_on_any_address=True,
                   group='heat_snapshots_api')
        error = self.assertRaises(RuntimeError, self.load)
        self.assertIn('allow_noauth_wsgi = true', str(error))

    def test_noauth_with_its_option_serves_loopback_only(self):
        self.flags(transport_url=BROKER)
        self.flags(auth_strategy='noauth', allow_noauth_wsgi=True,
                   group='heat_snapshots_api')
        app = webtest.TestApp(self.load().application)
        app.get('/', status=300)
        response = app.get('/v1/p/stacks', status=400,
                           headers={'Host': 'attacker.example.com'})
        self.assertEqual('HTTPBadRequest', response.json['error']['type'])
        response = app.post('/v1/admin/stacks', '{}', status=415,
                            content_type='text/plain')
        self.assertEqual('HTTPUnsupportedMediaType',
                         response.json['error']['type'])

    def test_keystone_without_authtoken_is_refused(self):
        self.flags(transport_url=BROKER)
        error = self.assertRaises(RuntimeError, self.load)
        self.assertIn('[keystone_authtoken] lacks www_authenticate_uri, '
                      'auth_type,', str(error))

    def test_in_process_transport_is_refused(self):
        self.flags(transport_url='fake:/')
        error = self.assertRaises(RuntimeError, self.load)
        self.assertIn('run heat-snapshots-all', str(error))
