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
from heat_snapshots.engine import operations
from heat_snapshots.engine.stacks import base as stacks_base
from heat_snapshots.engine import walk
from heat_snapshots.tests import base

STACK = stacks_base.Stack(id='stack-1', name='web', project_id='project-a',
                          action=states.CREATE, status=states.COMPLETE)


class ReasonTest(base.TestCase):

    def test_our_errors_are_shown_as_they_are(self):
        error = walk.WalkFailed('vol', exception.ResourceFailure(
            reason='backup-1 went into error'))
        self.assertEqual('Resource SNAPSHOT failed: Error: resources.vol: '
                         'backup-1 went into error',
                         operations.failure_reason(states.SNAPSHOT, error))

    def test_anything_else_is_a_generic_text_with_the_request_id(self):
        context = self.make_context(request_id='req-1')
        error = RuntimeError('(pymysql) [SQL: UPDATE hs_snapshots ...] '
                             'mysql://root:secret@db')
        reason = operations.failure_reason(states.RESTORE, error, context)
        self.assertEqual('Stack RESTORE failed: Internal error (request '
                         'req-1); see the engine log', reason)
        self.assertFalse(operations.is_expected(error))


class SnapshotStatesTest(base.TestCase):
    use_db = True

    def setUp(self):
        super().setUp()
        self.ctx = self.make_context()
        self.task = locks.acquire(self.ctx, STACK, 'e1', states.SNAPSHOT)
        self.snapshot = operations.snapshot_created(self.task, 'n', {})

    def _state(self):
        row = db_api.snapshot_get(self.ctx, self.snapshot.id)
        return row.action, row.status, row.engine_id

    def test_a_snapshot_being_created_is_not_claimed(self):
        self.assertRaises(exception.InvalidStateTransition,
                          operations.snapshot_claimed, self.ctx,
                          self.snapshot, 'e2')
        self.assertEqual(('CREATE', 'IN_PROGRESS', 'e1'), self._state())

    def test_two_claims_racing_make_one_delete(self):
        operations.snapshot_ended(self.task.context, self.snapshot.id,
                                  {'status': states.COMPLETE})
        self.task.release()
        seen = db_api.snapshot_get(self.ctx, self.snapshot.id)
        self.assertTrue(operations.snapshot_claimed(self.ctx, seen, 'e2'))
        self.assertFalse(operations.snapshot_claimed(self.ctx, seen, 'e3'))
        self.assertEqual(('DELETE', 'IN_PROGRESS', 'e2'), self._state())

    def test_a_restores_source_cannot_be_claimed(self):
        operations.snapshot_ended(self.task.context, self.snapshot.id,
                                  {'status': states.COMPLETE})
        self.task.release()
        restore = locks.acquire(self.ctx, STACK, 'e1', states.RESTORE,
                                snapshot_id=self.snapshot.id)
        seen = db_api.snapshot_get(self.ctx, self.snapshot.id)
        self.assertRaises(exception.SnapshotInUse,
                          operations.snapshot_claimed, self.ctx, seen, 'e2')
        restore.release()
        self.assertTrue(operations.snapshot_claimed(self.ctx, seen, 'e2'))

    def test_failing_a_snapshot_fails_its_rows_in_progress(self):
        resource = stacks_base.Resource(name='vol', type='T')
        db_api.resource_snapshot_set(self.task.context, self.snapshot.id,
                                     'vol', {'resource_type': 'T',
                                             'action': states.SNAPSHOT,
                                             'status': states.IN_PROGRESS},
                                     new=True)
        self.assertTrue(operations.snapshot_failed(
            self.ctx, self.snapshot.id, 'Engine went down during snapshot'))
        rows = db_api.resource_snapshot_list(self.ctx, self.snapshot.id)
        self.assertEqual([('FAILED', 'Engine went down during snapshot')],
                         [(r.status, r.status_reason) for r in rows])
        # An ended snapshot is not ended again.
        self.assertFalse(operations.snapshot_ended(
            self.ctx, self.snapshot.id, {'status': states.COMPLETE}))
        self.assertEqual(resource.name, rows[0].resource_name)

    def test_a_delete_removes_only_a_snapshot_being_deleted(self):
        self.assertFalse(operations.snapshot_deleted(self.ctx,
                                                     self.snapshot.id))
        self.assertEqual(('CREATE', 'IN_PROGRESS', 'e1'), self._state())
