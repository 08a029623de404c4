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

"""What the bad-input tests share: a heat-snapshots-all of their own
(live_service.py), Heat's error body checked, raw HTTP on a socket, and
the test bases.

The tests, by kind of input: test_names_and_ids.py, test_bodies.py,
test_http.py; test_api_conformance.py checks every answer against
api-ref/source/openapi.yaml with schemathesis's own checks.
"""

import json
import os
import re
import socket
import time

from oslotest import base as oslotest_base
import requests
import yaml

import heat_snapshots
from heat_snapshots.tests.functional import live_service

# With the API reference, in the source tree: not part of the package.
OPENAPI_PATH = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(heat_snapshots.__file__))),
    'api-ref', 'source', 'openapi.yaml')
PROJECT = live_service.PROJECT
HEADERS = live_service.HEADERS
JSON_HEADERS = live_service.JSON_HEADERS
ADMIN_JSON_HEADERS = dict(JSON_HEADERS, **{'X-Roles': 'admin'})
REQUEST_ID = re.compile(r'^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-'
                        r'[0-9a-f]{4}-[0-9a-f]{12}$')
ERROR_KEYS = ['code', 'title', 'explanation', 'error']
TIMEOUT = 30
# oslo.middleware's default [oslo_middleware] max_request_body_size.
MAX_BODY = 114688
MEGABYTE = 1024 * 1024


def load_openapi():
    with open(OPENAPI_PATH) as f:
        return yaml.safe_load(f)


def _header(response, name):
    """A header of a requests, raw or schemathesis response."""
    value = response.headers.get(name)
    if value is None:
        value = response.headers.get(name.lower())
    if isinstance(value, list):
        value = value[0] if value else None
    return value if value is not None else ''


def heat_error_problems(response):
    """What makes ``response`` not one of Heat's error answers."""
    problems = []
    if response.status_code >= 500:
        problems.append('server error %s' % response.status_code)
    content_type = _header(response, 'Content-Type')
    if content_type.split(';')[0].strip() != 'application/json':
        return problems + ['error Content-Type %r, body %r'
                           % (content_type, response.content[:200])]
    try:
        body = response.json()
    except ValueError:
        return problems + ['error body not JSON: %r'
                           % response.content[:200]]
    if not isinstance(body, dict) or list(body) != ERROR_KEYS:
        return problems + ['error body keys: %r' % (body,)]
    if body['code'] != response.status_code:
        problems.append('code %r != status %s'
                        % (body['code'], response.status_code))
    error = body['error']
    if not isinstance(error, dict) or not isinstance(error.get('type'),
                                                     str):
        problems.append('error.type missing: %r' % (error,))
    elif error.get('traceback') is not None:
        problems.append('a traceback: %r' % (error,))
    if not REQUEST_ID.match(_header(response, 'X-OpenStack-Request-Id')):
        problems.append('no X-OpenStack-Request-Id')
    return problems


class RawResponse:
    """An HTTP answer read off a socket, with requests' attribute names."""

    def __init__(self, raw):
        self.raw = raw
        head, _sep, self.content = raw.partition(b'\r\n\r\n')
        lines = head.decode('latin-1').split('\r\n')
        self.status_line = lines[0]
        parts = lines[0].split(' ', 2)
        self.status_code = int(parts[1]) if len(parts) > 1 and \
            parts[1].isdigit() else 0
        self.headers = requests.structures.CaseInsensitiveDict()
        for line in lines[1:]:
            name, _sep, value = line.partition(':')
            self.headers[name.strip()] = value.strip()
        length = self.headers.get('Content-Length')
        if length is not None and length.isdigit():
            self.content = self.content[:int(length)]

    def json(self):
        return json.loads(self.content)

    @property
    def text(self):
        return self.content.decode('utf-8', 'replace')


def raw_request(port, data, shutdown=False, timeout=TIMEOUT, pause=None):
    """Send ``data`` (bytes, or a list of chunks) and read the answer.

    :param shutdown: half-close after sending, as a client that sent all
        it will.
    :param pause: seconds between chunks.
    :returns: RawResponse; status_code 0 if the server closed without one.
    """
    with socket.create_connection(('127.0.0.1', port),
                                  timeout=timeout) as sock:
        chunks = data if isinstance(data, list) else [data]
        try:
            for chunk in chunks:
                sock.sendall(chunk)
                if pause:
                    time.sleep(pause)
            if shutdown:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            # The server answered and closed before reading everything.
            pass
        received = b''
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += chunk
            response = RawResponse(received)
            length = response.headers.get('Content-Length')
            if length is not None and length.isdigit() and \
                    len(response.content) >= int(length) and \
                    b'\r\n\r\n' in received:
                break
    return RawResponse(received)


def http_bytes(method, path, headers=None, body=b'', version='HTTP/1.1'):
    """A request as bytes; ``path`` bytes are sent as they are."""
    if isinstance(path, str):
        path = path.encode('latin-1')
    lines = [method.encode('latin-1') + b' ' + path + b' ' +
             version.encode('latin-1'), b'Host: 127.0.0.1',
             b'Connection: close']
    for name, value in (headers or {}).items():
        if isinstance(value, str):
            value = value.encode('latin-1')
        lines.append(name.encode('latin-1') + b': ' + value)
    return b'\r\n'.join(lines) + b'\r\n\r\n' + body


class LiveServiceTest(oslotest_base.BaseTestCase):
    """A test against this process's own service (live_service.py)."""

    def setUp(self):
        super().setUp()
        try:
            self.service = live_service.get()
        except Exception as error:
            self.fail('the service did not start: %s' % error)
        self.port = self.service.port
        self.spec = load_openapi()

    def url(self, path):
        return self.service.url(path)

    def request(self, method, url, headers=HEADERS, **kwargs):
        kwargs.setdefault('timeout', TIMEOUT)
        kwargs.setdefault('allow_redirects', False)
        return requests.request(method, url, headers=headers, **kwargs)

    def assertHeatError(self, response, status=None, error_type=None):
        """A 4xx with Heat's fault body."""
        label = '%s %r' % (response.status_code, response.content[:300])
        if status is not None:
            statuses = status if isinstance(status, tuple) else (status,)
            self.assertIn(response.status_code, statuses, label)
        self.assertGreaterEqual(response.status_code, 400, label)
        self.assertLess(response.status_code, 500, label)
        self.assertEqual([], heat_error_problems(response), label)
        if error_type is not None:
            self.assertEqual(error_type, response.json()['error']['type'],
                             label)
        return response.json() if hasattr(response, 'json') else None

    def assertAlive(self):
        """GET / still answers, quickly."""
        response = requests.get(self.url('/'), timeout=10)
        self.assertEqual(300, response.status_code, response.text)

    def assertNo5xx(self, response):
        self.assertLess(response.status_code, 500,
                        '%s %r' % (response.status_code,
                                   response.content[:300]))


class BadInputTest(LiveServiceTest):
    """Hand-written bad requests; each a clean 4xx, the service stays."""

    def tearDown(self):
        # Whatever the test sent, the service answers afterwards.
        self.assertAlive()
        super().tearDown()

    def snapshots_url(self, stack=None):
        return self.service.stack_url(stack) + '/snapshots'

    def own_stack(self, name):
        return self.service.create_stack(name)

    def snapshot_named(self, stack, raw_body):
        """POST a snapshot (as admin: no limit), wait, return it or error."""
        response = self.request('POST', self.snapshots_url(stack),
                                headers=ADMIN_JSON_HEADERS, data=raw_body)
        if response.status_code == 200:
            snapshot_id = response.json()['id']
            self.service.wait(
                lambda: self.service._stack_settled(stack), 'snapshot')
        else:
            return response, None
        shown = self.request('GET', self.snapshots_url(stack) + '/' +
                             snapshot_id, headers=ADMIN_JSON_HEADERS)
        self.assertEqual(200, shown.status_code, shown.text)
        self.request('DELETE', self.snapshots_url(stack) + '/' +
                     snapshot_id, headers=ADMIN_JSON_HEADERS)
        return response, shown.json()['snapshot']
