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

"""Responses of the API: JSON bodies, and Heat's fault body for errors.

Every error a caller sees is built by ``fault_response`` here, whatever
raised it: a controller, an engine error re-raised from RPC, pecan's
routing, or a middleware's own error page (rewritten by ``FaultWrapper``).
An exception's HTTP status is its ``code`` attribute; exception.py sets
those, so no table of exception names lives in the API.
"""

import functools
from http import client as http_client
import json
import socket

from oslo_log import log as logging
import pecan
from pecan import hooks
import webob
from webob import exc as webob_exc
from webob import request as webob_request

from heat_snapshots.api import validation
from heat_snapshots.common import exception

LOG = logging.getLogger(__name__)

# oslo.messaging rebuilds an engine exception as a subclass with this
# suffix; callers match error.type on Heat's plain names.
_REMOTE_SUFFIX = '_Remote'

# Headers of a webob HTTP exception that must survive the rewrite. Not
# Allow: pecan's nested RestControllers overwrite it with the outermost
# controller's methods, which would be wrong.
_KEPT_HEADERS = ('Location', 'Retry-After', 'WWW-Authenticate')


class JSONText(str):
    """A response body already encoded as JSON (json.dumps' text)."""


def body_bytes(body):
    """The bytes of a JSON response body (a JSONText as it is)."""
    if isinstance(body, JSONText):
        return body.encode('utf-8')
    return json.dumps(body).encode('utf-8')


def wrapped(key, text):
    """The JSON text of ``{key: <the JSON text>}``, as json.dumps writes
    it.
    """
    return JSONText('{%s: %s}' % (json.dumps(key), text))


def _type_name(error):
    if isinstance(error, exception.HeatSnapshotsException):
        name = error.type_name
    else:
        name = type(error).__name__
    if name.endswith(_REMOTE_SUFFIX):
        name = name[:-len(_REMOTE_SUFFIX)]
    return name


def _status_of(error):
    if isinstance(error, webob_request.DisconnectionError):
        # The client sent less of the body than Content-Length said.
        return http_client.BAD_REQUEST
    code = getattr(error, 'code', None)
    if isinstance(error, webob_exc.WSGIHTTPException):
        code = error.code
    if isinstance(code, int) and code in webob_exc.status_map and \
            code >= 400:
        return code
    return http_client.INTERNAL_SERVER_ERROR


def fault_body(error):
    """(status, Heat's fault body) for an exception."""
    status = _status_of(error)
    http_error = webob_exc.status_map[status]
    body = {
        'code': status,
        'title': http_error.title,
        'explanation': http_error.explanation,
        'error': {'type': _type_name(error), 'traceback': None},
    }
    if status >= 500 and not (
            isinstance(error, exception.HeatSnapshotsException)
            and error.safe):
        # Internals (SQL, tracebacks, host names) stay in the log.
        return status, body
    if isinstance(error, exception.HeatSnapshotsException):
        message = error.message
    elif isinstance(error, webob_exc.WSGIHTTPException):
        message = error.detail or http_error.explanation
    else:
        message = str(error)
    body['error']['message'] = message
    return status, body


def fault_response(error):
    """A webob Response with Heat's fault body for ``error``."""
    status, body = fault_body(error)
    if status >= 500 and 'message' not in body['error']:
        LOG.error('Unexpected error answered with %(status)s: %(error)s',
                  {'status': status, 'error': error},
                  exc_info=(type(error), error, error.__traceback__))
    elif status >= 500:
        LOG.warning('Answered %(status)s: %(message)s',
                    {'status': status, 'message': body['error']['message']})
    else:
        LOG.debug('Answered %(status)s: %(type)s: %(message)s',
                  {'status': status, 'type': body['error']['type'],
                   'message': body['error'].get('message')})
    response = webob.Response(body=body_bytes(body), status=status,
                              content_type='application/json',
                              charset=None)
    if isinstance(error, webob_exc.WSGIHTTPException):
        for name in _KEPT_HEADERS:
            if error.headers.get(name):
                response.headers[name] = error.headers[name]
    return response


def wantsbody_bytes(request):
    """Whether a webob-style status page should be JSON, as Heat does.

    Heat answers 202 and 302 in plain text unless the caller asks for
    JSON (python-heatclient sends Accept: application/json).
    """
    offers = request.accept.acceptable_offers(
        ['text/plain', 'application/json'])
    return bool(offers) and offers[0][0] == 'application/json'


def status_page(http_status, request, **kwargs):
    """A webob status page (202, 302) rendered as Heat renders it."""
    page = http_status(**kwargs)
    environ = request.environ
    if wantsbody_bytes(request):
        body = page.json_body(environ).encode('utf-8')
        content_type = 'application/json'
    else:
        body = page.plain_body(environ).encode('utf-8')
        content_type = 'text/plain'
    response = webob.Response(body=body, status=page.status,
                              content_type=content_type)
    if page.location:
        response.location = page.location
    return response


def expose(status_code=None):
    """Expose a controller method whose result is sent as JSON.

    A handler may return a webob Response (a 302 or 202 page) to send it as
    it is; ``None`` with a 204 sends no body at all. Exceptions are left to
    ``FaultHook``, which answers routing errors in the same way.
    """

    def decorate(f):

        @functools.wraps(f)
        def callfunction(self, *args, **kwargs):
            # Handlers read the request themselves; pecan's keyword
            # arguments (query and body fields) are not theirs, and every
            # path segment was consumed by the controllers' _lookup.
            if args:
                pecan.abort(http_client.NOT_FOUND)
            result = f(self)
            if isinstance(result, webob.Response):
                return result
            response = pecan.response
            if status_code:
                response.status = status_code
            if response.status_int == http_client.NO_CONTENT:
                response.content_type = None
                response.body = b''
                return response
            response.content_type = 'application/json'
            response.body = body_bytes(result)
            return response

        pecan.expose(content_type='application/json',
                     generic=False)(callfunction)
        return callfunction

    return decorate


class FaultHook(hooks.PecanHook):
    """Heat's answers: JSON, and its fault body for every exception."""

    def on_route(self, state):
        # Heat answers JSON whatever the Accept header says; without this
        # pecan would negotiate and refuse some callers with a 406.
        state.request.pecan['content_type'] = 'application/json'
        validation.check_parsable(state.request)

    def on_error(self, state, e):
        return fault_response(e)


_WEBOB_PAGE_KEYS = {'code', 'title', 'message'}


def _is_webob_page(response):
    """A webob error page rendered as JSON (the caller accepts JSON).

    Such as sizelimit's 413 for python-heatclient, which sends Accept:
    application/json: {"code": "413 Request Entity Too Large", ...}.
    """
    try:
        body = json.loads(response.body)
    except ValueError:
        return False
    return isinstance(body, dict) and set(body) == _WEBOB_PAGE_KEYS and \
        isinstance(body['code'], str)


class _RequestBody:
    """wsgi.input whose broken bodies are the client's error, not ours.

    cheroot raises ValueError for malformed chunked encoding and a socket
    error when the client stops sending in the middle of the body.
    """

    def __init__(self, stream):
        self._stream = stream

    def _guard(self, method, *args):
        try:
            return method(*args)
        except ValueError as e:
            raise webob_exc.HTTPBadRequest(
                'Malformed request body: %s' % e)
        except socket.timeout:
            raise webob_exc.HTTPRequestTimeout(
                'The request body did not arrive in time.')
        except OSError as e:
            raise webob_exc.HTTPBadRequest(
                'The request body could not be read: %s' % e)

    def read(self, *args):
        return self._guard(self._stream.read, *args)

    def readline(self, *args):
        return self._guard(self._stream.readline, *args)

    def readlines(self, *args):
        return self._guard(self._stream.readlines, *args)

    def __iter__(self):
        return iter(self.readline, b'')

    def __getattr__(self, name):
        # seek, tell, ... of a body webob has already made seekable.
        return getattr(self._stream, name)


class FaultWrapper:
    """Rewrites the error pages of middlewares into Heat's fault body.

    oslo.middleware (sizelimit's 413 for instance) answers with webob's
    HTML or text pages; clients parse error.type from JSON. Error bodies
    that are already JSON (keystonemiddleware's 401, ours) pass untouched.
    """

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        if environ.get('wsgi.input') is not None:
            environ['wsgi.input'] = _RequestBody(environ['wsgi.input'])
        request = webob.Request(environ)
        try:
            response = request.get_response(self.application)
        except Exception as error:
            response = fault_response(error)
        if response.status_int >= 400 and (
                response.content_type != 'application/json' or
                _is_webob_page(response)):
            status = response.status_int
            if status not in webob_exc.status_map:
                status = http_client.INTERNAL_SERVER_ERROR
            page = webob_exc.status_map[status](headers={
                name: response.headers[name] for name in _KEPT_HEADERS
                if name in response.headers})
            response = fault_response(page)
        return response(environ, start_response)
