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

"""/v1/{tenant_id}/stacks: lookup, and the local stack driver's CRUD.

Routing of /stacks/{a}/{b}, decided as Heat's routes decide it:

* ``/stacks/{name_or_id}`` is a lookup: 302 to the stack's URL.
* ``/stacks/{name}/{path}`` with ``path`` one of Heat's lookup sub-paths
  (resources, events, template, environment, files) is a lookup too: 302 to
  ``/stacks/{name}/{id}/{path}``.
* Anything else takes ``b`` as the stack id: ``/stacks/{name}/snapshots``
  is the stack ``name`` with id ``snapshots``, which the engine does not
  find (404), exactly as Heat answers.
"""

from http import client as http_client

import pecan
import webob.exc

from heat_snapshots.api.controllers import base
from heat_snapshots.api.controllers.v1 import events
from heat_snapshots.api.controllers.v1 import outputs
from heat_snapshots.api.controllers.v1 import resources
from heat_snapshots.api.controllers.v1 import snapshots
from heat_snapshots.api.controllers.v1 import utils
from heat_snapshots.api import fault
from heat_snapshots.api.schemas.v1 import stacks as schema
from heat_snapshots.api import validation
from heat_snapshots.common import exception
from heat_snapshots.common import trusts
from heat_snapshots.policies import stacks as policies

_STACK_CHILDREN = ('snapshots', 'resources', 'template', 'events',
                   'environment', 'files', 'outputs')

LOOKUP_PATHS = ('resources', 'events', 'template', 'environment', 'files')

# Query parameters of GET /stacks passed to the engine as filters.
_LIST_FILTERS = ('id', 'name', 'status', 'action')

_TRUE = ('true', 't', 'yes', 'y', 'on', '1')
_FALSE = ('false', 'f', 'no', 'n', 'off', '0')


def _parse_mapping(value, what):
    """A template or environment given as a JSON or YAML string."""
    if isinstance(value, dict):
        return value
    # No YAML anchors or aliases, the size capped.
    parsed = validation.load_yaml(value, what)
    if not isinstance(parsed, dict):
        raise exception.BadRequest(
            '%s not in valid format: The %s is not a JSON object or YAML '
            'mapping.' % (what, what.lower()))
    validation.check_document(parsed, what.lower())
    return parsed


def _int_arg(name, value, clamp=False):
    return utils.int_arg(name, value, clamp=clamp)


def _bool_arg(name, value):
    if isinstance(value, bool):
        return value
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise exception.BadRequest(
        'Unrecognized value \'%s\' for \'%s\', acceptable values are: '
        'true, false.' % (value, name))


def _tags(value):
    if isinstance(value, str):
        value = value.split(',')
    return [t.strip() for t in value if t.strip()]


def _definition(body, patch=False):
    """(template, params, files, environment, args) from a request body.

    :raises: BadRequest with Heat's message for a missing template.
    """
    template = body.get('template')
    if template is None:
        if body.get('template_url'):
            raise exception.BadRequest(
                'template_url is not supported by heat-snapshots: send the '
                'template itself in "template".')
        if not patch:
            raise exception.BadRequest('No template specified')
    else:
        template = _parse_mapping(template, 'Template')
    environment = body.get('environment')
    if environment is not None:
        environment = _parse_mapping(environment, 'Environment')
    args = {}
    if body.get('tags') is not None:
        args['tags'] = _tags(body['tags'])
    if body.get('timeout_mins') is not None:
        args['timeout_mins'] = _int_arg('timeout_mins', body['timeout_mins'])
    if body.get('disable_rollback') is not None:
        args['disable_rollback'] = _bool_arg('disable_rollback',
                                             body['disable_rollback'])
    return (template, body.get('parameters') or {}, body.get('files') or {},
            environment or {}, args)


class StacksController(base.RestController):
    """/v1/{tenant_id}/stacks"""

    def __init__(self, tenant_id):
        self.tenant_id = tenant_id

    @fault.expose()
    def get_all(self):
        utils.authorize(policies.INDEX)
        params = pecan.request.GET
        filters = {k: params[k] for k in _LIST_FILTERS if k in params}
        limit = params.get('limit')
        if limit is not None:
            # More than the table can hold means all of them.
            limit = _int_arg('limit', limit, clamp=True)
        stacks = utils.stacks().list_stacks(utils.context(),
                                            filters=filters or None,
                                            limit=limit)
        return {'stacks': [utils.format_stack(s) for s in stacks]}

    @fault.expose(status_code=http_client.CREATED)
    def post(self):
        utils.authorize(policies.CREATE)
        body = validation.json_body(pecan.request)
        if 'stack_name' not in body:
            raise exception.BadRequest('No stack name specified')
        validation.validate(body, schema.create)
        template, params, files, environment, args = _definition(body)
        identity = utils.stacks().create_stack(
            utils.context(), body['stack_name'], template, params, files,
            environment, args)
        location = utils.stack_url(identity)
        # As Heat: the new stack's URL in Location, too.
        pecan.response.headers['Location'] = location
        return {'stack': {'id': identity[utils.STACK_ID],
                          'links': [utils.link(location)]}}

    @pecan.expose()
    def _lookup(self, stack_name, *remainder):
        if not remainder:
            return StackLookupController(self.tenant_id, stack_name), ()
        if len(remainder) == 1 and remainder[0] in LOOKUP_PATHS:
            return (StackLookupController(self.tenant_id, stack_name,
                                          remainder[0]), ())
        identity = utils.stack_identity(self.tenant_id, stack_name,
                                        remainder[0])
        return StackController(identity), remainder[1:]


class StackLookupController(base.RestController):
    """GET /stacks/{name_or_id}[/{path}]: 302 to the stack's own URL.

    python-heatclient resolves a name or id this way before calling the
    snapshot endpoints.
    """

    def __init__(self, tenant_id, stack_name_or_id, path=None):
        self.tenant_id = tenant_id
        self.stack_name_or_id = stack_name_or_id
        self.path = path

    @fault.expose()
    def get_all(self):
        return self._redirect()

    # Heat's lookup of /stacks/{name_or_id} answers every method (python-
    # heatclient follows the 302 with the same method: PUT, PATCH and
    # DELETE by name); its sub-paths answer GET and POST.

    @fault.expose()
    def post(self):
        return self._redirect()

    @fault.expose()
    def put(self):
        return self._redirect(sub_paths=False)

    @fault.expose()
    def patch(self):
        return self._redirect(sub_paths=False)

    @fault.expose()
    def delete(self):
        return self._redirect(sub_paths=False)

    def _redirect(self, sub_paths=True):
        if self.path and not sub_paths:
            raise webob.exc.HTTPMethodNotAllowed()
        utils.authorize(policies.LOOKUP)
        identity = utils.engine().identify_stack(utils.context(),
                                                 self.stack_name_or_id)
        path = (self.path,) if self.path else ()
        location = utils.stack_url(identity, *path)
        if pecan.request.query_string:
            location += '?' + pecan.request.query_string
        return fault.status_page(webob.exc.HTTPFound, pecan.request,
                                 location=location)


class TemplateController(base.RestController):
    """/stacks/{name}/{id}/template"""

    def __init__(self, identity):
        self.identity = identity

    @fault.expose()
    def get_all(self):
        utils.authorize(policies.TEMPLATE)
        return utils.stacks().get_template(utils.context(), self.identity)


class EnvironmentController(base.RestController):
    """/stacks/{name}/{id}/environment"""

    def __init__(self, identity):
        self.identity = identity

    @fault.expose()
    def get_all(self):
        utils.authorize(policies.ENVIRONMENT)
        return utils.stacks().get_environment(utils.context(),
                                              self.identity)


class FilesController(base.RestController):
    """/stacks/{name}/{id}/files"""

    def __init__(self, identity):
        self.identity = identity

    @fault.expose()
    def get_all(self):
        utils.authorize(policies.FILES)
        return utils.stacks().get_files(utils.context(), self.identity)


class StackController(base.RestController):
    """/stacks/{name}/{id}: the engine checks that name and id match."""

    _children = _STACK_CHILDREN

    def __init__(self, identity):
        self.identity = identity
        self.snapshots = snapshots.SnapshotsController(identity)
        self.resources = resources.ResourcesController(identity)
        self.template = TemplateController(identity)
        self.events = events.EventsController(identity)
        self.environment = EnvironmentController(identity)
        self.files = FilesController(identity)
        self.outputs = outputs.OutputsController(identity)

    @fault.expose()
    def get_all(self):
        utils.authorize(policies.SHOW)
        stack = utils.stacks().show_stack(utils.context(), self.identity)
        return {'stack': utils.format_stack(stack)}

    def _update(self, patch):
        body = validation.json_body(pecan.request)
        validation.validate(body, schema.update)
        template, params, files, environment, args = _definition(
            body, patch=patch)
        utils.stacks().update_stack(utils.context(), self.identity,
                                    template, params, files, environment,
                                    args, existing=patch)
        return fault.status_page(webob.exc.HTTPAccepted, pecan.request)

    @fault.expose()
    def put(self):
        utils.authorize(policies.UPDATE)
        return self._update(patch=False)

    @fault.expose()
    def patch(self):
        utils.authorize(policies.UPDATE_PATCH)
        return self._update(patch=True)

    @fault.expose(status_code=http_client.NO_CONTENT)
    def delete(self):
        utils.authorize(policies.DELETE)
        # The delete of the stack's snapshots and artifacts outlives the
        # request's token: it runs on a trust, as a snapshot delete.
        with trusts.delegated(utils.context()) as context:
            utils.stacks().delete_stack(context, self.identity)

    @pecan.expose()
    def _lookup(self, *remainder):
        return self._route_to_child(remainder)
