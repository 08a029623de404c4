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

import threading

from oslo_db import exception as db_exc
import sqlalchemy as sa

from heat_snapshots.common import exception
from heat_snapshots.db import api as db_api
from heat_snapshots.db import group_commit
from heat_snapshots.db import migration
from heat_snapshots.engine import locks
from heat_snapshots.tests import base
from heat_snapshots.tests.unit.db import base as db_base


class _GroupCommitMixin:

    def _schema(self):
        """The database's tables (the SQLite fixture's are there)."""

    def setUp(self):
        super().setUp()
        self._schema()
        self.ctx = self.make_context()
        self.snapshot = db_api.snapshot_create(self.ctx, {
            'stack_id': 'stack-1', 'stack_name': 's',
            'project_id': 'project-a', 'action': 'CREATE',
            'status': 'IN_PROGRESS'})
        self.commits = []
        engine = db_api.get_engine()
        sa.event.listen(engine, 'commit', self._committed)
        self.addCleanup(sa.event.remove, engine, 'commit', self._committed)

    def _committed(self, connection):
        self.commits.append(connection)

    def _set(self, name, status='IN_PROGRESS'):
        def change(ctx):
            db_api.resource_snapshot_set(ctx, self.snapshot.id, name,
                                         {'resource_type': 'T',
                                          'action': 'SNAPSHOT',
                                          'status': status}, new=True)
            return name
        return change

    def _rows(self):
        return {r.resource_name: r.status for r in
                db_api.resource_snapshot_list(self.ctx, self.snapshot.id)}

    def _fenced(self, generation):
        return locks.fenced_context(self.ctx, locks.Fence(
            'engine-1', generation, 'stack-1', None))

    def _batch(self, *changes):
        batch = [group_commit._Change(ctx, *change)
                 for ctx, *change in changes]
        del self.commits[:]
        group_commit.commit(batch)
        return batch

    def test_changes_of_many_walkers_share_a_commit(self):
        self._settings(max=4, writers=1)
        results = {}
        release = threading.Event()

        def held(ctx):
            # The first walker's batch holds the (one) batch slot.
            release.wait()
            return self._set('first')(ctx)

        def walker(name, function):
            results[name] = group_commit.write(self.ctx, function)

        del self.commits[:]
        first = threading.Thread(target=walker, args=('first', held))
        first.start()
        threads = [threading.Thread(target=walker,
                                    args=('r%d' % i, self._set('r%d' % i)))
                   for i in range(8)]
        for thread in threads:
            thread.start()
        while len(group_commit._writer._queue) < 8:
            release.wait(0.01)
        release.set()
        for thread in [first] + threads:
            thread.join()
        # Every walker was answered once its change was in the database.
        names = ['first'] + ['r%d' % i for i in range(8)]
        self.assertEqual({name: name for name in names}, results)
        self.assertEqual({name: 'IN_PROGRESS' for name in names},
                         self._rows())
        # The eight that queued meanwhile: two full batches of 4.
        self.assertEqual(3, len(self.commits))

    def test_a_submitted_change_is_committed_with_no_thread_waiting(self):
        self._settings(max=200, writers=1)
        release = threading.Event()
        results = {}

        def held(ctx):
            release.wait()
            return self._set('first')(ctx)

        first = threading.Thread(target=lambda: results.setdefault(
            'first', group_commit.write(self.ctx, held)))
        first.start()
        while not group_commit._writer._batches:
            release.wait(0.01)
        told = []
        # While the slot is held, submit returns at once, uncommitted.
        changes = [group_commit.submit(self.ctx, self._set('r%d' % i))
                   for i in range(5)]
        for change in changes:
            change.on_done(lambda change=change: told.append(change))
        self.assertEqual([False] * 5, [c.done for c in changes])
        self.assertEqual({}, self._rows())
        del self.commits[:]
        release.set()
        first.join()
        # The holder committed them, together, before it went on.
        self.assertEqual(['r%d' % i for i in range(5)],
                         [c.result() for c in changes])
        self.assertEqual(2, len(self.commits))
        self.assertCountEqual(changes, told)
        self.assertEqual(dict.fromkeys(
            ['first'] + ['r%d' % i for i in range(5)], 'IN_PROGRESS'),
            self._rows())
        # Told at once once done.
        changes[0].on_done(lambda: told.append('late'))
        self.assertEqual('late', told[-1])

    def _settings(self, **settings):
        self.addCleanup(group_commit.SETTINGS.update,
                        dict(group_commit.SETTINGS))
        group_commit.SETTINGS.update(settings)

    def test_an_operation_that_lost_its_lock_writes_nothing(self):
        generation = db_api.stack_lock_acquire(self.ctx, 'stack-1',
                                               'engine-1', 'SNAPSHOT')
        holder = self._fenced(generation)
        lost = self._fenced(generation + 1)
        kept, fenced = self._batch((holder, self._set('kept')),
                                   (lost, self._set('fenced')))
        self.assertEqual('kept', kept.outcome())
        self.assertRaises(exception.OperationFenced, fenced.outcome)
        self.assertEqual({'kept': 'IN_PROGRESS'}, self._rows())
        self.assertEqual(1, len(self.commits))

    def test_a_failing_change_fails_alone(self):
        def broken(ctx):
            db_api.resource_snapshot_set(ctx, self.snapshot.id, 'broken',
                                         {'resource_type': 'T',
                                          'action': 'SNAPSHOT',
                                          'status': 'IN_PROGRESS'},
                                         new=True)
            raise exception.ResourceNotFound('broken')

        good, bad, other = self._batch((self.ctx, self._set('a')),
                                       (self.ctx, broken),
                                       (self.ctx, self._set('b')))
        self.assertEqual('a', good.outcome())
        self.assertEqual('b', other.outcome())
        self.assertRaises(exception.ResourceNotFound, bad.outcome)
        # Written alone, the broken change's first write is its own
        # transaction, as without batching.
        self.assertEqual({'a', 'b', 'broken'}, set(self._rows()))

    def _set_many(self, ctx, names):
        self.many_calls.append(list(names))
        db_api.resource_snapshot_set_many(ctx, [
            (self.snapshot.id, name, {'resource_type': 'T',
                                      'action': 'SNAPSHOT',
                                      'status': 'IN_PROGRESS'})
            for name in names], new=True)
        return list(names)

    def _of_a_kind(self, ctx, name):
        return (ctx, self._set(name), self._set_many, name)

    def test_changes_of_one_kind_are_written_by_one_call(self):
        self.many_calls = []
        statements = []
        engine = db_api.get_engine()

        def executed(conn, cursor, statement, params, context, many):
            if statement.startswith('INSERT INTO hs_resource_snapshots'):
                statements.append(many)
        sa.event.listen(engine, 'before_cursor_execute', executed)
        self.addCleanup(sa.event.remove, engine, 'before_cursor_execute',
                        executed)
        batch = self._batch(self._of_a_kind(self.ctx, 'a'),
                            (self.ctx, self._set('alone')),
                            self._of_a_kind(self.ctx, 'b'),
                            self._of_a_kind(self.ctx, 'c'))
        # Each walker gets its own change's result.
        self.assertEqual(['a', 'alone', 'b', 'c'],
                         [change.outcome() for change in batch])
        self.assertEqual([['a', 'b', 'c']], self.many_calls)
        self.assertEqual({name: 'IN_PROGRESS'
                          for name in ('a', 'alone', 'b', 'c')},
                         self._rows())
        # Three rows in one statement, the other change's in its own.
        self.assertEqual(2, len(statements))
        self.assertEqual(1, len(self.commits))

    def test_a_kind_that_fails_together_is_written_change_by_change(self):
        self.many_calls = []
        # A row already there (a step run again): the multi-row INSERT
        # fails, each change's own upsert updates it.
        self._set('b', status='FAILED')(self.ctx)
        batch = self._batch(self._of_a_kind(self.ctx, 'a'),
                            self._of_a_kind(self.ctx, 'b'))
        self.assertEqual(['a', 'b'], [change.outcome() for change in batch])
        self.assertEqual([['a', 'b']], self.many_calls)
        self.assertEqual({'a': 'IN_PROGRESS', 'b': 'IN_PROGRESS'},
                         self._rows())

    def test_kinds_are_fenced_per_operation(self):
        self.many_calls = []
        generation = db_api.stack_lock_acquire(self.ctx, 'stack-1',
                                               'engine-1', 'SNAPSHOT')
        holder = self._fenced(generation)
        lost = self._fenced(generation + 1)
        kept, fenced, also_kept, also_fenced = self._batch(
            self._of_a_kind(holder, 'kept'),
            self._of_a_kind(lost, 'fenced'),
            self._of_a_kind(holder, 'also-kept'),
            self._of_a_kind(lost, 'also-fenced'))
        self.assertEqual(['kept', 'also-kept'],
                         [kept.outcome(), also_kept.outcome()])
        self.assertRaises(exception.OperationFenced, fenced.outcome)
        self.assertRaises(exception.OperationFenced, also_fenced.outcome)
        self.assertEqual([['kept', 'also-kept']], self.many_calls)
        self.assertEqual({'kept': 'IN_PROGRESS', 'also-kept': 'IN_PROGRESS'},
                         self._rows())

    def test_rows_written_together_as_each_would_be(self):
        rows = [(self.snapshot.id, name, {'resource_type': 'T',
                                          'action': 'SNAPSHOT',
                                          'status': 'IN_PROGRESS'})
                for name in ('a', 'b', 'c')]
        db_api.resource_snapshot_set_many(self.ctx, rows, new=True)
        self.assertRaises(db_exc.DBDuplicateEntry,
                          db_api.resource_snapshot_set_many, self.ctx,
                          rows[:1], new=True)
        # Rows of two shapes (one with data) in one call.
        db_api.resource_snapshot_set_many(self.ctx, [
            (self.snapshot.id, 'a', {'status': 'COMPLETE', 'data': {'x': 1}}),
            (self.snapshot.id, 'b', {'status': 'COMPLETE'}),
            (self.snapshot.id, 'c', {'status': 'FAILED'})])
        shown = {r.resource_name: (r.status, r.data) for r in
                 db_api.resource_snapshot_list(self.ctx, self.snapshot.id)}
        self.assertEqual({'a': ('COMPLETE', {'x': 1}), 'b': ('COMPLETE', None),
                          'c': ('FAILED', None)}, shown)
        # A row missing: nothing of the call is written.
        self.assertRaises(db_api.RowsNotAsExpected,
                          db_api.resource_snapshot_set_many, self.ctx, [
                              (self.snapshot.id, 'a', {'status': 'X'}),
                              (self.snapshot.id, 'gone', {'status': 'X'})])
        self.assertEqual({'a': 'COMPLETE', 'b': 'COMPLETE', 'c': 'FAILED'},
                         self._rows())

    def _statements(self):
        executed = []

        def count(conn, cursor, statement, parameters, context, many):
            executed.append((statement.split()[0], many))
        engine = db_api.get_engine()
        sa.event.listen(engine, 'before_cursor_execute', count)
        self.addCleanup(sa.event.remove, engine, 'before_cursor_execute',
                        count)
        return executed

    def test_rows_updated_together_with_one_statement_per_shape(self):
        names = ['r%d' % i for i in range(5)]
        db_api.resource_snapshot_set_many(self.ctx, [
            (self.snapshot.id, name, {'resource_type': 'T',
                                      'action': 'SNAPSHOT',
                                      'status': 'IN_PROGRESS'})
            for name in names], new=True)
        executed = self._statements()
        db_api.resource_snapshot_set_many(self.ctx, [
            (self.snapshot.id, name, {
                'status': 'COMPLETE', 'status_reason': None,
                'data': {'artifact': name, 'size': index}})
            for index, name in enumerate(names[:4])] + [
            (self.snapshot.id, 'r4', {'status': 'FAILED'})])
        updates = [entry for entry in executed if entry[0] == 'UPDATE']
        if db_api.get_engine().dialect.name == 'sqlite':
            # In the process: an executemany per shape is as cheap.
            self.assertEqual([('UPDATE', True), ('UPDATE', False)], updates)
        else:
            # A round trip per shape, not per row.
            self.assertEqual([('UPDATE', False), ('UPDATE', False)], updates)
        shown = {r.resource_name: (r.status, r.data) for r in
                 db_api.resource_snapshot_list(self.ctx, self.snapshot.id)}
        self.assertEqual(dict(
            {name: ('COMPLETE', {'artifact': name, 'size': index})
             for index, name in enumerate(names[:4])},
            r4=('FAILED', None)), shown)

    def test_a_row_named_twice_is_updated_twice_in_order(self):
        db_api.resource_snapshot_set_many(self.ctx, [
            (self.snapshot.id, name, {'resource_type': 'T',
                                      'action': 'SNAPSHOT',
                                      'status': 'IN_PROGRESS'})
            for name in ('a', 'b')], new=True)
        db_api.resource_snapshot_set_many(self.ctx, [
            (self.snapshot.id, 'a', {'status': 'FAILED'}),
            (self.snapshot.id, 'a', {'status': 'COMPLETE'}),
            (self.snapshot.id, 'b', {'status': 'COMPLETE'}),
            (self.snapshot.id, 'b', {'status': 'FAILED'})])
        self.assertEqual({'a': 'COMPLETE', 'b': 'FAILED'}, self._rows())

    def test_inside_a_transaction_the_change_joins_it(self):
        def outer():
            group_commit.write(self.ctx, self._set('inner'))
            raise exception.ResourceNotFound('rolled back')

        self.assertRaises(exception.ResourceNotFound,
                          db_api.run_in_transaction, self.ctx, outer)
        self.assertEqual({}, self._rows())

    def test_off_each_change_commits_alone(self):
        self._settings(enabled=False)
        del self.commits[:]
        self.assertEqual('x', group_commit.write(self.ctx, self._set('x')))
        self.assertEqual({'x': 'IN_PROGRESS'}, self._rows())
        self.assertEqual(1, len(self.commits))


class GroupCommitSQLiteTest(_GroupCommitMixin, base.TestCase):
    use_db = True


class _ServerMixin(db_base.OpportunisticDBTestMixin):

    def _schema(self):
        migration.upgrade(engine=db_api.get_engine())


class GroupCommitMySQLTest(_ServerMixin, _GroupCommitMixin, base.TestCase):
    FIXTURE = db_base.MySQLOpportunisticFixture


class GroupCommitPostgreSQLTest(_ServerMixin, _GroupCommitMixin,
                                base.TestCase):
    FIXTURE = db_base.PostgresqlOpportunisticFixture
