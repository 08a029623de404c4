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

from heat_snapshots.common import exception
from heat_snapshots.common import states
from heat_snapshots.db import api as db_api
from heat_snapshots.engine import locks
from heat_snapshots.engine.stacks import base as stacks_base
from heat_snapshots.tests import base

STACK = stacks_base.Stack(id='stack-1', name='web', project_id='project-a',
                          action=states.CREATE, status=states.COMPLETE)


class StackLockTest(base.TestCase):
    use_db = True

    def setUp(self):
        super().setUp()
        self.ctx = self.make_context()

    def _snapshot(self, task):
        return db_api.snapshot_create(task.context, {
            'stack_id': STACK.id, 'stack_name': STACK.name,
            'project_id': STACK.project_id, 'action': states.CREATE,
            'status': states.IN_PROGRESS, 'engine_id': task.engine_id})

    def test_one_operation_at_a_time_naming_the_holder(self):
        task = locks.acquire(self.ctx, STACK, 'e1', states.SNAPSHOT)
        error = self.assertRaises(exception.ActionInProgress, locks.acquire,
                                  self.ctx, STACK, 'e2', states.RESTORE)
        self.assertEqual('Stack web already has an action (SNAPSHOT) in '
                         'progress.', error.message)
        task.release()
        locks.acquire(self.ctx, STACK, 'e2', states.RESTORE).release()

    def test_each_acquisition_gets_a_new_generation(self):
        generations = []
        for engine in ('e1', 'e2', 'e1'):
            with locks.acquire(self.ctx, STACK, engine,
                               states.SNAPSHOT) as task:
                generations.append(task.generation)
        self.assertEqual(sorted(set(generations)), generations)

    def test_leaving_the_block_lets_go_unless_spawned(self):
        with locks.acquire(self.ctx, STACK, 'e1', states.SNAPSHOT):
            pass
        self.assertIsNone(db_api.stack_lock_get(self.ctx, STACK.id).engine_id)
        spawned = []
        with locks.acquire(self.ctx, STACK, 'e1', states.SNAPSHOT) as task:
            task.spawn_after(lambda fn, *a: spawned.append((fn, a)),
                             'work', 1)
        self.assertEqual([('work', (1,))], spawned)
        self.assertEqual('e1',
                         db_api.stack_lock_get(self.ctx, STACK.id).engine_id)

    def test_an_error_in_the_block_lets_go(self):
        def fail():
            with locks.acquire(self.ctx, STACK, 'e1', states.SNAPSHOT) as t:
                t.spawn_after(lambda *a: None, 'never')
                raise exception.Invalid(reason='bad')
        self.assertRaises(exception.Invalid, fail)
        self.assertIsNone(db_api.stack_lock_get(self.ctx, STACK.id).engine_id)

    def test_a_taken_over_operation_writes_nothing_more(self):
        task = locks.acquire(self.ctx, STACK, 'e1', states.SNAPSHOT)
        snapshot = self._snapshot(task)
        lock = db_api.stack_lock_get(self.ctx, STACK.id)
        other = locks.take_over(self.ctx, STACK, lock, 'e2')
        self.assertGreater(other.generation, task.generation)
        # Every kind of write of the fenced operation is refused.
        self.assertRaises(exception.OperationFenced, db_api.snapshot_update,
                          task.context, snapshot.id,
                          {'status': states.COMPLETE})
        self.assertRaises(exception.OperationFenced,
                          db_api.resource_snapshot_set, task.context,
                          snapshot.id, 'r', {'resource_type': 'T',
                                             'action': states.SNAPSHOT,
                                             'status': states.IN_PROGRESS})
        self.assertRaises(exception.OperationFenced, self._snapshot, task)
        self.assertRaises(exception.OperationFenced, task.release)
        # The new holder writes.
        self.assertTrue(db_api.snapshot_update(
            other.context, snapshot.id, {'status': states.FAILED}))
        self.assertEqual(states.FAILED,
                         db_api.snapshot_get(self.ctx, snapshot.id).status)
        self.assertEqual('e2',
                         db_api.stack_lock_get(self.ctx, STACK.id).engine_id)

    def test_a_stale_takeover_loses(self):
        task = locks.acquire(self.ctx, STACK, 'e1', states.SNAPSHOT)
        lock = db_api.stack_lock_get(self.ctx, STACK.id)
        self.assertIsNotNone(locks.take_over(self.ctx, STACK, lock, 'e2'))
        # A third engine that read the same row is too late.
        self.assertIsNone(locks.take_over(self.ctx, STACK, lock, 'e3'))
        self.assertRaises(exception.OperationFenced, task.release)

    def test_final_state_and_release_are_one_transaction(self):
        task = locks.acquire(self.ctx, STACK, 'e1', states.SNAPSHOT)
        snapshot = self._snapshot(task)

        def final_then_fail():
            db_api.snapshot_update(task.context, snapshot.id,
                                   {'status': states.COMPLETE})
            raise exception.HeatSnapshotsException('database went away')

        self.assertRaises(exception.HeatSnapshotsException, task.release,
                          final_then_fail)
        # Nothing of it was written: still held, still in progress.
        self.assertEqual(states.IN_PROGRESS,
                         db_api.snapshot_get(self.ctx, snapshot.id).status)
        self.assertEqual('e1',
                         db_api.stack_lock_get(self.ctx, STACK.id).engine_id)
        task.release(lambda: db_api.snapshot_update(
            task.context, snapshot.id, {'status': states.COMPLETE}))
        self.assertEqual(states.COMPLETE,
                         db_api.snapshot_get(self.ctx, snapshot.id).status)
        self.assertIsNone(db_api.stack_lock_get(self.ctx, STACK.id).engine_id)

    def test_a_delete_of_a_busy_stack_waits_on_the_lock(self):
        self.assertIsNone(db_api.stack_lock_request_delete(self.ctx,
                                                           STACK.id))
        task = locks.acquire(self.ctx, STACK, 'e1', states.SNAPSHOT)
        for _ in range(16):
            self.assertIsNotNone(db_api.stack_lock_request_delete(
                self.ctx, STACK.id))
        handover = task.release()
        # The same engine now holds the stack for the delete.
        self.assertEqual(task.generation + 1, handover)
        lock = db_api.stack_lock_get(self.ctx, STACK.id)
        self.assertEqual(('e1', states.DELETE, False),
                         (lock.engine_id, lock.action, lock.delete_pending))

    def test_a_restore_source_is_named_on_the_lock(self):
        with locks.acquire(self.ctx, STACK, 'e1', states.RESTORE,
                           snapshot_id='snap-1'):
            self.assertEqual(
                'snap-1',
                db_api.stack_lock_get(self.ctx, STACK.id).snapshot_id)
        self.assertIsNone(
            db_api.stack_lock_get(self.ctx, STACK.id).snapshot_id)
