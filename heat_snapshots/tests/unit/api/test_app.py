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

"""The middleware around the API, and errors no controller raises."""

from unittest import mock

from keystonemiddleware import auth_token
import oslo_messaging as messaging

from heat_snapshots.localstack import rpcapi as stack_rpcapi
from heat_snapshots.tests.unit.api import api_fixture
from heat_snapshots.tests.unit.api import base

VERSIONS = {'versions': [{
    'status': 'CURRENT', 'id': 'v1.0',
    'links': [{'href': 'http://localhost/v1/', 'rel': 'self'}]}]}


class VersionsTest(base.APITestCase):
    start_engine = False

    def test_root_lists_versions_as_heat(self):
        response = self.get('/', status=300, headers={})
        self.assertEqual(VERSIONS, response.json)
        self.assertRequestId(response)

    def test_root_only_reads(self):
        self.assertFault(self.request('POST', '/'), 405,
                         'HTTPMethodNotAllowed')

    def test_links_follow_the_proxy(self):
        self.flags(enable_proxy_headers_parsing=True,
                   group='oslo_middleware')
        app = api_fixture.API(start_engine=False)
        self.useFixture(app)
        response = app.app.get('/', headers={
            'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'cloud:8443'},
            status=300)
        self.assertEqual('https://cloud:8443/v1/',
                         response.json['versions'][0]['links'][0]['href'])

    def test_links_ignore_proxy_headers_unless_enabled(self):
        # Off by default: a client cannot make our links point elsewhere.
        response = self.app.get('/', headers={
            'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'elsewhere'},
            status=300)
        href = response.json['versions'][0]['links'][0]['href']
        self.assertTrue(href.startswith('http://localhost'), href)


class MiddlewareTest(base.APITestCase):
    start_engine = False

    def test_every_answer_has_a_request_id(self):
        for method, path in (('GET', '/'), ('GET', '/healthcheck'),
                             ('GET', '/nowhere'),
                             ('GET', '/v1/project-b/stacks')):
            response = self.request(method, path)
            self.assertRequestId(response)
        ids = {self.request('GET', '/').headers['X-OpenStack-Request-Id']
               for _ in range(3)}
        self.assertEqual(3, len(ids))

    def test_oversized_body_is_413_with_heats_body(self):
        self.flags(max_request_body_size=1024, group='oslo_middleware')
        app = self.useFixture(api_fixture.API(start_engine=False)).app
        response = app.post('/v1/%s/stacks' % base.PROJECT,
                            params=b'{"stack_name": "%s"}' % (b'x' * 2000),
                            headers=api_fixture.headers(),
                            content_type='application/json',
                            expect_errors=True)
        self.assertFault(
            response, 413, 'HTTPRequestEntityTooLarge',
            'The body of your request was too large for this server.')

    def test_unrouted_paths_are_json_404(self):
        for path in ('/nowhere', '/v1', '/v1/%s' % base.PROJECT,
                     '/v1/%s/other' % base.PROJECT):
            self.assertFault(self.get(path, status=None), 404,
                             'HTTPNotFound',
                             'The resource could not be found.')

    def test_healthcheck_needs_no_identity(self):
        response = self.get('/healthcheck', status=200, headers={})
        self.assertRequestId(response)

    def test_cors_preflight(self):
        self.flags(allowed_origin=['https://ui.example'], group='cors')
        app = self.useFixture(api_fixture.API(start_engine=False)).app
        response = app.options(
            '/v1/%s/stacks' % base.PROJECT,
            headers={'Origin': 'https://ui.example',
                     'Access-Control-Request-Method': 'POST',
                     'Access-Control-Request-Headers': 'X-Auth-Token'})
        self.assertEqual('https://ui.example',
                         response.headers['Access-Control-Allow-Origin'])


class EngineErrorsTest(base.APITestCase):
    start_engine = False

    def test_no_engine_is_a_clean_503(self):
        self.useFixture(api_fixture.API(start_engine=False, rpc_timeout=1))
        app = api_fixture.API(start_engine=False, rpc_timeout=1)
        self.useFixture(app)
        response = app.app.get('/v1/%s/stacks' % base.PROJECT,
                               headers=api_fixture.headers(),
                               expect_errors=True)
        self.assertFault(
            response, 503, 'EngineTimeout',
            'The engine did not answer within 1 seconds; no engine may be '
            'running.')

    def test_unexpected_error_is_500_without_internals(self):
        for error in (RuntimeError('password=secret in /etc/x'),
                      messaging.RemoteError('OperationalError',
                                            'password=secret', 'trace')):
            with mock.patch.object(stack_rpcapi.StackAPI, 'list_stacks',
                                   side_effect=error):
                response = self.get(self.stacks_url(), status=None)
            body = self.assertFault(response, 500,
                                    type(error).__name__)
            self.assertEqual(
                'The server has either erred or is incapable of performing '
                'the requested operation.', body['explanation'])
            self.assertNotIn('message', body['error'])
            self.assertNotIn('secret', response.text)


class NoAuthTest(base.APITestCase):

    def test_identity_headers_of_the_caller_are_replaced(self):
        # A caller cannot pose as another project with keystone's headers.
        self.create_stack('mine')
        spoof = api_fixture.headers(project='project-b',
                                    **{'X-Project-Id': base.PROJECT,
                                       'X-Tenant-Id': base.PROJECT})
        self.assertFault(self.get(self.stacks_url(), status=None,
                                  headers=spoof),
                         403, 'HTTPForbidden')

    def test_default_caller_is_a_member_not_an_admin(self):
        self.flags(max_snapshots_per_stack=1, group='heat_snapshots')
        stack = self.create_stack()
        self.snapshot(stack)
        response = self.post_json(self.snapshots_url(stack), {'name': 'x'},
                                  status=None)
        self.assertFault(response, 400, 'RequestLimitExceeded')


class KeystoneTest(base.APITestCase):
    auth_strategy = 'keystone'
    start_engine = False

    def configure(self):
        for group, opts in auth_token.list_opts():
            self.conf_fixture.register_opts(opts, group=group)
        # Nothing listens there: a request without a token must not need it.
        self.flags(www_authenticate_uri='http://127.0.0.1:9/identity',
                   delay_auth_decision=False, group='keystone_authtoken')

    def test_no_token_is_401(self):
        for path in ('/v1/%s/stacks' % base.PROJECT,
                     '/v1/%s/stacks/s/i/snapshots' % base.PROJECT):
            response = self.get(path, status=401, headers={})
            self.assertRequestId(response)
            self.assertEqual('application/json', response.content_type)
            self.assertEqual(401, response.json['error']['code'])
            self.assertIn('Keystone uri=',
                          response.headers['WWW-Authenticate'])

    def test_noauth_headers_are_not_trusted(self):
        response = self.get('/v1/%s/stacks' % base.PROJECT, status=401,
                            headers=api_fixture.headers(
                                **{'X-Roles': 'admin',
                                   'X-Identity-Status': 'Confirmed'}))
        self.assertRequestId(response)

    def test_versions_and_healthcheck_need_no_token(self):
        self.assertEqual(VERSIONS, self.get('/', status=300,
                                            headers={}).json)
        self.get('/healthcheck', status=200, headers={})
