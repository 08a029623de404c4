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
from unittest import mock

from oslo_db import exception as db_exc
import sqlalchemy as sa

from heat_snapshots.common import exception
from heat_snapshots.common import states
from heat_snapshots.db import api as db_api
from heat_snapshots.db import group_commit
from heat_snapshots.engine import locks
from heat_snapshots.engine import operations
from heat_snapshots.engine.stacks import base as stacks_base
from heat_snapshots.engine import walk
from heat_snapshots.localstack import db_api as store_db
from heat_snapshots.localstack import resource_types
from heat_snapshots.tests import base
from heat_snapshots.tests.unit.localstack import base as local_base

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

    def test_a_restart_replaces_the_progress_rows_in_one_insert(self):
        operations.progress_started(self.task.context, self.snapshot.id,
                                    'old', 'T', states.SNAPSHOT)
        inserts = self.statements('INSERT INTO hs_operation_resources')
        operations.progress_restarted(
            self.task.context, self.snapshot.id, states.RESTORE,
            [('a', 'T', None), ('b', 'T', 'art-b'), ('a', 'U', 'art-a')])
        # Without the multi-row write: one INSERT per resource.
        self.assertEqual(1, len(inserts))
        rows = db_api.operation_resource_list(self.ctx, self.snapshot.id)
        self.assertEqual(
            [('a', 'U', 'art-a', 'RESTORE', 'IN_PROGRESS'),
             ('b', 'T', 'art-b', 'RESTORE', 'IN_PROGRESS')],
            sorted((r.resource_name, r.resource_type, r.artifact_id,
                    r.action, r.status) for r in rows))

    def test_an_artifact_row_is_committed_with_its_record_or_not_at_all(self):
        resource = stacks_base.Resource(name='t',
                                        type='OS::Heat::TestResource',
                                        properties={'value': 'v'})
        plugin = resource_types.TestResource(self.task.context, STACK,
                                             resource, self.snapshot.id)
        # As operations.resource_started leaves it.
        db_api.resource_snapshot_set(
            self.task.context, self.snapshot.id, 't',
            {'resource_type': resource.type, 'action': states.SNAPSHOT,
             'status': states.IN_PROGRESS}, new=True)
        operations.progress_started(self.task.context, self.snapshot.id,
                                    't', resource.type, states.SNAPSHOT)
        data = plugin.handle_snapshot()
        with mock.patch.object(db_api, 'operation_resource_set',
                               side_effect=db_exc.DBError('refused')):
            self.assertRaises(db_exc.DBError, lambda: operations.
                              resource_recorded(self.task.context,
                                                self.snapshot.id, resource,
                                                plugin, data).result())
        # The artifact went with its record: nothing is left unknown.
        self.assertEqual([], store_db.artifact_list(self.ctx))
        [row] = db_api.resource_snapshot_list(self.ctx, self.snapshot.id)
        self.assertIsNone(row.data)

        recorded = operations.resource_recorded(
            self.task.context, self.snapshot.id, resource, plugin,
            data).result()
        [artifact] = store_db.artifact_list(self.ctx)
        self.assertEqual({'value': 'v', 'artifact_id': artifact.id},
                         recorded)
        [row] = db_api.resource_snapshot_list(self.ctx, self.snapshot.id)
        self.assertEqual(recorded, row.data)
        [progress] = db_api.operation_resource_list(self.ctx,
                                                    self.snapshot.id)
        self.assertEqual(artifact.id, progress.artifact_id)

    def test_an_artifact_made_in_its_record_is_started_with_it_or_not(self):
        resource = stacks_base.Resource(name='t',
                                        type='OS::Heat::TestResource',
                                        properties={'value': 'v'})
        plugin = resource_types.TestResource(self.task.context, STACK,
                                             resource, self.snapshot.id)
        driver = mock.Mock()
        data = plugin.handle_snapshot()
        with mock.patch.object(db_api, 'operation_resource_set_many',
                               side_effect=db_exc.DBError('refused')):
            self.assertRaises(
                db_exc.DBError,
                lambda: operations.resource_started_with_artifact(
                    self.task.context, driver, STACK.id, self.snapshot.id,
                    resource, plugin, data).result())
        # Neither the artifact nor the start: nothing is left unknown.
        self.assertEqual([], store_db.artifact_list(self.ctx))
        self.assertEqual([], db_api.resource_snapshot_list(
            self.ctx, self.snapshot.id))

        recorded = operations.resource_started_with_artifact(
            self.task.context, driver, STACK.id, self.snapshot.id, resource,
            plugin, data).result()
        [artifact] = store_db.artifact_list(self.ctx)
        self.assertEqual({'value': 'v', 'artifact_id': artifact.id},
                         recorded)
        [row] = db_api.resource_snapshot_list(self.ctx, self.snapshot.id)
        self.assertEqual(('SNAPSHOT', 'IN_PROGRESS', recorded),
                         (row.action, row.status, row.data))
        [progress] = db_api.operation_resource_list(self.ctx,
                                                    self.snapshot.id)
        self.assertEqual(('IN_PROGRESS', artifact.id),
                         (progress.status, progress.artifact_id))
        driver.set_resources_states.assert_called_with(
            mock.ANY, STACK.id, ['t'],
            [('SNAPSHOT', 'IN_PROGRESS', 'state changed')])


class ResourcesTogetherTest(local_base.DriverTestCase):
    """Walkers whose changes are committed in one batch leave what each
    change leaves written alone.
    """

    NAMES = ('a', 'b', 'c')

    def setUp(self):
        super().setUp()
        self.stack = self.create(local_base.hot(
            {name: local_base.tres() for name in self.NAMES + ('held',)}))
        self.resources = {r.name: r for r in self.stack.resources}
        self.snapshot = db_api.snapshot_create(self.ctx, {
            'stack_id': self.stack.id, 'stack_name': self.stack.name,
            'project_id': 'project-a', 'action': 'CREATE',
            'status': 'IN_PROGRESS'})
        self.addCleanup(group_commit.SETTINGS.update,
                        dict(group_commit.SETTINGS))
        group_commit.SETTINGS.update(enabled=True, writers=1)
        self.commits = 0
        self.row_writes = 0
        self.artifact_statements = 0
        engine = db_api.get_engine()
        sa.event.listen(engine, 'commit', self._committed)
        self.addCleanup(sa.event.remove, engine, 'commit', self._committed)
        sa.event.listen(engine, 'before_cursor_execute', self._executed)
        self.addCleanup(sa.event.remove, engine, 'before_cursor_execute',
                        self._executed)

    def _committed(self, connection):
        self.commits += 1

    def _executed(self, conn, cursor, statement, params, context, many):
        if statement.startswith(('INSERT INTO hs_resource_snapshots',
                                 'UPDATE hs_resource_snapshots')):
            self.row_writes += 1
        if 'hs_artifacts' in statement:
            self.artifact_statements += 1

    def together(self, write):
        """``write(name)`` for each of NAMES from a walker of its own, all
        queued behind a batch held open meanwhile: one batch for all.
        """
        release = threading.Event()
        errors = []

        def held(ctx):
            release.wait()

        def walker(function):
            try:
                function()
            except Exception as error:
                errors.append(error)

        first = threading.Thread(target=walker, args=(
            lambda: group_commit.write(self.ctx, held),))
        first.start()
        while not group_commit._writer._batches:
            release.wait(0.01)
        threads = [threading.Thread(target=walker,
                                    args=(lambda n=name: write(n),))
                   for name in self.NAMES]
        for thread in threads:
            thread.start()
        while len(group_commit._writer._queue) < len(self.NAMES):
            release.wait(0.01)
        self.commits = self.row_writes = self.artifact_statements = 0
        release.set()
        for thread in [first] + threads:
            thread.join()
        self.assertEqual([], errors)
        # The three walkers' changes in one commit (the held batch wrote
        # nothing), their snapshot rows in one statement.
        self.assertEqual(1, self.commits)
        self.assertEqual(1, self.row_writes)

    def shown(self):
        rows = {r.resource_name: (r.action, r.status, r.status_reason)
                for r in db_api.resource_snapshot_list(self.ctx,
                                                       self.snapshot.id)}
        progress = {r.resource_name: (r.status, r.started_at is not None,
                                      r.finished_at is not None)
                    for r in db_api.operation_resource_list(
                        self.ctx, self.snapshot.id)}
        stack = self.driver.get_stack(self.ctx, self.stack.id)
        resources = {r.name: self.status(r) for r in stack.resources
                     if r.name in self.NAMES}
        events = {}
        for event in self.driver.list_events(
                self.ctx, stack, filters={'resource_action': 'SNAPSHOT'},
                sort_dir='asc'):
            events.setdefault(event.resource_name, []).append(event.status)
        return rows, progress, resources, events

    def assertAllStarted(self):
        """Each of NAMES shown started (and nothing more) everywhere."""
        each = dict.fromkeys(self.NAMES)
        self.assertEqual((
            dict(each, **{n: ('SNAPSHOT', 'IN_PROGRESS', None)
                          for n in self.NAMES}),
            dict(each, **{n: ('IN_PROGRESS', True, False)
                          for n in self.NAMES}),
            dict(each, **{n: 'SNAPSHOT_IN_PROGRESS' for n in self.NAMES}),
            dict(each, **{n: ['IN_PROGRESS'] for n in self.NAMES})),
            self.shown())

    def test_started_then_ended_together(self):
        self.together(lambda name: operations.resource_started(
            self.ctx, self.driver, self.stack.id, self.snapshot.id,
            self.resources[name]).result())
        self.assertAllStarted()

        plugins = {name: resource_types.TestResource(
            self.ctx, self.stack, self.resources[name], self.snapshot.id)
            for name in self.NAMES}
        recorded = {}
        self.together(lambda name: recorded.__setitem__(
            name, operations.resource_recorded(
                self.ctx, self.snapshot.id, self.resources[name],
                plugins[name], plugins[name].handle_snapshot()).result()))
        # The three artifacts: one read and one INSERT for them all.
        self.assertEqual(2, self.artifact_statements)
        artifacts = {a.resource_name: a.id
                     for a in store_db.artifact_list(self.ctx)}
        self.assertEqual(set(self.NAMES), set(artifacts))
        self.assertEqual({n: artifacts[n] for n in self.NAMES},
                         {n: recorded[n]['artifact_id'] for n in self.NAMES})
        self.assertEqual(recorded, {
            r.resource_name: r.data for r in db_api.resource_snapshot_list(
                self.ctx, self.snapshot.id)})
        self.assertEqual(artifacts, {
            r.resource_name: r.artifact_id for r in
            db_api.operation_resource_list(self.ctx, self.snapshot.id)})

        self.together(lambda name: operations.resource_ended(
            self.ctx, self.driver, self.stack.id, self.snapshot.id,
            self.resources[name],
            states.FAILED if name == 'c' else states.COMPLETE,
            'state changed').result())
        rows, progress, resources, events = self.shown()
        self.assertEqual({'a': ('SNAPSHOT', 'COMPLETE', 'state changed'),
                          'b': ('SNAPSHOT', 'COMPLETE', 'state changed'),
                          'c': ('SNAPSHOT', 'FAILED', 'state changed')},
                         rows)
        self.assertEqual({'a': ('COMPLETE', True, True),
                          'b': ('COMPLETE', True, True),
                          'c': ('FAILED', True, True)}, progress)
        self.assertEqual({'a': 'SNAPSHOT_COMPLETE', 'b': 'SNAPSHOT_COMPLETE',
                          'c': 'SNAPSHOT_FAILED'}, resources)
        self.assertEqual({'a': ['IN_PROGRESS', 'COMPLETE'],
                          'b': ['IN_PROGRESS', 'COMPLETE'],
                          'c': ['IN_PROGRESS', 'FAILED']}, events)

    def test_started_with_their_artifacts_together(self):
        plugins = {name: resource_types.TestResource(
            self.ctx, self.stack, self.resources[name], self.snapshot.id)
            for name in self.NAMES}
        recorded = {}
        self.together(lambda name: recorded.__setitem__(
            name, operations.resource_started_with_artifact(
                self.ctx, self.driver, self.stack.id, self.snapshot.id,
                self.resources[name], plugins[name],
                plugins[name].handle_snapshot()).result()))
        self.assertEqual(2, self.artifact_statements)
        artifacts = {a.resource_name: a.id
                     for a in store_db.artifact_list(self.ctx)}
        self.assertEqual({n: artifacts[n] for n in self.NAMES},
                         {n: recorded[n]['artifact_id'] for n in self.NAMES})
        self.assertEqual(recorded, {
            r.resource_name: r.data for r in db_api.resource_snapshot_list(
                self.ctx, self.snapshot.id)})
        self.assertAllStarted()
        self.assertEqual(artifacts, {
            r.resource_name: r.artifact_id for r in
            db_api.operation_resource_list(self.ctx, self.snapshot.id)})

    def test_stepped_together(self):
        self.together(lambda name: operations.resource_stepped(
            self.ctx, self.driver, self.stack.id, self.snapshot.id,
            self.resources[name], states.COMPLETE, 'state changed',
            data={'name': name}).result())
        rows, progress, resources, events = self.shown()
        self.assertEqual({n: ('SNAPSHOT', 'COMPLETE', 'state changed')
                          for n in self.NAMES}, rows)
        self.assertEqual({n: {'name': n} for n in self.NAMES}, {
            r.resource_name: r.data for r in db_api.resource_snapshot_list(
                self.ctx, self.snapshot.id)})
        self.assertEqual({n: ('COMPLETE', True, True) for n in self.NAMES},
                         progress)
        self.assertEqual({n: 'SNAPSHOT_COMPLETE' for n in self.NAMES},
                         resources)
        self.assertEqual({n: ['IN_PROGRESS', 'COMPLETE']
                          for n in self.NAMES}, events)


class ResourcesAtOnceTest(local_base.DriverTestCase):

    def test_a_resource_starts_after_those_it_depends_on_end(self):
        stack = self.create(local_base.hot({
            'a': {'type': 'OS::Heat::None'},
            'b': {'type': 'OS::Heat::None', 'depends_on': 'a'},
            'c': {'type': 'OS::Heat::None'}}))
        resources = {r.name: r for r in stack.resources}
        snapshot = db_api.snapshot_create(self.ctx, {
            'stack_id': stack.id, 'stack_name': stack.name,
            'project_id': 'project-a', 'action': 'CREATE',
            'status': 'IN_PROGRESS'})
        operations.resources_stepped_at_once(
            self.ctx, self.driver, stack.id, snapshot.id,
            [[(resources['a'], {}), (resources['c'], {})],
             [(resources['b'], {})]])
        events = [(e.resource_name, e.status) for e in
                  self.driver.list_events(
                      self.ctx, stack,
                      filters={'resource_action': 'SNAPSHOT'},
                      sort_dir='asc')]
        self.assertEqual({'a', 'b', 'c'}, {name for name, _ in events})
        self.assertLess(events.index(('a', 'COMPLETE')),
                        events.index(('b', 'IN_PROGRESS')))
        self.assertEqual(6, len(events))
