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

import datetime
import json
import threading
import time

import fixtures
from oslo_db import exception as db_exc
from oslo_utils import uuidutils
import sqlalchemy

from heat_snapshots.common import exception
from heat_snapshots.db import api as db_api
from heat_snapshots.db import models
from heat_snapshots.engine import locks
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

    def test_shown_columns_give_the_data_as_its_stored_text(self):
        data = {'b': 1, 'a': ['zoë', 1.5, None]}
        snap = self._snapshot(data=data, name='n')
        other = self._snapshot(stack_id='stack-2')
        row = db_api.snapshot_get_shown(self.ctx, snap.id)
        self.assertEqual(json.dumps(data), row.data)
        self.assertEqual((snap.id, 'n', 'stack-1', 'CREATE', 'IN_PROGRESS'),
                         (row.id, row.name, row.stack_id, row.action,
                          row.status))
        self.assertIsNone(db_api.snapshot_get_shown(self.ctx,
                                                    other.id).data)
        self.assertRaises(exception.SnapshotIdNotFound,
                          db_api.snapshot_get_shown, self.ctx, 'nope')
        self.assertRaises(exception.SnapshotIdNotFound,
                          db_api.snapshot_get_shown, self.ctx, 'n\x00')
        second = self._snapshot()
        self.assertEqual([snap.id, second.id],
                         [r.id for r in db_api.snapshot_list_shown(
                             self.ctx, 'stack-1')])
        self.assertEqual([], db_api.snapshot_list_shown(self.ctx, 'none'))

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

    def test_several_resource_rows_deleted_together(self):
        snap = self._snapshot()
        other = self._snapshot()
        names = ['a', 'b', 'child/c', 'd']
        for snapshot in (snap, other):
            for name in names:
                db_api.resource_snapshot_set(self.ctx, snapshot.id, name, {
                    'resource_type': 'T', 'action': 'SNAPSHOT',
                    'status': 'COMPLETE'}, new=True)
        # Two names per statement: the last chunk is shorter.
        self.useFixture(fixtures.MockPatchObject(db_api, '_DELETE_CHUNK', 2))
        db_api.resource_snapshot_delete_many(self.ctx, snap.id,
                                             ['a', 'child/c', 'd', 'gone'])
        self.assertEqual(['b'], [r.resource_name for r in
                                 db_api.resource_snapshot_list(self.ctx,
                                                               snap.id)])
        self.assertEqual(names, [r.resource_name for r in
                                 db_api.resource_snapshot_list(self.ctx,
                                                               other.id)])

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

    def test_only_rows_still_in_progress_are_failed(self):
        snap = self._snapshot()
        for name, status in (('a', 'IN_PROGRESS'), ('b', 'COMPLETE')):
            db_api.resource_snapshot_set(self.ctx, snap.id, name, {
                'resource_type': 'T', 'action': 'SNAPSHOT',
                'status': status}, new=True)
        db_api.resource_snapshot_fail_in_progress(self.ctx, snap.id,
                                                  'engine went down')
        self.assertEqual(
            {'a': ('FAILED', 'engine went down'), 'b': ('COMPLETE', None)},
            {r.resource_name: (r.status, r.status_reason)
             for r in db_api.resource_snapshot_list(self.ctx, snap.id)})


class SnapshotPagesTest(base.TestCase):
    """A stack's snapshots by page, sorted and filtered."""

    use_db = True

    def setUp(self):
        super().setUp()
        self.ctx = self.make_context()
        start = datetime.datetime(2026, 11, 30, 10, 0, 0)
        self.ids = []
        for n, (name, status) in enumerate((('b', 'COMPLETE'),
                                            (None, 'FAILED'),
                                            ('a', 'COMPLETE'))):
            self.ids.append(db_api.snapshot_create(self.ctx, {
                'stack_id': 'stack-1', 'stack_name': 's', 'name': name,
                'project_id': 'project-a', 'action': 'CREATE',
                'status': status,
                'created_at': start + datetime.timedelta(seconds=n)}).id)
        db_api.snapshot_create(self.ctx, {
            'stack_id': 'stack-2', 'stack_name': 't', 'name': 'a',
            'project_id': 'project-a', 'action': 'CREATE',
            'status': 'COMPLETE'})

    def page(self, **kwargs):
        return [s.id for s in db_api.snapshot_list_paged(
            self.ctx, 'stack-1', **kwargs)]

    def test_oldest_first_and_pages_follow_the_marker(self):
        b, unnamed, a = self.ids
        self.assertEqual([b, unnamed, a], self.page())
        self.assertEqual([b, unnamed], self.page(limit=2))
        self.assertEqual([a], self.page(limit=2, marker=unnamed))

    def test_names_sort_with_no_name_first_then_last(self):
        b, unnamed, a = self.ids
        self.assertEqual([unnamed, a, b], self.page(sort_keys=['name']))
        self.assertEqual([b, a, unnamed],
                         self.page(sort_keys=['name'], sort_dir='desc'))
        self.assertEqual([a, b], self.page(sort_keys=['name'],
                                           marker=unnamed))

    def test_filters(self):
        b, unnamed, a = self.ids
        self.assertEqual([b, a], self.page(filters={'status': ['COMPLETE']}))
        self.assertEqual([a], self.page(filters={'name': ['a']}))

    def test_marker_of_another_stack_is_not_found(self):
        other = db_api.snapshot_list_by_stack(self.ctx, 'stack-2')[0].id
        self.assertRaises(exception.SnapshotIdNotFound, self.page,
                          marker=other)


class StackLockTest(base.TestCase):
    use_db = True

    def test_a_cancel_request_lasts_while_its_operation_holds(self):
        ctx = self.make_context()
        generation = db_api.stack_lock_acquire(ctx, 'stack-1', 'engine-a',
                                               'SNAPSHOT')
        self.assertFalse(db_api.stack_lock_cancel_requested(
            ctx, 'stack-1', generation))
        self.assertFalse(db_api.stack_lock_request_cancel(
            ctx, 'stack-1', 'engine-a', generation - 1))
        self.assertTrue(db_api.stack_lock_request_cancel(
            ctx, 'stack-1', 'engine-a', generation))
        self.assertTrue(db_api.stack_lock_cancel_requested(
            ctx, 'stack-1', generation))
        db_api.stack_lock_release(ctx, 'stack-1', 'engine-a', generation)
        following = db_api.stack_lock_acquire(ctx, 'stack-1', 'engine-b',
                                              'RESTORE')
        self.assertFalse(db_api.stack_lock_cancel_requested(
            ctx, 'stack-1', following))

    def test_taking_a_free_stack_is_one_transaction(self):
        # Its lock row is made by the stack's first operation and kept.
        ctx = self.make_context()
        first = db_api.stack_lock_acquire(ctx, 'stack-1', 'engine-a',
                                          'CREATE')
        db_api.stack_lock_release(ctx, 'stack-1', 'engine-a', first)
        checkouts = self.checkouts()
        taken = db_api.stack_lock_acquire(ctx, 'stack-1', 'engine-b',
                                          'SNAPSHOT')
        self.assertEqual(first + 1, taken)
        self.assertEqual(1, len(checkouts))
        # Held: nobody else takes it, in one transaction too.
        self.assertIsNone(db_api.stack_lock_acquire(ctx, 'stack-1',
                                                    'engine-c', 'RESTORE'))
        self.assertEqual(2, len(checkouts))
        lock = db_api.stack_lock_get(ctx, 'stack-1')
        self.assertEqual(('engine-b', 'SNAPSHOT', taken),
                         (lock.engine_id, lock.action, lock.generation))

    def test_the_first_operation_makes_the_lock_row(self):
        ctx = self.make_context()
        self.assertEqual(1, db_api.stack_lock_acquire(
            ctx, 'stack-1', 'engine-a', 'CREATE', project_id='project-a'))
        lock = db_api.stack_lock_get(ctx, 'stack-1')
        self.assertEqual(('engine-a', 'CREATE', 1),
                         (lock.engine_id, lock.action, lock.generation))

    def test_a_first_operation_that_loses_the_race_to_make_the_row(self):
        # Another engine's first operation made the row between this one's
        # look and its insert: the lock is then taken as any other.
        ctx = self.make_context()
        create = db_api._stack_lock_create

        def raced(context, stack_id, values):
            create(context, stack_id, dict(values, engine_id='engine-b'))
            return create(context, stack_id, values)
        self.patch(db_api, '_stack_lock_create', raced)
        self.assertIsNone(db_api.stack_lock_acquire(ctx, 'stack-1',
                                                    'engine-a', 'CREATE'))
        lock = db_api.stack_lock_get(ctx, 'stack-1')
        self.assertEqual(('engine-b', 1), (lock.engine_id, lock.generation))

    def test_a_release_nothing_waits_for_is_one_statement(self):
        ctx = self.make_context()
        generation = db_api.stack_lock_acquire(ctx, 'stack-1', 'engine-a',
                                               'SNAPSHOT')
        writes = self.statements('UPDATE hs_stack_locks')
        self.assertIs(False, db_api.stack_lock_release(
            ctx, 'stack-1', 'engine-a', generation))
        self.assertEqual(1, len(writes))
        lock = db_api.stack_lock_get(ctx, 'stack-1')
        self.assertEqual((None, None, generation),
                         (lock.engine_id, lock.action, lock.generation))
        # Let go already (or taken over): nothing is written.
        self.assertIsNone(db_api.stack_lock_release(
            ctx, 'stack-1', 'engine-a', generation))

    def test_a_release_hands_the_stack_to_a_waiting_delete(self):
        ctx = self.make_context()
        generation = db_api.stack_lock_acquire(ctx, 'stack-1', 'engine-a',
                                               'SNAPSHOT')
        self.assertIsNotNone(db_api.stack_lock_request_delete(
            ctx, 'stack-1'))
        handed = db_api.stack_lock_release(ctx, 'stack-1', 'engine-a',
                                           generation)
        self.assertEqual(generation + 1, handed)
        lock = db_api.stack_lock_get(ctx, 'stack-1')
        self.assertEqual(('engine-a', 'DELETE', False),
                         (lock.engine_id, lock.action, lock.delete_pending))


class LedgerTest(base.TestCase):
    """The artifact ledger and the installation id (issue 13 item 2)."""

    use_db = True

    def setUp(self):
        super().setUp()
        self.ctx = self.make_context()

    def _entry(self, name='heat-snapshots-a', **values):
        return db_api.ledger_create(self.ctx, dict(dict(
            plugin='OS::Cinder::Volume', project_id='project-a', name=name,
            snapshot_id='snap-1', resource_name='group/0/vol',
            installation_id=db_api.installation_id(self.ctx)), **values))

    def _age(self, entry, seconds):
        table = models.LedgerEntry.__table__
        with db_api.get_engine().begin() as connection:
            connection.execute(table.update().where(
                table.c.id == entry.id).values(
                created_at=db_api.db_utcnow(self.ctx) -
                datetime.timedelta(seconds=seconds)))

    def test_installation_id_is_made_once_and_kept(self):
        first = db_api.installation_id(self.ctx)
        self.assertTrue(uuidutils.is_uuid_like(first))
        self.assertEqual(first, db_api.installation_id(self.make_context(
            project_id='project-b')))

    def test_entry_from_intent_to_deleted(self):
        entry = self._entry()
        self.assertEqual('PENDING', entry.state)
        self.assertIsNone(db_api.ledger_find_artifact(
            self.ctx, 'OS::Cinder::Volume', 'project-a', 'backup-1'))

        db_api.ledger_set_artifact_id(self.ctx, entry.id, 'backup-1')
        found = db_api.ledger_find_artifact(
            self.ctx, 'OS::Cinder::Volume', 'project-a', 'backup-1')
        self.assertEqual((entry.id, 'CREATED'), (found.id, found.state))
        # Another project's or another plugin's artifact of that id is not
        # this entry's.
        self.assertIsNone(db_api.ledger_find_artifact(
            self.ctx, 'OS::Cinder::Volume', 'project-b', 'backup-1'))
        self.assertIsNone(db_api.ledger_find_artifact(
            self.ctx, 'OS::Nova::Server', 'project-a', 'backup-1'))

        db_api.ledger_mark_deleted(self.ctx, entry.id)
        self.assertIsNone(db_api.ledger_find_artifact(
            self.ctx, 'OS::Cinder::Volume', 'project-a', 'backup-1'))
        self.assertEqual([], db_api.ledger_list_live(self.ctx))
        gone = db_api.ledger_get(self.ctx, entry.id)
        self.assertEqual('DELETED', gone.state)
        self.assertIsNotNone(gone.deleted_at)

    def test_names_are_unique(self):
        self._entry()
        self.assertRaises(db_exc.DBDuplicateEntry, self._entry)

    def test_minimum_age(self):
        old, young = self._entry('old'), self._entry('young')
        self._age(old, 7200)
        self.assertEqual([old.id], [e.id for e in db_api.ledger_list_live(
            self.ctx, min_age=3600)])
        self.assertEqual({old.id, young.id}, {
            e.id for e in db_api.ledger_list_live(self.ctx)})
        self.assertEqual([], db_api.ledger_list_live(
            self.ctx, snapshot_id='snap-2'))

    def test_resource_path_of_any_length(self):
        path = '/'.join(['group', '0'] * 300)
        entry = self._entry(resource_name=path)
        self.assertEqual(path, db_api.ledger_get(self.ctx,
                                                 entry.id).resource_name)

    def test_writes_are_fenced(self):
        # An operation that lost its stack records no intent and no id.
        db_api.stack_lock_acquire(self.ctx, 'stack-1', 'engine-1', 'SNAPSHOT')
        entry = self._entry()
        lost = locks.fenced_context(self.ctx, locks.Fence(
            'engine-1', 99, 'stack-1', None))
        self.assertRaises(exception.OperationFenced, db_api.ledger_create,
                          lost, {'plugin': 'p', 'project_id': 'project-a',
                                 'name': 'n', 'snapshot_id': 's',
                                 'resource_name': 'r',
                                 'installation_id': 'i'})
        self.assertRaises(exception.OperationFenced,
                          db_api.ledger_set_artifact_id, lost, entry.id, 'b')
        self.assertEqual([(entry.id, None)], [
            (e.id, e.artifact_id) for e in db_api.ledger_list_live(self.ctx)])


class FenceInTransactionTest(base.TestCase):
    """A fence is read once per transaction, again once the transaction
    moved a lock.
    """

    use_db = True

    def setUp(self):
        super().setUp()
        self.ctx = self.make_context()
        self.generation = db_api.stack_lock_acquire(
            self.ctx, 'stack-1', 'engine-1', 'SNAPSHOT')
        self.held = locks.fenced_context(self.ctx, locks.Fence(
            'engine-1', self.generation, 'stack-1', None))
        self.lock_reads = []
        engine = db_api.get_engine()

        def seen(conn, cursor, statement, *args):
            if statement.lstrip().startswith('SELECT hs_stack_locks'):
                self.lock_reads.append(statement)
        sqlalchemy.event.listen(engine, 'before_cursor_execute', seen)
        self.addCleanup(sqlalchemy.event.remove, engine,
                        'before_cursor_execute', seen)

    def _intent(self, name):
        db_api.ledger_create(self.held, {
            'plugin': 'p', 'project_id': 'project-a', 'name': name,
            'snapshot_id': 's', 'resource_name': 'r',
            'installation_id': 'i'})

    def _names(self):
        return sorted(e.name for e in db_api.ledger_list_live(self.ctx))

    def test_writes_of_one_transaction_read_the_fence_once(self):
        db_api.run_in_transaction(self.held, lambda: [
            self._intent(name) for name in ('a', 'b', 'c')])
        self.assertEqual(['a', 'b', 'c'], self._names())
        self.assertEqual(1, len(self.lock_reads))
        # A transaction of its own reads it again.
        self._intent('d')
        self.assertEqual(2, len(self.lock_reads))

    def test_a_write_after_the_lock_is_let_go_is_fenced(self):
        def write_release_write():
            self._intent('before')
            db_api.stack_lock_release(self.held, 'stack-1', 'engine-1',
                                      self.generation)
            self._intent('after')

        self.assertRaises(exception.OperationFenced,
                          db_api.run_in_transaction, self.held,
                          write_release_write)
        # Nothing of it was written, and the stack is still held.
        self.assertEqual([], self._names())
        self.assertEqual('engine-1', db_api.stack_lock_get(
            self.ctx, 'stack-1').engine_id)


class SQLiteSetupTest(base.TestCase):
    """The embedded database: pooled connections, WAL, synchronous."""

    use_db = True

    def _pragma(self, name):
        with db_api.get_engine().connect() as connection:
            return connection.exec_driver_sql('PRAGMA %s' % name).scalar()

    def test_connections_are_kept_between_transactions(self):
        ctx = self.make_context()
        seen = set()

        @db_api.reader
        def connection_id(context):
            seen.add(id(context.session.connection().connection
                        .dbapi_connection))

        for _ in range(3):
            connection_id(ctx)
        self.assertEqual(1, len(seen))

    def test_write_ahead_log_and_synchronous(self):
        self.assertEqual('wal', self._pragma('journal_mode'))
        # NORMAL is 1; a writer waits 30 s for another.
        self.assertEqual(1, self._pragma('synchronous'))
        self.assertEqual(db_api.SQLITE_BUSY_TIMEOUT_MS,
                         self._pragma('busy_timeout'))

    def test_synchronous_is_configurable(self):
        self.addCleanup(db_api._SQLITE.update, dict(db_api._SQLITE))
        db_api._SQLITE['synchronous'] = 'FULL'
        db_api.get_engine().dispose()
        self.assertEqual(2, self._pragma('synchronous'))

    def test_a_reader_is_answered_while_a_writer_holds_the_database(self):
        # A show or a cancel check reads the last commit at once, instead
        # of waiting for SQLite's one writer (a walk's batch) to commit.
        ctx = self.make_context()
        snap = db_api.snapshot_create(ctx, {
            'stack_id': 'stack-1', 'stack_name': 's',
            'project_id': 'project-a', 'action': 'CREATE',
            'status': 'IN_PROGRESS'})
        writing, release = threading.Event(), threading.Event()

        @db_api.writer
        def hold(context):
            db_api.conditional_update(context, models.Snapshot,
                                      {'id': snap.id}, {'status': 'FAILED'})
            writing.set()
            release.wait(10)

        writer = threading.Thread(target=hold, args=(self.make_context(),))
        writer.start()
        self.addCleanup(writer.join)
        self.addCleanup(release.set)
        self.assertTrue(writing.wait(10))
        started = time.monotonic()
        # The writer's change is not committed yet: the reader sees the
        # last commit.
        self.assertEqual('IN_PROGRESS',
                         db_api.snapshot_get(ctx, snap.id).status)
        self.assertLess(time.monotonic() - started, 2)
        release.set()
        writer.join()
        self.assertEqual('FAILED', db_api.snapshot_get(ctx, snap.id).status)
