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

"""Bad HTTP: malformed framing, aborted and slow requests, invalid
methods, huge headers (raw sockets where requests would clean them up).
"""

import socket
import threading
import time

from heat_snapshots.tests.functional.bad_input import base

HEADERS = base.HEADERS
JSON_HEADERS = base.JSON_HEADERS
PROJECT = base.PROJECT
http_bytes = base.http_bytes
raw_request = base.raw_request


class HTTPTest(base.BadInputTest):
    """The service answers each with a 4xx and keeps serving."""

    def test_malformed_framing(self):
        path = '/v1/%s/stacks' % PROJECT
        cases = [
            # Bad chunk sizes and chunk data.
            (dict(JSON_HEADERS, **{'Transfer-Encoding': 'chunked'}),
             b'zz\r\n{}\r\n0\r\n\r\n'),
            (dict(JSON_HEADERS, **{'Transfer-Encoding': 'chunked'}),
             b'2\r\n{}}}}}\r\n0\r\n\r\n'),
            (dict(JSON_HEADERS, **{'Content-Length': 'abc'}), b'{}'),
            (dict(JSON_HEADERS, **{'Content-Length': '-5'}), b'{}'),
        ]
        for headers, body in cases:
            response = raw_request(self.port, http_bytes('POST', path,
                                                         headers, body),
                                   shutdown=True)
            self.assertHeatError(response, 400)

    def test_aborted_request(self):
        """Less body than Content-Length, then the client goes."""
        path = '/v1/%s/stacks' % PROJECT
        request = http_bytes('POST', path, dict(JSON_HEADERS, **{
            'Content-Length': '1000'}), b'{"stack_name": "ab')
        # The client closes its side and waits: a 400, promptly.
        started = time.monotonic()
        response = raw_request(self.port, request, shutdown=True,
                               timeout=20)
        self.assertLess(time.monotonic() - started, 15)
        if response.status_code:
            self.assertHeatError(response, 400)
        # The client just disappears, several times over.
        for _n in range(10):
            with socket.create_connection(('127.0.0.1', self.port),
                                          timeout=5) as sock:
                sock.sendall(request)
        self.assertAlive()
        # Headers only, cut in the middle.
        with socket.create_connection(('127.0.0.1', self.port),
                                      timeout=5) as sock:
            sock.sendall(b'GET /v1/%s/stacks HTTP/1.1\r\nHost: x\r\nX-Au'
                         % PROJECT.encode())
        listed = self.request('GET', self.service.stacks_url())
        self.assertEqual(200, listed.status_code, listed.text)

    def test_slow_request_does_not_block_others(self):
        """A slowloris-style client; everybody else is still served."""
        request = http_bytes('GET', '/v1/%s/stacks' % PROJECT, HEADERS)
        answers = []

        def slow_client():
            # One byte every 20 ms: about 4 s for the whole request.
            answers.append(raw_request(self.port, [bytes([b])
                                                   for b in request],
                                       pause=0.02, timeout=60))
        slow = [threading.Thread(target=slow_client) for _n in range(4)]
        for thread in slow:
            thread.start()
        time.sleep(0.3)
        served = 0
        while any(t.is_alive() for t in slow):
            started = time.monotonic()
            response = self.request('GET', self.service.stacks_url(),
                                    timeout=10)
            self.assertEqual(200, response.status_code, response.text)
            self.assertLess(time.monotonic() - started, 5)
            served += 1
            time.sleep(0.1)
        for thread in slow:
            thread.join(60)
        self.assertGreater(served, 5)
        self.assertEqual([200] * 4, [r.status_code for r in answers])

    def test_invalid_methods(self):
        s = self.service
        for method in ('BREW', 'PROPFIND', 'TRACE', 'CONNECT', 'OPTIONS'):
            for url in (s.url('/v1/%s/stacks' % PROJECT),
                        self.snapshots_url(),
                        self.snapshots_url() + '/' + s.snapshot_id):
                response = self.request(method, url)
                if method == 'OPTIONS' and response.status_code < 400:
                    # CORS preflight answers are not errors.
                    continue
                self.assertHeatError(response, (400, 404, 405, 501))
        # Methods the API has, where it does not take them.
        for method, url in (
                ('PUT', self.snapshots_url()),
                ('DELETE', self.snapshots_url()),
                ('PATCH', self.snapshots_url() + '/' + s.snapshot_id),
                ('GET', self.snapshots_url() + '/%s/restore'
                 % s.snapshot_id),
                ('DELETE', s.stacks_url())):
            self.assertHeatError(self.request(method, url), 405,
                                 'HTTPMethodNotAllowed')
        # Not HTTP at all.
        for raw in (b'BR\x00W / HTTP/1.1\r\nHost: x\r\n\r\n',
                    b'POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n',
                    b'GET\r\n\r\n', b'GET / HTTP/9.9\r\nHost: x\r\n\r\n',
                    b'GET /' + b' ' * 20 + b'x HTTP/1.1\r\n\r\n',
                    b'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03' +
                    b'\x00' * 64):
            response = raw_request(self.port, raw, shutdown=True)
            if response.status_code:
                self.assertHeatError(response)

    def test_huge_headers(self):
        s = self.service
        url = s.stacks_url()
        # One huge header; many headers; a huge identity header.
        for headers in (dict(HEADERS, **{'X-Big': 'a' * 200000}),
                        dict(HEADERS, **{'X-H%d' % n: 'v' * 100
                                         for n in range(1000)}),
                        dict(HEADERS, **{'X-Auth-User': 'u' * 100000})):
            response = raw_request(self.port, http_bytes(
                'GET', '/v1/%s/stacks' % PROJECT, headers))
            self.assertHeatError(response, (400, 413, 431))
        # Large but reasonable (a big token): served.
        response = self.request('GET', url, headers=dict(
            HEADERS, **{'X-Auth-Token': 't' * 8000}))
        self.assertEqual(200, response.status_code, response.text)
        # Identity headers with odd values: refused or not found, cleanly.
        for value in ('\u00e9'.encode('latin-1'), b'\xff\xfe', b'a,b,,',
                      b' ', b"' OR 1=1 --"):
            for name in ('X-Auth-Project', 'X-Auth-User', 'X-Roles'):
                response = raw_request(self.port, http_bytes(
                    'GET', '/v1/%s/stacks' % PROJECT,
                    dict(HEADERS, **{name: value})))
                self.assertNo5xx(response)
                if response.status_code >= 400:
                    self.assertHeatError(response)
