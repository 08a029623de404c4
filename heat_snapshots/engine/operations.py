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

"""Every change of a snapshot's or a stack operation's state.

The RPC endpoints, the walks, recovery and the heat driver's stack follower
change states only through these functions. Each checks its change against
the state machines of ``common/states.py`` and writes it conditionally on
the state it changes from, with the caller's (fenced) context, so that a
change made by work that lost its hold on the stack is never written.

The Keystone trust an operation works on (common/trusts.py) is recorded
when it starts, and deleted once its end is written: the stack's lock
holds a stack operation's, the snapshot row its own delete's.
"""

import collections

from oslo_log import log as logging
from oslo_utils import timeutils

from heat_snapshots.common import exception
from heat_snapshots.common import states
from heat_snapshots.common import trusts
from heat_snapshots.db import api as db_api
from heat_snapshots.db import group_commit
from heat_snapshots.engine import walk

LOG = logging.getLogger(__name__)

_CREATING = (states.CREATE, states.IN_PROGRESS)
_DELETING = (states.DELETE, states.IN_PROGRESS)


def _expected(state, **more):
    return dict({'action': state[0], 'status': state[1]}, **more)


# --- reasons ---------------------------------------------------------------

def describe(error, context=None):
    """What a user is told of an error (see exception.user_message)."""
    if isinstance(error, walk.WalkFailed):
        error = error.cause
    return exception.user_message(error,
                                  getattr(context, 'request_id', None))


def failure_reason(action, error, context=None):
    """Heat's wording: the failing resource first, then what it said."""
    if isinstance(error, walk.WalkFailed):
        return 'Resource %s failed: Error: resources.%s: %s' % (
            action, error.node, describe(error.cause, context))
    return 'Stack %s failed: %s' % (action, describe(error, context))


def failed(action, error, context, what):
    """The reason an operation failed with; unexpected errors are logged
    in full.

    :raises: OperationFenced: work that lost its stack stops, that is not
        its outcome.
    """
    cause = getattr(error, 'cause', error)
    if isinstance(cause, exception.OperationFenced):
        raise cause
    if not is_expected(error):
        LOG.error('%s of %s failed: %s', action, what, error,
                  exc_info=error)
    return failure_reason(action, error, context)


def is_expected(error):
    """Whether an error needs no traceback in the log."""
    if isinstance(error, walk.WalkFailed):
        error = error.cause
    return isinstance(error, exception.HeatSnapshotsException)


# --- stack operations ------------------------------------------------------

def stack_started(task, driver, supersede=False):
    """Show the task's action IN_PROGRESS on its stack; record its trust
    on the stack's lock.

    :param supersede: the action may replace one in progress.
    """
    action = task.action
    states.check_stack_start((task.stack.action, task.stack.status),
                             action, supersede=supersede)
    trust_id = getattr(task.context, 'trust_id', None)
    if trust_id:
        db_api.stack_lock_set_trust(task.context, task.stack.id,
                                    task.engine_id, task.generation,
                                    trust_id)
    driver.set_stack_state(task.context, task.stack.id, action,
                           states.IN_PROGRESS, 'Stack %s started' % action)


def stack_ended(task, driver, status, reason, snapshot=None):
    """Show the operation's end and let go of the stack, in one
    transaction.

    :param snapshot: (snapshot id, {column: value}) of the snapshot the
        operation made, written with the end.
    :returns: the generation of a stack delete that waited and now holds
        the stack, or None.
    :raises: OperationFenced when the stack was taken over meanwhile.
    """
    states.check_stack_end(task.action, status)
    try:
        driver.operation_ending(task.context, task.stack, task.action)
    except Exception as error:
        # Shown without it: the filter then tells Heat's next action by
        # Heat's times only.
        LOG.warning('Could not note the state of stack %s as its %s '
                    'ends: %s', task.stack.id, task.action.lower(), error)

    stuck = []
    if status == states.FAILED:
        # A step whose own outcome could not be written (the database
        # refused it) ends with the operation.
        try:
            stack = driver.get_stack(task.context, task.stack.id,
                                     with_resources=True, show_deleted=True)
            stuck = [r for r in stack.resources or ()
                     if r.status == states.IN_PROGRESS]
        except Exception as error:
            # Their state is shown, not owned: the operation ends anyway.
            LOG.warning('Could not read the resources of stack %s to end '
                        'their steps: %s', task.stack.id, error)

    def final():
        if snapshot is not None:
            snapshot_ended(task.context, snapshot[0], snapshot[1])
            if status == states.FAILED:
                db_api.resource_snapshot_fail_in_progress(
                    task.context, snapshot[0], reason)
                db_api.operation_resource_end_in_progress(
                    task.context, snapshot[0], states.FAILED, reason)
        for resource in stuck:
            driver.set_resource_state(task.context, task.stack.id,
                                      resource.name, resource.action,
                                      states.FAILED, reason)
        driver.set_stack_state(task.context, task.stack.id, task.action,
                               status, reason)

    gone = (task.action, status) == (states.DELETE, states.COMPLETE)
    result = task.release(final, forget=gone,
                          handover=_delete_started(task, driver))
    _trust_ended(task)
    return result


def stack_forgotten(task):
    """Let go of a stack that is gone, and of the operation's trust."""
    task.release(forget=True)
    _trust_ended(task)


def trust_unused(context, what):
    """Delete the trust a request made for work it did not start."""
    trust_id = getattr(context, 'trust_id', None)
    if trust_id:
        trusts.delete(trust_id, what=what)


def _trust_ended(task):
    """Delete the trust of an operation whose end is written (a hold that
    was taken over raised before: its new holder works on the trust).
    """
    trust_id = getattr(task.context, 'trust_id', None)
    if trust_id:
        trusts.delete(trust_id, what='the %s of stack %s' % (
            task.action, task.stack.id))


def _delete_started(task, driver):
    """A stack delete that waited takes the stack as the operation ends.

    The stack shows DELETE_IN_PROGRESS in the same transaction, never the
    operation's end alone.
    """
    def show():
        driver.set_stack_state(task.context, task.stack.id, states.DELETE,
                               states.IN_PROGRESS,
                               'Stack %s started' % states.DELETE)
    return show


def stack_operation_abandoned(task, driver, stack, reason=None):
    """Fail the operation nothing runs any more on ``stack`` (already
    taken over by ``task``), with its snapshot and resources, and let go.

    :param reason: why; by default, its engine went down.
    """
    snapshot_reason = reason or states.ENGINE_DOWN_REASON % 'snapshot'
    reason = reason or states.ENGINE_DOWN_REASON % task.action.lower()

    def final():
        for snapshot in db_api.snapshot_list_by_stack(task.context,
                                                      stack.id):
            if (snapshot.action, snapshot.status) == _CREATING:
                snapshot_failed(task.context, snapshot.id, snapshot_reason)
        if stack.status != states.IN_PROGRESS:
            return
        driver.set_stack_state(task.context, stack.id, stack.action,
                               states.FAILED, reason)
        # As Heat's reset of a stack: its resources stop showing the
        # dead engine's step IN_PROGRESS too.
        for resource in stack.resources or ():
            if resource.status == states.IN_PROGRESS:
                driver.set_resource_state(task.context, stack.id,
                                          resource.name, resource.action,
                                          states.FAILED, reason)

    result = task.release(final, handover=_delete_started(task, driver))
    _trust_ended(task)
    return result


# --- snapshots -------------------------------------------------------------

def snapshot_created(task, name, data, limit=None, policy_id=None):
    """Record a new snapshot of the task's stack, CREATE IN_PROGRESS.

    :param limit: most snapshots the stack may have, or None.
    :param policy_id: the snapshot policy making it (None: a user).
    :raises: RequestLimitExceeded.
    """
    states.SNAPSHOT_MACHINE.check(None, _CREATING)
    stack = task.stack
    return db_api.snapshot_create(task.context, {
        'name': name,
        'stack_id': stack.id,
        'stack_name': stack.name,
        'project_id': stack.project_id,
        'action': states.CREATE,
        'status': states.IN_PROGRESS,
        'engine_id': task.engine_id,
        'data': data,
        'policy_id': policy_id,
    }, limit=limit)


def snapshot_ended(context, snapshot_id, values):
    """Show a snapshot's outcome: COMPLETE or FAILED, with its data."""
    states.SNAPSHOT_MACHINE.check(_CREATING,
                                  (states.CREATE, values['status']))
    return db_api.snapshot_update(context, snapshot_id, values,
                                  expected=_expected(_CREATING))


def snapshot_failed(context, snapshot_id, reason, engine_id=None):
    """Fail a snapshot being created, and its resources' rows.

    :param engine_id: only if this engine was making it.
    """
    states.SNAPSHOT_MACHINE.check(_CREATING, (states.CREATE, states.FAILED))
    expected = _expected(_CREATING)
    if engine_id is not None:
        expected['engine_id'] = engine_id
    if not db_api.snapshot_update(
            context, snapshot_id,
            {'status': states.FAILED, 'status_reason': reason},
            expected=expected):
        return False
    db_api.resource_snapshot_fail_in_progress(context, snapshot_id, reason)
    db_api.operation_resource_end_in_progress(context, snapshot_id,
                                              states.FAILED, reason)
    return True


def snapshot_claimed(context, snapshot, engine_id,
                     reason=states.DELETE_STARTED_REASON):
    """Take a snapshot for its delete by ``engine_id``.

    Conditional on the state and owner read in ``snapshot``, so two
    claims racing make one delete between them.

    :returns: whether this claim won.
    :raises: SnapshotInUse while a restore reads the snapshot.
    """
    source = (snapshot.action, snapshot.status)
    states.SNAPSHOT_MACHINE.check(source, _DELETING)
    fence = getattr(context, 'fence', None)
    # A stack delete's trust is on the stack's lock and ends with it.
    own = fence is None or fence.stack_id is None
    trust_id = getattr(context, 'trust_id', None) if own else None
    claimed = db_api.snapshot_claim(
        context, snapshot.id,
        {'action': states.DELETE, 'status': states.IN_PROGRESS,
         'status_reason': reason, 'engine_id': engine_id,
         'trust_id': trust_id},
        expected=_expected(source, engine_id=snapshot.engine_id))
    replaced = getattr(snapshot, 'trust_id', None)
    if claimed and replaced and replaced != trust_id:
        # The trust of the delete taken over: nothing works on it now.
        _snapshot_trust_ended(replaced, snapshot.id)
    return claimed


def _snapshot_trust(context, snapshot_id):
    try:
        return db_api.snapshot_get(context, snapshot_id).trust_id
    except exception.SnapshotIdNotFound:
        return None


def _snapshot_trust_ended(trust_id, snapshot_id):
    if trust_id:
        trusts.delete(trust_id,
                      what='the delete of snapshot %s' % snapshot_id)


def snapshot_delete_failed(context, snapshot_id, reason):
    """A failed delete lets go of its trust: a new delete makes its own."""
    states.SNAPSHOT_MACHINE.check(_DELETING, (states.DELETE, states.FAILED))
    trust_id = _snapshot_trust(context, snapshot_id)
    ended = db_api.snapshot_update(
        context, snapshot_id,
        {'status': states.FAILED, 'status_reason': reason,
         'trust_id': None},
        expected=_expected(_DELETING))
    if ended:
        db_api.operation_resource_end_in_progress(context, snapshot_id,
                                                  states.FAILED, reason)
        _snapshot_trust_ended(trust_id, snapshot_id)
    return ended


def snapshot_deleted(context, snapshot_id):
    """Remove a snapshot whose artifacts are all gone."""
    states.SNAPSHOT_MACHINE.check(_DELETING, None)
    trust_id = _snapshot_trust(context, snapshot_id)
    deleted = db_api.snapshot_delete(context, snapshot_id,
                                     expected=_expected(_DELETING))
    if deleted:
        _snapshot_trust_ended(trust_id, snapshot_id)
    return deleted


# --- a resource of a snapshot ----------------------------------------------

def _resource_values(resource, **values):
    values.setdefault('resource_type', resource.type)
    values.setdefault('physical_resource_id', resource.physical_resource_id)
    return values


def _states_of_many(context, items, steps_of):
    """Show the steps ``steps_of(item)`` of each item's resource, for the
    resources of a stack alike at once (items: (driver, stack_id,
    resource, ...)).
    """
    together = collections.OrderedDict()
    for item in items:
        driver, stack_id, resource = item[:3]
        together.setdefault((driver, stack_id, tuple(steps_of(item))),
                            []).append(resource.name)
    for (driver, stack_id, steps), names in together.items():
        driver.set_resources_states(context, stack_id, names, list(steps))


def _started_values(resource):
    return _resource_values(resource, action=states.SNAPSHOT,
                            status=states.IN_PROGRESS, status_reason=None)


def _resources_started(context, items):
    """resource_started's writes for each item (driver, stack_id,
    resource, snapshot_id), a statement per kind of row for all.
    """
    db_api.resource_snapshot_set_many(context, [
        (snapshot_id, resource.name, _started_values(resource))
        for _driver, _stack_id, resource, snapshot_id in items], new=True)
    db_api.operation_resource_set_many(context, [
        (snapshot_id, resource.name,
         _progress_started_values(resource.type, states.SNAPSHOT))
        for _driver, _stack_id, resource, snapshot_id in items], new=True)
    _states_of_many(context, items, lambda item: [
        (states.SNAPSHOT, states.IN_PROGRESS,
         states.RESOURCE_STATE_CHANGED)])
    return [None] * len(items)


def resource_started(context, driver, stack_id, snapshot_id, resource):
    """The resource's snapshot begins: its row and its state, committed
    (with other walks' changes) before the walk goes on.

    :returns: the change (see group_commit.submit).
    """
    states.RESOURCE_SNAPSHOT_MACHINE.check(
        None, (states.SNAPSHOT, states.IN_PROGRESS))

    def write(ctx):
        def all_of_it():
            db_api.resource_snapshot_set(ctx, snapshot_id, resource.name,
                                         _started_values(resource),
                                         new=True)
            progress_started(ctx, snapshot_id, resource.name,
                             resource.type, states.SNAPSHOT)
            driver.set_resource_state(ctx, stack_id, resource.name,
                                      states.SNAPSHOT, states.IN_PROGRESS,
                                      states.RESOURCE_STATE_CHANGED)
        db_api.run_in_transaction(ctx, all_of_it)

    return group_commit.submit(context, write, many=_resources_started,
                               item=(driver, stack_id, resource,
                                     snapshot_id))


def _recorded(context, pairs):
    """What each plugin of ``pairs`` (plugin, data) records, in order: the
    plugins of one class by one ``record_snapshots`` call.
    """
    by_class = collections.OrderedDict()
    for index, (plugin, _data) in enumerate(pairs):
        by_class.setdefault(type(plugin), []).append(index)
    recorded = [None] * len(pairs)
    for cls, indexes in by_class.items():
        results = cls.record_snapshots(context,
                                       [pairs[index] for index in indexes])
        for index, result in zip(indexes, results):
            recorded[index] = result
    return recorded


def _resources_started_with_artifact(context, items):
    """resource_started_with_artifact's writes for each item (driver,
    stack_id, resource, snapshot_id, plugin, data): what each plugin
    writes, then a statement per kind of row for all.
    """
    recorded = _recorded(context, [
        (plugin, data) for _driver, _stack_id, _resource, _snapshot_id,
        plugin, data in items])
    rows, progress = [], []
    for (_driver, _stack_id, resource, snapshot_id, plugin,
         _data), data in zip(items, recorded):
        rows.append((snapshot_id, resource.name,
                     dict(_started_values(resource), data=data)))
        progress.append((snapshot_id, resource.name,
                         _progress_started_values(
                             resource.type, states.SNAPSHOT,
                             plugin.artifact_id(data))))
    db_api.resource_snapshot_set_many(context, rows, new=True)
    db_api.operation_resource_set_many(context, progress, new=True)
    _states_of_many(context, items, lambda item: [
        (states.SNAPSHOT, states.IN_PROGRESS,
         states.RESOURCE_STATE_CHANGED)])
    return recorded


def resource_started_with_artifact(context, driver, stack_id, snapshot_id,
                                   resource, plugin, data):
    """resource_started and resource_recorded as one change, for a plugin
    whose artifact is made by ``record_snapshot`` (a row of our database,
    see ResourcePlugin.artifact_made_in_record): the start, the artifact
    and the record of its id are committed together, fenced, before
    anything waits on it. A walk whose stack was taken over makes nothing.

    :returns: the change (see group_commit.submit), whose result is
        the data recorded.
    """
    states.RESOURCE_SNAPSHOT_MACHINE.check(
        None, (states.SNAPSHOT, states.IN_PROGRESS))
    item = (driver, stack_id, resource, snapshot_id, plugin, data)

    def write(ctx):
        return db_api.run_in_transaction(
            ctx, lambda: _resources_started_with_artifact(ctx, [item])[0])

    return group_commit.submit(context, write,
                               many=_resources_started_with_artifact,
                               item=item)


def _resources_recorded(context, items):
    """resource_recorded's writes for each item (resource, snapshot_id,
    plugin, data): what each plugin writes, then a statement per kind of
    row for all.
    """
    recorded = _recorded(context, [
        (plugin, data) for _resource, _snapshot_id, plugin, data in items])
    rows, artifacts = [], []
    for (resource, snapshot_id, plugin, _data), data in zip(items,
                                                            recorded):
        rows.append((snapshot_id, resource.name,
                     _resource_values(resource, data=data)))
        artifact_id = plugin.artifact_id(data)
        if artifact_id is not None:
            artifacts.append((snapshot_id, resource.name,
                              {'artifact_id': artifact_id}))
    db_api.resource_snapshot_set_many(context, rows)
    if artifacts:
        db_api.operation_resource_set_many(context, artifacts)
    return recorded


def resource_recorded(context, snapshot_id, resource, plugin, data):
    """The artifact's id, committed before anything waits on it, with
    what the plugin writes of it (``plugin.record_snapshot``).

    :returns: the change (see group_commit.submit), whose result is
        the data recorded.
    """
    states.RESOURCE_SNAPSHOT_MACHINE.check(
        (states.SNAPSHOT, states.IN_PROGRESS),
        (states.SNAPSHOT, states.IN_PROGRESS))

    def write(ctx):
        def all_of_it():
            recorded = plugin.record_snapshot(ctx, data)
            db_api.resource_snapshot_set(
                ctx, snapshot_id, resource.name,
                _resource_values(resource, data=recorded))
            artifact_id = plugin.artifact_id(recorded)
            if artifact_id is not None:
                db_api.operation_resource_set(ctx, snapshot_id,
                                              resource.name,
                                              {'artifact_id': artifact_id})
            return recorded
        # One transaction, also when written alone.
        return db_api.run_in_transaction(ctx, all_of_it)

    return group_commit.submit(context, write, many=_resources_recorded,
                               item=(resource, snapshot_id, plugin, data))


def _ended_values(resource, status, reason, data, abandoned):
    values = _resource_values(resource, status=status, status_reason=reason)
    if data is not None:
        values['data'] = data
    if abandoned:
        values['data'] = None
    return values


def _resources_ended(context, items):
    """resource_ended's writes for each item (driver, stack_id, resource,
    snapshot_id, status, reason, data, abandoned), a statement per kind
    (and shape) of row for all.
    """
    db_api.resource_snapshot_set_many(context, [
        (snapshot_id, resource.name,
         _ended_values(resource, status, reason, data, abandoned))
        for (_driver, _stack_id, resource, snapshot_id, status, reason,
             data, abandoned) in items])
    db_api.operation_resource_set_many(context, [
        (snapshot_id, resource.name,
         _progress_ended_values(status, reason, abandoned))
        for (_driver, _stack_id, resource, snapshot_id, status, reason,
             _data, abandoned) in items])
    _states_of_many(context, items, lambda item: [
        (states.SNAPSHOT, item[4], item[5])])
    return [None] * len(items)


def resource_ended(context, driver, stack_id, snapshot_id, resource, status,
                   reason, data=None, abandoned=False):
    """:param data: the resource's data, when not recorded before.
    :param abandoned: the plugin removed what it had made (a cancel):
        the row forgets its data.
    :returns: the change (see group_commit.submit).
    """
    states.RESOURCE_SNAPSHOT_MACHINE.check(
        (states.SNAPSHOT, states.IN_PROGRESS), (states.SNAPSHOT, status))
    values = _ended_values(resource, status, reason, data, abandoned)

    def write(ctx):
        def both():
            db_api.resource_snapshot_set(ctx, snapshot_id, resource.name,
                                         values)
            progress_ended(ctx, snapshot_id, resource.name, status, reason,
                           abandoned=abandoned)
            driver.set_resource_state(ctx, stack_id, resource.name,
                                      states.SNAPSHOT, status, reason)
        # One transaction, also when written alone.
        db_api.run_in_transaction(ctx, both)

    return group_commit.submit(context, write, many=_resources_ended,
                               item=(driver, stack_id, resource, snapshot_id,
                                     status, reason, data, abandoned))


def _stepped_values(resource, status, reason, data):
    values = _resource_values(resource, action=states.SNAPSHOT,
                              status=status, status_reason=reason)
    if data is not None:
        values['data'] = data
    return values


def _progress_once(resource_type, action, status, reason):
    # A progress row started and ended at once: written once.
    now = timeutils.utcnow()
    return {'resource_type': resource_type, 'action': action,
            'status': status, 'status_reason': reason,
            'artifact_id': None, 'started_at': now, 'finished_at': now}


def _stepped_states(status, reason):
    return [(states.SNAPSHOT, states.IN_PROGRESS,
             states.RESOURCE_STATE_CHANGED),
            (states.SNAPSHOT, status, reason)]


def _resources_stepped(context, items, waves=None):
    """resource_stepped's writes for each item (driver, stack_id,
    resource, snapshot_id, status, reason, data), a statement per kind
    (and shape) of row for all.

    :param waves: the items in waves (walk.waves): their resources' states
        are written wave after wave, each resource's start after the ends
        of those it depends on. By default one wave.
    """
    db_api.resource_snapshot_set_many(context, [
        (snapshot_id, resource.name,
         _stepped_values(resource, status, reason, data))
        for (_driver, _stack_id, resource, snapshot_id, status, reason,
             data) in items], new=True)
    db_api.operation_resource_set_many(context, [
        (snapshot_id, resource.name,
         _progress_once(resource.type, states.SNAPSHOT, status, reason))
        for (_driver, _stack_id, resource, snapshot_id, status, reason,
             _data) in items], new=True)
    for wave in waves or [items]:
        _states_of_many(context, wave,
                        lambda item: _stepped_states(item[4], item[5]))
    return [None] * len(items)


def resource_stepped(context, driver, stack_id, snapshot_id, resource, status,
                     reason, data=None):
    """The whole snapshot of a resource whose plugin makes no artifact
    (nothing can be left behind): its start and its end in one change.

    The row is written with its outcome; the resource's state shows the
    start, then the outcome (two events, as for any resource).

    :returns: the change (see group_commit.submit).
    """
    states.RESOURCE_SNAPSHOT_MACHINE.check(
        None, (states.SNAPSHOT, states.IN_PROGRESS))
    states.RESOURCE_SNAPSHOT_MACHINE.check(
        (states.SNAPSHOT, states.IN_PROGRESS), (states.SNAPSHOT, status))

    def write(ctx):
        def all_of_it():
            db_api.resource_snapshot_set(
                ctx, snapshot_id, resource.name,
                _stepped_values(resource, status, reason, data), new=True)
            db_api.operation_resource_set(
                ctx, snapshot_id, resource.name,
                _progress_once(resource.type, states.SNAPSHOT, status,
                               reason), new=True)
            driver.set_resource_states(ctx, stack_id, resource.name,
                                       _stepped_states(status, reason))
        db_api.run_in_transaction(ctx, all_of_it)

    return group_commit.submit(context, write, many=_resources_stepped,
                               item=(driver, stack_id, resource, snapshot_id,
                                     status, reason, data))


def resources_stepped_at_once(context, driver, stack_id, snapshot_id,
                              waves):
    """The whole snapshot of several resources whose snapshot is their data
    (snapshot_is_data), in one transaction: what resource_stepped writes
    for each, all COMPLETE.

    :param waves: lists of (resource, data), each resource in a wave after
        those it depends on (walk.waves).
    """
    states.RESOURCE_SNAPSHOT_MACHINE.check(
        None, (states.SNAPSHOT, states.IN_PROGRESS))
    states.RESOURCE_SNAPSHOT_MACHINE.check(
        (states.SNAPSHOT, states.IN_PROGRESS),
        (states.SNAPSHOT, states.COMPLETE))
    waves = [[(driver, stack_id, resource, snapshot_id, states.COMPLETE,
               states.RESOURCE_STATE_CHANGED, data)
              for resource, data in wave] for wave in waves]
    db_api.run_in_transaction(context, lambda: _resources_stepped(
        context, [item for wave in waves for item in wave], waves))


def resource_artifact_deleted(context, snapshot_id, resource_name):
    """The row goes with its artifact, never before it."""
    group_commit.write(context, lambda ctx: db_api.resource_snapshot_delete(
        ctx, snapshot_id, resource_name))


def resources_forgotten(context, snapshot_id, resources):
    """The rows of resources whose plugins have nothing to delete (they
    made no artifact) go, in one transaction, each shown DELETE_SNAPSHOT
    COMPLETE in the delete's progress.

    :param resources: (name, type) of each.
    """
    def write():
        db_api.resource_snapshot_delete_many(
            context, snapshot_id, [name for name, _type in resources])
        db_api.operation_resource_set_many(context, [
            (snapshot_id, name,
             _progress_once(resource_type, states.DELETE_SNAPSHOT,
                            states.COMPLETE, states.RESOURCE_STATE_CHANGED))
            for name, resource_type in resources], new=True)
    db_api.run_in_transaction(context, write)


# --- progress of the operation on a snapshot, per resource ---------------

def progress_reset(context, snapshot_id):
    """A new operation on the snapshot (a restore, its delete) begins: the
    rows of the previous one go.
    """
    db_api.operation_resources_reset(context, snapshot_id)


def progress_restarted(context, snapshot_id, action, started):
    """A new operation on the snapshot begins with ``started`` ((name,
    type, artifact id) of each resource it starts at once): the previous
    operation's rows go and these are written, in one transaction.
    """
    # A path named twice keeps its last values, as its second write did.
    rows = {name: (resource_type, artifact_id)
            for name, resource_type, artifact_id in started}

    def write():
        db_api.operation_resources_reset(context, snapshot_id)
        # The rows are new (the reset removed any): one INSERT for all.
        db_api.operation_resource_set_many(context, [
            (snapshot_id, name,
             _progress_started_values(resource_type, action, artifact_id))
            for name, (resource_type, artifact_id) in rows.items()],
            new=True)
    db_api.run_in_transaction(context, write)


def _progress_started_values(resource_type, action, artifact_id=None):
    return {'resource_type': resource_type, 'action': action,
            'status': states.IN_PROGRESS, 'status_reason': None,
            'artifact_id': artifact_id, 'started_at': timeutils.utcnow(),
            'finished_at': None}


def progress_started(context, snapshot_id, name, resource_type, action,
                     artifact_id=None):
    """The resource's part of the operation starts, now."""
    db_api.operation_resource_set(
        context, snapshot_id, name,
        _progress_started_values(resource_type, action, artifact_id),
        new=True)


def _progress_ended_values(status, reason, abandoned=False):
    values = {'status': status, 'status_reason': reason,
              'finished_at': timeutils.utcnow()}
    if abandoned:
        values['artifact_id'] = None
    return values


def progress_ended(context, snapshot_id, name, status, reason,
                   abandoned=False):
    db_api.operation_resource_set(
        context, snapshot_id, name,
        _progress_ended_values(status, reason, abandoned))


def progress_all_ended(context, snapshot_id, status, reason):
    """End every resource of the operation still IN_PROGRESS (those a
    restore's stack update brings back together).
    """
    db_api.operation_resource_end_in_progress(context, snapshot_id, status,
                                              reason)
