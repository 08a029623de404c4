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

"""Bad ids and names in paths and bodies: malformed ids, path traversal,
huge and non-ASCII names, SQL metacharacters.
"""

import json
from urllib import parse

from heat_snapshots.tests.functional.bad_input import base
from heat_snapshots.tests.functional import live_service

HEADERS = base.HEADERS
JSON_HEADERS = base.JSON_HEADERS
MEGABYTE = base.MEGABYTE
PROJECT = base.PROJECT
http_bytes = base.http_bytes
raw_request = base.raw_request


class NamesAndIdsTest(base.BadInputTest):
    """Each a clean 4xx, or stored and shown as sent."""

    def test_non_uuid_ids(self):
        s = self.service
        for snapshot_id in ('not-a-uuid', '0', '-1', 'x' * 300,
                            s.snapshot_id.upper(), s.snapshot_id + 'x',
                            '%00', '%20', 'null', '__class__', '..'):
            for method in ('GET', 'DELETE'):
                self.assertHeatError(self.request(
                    method, self.snapshots_url() + '/' + snapshot_id),
                    (404, 400))
            self.assertHeatError(self.request(
                'POST', self.snapshots_url() + '/%s/restore' % snapshot_id),
                (404, 400))
        for stack_id in ('not-a-uuid', '0', s.stack['id'][:-1],
                         '__init__', 'snapshots'):
            self.assertHeatError(self.request(
                'GET', s.stacks_url() + '/%s/%s/snapshots'
                % (s.stack['stack_name'], stack_id)), 404,
                'EntityNotFound')

    def test_path_traversal(self):
        s = self.service
        base = '/v1/%s/stacks/%s/%s' % (PROJECT, s.stack['stack_name'],
                                        s.stack['id'])
        paths = [
            base + '/snapshots/../../../../etc/passwd',
            base + '/snapshots/..%2F..%2F..%2Fetc%2Fpasswd',
            base + '/snapshots/%2e%2e%2f%2e%2e%2f',
            base + '/snapshots/%252e%252e%252f',
            base + '/snapshots/..\\..\\windows',
            '/v1/%s/stacks/..%%2F..%%2F..' % PROJECT,
            '/v1/%s/stacks/%%2e%%2e/%%2e%%2e/snapshots' % PROJECT,
            '/v1/%s/stacks/a%%2Fb/%s/snapshots' % (PROJECT, s.stack['id']),
            '/v1/../v1/%s/stacks' % PROJECT,
            '/v1/%2e%2e/etc/passwd',
            '/../../../../etc/passwd',
            '//v1//%s//stacks' % PROJECT,
            base + '/snapshots/' + s.snapshot_id + '/restore/../../x',
        ]
        for path in paths:
            for method in ('GET', 'DELETE', 'POST'):
                response = raw_request(self.port, http_bytes(
                    method, path, dict(HEADERS, **{'Content-Length': '0'})))
                self.assertNo5xx(response)
                self.assertNotIn(b'root:', response.content)
                if response.status_code >= 400:
                    self.assertHeatError(response)
                else:
                    # GET /v1/../v1/<t>/stacks: the path the server read.
                    self.assertIn(response.status_code, (200, 300, 302),
                                  path)

    def test_huge_names(self):
        s = self.service
        huge = 'x' * MEGABYTE
        # In the URL: beyond the request line limit (Heat's eventlet has
        # one too).
        self.assertHeatError(self.request(
            'GET', s.stacks_url() + '/' + huge), 414)
        self.assertHeatError(self.request(
            'GET', self.snapshots_url() + '/' + huge), 414)
        # In bodies: beyond max_request_body_size.
        self.assertHeatError(self.request(
            'POST', self.snapshots_url(), headers=JSON_HEADERS,
            json={'name': huge}), 413, 'HTTPRequestEntityTooLarge')
        self.assertHeatError(self.request(
            'POST', s.stacks_url(), headers=JSON_HEADERS,
            json={'stack_name': huge, 'template': live_service.TEMPLATE}),
            413)
        # Under the body limit but over the column: a 400, not a DB error.
        self.assertHeatError(self.request(
            'POST', self.snapshots_url(), headers=JSON_HEADERS,
            json={'name': 'x' * 100000}), 400, 'HTTPBadRequest')
        self.assertHeatError(self.request(
            'POST', s.stacks_url(), headers=JSON_HEADERS,
            json={'stack_name': 'x' * 100000,
                  'template': live_service.TEMPLATE}), 400)
        # Long but legal in a URL.
        self.assertHeatError(self.request(
            'GET', s.stacks_url() + '/' + 'y' * 8000), 404,
            'EntityNotFound')

    def test_non_ascii_names(self):
        stack = self.own_stack('non-ascii')
        names = ['\U0001F4F8 snap \U0001F600', '\u0644\u0642\u0637\u0629',
                 'a\u202eb\u200f', '\u00e9\u00e8\u4e2d\u6587', 'a\u0000b']
        for name in names:
            response, shown = self.snapshot_named(
                stack, json.dumps({'name': name}).encode('utf-8'))
            if shown is None:
                # NUL: stored by SQLite and MariaDB, refused by others.
                self.assertHeatError(response, 400)
            else:
                self.assertEqual(name, shown['name'])
        # Raw UTF-8 in the body, not \\u escapes.
        response, shown = self.snapshot_named(
            stack, '{"name": "\U0001F4F8\u0644"}'.encode('utf-8'))
        self.assertEqual('\U0001F4F8\u0644', shown['name'])
        # Invalid UTF-8, lone surrogates: 400.
        for body in (b'{"name": "\xff\xfe"}', b'{"name": "\xc3\x28"}',
                     b'{"name": "\xed\xa0\x80"}', b'\xef\xbb\xbf{}\xff',
                     b'{"name": "\\ud83d"}', b'{"\\udc00": 1}'):
            self.assertHeatError(self.request(
                'POST', self.snapshots_url(stack), headers=JSON_HEADERS,
                data=body), 400, 'HTTPBadRequest')
        self.assertHeatError(self.request(
            'POST', self.service.stacks_url(), headers=JSON_HEADERS,
            data=b'{"stack_name": "ok", "template": {"x": "\\udfff"}}'),
            400)
        # Stack names: Heat's pattern, and non-ASCII lookups.
        for name in ('\U0001F4F8', '\u0644\u0642', 'a\u0000b', 'a/b'):
            self.assertHeatError(self.request(
                'POST', self.service.stacks_url(), headers=JSON_HEADERS,
                json={'stack_name': name,
                      'template': live_service.TEMPLATE}), 400)
        for segment in ('%F0%9F%93%B8', '%D9%84', '%E2%80%AE', '%00',
                        'a%00b'):
            self.assertHeatError(self.request(
                'GET', self.service.stacks_url() + '/' + segment), 404,
                'EntityNotFound')
        for segment in ('%FF', '%C3%28', '%ED%A0%80'):
            self.assertHeatError(self.request(
                'GET', self.service.stacks_url() + '/' + segment), 400)
        # Raw bytes in the request line.
        for path in (b'/v1/%s/stacks/\xff\xfe' % PROJECT.encode(),
                     b'/v1/%s/stacks/\xf0\x9f\x93\xb8' % PROJECT.encode()):
            self.assertHeatError(raw_request(
                self.port, http_bytes('GET', path, HEADERS)), (400, 404))

    def test_sql_metacharacters(self):
        s = self.service
        evil = ["' OR 1=1 --", '1; DROP TABLE hs_snapshots; --',
                '" OR ""="', "') OR ('1'='1", '%', '_', '*', '\\',
                "'; DELETE FROM hs_stacks WHERE '1'='1"]
        for value in evil:
            quoted = parse.quote(value, safe='')
            self.assertHeatError(self.request(
                'GET', s.stacks_url() + '/' + quoted), 404)
            self.assertHeatError(self.request(
                'GET', self.snapshots_url() + '/' + quoted), 404)
            self.assertHeatError(self.request(
                'GET', '%s/%s/%s/snapshots' % (
                    s.stacks_url(), quoted, s.stack['id'])), 404)
            self.assertHeatError(self.request(
                'GET', '%s/%s/%s/snapshots' % (
                    s.stacks_url(), s.stack['stack_name'], quoted)), 404)
            listed = self.request('GET', s.stacks_url(),
                                  params={'name': value, 'id': value,
                                          'status': value})
            self.assertEqual(200, listed.status_code, listed.text)
            self.assertEqual([], listed.json()['stacks'])
            self.assertHeatError(self.request(
                'POST', s.stacks_url(), headers=JSON_HEADERS,
                json={'stack_name': value,
                      'template': live_service.TEMPLATE}), 400)
        stack = self.own_stack('sql-names')
        for value in evil[:3]:
            _response, shown = self.snapshot_named(
                stack, json.dumps({'name': value}).encode())
            self.assertEqual(value, shown['name'])
        # The tables are all there.
        shown = self.request('GET', self.snapshots_url() + '/' +
                             s.snapshot_id)
        self.assertEqual(200, shown.status_code, shown.text)
        self.assertEqual('COMPLETE', shown.json()['snapshot']['status'])
