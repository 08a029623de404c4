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

"""In-memory stack drivers for the engine's unit tests.

A stack is given as plain data, a spec: ``{resource name: {"type": ...,
"properties": {...}, "requires": [names], "data": {...}, "resources":
{nested spec}}}``. A resource with ``resources`` owns a nested stack, as
in Heat: an ``OS::Heat::Stack`` (its inline ``template``), a template
resource (its type names a file of the stack's ``files``) or a
``OS::Heat::ResourceGroup`` (``count`` members ``"0"``, ``"1"``... built
from ``resource_def``). The driver keeps the stack's template, files and
resources as the ``heat`` driver reads them: nested resources named by
their path from the top stack (``group/0``, ``group/0/vol``), each
requiring its siblings' dependencies and its parent requiring it.

A restore rebuilds the resources from the restored template and files, so
that what the resources' plugins rewrote (``handle_restore``) shows on the
stack's resources.
"""

import copy
import json
import threading

from oslo_config import cfg
from oslo_utils import timeutils
from oslo_utils import uuidutils
import yaml

from heat_snapshots.common import exception
from heat_snapshots.common import states
from heat_snapshots.engine.stacks import base
from heat_snapshots.localstack import manager as stack_manager

PROJECT = 'project-a'
HOT_VERSION = '2018-08-31'
NESTED_STACK = 'OS::Heat::Stack'
RESOURCE_GROUP = 'OS::Heat::ResourceGroup'


def template_of(spec):
    """(template, files) of a stack spec (see the module's docstring)."""
    files = {}
    return _template(spec, files), files


def _template(spec, files):
    definitions = {}
    for name, item in spec.items():
        definition = {'type': item['type']}
        properties = copy.deepcopy(item.get('properties') or {})
        nested = item.get('resources')
        if nested is not None:
            if item['type'] == RESOURCE_GROUP:
                members = [nested[key] for key in sorted(nested)]
                member = _template({'member': members[0]}, files) \
                    if members else {'resources': {}}
                properties.setdefault('count', len(members))
                properties.setdefault(
                    'resource_def', member['resources'].get('member', {}))
            elif item['type'] == NESTED_STACK:
                properties.setdefault('template', _template(nested, files))
            else:
                files.setdefault(item['type'], json.dumps(
                    _template(nested, files), sort_keys=True))
        if properties:
            definition['properties'] = properties
        if item.get('requires'):
            definition['depends_on'] = list(item['requires'])
        definitions[name] = definition
    return {'heat_template_version': HOT_VERSION, 'resources': definitions}


def _load(text):
    if isinstance(text, dict):
        return text
    try:
        loaded = yaml.safe_load(text) if isinstance(text, str) else None
    except yaml.YAMLError:
        return None
    return loaded if isinstance(loaded, dict) else None


def resources_of(template, files, data=None, old=None, prefix=''):
    """The stack's resources, nested ones included, as the heat driver
    lists them.

    :param data: {path: data}, the resources' data.
    :param old: {path: Resource} whose physical ids are kept where the
        type is unchanged.
    """
    data = data or {}
    old = old or {}
    resources = []
    definitions = (template or {}).get('resources') or {}
    for name, definition in definitions.items():
        path = prefix + name
        properties = copy.deepcopy(definition.get('properties') or {})
        requires = definition.get('depends_on') or []
        if isinstance(requires, str):
            requires = [requires]
        previous = old.get(path)
        kept = previous is not None and previous.type == definition['type']
        resource = base.Resource(
            name=path, type=definition['type'],
            physical_resource_id=(previous.physical_resource_id if kept
                                  else 'phys-%s' % path),
            action=states.CREATE, status=states.COMPLETE,
            requires=sorted(prefix + r for r in requires),
            properties=properties,
            data=copy.deepcopy(data.get(
                path, previous.data if kept else {})))
        children = resources_of(_nested_template(definition, files),
                                files, data, old, path + '/')
        resource.requires = sorted(
            set(resource.requires) |
            {c.name for c in children if c.name.count('/') ==
             path.count('/') + 1})
        resources.append(resource)
        resources.extend(children)
    return resources


def _nested_template(definition, files):
    """The template of the stack a resource owns, or None."""
    properties = definition.get('properties') or {}
    type_name = definition['type']
    if type_name == NESTED_STACK:
        return _load(properties.get('template'))
    if type_name == RESOURCE_GROUP:
        member = properties.get('resource_def') or {}
        return {'resources': {str(i): copy.deepcopy(member)
                              for i in range(int(properties.get('count')
                                                 or 0))}}
    if type_name in files:
        return _load(files[type_name])
    return None


class FakeStackDriver(base.StackDriver):
    """A read-only stack driver keeping its stacks in memory.

    Records what the engine shows on stacks and resources
    (``stack_states``, ``resource_states``), every restore (``restores``)
    and every ``stack_presence`` question (``presence_asked``).
    ``faults[method]`` or ``faults[(method, stack_id)]`` is raised by that
    method.
    """

    def __init__(self, conf=None):
        super().__init__(conf or cfg.CONF)
        self.stacks = {}
        self.stack_states = []
        self.resource_states = []
        self.restores = []
        # (stack id, project of the context) of each stack_presence.
        self.presence_asked = []
        self.faults = {}
        self.lock = threading.RLock()

    # --- setting up -------------------------------------------------------

    def add_stack(self, name, spec, project_id=PROJECT,
                  action=states.CREATE, status=states.COMPLETE,
                  environment=None, tags=None, stack_id=None):
        """Store a stack built from ``spec``; returns a copy."""
        template, files = template_of(spec)
        data = {}

        def collect(items, prefix):
            for key, item in items.items():
                if item.get('data'):
                    data[prefix + key] = item['data']
                collect(item.get('resources') or {}, prefix + key + '/')
        collect(spec, '')
        now = timeutils.utcnow()
        stack = base.Stack(
            id=stack_id or uuidutils.generate_uuid(), name=name,
            project_id=project_id,
            action=action, status=status,
            status_reason='Stack %s completed successfully' % action,
            template=template, environment=environment or {}, files=files,
            tags=list(tags or []), created_at=now, updated_at=now,
            resources=resources_of(template, files, data))
        with self.lock:
            self.stacks[stack.id] = stack
            return copy.deepcopy(stack)

    def resource(self, stack_id, name):
        """The stored resource ``name`` of a stack (a copy)."""
        with self.lock:
            for resource in self.stacks[stack_id].resources:
                if resource.name == name:
                    return copy.deepcopy(resource)
        raise KeyError(name)

    def delete_behind_our_back(self, stack_id):
        """As Heat deleting the stack: DELETE_COMPLETE, still readable."""
        with self.lock:
            stack = self.stacks[stack_id]
            stack.action, stack.status = states.DELETE, states.COMPLETE
            stack.deleted_at = timeutils.utcnow()

    def purge(self, stack_id):
        """As Heat purging a deleted stack: no trace left."""
        with self.lock:
            del self.stacks[stack_id]

    # --- helpers ----------------------------------------------------------

    def _fault(self, method, stack_id=None):
        error = self.faults.get((method, stack_id)) or \
            self.faults.get(method)
        if error is not None:
            raise error

    @staticmethod
    def _visible(context, stack, show_deleted=False):
        return stack is not None and (
            show_deleted or stack.deleted_at is None) and (
            context.is_admin or stack.project_id == context.project_id)

    def _stored(self, context, stack_id, show_deleted=False):
        stack = self.stacks.get(stack_id)
        if not self._visible(context, stack, show_deleted):
            raise exception.StackNotFound(stack_id)
        return stack

    @staticmethod
    def _copy(stack, with_resources=True):
        result = copy.deepcopy(stack)
        if not with_resources:
            result.resources = None
        return result

    # --- the contract -----------------------------------------------------

    def find_stack(self, context, stack_name_or_id):
        self._fault('find_stack', stack_name_or_id)
        with self.lock:
            stack = self.stacks.get(stack_name_or_id)
            if not self._visible(context, stack):
                stack = next(
                    (s for s in self.stacks.values()
                     if s.name == stack_name_or_id and
                     s.project_id == context.project_id and
                     s.deleted_at is None), None)
            if stack is None:
                raise exception.StackNotFound(stack_name_or_id)
            return self._copy(stack, with_resources=False)

    def get_stack(self, context, stack_id, with_resources=True,
                  show_deleted=False):
        self._fault('get_stack', stack_id)
        with self.lock:
            return self._copy(self._stored(context, stack_id, show_deleted),
                              with_resources)

    def list_stacks(self, context, limit=None, **filters):
        with self.lock:
            stacks = [self._copy(s, with_resources=False)
                      for s in self.stacks.values()
                      if s.deleted_at is None and
                      s.project_id == context.project_id]
        stacks.sort(key=lambda s: s.created_at, reverse=True)
        return stacks[:limit] if limit else stacks

    def stack_presence(self, context, stack_id, project_id):
        with self.lock:
            self.presence_asked.append((stack_id, context.project_id))
        self._fault('stack_presence', stack_id)
        with self.lock:
            stack = self.stacks.get(stack_id)
            if stack is None:
                return base.NOT_FOUND
            if stack.project_id != project_id:
                return base.UNKNOWN
            if stack.deleted_at is not None:
                return base.DELETED
            return base.FOUND

    def set_stack_state(self, context, stack_id, action, status, reason):
        self._fault('set_stack_state', stack_id)
        with self.lock:
            stack = self._stored(context, stack_id, show_deleted=True)
            stack.action, stack.status = action, status
            stack.status_reason = reason
            stack.updated_at = timeutils.utcnow()
            if (action, status) == (states.DELETE, states.COMPLETE):
                stack.deleted_at = stack.updated_at
            self.stack_states.append((stack_id, action, status, reason))

    def set_resource_state(self, context, stack_id, resource_name, action,
                           status, reason=None):
        self._fault('set_resource_state', stack_id)
        with self.lock:
            stack = self._stored(context, stack_id, show_deleted=True)
            for resource in stack.resources:
                if resource.name == resource_name:
                    resource.action, resource.status = action, status
                    resource.status_reason = reason
                    self.resource_states.append(
                        (stack_id, resource_name, action, status, reason))
                    return
        raise exception.ResourceNotFound(resource_name)

    def restore(self, context, stack, template, environment, files,
                resource_data):
        """Record the restore, then update the stack to ``template``."""
        with self.lock:
            self.restores.append({
                'stack_id': stack.id,
                'template': copy.deepcopy(template),
                'environment': copy.deepcopy(environment),
                'files': copy.deepcopy(files),
                'resource_data': copy.deepcopy(resource_data)})
        self._fault('restore', stack.id)
        self._update(context, stack.id, template, environment, files,
                     resource_data, states.RESTORE)

    def _update(self, context, stack_id, template, environment, files,
                resource_data=None, action=states.UPDATE):
        with self.lock:
            stored = self._stored(context, stack_id)
            old = {r.name: r for r in stored.resources}
            stored.template = copy.deepcopy(template)
            stored.environment = copy.deepcopy(environment or {})
            stored.files = copy.deepcopy(files or {})
            stored.resources = resources_of(stored.template, stored.files,
                                            resource_data, old)
            for resource in stored.resources:
                resource.action = action


class FakeManagingStackDriver(FakeStackDriver, base.ManagingStackDriver):
    """The fake driver that also creates, updates and deletes stacks.

    A stack's ``template`` here is a spec (see the module's docstring);
    every step succeeds unless ``faults`` says otherwise.
    """

    def __init__(self, conf=None):
        super().__init__(conf)
        self.events = []

    def rpc_endpoint(self, engine):
        # The stack store's endpoint asks only the driver contract.
        return stack_manager.StackManager(engine)

    def set_stack_state(self, context, stack_id, action, status, reason):
        super().set_stack_state(context, stack_id, action, status, reason)
        self._event(stack_id, None, action, status, reason)

    def set_resource_state(self, context, stack_id, resource_name, action,
                           status, reason=None):
        super().set_resource_state(context, stack_id, resource_name,
                                   action, status, reason)
        self._event(stack_id, resource_name, action, status, reason)

    def _event(self, stack_id, resource_name, action, status, reason):
        with self.lock:
            stack = self.stacks[stack_id]
            self.events.append((stack_id, base.Event(
                id=uuidutils.generate_uuid(),
                resource_name=resource_name or stack.name, action=action,
                status=status, status_reason=reason,
                created_at=timeutils.utcnow())))

    def list_events(self, context, stack, filters=None, limit=None,
                    marker=None, sort_keys=None, sort_dir=None):
        with self.lock:
            events = [e for stack_id, e in self.events
                      if stack_id == stack.id]
        if sort_dir == 'desc':
            events.reverse()
        if marker is not None:
            ids = [e.id for e in events]
            events = events[ids.index(marker) + 1:] if marker in ids else []
        return events[:limit] if limit else events

    def create_stack(self, context, stack_name, template, params, files,
                     environment, tags=None, timeout_mins=None,
                     disable_rollback=True):
        self._fault('create_stack')
        with self.lock:
            if any(s.name == stack_name and s.deleted_at is None and
                   s.project_id == context.project_id
                   for s in self.stacks.values()):
                raise exception.StackExists(stack_name=stack_name)
            stack = self.add_stack(stack_name, template,
                                   project_id=context.project_id,
                                   action=states.CREATE,
                                   status=states.IN_PROGRESS,
                                   environment=environment, tags=tags)
            for resource in self.stacks[stack.id].resources:
                resource.action = states.INIT
            return self.get_stack(context, stack.id)

    def _run(self, context, stack_id, action):
        self._fault('run_%s' % action.lower(), stack_id)
        with self.lock:
            for resource in self._stored(context, stack_id).resources:
                resource.action, resource.status = action, states.COMPLETE

    def run_create(self, context, stack_id):
        self._run(context, stack_id, states.CREATE)

    def prepare_update(self, context, stack, template, params, files,
                       environment, existing=False, tags=None,
                       timeout_mins=None):
        self._fault('prepare_update', stack.id)
        template, files = template_of(template)
        return {'template': template, 'files': files,
                'environment': environment or {}}

    def run_update(self, context, stack_id, definition):
        self._fault('run_update', stack_id)
        self._update(context, stack_id, definition['template'],
                     definition['environment'], definition['files'])

    def run_delete(self, context, stack_id):
        self._run(context, stack_id, states.DELETE)
