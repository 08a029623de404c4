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

"""GET of a stack's snapshots and of one snapshot, beside pecan.

pecan routes a request through five controllers and inspects each one's
methods (argument specs, members) again on every request: more CPU than
all the rest of a snapshot show. These two reads, the API's busiest
calls, are answered here by the controllers' own functions, with the
same checks in the same order: the caller's context (hooks.ContextHook),
the URL's tenant (controllers/v1), the handler's policy check, then the
engine. Every other request goes to pecan, and so does any such GET that
pecan could route otherwise or that carries more than a path: a segment
that names an attribute of a controller, a query string, a body, a path
that is not UTF-8.
"""

import re

import pecan.rest
import webob

from heat_snapshots.api.controllers import root
from heat_snapshots.api.controllers import v1
from heat_snapshots.api.controllers.v1 import snapshots
from heat_snapshots.api.controllers.v1 import stacks
from heat_snapshots.api.controllers.v1 import utils
from heat_snapshots.api import fault
from heat_snapshots.common import context as hs_context

# /v1/{tenant}/stacks/{name}/{id}/snapshots[/{snapshot_id}]
_PATH = re.compile(r'^/v1/([^/]+)/stacks/([^/]+)/([^/]+)/snapshots'
                   r'(?:/([^/]+))?$')

# Segments pecan might take for something else than an id: the names of
# the controllers' attributes (handlers) and children, and the last
# segments pecan's RestController reads as actions.
_CONTROLLERS = (root.RootController, v1.Controller, stacks.StacksController,
                stacks.StackController, snapshots.SnapshotsController,
                snapshots.SnapshotController, snapshots.RestoreController,
                pecan.rest.RestController)
_RESERVED = frozenset(
    name for cls in _CONTROLLERS
    for name in dir(cls) + list(getattr(cls, '_children', ()))).union(
    ('new', 'edit', 'delete'))


def route(environ):
    """(tenant, stack name, stack id, snapshot id or None) of a read
    answered here, or None for pecan.
    """
    if environ.get('REQUEST_METHOD') != 'GET' or \
            environ.get('QUERY_STRING') or \
            environ.get('CONTENT_LENGTH') not in (None, '', '0') or \
            'HTTP_TRANSFER_ENCODING' in environ:
        return None
    try:
        # As webob (and so pecan) decodes it.
        path = environ.get('PATH_INFO', '').encode('latin-1').decode(
            'utf-8')
    except UnicodeError:
        return None
    match = _PATH.match(path)
    if match is None:
        return None
    segments = match.groups()
    if any(segment is not None and (segment.startswith('_') or
                                    segment in _RESERVED)
           for segment in segments):
        return None
    return segments


class SnapshotReads:
    """Answers snapshot show and list itself; the rest goes to pecan.

    :param application: the pecan app.
    :param rpc_hook: pecan's RPCHook, whose EngineAPI this shares.
    """

    def __init__(self, application, rpc_hook):
        self.application = application
        self.rpc_hook = rpc_hook

    def __call__(self, environ, start_response):
        found = route(environ)
        if found is None:
            return self.application(environ, start_response)
        try:
            body = self._answer(environ, *found)
            response = webob.Response(body=fault.body_bytes(body),
                                      content_type='application/json',
                                      charset=None)
        except Exception as error:
            response = fault.fault_response(error)
        return response(environ, start_response)

    def _answer(self, environ, tenant_id, stack_name, stack_id,
                snapshot_id):
        context = hs_context.RequestContext.from_environ(environ)
        v1.check_tenant(context, tenant_id)
        identity = utils.stack_identity(tenant_id, stack_name, stack_id)
        engine = self.rpc_hook.engine_api
        if snapshot_id is None:
            return snapshots.list_snapshots(context, engine, identity)
        return snapshots.show_snapshot(context, engine, identity,
                                       snapshot_id)
