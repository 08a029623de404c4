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

"""Bad request bodies: wrong content types, empty and odd JSON, deep
nesting, oversized bodies.
"""

import json

from heat_snapshots.tests.functional.bad_input import base
from heat_snapshots.tests.functional import live_service

HEADERS = base.HEADERS
JSON_HEADERS = base.JSON_HEADERS
MAX_BODY = base.MAX_BODY
MEGABYTE = base.MEGABYTE
PROJECT = base.PROJECT
http_bytes = base.http_bytes
raw_request = base.raw_request


class BodiesTest(base.BadInputTest):
    """Each a clean 4xx with Heat's body."""

    def test_wrong_content_types(self):
        s = self.service
        url = self.snapshots_url()
        for content_type, body in (
                ('application/x-www-form-urlencoded', b'name=x'),
                ('multipart/form-data; boundary=zz',
                 b'--zz\r\nContent-Disposition: form-data; name="name"'
                 b'\r\n\r\nx\r\n--zz--\r\n'),
                ('application/xml', b'<snapshot><name>x</name></snapshot>'),
                ('text/html', b'<html></html>'),
                ('application/json', b'<snapshot/>'),
                ('application/json; charset=latin-1', b'\xe9'),
                ('image/png', b'\x89PNG\r\n\x1a\n\x00\x00'),
                ('', b'name=x'),
                ('application/json', b'name=x')):
            headers = dict(HEADERS)
            if content_type:
                headers['Content-Type'] = content_type
            self.assertHeatError(self.request(
                'POST', url, headers=headers, data=body), 400,
                'HTTPBadRequest')
            self.assertHeatError(self.request(
                'POST', s.stacks_url(), headers=headers, data=body), 400)
        # A JSON body is JSON whatever the Content-Type says (as Heat).
        for index, content_type in enumerate((None, 'text/plain',
                                              'application/xml')):
            headers = dict(HEADERS)
            if content_type:
                headers['Content-Type'] = content_type
            response = self.request('POST', s.stacks_url(), headers=headers,
                                    data=json.dumps({
                                        'stack_name': 'ct%d' % index,
                                        'template': live_service.TEMPLATE}))
            self.assertEqual(201, response.status_code, response.text)

    def test_empty_and_odd_json(self):
        s = self.service
        url = self.snapshots_url()
        for body in (b'', b' ', b'null', b'[]', b'"x"', b'1', b'true',
                     b'{', b'{"name": }', b'{"name": "x",}', b"{'name': 1}",
                     b'{"name": {"a": 1}}', b'{"name": ["x"]}',
                     b'\x00', b'{"name": "x"}garbage'):
            self.assertHeatError(self.request(
                'POST', url, headers=JSON_HEADERS, data=body), 400,
                'HTTPBadRequest')
        for body in (b'', b'{}', b'[]', b'{"stack_name": null}',
                     b'{"stack_name": "ok"}', b'{"template": {}}'):
            self.assertHeatError(self.request(
                'POST', s.stacks_url(), headers=JSON_HEADERS, data=body),
                400)
            self.assertHeatError(self.request(
                'PUT', s.stack_url(), headers=JSON_HEADERS, data=body),
                (400, 409))
        stack = self.own_stack('odd-json')
        # {}: a snapshot with no name, as Heat.
        _response, shown = self.snapshot_named(stack, b'{}')
        self.assertIsNone(shown['name'])
        # Duplicate keys: the last one wins, as in Heat's json.loads.
        _response, shown = self.snapshot_named(
            stack, b'{"name": "first", "name": "second"}')
        self.assertEqual('second', shown['name'])
        # Unknown keys are ignored.
        _response, shown = self.snapshot_named(
            stack, b'{"name": "k", "extra": {"a": [1, 2]}}')
        self.assertEqual('k', shown['name'])

    def test_deeply_nested_json(self):
        s = self.service
        deep = 10000
        bodies = [b'[' * deep + b']' * deep,
                  b'{"a":' * deep + b'1' + b'}' * deep,
                  b'{"name": "x", "extra": ' + b'[' * deep + b']' * deep +
                  b'}',
                  b'{"name": "x", "extra": ' + b'[' * 150 + b']' * 150 +
                  b'}']
        for body in bodies:
            self.assertHeatError(self.request(
                'POST', self.snapshots_url(), headers=JSON_HEADERS,
                data=body), 400, 'HTTPBadRequest')
            self.assertHeatError(self.request(
                'POST', s.stacks_url(), headers=JSON_HEADERS, data=body),
                400)
            self.assertHeatError(self.request(
                'PATCH', s.stack_url(), headers=JSON_HEADERS, data=body),
                400)
        nested = json.loads('[' * 500 + ']' * 500)
        template = {'heat_template_version': live_service.HOT_VERSION,
                    'resources': {'v': {'type': 'OS::Heat::Value',
                                        'properties': {'value': nested}}}}
        self.assertHeatError(self.request(
            'POST', s.stacks_url(), headers=JSON_HEADERS,
            json={'stack_name': 'deep', 'template': template}), 400)
        # The same nesting in a YAML or JSON template string.
        for text in ('[' * deep + ']' * deep, '{a: ' * deep + '1' +
                     '}' * deep, 'a: ' + '[' * 5000):
            self.assertHeatError(self.request(
                'POST', s.stacks_url(), headers=JSON_HEADERS,
                json={'stack_name': 'deep', 'template': text}), 400)

    def test_huge_bodies(self):
        s = self.service
        big = b'{"name": "' + b'x' * (MAX_BODY + 1) + b'"}'
        self.assertHeatError(self.request(
            'POST', self.snapshots_url(), headers=JSON_HEADERS, data=big),
            413, 'HTTPRequestEntityTooLarge')
        self.assertHeatError(self.request(
            'PUT', s.stack_url(), headers=JSON_HEADERS,
            data=b' ' * (8 * MEGABYTE)), 413)
        # Chunked, with no Content-Length: counted as it is read.

        def chunks():
            for _n in range(40):
                yield b' ' * 65536
        self.assertHeatError(self.request(
            'POST', s.stacks_url(), headers=JSON_HEADERS, data=chunks()),
            413)
        # A huge declared length, nothing sent.
        response = raw_request(self.port, http_bytes(
            'POST', '/v1/%s/stacks' % PROJECT,
            dict(JSON_HEADERS, **{'Content-Length': str(10 ** 12)})))
        self.assertHeatError(response, 413)
