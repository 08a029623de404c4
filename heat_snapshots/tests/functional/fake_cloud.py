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

"""A fake cloud over real HTTP, for an engine process to talk to.

One threaded HTTP server on 127.0.0.1 answers in the services' shapes:

* ``/identity/v3``: Keystone's token API (``POST /auth/tokens``); a token
  is scoped to the project asked for and named ``token-of-<project>``;
* ``/heat/v1/<project>/stacks/<id>``: Heat's stack lookup, answering
  what ``heat_answers`` says in turn: an HTML "404 Not Found" page (a
  proxy's), a 500, or no answer at all (a timeout);
* ``/cinder/v3/<project>/backups``: Cinder's backups with state, each
  project seeing its own only (as a non-admin);
* ``/glance/v2/images``: Glance's images with state; any image is shown
  by id, deleted only by a token of its owner's project.

Every request is recorded (``requests``); deleted artifacts are listed in
``deleted``.
"""

import http.server
import json
import re
import threading
import time
from urllib import parse
import uuid

import fixtures

HTML_404 = (b'<html>\r\n<head><title>404 Not Found</title></head>\r\n'
            b'<body>\r\n<center><h1>404 Not Found</h1></center>\r\n'
            b'<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n')
HTML_500 = (b'<html><head><title>500 Internal Server Error</title></head>'
            b'<body><h1>Internal Server Error</h1></body></html>')
SERVICE_PROJECT = 'service-project'

# What the fake Heat answers a stack lookup with, in turn.
HTML_NOT_FOUND = 'html 404'
SERVER_ERROR = '500'
NO_ANSWER = 'timeout'


def _version(url, current, minimum):
    return {'id': 'v%s.0' % current.split('.')[0], 'status': 'CURRENT',
            'version': current, 'min_version': minimum,
            'updated': '2024-01-01T00:00:00Z',
            'links': [{'rel': 'self', 'href': url + '/'}]}


class Answer:
    def __init__(self, status, body=None, content_type='application/json',
                 headers=None, hang=0):
        self.status = status
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body).encode()
        self.body = body or b''
        self.content_type = content_type
        self.headers = dict(headers or {})
        self.hang = hang


def _json_404(message):
    return Answer(404, {'itemNotFound': {'code': 404, 'message': message}})


class FakeCloud(fixtures.Fixture):
    """The server; ``url`` is where it listens."""

    def __init__(self, heat_answers=(HTML_NOT_FOUND, SERVER_ERROR,
                                     NO_ANSWER), hang=5):
        super().__init__()
        self.heat_answers = list(heat_answers)
        self.hang = hang
        self.lock = threading.Lock()
        self.requests = []
        self.backups = {}
        self.images = {}
        self.deleted = []
        self._turn = 0
        self._closing = threading.Event()

    def _setUp(self):
        cloud = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):
                pass

            def _serve(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length) if length else b''
                answer = cloud.answer(self.command, self.path,
                                      dict(self.headers), body)
                if answer.hang:
                    cloud._closing.wait(answer.hang)
                    self.close_connection = True
                    return
                self.send_response(answer.status)
                self.send_header('Content-Type', answer.content_type)
                self.send_header('Content-Length', str(len(answer.body)))
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      Handler)
        self.server.daemon_threads = True
        self.url = 'http://127.0.0.1:%d' % self.server.server_address[1]
        thread = threading.Thread(target=self.server.serve_forever,
                                  name='fake-cloud', daemon=True)
        thread.start()
        self.addCleanup(self._stop)

    def _stop(self):
        self._closing.set()
        self.server.shutdown()
        self.server.server_close()

    # --- what the tests seed and read ----------------------------------

    def add_backup(self, project, name, metadata=None):
        backup_id = str(uuid.uuid4())
        with self.lock:
            self.backups[backup_id] = {
                'id': backup_id, 'name': name, 'status': 'available',
                'metadata': dict(metadata or {}), 'volume_id': 'vol-1',
                'size': 1, 'project': project}
        return backup_id

    def add_image(self, owner, name, properties=None):
        image_id = str(uuid.uuid4())
        with self.lock:
            self.images[image_id] = dict(
                properties or {}, id=image_id, name=name, status='active',
                owner=owner, visibility='private')
        return image_id

    def seen(self, method, pattern):
        with self.lock:
            return [r for r in self.requests
                    if r[0] == method and re.search(pattern, r[1])]

    # --- answers ----------------------------------------------------------

    def answer(self, method, path, headers, body):
        url = parse.urlparse(path)
        token = headers.get('X-Auth-Token', '')
        with self.lock:
            self.requests.append((method, url.path, token))
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            payload = None
        query = parse.parse_qs(url.query)
        parts = [p for p in url.path.split('/') if p]
        service = parts[0] if parts else ''
        handler = getattr(self, '_' + service, None)
        if handler is None:
            return Answer(404, HTML_404, 'text/html')
        with self.lock:
            return handler(method, parts[1:], query, payload, token)

    def _identity(self, method, parts, query, payload, token):
        if method == 'POST' and parts[1:] == ['auth', 'tokens']:
            scope = ((payload or {}).get('auth') or {}).get('scope') or {}
            project = (scope.get('project') or {}).get('id') or \
                SERVICE_PROJECT
            now = time.time()
            token = {'token': {
                'methods': ['password'],
                'issued_at': time.strftime('%Y-%m-%dT%H:%M:%S.000000Z',
                                           time.gmtime(now)),
                'expires_at': time.strftime('%Y-%m-%dT%H:%M:%S.000000Z',
                                            time.gmtime(now + 3600)),
                'user': {'id': 'hs-user', 'name': 'heat-snapshots',
                         'domain': {'id': 'default', 'name': 'Default'}},
                'project': {'id': project, 'name': project,
                            'domain': {'id': 'default',
                                       'name': 'Default'}},
                'roles': [{'id': 'member', 'name': 'member'}],
                'catalog': []}}
            return Answer(201, token, headers={
                'X-Subject-Token': 'token-of-%s' % project})
        return Answer(404, HTML_404, 'text/html')

    def _heat(self, method, parts, query, payload, token):
        kind = self.heat_answers[self._turn % len(self.heat_answers)]
        self._turn += 1
        if kind == NO_ANSWER:
            return Answer(200, hang=self.hang)
        if kind == SERVER_ERROR:
            return Answer(500, HTML_500, 'text/html')
        return Answer(404, HTML_404, 'text/html')

    def _cinder(self, method, parts, query, payload, token):
        # parts: v3 [<project> backups [<id>|detail]]
        if len(parts) <= 2:
            # Version discovery, at the root or the project's endpoint.
            return Answer(200, {'version': _version(
                self.url + '/cinder/v3', '3.70', '3.0')})
        if len(parts) < 3 or parts[2] != 'backups':
            return Answer(404, HTML_404, 'text/html')
        project = parts[1]
        if len(parts) == 3 or parts[3] == 'detail':
            if method != 'GET':
                return Answer(405, {'error': 'not faked'})
            if 'all_tenants' in query:
                return Answer(400, {'badRequest': {
                    'code': 400, 'message': 'all_tenants refused'}})
            names = query.get('name')
            return Answer(200, {'backups': [
                self._backup(b) for b in self.backups.values()
                if b['project'] == project and
                (names is None or b['name'] in names)]})
        backup = self.backups.get(parts[3])
        if backup is None or backup['project'] != project:
            return _json_404('Backup %s could not be found.' % parts[3])
        if method == 'DELETE':
            del self.backups[backup['id']]
            self.deleted.append(backup['id'])
            return Answer(202, b'')
        return Answer(200, {'backup': self._backup(backup)})

    @staticmethod
    def _backup(backup):
        return {k: v for k, v in backup.items() if k != 'project'}

    def _glance(self, method, parts, query, payload, token):
        if parts in ([], ['versions']):
            return Answer(200, {'versions': [dict(_version(
                self.url + '/glance/v2', '2.16', ''), id='v2.16')]})
        if parts[:2] != ['v2', 'images']:
            return Answer(404, HTML_404, 'text/html')
        if len(parts) == 2:
            return Answer(200, {'images': [
                dict(i) for i in self.images.values()
                if ('name' not in query or i['name'] in query['name']) and
                ('owner' not in query or i['owner'] in query['owner'])]})
        image = self.images.get(parts[2])
        if image is None:
            return Answer(404, {'code': '404 Not Found', 'title': 'Not Found',
                                'message': 'No image found with ID %s'
                                % parts[2]})
        if method == 'DELETE':
            if image['owner'] != token[len('token-of-'):]:
                return Answer(404, {'code': '404 Not Found',
                                    'title': 'Not Found',
                                    'message': 'No image found with ID %s'
                                    % parts[2]})
            del self.images[image['id']]
            self.deleted.append(image['id'])
            return Answer(204, b'')
        return Answer(200, dict(image))
