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

"""The WSGI server: loopback addresses, and Heat's body on what cheroot
refuses before the app sees the request.

Serving on a socket: tests/functional/cmd/test_api.py, test_security.py.
"""

import io
import json
import types
from unittest import mock

from cheroot import server as cheroot_server

from heat_snapshots.api import server
from heat_snapshots.tests import base


class IsLoopbackTest(base.TestCase):

    def test_addresses(self):
        for host in ('127.0.0.1', '127.1.2.3', '::1'):
            self.assertTrue(server.is_loopback(host), host)
        for host in ('0.0.0.0', '::', '10.0.0.1', '192.0.2.1'):
            self.assertFalse(server.is_loopback(host), host)

    def test_names_are_resolved(self):
        # From /etc/hosts: no name server asked.
        self.assertTrue(server.is_loopback('localhost'))


class CherootErrorTest(base.TestCase):
    """Requests cheroot refuses before the app get Heat's body."""

    def _request(self):
        srv = mock.Mock(protocol='HTTP/1.1')
        conn = mock.Mock()
        conn.wfile = io.BytesIO()
        request = server._HTTPRequest(srv, conn)
        return request, conn.wfile

    def _answer(self, status, msg):
        request, wfile = self._request()
        request.simple_response(status, msg)
        head, _sep, body = wfile.getvalue().partition(b'\r\n\r\n')
        return head.decode('latin-1'), json.loads(body)

    def test_malformed_request_uri(self):
        head, body = self._answer('400 Bad Request', 'Malformed Request-URI')
        self.assertTrue(head.startswith('HTTP/1.1 400 Bad Request'))
        self.assertIn('Content-Type: application/json', head)
        self.assertRegex(head, r'X-OpenStack-Request-Id: req-[0-9a-f-]{36}')
        self.assertEqual(['code', 'title', 'explanation', 'error'],
                         list(body))
        self.assertEqual({'type': 'HTTPBadRequest', 'traceback': None,
                          'message': 'Malformed Request-URI'},
                         body['error'])

    def test_huge_headers_close_the_connection(self):
        request, wfile = self._request()
        request.simple_response('413 Request Entity Too Large',
                                'The headers sent with the request exceed '
                                'the maximum allowed bytes.')
        self.assertTrue(request.close_connection)
        self.assertIn(b'Connection: close', wfile.getvalue())

    def test_unsupported_version_is_400_not_505(self):
        head, body = self._answer('505 HTTP Version Not Supported', '')
        self.assertTrue(head.startswith('HTTP/1.1 400 Bad Request'))
        self.assertEqual(400, body['code'])
        self.assertIn('HTTP Version Not Supported',
                      body['error']['message'])

    def test_server_uses_it_and_bounds_headers(self):
        self.assertIs(server._HTTPRequest,
                      server._CherootServer.ConnectionClass
                      .RequestHandlerClass)
        self.assertTrue(issubclass(server._HTTPRequest,
                                   cheroot_server.HTTPRequest))
        # The listening socket is opened before the fork; not here.
        sock = types.SimpleNamespace(getsockname=lambda: ('127.0.0.1', 0))
        srv = server._CherootServer(sock, lambda e, s: [])
        self.assertEqual(server.MAX_REQUEST_HEADER_SIZE,
                         srv.max_request_header_size)
