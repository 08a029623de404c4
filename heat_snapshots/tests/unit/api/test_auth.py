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

"""noauth's guards against browsers and other hosts; heat_api's caller."""

from oslo_context import context as oslo_context
import webob

from heat_snapshots.api import auth
from heat_snapshots.tests import base as tests_base
from heat_snapshots.tests.unit.api import base


class LoopbackHostTest(tests_base.TestCase):

    def test_loopback_names_and_addresses(self):
        for host in ('localhost', 'LOCALHOST:8044', '127.0.0.1',
                     '127.0.0.1:8044', '127.1.2.3', '[::1]', '[::1]:8044',
                     'localhost:'):
            self.assertTrue(auth.is_loopback_host(host), host)

    def test_other_names_and_addresses(self):
        for host in ('', 'evil.example.com', 'evil.example.com:8044',
                     'localhost.evil.example.com', '10.0.0.1', '[::2]',
                     '::1', '127.0.0.1:80:80', '[::1', 'localhost:x',
                     '0.0.0.0', None):
            self.assertFalse(auth.is_loopback_host(host), host)


class NoAuthGuardTest(base.APITestCase):
    """What a page in the user's browser could send to a loopback API."""

    def setUp(self):
        super().setUp()
        self.stack = self.create_stack()

    def test_foreign_host_header_is_400(self):
        # DNS rebinding: the page's own name now resolves to 127.0.0.1.
        for method, body in (('GET', None), ('POST', b'{"name": "x"}')):
            response = self.request(
                method, self.snapshots_url(self.stack), body=body,
                content_type='application/json' if body else None,
                headers={'Host': 'evil.example.com:8044'})
            body = self.assertFault(response, 400, 'HTTPBadRequest')
            self.assertIn("'evil.example.com:8044' does not name",
                          body['error']['message'])
        self.assertEqual([], self.get(self.snapshots_url(self.stack))
                         .json['snapshots'])

    def test_loopback_host_header_is_served(self):
        for host in ('localhost:8044', '127.0.0.1', '[::1]:8044'):
            self.get(self.snapshots_url(self.stack),
                     headers={'Host': host})

    def test_peer_off_loopback_is_403(self):
        response = self.app.get(self.snapshots_url(self.stack),
                                headers=self.headers, expect_errors=True,
                                extra_environ={'REMOTE_ADDR': '192.0.2.7'})
        self.assertFault(response, 403, 'HTTPForbidden',
                         auth.NOT_LOOPBACK_PEER)

    def test_cross_origin_simple_post_is_415(self):
        # What a form or fetch(mode: no-cors) sends: no custom header, a
        # "simple" content type (or none); it would act as project admin.
        self.headers = {}
        url = self.snapshots_url(self.stack, project='admin')
        for content_type in ('text/plain', 'text/plain; charset=UTF-8',
                             'application/x-www-form-urlencoded',
                             'multipart/form-data; boundary=x', None):
            response = self.request('POST', url, body=b'{"name": "csrf"}',
                                    content_type=content_type)
            self.assertFault(response, 415, 'HTTPUnsupportedMediaType',
                             auth.NOT_JSON % 'POST')
        response = self.request('POST', url + '/nosuch/restore')
        self.assertFault(response, 415, 'HTTPUnsupportedMediaType')

    def test_json_post_without_identity_headers_is_served(self):
        # A browser asks first (CORS preflight) before sending JSON
        # across origins; the cors middleware allows no origin by default.
        self.headers = {}
        response = self.post_json(self.snapshots_url(self.stack,
                                                     project='admin'),
                                  {'name': 'x'}, status=None)
        # The default noauth caller (project admin) may not see another
        # project's stack: the request reached the API.
        self.assertFault(response, 404, 'EntityNotFound')

    def test_caller_naming_itself_may_send_text_plain_as_heat_allows(self):
        response = self.request('POST', self.snapshots_url(self.stack),
                                status=200, body=b'{"name": "plain"}',
                                content_type='text/plain')
        self.assertEqual('plain', response.json['name'])


class NoAuthOnAnyAddressTest(base.APITestCase):
    """allow_noauth_on_any_address: an isolated network, no guard."""

    def configure(self):
        self.flags(allow_noauth_on_any_address=True,
                   group='heat_snapshots_api')

    def test_any_host_and_peer_are_served(self):
        response = self.app.get(
            '/v1/%s/stacks' % base.PROJECT, headers=dict(
                self.headers, Host='heat-snapshots.test.example:8044'),
            extra_environ={'REMOTE_ADDR': '192.0.2.7'})
        self.assertEqual({'stacks': []}, response.json)


class HeatAPIIdentityTest(tests_base.TestCase):
    """The caller heat-api's context names, whatever the headers say."""

    def call(self, context, headers):
        seen = {}

        def application(environ, start_response):
            seen.update(environ)
            start_response('204 No Content', [])
            return [b'']
        request = webob.Request.blank('/v1/p/stacks', headers=headers)
        if context is not None:
            request.context = context
        response = request.get_response(auth.HeatAPIIdentity(application))
        return response, seen

    def test_identity_and_token_come_from_heats_context(self):
        context = oslo_context.RequestContext(
            user_id='user-a', project_id='project-a', roles=['member'],
            auth_token='heat-validated-token', user_domain_id='default',
            project_domain_id='default')
        response, seen = self.call(context, {
            'X-Project-Id': 'project-b', 'X-Roles': 'admin',
            'X-Auth-Project': 'project-b'})
        self.assertEqual(204, response.status_int)
        self.assertEqual('project-a', seen['HTTP_X_PROJECT_ID'])
        self.assertEqual('user-a', seen['HTTP_X_USER_ID'])
        self.assertEqual('member,reader', seen['HTTP_X_ROLES'])
        self.assertEqual('heat-validated-token', seen['HTTP_X_AUTH_TOKEN'])
        self.assertEqual('Confirmed', seen['HTTP_X_IDENTITY_STATUS'])

    def test_no_context_is_401(self):
        response, seen = self.call(None, {
            'X-Identity-Status': 'Confirmed', 'X-Project-Id': 'project-b',
            'X-Roles': 'admin'})
        self.assertEqual(401, response.status_int)
        self.assertEqual('HTTPUnauthorized', response.json['error']['type'])
        self.assertEqual({}, seen)
