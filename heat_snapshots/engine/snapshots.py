"""The snapshot, restore and snapshot-delete walks.

Each runs in an engine worker thread after the RPC call that started it has
returned. Every resource's result is written the moment it exists, so that
a walk cut short leaves rows naming everything it made.
"""

import copy
import time

from oslo_log import log as logging
from oslo_serialization import jsonutils
import yaml

from heat_snapshots.common import exception
from heat_snapshots.db import api as db_api
from heat_snapshots.engine.resources import registry
from heat_snapshots.engine.stacks import base as stacks_base
from heat_snapshots.engine import walk

LOG = logging.getLogger(__name__)

SNAPSHOT = 'SNAPSHOT'
RESTORE = 'RESTORE'
CREATE = 'CREATE'
DELETE = 'DELETE'
IN_PROGRESS = stacks_base.IN_PROGRESS
COMPLETE = stacks_base.COMPLETE
FAILED = stacks_base.FAILED

SNAPSHOT_COMPLETE_REASON = 'Stack SNAPSHOT completed successfully'
DELETE_STARTED_REASON = 'Snapshot delete started'


def failure_reason(action, error):
    """Heat's wording: the failing resource first, then what it said."""
    if isinstance(error, walk.WalkFailed):
        return 'Resource %s failed: Error: resources.%s: %s' % (
            action, error.node, _describe(error.cause))
    return 'Stack %s failed: %s' % (action, _describe(error))


def _describe(error):
    if isinstance(error, exception.HeatSnapshotsException):
        return error.message
    # Unexpected errors are logged in full; users get the class and text.
    return '%s: %s' % (type(error).__name__, error)


def stack_data(stack, action=None, status=None, resources=None):
    """The stack in Heat's abandon format."""
    data = {
        'name': stack.name,
        'id': stack.id,
        'action': action or stack.action,
        'status': status or stack.status,
        'template': stack.template,
        'environment': stack.environment,
        'files': stack.files,
        'project_id': stack.project_id,
        'stack_user_project_id': (stack.stack_user_project_id
                                  or stack.project_id),
        'tags': list(stack.tags or []),
    }
    data['resources'] = resources if resources is not None else {}
    return data


def resource_data(row, metadata=None):
    """One resource of a snapshot in Heat's abandon format."""
    return {
        'name': row.resource_name,
        'type': row.resource_type,
        'resource_id': row.physical_resource_id,
        'action': row.action,
        'status': row.status,
        'metadata': metadata or {},
        'resource_data': row.data or {},
    }


def nest_resources(resources):
    """Put nested resources inside their parent's entry.

    A resource of a nested stack is recorded under its path from the top
    stack (``group/0``, ``group/0/server``); in the snapshot's data it
    appears, under its own name, in the ``resources`` of the resource
    owning its stack, as in Heat's abandon format. A path whose parent was
    not recorded stays at the top, under the path.
    """
    nested = {}
    for path in sorted(resources, key=lambda p: p.count('/')):
        entry = resources[path]
        parent, _, name = path.rpartition('/')
        owner = nested.get(parent) if parent else None
        if owner is None:
            nested[path] = entry
            continue
        entry = dict(entry, name=name)
        owner.setdefault('resources', {})[name] = entry
        nested[path] = entry
    return {path: entry for path, entry in nested.items()
            if path in resources and (
                '/' not in path or path.rpartition('/')[0] not in nested)}


class Walker:
    """What every walk needs: config, the stack driver, a deadline."""

    def __init__(self, conf, driver, context):
        self.conf = conf
        self.driver = driver
        self.context = context
        self.deadline = (time.monotonic() +
                         conf.heat_snapshots.action_timeout)

    def _plugin(self, stack, resource, snapshot_id):
        cls = registry.plugin_class(resource.type)
        return cls(self.context, stack, resource, snapshot_id, self.conf)

    def _poll(self, check, what):
        walk.poll(check, self.deadline, self.conf, what)

    def _walk(self, graph, action, name):
        walk.walk(graph, action, self.conf.heat_snapshots.walk_concurrency,
                  deadline=self.deadline, name=name)


class SnapshotWalk(Walker):
    """Snapshot every resource of a stack, dependencies first."""

    def run(self, stack_id, snapshot_id):
        """Snapshot every resource; ``finish()`` then records the outcome.

        :raises: WalkFailed or another error; the resources' rows keep
            what they recorded either way.
        """
        self.final = {'status': FAILED}
        stack = None
        try:
            stack = self.driver.get_stack(self.context, stack_id)
            resources = {r.name: r for r in stack.resources}
            self._walk(stack.dependency_graph(),
                       lambda name: self._snapshot_resource(
                           stack, resources[name], snapshot_id),
                       name='snapshot')
        except Exception as error:
            self.final['status_reason'] = failure_reason(SNAPSHOT, error)
            if stack is not None:
                self.final['data'] = self._data(stack, snapshot_id, FAILED)
            raise
        self.final = {'status': COMPLETE,
                      'status_reason': SNAPSHOT_COMPLETE_REASON,
                      'data': self._data(stack, snapshot_id, COMPLETE)}

    def finish(self, snapshot_id):
        """Show the snapshot's outcome.

        Called once the stack is free again, so a client that sees the
        snapshot COMPLETE can take the next one at once.
        """
        db_api.snapshot_update(self.context, snapshot_id, self.final)

    def _data(self, stack, snapshot_id, status):
        rows = db_api.resource_snapshot_list(self.context, snapshot_id)
        metadata = {r.name: r.metadata for r in stack.resources}
        return stack_data(stack, SNAPSHOT, status, nest_resources({
            row.resource_name: resource_data(
                row, metadata.get(row.resource_name))
            for row in rows}))

    def _record(self, snapshot_id, resource, new=False, **values):
        """Write the resource's row: ``new``, the first write of it."""
        values.setdefault('resource_type', resource.type)
        values.setdefault('physical_resource_id',
                          resource.physical_resource_id)
        if new:
            db_api.resource_snapshot_add(self.context, snapshot_id,
                                         resource.name, values)
        elif not db_api.resource_snapshot_update(
                self.context, snapshot_id, resource.name, values):
            db_api.resource_snapshot_set(self.context, snapshot_id,
                                         resource.name, values)

    def _snapshot_resource(self, stack, resource, snapshot_id):
        LOG.info('Snapshot %(snapshot)s: resource %(resource)s started on '
                 'host %(host)s', {'snapshot': snapshot_id,
                                   'resource': resource.name,
                                   'host': self.conf.heat_snapshots.host})
        plugin = self._plugin(stack, resource, snapshot_id)
        self.driver.set_resource_state(self.context, stack.id,
                                       resource.name, SNAPSHOT, IN_PROGRESS,
                                       'state changed')
        self._record(snapshot_id, resource, new=True, action=SNAPSHOT,
                     status=IN_PROGRESS, status_reason=None)
        try:
            data = plugin.handle_snapshot()
            # Written before waiting: from here on the artifact is known.
            self._record(snapshot_id, resource, data=data)
            self._poll(lambda: plugin.check_snapshot_complete(data),
                       'Resource %s SNAPSHOT' % resource.name)
        except Exception as error:
            LOG.info('Snapshot %s of resource %s failed: %s',
                     snapshot_id, resource.name, error)
            self._record(snapshot_id, resource, status=FAILED,
                         status_reason=_describe(error))
            self.driver.set_resource_state(
                self.context, stack.id, resource.name, SNAPSHOT, FAILED,
                _describe(error))
            raise
        self._record(snapshot_id, resource, status=COMPLETE,
                     status_reason='state changed')
        self.driver.set_resource_state(self.context, stack.id,
                                       resource.name, SNAPSHOT, COMPLETE,
                                       'state changed')


class RestoreWalk(Walker):
    """Bring a stack back to a snapshot: rewrite, then update.

    Every resource the template defines is rewritten by its plugin. The
    resources of nested stacks recorded in the snapshot (under their
    parent's ``resources``) are rewritten where their definition is the
    stack's own to change: inside the template of a template resource
    (``files``) used by that one resource only, and inside the inline
    ``template`` of an ``OS::Heat::Stack``. Members of a ResourceGroup or
    an AutoScalingGroup share one definition and are brought back by the
    update as Heat rebuilds them from it.
    """

    def run(self, stack_id, snapshot_id):
        stack = self.driver.get_stack(self.context, stack_id)
        snapshot = db_api.snapshot_get(self.context, snapshot_id)
        data = snapshot.data
        template = copy.deepcopy(data['template'])
        files = copy.deepcopy(data.get('files') or {})
        saved = data.get('resources') or {}
        self._sources = [jsonutils.dumps(template)] + [
            text for text in files.values() if isinstance(text, str)]
        self._rewrite(stack, snapshot_id, template, saved, files, '')
        self.driver.restore(
            self.context, stack, template,
            copy.deepcopy(data.get('environment') or {}),
            files,
            {name: info.get('resource_data') or {}
             for name, info in saved.items()})

    def _rewrite(self, stack, snapshot_id, template, saved, files, prefix):
        definitions = template.get('resources') or {}
        for name, definition in list(definitions.items()):
            info = saved.get(name)
            if info is None or not isinstance(definition, dict):
                continue
            resource = stacks_base.Resource(
                name=prefix + name,
                type=info.get('type') or definition.get('type'),
                physical_resource_id=info.get('resource_id'),
                properties=definition.get('properties') or {},
                data=info.get('resource_data') or {})
            plugin = self._plugin(stack, resource, snapshot_id)
            definition = plugin.handle_restore(copy.deepcopy(definition),
                                               resource.data)
            definitions[name] = definition
            if info.get('resources'):
                self._rewrite_nested(stack, snapshot_id, definition,
                                     info['resources'], files,
                                     prefix + name + '/')

    def _rewrite_nested(self, stack, snapshot_id, definition, saved, files,
                        prefix):
        type_name = definition.get('type')
        properties = definition.get('properties')
        if type_name == 'OS::Heat::Stack' and isinstance(properties, dict):
            original = _load_template(properties.get('template'))
            if original is not None:
                nested = copy.deepcopy(original)
                self._rewrite(stack, snapshot_id, nested, saved, files,
                              prefix)
                if nested != original:
                    properties['template'] = nested
            return
        if isinstance(type_name, str) and type_name in files and \
                _uses(self._sources, type_name) == 1:
            original = _load_template(files[type_name])
            if original is not None:
                nested = copy.deepcopy(original)
                self._rewrite(stack, snapshot_id, nested, saved, files,
                              prefix)
                if nested != original:
                    files[type_name] = jsonutils.dumps(nested)
            return
        LOG.debug('Resources inside %s (%s) are restored by the stack '
                  'update only', prefix.rstrip('/'), type_name)


def _load_template(text):
    """A nested template (a dict, or its JSON/YAML text), or None."""
    if isinstance(text, dict):
        return copy.deepcopy(text)
    if not isinstance(text, str):
        return None
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    return loaded if isinstance(loaded, dict) else None


def _uses(sources, type_name):
    """How often the stack's template and files name ``type_name``.

    A template file used by several resources cannot be rewritten for one
    of them; counting the name in the texts errs on the side of not
    rewriting.
    """
    return sum(text.count(type_name) for text in sources)


class DeleteWalk(Walker):
    """Remove what a snapshot made, then the snapshot."""

    def run(self, snapshot_id, stack=None):
        """:raises: WalkFailed; the rows of what is still there are kept.
        """
        snapshot = db_api.snapshot_get(self.context, snapshot_id)
        rows = {row.resource_name: row for row in
                db_api.resource_snapshot_list(self.context, snapshot_id)}
        current = {r.name: r for r in (stack.resources or ())} \
            if stack is not None else {}
        template = (snapshot.data or {}).get('template') or {}
        definitions = template.get('resources') or {}
        try:
            self._walk({name: set() for name in rows},
                       lambda name: self._delete_resource(
                           stack, snapshot_id, rows[name],
                           current.get(name), definitions.get(name)),
                       name='snapshot-delete')
        except Exception as error:
            db_api.snapshot_update(
                self.context, snapshot_id,
                {'status': FAILED,
                 'status_reason': failure_reason('DELETE_SNAPSHOT', error)})
            raise
        db_api.snapshot_delete(self.context, snapshot_id)

    def _delete_resource(self, stack, snapshot_id, row, current,
                         definition):
        if current is not None and current.type == row.resource_type:
            resource = current
        else:
            properties = (definition or {}).get('properties')
            resource = stacks_base.Resource(
                name=row.resource_name, type=row.resource_type,
                physical_resource_id=row.physical_resource_id,
                properties=properties if isinstance(properties, dict)
                else {})
        data = row.data or {}
        plugin = self._plugin(stack, resource, snapshot_id)
        plugin.handle_delete_snapshot(data)
        self._poll(lambda: plugin.check_delete_snapshot_complete(data),
                   'Resource %s DELETE_SNAPSHOT' % row.resource_name)
        # The row goes with its artifact, never before it.
        db_api.resource_snapshot_delete(self.context, snapshot_id,
                                        row.resource_name)
