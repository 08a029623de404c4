"""The engine's RPC endpoint.

Checks a request against Heat's rules, records it, and hands the long work
(the walks) to a bounded pool of worker threads, so that every call returns
at once. Locks and stack states are set here; the walks live in
snapshots.py, where stacks live is the stack driver's business.
"""

import concurrent.futures
import os
import threading
import time

from oslo_log import log as logging
import oslo_messaging as messaging
from oslo_utils import timeutils
from oslo_utils import uuidutils

from heat_snapshots.common import context as hs_context
from heat_snapshots.common import exception
from heat_snapshots.common import notifications
from heat_snapshots.db import api as db_api
from heat_snapshots.engine import formatters
from heat_snapshots.engine import locks
from heat_snapshots.engine import reconciler
from heat_snapshots.engine import snapshots
from heat_snapshots.engine.stacks import base as stacks_base

LOG = logging.getLogger(__name__)

RPC_API_VERSION = '1.0'

IN_PROGRESS = stacks_base.IN_PROGRESS
COMPLETE = stacks_base.COMPLETE
FAILED = stacks_base.FAILED

_EXPECTED = (exception.HeatSnapshotsException,)

ENGINE_DOWN_REASON = 'Engine went down during %s'


class EngineManager:
    """The endpoint of topic heat-snapshots-engine, API version 1.x."""

    RPC_API_VERSION = RPC_API_VERSION
    target = messaging.Target(version=RPC_API_VERSION)

    def __init__(self, conf, driver=None):
        self.conf = conf
        self.engine_id = uuidutils.generate_uuid()
        self.driver = driver or stacks_base.load(conf)
        self.pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=conf.heat_snapshots.operation_workers,
            thread_name_prefix='hs-operation')
        self._stopping = threading.Event()
        self._heartbeat = None

    # --- life cycle -------------------------------------------------------

    def start(self):
        self._beat()
        self._recover()
        self._heartbeat = threading.Thread(target=self._heartbeat_loop,
                                           name='hs-heartbeat', daemon=True)
        self._heartbeat.start()

    def stop(self):
        self._stopping.set()
        self.pool.shutdown(wait=True)
        if self._heartbeat is not None:
            self._heartbeat.join()
        db_api.engine_delete(hs_context.get_admin_context(), self.engine_id)

    def _beat(self):
        db_api.engine_heartbeat(hs_context.get_admin_context(),
                                self.engine_id, self.conf.heat_snapshots.host,
                                os.getpid())

    def _heartbeat_loop(self):
        next_reconcile = time.monotonic()
        down_time = self.conf.heat_snapshots.engine_down_time
        # Since when this engine's heartbeats have been going through.
        beating_since = time.monotonic() - down_time
        while not self._stopping.wait(
                self.conf.heat_snapshots.heartbeat_interval):
            try:
                self._beat()
                if beating_since is None:
                    beating_since = time.monotonic()
                # After an outage of the database every engine's heartbeat
                # is late: give the others engine_down_time to beat again
                # before calling them dead and failing their work.
                if time.monotonic() - beating_since >= down_time:
                    self._recover()
                if time.monotonic() >= next_reconcile:
                    next_reconcile = (
                        time.monotonic() +
                        self.conf.heat_snapshots.reconcile_interval)
                    reconciler.reconcile(hs_context.get_admin_context())
            except Exception:
                # A database that is down must not kill the engine.
                LOG.exception('Engine %s could not write its heartbeat or '
                              'look for work of dead engines',
                              self.engine_id)
                beating_since = None

    def _recover(self):
        """Finish or fail what dead engines left IN_PROGRESS.

        A dead engine's stack locks are taken over; its stack operations and
        snapshots being created are failed (their artifacts stay recorded,
        so deleting the snapshot removes them); its snapshot deletes are
        resumed, since a delete can always run again.
        """
        if self._stopping.is_set():
            return
        context = hs_context.get_admin_context()
        alive = self._alive_engine_ids()
        for lock in db_api.stack_lock_list(context):
            if lock.engine_id in alive:
                continue
            if not db_api.stack_lock_steal(context, lock.stack_id,
                                           lock.engine_id, self.engine_id,
                                           lock.action):
                continue
            LOG.warning('Engine %s died during %s of stack %s; failing it',
                        lock.engine_id, lock.action, lock.stack_id)
            try:
                self._fail_dead_operation(context, lock)
            finally:
                db_api.stack_lock_release(context, lock.stack_id,
                                          self.engine_id)
        for snapshot in db_api.snapshot_list_by_status(context, IN_PROGRESS):
            if snapshot.engine_id in alive:
                continue
            if snapshot.action == snapshots.DELETE:
                if db_api.snapshot_update(
                        context, snapshot.id, {'engine_id': self.engine_id},
                        expected={'engine_id': snapshot.engine_id,
                                  'status': IN_PROGRESS}):
                    LOG.warning('Resuming the delete of snapshot %s left '
                                'by engine %s', snapshot.id,
                                snapshot.engine_id)
                    self.pool.submit(self._run_snapshot_delete, context,
                                     snapshot.stack_id, snapshot.id)
            else:
                self._fail_dead_snapshot(
                    context, snapshot.id,
                    expected={'engine_id': snapshot.engine_id,
                              'status': IN_PROGRESS})
        for engine in db_api.engine_list(context):
            if engine.id not in alive:
                db_api.engine_delete(context, engine.id)

    def _fail_dead_operation(self, context, lock):
        for snapshot in db_api.snapshot_list_by_stack(context,
                                                      lock.stack_id):
            if (snapshot.status == IN_PROGRESS and
                    snapshot.action == snapshots.CREATE):
                self._fail_dead_snapshot(context, snapshot.id,
                                         expected={'status': IN_PROGRESS})
        try:
            stack = self.driver.get_stack(context, lock.stack_id,
                                          with_resources=True)
        except exception.StackNotFound:
            return
        if stack.status == IN_PROGRESS:
            reason = ENGINE_DOWN_REASON % stack.action.lower()
            self._set_stack_state(context, stack, stack.action, FAILED,
                                  reason)
            # As Heat's reset of a stack: its resources stop showing the
            # dead engine's step IN_PROGRESS too.
            for resource in stack.resources or ():
                if resource.status != IN_PROGRESS:
                    continue
                try:
                    self.driver.set_resource_state(
                        context, stack.id, resource.name, resource.action,
                        FAILED, reason)
                except Exception:
                    LOG.exception('Could not fail resource %s of stack %s',
                                  resource.name, stack.id)

    def _fail_dead_snapshot(self, context, snapshot_id, expected):
        """Fail a snapshot being created, and its resources' rows."""
        reason = ENGINE_DOWN_REASON % 'snapshot'
        if not db_api.snapshot_update(
                context, snapshot_id,
                {'status': FAILED, 'status_reason': reason},
                expected=expected):
            return
        for row in db_api.resource_snapshot_list(context, snapshot_id):
            if row.status == IN_PROGRESS:
                db_api.resource_snapshot_set(
                    context, snapshot_id, row.resource_name,
                    {'status': FAILED, 'status_reason': reason})

    def _alive_engine_ids(self):
        now = timeutils.utcnow()
        down_time = self.conf.heat_snapshots.engine_down_time
        alive = {engine.id for engine in
                 db_api.engine_list(hs_context.get_admin_context())
                 if timeutils.delta_seconds(engine.heartbeat_at,
                                            now) < down_time}
        alive.add(self.engine_id)
        return alive

    def is_engine_alive(self, engine_id):
        return engine_id in self._alive_engine_ids()

    # --- helpers ----------------------------------------------------------

    def _get_stack(self, context, stack_identity, with_resources=False,
                   show_deleted=False):
        """The stack the URL names: its id and its name must agree.

        :raises: StackNotFound naming the stack as the URL does.
        """
        name = stack_identity.get('stack_name')
        try:
            stack = self.driver.get_stack(
                context, stack_identity.get('stack_id'),
                with_resources=with_resources, show_deleted=show_deleted)
        except exception.StackNotFound:
            raise exception.StackNotFound(name)
        if name is not None and stack.name != name:
            raise exception.StackNotFound(name)
        return stack

    def _get_snapshot(self, context, stack, snapshot_id):
        snapshot = db_api.snapshot_get(context, snapshot_id)
        if snapshot.stack_id != stack.id:
            raise exception.SnapshotNotFound(snapshot=snapshot_id,
                                             stack=stack.name)
        return snapshot

    def _lock(self, context, stack, action):
        return locks.StackLock(context, stack, self.engine_id, action,
                               self.is_engine_alive)

    def _start(self, context, stack, action, work, lock=None,
               finish=None):
        """Lock the stack, show ACTION_IN_PROGRESS, run ``work`` in the pool.

        ``finish()``, if given, runs once the stack is unlocked.

        :raises: ActionInProgress when another operation holds the stack.
        """
        if lock is None:
            lock = self._lock(context, stack, action)
            lock.acquire()
        try:
            self.driver.set_stack_state(context, stack.id, action,
                                        IN_PROGRESS,
                                        'Stack %s started' % action)
            self.pool.submit(self._run, context, stack, action, work, lock,
                             finish)
        except Exception:
            lock.release()
            raise

    def _run(self, context, stack, action, work, lock, finish):
        try:
            work()
        except Exception as error:
            if not isinstance(error, _EXPECTED):
                LOG.exception('%s of stack %s failed', action, stack.id)
            reason = snapshots.failure_reason(action, error)
            self._set_stack_state(context, stack, action, FAILED, reason)
        else:
            self._set_stack_state(context, stack, action, COMPLETE,
                                  'Stack %s completed successfully' % action)
        finally:
            lock.release()
            if finish is not None:
                try:
                    finish()
                except Exception:
                    LOG.exception('Could not record the end of %s of '
                                  'stack %s', action, stack.id)

    def _set_stack_state(self, context, stack, action, status, reason):
        try:
            self.driver.set_stack_state(context, stack.id, action, status,
                                        reason)
        except Exception:
            LOG.exception('Could not set stack %s to %s_%s', stack.id,
                          action, status)

    def _check_not_busy(self, stack):
        if stack.status == IN_PROGRESS:
            raise exception.ActionInProgress(stack_name=stack.name,
                                             action=stack.action)

    def _require_stack_management(self):
        if not self.driver.manages_stacks:
            raise exception.NotSupported(
                feature='Managing stacks with the %s stack driver' %
                self.conf.heat_snapshots.stack_driver)

    # --- stacks -----------------------------------------------------------

    @messaging.expected_exceptions(*_EXPECTED)
    def identify_stack(self, context, stack_name_or_id):
        """:raises: StackNotFound."""
        stack = self.driver.find_stack(context, stack_name_or_id)
        return formatters.stack_identity(stack)

    @messaging.expected_exceptions(*_EXPECTED)
    def list_stacks(self, context, filters=None, limit=None):
        stacks = self.driver.list_stacks(context, limit=limit,
                                         **(filters or {}))
        return [formatters.format_stack(s, detail=False) for s in stacks]

    @messaging.expected_exceptions(*_EXPECTED)
    def create_stack(self, context, stack_name, template, params, files,
                     environment, args):
        """Store and validate the stack, then create it in the background.

        :raises: InvalidTemplate, StackExists, NotSupported.
        """
        self._require_stack_management()
        args = args or {}
        stack = self.driver.create_stack(
            context, stack_name, template, params or {}, files or {},
            environment or {}, tags=args.get('tags'),
            timeout_mins=args.get('timeout_mins'),
            disable_rollback=args.get('disable_rollback', True))
        lock = self._lock(context, stack, 'CREATE')
        lock.acquire()
        self._start(context, stack, 'CREATE',
                    lambda: self.driver.run_create(context, stack.id),
                    lock=lock)
        return formatters.stack_identity(stack)

    @messaging.expected_exceptions(*_EXPECTED)
    def show_stack(self, context, stack_identity):
        stack = self._get_stack(context, stack_identity, show_deleted=True)
        return formatters.format_stack(stack)

    @messaging.expected_exceptions(*_EXPECTED)
    def update_stack(self, context, stack_identity, template, params, files,
                     environment, args, existing=False):
        """:raises: ActionInProgress, InvalidTemplate, StackNotFound."""
        self._require_stack_management()
        stack = self._get_stack(context, stack_identity)
        self._check_not_busy(stack)
        args = args or {}
        definition = self.driver.prepare_update(
            context, stack, template, params, files, environment,
            existing=existing, tags=args.get('tags'),
            timeout_mins=args.get('timeout_mins'))
        self._start(context, stack, 'UPDATE',
                    lambda: self.driver.run_update(context, stack.id,
                                                   definition))
        return formatters.stack_identity(stack)

    @messaging.expected_exceptions(*_EXPECTED)
    def delete_stack(self, context, stack_identity):
        """Delete the stack and every snapshot of it, with their artifacts.

        A stack busy with another operation is deleted once that ends, as
        Heat accepts a delete while a snapshot runs.
        """
        self._require_stack_management()
        stack = self._get_stack(context, stack_identity)
        lock = self._lock(context, stack, 'DELETE')
        if lock.try_acquire() is None:
            self._start(context, stack, 'DELETE',
                        lambda: self._delete_stack(context, stack),
                        lock=lock)
        else:
            self.pool.submit(self._delete_when_free, context, stack, lock)

    def _delete_when_free(self, context, stack, lock):
        deadline = time.monotonic() + self.conf.heat_snapshots.action_timeout
        while lock.try_acquire() is not None:
            if time.monotonic() > deadline or self._stopping.is_set():
                LOG.error('Stack %s stayed busy; not deleted', stack.id)
                return
            time.sleep(self.conf.heat_snapshots.check_interval)
        self._start(context, stack, 'DELETE',
                    lambda: self._delete_stack(context, stack), lock=lock)

    def _delete_stack(self, context, stack):
        for snapshot in db_api.snapshot_list_by_stack(context, stack.id):
            self._delete_snapshot_now(context, stack.id, snapshot.id)
        self.driver.run_delete(context, stack.id)

    def _delete_snapshot_now(self, context, stack_id, snapshot_id):
        stack = self.driver.get_stack(context, stack_id)
        snapshots.DeleteWalk(self.conf, self.driver, context).run(
            snapshot_id, stack)

    @messaging.expected_exceptions(*_EXPECTED)
    def get_template(self, context, stack_identity):
        return self._get_stack(context, stack_identity).template

    @messaging.expected_exceptions(*_EXPECTED)
    def list_stack_resources(self, context, stack_identity):
        stack = self._get_stack(context, stack_identity, with_resources=True)
        required_by = {r.name: set() for r in stack.resources}
        for resource in stack.resources:
            for required in resource.requires:
                required_by.setdefault(required, set()).add(resource.name)
        return [formatters.format_resource(stack, r, required_by[r.name])
                for r in stack.resources]

    # --- snapshots --------------------------------------------------------

    @messaging.expected_exceptions(*_EXPECTED)
    def stack_snapshot(self, context, stack_identity, name):
        """Start a snapshot of every resource of the stack.

        :param name: the snapshot's name, or None.
        :returns: the snapshot, IN_PROGRESS.
        :raises: StackNotFound, ActionInProgress, RequestLimitExceeded.
        """
        stack = self._get_stack(context, stack_identity)
        self._check_not_busy(stack)
        limit = self.conf.heat_snapshots.max_snapshots_per_stack
        if (limit >= 0 and not context.is_admin and
                db_api.snapshot_count_by_stack(context, stack.id) >= limit):
            raise exception.RequestLimitExceeded(
                message='You have reached the maximum snapshots per stack, '
                        '%d. Please delete some snapshots.' % limit)
        lock = self._lock(context, stack, snapshots.SNAPSHOT)
        lock.acquire()
        try:
            snapshot = db_api.snapshot_create(context, {
                'name': name,
                'stack_id': stack.id,
                'stack_name': stack.name,
                'project_id': stack.project_id,
                'action': snapshots.CREATE,
                'status': IN_PROGRESS,
                'engine_id': self.engine_id,
                'data': snapshots.stack_data(stack),
            })
        except Exception:
            lock.release()
            raise
        walker = snapshots.SnapshotWalk(self.conf, self.driver, context)
        notifications.notify_start(context, notifications.CREATE, snapshot)
        self._start(context, stack, snapshots.SNAPSHOT,
                    lambda: walker.run(stack.id, snapshot.id), lock=lock,
                    finish=lambda: self._snapshot_finished(
                        context, walker, snapshot))
        return formatters.format_snapshot(snapshot)

    def _snapshot_finished(self, context, walker, snapshot):
        walker.finish(snapshot.id)
        final = getattr(walker, 'final', {})
        notifications.notify_end(context, notifications.CREATE, snapshot,
                                 final.get('status', FAILED),
                                 final.get('status_reason'))

    @messaging.expected_exceptions(*_EXPECTED)
    def stack_list_snapshots(self, context, stack_identity):
        stack = self._get_stack(context, stack_identity)
        return [formatters.format_snapshot(s)
                for s in db_api.snapshot_list_by_stack(context, stack.id)]

    @messaging.expected_exceptions(*_EXPECTED)
    def show_snapshot(self, context, stack_identity, snapshot_id):
        """:raises: StackNotFound, SnapshotIdNotFound, SnapshotNotFound."""
        stack = self._get_stack(context, stack_identity)
        return formatters.format_snapshot(
            self._get_snapshot(context, stack, snapshot_id))

    @messaging.expected_exceptions(*_EXPECTED)
    def delete_snapshot(self, context, stack_identity, snapshot_id):
        """Start removing the snapshot's artifacts, then the snapshot.

        :raises: NotSupported while the snapshot is being created.
        """
        stack = self._get_stack(context, stack_identity)
        snapshot = self._get_snapshot(context, stack, snapshot_id)
        if (snapshot.action, snapshot.status) == (snapshots.CREATE,
                                                  IN_PROGRESS):
            raise exception.NotSupported(
                feature='Deleting in-progress snapshot')
        if (snapshot.action, snapshot.status) == (snapshots.DELETE,
                                                  IN_PROGRESS):
            return
        # Conditional, so two deletes racing start one walk between them.
        if not db_api.snapshot_update(
                context, snapshot_id,
                {'action': snapshots.DELETE, 'status': IN_PROGRESS,
                 'status_reason': snapshots.DELETE_STARTED_REASON,
                 'engine_id': self.engine_id},
                expected={'action': snapshot.action,
                          'status': snapshot.status}):
            return
        notifications.notify_start(context, notifications.DELETE, snapshot,
                                   snapshots.DELETE_STARTED_REASON)
        self.pool.submit(self._run_snapshot_delete, context, stack.id,
                         snapshot_id)

    def _run_snapshot_delete(self, context, stack_id, snapshot_id):
        try:
            snapshot = db_api.snapshot_get(context, snapshot_id)
        except exception.SnapshotIdNotFound:
            return
        try:
            self._delete_snapshot_now(context, stack_id, snapshot_id)
        except Exception as error:
            if not isinstance(error, _EXPECTED):
                LOG.exception('Deleting snapshot %s failed', snapshot_id)
            notifications.notify_end(
                context, notifications.DELETE, snapshot, FAILED,
                snapshots.failure_reason('DELETE_SNAPSHOT', error))
        else:
            notifications.notify_end(context, notifications.DELETE,
                                     snapshot, COMPLETE)

    @messaging.expected_exceptions(*_EXPECTED)
    def stack_restore(self, context, stack_identity, snapshot_id):
        """Start restoring the stack to the snapshot.

        :raises: NotSupported unless the snapshot is COMPLETE;
            ActionInProgress when the stack is busy.
        """
        stack = self._get_stack(context, stack_identity)
        snapshot = self._get_snapshot(context, stack, snapshot_id)
        if snapshot.status != COMPLETE:
            raise exception.NotSupported(
                feature='Restoring incomplete snapshot')
        self._check_not_busy(stack)
        lock = self._lock(context, stack, snapshots.RESTORE)
        lock.acquire()
        notifications.notify_start(context, notifications.RESTORE, snapshot)
        self._start(
            context, stack, snapshots.RESTORE,
            lambda: snapshots.RestoreWalk(self.conf, self.driver,
                                          context).run(stack.id,
                                                       snapshot_id),
            lock=lock,
            finish=lambda: self._restore_finished(context, stack, snapshot))

    def _restore_finished(self, context, stack, snapshot):
        """Notify the outcome the stack shows once the restore ended."""
        stack = self.driver.get_stack(context, stack.id,
                                      with_resources=False)
        notifications.notify_end(context, notifications.RESTORE, snapshot,
                                 stack.status, stack.status_reason)
