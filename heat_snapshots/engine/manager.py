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

"""The engine's RPC endpoint.

Checks a request against Heat's rules, takes the stack (engine/locks.py),
records the request and hands the lock and the long work (the walks) to a
bounded pool of worker threads, so that every call returns at once. States
change only through engine/operations.py; the walks live in snapshots.py;
where stacks live is the stack driver's business.
"""

import operator
import threading
import time

from oslo_log import log as logging
import oslo_messaging as messaging

from heat_snapshots.common import context as hs_context
from heat_snapshots.common import exception
from heat_snapshots.common import notifications
from heat_snapshots.common import rpc
from heat_snapshots.common import states
from heat_snapshots.db import api as db_api
from heat_snapshots.engine import base_manager
from heat_snapshots.engine import formatters
from heat_snapshots.engine import heat_listener
from heat_snapshots.engine import locks
from heat_snapshots.engine import operations
from heat_snapshots.engine import policies
from heat_snapshots.engine import recovery
from heat_snapshots.engine import snapshots
from heat_snapshots.engine.stacks import base as stacks_base

LOG = logging.getLogger(__name__)

RPC_API_VERSION = '1.9'

_EXPECTED = (exception.HeatSnapshotsException,)


def _moved(name):
    """A stack CRUD method of version 1.1, now the stack endpoint's.

    Callers of 1.1 (an API not yet upgraded) reach it here until 2.0.
    """
    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def method(self, context, *args, **kwargs):
        if self.stack_endpoint is None:
            raise exception.NotSupported(
                feature='Managing stacks with the %s stack driver' %
                self.conf.heat_snapshots.stack_driver)
        try:
            return getattr(self.stack_endpoint, name)(context, *args,
                                                      **kwargs)
        except messaging.ExpectedException as e:
            raise e.exc_info[1]
    method.__name__ = name
    return method


class EngineManager(base_manager.BaseEngineManager):
    """The endpoint of topic heat-snapshots-engine, API version 1.x."""

    RPC_API_VERSION = RPC_API_VERSION
    target = messaging.Target(version=RPC_API_VERSION)

    def __init__(self, conf, driver=None):
        super().__init__(conf, driver)
        # The operations this engine runs: {key: what it is}; recovery
        # fails or resumes what this engine holds but does not run.
        self.running = {}
        self.running_lock = threading.Lock()
        self._recovery = recovery.Recovery(self)
        # A driver that manages stacks serves their CRUD on an endpoint of
        # its own, next to this one.
        self.stack_endpoint = None
        if isinstance(self.driver, stacks_base.ManagingStackDriver):
            self.stack_endpoint = self.driver.rpc_endpoint(self)
        # Snapshot policies: every engine looks for due runs.
        self.policies = policies.PolicyScheduler(self)
        self.add_periodic_source(self.policies)

    def stop(self):
        """Let the policy runs in progress end, then stop as every engine.
        """
        self._stopping.set()
        self.policies.stop()
        super().stop()

    def rpc_endpoints(self):
        """The endpoint objects of this engine's RPC server."""
        endpoints = [self]
        if self.stack_endpoint is not None:
            endpoints.append(self.stack_endpoint)
        return endpoints

    def recover(self):
        """Fail or resume what dead engines, or this engine's own lost
        workers, left IN_PROGRESS (see engine/recovery.py).
        """
        if not self._stopping.is_set():
            self._recovery.run(can_judge_others=self.can_judge_others())

    # --- running operations ----------------------------------------------

    def submit(self, key, function, *args, **kwargs):
        """Run an operation in the pool, known to recovery while it runs.

        :param key: what the operation holds: ('stack', id, generation) or
            ('snapshot', id, engine).
        """
        if self._stopping.is_set():
            # The pool drains for the stop and takes nothing new; the hold
            # stays recorded and is taken over once this engine is gone.
            LOG.info('Engine %s is stopping: %s is left to recovery',
                     self.engine_id, key)
            return
        with self.running_lock:
            self.running[key] = function.__name__

        def run():
            failed = False
            try:
                function(*args, **kwargs)
            except exception.OperationFenced as error:
                LOG.warning('Stopped: %s', error)
            except Exception:
                LOG.exception('Operation %s ended with an error', key)
                failed = True
            finally:
                with self.running_lock:
                    self.running.pop(key, None)
            if failed:
                self._abandoned(key)

        try:
            self.pool.submit(run)
        except Exception:
            with self.running_lock:
                self.running.pop(key, None)
            raise

    def _abandoned(self, key):
        """End at once the work whose worker raised: it is not left
        IN_PROGRESS until the next recovery pass (which retries this if
        the database refuses it now).
        """
        admin = hs_context.get_admin_context()
        try:
            if key[0] == 'stack':
                lock = db_api.stack_lock_get(admin, key[1])
                if lock is not None and (lock.engine_id, lock.generation) \
                        == (self.engine_id, key[2]):
                    self._recovery.take_over_stack(
                        lock, states.WORKER_LOST_REASON % lock.action)
            else:
                snapshot = db_api.snapshot_get(admin, key[1])
                if (snapshot.action, snapshot.status, snapshot.engine_id) \
                        == (states.DELETE, states.IN_PROGRESS,
                            self.engine_id):
                    operations.snapshot_delete_failed(
                        hs_context.service_context(snapshot.project_id),
                        snapshot.id,
                        states.WORKER_LOST_REASON % states.DELETE_SNAPSHOT)
        except Exception:
            LOG.exception('Could not end %s; recovery will', key)

    def is_running(self, key):
        with self.running_lock:
            return key in self.running

    def _spawn(self, task, function, *args):
        task.spawn_after(
            lambda fn, *a: self.submit(task.key, fn, *a), function,
            task, *args)

    # --- helpers ----------------------------------------------------------

    def get_stack(self, context, stack_identity, with_resources=False,
                  show_deleted=False):
        """The stack the URL names: its id and its name must agree.

        :raises: StackNotFound naming the stack as the URL does.
        """
        return self._named(stack_identity, lambda stack_id: (
            self.driver.get_stack(context, stack_id,
                                  with_resources=with_resources,
                                  show_deleted=show_deleted)))

    def get_stack_summary(self, context, stack_identity):
        """get_stack, but only the stack's id, name, project and state.

        :raises: StackNotFound naming the stack as the URL does.
        """
        return self._named(stack_identity, lambda stack_id: (
            self.driver.get_stack_summary(context, stack_id)))

    @staticmethod
    def _named(stack_identity, read, stack_of=lambda found: found):
        """``read(stack id)``, whose stack (``stack_of`` what it returns)
        must have the name the URL gives.
        """
        name = stack_identity.get('stack_name')
        try:
            found = read(stack_identity.get('stack_id'))
        except exception.StackNotFound:
            raise exception.StackNotFound(name)
        if name is not None and stack_of(found).name != name:
            raise exception.StackNotFound(name)
        return found

    def _get_snapshot(self, context, stack, snapshot_id):
        snapshot = db_api.snapshot_get(context, snapshot_id)
        if snapshot.stack_id != stack.id:
            raise exception.SnapshotNotFound(snapshot=snapshot_id,
                                             stack=stack.name)
        return snapshot

    @staticmethod
    def check_not_busy(stack):
        if stack.status == states.IN_PROGRESS:
            raise exception.ActionInProgress(stack_name=stack.name,
                                             action=stack.action)

    def _start(self, context, stack, action, run, snapshot_id=None,
               prepare=None, start=None, acquire=locks.acquire,
               supersede=False):
        """Take the stack, show ACTION_IN_PROGRESS and run ``run(task)``
        in the pool; the stack is let go if anything before fails.

        :param prepare: ``prepare(task)`` first, in the same transaction
            as the stack's state; its result is returned.
        :param start: ``start(task, prepared)`` after that transaction,
            before this call returns (it must not raise); ``run`` gets its
            result.
        :param acquire: how the stack is taken (locks.acquire's
            signature).
        :param supersede: the stack may be IN_PROGRESS (see
            states.check_stack_start).
        :raises: ActionInProgress when another operation holds the stack.
        """
        with acquire(context, stack, self.engine_id, action,
                     snapshot_id=snapshot_id) as task:
            def begin():
                result = prepare(task) if prepare is not None else None
                operations.stack_started(task, self.driver,
                                         supersede=supersede)
                return result
            result = db_api.run_in_transaction(task.context, begin)
            started = start(task, result) if start is not None else result
            self._spawn(task, run, started)
        return result

    def _run(self, task, work, snapshot_id=None):
        """Run ``work()`` and end the operation.

        ``work()`` returns an Outcome, or None for a plain success. The
        end, the snapshot's outcome and the release of the stack are one
        transaction; a stack delete that waited for the stack then starts
        on it.
        """
        what = '%s%s' % (task.action, ' of snapshot %s' % task.snapshot_id
                         if task.snapshot_id else '')
        try:
            outcome = work() or snapshots.Outcome(
                states.COMPLETE,
                'Stack %s completed successfully' % task.action, None)
        except Exception as error:
            try:
                reason = operations.failed(task.action, error, task.context,
                                           'stack %s' % task.stack.id)
            except exception.OperationFenced as fenced:
                # Its end is the new holder's to write (a restore that a
                # later one superseded): nothing of it is written here.
                LOG.info('Stack %s: %s stopped, taken over: %s',
                         task.stack.id, what, fenced)
                raise
            outcome = snapshots.Outcome(states.FAILED, reason, None)
        # Before its end is written: a restore superseded by another one
        # (its stack taken over) ends here.
        LOG.info('Stack %s: %s ended %s: %s', task.stack.id, what,
                 outcome.status, outcome.reason)
        snapshot = None
        if snapshot_id is not None:
            values = {'status': outcome.status,
                      'status_reason': outcome.reason}
            if outcome.data is not None:
                values['data'] = outcome.data
            snapshot = (snapshot_id, values)
        handover = operations.stack_ended(task, self.driver, outcome.status,
                                          outcome.reason, snapshot=snapshot)
        if handover is not None:
            self.delete_after(task, handover)
        return outcome

    def delete_after(self, task, generation):
        """Run the stack delete that waited for ``task``'s stack; it holds
        the stack at ``generation`` and shows DELETE_IN_PROGRESS already.
        """
        context = hs_context.service_context(
            task.stack.project_id, request_id=task.context.request_id)
        delete = locks.StackTask(context, task.stack, self.engine_id,
                                 states.DELETE, generation)
        LOG.info('Stack %s is free: deleting it as requested',
                 task.stack.id)
        self.submit(delete.key, self.run_stack_delete, delete)

    # --- stacks -----------------------------------------------------------

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def identify_stack(self, context, stack_name_or_id):
        """:raises: StackNotFound.
        """
        stack = self.driver.find_stack(context, stack_name_or_id)
        return formatters.stack_identity(stack)

    def start_operation(self, context, stack, action, work):
        """Run ``work(task)`` on the stack as an operation: under its lock,
        in the pool, ended (and recovered) as every operation is.

        :param work: returns an Outcome, or None for a plain success.
        :raises: ActionInProgress when another operation holds the stack.
        """
        self._start(context, stack, action,
                    lambda task, _prepared: self._run(
                        task, lambda: work(task)))

    def start_stack_delete(self, context, stack):
        """Delete the stack and every snapshot of it, with their artifacts.

        A stack busy with another operation is deleted once that ends, as
        Heat accepts a delete while a snapshot runs: the request is
        recorded on the stack's lock and no worker waits for it. Repeated
        deletes change nothing.
        """
        if (stack.action, stack.status) == (states.DELETE,
                                            states.IN_PROGRESS):
            operations.trust_unused(context, 'the repeated delete of stack '
                                    '%s' % stack.id)
            return
        # Between a busy stack becoming free and the request being
        # recorded, one of the two always succeeds; a few rounds settle
        # any race.
        for _attempt in range(3):
            try:
                self._start(context, stack, states.DELETE,
                            self.run_stack_delete)
                return
            except exception.ActionInProgress:
                if db_api.stack_lock_request_delete(context,
                                                    stack.id) is not None:
                    LOG.info('Stack %s is busy: it will be deleted when '
                             'its operation ends', stack.id)
                    # The stack's lock holds its operation's trust; the
                    # delete then runs as the service (delete_after).
                    operations.trust_unused(context, 'the delete of busy '
                                            'stack %s' % stack.id)
                    return
        raise exception.ActionInProgress(stack_name=stack.name,
                                         action=states.DELETE)

    def run_stack_delete(self, task, _prepared=None):
        self._run(task, lambda: self._delete_stack(task))

    def _delete_stack(self, task):
        """Claim every snapshot, delete each with its artifacts, then the
        stack. Claims are recorded first, so that after a crash the
        snapshots show DELETE and the delete resumes where it stopped.
        """
        stack = self.driver.get_stack(task.context, task.stack.id)
        # A policy's snapshots with keep_after_stack_delete stay.
        for snapshot in db_api.snapshot_list_by_stack(
                task.context, stack.id, dying_with_stack=True):
            self._claim_for_stack_delete(task, snapshot)
        for snapshot in db_api.snapshot_list_by_stack(
                task.context, stack.id, dying_with_stack=True):
            outcome = snapshots.DeleteWalk(
                self.conf, self.driver, task.context).run(snapshot.id,
                                                          stack)
            if outcome.status != states.COMPLETE:
                raise exception.ResourceFailure(reason=outcome.reason)
        db_api.snapshot_mark_stack_deleted(task.context, stack.id)
        self.driver.run_delete(task.context, stack.id)

    def _claim_for_stack_delete(self, task, snapshot):
        """Take the snapshot for the stack's delete.

        A user's delete walk still running on a live engine is waited for,
        so each snapshot has one walk; a snapshot left being created by a
        dead operation is failed first.
        """
        deadline = (time.monotonic() +
                    self.conf.heat_snapshots.action_timeout)
        while snapshot is not None:
            state = (snapshot.action, snapshot.status)
            if state == (states.DELETE, states.IN_PROGRESS):
                if self._walk_runs(snapshot):
                    if time.monotonic() > deadline:
                        raise exception.OperationTimeout(
                            operation='Waiting for the delete of snapshot '
                                      '%s' % snapshot.id,
                            seconds=self.conf.heat_snapshots.action_timeout)
                    time.sleep(self.conf.heat_snapshots.check_interval_max)
                    snapshot = self._reread(task.context, snapshot.id)
                    continue
                if snapshot.engine_id == self.engine_id:
                    # This delete's own claim, made before it was resumed.
                    return
            elif state == (states.CREATE, states.IN_PROGRESS):
                operations.snapshot_failed(
                    task.context, snapshot.id,
                    states.ENGINE_DOWN_REASON % 'snapshot')
                snapshot = self._reread(task.context, snapshot.id)
                continue
            if operations.snapshot_claimed(
                    task.context, snapshot, self.engine_id,
                    reason='Stack %s is being deleted' % task.stack.name):
                return
            snapshot = self._reread(task.context, snapshot.id)

    def _walk_runs(self, snapshot):
        """Whether a user's delete walk of the snapshot runs, here or on a
        live engine.
        """
        owner = snapshot.engine_id
        if owner == self.engine_id:
            return self.is_running(('snapshot', snapshot.id, owner))
        return self.is_engine_alive(owner)

    @staticmethod
    def _reread(context, snapshot_id):
        try:
            return db_api.snapshot_get(context, snapshot_id)
        except exception.SnapshotIdNotFound:
            return None

    # --- snapshots --------------------------------------------------------

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def stack_snapshot(self, context, stack_identity, name):
        """Start a snapshot of every resource of the stack.

        :param name: the snapshot's name, or None.
        :returns: the snapshot, IN_PROGRESS.
        :raises: StackNotFound, ActionInProgress, RequestLimitExceeded.
        """
        stack = self.get_stack(context, stack_identity)
        self.check_not_busy(stack)
        limit = self.conf.heat_snapshots.max_snapshots_per_stack
        if limit < 0 or context.is_admin:
            limit = None
        snapshot = self._start(
            context, stack, states.SNAPSHOT, self._run_snapshot,
            prepare=lambda task: self._begun(
                task, stack, operations.snapshot_created(
                    task, name, snapshots.stack_data(stack), limit=limit)))
        notifications.notify_start(context, notifications.CREATE, snapshot)
        return formatters.format_snapshot(snapshot)

    def policy_snapshot(self, context, stack, name, policy_id, limit):
        """Start a snapshot of the stack for a snapshot policy's run: the
        user's path, the snapshot recording its policy.

        :returns: the snapshot row, IN_PROGRESS.
        :raises: ActionInProgress, RequestLimitExceeded.
        """
        self.check_not_busy(stack)
        snapshot = self._start(
            context, stack, states.SNAPSHOT, self._run_snapshot,
            prepare=lambda task: self._begun(
                task, stack, operations.snapshot_created(
                    task, name, snapshots.stack_data(stack), limit=limit,
                    policy_id=policy_id)))
        notifications.notify_start(context, notifications.CREATE, snapshot)
        return snapshot

    def _run_snapshot(self, task, snapshot):
        walker = snapshots.SnapshotWalk(self.conf, self.driver, task.context)
        outcome = self._run(task, lambda: walker.run(task.stack.id,
                                                     snapshot.id),
                            snapshot_id=snapshot.id)
        notifications.notify_end(task.context, notifications.CREATE,
                                 snapshot, outcome.status, outcome.reason)

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def stack_list_snapshots(self, context, stack_identity, page=None):
        """:param page: (1.6) {limit, marker, sort_keys, sort_dir,
            filters}, checked by the API.
        :raises: StackNotFound; BadRequest for a marker that is no
            snapshot of the stack.
        """
        stack = self.get_stack_summary(context, stack_identity)
        if page is None:
            found = db_api.snapshot_list_by_stack(context, stack.id)
        else:
            try:
                found = db_api.snapshot_list_paged(
                    context, stack.id, limit=page.get('limit'),
                    marker=page.get('marker'),
                    sort_keys=page.get('sort_keys'),
                    sort_dir=page.get('sort_dir'),
                    filters=page.get('filters'))
            except exception.SnapshotIdNotFound:
                raise exception.BadRequest(
                    'marker %s is not a snapshot of stack %s.'
                    % (page.get('marker'), stack.name))
        return [formatters.format_snapshot(s) for s in found]

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def list_snapshot_resources(self, context, stack_identity, snapshot_id):
        """Each resource of the last operation run on the snapshot (its
        snapshot, a restore to it, its delete), as the walk wrote it.

        :raises: StackNotFound, SnapshotIdNotFound, SnapshotNotFound.
        """
        stack = self.get_stack(context, stack_identity)
        snapshot = self._get_snapshot(context, stack, snapshot_id)
        return [formatters.format_operation_resource(row) for row in
                db_api.operation_resource_list(context, snapshot.id)]

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def cancel_snapshot_operation(self, context, stack_identity,
                                  snapshot_id):
        """Ask the snapshot or restore of the snapshot in progress to
        stop; the engine running its walk, whichever it is, reads the
        request from the stack's lock between resources.

        :raises: StackNotFound, SnapshotIdNotFound, SnapshotNotFound;
            NothingToCancel when neither runs.
        """
        stack = self.get_stack(context, stack_identity)
        snapshot = self._get_snapshot(context, stack, snapshot_id)
        lock = db_api.stack_lock_get(context, stack.id)
        running = lock is not None and lock.engine_id is not None and (
            (lock.action == states.SNAPSHOT and
             (snapshot.action, snapshot.status) == (states.CREATE,
                                                    states.IN_PROGRESS)) or
            (lock.action == states.RESTORE and
             lock.snapshot_id == snapshot.id))
        if not running or not db_api.stack_lock_request_cancel(
                context, stack.id, lock.engine_id, lock.generation):
            raise exception.NothingToCancel(snapshot_id=snapshot.id,
                                            stack_name=stack.name)
        LOG.info('Stack %s: cancel of the %s on engine %s requested',
                 stack.id, lock.action, lock.engine_id)

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def show_snapshot(self, context, stack_identity, snapshot_id):
        """:raises: StackNotFound, SnapshotIdNotFound, SnapshotNotFound."""
        stack = self.get_stack_summary(context, stack_identity)
        return formatters.format_snapshot(
            self._get_snapshot(context, stack, snapshot_id))

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def list_snapshots_json(self, context, stack_identity):
        """stack_list_snapshots as the JSON text of the list (1.5).

        Each snapshot's stored data is passed through as text.

        :raises: StackNotFound.
        """
        return self._snapshots_text(context, stack_identity)

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def show_snapshot_json(self, context, stack_identity, snapshot_id):
        """show_snapshot as the JSON text of the snapshot (1.5).

        :raises: StackNotFound, SnapshotIdNotFound, SnapshotNotFound.
        """
        return self._snapshot_text(context, stack_identity, snapshot_id)

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def list_snapshots_packed(self, context, stack_identity):
        """list_snapshots_json's text packed for the message bus (1.9)."""
        return rpc.pack_text(self._snapshots_text(context, stack_identity))

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def show_snapshot_packed(self, context, stack_identity, snapshot_id):
        """show_snapshot_json's text packed for the message bus (1.9)."""
        return rpc.pack_text(self._snapshot_text(context, stack_identity,
                                                 snapshot_id))

    def _snapshots_text(self, context, stack_identity):
        def read():
            _stack, rows = self._named(
                stack_identity,
                lambda stack_id: self.driver.get_stack_summary_and_snapshots(
                    context, stack_id),
                stack_of=operator.itemgetter(0))
            return rows
        return formatters.snapshots_json(self._read_together(context, read))

    def _snapshot_text(self, context, stack_identity, snapshot_id):
        def read():
            stack, row = self._named(
                stack_identity,
                lambda stack_id: self.driver.get_stack_summary_and_snapshot(
                    context, stack_id, snapshot_id),
                stack_of=operator.itemgetter(0))
            if row is None:
                raise exception.SnapshotIdNotFound(snapshot_id=snapshot_id)
            if row.stack_id != stack.id:
                raise exception.SnapshotNotFound(snapshot=snapshot_id,
                                                 stack=stack.name)
            return row
        return formatters.snapshot_json(self._read_together(context, read))

    def _read_together(self, context, read):
        """``read()``, on one database connection when the driver reads
        stacks from our database too (a show: one checkout, not two).
        """
        if self.driver.reads_our_database:
            return db_api.read_together(context, read)
        return read()

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def delete_snapshot(self, context, stack_identity, snapshot_id):
        """Start removing the snapshot's artifacts, then the snapshot.

        A delete that stopped (failed, or its engine is gone) is resumed;
        a snapshot whose stack is being deleted is deleted with it.

        :raises: NotSupported while the snapshot is being created or
            deleted; SnapshotInUse while a restore reads it.
        """
        stack = self.get_stack(context, stack_identity)
        snapshot = self._get_snapshot(context, stack, snapshot_id)
        self._delete_snapshot(context, stack, snapshot)

    def _delete_snapshot(self, context, stack, snapshot):
        if snapshot.status == states.IN_PROGRESS:
            if snapshot.action == states.DELETE and \
                    self._stack_delete_runs(stack):
                # Claimed by its stack's delete: it goes with the stack.
                return
            if self._delete_runs(snapshot, stack):
                # Heat refuses a delete while the snapshot is in progress,
                # being made or being deleted.
                raise exception.NotSupported(
                    feature='Deleting in-progress snapshot')
        if not operations.snapshot_claimed(context, snapshot,
                                           self.engine_id):
            raise exception.NotSupported(
                feature='Deleting in-progress snapshot')
        notifications.notify_start(context, notifications.DELETE, snapshot,
                                   states.DELETE_STARTED_REASON)
        self.spawn_snapshot_delete(context, snapshot)

    def _delete_runs(self, snapshot, stack):
        """Whether the snapshot is being made, or a live walk deletes it."""
        if snapshot.action == states.CREATE:
            return True
        return self._walk_runs(snapshot) or self._stack_delete_runs(stack)

    def _stack_delete_runs(self, stack):
        lock = db_api.stack_lock_get(hs_context.get_admin_context(),
                                     stack.id)
        return (lock is not None and lock.action == states.DELETE and
                lock.engine_id is not None and
                self.is_engine_alive(lock.engine_id))

    def spawn_snapshot_delete(self, context, snapshot):
        fence = locks.Fence(self.engine_id, None, None, snapshot.id)
        fenced = locks.fenced_context(context, fence)
        self.submit(('snapshot', snapshot.id, self.engine_id),
                    self._run_snapshot_delete, fenced, snapshot)

    def _run_snapshot_delete(self, context, snapshot):
        try:
            stack = self.driver.get_stack(context, snapshot.stack_id)
        except exception.StackNotFound:
            stack = None
        outcome = snapshots.DeleteWalk(self.conf, self.driver,
                                       context).run(snapshot.id, stack)
        notifications.notify_end(context, notifications.DELETE, snapshot,
                                 outcome.status, outcome.reason)

    def _begun(self, task, stack, snapshot):
        self.driver.operation_begun(task.context, stack, task.action,
                                    snapshot.id)
        return snapshot

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def stack_restore(self, context, stack_identity, snapshot_id):
        """Restore the stack to the snapshot; answers once the driver
        accepted the restore's update (Heat: the stack shows it).

        The snapshot cannot be deleted while the restore reads it. With a
        driver whose stacks live in Heat (convergence), a restore is
        accepted while the stack is IN_PROGRESS and supersedes what runs,
        as Heat's own restore does, a restore of ours included.

        :raises: NotSupported unless the snapshot is COMPLETE;
            ActionInProgress when the stack is busy (with a snapshot of
            ours, for Heat's stacks).
        """
        # Heat's stacks (convergence): a restore supersedes what runs.
        supersede = not isinstance(self.driver,
                                   stacks_base.ManagingStackDriver)
        stack = self.get_stack(context, stack_identity)
        snapshot = self._get_snapshot(context, stack, snapshot_id)
        self._check_restorable(snapshot)
        if not supersede:
            self.check_not_busy(stack)

        def prepare(task):
            # Read again under the lock: a delete may have claimed it.
            current = db_api.snapshot_get(task.context, snapshot_id)
            self._check_restorable(current)
            return self._begun(task, stack, current)

        def start(task, current):
            walker = snapshots.RestoreWalk(self.conf, self.driver,
                                           task.context)
            return current, walker.start(stack.id, current.id)

        self._start(context, stack, states.RESTORE, self._run_restore,
                    snapshot_id=snapshot.id, prepare=prepare, start=start,
                    acquire=self._superseding if supersede
                    else locks.acquire, supersede=supersede)
        notifications.notify_start(context, notifications.RESTORE, snapshot)

    def _superseding(self, context, stack, engine_id, action,
                     snapshot_id=None):
        """locks.acquire, but a restore of ours still running is taken
        over: Heat's update supersedes its update, and its worker, fenced
        out, stops.
        """
        try:
            return locks.acquire(context, stack, engine_id, action,
                                 snapshot_id=snapshot_id)
        except exception.ActionInProgress:
            lock = db_api.stack_lock_get(context, stack.id)
            if lock is None or lock.action != states.RESTORE or \
                    lock.delete_pending:
                raise
            generation = db_api.stack_lock_steal(
                context, stack.id, lock.engine_id, lock.generation,
                engine_id, action=action, snapshot_id=snapshot_id)
            if generation is None:
                raise
            LOG.info('Stack %s: restore to snapshot %s supersedes the '
                     'restore to snapshot %s', stack.id, snapshot_id,
                     lock.snapshot_id)
            return locks.StackTask(context, stack, engine_id, action,
                                   generation, snapshot_id=snapshot_id)

    @staticmethod
    def _check_restorable(snapshot):
        if (snapshot.action, snapshot.status) != (states.CREATE,
                                                  states.COMPLETE):
            raise exception.NotSupported(
                feature='Restoring incomplete snapshot')

    @messaging.expose
    def stack_deleted(self, context, stack_id, project_id):
        """Heat accepted a DELETE of the stack (the heat-api filter saw
        it): delete its snapshots as soon as Heat proves it deleted.
        """
        follower = heat_listener.StackFollower(
            self.conf, self.driver, self.engine_id, self.is_engine_alive)
        self.submit(('stack-deleted', stack_id, project_id),
                    follower.follow_delete, stack_id, project_id)

    def _run_restore(self, task, prepared):
        snapshot, started = prepared
        walker = snapshots.RestoreWalk(self.conf, self.driver, task.context)
        outcome = self._run(task, lambda: walker.run(task.stack.id,
                                                     snapshot.id, started))
        notifications.notify_end(task.context, notifications.RESTORE,
                                 snapshot, outcome.status, outcome.reason)

    # --- restore preview and clone (heat-snapshots' own) -------------------

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def restore_preview(self, context, stack_identity, snapshot_id):
        """What restoring the stack to the snapshot would do to each
        resource, and what data it would discard; nothing changes.

        :returns: {"resource_changes": {added, deleted, replaced,
            unchanged, updated}, "data_loss": [...]}.
        :raises: StackNotFound, SnapshotIdNotFound, SnapshotNotFound,
            NotSupported unless the snapshot is COMPLETE.
        """
        stack = self.get_stack(context, stack_identity)
        snapshot = self._get_snapshot(context, stack, snapshot_id)
        self._check_restorable(snapshot)
        return snapshots.RestorePreview(self.conf, self.driver,
                                        context).run(stack, snapshot)

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def clone_snapshot(self, context, snapshot_id, stack_name,
                       parameters=None, environment=None,
                       stack_identity=None, project_id=None):
        """Create a new stack from the snapshot; the snapshot's stack is
        only read, and may be gone (a snapshot kept after its stack):
        everything comes from the stored snapshot.

        :param stack_identity: the snapshot's stack as the URL names it;
            None for a snapshot named by id alone (the project-wide
            ``/snapshots/{id}/clone``).
        :param project_id: (1.8) the URL's tenant of the project-wide
            path: the snapshot must be one of its snapshots, as for
            show_project_snapshot. A 1.4 caller sends none: the caller's
            own project, or any for an admin.
        :returns: the new stack's identity.
        :raises: StackNotFound, SnapshotIdNotFound, SnapshotNotFound,
            NotSupported (snapshot not COMPLETE), ArtifactNotFound,
            StackExists, InvalidParameter, InvalidTemplate.
        """
        if stack_identity is not None:
            stack = self.get_stack(context, stack_identity)
            snapshot = self._get_snapshot(context, stack, snapshot_id)
        elif project_id is not None:
            snapshot = self._project_snapshot(context, project_id,
                                              snapshot_id)
        else:
            snapshot = db_api.snapshot_get(context, snapshot_id)
            if snapshot.project_id != context.project_id and \
                    not context.is_admin:
                raise exception.SnapshotIdNotFound(snapshot_id=snapshot_id)
        return self.clone(context, snapshot, stack_name, parameters,
                          environment)

    def clone(self, context, snapshot, stack_name, parameters=None,
              environment=None):
        """The engine's clone of ``snapshot`` (a row read for the caller):
        the driver stores the new stack, then its create runs as an
        operation on it, holding the snapshot as a restore does (it cannot
        be deleted meanwhile); the new stack ends CREATE_COMPLETE or
        CREATE_FAILED whatever fails.

        :returns: the new stack's identity.
        """
        walker = snapshots.CloneWalk(self.conf, self.driver, context)
        stack, restore = walker.prepare(snapshot, stack_name, parameters,
                                        environment)

        def prepare(task):
            # Read again under the lock: a delete may have claimed it.
            current = db_api.snapshot_get(task.context, snapshot.id)
            if (current.action, current.status) != (states.CREATE,
                                                    states.COMPLETE):
                raise exception.SnapshotIdNotFound(snapshot_id=snapshot.id)
            return restore, current

        try:
            self._start(context, stack, states.CREATE, self._run_clone,
                        snapshot_id=snapshot.id, prepare=prepare)
        except Exception as error:
            reason = operations.failed(states.CREATE, error, context,
                                       'stack %s' % stack.id)
            try:
                self.driver.set_stack_state(context, stack.id,
                                            states.CREATE, states.FAILED,
                                            reason)
            except Exception:
                LOG.exception('Stack %s: could not show %s_FAILED',
                              stack.id, states.CREATE)
            raise
        LOG.info('Stack %s (%s): clone of snapshot %s started', stack.name,
                 stack.id, snapshot.id)
        notifications.notify_start(context, notifications.CLONE, snapshot,
                                   clone=stack)
        return formatters.stack_identity(stack)

    def _run_clone(self, task, prepared):
        restore, snapshot = prepared
        walker = snapshots.CloneWalk(self.conf, self.driver, task.context)
        outcome = self._run(task, lambda: walker.run(task.stack, restore))
        notifications.notify_end(task.context, notifications.CLONE,
                                 snapshot, outcome.status, outcome.reason,
                                 clone=task.stack)

    # --- snapshot policies (1.4) -----------------------------------------

    def _policy(self, context, project_id, policy_id):
        return db_api.policy_get(context, policy_id, project_id=project_id)

    def _format_policy(self, context, policy):
        return policies.format_policy(policy, self.policies.clock,
                                      db_api.db_utcnow(context))

    def _check_stacks(self, context, project_id, stacks):
        """Stack ids must name stacks of the project."""
        for stack_id in stacks.get('ids') or ():
            try:
                stack = self.driver.get_stack(context, stack_id,
                                              with_resources=False)
            except exception.StackNotFound:
                raise exception.StackNotFound(stack_id)
            if stack.project_id != project_id:
                raise exception.StackNotFound(stack_id)

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def create_snapshot_policy(self, context, project_id, definition):
        """Record a snapshot policy of the project.

        :param definition: name, stacks, schedule, retention,
            keep_after_stack_delete, enabled (the API checked the shape).
        :raises: InvalidSchedule, InvalidRetention, StackNotFound,
            RequestLimitExceeded.
        """
        policies.check_definition(definition)
        self._check_stacks(context, project_id, definition['stacks'])
        limit = self.conf.snapshot_policies.max_policies_per_project
        if limit < 0 or context.is_admin:
            limit = None
        now = db_api.db_utcnow(context).replace(microsecond=0)
        sched = definition['schedule']
        timezone = sched.get('timezone') or 'UTC'
        enabled = definition.get('enabled', True)
        policy = db_api.policy_create(context, {
            'project_id': project_id,
            'user_id': context.user_id,
            'name': definition['name'],
            'stacks': definition['stacks'],
            'cron': sched['cron'],
            'timezone': timezone,
            'retention': definition.get('retention') or {},
            'keep_after_stack_delete': definition.get(
                'keep_after_stack_delete', False),
            'enabled': enabled,
            'last_scheduled': now,
            'next_due': self.policies.clock.next_runs(
                sched['cron'], timezone, now, count=1)[0],
        }, limit=limit)
        return self._format_policy(context, policy)

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def list_snapshot_policies(self, context, project_id):
        return [self._format_policy(context, p)
                for p in db_api.policy_list(context, project_id)]

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def show_snapshot_policy(self, context, project_id, policy_id):
        """:raises: PolicyNotFound."""
        return self._format_policy(
            context, self._policy(context, project_id, policy_id))

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def update_snapshot_policy(self, context, project_id, policy_id,
                               changes):
        """Change some of a policy's fields.

        A new schedule, or enabling the policy, starts the schedule from
        now: no run is due for the time before.

        :raises: PolicyNotFound, InvalidSchedule, InvalidRetention,
            StackNotFound.
        """
        policy = self._policy(context, project_id, policy_id)
        policies.check_definition(changes)
        values = {}
        for key in ('name', 'stacks', 'retention',
                    'keep_after_stack_delete', 'enabled'):
            if key in changes:
                values[key] = changes[key]
        if 'stacks' in changes:
            self._check_stacks(context, project_id, changes['stacks'])
        cron, timezone = policy.cron, policy.timezone
        if 'schedule' in changes:
            cron = changes['schedule']['cron']
            timezone = changes['schedule'].get('timezone') or 'UTC'
            values.update(cron=cron, timezone=timezone)
        if 'schedule' in changes or (changes.get('enabled') and
                                     not policy.enabled):
            now = db_api.db_utcnow(context).replace(microsecond=0)
            values['last_scheduled'] = now
            values['next_due'] = self.policies.clock.next_runs(
                cron, timezone, now, count=1)[0]
        policy = db_api.policy_update(context, policy.id, values)
        return self._format_policy(context, policy)

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def delete_snapshot_policy(self, context, project_id, policy_id):
        """Forget the policy and its runs; its snapshots stay, as a
        user's.

        :raises: PolicyNotFound.
        """
        policy = self._policy(context, project_id, policy_id)
        if not db_api.policy_delete(context, policy.id):
            raise exception.PolicyNotFound(policy_id)

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def run_snapshot_policy(self, context, project_id, policy_id):
        """Run the policy now, beside its schedule.

        :returns: the run, IN_PROGRESS.
        :raises: PolicyNotFound.
        """
        policy = self._policy(context, project_id, policy_id)
        return policies.format_run(
            self.policies.start_manual(context, policy))

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def list_policy_runs(self, context, project_id, policy_id, limit=None):
        """The policy's runs, newest first. :raises: PolicyNotFound."""
        policy = self._policy(context, project_id, policy_id)
        return [policies.format_run(r)
                for r in db_api.run_list(context, policy.id, limit=limit)]

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def preview_policy_prune(self, context, project_id, policy_id):
        """What the policy's next prune would delete, stack by stack.

        :raises: PolicyNotFound.
        """
        policy = self._policy(context, project_id, policy_id)
        found = self.policies.preview(context, policy)
        return [{'stack_id': stack_id, 'snapshots': ids}
                for stack_id, ids in sorted(found.items())]

    # --- every snapshot of a project (1.4) --------------------------------

    def _project_snapshot(self, context, project_id, snapshot_id):
        snapshot = db_api.snapshot_get(context, snapshot_id)
        if snapshot.project_id != project_id:
            raise exception.SnapshotIdNotFound(snapshot_id=snapshot_id)
        return snapshot

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def list_project_snapshots(self, context, project_id, limit=None,
                               marker=None, sort_keys=None, sort_dir=None,
                               filters=None):
        """A page of the project's snapshots, those kept after their stack
        included.

        :raises: BadRequest for a marker that is no snapshot of the
            project (as for a stack's list); Invalid (sort).
        """
        try:
            found = db_api.snapshot_list_by_project(
                context, project_id, limit=limit, marker=marker,
                sort_keys=sort_keys, sort_dir=sort_dir, filters=filters)
        except exception.SnapshotIdNotFound:
            raise exception.BadRequest(
                'marker %s is not a snapshot of project %s.'
                % (marker, project_id))
        return [policies.format_project_snapshot(s) for s in found]

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def show_project_snapshot(self, context, project_id, snapshot_id):
        """:raises: SnapshotIdNotFound."""
        return policies.format_project_snapshot(
            self._project_snapshot(context, project_id, snapshot_id))

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def delete_project_snapshot(self, context, project_id, snapshot_id):
        """Delete a snapshot of the project, of a live stack or one kept
        after its stack.

        :raises: SnapshotIdNotFound; NotSupported while it is being made
            or deleted; SnapshotInUse while a restore reads it.
        """
        snapshot = self._project_snapshot(context, project_id, snapshot_id)
        if snapshot.stack_deleted_at is None:
            stack = self.driver.get_stack(context, snapshot.stack_id,
                                          with_resources=False)
            self._delete_snapshot(context, stack, snapshot)
            return
        if snapshot.status == states.IN_PROGRESS and \
                self._walk_runs(snapshot):
            raise exception.NotSupported(
                feature='Deleting in-progress snapshot')
        if not operations.snapshot_claimed(context, snapshot,
                                           self.engine_id):
            raise exception.NotSupported(
                feature='Deleting in-progress snapshot')
        notifications.notify_start(context, notifications.DELETE, snapshot,
                                   states.DELETE_STARTED_REASON)
        self.spawn_snapshot_delete(context, snapshot)

    # --- stack CRUD of version 1.1 ----------------------------------------

    create_stack = _moved('create_stack')
    list_stacks = _moved('list_stacks')
    show_stack = _moved('show_stack')
    update_stack = _moved('update_stack')
    delete_stack = _moved('delete_stack')
    get_template = _moved('get_template')
    list_stack_resources = _moved('list_stack_resources')
    show_resource = _moved('show_resource')
    list_events = _moved('list_events')
    get_environment = _moved('get_environment')
    get_files = _moved('get_files')
    list_outputs = _moved('list_outputs')
    show_output = _moved('show_output')
