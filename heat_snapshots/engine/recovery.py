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

"""Ends or resumes work that nothing runs any more.

Run periodically by every engine. Work is taken over when the engine that
holds it is dead (judged on the database's clock, see base_manager), when
this very engine holds it but no worker of its runs it (the worker raised
or vanished: seen so on two passes in a row, since a hold is recorded a
moment before its worker starts), or when it ran past ``action_timeout``.
Taking over raises the stack lock's generation, so the former holder, if
it ever wakes, writes nothing more.

* A stack operation is failed (its snapshot too), as Heat's reset of a
  stack; a stack delete, or an operation with a stack delete waiting, goes
  on with that delete, since a delete can always run again.
* A snapshot delete is resumed, in the snapshot's project.
* A snapshot being created outside any held operation is failed.
"""

import time

from oslo_log import log as logging

from heat_snapshots.common import context as hs_context
from heat_snapshots.common import exception
from heat_snapshots.common import states
from heat_snapshots.db import api as db_api
from heat_snapshots.engine import locks
from heat_snapshots.engine import operations
from heat_snapshots.engine.stacks import base as stacks_base

LOG = logging.getLogger(__name__)


class Recovery:
    """What one engine remembers between passes."""

    def __init__(self, manager):
        self.manager = manager
        # Holds of this engine seen without a worker on the last pass.
        self._unrun = set()
        # When this engine first saw each of its operations run.
        self._seen_running = {}

    def run(self, can_judge_others=True):
        """One pass: take over and end or resume what needs it."""
        manager = self.manager
        context = hs_context.get_admin_context()
        alive = manager.alive_engine_ids() if can_judge_others else None
        unrun = set()
        overdue = self._overdue()
        held = db_api.stack_lock_list(context)
        for lock in held:
            key = ('stack', lock.stack_id, lock.generation)
            reason = self._abandoned(lock.engine_id, key, alive, unrun,
                                     overdue, lock.action)
            if reason is False:
                continue
            try:
                self.take_over_stack(lock, reason)
            except Exception:
                LOG.exception('Could not take over the %s of stack %s',
                              lock.action, lock.stack_id)
        # A lock taken over stays held (or hands over to a delete); one
        # released has ended its snapshot in the same transaction.
        held = {lock.stack_id: lock.action for lock in held}
        for snapshot in db_api.snapshot_list_by_status(context,
                                                       states.IN_PROGRESS):
            lock_action = held.get(snapshot.stack_id)
            if lock_action == states.DELETE or (
                    lock_action is not None and
                    snapshot.action == states.CREATE):
                # Part of a held stack operation: ended with it.
                continue
            key = ('snapshot', snapshot.id, snapshot.engine_id)
            reason = self._abandoned(snapshot.engine_id, key, alive, unrun,
                                     overdue, states.SNAPSHOT)
            if reason is False:
                continue
            try:
                self.take_over_snapshot(snapshot, reason)
            except Exception:
                LOG.exception('Could not take over snapshot %s',
                              snapshot.id)
        self._unrun = unrun
        if alive is not None:
            # What they held is taken over above; their rows go too.
            db_api.engine_purge_dead(
                context, manager.conf.heat_snapshots.engine_down_time)

    def _overdue(self):
        """Keys of this engine's operations running past action_timeout."""
        now = time.monotonic()
        limit = (self.manager.conf.heat_snapshots.action_timeout +
                 2 * self.manager.conf.heat_snapshots.heartbeat_interval)
        with self.manager.running_lock:
            running = set(self.manager.running)
        self._seen_running = {key: self._seen_running.get(key, now)
                              for key in running}
        return {key for key, since in self._seen_running.items()
                if now - since > limit}

    def _abandoned(self, engine_id, key, alive, unrun, overdue, action):
        """False when the work is run; else the reason to end it (None:
        its engine went down).
        """
        manager = self.manager
        if engine_id == manager.engine_id:
            if key in overdue:
                LOG.error('%s ran past action_timeout; failing it', key)
                return states.OVERDUE_REASON % (
                    action, manager.conf.heat_snapshots.action_timeout)
            if manager.is_running(key):
                return False
            unrun.add(key)
            # Seen without a worker twice: its worker is gone.
            if key in self._unrun:
                return states.WORKER_LOST_REASON % action
            return False
        if alive is None or engine_id in alive:
            return False
        return None

    def take_over_stack(self, lock, reason=None):
        """Take the stack's lock over and end or resume its operation.

        :param reason: why the operation is failed; None: its engine went
            down.
        """
        manager = self.manager
        # On the operation's trust, if its request made one.
        context = hs_context.service_context(lock.project_id,
                                             trust_id=lock.trust_id)
        try:
            stack = manager.driver.get_stack(context, lock.stack_id,
                                             with_resources=True,
                                             show_deleted=True)
        except exception.StackNotFound:
            stack = None
        known = stack or stacks_base.Stack(
            id=lock.stack_id, name=lock.stack_id,
            project_id=lock.project_id, action=lock.action,
            status=states.IN_PROGRESS)
        task = locks.take_over(context, known, lock, manager.engine_id)
        if task is None:
            return
        LOG.warning('Engine %s left the %s of stack %s; engine %s takes it '
                    'over (generation %s)', lock.engine_id, lock.action,
                    lock.stack_id, manager.engine_id, task.generation)
        if stack is None or stack.deleted_at is not None:
            # Nothing left to end: the stack is gone.
            operations.stack_forgotten(task)
            return
        if lock.action == states.DELETE:
            manager.submit(task.key, manager.run_stack_delete, task)
            return
        handover = operations.stack_operation_abandoned(
            task, manager.driver, stack, reason)
        if handover is not None:
            manager.delete_after(task, handover)

    def take_over_snapshot(self, snapshot, reason=None):
        manager = self.manager
        context = hs_context.service_context(snapshot.project_id,
                                             trust_id=snapshot.trust_id)
        if snapshot.action == states.CREATE:
            if operations.snapshot_failed(
                    context, snapshot.id,
                    reason or states.ENGINE_DOWN_REASON % 'snapshot',
                    engine_id=snapshot.engine_id):
                LOG.warning('Failed snapshot %s, left being created by '
                            'engine %s', snapshot.id, snapshot.engine_id)
            return
        if operations.snapshot_claimed(context, snapshot, manager.engine_id,
                                       reason=snapshot.status_reason):
            LOG.warning('Resuming the delete of snapshot %s left by engine '
                        '%s', snapshot.id, snapshot.engine_id)
            manager.spawn_snapshot_delete(context, snapshot)
