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

"""The snapshot, restore and snapshot-delete walks.

Each runs in an engine worker thread after the RPC call that started it has
returned. Every resource's result is written the moment it exists, so that
a walk cut short leaves rows naming everything it made.
"""

import collections
import copy
import inspect
import time

from oslo_log import log as logging
from oslo_serialization import jsonutils

from heat_snapshots.common import exception
from heat_snapshots.common import states
from heat_snapshots.common import template_format
from heat_snapshots.db import api as db_api
from heat_snapshots.db import group_commit
from heat_snapshots.engine import operations
from heat_snapshots.engine.resources import registry
from heat_snapshots.engine.stacks import base as stacks_base
from heat_snapshots.engine import walk

LOG = logging.getLogger(__name__)

# Resources written per transaction by SnapshotWalk._snapshot_data_at_once.
AT_ONCE = 500

# What a walk ended with: ``status`` COMPLETE or FAILED, the stack's
# ``reason`` (Heat's text), and for a snapshot its final ``data``.
Outcome = collections.namedtuple('Outcome', ('status', 'reason', 'data'))
# A restore's update, ready for the driver; ``started`` is the driver's
# start_restore() answer once the update was accepted.
Restore = collections.namedtuple('Restore', (
    'stack', 'template', 'environment', 'files', 'resource_data',
    'started'))


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


def flat_resource_data(saved, prefix=''):
    """{path: resource_data} of a snapshot's resources, those of nested
    stacks (in their parent's ``resources``) under their path from the
    top stack, as the stack drivers name them.
    """
    return {path: info.get('resource_data') or {}
            for path, info in flat_resource_info(saved, prefix).items()}


# Seconds between two reads of the stack's lock for a cancel request.
CANCEL_CHECK_INTERVAL = 0.5


def was_cancelled(error):
    """Whether ``error`` (a walk's, maybe of one resource) is a cancel."""
    while isinstance(error, walk.WalkFailed):
        error = error.cause
    return isinstance(error, exception.OperationCancelled)


class Walker:
    """What every walk needs: config, the stack driver, a deadline, and
    whether a user cancelled it.
    """

    def __init__(self, conf, driver, context):
        self.conf = conf
        self.driver = driver
        self.context = context
        self.deadline = (time.monotonic() +
                         conf.heat_snapshots.action_timeout)
        self._cancelled = False
        self._cancel_checked = None

    def cancelled(self):
        """Whether a user asked the operation holding the stack to stop.

        The request is on the stack's lock row, so the engine running the
        walk sees it whichever engine the API reached; read at most every
        CANCEL_CHECK_INTERVAL seconds, between resources and while one is
        waited for.
        """
        if self._cancelled:
            return True
        fence = getattr(self.context, 'fence', None)
        if fence is None or fence.stack_id is None:
            return False
        now = time.monotonic()
        if self._cancel_checked is not None and \
                now - self._cancel_checked < CANCEL_CHECK_INTERVAL:
            return False
        self._cancel_checked = now
        try:
            self._cancelled = db_api.stack_lock_cancel_requested(
                self.context, fence.stack_id, fence.generation)
        except Exception as error:
            # Read again at the next check.
            LOG.warning('Could not read the cancel request of stack %s: '
                        '%s', fence.stack_id, error)
        if self._cancelled:
            LOG.info('Operation on stack %s cancelled by request',
                     fence.stack_id)
        return self._cancelled

    @staticmethod
    def _ready_in(ready_in):
        """A Poll's ``ready_in`` for a step that checks for a cancel: a
        known wait still has its check every CANCEL_CHECK_INTERVAL.
        """
        def capped():
            wait = ready_in()
            return None if wait is None else min(wait,
                                                 CANCEL_CHECK_INTERVAL)
        return capped

    def _plugin(self, stack, resource, snapshot_id):
        cls = registry.plugin_class(resource.type)
        return cls(self.context, stack, resource, snapshot_id, self.conf)

    def _walk(self, graph, action, name, cancellable=False):
        """Walk ``graph``; ``action`` is a generator yielding walk.Polls,
        so a resource waiting for its plugin holds no worker thread.
        """
        opts = self.conf.heat_snapshots
        walk.walk(graph, action, opts.walk_concurrency,
                  deadline=self.deadline, name=name, conf=self.conf,
                  workers=opts.walk_workers,
                  cancelled=self.cancelled if cancellable else None,
                  idle=group_commit.flush)


class SnapshotWalk(Walker):
    """Snapshot every resource of a stack, dependencies first."""

    def run(self, stack_id, snapshot_id):
        """Snapshot every resource; the resources' rows keep what they
        recorded whatever the outcome.

        :returns: an Outcome whose ``data`` is the snapshot's final data.
        :raises: OperationFenced when the stack was taken over.
        """
        stack = None
        try:
            stack = self.driver.get_stack(self.context, stack_id)
            resources = {r.name: r for r in stack.resources}
            graph = stack.dependency_graph()
            walk.check_graph(graph)
            done = self._snapshot_data_at_once(stack, resources, graph,
                                               snapshot_id)
            self._walk({name: requires - done
                        for name, requires in graph.items()
                        if name not in done},
                       lambda name: self._snapshot_resource(
                           stack, resources[name], snapshot_id),
                       name='snapshot', cancellable=True)
            # An action that does not pass our stack lock (Heat's own, such
            # as an autoscaling signal's update) may have changed the
            # stack under the walk.
            changed = self.driver.changed_since(self.context, stack)
            if changed:
                raise exception.ResourceFailure(reason=changed)
            # A cancel that came after the last resource started still
            # ends the snapshot as the 202 promised. Asked with the read
            # of the resources' rows, on one connection.
            self._cancel_checked = None
            cancelled, rows = db_api.read_together(self.context, lambda: (
                self.cancelled(),
                db_api.resource_snapshot_list(self.context, snapshot_id)))
            if cancelled:
                raise exception.OperationCancelled()
        except Exception as error:
            if was_cancelled(error):
                reason = states.CANCELLED_REASON
            else:
                reason = operations.failed(states.SNAPSHOT, error,
                                           self.context,
                                           'snapshot %s' % snapshot_id)
            data = None
            if stack is not None:
                data = self._data(stack, snapshot_id, states.FAILED)
            return Outcome(states.FAILED, reason, data)
        return Outcome(states.COMPLETE, states.SNAPSHOT_COMPLETE_REASON,
                       self._data(stack, snapshot_id, states.COMPLETE, rows))

    def _data(self, stack, snapshot_id, status, rows=None):
        """The snapshot's data from its resources' rows (read if not
        given).
        """
        if rows is None:
            rows = db_api.resource_snapshot_list(self.context, snapshot_id)
        metadata = {r.name: r.metadata for r in stack.resources or ()}
        resources = {}
        for row in rows:
            entry = resource_data(row, metadata.get(row.resource_name))
            if status == states.FAILED and \
                    entry['status'] == states.IN_PROGRESS:
                # Ended with the snapshot (see operations.stack_ended).
                entry['status'] = states.FAILED
            resources[row.resource_name] = entry
        return stack_data(stack, states.SNAPSHOT, status,
                          nest_resources(resources))

    def _started(self, snapshot_id, resource):
        LOG.info('Snapshot %(snapshot)s: resource %(resource)s started on '
                 'host %(host)s', {'snapshot': snapshot_id,
                                   'resource': resource.name,
                                   'host': self.conf.heat_snapshots.host})

    def _snapshot_data_at_once(self, stack, resources, graph, snapshot_id):
        """Snapshot, before the walk, the resources whose snapshot is their
        data (nothing to wait for, nothing left behind) and whose
        dependencies' is too: written together, dependencies first,
        AT_ONCE resources per transaction, instead of a step of the walk
        each; each resource's start is shown after the ends of those it
        depends on (walk.waves), as in the walk.

        :returns: the names of those snapshotted.
        """
        order = walk.leading(graph, lambda name: registry.plugin_class(
            resources[name].type).snapshot_is_data())
        for start in range(0, len(order), AT_ONCE):
            if self.cancelled():
                raise exception.OperationCancelled()
            waves = []
            for wave in walk.waves(order[start:start + AT_ONCE], graph):
                stepped = []
                for name in wave:
                    resource = resources[name]
                    self._started(snapshot_id, resource)
                    stepped.append((resource, self._plugin(
                        stack, resource, snapshot_id).handle_snapshot()))
                waves.append(stepped)
            operations.resources_stepped_at_once(
                self.context, self.driver, stack.id, snapshot_id, waves)
        return set(order)

    def _snapshot_resource(self, stack, resource, snapshot_id):
        self._started(snapshot_id, resource)
        plugin = self._plugin(stack, resource, snapshot_id)
        if not plugin.makes_artifact:
            yield from self._snapshot_data_only(stack, resource, snapshot_id,
                                                plugin)
            return
        if plugin.artifact_made_in_record:
            data = yield from self._started_with_artifact(
                stack, resource, snapshot_id, plugin)
        else:
            # Fenced: a walk whose stack was taken over stops here, before
            # it makes anything.
            yield from committed(operations.resource_started(
                self.context, self.driver, stack.id, snapshot_id, resource))
        abandoned = []
        try:
            if not plugin.artifact_made_in_record:
                # Written before waiting: from here on the artifact is
                # known.
                data = yield from committed(operations.resource_recorded(
                    self.context, snapshot_id, resource, plugin,
                    plugin.handle_snapshot()))

            def complete():
                if not abandoned and self.cancelled():
                    # Asked once: the plugin abandons what it can.
                    abandoned.append(bool(plugin.handle_snapshot_cancel(
                        data)))
                    if abandoned[0]:
                        raise exception.OperationCancelled()
                return plugin.check_snapshot_complete(data)
            yield walk.Poll(complete, 'Resource %s SNAPSHOT' % resource.name,
                            ready_in=self._ready_in(
                                lambda: plugin.snapshot_ready_in(data)))
        except exception.OperationFenced:
            raise
        except Exception as error:
            cancelled = isinstance(error, exception.OperationCancelled)
            if not cancelled:
                LOG.info('Snapshot %s of resource %s failed: %s',
                         snapshot_id, resource.name, error)
            operations.resource_ended(
                self.context, self.driver, stack.id, snapshot_id, resource,
                states.FAILED, operations.describe(error, self.context),
                abandoned=cancelled).result()
            raise
        yield from committed(operations.resource_ended(
            self.context, self.driver, stack.id, snapshot_id, resource,
            states.COMPLETE, states.RESOURCE_STATE_CHANGED), last=True)

    def _started_with_artifact(self, stack, resource, snapshot_id, plugin):
        """The start of a resource whose plugin makes its artifact in
        ``record_snapshot``: one change, fenced, that makes the artifact
        and records it. When it fails (or ``handle_snapshot`` does),
        nothing was made: the start and the failure are written together.

        :returns: (from the generator) the data recorded.
        """
        try:
            return (yield from committed(
                operations.resource_started_with_artifact(
                    self.context, self.driver, stack.id, snapshot_id,
                    resource, plugin, plugin.handle_snapshot())))
        except exception.OperationFenced:
            raise
        except Exception as error:
            LOG.info('Snapshot %s of resource %s failed: %s',
                     snapshot_id, resource.name, error)
            operations.resource_stepped(
                self.context, self.driver, stack.id, snapshot_id, resource,
                states.FAILED, operations.describe(error, self.context)
            ).result()
            raise

    def _snapshot_data_only(self, stack, resource, snapshot_id, plugin):
        """A plugin that makes no artifact has nothing to record before
        it waits: its start and outcome are written together, once known.
        """
        error = None
        try:
            data = plugin.handle_snapshot()
            yield walk.Poll(lambda: plugin.check_snapshot_complete(data),
                            'Resource %s SNAPSHOT' % resource.name,
                            ready_in=lambda: plugin.snapshot_ready_in(data))
        except exception.OperationFenced:
            raise
        except Exception as failure:
            LOG.info('Snapshot %s of resource %s failed: %s',
                     snapshot_id, resource.name, failure)
            error, data = failure, None
        if error is None:
            status, reason = states.COMPLETE, states.RESOURCE_STATE_CHANGED
        else:
            status = states.FAILED
            reason = operations.describe(error, self.context)
        yield from committed(operations.resource_stepped(
            self.context, self.driver, stack.id, snapshot_id, resource,
            status, reason, data=data), last=error is None)
        if error is not None:
            raise error


def committed(change, last=False):
    """Wait, in a walk's node (a generator), for a change submitted to
    group commit, holding no worker thread meanwhile: the walk starts its
    other ready resources, then commits their changes together (Walker's
    ``idle``).

    :param last: the change is the resource's end, a success (walk.Poll's
        ``last``): the next ready resource starts meanwhile. After a
        failure none does.

    :returns: (from the generator) the change's result.
    :raises: what the change raised (OperationFenced among others).
    """
    if not change.done:
        yield walk.Poll(lambda: change.done, 'Committing state',
                        notify=change.on_done, last=last)
    return change.result()


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

    def start(self, stack_id, snapshot_id):
        """Rewrite the definitions and have the driver accept the update
        (Heat answers the restore's stack update) before the API answers,
        as Heat shows RESTORE_IN_PROGRESS before its 202.

        :returns: what ``run()`` takes as ``started``: a Restore, or the
            Outcome of a restore that failed already.
        """
        try:
            restore = self._prepare(stack_id, snapshot_id)
            return restore._replace(started=self.driver.start_restore(
                self.context, restore.stack, restore.template,
                restore.environment, restore.files))
        except Exception as error:
            return self._failed(stack_id, snapshot_id, error)

    def run(self, stack_id, snapshot_id, started=None):
        """:param started: ``start()``'s answer, if it ran.
        :returns: an Outcome.
        :raises: OperationFenced when the stack was taken over.
        """
        if isinstance(started, Outcome):
            return started
        try:
            restore = started or self._prepare(stack_id, snapshot_id)
            more = {}
            if _takes(self.driver.restore, 'cancelled'):
                more['cancelled'] = self.cancelled
            if restore.started is not None:
                more['started'] = restore.started
            if self.cancelled():
                raise exception.OperationCancelled()
            self.driver.restore(self.context, restore.stack,
                                restore.template, restore.environment,
                                restore.files, restore.resource_data, **more)
        except Exception as error:
            return self._failed(stack_id, snapshot_id, error)
        operations.progress_all_ended(self.context, snapshot_id,
                                      states.COMPLETE,
                                      states.RESOURCE_STATE_CHANGED)
        return Outcome(states.COMPLETE, 'Stack %s completed successfully'
                       % states.RESTORE, None)

    def _failed(self, stack_id, snapshot_id, error):
        """The restore's Outcome, its resources' rows ended with it."""
        if was_cancelled(error):
            reason = states.CANCELLED_REASON
        else:
            reason = operations.failed(states.RESTORE, error, self.context,
                                       'stack %s' % stack_id)
        try:
            operations.progress_all_ended(self.context, snapshot_id,
                                          states.FAILED, reason)
        except exception.OperationFenced:
            # Taken over (a restore superseded by another): the rows are
            # the new operation's now. The outcome is still told (logged);
            # writing it is refused as for any fenced operation.
            pass
        except Exception as progress_error:
            LOG.warning('Could not end the progress of the restore of '
                        'stack %s: %s', stack_id, progress_error)
        return Outcome(states.FAILED, reason, None)

    def _prepare(self, stack_id, snapshot_id):
        stack = self.driver.get_stack(self.context, stack_id)
        snapshot = db_api.snapshot_get(self.context, snapshot_id)
        return self.rewritten(stack, snapshot)

    def rewritten(self, stack, snapshot):
        """The snapshot's definition, each resource rewritten by its
        plugin (``handle_restore``): what a restore updates ``stack`` to,
        and what a clone creates.

        :returns: a Restore, not started.
        """
        snapshot_id = snapshot.id
        data = snapshot.data
        template = copy.deepcopy(data['template'])
        files = copy.deepcopy(data.get('files') or {})
        saved = data.get('resources') or {}
        self._sources = [jsonutils.dumps(template)] + [
            text for text in files.values() if isinstance(text, str)]
        # Each resource the restore brings back shows RESTORE IN_PROGRESS
        # from its rewrite until the stack's update ends. The rewrite
        # only edits definitions (nothing is made or waited for), so the
        # rows are written once it is over, in one transaction with the
        # removal of the previous operation's, also when it failed.
        self._started = []
        try:
            self._rewrite(stack, snapshot_id, template, saved, files, '')
        finally:
            operations.progress_restarted(self.context, snapshot_id,
                                          states.RESTORE, self._started)
        return Restore(
            stack, template, copy.deepcopy(data.get('environment') or {}),
            files, flat_resource_data(saved), None)

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
            self._started.append((resource.name, resource.type,
                                  plugin.artifact_id(resource.data)))
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


def snapshot_stack(snapshot):
    """The stack a snapshot was taken of, as the snapshot's data shows
    it: what the plugins of a clone are given, the source stack being
    only read (and perhaps gone).
    """
    data = snapshot.data or {}
    return stacks_base.Stack(
        id=snapshot.stack_id, name=data.get('name') or snapshot.stack_name,
        project_id=snapshot.project_id, action=states.SNAPSHOT,
        status=states.COMPLETE, template=data.get('template') or {},
        environment=data.get('environment') or {},
        files=data.get('files') or {}, tags=list(data.get('tags') or []),
        stack_user_project_id=data.get('stack_user_project_id'))


def resource_path(entry):
    """The path from the top stack of a resource of a preview's list."""
    parent = entry.get('parent_resource')
    name = entry.get('resource_name')
    return '%s/%s' % (parent, name) if parent else name


class RestorePreview(RestoreWalk):
    """What restoring a stack to a snapshot would do, nothing changed.

    The restore's own definition (``rewritten``) is given to the stack
    driver's ``preview_restore``, which applies the rules of the update
    that the restore runs.
    """

    def run(self, stack, snapshot):
        """:returns: {"resource_changes": {added, deleted, replaced,
            unchanged, updated}, "data_loss": [...]}.
        """
        restore = self.rewritten(stack, snapshot)
        changes = self.driver.preview_restore(
            self.context, stack, restore.template, restore.environment,
            restore.files)
        changes = {key: list(changes.get(key) or ())
                   for key in PREVIEW_CHANGES}
        for key, entries in changes.items():
            for entry in entries:
                if key in (states.PREVIEW_ADDED, states.PREVIEW_DELETED) \
                        or not entry.get('reason'):
                    # What adds or deletes it is the snapshot's template.
                    entry['reason'] = PREVIEW_REASONS[key]
        return {'resource_changes': changes,
                'data_loss': self._data_loss(stack, snapshot.id, changes,
                                             restore.resource_data)}

    def _data_loss(self, stack, snapshot_id, changes, saved):
        """The resources whose physical resource (and its data) the
        restore discards: those replaced, brought back from the snapshot's
        artifact where it has one, and those added since the snapshot,
        deleted.
        """
        lost = []
        for change in (states.PREVIEW_REPLACED, states.PREVIEW_DELETED):
            for entry in changes[change]:
                path = resource_path(entry)
                source = None
                if change == states.PREVIEW_REPLACED and path in saved:
                    resource = stacks_base.Resource(
                        name=path, type=entry.get('resource_type'),
                        physical_resource_id=entry.get(
                            'physical_resource_id') or None,
                        data=saved[path])
                    source = self._plugin(stack, resource, snapshot_id
                                          ).restore_source(saved[path])
                lost.append({
                    'resource_name': entry.get('resource_name'),
                    'resource_type': entry.get('resource_type'),
                    'physical_resource_id': entry.get(
                        'physical_resource_id') or '',
                    'change': change,
                    'restored_from': source,
                })
                if entry.get('parent_resource'):
                    lost[-1]['parent_resource'] = entry['parent_resource']
        return lost


PREVIEW_CHANGES = states.PREVIEW_CHANGES
# Why a resource is in a list, where the driver says no more (Heat's
# preview gives the lists only).
PREVIEW_REASONS = {
    states.PREVIEW_ADDED: 'in the snapshot, not in the stack',
    states.PREVIEW_DELETED: 'added since the snapshot',
    states.PREVIEW_REPLACED: 'its definition differs from the snapshot\'s '
                             'and cannot be updated in place',
    states.PREVIEW_UNCHANGED: 'as in the snapshot',
    states.PREVIEW_UPDATED: 'its definition differs from the snapshot\'s',
}


class CloneWalk(RestoreWalk):
    """Make a new stack of a snapshot: its template, environment and
    files, each resource rewritten by its plugin from its artifact (as a
    restore rewrites it), created by the stack driver in dependency order.
    The snapshot's own stack is never touched.
    """

    def prepare(self, snapshot, stack_name, parameters=None,
                environment=None):
        """Check and have the driver store the new stack; nothing is made
        unless everything is valid and every artifact is there.

        :returns: (the new Stack, the Restore holding its resources' data).
        :raises: NotSupported (snapshot not COMPLETE), ArtifactNotFound,
            StackExists, InvalidParameter, InvalidTemplate, Invalid.
        """
        if (snapshot.action, snapshot.status) != (states.CREATE,
                                                  states.COMPLETE):
            raise exception.NotSupported(
                feature='Cloning incomplete snapshot')
        source = snapshot_stack(snapshot)
        restore = self.rewritten(source, snapshot)
        self._check_sources(source, snapshot, restore.resource_data)
        stack = self.driver.create_clone(
            self.context, stack_name, restore.template,
            merge_environment(restore.environment, environment),
            restore.files, parameters or {}, tags=source.tags)
        return stack, restore

    def _check_sources(self, source, snapshot, saved):
        types = {}
        for path, info in flat_resource_info(
                (snapshot.data or {}).get('resources')).items():
            types[path] = info.get('type')
        for path, data in saved.items():
            resource = stacks_base.Resource(name=path, type=types.get(path),
                                            data=data)
            if resource.type:
                self._plugin(source, resource, snapshot.id
                             ).check_restore_source(data)

    def run(self, stack, restore):
        """Create the new stack's resources; blocks.

        :returns: an Outcome.
        """
        try:
            self.driver.run_clone(self.context, stack,
                                  restore.resource_data)
        except Exception as error:
            return Outcome(states.FAILED, operations.failed(
                states.CREATE, error, self.context, 'stack %s' % stack.id),
                None)
        return Outcome(states.COMPLETE, 'Stack %s completed successfully'
                       % states.CREATE, None)


def merge_environment(environment, override):
    """The snapshot's environment with a clone's ``override``: each map
    section merged key by key, any other section replaced.
    """
    merged = copy.deepcopy(environment or {})
    for section, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(section),
                                                  dict):
            merged[section] = dict(merged[section], **value)
        else:
            merged[section] = copy.deepcopy(value)
    return merged


def flat_resource_info(saved, prefix=''):
    """{path: a snapshot's entry of the resource} (see
    flat_resource_data).
    """
    found = {}
    for name, info in (saved or {}).items():
        if not isinstance(info, dict):
            continue
        found[prefix + name] = info
        found.update(flat_resource_info(info.get('resources'),
                                        prefix + name + '/'))
    return found


def _takes(function, name):
    """Whether ``function`` takes the keyword argument ``name`` (a driver
    written before it was added does not).
    """
    parameters = inspect.signature(function).parameters
    return name in parameters or any(
        p.kind == inspect.Parameter.VAR_KEYWORD for p in parameters.values())


def _load_template(text):
    """A nested template (a dict, or its JSON/YAML text), or None."""
    if isinstance(text, dict):
        return copy.deepcopy(text)
    if not isinstance(text, str):
        return None
    try:
        loaded = template_format.load(text)
    except template_format.Invalid:
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
        """Delete every artifact, then the snapshot.

        :returns: an Outcome; a failed delete leaves the snapshot DELETE
            FAILED with the rows of what is still there.
        :raises: OperationFenced when the delete was taken over.
        """
        try:
            self._delete(snapshot_id, stack)
        except Exception as error:
            reason = operations.failed(states.DELETE_SNAPSHOT, error,
                                       self.context,
                                       'snapshot %s' % snapshot_id)
            operations.snapshot_delete_failed(self.context, snapshot_id,
                                              reason)
            return Outcome(states.FAILED, reason, None)
        return Outcome(states.COMPLETE, None, None)

    def _delete(self, snapshot_id, stack):
        snapshot = db_api.snapshot_get(self.context, snapshot_id)
        rows = {row.resource_name: row for row in
                db_api.resource_snapshot_list(self.context, snapshot_id)}
        current = {r.name: r for r in (stack.resources or ())} \
            if stack is not None else {}
        template = (snapshot.data or {}).get('template') or {}
        definitions = template.get('resources') or {}
        operations.progress_reset(self.context, snapshot_id)
        # Those whose plugins made nothing go together, without a step.
        nothing = [(name, row.resource_type) for name, row in rows.items()
                   if registry.plugin_class(
                       row.resource_type).deletes_nothing()]
        if nothing:
            operations.resources_forgotten(self.context, snapshot_id,
                                           nothing)
            for name, _type in nothing:
                del rows[name]
        self._walk({name: set() for name in rows},
                   lambda name: self._delete_resource(
                       stack, snapshot_id, rows[name],
                       current.get(name), definitions.get(name)),
                   name='snapshot-delete')
        operations.snapshot_deleted(self.context, snapshot_id)

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
        operations.progress_started(
            self.context, snapshot_id, row.resource_name, row.resource_type,
            states.DELETE_SNAPSHOT, artifact_id=plugin.artifact_id(data))
        try:
            plugin.handle_delete_snapshot(data)
            yield walk.Poll(
                lambda: plugin.check_delete_snapshot_complete(data),
                'Resource %s DELETE_SNAPSHOT' % row.resource_name,
                ready_in=lambda: plugin.delete_snapshot_ready_in(data))
        except exception.OperationFenced:
            raise
        except Exception as error:
            operations.progress_ended(
                self.context, snapshot_id, row.resource_name, states.FAILED,
                operations.describe(error, self.context))
            raise
        operations.resource_artifact_deleted(self.context, snapshot_id,
                                             row.resource_name)
        operations.progress_ended(self.context, snapshot_id,
                                  row.resource_name, states.COMPLETE,
                                  states.RESOURCE_STATE_CHANGED)
