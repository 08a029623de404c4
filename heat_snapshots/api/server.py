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

"""The threaded WSGI server of heat-snapshots-api and heat-snapshots-all.

cheroot serves each process with a pool of ``threads`` request threads.
The listening socket is opened once, before the workers fork, and shared
by all of them: the kernel hands each connection to one worker.
"""

import ipaddress
import json
import socket
import threading
import uuid

from cheroot import errors as cheroot_errors
from cheroot import server as cheroot_server
from cheroot import wsgi
from oslo_log import log as logging
from oslo_service import service
from webob import exc as webob_exc

LOG = logging.getLogger(__name__)

# Longest wait for in-flight requests when stopping.
SHUTDOWN_TIMEOUT = 30
# Connections the kernel queues while every request thread is busy.
BACKLOG = 128


def is_loopback(host):
    """Whether every address ``host`` names is a loopback address."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return False
    addresses = {info[4][0].split('%', 1)[0] for info in infos}
    return bool(addresses) and all(
        ipaddress.ip_address(a).is_loopback for a in addresses)


def listen(host, port, backlog=BACKLOG):
    """A listening TCP socket on ``host``:``port`` (IPv4 or IPv6)."""
    family, _type, _proto, _name, address = socket.getaddrinfo(
        host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0,
        socket.AI_PASSIVE)[0]
    sock = socket.create_server(address, family=family, backlog=backlog)
    # Accepted connections inherit it. cheroot sets it on a socket it
    # binds itself, not on ours: without it a response written in two
    # parts (headers, then body) waits for the client's delayed ACK,
    # about 40 ms per request.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    LOG.info('Listening on %s port %s', *sock.getsockname()[:2])
    return sock


# Longest request line plus headers (cheroot answers 414 / 413 beyond).
# Heat's eventlet server refuses request lines over 8 KiB; keystone tokens
# are a few hundred bytes.
MAX_REQUEST_HEADER_SIZE = 64 * 1024


# cheroot's 5xx answers to requests it cannot read: 501 for a
# Transfer-Encoding other than chunked, 505 for an HTTP version not 1.x.
_CLIENT_FAULTS = ('501', '505')


def _fault_json(status, message):
    """Heat's fault body for an error cheroot answers itself."""
    code = int(status.split(' ', 1)[0])
    page = webob_exc.status_map.get(code, webob_exc.HTTPBadRequest)
    body = {
        'code': page.code,
        'title': page.title,
        'explanation': page.explanation,
        'error': {'type': page.__name__, 'traceback': None,
                  'message': message or page.explanation},
    }
    return page.code, json.dumps(body).encode('utf-8')


class _HTTPRequest(cheroot_server.HTTPRequest):
    """Answers a request cheroot cannot parse with Heat's JSON fault.

    A malformed request line, a request URI that is not UTF-8, headers
    over MAX_REQUEST_HEADER_SIZE or a bad Content-Length never reach the
    WSGI app; cheroot answers them with a text page of its own.
    """

    def simple_response(self, status, msg=''):
        status = str(status)
        if not status.startswith(('4', '5')):
            return super().simple_response(status, msg)
        if isinstance(msg, bytes):
            msg = msg.decode('latin-1')
        if status[:3] in _CLIENT_FAULTS:
            # An HTTP version or transfer coding we do not speak is the
            # client's request at fault, not the server.
            msg = '%s: %s' % (status[4:], msg) if msg else status[4:]
            status = '400 Bad Request'
        code, body = _fault_json(status, msg)
        headers = [
            '%s %s\r\n' % (self.server.protocol, status),
            'Content-Type: application/json\r\n',
            'Content-Length: %d\r\n' % len(body),
            'X-OpenStack-Request-Id: req-%s\r\n' % uuid.uuid4(),
        ]
        if code in (413, 414) or code >= 500:
            self.close_connection = True
        if self.close_connection:
            headers.append('Connection: close\r\n')
        headers.append('\r\n')
        try:
            self.conn.wfile.write(
                ''.join(headers).encode('ISO-8859-1') + body)
        except socket.error as ex:
            if ex.args[0] not in cheroot_errors.socket_errors_to_ignore:
                raise


class _HTTPConnection(cheroot_server.HTTPConnection):
    RequestHandlerClass = _HTTPRequest


class _CherootServer(wsgi.Server):
    """cheroot's server on a socket opened before the fork."""

    ConnectionClass = _HTTPConnection

    def __init__(self, sock, *args, **kwargs):
        self._listening_socket = sock
        super().__init__(sock.getsockname()[:2], *args, **kwargs)
        self.max_request_header_size = MAX_REQUEST_HEADER_SIZE

    def bind(self, family, type, proto=0):
        self.socket = self._listening_socket


class WSGIService(service.ServiceBase):
    """One process's WSGI server, an oslo.service service.

    ``make_app`` is called in the process that serves, after any fork, so
    that the app's connections (the RPC transport) are its own.
    """

    def __init__(self, make_app, sock, threads, name='heat-snapshots-api'):
        self.make_app = make_app
        self.sock = sock
        self.threads = threads
        self.name = name
        self.server = None
        self._thread = None
        self._stopped = threading.Event()
        self._stop_lock = threading.Lock()

    def start(self):
        self.server = _CherootServer(
            self.sock, self.make_app(), numthreads=self.threads,
            server_name=self.name, request_queue_size=BACKLOG,
            shutdown_timeout=SHUTDOWN_TIMEOUT)
        self.server.prepare()
        self._thread = threading.Thread(target=self.server.serve,
                                        name='wsgi-server', daemon=True)
        self._thread.start()
        LOG.info('%s serving with %d threads', self.name, self.threads)

    def stop(self, graceful=True):
        with self._stop_lock:
            if self._stopped.is_set():
                return
            if self.server is not None:
                self.server.stop()
            if self._thread is not None:
                self._thread.join(SHUTDOWN_TIMEOUT)
            LOG.info('%s stopped', self.name)
            self._stopped.set()

    def wait(self):
        self._stopped.wait()

    def reset(self):
        pass
