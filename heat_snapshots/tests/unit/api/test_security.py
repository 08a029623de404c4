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

"""Secrets stay out of the logs; request bodies stay within their limit."""

import io
import json
import logging

import fixtures
from keystoneauth1 import loading as ks_loading
from keystonemiddleware import auth_token
from keystonemiddleware import fixture as ksm_fixture
from oslo_middleware import opts as middleware_opts
import webob

from heat_snapshots import conf as hs_conf
from heat_snapshots.conf import opts
from heat_snapshots.tests.unit.api import api_fixture
from heat_snapshots.tests.unit.api import base

TOKEN = 'gAAAAABsecret-token-of-the-caller-0123456789'
KEYSTONE_PASSWORD = 'ks-service-password-s3cr3t'
DB_PASSWORD = 'db-password-s3cr3t'
RABBIT_PASSWORD = 'rabbit-password-s3cr3t'
SECRETS = {'the X-Auth-Token': TOKEN,
           '[keystone_authtoken] password': KEYSTONE_PASSWORD,
           'the database password': DB_PASSWORD,
           'the transport_url password': RABBIT_PASSWORD}

LOG_FORMAT = '%(levelname)s %(name)s %(message)s'


def _secret_like(name):
    name = name.lower().replace('-', '_')
    return (name.endswith(('password', 'secret', 'secret_key',
                           'connection', 'transport_url'))
            or name in ('admin_token', 'memcache_secret_key'))


class LogSecretsTest(base.APITestCase):
    """A request with a token, secrets in heat.conf, every log at DEBUG."""

    auth_strategy = 'keystone'

    def configure(self):
        self.logger = self.useFixture(fixtures.FakeLogger(
            level=logging.DEBUG, format=LOG_FORMAT))
        # What keystonemiddleware registers, with its password plugin.
        for group, options in auth_token.list_opts():
            self.conf_fixture.register_opts(options, group=group)
        self.conf_fixture.register_opts(
            ks_loading.get_auth_plugin_conf_options('password'),
            group='keystone_authtoken')
        self.flags(www_authenticate_uri='http://127.0.0.1:9/identity/v3',
                   auth_url='http://127.0.0.1:9/identity/v3',
                   auth_type='password', username='heat',
                   password=KEYSTONE_PASSWORD, project_name='service',
                   group='keystone_authtoken')
        self.flags(connection='mysql+pymysql://heat:%s@db/heat'
                   % DB_PASSWORD, group='database')
        # No Keystone to make trusts with: the engine uses the token
        # (trusts: the real-Keystone functional test_keystone).
        self.flags(deferred_auth_method='token')
        self.tokens = self.useFixture(ksm_fixture.AuthTokenFixture())
        self.tokens.add_token_data(
            token_id=TOKEN, user_id='user-a', user_name='alice',
            project_id=base.PROJECT, project_name='demo',
            role_list=['member', 'reader'])

    def setUp(self):
        super().setUp()
        self.headers = {'X-Auth-Token': TOKEN}

    def assertNoSecrets(self, text):
        self.assertTrue(text, 'nothing was logged')
        # The failure names the secret and the loggers, and shows no secret.
        leaks = ['%s in: %s' % (name, line.split(' ', 2)[:2])
                 for line in text.splitlines()
                 for name, secret in SECRETS.items() if secret in line]
        self.assertEqual([], leaks)

    def test_options_logged_at_start_hide_secrets(self):
        self.flags(transport_url='rabbit://heat:%s@rabbit:5672/'
                   % RABBIT_PASSWORD)
        hs_conf.CONF.log_opt_values(logging.getLogger('hs-test'),
                                    logging.DEBUG)
        logged = self.logger.output
        self.assertIn('keystone_authtoken.password', logged)
        self.assertIn('database.connection', logged)
        self.assertIn('transport_url', logged)
        self.assertNoSecrets(logged)

    def test_every_secret_looking_option_is_secret(self):
        names = []
        for group, options in opts.list_opts():
            for opt in options:
                if _secret_like(opt.dest) and not opt.secret:
                    names.append('[%s] %s' % (group, opt.dest))
        self.assertEqual([], names)

    def test_request_with_a_token_logs_no_token(self):
        stack = self.create_stack()
        snap = self.snapshot(stack)
        self.request('POST', self.snapshots_url(stack) + '/%s/restore'
                     % snap['id'], status=202)
        self.wait_for_stack(stack, 'RESTORE_COMPLETE')
        self.request('DELETE', self.snapshots_url(stack) + '/' + snap['id'],
                     status=204)
        # An unknown token is refused, and not written down either.
        self.get(self.snapshots_url(stack), status=401,
                 headers={'X-Auth-Token': TOKEN + 'x'})
        logged = self.logger.output
        # The request reached the engine, whose logs are here too.
        self.assertIn('heat_snapshots.engine', logged)
        self.assertNoSecrets(logged)


class BodySizeTest(base.APITestCase):
    """[oslo_middleware] max_request_body_size, with or without a length."""

    start_engine = False
    LIMIT = 1024

    def configure(self):
        for group, options in middleware_opts.list_opts_sizelimit():
            self.conf_fixture.register_opts(options, group=group)
        self.flags(max_request_body_size=self.LIMIT, group='oslo_middleware')

    def chunked(self, body, path=None):
        """A request with Transfer-Encoding: chunked and no length."""
        request = webob.Request.blank(
            path or '/v1/%s/stacks' % base.PROJECT, method='POST',
            headers=dict(api_fixture.headers(),
                         **{'Content-Type': 'application/json',
                            'Transfer-Encoding': 'chunked'}))
        request.environ.pop('CONTENT_LENGTH', None)
        request.environ['wsgi.input'] = io.BytesIO(body)
        request.environ['wsgi.input_terminated'] = True
        response = request.get_response(self.app.app)
        return response

    def big_body(self, size):
        name = 'x' * size
        return json.dumps({'stack_name': name}).encode()

    def test_oversized_body_without_length_is_413(self):
        response = self.chunked(self.big_body(self.LIMIT * 4))
        self.assertEqual(413, response.status_int, response.text)
        body = json.loads(response.text)
        self.assertEqual('HTTPRequestEntityTooLarge', body['error']['type'])

    def test_oversized_snapshot_body_is_413(self):
        url = '/v1/%s/stacks/s/%s/snapshots' % (
            base.PROJECT, '0' * 8 + '-0000-0000-0000-' + '0' * 12)
        body = self.big_body(self.LIMIT * 2)
        self.assertEqual(413, self.chunked(body, url).status_int)
        response = self.request('POST', url, body=body,
                                content_type='application/json')
        self.assertFault(response, 413, 'HTTPRequestEntityTooLarge')

    def test_body_within_the_limit_is_read(self):
        # Read and parsed: the API itself finds the template missing.
        response = self.chunked(b'{"stack_name": "s"}')
        self.assertEqual(400, response.status_int, response.text)
        self.assertEqual('No template specified',
                         json.loads(response.text)['error']['message'])
