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
from heat_snapshots.db import api as db_api
from heat_snapshots.tests import base


class SnapshotRowsTest(base.TestCase):
    use_db = True

    def setUp(self):
        super().setUp()
        self.ctx = self.make_context()

    def _snapshot(self, stack_id='stack-1', **values):
        values = dict(dict(stack_id=stack_id, stack_name='s',
                           project_id='project-a', action='CREATE',
                           status='IN_PROGRESS'), **values)
        return db_api.snapshot_create(self.ctx, values)

    def test_unknown_snapshot_is_heats_not_found(self):
        error = self.assertRaises(exception.SnapshotIdNotFound,
                                  db_api.snapshot_get, self.ctx, 'nope')
        self.assertEqual('Snapshot with id nope not found', str(error))
        self.assertEqual('NotFound', error.type_name)
        self.assertEqual(404, error.code)

    def test_large_data_round_trips(self):
        data = {'resources': {'r%d' % i: {'resource_data': {'v': 'x' * 100}}
                              for i in range(1000)}}
        snap = self._snapshot(data=data)
        self.assertEqual(data, db_api.snapshot_get(self.ctx, snap.id).data)

    def test_resource_rows_are_removed_with_their_snapshot(self):
        snap = self._snapshot()
        db_api.resource_snapshot_set(
            self.ctx, snap.id, 'vol',
            {'resource_type': 'T', 'action': 'SNAPSHOT',
             'status': 'COMPLETE', 'data': {'backup_id': 'b'}})
        self.assertEqual(
            [{'backup_id': 'b'}],
            [r.data for r in db_api.resource_snapshot_list(self.ctx,
                                                           snap.id)])
        db_api.snapshot_delete(self.ctx, snap.id)
        self.assertEqual([], db_api.resource_snapshot_list(self.ctx,
                                                           snap.id))

    def test_resource_row_added_then_updated_in_place(self):
        snap = self._snapshot()
        values = {'resource_type': 'T', 'action': 'SNAPSHOT',
                  'status': 'IN_PROGRESS'}
        db_api.resource_snapshot_set(self.ctx, snap.id, 'vol', values,
                                     new=True)
        # Written as new twice: the second write updates the row.
        db_api.resource_snapshot_set(self.ctx, snap.id, 'vol',
                                     dict(values, data={'a': 1}), new=True)
        db_api.resource_snapshot_set(self.ctx, snap.id, 'vol',
                                     {'status': 'COMPLETE'})
        db_api.resource_snapshot_set(self.ctx, snap.id, 'vol',
                                     {'status_reason': 'done'})
        rows = db_api.resource_snapshot_list(self.ctx, snap.id)
        self.assertEqual([('vol', 'COMPLETE', 'done', {'a': 1})],
                         [(r.resource_name, r.status, r.status_reason,
                           r.data) for r in rows])
        self.assertIsNotNone(rows[0].updated_at)

    def test_conditional_update_only_when_state_matches(self):
        snap = self._snapshot()
        self.assertFalse(db_api.snapshot_update(
            self.ctx, snap.id, {'status': 'FAILED'},
            expected={'status': 'COMPLETE'}))
        self.assertTrue(db_api.snapshot_update(
            self.ctx, snap.id, {'status': 'COMPLETE'},
            expected={'status': 'IN_PROGRESS'}))
        self.assertEqual('COMPLETE',
                         db_api.snapshot_get(self.ctx, snap.id).status)


class StackLockTest(base.TestCase):
    use_db = True
