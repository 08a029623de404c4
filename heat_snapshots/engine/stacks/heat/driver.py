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

"""The ``heat`` stack driver: stacks live in the cloud's Heat.

Stacks are read through Heat's REST API (orchestration v1): the stack,
its template, environment, files and resources. Heat keeps doing stack
CRUD (a read-only ``StackDriver``); a restore is a stack update (PUT) to the
snapshot's template, environment and files, each resource definition
already rewritten by its plugin, waited for until UPDATE_COMPLETE. A
project's stacks are listed from Heat's stack list, paged, filtered by tags
by Heat (a snapshot policy by tags).

With ``[heat_snapshots_heat] auth_type = none`` and an endpoint the driver
talks to a Heat running its noauth pipeline, naming the caller with
``X-Auth-User`` / ``X-Auth-Project``.

Isolation does not rest on Heat alone (a noauth Heat, or admin credentials,
would answer for any project): a stack is the caller's only when Heat's
answer says it is owned by the caller's project (admins aside), and only
when it is the stack asked for (a lookup by id must return that id; a name
is not an id). Anything else is "not found", with Heat's 404. Ids and names
are quoted in every URL.

``stack_presence`` answers the stack follower, which deletes snapshots
only on positive proof that Heat deleted the stack: see
``engine/heat_listener.py``.
"""

import json
import time
from urllib import parse

from keystoneauth1 import adapter as ks_adapter
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading
from oslo_log import log as logging
from oslo_utils import timeutils

from heat_snapshots.common import clients
from heat_snapshots.common import exception
from heat_snapshots.common import states
from heat_snapshots.db import api as db_api
from heat_snapshots.engine import hidden_parameters
from heat_snapshots.engine.stacks import base
from heat_snapshots.engine import walk

LOG = logging.getLogger(__name__)

GROUP = 'heat_snapshots_heat'
SERVICE_TYPE = 'orchestration'
NOAUTH = 'none'
# Set by api/paste.py on every answer that passed the heat-api filter.
FILTER_HEADER = 'X-Heat-Snapshots-Filter'

UPDATE = states.UPDATE
ROLLBACK = states.ROLLBACK
DELETE_COMPLETE = states.stack_status(states.DELETE, states.COMPLETE)

# What Heat says of a stack, for the stack follower (stack_presence).
FOUND = base.FOUND            # Heat has the stack, alive
DELETED = base.DELETED        # Heat shows it DELETE_COMPLETE: proof
NOT_FOUND = base.NOT_FOUND    # Heat's own fault body: no such stack (by id)
UNKNOWN = base.UNKNOWN        # anything else: proves nothing

#: Stacks asked of Heat per page of its stack list (``limit``); the next
#: page starts after the last stack of this one (``marker``), as Heat's
#: own ``next`` link does.
LIST_PAGE_SIZE = 100


def quote(value):
    """One URL path segment: ``/``, ``?``, ``#``, ``%`` are escaped."""
    return parse.quote(str(value), safe='')


def heat_error(response):
    """Heat's error message from a fault body, or the status line."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get('error')
        if isinstance(error, dict) and error.get('message'):
            return error['message']
        if body.get('explanation'):
            return body['explanation']
    return '%s %s' % (response.status_code, response.reason or '')


def link_href(item, rel):
    """The ``href`` of the link ``rel`` of a resource item, or None."""
    for link in item.get('links') or ():
        if link.get('rel') == rel:
            return link.get('href')
    return None


def stack_path(href):
    """``/stacks/{name}/{id}`` from a stack link, or None."""
    if not href:
        return None
    parts = parse.urlparse(href).path.rstrip('/').split('/')
    try:
        index = len(parts) - 1 - parts[::-1].index('stacks')
    except ValueError:
        return None
    if len(parts) < index + 3:
        return None
    return '/stacks/%s/%s' % (parts[index + 1], parts[index + 2])


def link_stack_id(item, rel):
    """The stack id of a resource item's ``stack`` or ``nested`` link."""
    path = stack_path(link_href(item, rel))
    return path.rsplit('/', 1)[1] if path else None


def stack_owner(body):
    """The project owning a stack, from Heat's stack body, or None.

    Heat gives ``project`` to admins listing every project; otherwise its
    ``self`` link names it: ``.../v1/{tenant}/stacks/{name}/{id}``.
    """
    if body.get('project'):
        return body['project']
    href = link_href(body, 'self')
    if not href:
        return None
    parts = parse.urlparse(href).path.rstrip('/').split('/')
    if len(parts) < 4 or parts[-3] != 'stacks':
        return None
    return parse.unquote(parts[-4]) or None


def heat_not_found(response):
    """Heat's own EntityNotFound fault (a dict), or None.

    Heat's fault body is JSON: ``{"code": 404, "title": "Not Found",
    "explanation": ..., "error": {"type": "EntityNotFound", "message":
    ..., "traceback": null}}``. A proxy's HTML 404, a 404 of another
    service (a wrong catalog entry) or any other body is not one.
    """
    if response.status_code != 404:
        return None
    content_type = response.headers.get('Content-Type') or ''
    if content_type.split(';')[0].strip() != 'application/json':
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or body.get('code') != 404:
        return None
    error = body.get('error')
    if not isinstance(error, dict) or error.get('type') != 'EntityNotFound':
        return None
    return error


def is_stack_not_found(response, stack_id):
    """Whether ``response`` is Heat's own "no stack ``stack_id``": its
    EntityNotFound fault "The Stack (<the id asked for>) could not be
    found.".
    """
    error = heat_not_found(response)
    message = (error or {}).get('message')
    return isinstance(message, str) and message.rstrip('.') == (
        'The Stack (%s) could not be found' % stack_id)


def started_event(event):
    """Whether one of Heat's events says an action started."""
    return (event.get('resource_status') or '').endswith(
        '_' + states.IN_PROGRESS)


def template_resources(template):
    """The resource definitions of a HOT or CFN template."""
    template = template or {}
    return template.get('resources') or template.get('Resources') or {}


def restore_request(stack, template, environment, files):
    """(method, body) of the stack update that restores a snapshot.

    A PUT with the snapshot's template, environment and files; but Heat
    shows hidden parameters as ``******`` and the snapshot holds that, not
    the value. Sent back, it would become the value. Then the update is a
    PATCH leaving those parameters out, so that Heat keeps their current
    values, and clearing the parameters the stack has gained since the
    snapshot (``clear_parameters``), as the PUT would have.
    """
    environment = environment or {}
    body = {'template': template, 'environment': environment,
            'files': files or {}}
    masked = hidden_parameters.masked_names(environment, template, files)
    if not masked:
        return 'PUT', body
    LOG.info('Stack %s: hidden parameters %s are kept at their current '
             'values (Heat never showed the snapshot\'s)', stack.id,
             ', '.join(sorted(n for names in masked.values()
                              for n in names)))
    environment = dict(environment)
    for section, names in masked.items():
        environment[section] = {
            name: value for name, value in environment[section].items()
            if name not in names}
    kept = set(environment.get('parameters') or {}).union(
        masked.get('parameters', ()))
    current = (stack.environment or {}).get('parameters') or {}
    body.update(environment=environment,
                clear_parameters=sorted(set(current) - kept))
    return 'PATCH', body


def _parent_paths(changes, top_id):
    """Make each entry's ``parent_resource`` the path of its parent from
    the top stack (``group/0``), as the local driver gives it.

    Heat's preview names only the parent resource in its own stack, which
    at two levels or more deep does not say which resource it is. Each
    entry that owns a nested stack says which (``nested_stack_identity``),
    so the chain of owners is followed up to ``top_id``; where it breaks
    (a nested stack the restore would make), Heat's name is kept.
    """
    owners = {}
    for entries in changes.values():
        for entry in entries:
            nested = (entry.get('nested_stack_identity') or {}).get(
                'stack_id')
            if nested:
                owners[nested] = ((entry.get('stack_identity') or {}).get(
                    'stack_id'), entry.get('resource_name'))
    for entries in changes.values():
        for entry in entries:
            if not entry.get('parent_resource'):
                continue
            names = []
            stack_id = (entry.get('stack_identity') or {}).get('stack_id')
            while stack_id in owners and len(names) <= len(owners):
                stack_id, name = owners[stack_id]
                names.insert(0, name)
            if stack_id == top_id and names:
                entry['parent_resource'] = '/'.join(names)


class HeatStackDriver(base.StackDriver):
    """Reads Heat's stacks; restores by updating them through Heat."""

    @property
    def _options(self):
        return self.conf[GROUP]

    # --- the HTTP client --------------------------------------------------

    def _endpoint(self, project_id, auth=None):
        endpoint = self._options.endpoint_override
        if not endpoint and auth is not None:
            endpoint = getattr(auth, 'endpoint', None)
        if not endpoint:
            return None
        endpoint = clients.format_endpoint(endpoint, project_id)
        if endpoint.rstrip('/').endswith('/v1') and project_id:
            endpoint = '%s/%s' % (endpoint.rstrip('/'), project_id)
        return endpoint

    def _client(self, context, project_id=None):
        """An adapter on Heat's API acting in the stack's project."""
        project_id = project_id or getattr(context, 'project_id', None)
        headers = {'Accept': 'application/json'}
        auth_type = self._options.auth_type
        if auth_type == NOAUTH:
            auth = ks_loading.load_auth_from_conf_options(self.conf, GROUP)
            endpoint = self._endpoint(project_id, auth)
            if endpoint is None:
                raise exception.ServiceUnavailable(
                    reason='[%s] auth_type = none needs endpoint_override'
                           % GROUP)
            session = ks_loading.load_session_from_conf_options(
                self.conf, GROUP,
                timeout=clients.session_timeout(self.conf, GROUP))
            headers['X-Auth-User'] = (self._options.noauth_user or
                                      getattr(context, 'user_id', None) or
                                      'admin')
            headers['X-Auth-Project'] = project_id or 'admin'
            return ks_adapter.Adapter(
                session, service_type=SERVICE_TYPE,
                endpoint_override=endpoint, auth=None,
                additional_headers=headers)
        if auth_type:
            auth = clients.service_auth(self.conf, project_id, group=GROUP)
            session = clients.get_session(context, self.conf, group=GROUP,
                                          auth=auth)
        else:
            session = clients.get_session(context, self.conf, group=GROUP)
        return ks_adapter.Adapter(
            session, service_type=SERVICE_TYPE,
            interface=self._options.interface,
            region_name=self._options.region_name,
            endpoint_override=self._endpoint(project_id),
            global_request_id=getattr(context, 'global_id', None),
            additional_headers=headers)

    def _send(self, client, method, path, **kwargs):
        """One request to Heat; a timeout raises CloudTimeout.

        :raises: ServiceUnavailable when the endpoint is a heat-api with
            our filter: its answers are the filter's, not Heat's, and its
            workers may be waiting for this engine.
        """
        with clients.timeouts_as_errors(
                'Heat', clients.session_timeout(self.conf, GROUP)):
            response = client.request(path, method, raise_exc=False,
                                      **kwargs)
        if response.headers.get(FILTER_HEADER):
            LOG.error('Heat endpoint %s is a heat-api with the '
                      'heat-snapshots filter; the heat driver needs one '
                      'without it (Heat\'s internal endpoint)',
                      response.url)
            raise exception.ServiceUnavailable(
                reason='the heat driver\'s Heat endpoint is behind the '
                       'heat-snapshots filter')
        return response

    def _request(self, client, method, path, not_found=None, **kwargs):
        response = self._send(client, method, path, **kwargs)
        if not_found is not None and heat_not_found(response) is not None:
            # Heat's own answer; any other 404 (a proxy's page) is an
            # error of the service, not a missing stack.
            raise exception.StackNotFound(not_found)
        if response.status_code >= 400:
            raise exception.ServiceUnavailable(
                reason='Heat answered %s %s: %s' % (
                    method, path, heat_error(response)))
        return response

    def _get(self, client, path, not_found=None):
        return self._request(client, 'GET', path, not_found).json()

    # --- reading stacks ---------------------------------------------------

    def _stack(self, context, body):
        action, status = states.split_stack_status(body.get('stack_status'))
        return base.Stack(
            id=body['id'],
            name=body['stack_name'],
            project_id=stack_owner(body),
            action=action,
            status=status,
            status_reason=body.get('stack_status_reason'),
            tags=list(body.get('tags') or []),
            stack_user_project_id=body.get('stack_user_project_id'),
            user_id=body.get('stack_owner'),
            timeout_mins=body.get('timeout_mins'),
            disable_rollback=body.get('disable_rollback', True),
            outputs=list(body.get('outputs') or []),
            parameters=dict(body.get('parameters') or {}),
            description=body.get('description') or '',
            created_at=body.get('creation_time'),
            updated_at=body.get('updated_time'),
            deleted_at=body.get('deletion_time'))

    def _show(self, context, client, name_or_id, show_deleted=False,
              by_id=True, project_id=None):
        """The stack Heat names ``name_or_id``, if it is the caller's.

        Heat answers a lookup (``GET /stacks/{name_or_id}``) with a redirect
        to ``/stacks/{name}/{id}``, by name too; the stack must be the one
        asked for: the id asked for (``by_id``), or its id or name, and
        owned by the caller's project (``project_id``, default the
        context's) unless the caller is an admin.

        :raises: StackNotFound naming ``name_or_id`` otherwise.
        """
        body = self._get(client, '/stacks/%s' % quote(name_or_id),
                         not_found=name_or_id)
        stack = body.get('stack') if isinstance(body, dict) else None
        if not isinstance(stack, dict) or not stack.get('id'):
            raise exception.ServiceUnavailable(
                reason='Heat answered the lookup of stack %s without a '
                       'stack' % name_or_id)
        names = (stack['id'],) if by_id else (stack['id'],
                                              stack.get('stack_name'))
        if name_or_id not in names:
            # A name where an id is required, or another stack.
            LOG.info('Heat answered the lookup of stack %s with stack %s; '
                     'not the one asked for', name_or_id, stack['id'])
            raise exception.StackNotFound(name_or_id)
        if stack.get('stack_status') == DELETE_COMPLETE and \
                not show_deleted:
            raise exception.StackNotFound(name_or_id)
        result = self._stack(context, stack)
        caller = project_id or getattr(context, 'project_id', None)
        if result.project_id is None or (
                result.project_id != caller and
                not getattr(context, 'is_admin', False)):
            LOG.warning('Heat answered the lookup of stack %s in project %s '
                        'with a stack of project %s; refused', name_or_id,
                        caller, result.project_id)
            raise exception.StackNotFound(name_or_id)
        return result

    @staticmethod
    def _path(stack):
        return '/stacks/%s/%s' % (quote(stack.name), quote(stack.id))

    def find_stack(self, context, stack_name_or_id):
        client = self._client(context)
        return self._show(context, client, stack_name_or_id, by_id=False)

    def get_stack(self, context, stack_id, with_resources=True,
                  show_deleted=False, project_id=None):
        client = self._client(context, project_id)
        stack = self._show(context, client, stack_id, show_deleted,
                           project_id=project_id)
        path = self._path(stack)
        stack.template = self._get(client, path + '/template',
                                   not_found=stack_id)
        stack.environment = self._get(client, path + '/environment',
                                      not_found=stack_id)
        stack.files = self._get(client, path + '/files', not_found=stack_id)
        if with_resources:
            stack.resources = self._resources(client, path, stack)
        return stack

    def get_stack_summary(self, context, stack_id):
        """Heat's stack show alone: no template, environment or files."""
        return self._show(context, self._client(context), stack_id)

    def list_stacks(self, context, limit=None, **filters):
        """The live stacks of the context's project, from Heat's stack list
        (``GET /stacks``), every page of it.

        Heat is asked for the project's stacks only (``tenant``: a caller
        Heat takes for an admin, the service user for one, would get every
        project's) carrying one of the tags (``tags_any``), ``limit``
        stacks a page, the next page after the last stack (``marker``)
        until a page is not full. Whatever Heat lists, a stack of another
        project is left out (the isolation rule of this driver) and so is
        one DELETE_COMPLETE. Other filters (``id``, ``name``, ``action``,
        ``status``) are applied to what Heat listed.

        ``context`` may be a service context (a policy's run): the client
        acts in its project as ``_client`` does for any call (the service
        user scoped to the project, or noauth's ``X-Auth-Project``).

        :raises: ServiceUnavailable naming Heat's answer when Heat answers
            anything but a stack list (401, 403, 5xx, a proxy's HTML page,
            a body that is not Heat's), does not answer (CloudTimeout) or
            pages without moving on: never an empty list instead.
            NoProjectScope for a context without a project.
        """
        project_id = getattr(context, 'project_id', None)
        if not project_id:
            raise clients.NoProjectScope(
                reason='Heat\'s stacks are listed in one project')
        query = {'tenant': project_id}
        if base.TAGS_ANY in filters:
            tags = base.storable_tags(filters.pop(base.TAGS_ANY))
            if not tags:
                # No stack can carry any of them: nothing to ask Heat.
                return []
            query[base.TAGS_ANY] = ','.join(tags)
        client = self._client(context, project_id)
        stacks, seen, marker = [], set(), None
        while True:
            page = dict(query, limit=LIST_PAGE_SIZE)
            if marker is not None:
                page['marker'] = marker
            items = self._list_page(client, '/stacks?' + parse.urlencode(
                sorted(page.items()), safe=','))
            new = [item for item in items if item['id'] not in seen]
            if items and not new:
                raise exception.ServiceUnavailable(
                    reason='Heat\'s stack list does not move past stack %s '
                           '(marker): the page after it lists the same '
                           'stacks again' % marker)
            for item in new:
                seen.add(item['id'])
                stack = self._listed(context, item, project_id)
                if stack is None or not all(
                        base.matches_filter(getattr(stack, key, None),
                                            value)
                        for key, value in filters.items()
                        if value is not None):
                    continue
                stacks.append(stack)
                if limit is not None and len(stacks) >= limit:
                    return stacks
            if len(items) != LIST_PAGE_SIZE:
                # The last page (or a Heat that gave them all at once).
                return stacks
            marker = items[-1]['id']

    def _list_page(self, client, path):
        """The items of one page of Heat's stack list.

        :raises: ServiceUnavailable unless Heat answered 200 with its
            ``{"stacks": [...]}``, each item a stack with an id.
        """
        try:
            response = self._request(client, 'GET', path)
        except ks_exc.ClientException as error:
            # No answer of Heat's: refused connection, no endpoint in the
            # catalog, Keystone refusing the credentials...
            LOG.warning('Could not list Heat\'s stacks (GET %s): %s', path,
                        error)
            raise exception.ServiceUnavailable(
                reason='Heat\'s stack list could not be read: %s' %
                       type(error).__name__) from error
        try:
            body = response.json()
        except ValueError:
            body = None
        items = body.get('stacks') if isinstance(body, dict) else None
        if not isinstance(items, list) or not all(
                isinstance(item, dict) and item.get('id') and
                item.get('stack_name') and item.get('stack_status')
                for item in items):
            raise exception.ServiceUnavailable(
                reason='Heat answered GET %s with %s %s, not its stack list'
                       % (path, response.status_code,
                          response.headers.get('Content-Type') or
                          'no content type'))
        return items

    def _listed(self, context, item, project_id):
        """The Stack of one item of Heat's list; None when it is not a
        live stack of ``project_id``.
        """
        stack = self._stack(context, item)
        if stack.project_id is None:
            raise exception.ServiceUnavailable(
                reason='Heat listed stack %s without the project owning it'
                       % stack.id)
        if stack.project_id != project_id:
            LOG.warning('Heat listed stack %s of project %s among the '
                        'stacks of project %s; left out', stack.id,
                        stack.project_id, project_id)
            return None
        if (stack.action, stack.status) == (states.DELETE, states.COMPLETE):
            return None
        return stack

    def stack_presence(self, context, stack_id, project_id):
        """What Heat says of stack ``stack_id`` of project ``project_id``.

        One lookup by id, in the owning project (``context`` is the service
        user scoped to it). Heat looks ids up among deleted stacks too, so
        a stack Heat deleted (and has not purged yet) shows as
        ``DELETE_COMPLETE``.

        :returns: FOUND (Heat has it), DELETED (seen DELETE_COMPLETE: proof
            that Heat deleted it), NOT_FOUND (Heat's own EntityNotFound
            fault body for this id: to be confirmed later) or UNKNOWN
            (anything else: an HTML 404, another service's 404, 401, 403,
            5xx, a stack of another project or with another id).
        :raises: ServiceUnavailable (CloudTimeout) when Heat does not
            answer: unknown too.
        """
        client = self._client(context, project_id)
        response = self._send(client, 'GET', '/stacks/%s' % quote(stack_id))
        if is_stack_not_found(response, stack_id):
            return NOT_FOUND
        if response.status_code != 200:
            LOG.warning('Heat\'s answer about stack %s of project %s proves '
                        'nothing: %s', stack_id, project_id,
                        heat_error(response))
            return UNKNOWN
        try:
            body = response.json()
        except ValueError:
            body = None
        stack = body.get('stack') if isinstance(body, dict) else None
        if not isinstance(stack, dict) or stack.get('id') != stack_id or \
                stack_owner(stack) != project_id:
            LOG.warning('Heat answered the lookup of stack %s of project %s '
                        'with something else; proves nothing', stack_id,
                        project_id)
            return UNKNOWN
        if stack.get('stack_status') == DELETE_COMPLETE:
            return DELETED
        return FOUND

    def _resources(self, client, path, stack):
        """The stack's resources, and those of its nested stacks.

        One ``GET .../resources?nested_depth=N&with_detail=true`` lists
        every level (a ResourceGroup's members, the resources of a template
        resource or of an OS::Heat::Stack of this cloud). A nested resource
        is named by its path from the top stack, ``group/0`` or
        ``group/0/server`` (Heat forbids ``/`` in resource names); it
        requires its siblings as ``required_by`` says, and its parent
        requires it, so that a group is done once its members are.
        """
        depth = self._options.nested_depth
        query = '?with_detail=true'
        if depth:
            query += '&nested_depth=%d' % depth
        body = self._get(client, path + '/resources' + query,
                         not_found=stack.id)
        items = body.get('resources') or []
        by_stack = {}
        parents = {}
        for item in items:
            stack_id = link_stack_id(item, 'stack') or stack.id
            by_stack.setdefault(stack_id, []).append(item)
            nested = link_stack_id(item, 'nested')
            if nested:
                parents[nested] = (stack_id, item['resource_name'])
        paths = {}

        def prefix(stack_id, seen=()):
            """The path of the resource owning stack ``stack_id``."""
            if stack_id == stack.id or stack_id not in parents or \
                    stack_id in seen:
                return '' if stack_id == stack.id else None
            parent_stack, name = parents[stack_id]
            above = prefix(parent_stack, seen + (stack_id,))
            if above is None:
                return None
            return '%s%s/' % (above, name)

        for stack_id in by_stack:
            paths[stack_id] = prefix(stack_id)
        resources = []
        for stack_id, stack_items in by_stack.items():
            base_path = paths[stack_id]
            if base_path is None:
                LOG.debug('Stack %s: resources of nested stack %s whose '
                          'parent is not listed are left out', stack.id,
                          stack_id)
                continue
            if stack_id == stack.id:
                definitions = template_resources(stack.template)
            else:
                definitions = self._nested_definitions(client, stack_items)
            resources.extend(self._stack_resources(
                base_path, stack_items, definitions))
        # A resource with a nested stack requires what is inside it.
        by_name = {r.name: r for r in resources}
        for resource in resources:
            parent, _, _ = resource.name.rpartition('/')
            owner = by_name.get(parent) if parent else None
            if owner is not None:
                owner.requires = sorted(set(owner.requires) |
                                        {resource.name})
        return resources

    def _nested_definitions(self, client, items):
        """The resource definitions of the nested stack of ``items``."""
        href = link_href(items[0], 'stack')
        path = stack_path(href)
        if path is None:
            return {}
        try:
            return template_resources(self._get(client, path + '/template'))
        except exception.HeatSnapshotsException as error:
            LOG.warning('Could not read the template of nested stack %s: '
                        '%s', path, error)
            return {}

    def _stack_resources(self, base_path, items, definitions):
        names = {item['resource_name'] for item in items}
        requires = {name: set() for name in names}
        for item in items:
            for dependant in item.get('required_by') or ():
                if dependant in requires:
                    requires[dependant].add(item['resource_name'])
        resources = []
        for item in items:
            name = item['resource_name']
            definition = definitions.get(name) or {}
            properties = (definition.get('properties') or
                          definition.get('Properties') or {})
            attributes = item.get('attributes')
            action, status = states.split_stack_status(
                item.get('resource_status'))
            resources.append(base.Resource(
                name=base_path + name,
                type=item.get('resource_type'),
                physical_resource_id=item.get('physical_resource_id') or None,
                action=action,
                status=status,
                status_reason=item.get('resource_status_reason'),
                requires=sorted(base_path + r for r in requires[name]),
                properties=properties if isinstance(properties, dict)
                else {},
                attributes=attributes if isinstance(attributes, dict)
                else {},
                created_at=item.get('creation_time'),
                updated_at=item.get('updated_time')))
        return resources

    # --- state ----------------------------------------------------------

    def operation_begun(self, context, stack, action, snapshot_id):
        """Note Heat's stack as our snapshot or restore takes it.

        Heat's own stack state cannot be set from outside: the heat-api
        filter shows ours (``api/heat_states.py``) while Heat's
        ``updated_time`` and action stay those noted here, that is until
        the stack's next action in Heat.
        """
        values = {}
        if action == states.SNAPSHOT:
            values['last_snapshot_id'] = snapshot_id
            values['heat_resources'] = None
        db_api.stack_state_set(context, stack.id, dict(values, **{
            'stack_name': stack.name,
            'project_id': stack.project_id,
            'action': action,
            'status': states.IN_PROGRESS,
            'status_reason': 'Stack %s started' % action,
            'snapshot_id': snapshot_id,
            'heat_updated_time': stack.updated_at or stack.created_at,
            'heat_status': states.stack_status(stack.action, stack.status),
            'heat_event_id': None,
            'heat_end_status': None,
            'heat_end_updated_time': None,
            'heat_last_event_id': None,
            'started_at': timeutils.utcnow(),
            'ended_at': None,
        }))

    def operation_ending(self, context, stack, action):
        """Note Heat's own state of the stack as our operation ends, before
        the end shows (a client's update through the filter waits for it).

        Heat's times have whole seconds: an action of Heat's that starts
        in the second ours ended keeps the stack's and its resources'
        times. The filter shows our state while Heat's is the one noted
        here (any other is Heat's next action), and our events after
        Heat's newest event now.
        """
        if action not in (states.SNAPSHOT, states.RESTORE):
            return
        client = self._client(context, stack.project_id)
        path = self._path(stack)
        body = self._get(client, path, not_found=stack.id).get('stack')
        query = parse.urlencode({'sort_dir': 'desc', 'limit': 1})
        newest = self._get(client, path + '/events?' + query,
                           not_found=stack.id).get('events') or []
        values = {}
        if isinstance(body, dict):
            values['heat_end_status'], values['heat_end_updated_time'] = \
                states.heat_stack_mark(body)
        if action == states.SNAPSHOT:
            items = self._get(client, path + '/resources',
                              not_found=stack.id).get('resources') or []
            values['heat_resources'] = json.dumps({
                item.get('resource_name'): states.heat_resource_mark(item)
                for item in items if isinstance(item, dict)})
        last_event_id = newest[0].get('id') if newest and \
            isinstance(newest[0], dict) else None
        db_api.stack_state_ending(context, stack.id, values, last_event_id)

    def set_stack_state(self, context, stack_id, action, status, reason):
        if action not in (states.SNAPSHOT, states.RESTORE):
            LOG.debug('Stack %s: %s_%s (%s), kept to ourselves', stack_id,
                      action, status, reason)
            return
        values = {'action': action, 'status': status,
                  'status_reason': reason}
        if status in states.TERMINAL:
            values['ended_at'] = timeutils.utcnow()
        row = db_api.stack_state_set(context, stack_id, values)
        if action == states.SNAPSHOT:
            self._event(context, row, row.stack_name, stack_id, action,
                        status, reason)
        elif status in states.TERMINAL and not row.heat_event_id:
            # Ended before Heat took its update: Heat's events of it are
            # ours to record.
            self._event(context, row, row.stack_name, stack_id, action,
                        states.IN_PROGRESS, 'Stack %s started' % action,
                        created_at=row.started_at)
            self._event(context, row, row.stack_name, stack_id, action,
                        status, reason)

    def set_resource_state(self, context, stack_id, resource_name, action,
                           status, reason=None):
        if action != states.SNAPSHOT or '/' in resource_name:
            # Heat snapshots the resources of the top stack only.
            return
        row = db_api.stack_state_get_all(context, [stack_id]).get(stack_id)
        if row is not None:
            self._event(context, row, resource_name, None, action, status,
                        reason or states.RESOURCE_STATE_CHANGED)

    @staticmethod
    def _event(context, row, name, physical_id, action, status, reason,
               heat_event_id=None, created_at=None):
        values = {'resource_name': name or row.stack_id,
                  'physical_resource_id': physical_id,
                  'resource_action': action, 'resource_status': status,
                  'resource_status_reason': reason,
                  'heat_event_id': heat_event_id,
                  'heat_after_event_id': None if heat_event_id else
                  row.heat_last_event_id}
        if created_at is not None:
            values['created_at'] = created_at
        db_api.stack_event_add(context, row.stack_id, values)

    def changed_since(self, context, before):
        """Why Heat's stack ``before`` (as read) is no longer the same
        stack state, or None: an action of Heat's own (an update, an
        autoscaling signal's update, a check, a suspend...) started since.
        """
        client = self._client(context, before.project_id)
        current = self._show(context, client, before.id,
                             project_id=before.project_id)
        seen = (before.updated_at or before.created_at, before.action)
        now = (current.updated_at or current.created_at, current.action)
        if seen == now:
            return None
        return ('Stack %s was changed in Heat meanwhile: %s_%s (updated '
                '%s, was %s_%s updated %s); the snapshot may not match any '
                'one state of the stack' % (
                    before.name, current.action, current.status, now[0],
                    before.action, before.status, seen[0]))

    # --- restore ----------------------------------------------------------

    def _stack_events(self, client, stack):
        """Heat's events of the stack itself (not its resources), oldest
        first.
        """
        query = parse.urlencode({'resource_name': stack.name,
                                 'sort_dir': 'asc'})
        body = self._get(client, self._path(stack) + '/events?' + query,
                         not_found=stack.id)
        return [e for e in body.get('events') or ()
                if e.get('physical_resource_id') == stack.id and
                e.get('resource_name') == stack.name]

    def start_restore(self, context, stack, template, environment, files):
        """Send Heat the restore's stack update; return once Heat took it.

        Heat shows the stack UPDATE_IN_PROGRESS (the filter: RESTORE) when
        it answers. The update is told from any other by Heat's event
        "Stack UPDATE started" that it made (Heat's times have whole
        seconds only), noted with the stack's new ``updated_time``.

        :returns: (Heat's updated_time, the event's id) of our update.
        :raises: ResourceFailure when Heat refuses the update.
        """
        client = self._client(context, stack.project_id)
        path = self._path(stack)
        seen = {e.get('id') for e in self._stack_events(client, stack)}
        method, body = restore_request(stack, template, environment, files)
        if stack.timeout_mins:
            body['timeout_mins'] = stack.timeout_mins
        response = self._send(client, method, path, json=body)
        if heat_not_found(response) is not None:
            raise exception.StackNotFound(stack.name)
        if response.status_code >= 400:
            raise exception.ResourceFailure(
                reason='Heat refused the update: %s' % heat_error(response))
        LOG.info('Stack %s: update to snapshot template sent to Heat',
                 stack.id)
        current = self._show(context, client, stack.id,
                             project_id=stack.project_id)
        started = [e for e in self._stack_events(client, stack)
                   if e.get('id') not in seen and started_event(e)]
        event_id = started[0].get('id') if started else None
        marker = (current.updated_at or current.created_at, event_id)
        row = db_api.stack_state_set(context, stack.id, {
            'heat_updated_time': marker[0],
            'heat_status': states.stack_status(states.UPDATE,
                                               states.IN_PROGRESS),
            'heat_event_id': event_id})
        if event_id is not None:
            self._event(context, row, stack.name, stack.id, states.RESTORE,
                        states.IN_PROGRESS, 'Stack %s started' %
                        states.RESTORE, heat_event_id=event_id)
        return marker

    def _restate_end(self, context, stack, events, event_id):
        """Heat's end event of our update (if it came before any other
        action started) is the restore's, as Heat's own restore records.
        """
        after = False
        for event in events:
            if event.get('id') == event_id:
                after = True
                continue
            if not after:
                continue
            if started_event(event):
                return
            action, status = states.split_stack_status(
                event.get('resource_status'))
            if action != UPDATE:
                return
            reason = event.get('resource_status_reason')
            if status == states.COMPLETE:
                reason = 'Stack %s completed successfully' % states.RESTORE
            row = db_api.stack_state_get_all(context, [stack.id])[stack.id]
            self._event(context, row, stack.name, stack.id, states.RESTORE,
                        status, reason, heat_event_id=event.get('id'))
            return

    def _cancel_update(self, client, stack):
        """Ask Heat to cancel the stack's update in progress; Heat's
        refusal (the update just ended) is only logged.
        """
        response = self._send(client, 'POST',
                              self._path(stack) + '/actions',
                              json={'cancel_update': None})
        if response.status_code >= 400:
            LOG.info('Heat did not cancel the update of stack %s: %s',
                     stack.id, heat_error(response))
        else:
            LOG.info('Stack %s: Heat asked to cancel the restore\'s '
                     'update', stack.id)

    def restore(self, context, stack, template, environment, files,
                resource_data, started=None, cancelled=None):
        """Update the stack in Heat to the snapshot's template and wait.

        :param started: start_restore()'s answer when the update was sent
            already.
        :param cancelled: once ``cancelled()`` is true, Heat is asked to
            cancel the update (``cancel_update``, as ``openstack stack
            cancel`` does) and OperationCancelled is raised.
        :raises: ResourceFailure with Heat's reason when the update fails
            or when another action in Heat superseded it (convergence lets
            an update or a restore replace a running one);
            OperationTimeout after [heat_snapshots] action_timeout.
        """
        if started is None:
            started = self.start_restore(context, stack, template,
                                         environment, files)
        updated_time, event_id = started
        client = self._client(context, stack.project_id)

        def superseded(current):
            return exception.ResourceFailure(
                reason='Stack %s was superseded by another action in Heat '
                       '(%s_%s): the snapshot\'s template is not the '
                       'stack\'s' % (stack.name, current.action,
                                     current.status))

        def ours(current):
            """Whether our update is Heat's last; its end event is
            restated as the restore's.
            """
            if (current.updated_at or current.created_at) != updated_time:
                return False
            if event_id is None:
                return True
            events = self._stack_events(client, stack)
            self._restate_end(context, stack, events, event_id)
            started = [e for e in events if started_event(e)]
            return bool(started) and started[-1].get('id') == event_id

        def updated():
            current = self._show(context, client, stack.id,
                                 project_id=stack.project_id)
            if cancelled is not None and current.status == \
                    states.IN_PROGRESS and cancelled():
                # Heat cancels (and rolls back) its update on its own, as
                # after ``openstack stack cancel``: the restore ends now.
                self._cancel_update(client, stack)
                raise exception.OperationCancelled()
            if (current.updated_at or current.created_at) != updated_time:
                raise superseded(current)
            if current.status == states.IN_PROGRESS:
                return False
            if not ours(current):
                raise superseded(current)
            if (current.action, current.status) == (UPDATE, states.COMPLETE):
                return True
            raise exception.ResourceFailure(
                reason='Stack %s of %s: %s' % (
                    '_'.join((current.action, current.status)),
                    stack.name, current.status_reason or 'no reason given'))

        deadline = (time.monotonic() +
                    self.conf.heat_snapshots.action_timeout)
        walk.poll(updated, deadline, self.conf, 'Stack %s update' %
                  stack.name)

    # --- preview and clone ------------------------------------------------

    def preview_restore(self, context, stack, template, environment,
                        files):
        """Heat's own preview of the update ``start_restore`` would send
        (``PUT`` or ``PATCH .../preview``), nested stacks' resources
        included.

        :raises: Invalid with Heat's message when Heat refuses it.
        """
        client = self._client(context, stack.project_id)
        method, body = restore_request(stack, template, environment, files)
        if stack.timeout_mins:
            body['timeout_mins'] = stack.timeout_mins
        response = self._send(client, method,
                              self._path(stack) + '/preview?show_nested=True',
                              json=body)
        if heat_not_found(response) is not None:
            raise exception.StackNotFound(stack.name)
        if response.status_code >= 400:
            raise _refused(response, stack.name)
        changes = (response.json() or {}).get('resource_changes') or {}
        changes = {key: list(changes.get(key) or ())
                   for key in states.PREVIEW_CHANGES}
        _parent_paths(changes, stack.id)
        return changes

    def create_clone(self, context, stack_name, template, environment,
                     files, parameters, tags=None):
        """POST the new stack to Heat, which starts creating it.

        :raises: StackExists (Heat's 409), Invalid (Heat's 400, with its
            message), InvalidParameter for a hidden parameter whose value
            the snapshot does not hold and ``parameters`` does not give.
        """
        masked = hidden_parameters.masked_names(environment, template,
                                                files)
        missing = sorted(name for names in masked.values() for name in names
                         if name not in (parameters or {}))
        if missing:
            raise exception.InvalidParameter(
                name=missing[0],
                reason='a hidden parameter: Heat never showed its value, '
                       'give it in "parameters"')
        project_id = getattr(context, 'project_id', None)
        client = self._client(context, project_id)
        body = {'stack_name': stack_name, 'template': template,
                'environment': environment or {}, 'files': files or {},
                'parameters': parameters or {}}
        if tags:
            body['tags'] = ','.join(tags)
        response = self._send(client, 'POST', '/stacks', json=body)
        if response.status_code >= 400:
            raise _refused(response, stack_name)
        created = (response.json() or {}).get('stack') or {}
        LOG.info('Stack %s (%s): clone sent to Heat', stack_name,
                 created.get('id'))
        return base.Stack(id=created.get('id'), name=stack_name,
                          project_id=project_id, action=states.CREATE,
                          status=states.IN_PROGRESS)

    def run_clone(self, context, stack, resource_data):
        """Wait for Heat to create the stack.

        :raises: ResourceFailure with Heat's reason; OperationTimeout.
        """
        client = self._client(context, stack.project_id)

        def created():
            current = self._show(context, client, stack.id,
                                 project_id=stack.project_id)
            if current.status == states.IN_PROGRESS:
                return False
            if (current.action, current.status) == (states.CREATE,
                                                    states.COMPLETE):
                return True
            raise exception.ResourceFailure(
                reason='Stack %s of %s: %s' % (
                    '_'.join((current.action, current.status)),
                    stack.name, current.status_reason or 'no reason given'))

        deadline = (time.monotonic() +
                    self.conf.heat_snapshots.action_timeout)
        walk.poll(created, deadline, self.conf, 'Stack %s create' %
                  stack.name)


def _refused(response, stack_name):
    """Heat's refusal of a create or a preview as our Heat-style error."""
    message = heat_error(response)
    if response.status_code == 409:
        return exception.StackExists(stack_name=stack_name)
    if response.status_code == 400:
        return exception.Invalid(message)
    return exception.ServiceUnavailable(
        reason='Heat answered %s: %s' % (response.status_code, message))
