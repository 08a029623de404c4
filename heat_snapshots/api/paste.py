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

"""A paste filter that serves the snapshot API inside heat-api.

An operator who wants clients to keep talking to Heat's own endpoint adds
the filter to heat-api's pipeline (api-paste.ini)::

    [filter:snapshots]
    paste.filter_factory = heat_snapshots.api.paste:filter_factory

    [pipeline:heat-api]
    pipeline = cors request_id faultwrap http_proxy_to_wsgi snapshots
               versionnegotiation osprofiler authurl authtoken context
               apiv1app

Snapshot routes (``/v1/{tenant}/stacks/{name}/{id}/snapshots[/...]``) are
then served by our API application (its own authentication, policy and
RPC to our engines, configured in the same heat.conf); every other request
goes down Heat's pipeline untouched. The filter also recognises the routes
after Heat's version negotiation has moved ``/v1`` to SCRIPT_NAME.

``[heat_snapshots_api] auth_strategy``: ``keystone`` (the filter ahead of
``authtoken``, as above, validates the token itself) or ``heat_api`` (the
filter after heat-api's authentication and ``context`` middleware takes
the caller heat-api authenticated). ``noauth`` is refused: heat-api does
not start with it.

With the ``heat`` stack driver our snapshots and restores do not pass
through Heat's engine; the filter makes Heat's answers about those stacks
say what Heat's own snapshot and restore would (api/heat_states.py):

* GET of a stack, the stack list, a stack's resources and its events are
  rewritten from our record of the stack's last snapshot or restore;
* a stack update (PUT, PATCH) or delete while our snapshot runs is
  refused with Heat's 409 for a busy stack;
* a stack DELETE Heat accepted starts the deletion of the stack's
  snapshots (an RPC cast; the engine waits for Heat's DELETE_COMPLETE).

Every response the filter passes carries ``X-Heat-Snapshots-Filter``, so
that ``heat-snapshots-status upgrade check`` can tell an endpoint behind
the filter (which the engine must not call).
"""

import io
import json
import re
import threading
from urllib import parse

from oslo_log import log as logging
import webob

from heat_snapshots.api import app as hs_app
from heat_snapshots.api import auth_check
from heat_snapshots.api import fault
from heat_snapshots.api import heat_states
from heat_snapshots.common import context as hs_context
from heat_snapshots.common import exception
from heat_snapshots import conf as hs_conf
from heat_snapshots.db import api as db_api
from heat_snapshots.engine import rpcapi

CONF = hs_conf.CONF
LOG = logging.getLogger(__name__)

PROG = 'heat-api (heat_snapshots.api.paste filter)'
VERSION = '/v1'
SNAPSHOT_ROUTE = re.compile(
    r'^(?P<version>/v1)?/[^/]+/stacks/[^/]+/[^/]+/snapshots(?:/.*)?$')
# A stack named by name and id, and what the filter rewrites below it.
STACK_ROUTE = re.compile(
    r'^/(?P<tenant>[^/]+)/stacks/(?P<name>[^/]+)/(?P<id>[^/]+)'
    r'(?:/resources/(?P<resource>[^/]+)(?P<resource_events>/events)?'
    r'|(?P<rest>/resources|/events))?/?$')
STACK_LIST_ROUTE = re.compile(r'^/[^/]+/stacks(?:/detail)?/?$')
FILTER_HEADER = 'X-Heat-Snapshots-Filter'
CHANGES = ('PUT', 'PATCH', 'DELETE')


def _status_code(status):
    try:
        return int(status.split(None, 1)[0])
    except (ValueError, AttributeError, IndexError):
        return 0


class SnapshotRoutes:
    """Sends snapshot routes to ``snapshots``, the rest to ``application``.

    :param snapshots: our WSGI application, or a callable making it on the
        first snapshot request (so heat-api starts even if it cannot be
        made yet).
    """

    def __init__(self, application, snapshots, configure=None):
        self.application = application
        self._snapshots = snapshots
        # Our database, configured on the first request: heat-api has
        # read its configuration files by then.
        self._configure = configure
        self._app = None
        self._engine_api = None
        self._lock = threading.Lock()

    @property
    def snapshots(self):
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = self._snapshots()
        return self._app

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO', '')
        match = SNAPSHOT_ROUTE.match(path)
        if match is None:
            return self._heat(environ, start_response)
        if match.group('version') is None:
            # Heat's version negotiation moved /v1 to SCRIPT_NAME; our
            # application routes on the full path.
            script_name = environ.get('SCRIPT_NAME', '')
            if not script_name.endswith(VERSION):
                return self._heat(environ, start_response)
            environ = dict(environ,
                           SCRIPT_NAME=script_name[:-len(VERSION)],
                           PATH_INFO=VERSION + path)
        return self.snapshots(environ, start_response)

    # --- Heat's own routes ----------------------------------------------

    @staticmethod
    def _heat_path(environ):
        """The path below ``/v1``, or None (another version)."""
        path = environ.get('PATH_INFO', '')
        if path.startswith(VERSION + '/'):
            return path[len(VERSION):]
        if environ.get('SCRIPT_NAME', '').endswith(VERSION):
            return path
        return None

    def _heat(self, environ, start_response):
        """Heat answers, its answer shown as Heat's own snapshots and
        restores would have left it.
        """
        def marked(status, headers, exc_info=None):
            headers = list(headers) + [(FILTER_HEADER, '1')]
            return start_response(status, headers, exc_info)

        path = self._heat_path(environ)
        if path is None:
            return self.application(environ, marked)
        method = environ.get('REQUEST_METHOD')
        try:
            if method == 'GET' and STACK_LIST_ROUTE.match(path):
                return self._stack_list(environ, marked)
            match = STACK_ROUTE.match(path)
            if match is None or method not in ('GET',) + CHANGES:
                return self.application(environ, marked)
            row = self._record(match.group('id'))
            if row is None:
                return self.application(environ, marked)
            if method == 'GET':
                return self._stack_get(environ, marked, match, row)
            return self._stack_change(environ, marked, match, row)
        except exception.HeatSnapshotsException as error:
            return fault.fault_response(error)(environ, marked)

    def _configured(self):
        if self._configure is not None:
            with self._lock:
                if self._configure is not None:
                    self._configure()
                    self._configure = None

    def _record(self, stack_id):
        try:
            self._configured()
            return heat_states.record(parse.unquote(stack_id))
        except Exception:
            # Heat's answer as it is rather than no answer.
            LOG.exception('Could not read the state of stack %s', stack_id)
            return None

    def _capture(self, environ):
        """(status, headers, body) of Heat's answer."""
        answer = {}
        chunks = []

        def start_response(status, headers, exc_info=None):
            answer['status'], answer['headers'] = status, headers
            return chunks.append
        result = self.application(environ, start_response)
        try:
            for chunk in result:
                chunks.append(chunk)
        finally:
            if hasattr(result, 'close'):
                result.close()
        return answer['status'], answer['headers'], b''.join(chunks)

    @staticmethod
    def _json(status, headers, body):
        content_type = dict((k.lower(), v) for k, v in headers).get(
            'content-type', '')
        if _status_code(status) != 200 or \
                not content_type.startswith('application/json'):
            return None
        try:
            return json.loads(body)
        except ValueError:
            return None

    @staticmethod
    def _respond(start_response, status, headers, body):
        headers = [(k, v) for k, v in headers
                   if k.lower() != 'content-length']
        headers.append(('Content-Length', str(len(body))))
        start_response(status, headers)
        return [body]

    def _stack_list(self, environ, start_response):
        status, headers, body = self._capture(environ)
        parsed = self._json(status, headers, body)
        stacks = parsed.get('stacks') if isinstance(parsed, dict) else None
        if isinstance(stacks, list):
            try:
                self._configured()
                rows = heat_states.records(
                    s.get('id') for s in stacks if isinstance(s, dict))
            except Exception:
                LOG.exception('Could not read the state of listed stacks')
                rows = {}
            changed = [heat_states.rewrite_stack(rows[s['id']], s)
                       for s in stacks if isinstance(s, dict) and
                       s.get('id') in rows]
            if any(changed):
                body = heat_states.dumps(parsed)
        return self._respond(start_response, status, headers, body)

    def _stack_get(self, environ, start_response, match, row):
        status, headers, body = self._capture(environ)
        parsed = self._json(status, headers, body)
        if isinstance(parsed, dict) and self._rewrite(
                environ, match, row, parsed):
            body = heat_states.dumps(parsed)
        return self._respond(start_response, status, headers, body)

    @staticmethod
    def _rewrite(environ, match, row, parsed):
        if match.group('resource_events') or match.group('rest') == \
                '/events':
            events = parsed.get('events')
            if not isinstance(events, list):
                return False
            request = webob.Request(environ)
            stack_url = '%s%s/%s/stacks/%s/%s' % (
                request.host_url, VERSION, match.group('tenant'),
                match.group('name'), match.group('id'))
            resource = match.group('resource')
            parsed['events'] = heat_states.merge_events(
                row, events, stack_url, parse.parse_qs(request.query_string),
                resource_name=parse.unquote(resource) if resource else None)
            return True
        if match.group('rest') == '/resources':
            resources = parsed.get('resources')
            return isinstance(resources, list) and \
                heat_states.rewrite_resources(row, resources)
        if match.group('resource'):
            resource = parsed.get('resource')
            return isinstance(resource, dict) and \
                heat_states.rewrite_resources(row, [resource])
        stack = parsed.get('stack')
        return isinstance(stack, dict) and \
            heat_states.rewrite_stack(row, stack)

    def _stack_change(self, environ, start_response, match, row):
        if match.group('resource') or match.group('rest'):
            return self.application(environ, start_response)
        action = heat_states.busy(row)
        if action is not None and self._visible(environ):
            raise exception.ActionInProgress(
                stack_name=parse.unquote(match.group('name')),
                action=action)
        answer = {}

        def seen(status, headers, exc_info=None):
            answer['status'] = status
            return start_response(status, headers, exc_info)
        result = self.application(environ, seen)
        if 200 <= _status_code(answer.get('status')) < 300:
            self._changed(environ['REQUEST_METHOD'], row)
        return result

    def _visible(self, environ):
        """Whether Heat shows the caller the stack (its own auth)."""
        probe = dict(environ, REQUEST_METHOD='GET', CONTENT_LENGTH='0',
                     QUERY_STRING='')
        probe.pop('CONTENT_TYPE', None)
        probe['wsgi.input'] = io.BytesIO(b'')
        status, _headers, _body = self._capture(probe)
        return _status_code(status) == 200

    def _changed(self, method, row):
        """A client's update or delete passed: Heat's state is its own."""
        try:
            heat_states.superseded(row.stack_id)
        except Exception:
            LOG.exception('Could not record the update of stack %s',
                          row.stack_id)
        if method != 'DELETE':
            return
        LOG.info('Heat accepted the delete of stack %s; its snapshots '
                 'follow', row.stack_id)
        try:
            self.engine_api.stack_deleted(
                hs_context.get_admin_context(), row.stack_id,
                row.project_id)
        except Exception:
            # The notification listener and the stack check remain.
            LOG.exception('Could not tell the engines that stack %s is '
                          'being deleted', row.stack_id)

    @property
    def engine_api(self):
        if self._engine_api is None:
            self._engine_api = rpcapi.EngineAPI()
        return self._engine_api


def filter_factory(global_conf, **local_conf):
    """The paste.deploy filter factory (``paste.filter_factory``).

    :raises: RuntimeError, so that heat-api does not start, for an auth
        set-up the filter must not serve with (noauth above all).
    """
    problem = auth_check.startup_problem(CONF, PROG, auth_check.FILTER)
    if problem:
        raise RuntimeError(problem)

    def snapshots_filter(application):
        return SnapshotRoutes(application, lambda: hs_app.setup_app(CONF),
                              configure=lambda: db_api.configure(CONF))
    return snapshots_filter
