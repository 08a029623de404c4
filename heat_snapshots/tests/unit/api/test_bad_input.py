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

"""Bad input the functional bad-input suite found answered with a 5xx.

Each test here pins one fix: the answer is now a 4xx with Heat's body.
"""

import io
import json
import socket
from unittest import mock

import webob
from webob import request as webob_request

from heat_snapshots.api import fault
from heat_snapshots.api import validation
from heat_snapshots.tests import base as test_base
from heat_snapshots.tests.unit.api import base

DEEP = 10000


class DeepAndInvalidJSONTest(base.APITestCase):

    def setUp(self):
        super().setUp()
        self.stack = self.create_stack()

    def _post(self, url, raw, content_type='application/json'):
        return self.request('POST', url, body=raw,
                            content_type=content_type)

    def test_deeply_nested_body_is_400_for_pecans_own_parse(self):
        # pecan decodes application/json bodies while routing.
        for raw in (b'[' * DEEP + b']' * DEEP,
                    b'{"a":' * DEEP + b'1' + b'}' * DEEP):
            self.assertFault(self._post(self.snapshots_url(self.stack), raw),
                             400, 'HTTPBadRequest')
            self.assertFault(self._post(self.stacks_url(), raw),
                             400, 'HTTPBadRequest')

    def test_deeply_nested_body_is_400_whatever_the_content_type(self):
        raw = b'{"name": "x", "y": ' + b'[' * DEEP + b']' * DEEP + b'}'
        body = self.assertFault(
            self._post(self.snapshots_url(self.stack), raw, 'text/plain'),
            400, 'HTTPBadRequest')
        self.assertIn('nested deeper than', body['error']['message'])

    def test_nesting_over_the_limit_is_400(self):
        depth = validation.MAX_DEPTH + 1
        raw = b'{"name": "x", "y": ' + b'[' * depth + b']' * depth + b'}'
        self.assertFault(self._post(self.snapshots_url(self.stack), raw),
                         400, 'HTTPBadRequest')
        nested = json.loads('[' * 500 + ']' * 500)
        self.assertFault(self.post_json(self.stacks_url(), {
            'stack_name': 'deep', 'template': base.template({
                'v': {'type': 'OS::Heat::Value',
                      'properties': {'value': nested}}})}, status=None),
            400, 'HTTPBadRequest')

    def test_deep_yaml_template_is_400(self):
        # Refused while it is parsed, naming the limit.
        for text in ('[' * DEEP + ']' * DEEP, '{a: ' * DEEP + '1' +
                     '}' * DEEP):
            body = self.assertFault(self.post_json(self.stacks_url(), {
                'stack_name': 'deep', 'template': text}, status=None),
                400, 'StackValidationFailed')
            self.assertIn('nested deeper than 100 levels (heat_snapshots_'
                          'templates.max_document_depth)',
                          body['error']['message'])

    def test_lone_surrogate_is_400(self):
        for raw in (b'{"name": "\\ud83d"}', b'{"\\udc00": 1}'):
            body = self.assertFault(
                self._post(self.snapshots_url(self.stack), raw),
                400, 'HTTPBadRequest')
            self.assertIn('not valid Unicode', body['error']['message'])
        self.assertFault(self._post(
            self.stacks_url(),
            b'{"stack_name": "s", "template": {"a": "\\udfff"}}'),
            400, 'HTTPBadRequest')

    def test_valid_non_ascii_name_is_kept(self):
        name = '\U0001F4F8 \u0644\u0642\u0637\u0629'
        snap = self.post_json(self.snapshots_url(self.stack),
                              {'name': name}).json
        self.assertEqual(name, snap['name'])


class IntegerRangeTest(base.APITestCase):

    def test_timeout_mins_over_the_column_is_400(self):
        for value in (10 ** 30, str(10 ** 30), 2 ** 31):
            body = self.assertFault(self.post_json(self.stacks_url(), {
                'stack_name': 's', 'template': base.SIMPLE,
                'timeout_mins': value}, status=None),
                400, 'HTTPBadRequest')
            self.assertIn('timeout_mins', body['error']['message'])

    def test_huge_limit_lists_everything(self):
        self.create_stack()
        response = self.get(self.stacks_url() + '?limit=%d' % 10 ** 30)
        self.assertEqual(1, len(response.json['stacks']))


class WebobJSONPageTest(base.APITestCase):

    def configure(self):
        self.flags(max_request_body_size=100, group='oslo_middleware')

    def test_413_for_json_clients_is_heats_body(self):
        # python-heatclient sends Accept: application/json; webob then
        # renders sizelimit's page as its own JSON.
        response = self.request(
            'POST', self.stacks_url(), body=b'{"a": "%s"}' % (b'x' * 200),
            content_type='application/json',
            headers={'Accept': 'application/json'})
        self.assertFault(response, 413, 'HTTPRequestEntityTooLarge')


class BrokenBodyTest(test_base.TestCase):

    def _call(self, stream, exception=None):
        def app(environ, start_response):
            request = webob.Request(environ)
            try:
                request.body
            except Exception as error:
                response = fault.fault_response(error)
            else:
                response = webob.Response(json_body={})
            return response(environ, start_response)
        environ = webob.Request.blank(
            '/', method='POST', headers={'Content-Length': '10'}).environ
        environ['wsgi.input'] = stream
        return webob.Request(environ).get_response(fault.FaultWrapper(app))

    def test_malformed_chunked_body_is_400(self):
        stream = mock.Mock()
        stream.read.side_effect = ValueError('Bad chunked transfer size')
        response = self._call(stream)
        self.assertEqual(400, response.status_int)
        self.assertEqual('HTTPBadRequest', response.json['error']['type'])
        self.assertIn('Bad chunked', response.json['error']['message'])

    def test_body_timeout_is_408(self):
        stream = mock.Mock()
        stream.read.side_effect = socket.timeout('timed out')
        response = self._call(stream)
        self.assertEqual(408, response.status_int)
        self.assertEqual('HTTPRequestTimeout',
                         response.json['error']['type'])

    def test_short_body_is_400(self):
        # The client sent less than Content-Length and went away.
        response = self._call(io.BytesIO(b'{}'))
        self.assertEqual(400, response.status_int)
        status, body = fault.fault_body(
            webob_request.DisconnectionError('gone'))
        self.assertEqual(400, status)
        self.assertEqual('DisconnectionError', body['error']['type'])


class NulCharacterTest(base.APITestCase):
    """PostgreSQL stores no NUL: refused alike on every database."""

    def test_nul_in_a_snapshot_name_is_400(self):
        stack = self.create_stack()
        response = self.post_json(self.snapshots_url(stack),
                                  {'name': 'a\u0000b'}, status=None)
        body = self.assertFault(response, 400, 'HTTPBadRequest')
        self.assertIn('NUL', body['error']['message'])

    def test_nul_in_a_path_id_is_not_found(self):
        stack = self.create_stack()
        response = self.get(self.snapshots_url(stack) + '/abc%00def',
                            status=None)
        self.assertFault(response, 404, 'NotFound',
                         'Snapshot with id abc\x00def not found')
        response = self.get(self.stacks_url() + '/a%00b', status=None)
        self.assertFault(response, 404, 'EntityNotFound',
                         'The Stack (a\x00b) could not be found.')
