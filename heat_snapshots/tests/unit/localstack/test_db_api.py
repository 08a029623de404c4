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

"""The stack store's database functions: what one project sees of
another's, a stack name per project among live stacks, and updates that
find nothing once another writer changed the row."""

import threading

from oslo_db import exception as db_exc
from oslo_utils import timeutils
import sqlalchemy as sa

from heat_snapshots.db import api as core_db
from heat_snapshots.db import migration
from heat_snapshots.localstack import db_api
from heat_snapshots.tests import base
from heat_snapshots.tests.unit.db import base as db_base


def _stack(project_id='project-a', name='web', **values):
    return dict({'name': name, 'project_id': project_id,
                 'action': 'CREATE', 'status': 'IN_PROGRESS',
                 'template': {'heat_template_version': '2021-04-16'},
                 'environment': {}, 'files': {}}, **values)


class LocalStackTestCase(base.TestCase):
    use_db = True

    def setUp(self):
        super().setUp()
        self.ctx = self.make_context()

    def test_a_name_is_found_in_its_own_project_only(self):
        mine = db_api.local_stack_create(self.ctx, _stack())
        db_api.local_stack_create(self.ctx, _stack('project-b'))
        found = db_api.local_stack_get_by_name(self.ctx, 'project-a', 'web')
        self.assertEqual(mine.id, found.id)
        self.assertIsNone(
            db_api.local_stack_get_by_name(self.ctx, 'project-c', 'web'))

    def test_a_summary_with_a_snapshot_is_read_in_one_query(self):
        stack = db_api.local_stack_create(self.ctx, _stack())
        snapshot = core_db.snapshot_create(self.ctx, {
            'stack_id': stack.id, 'stack_name': 'web',
            'project_id': 'project-a', 'action': 'SNAPSHOT',
            'status': 'COMPLETE', 'data': {'x': 1}})
        summary, shown = db_api.local_stack_summary_and_snapshot(
            self.ctx, stack.id, snapshot.id)
        self.assertEqual((stack.id, 'web', 'project-a'),
                         (summary.id, summary.name, summary.project_id))
        # As snapshot_get_shown reads it: the data is its JSON text.
        self.assertEqual(core_db.snapshot_get_shown(self.ctx, snapshot.id),
                         shown)
        self.assertEqual('{"x": 1}', shown.data)
        for snapshot_id in ('f' * 36, 'x' * 300):
            self.assertEqual((stack.id, None), (
                lambda found: (found[0].id, found[1]))(
                db_api.local_stack_summary_and_snapshot(
                    self.ctx, stack.id, snapshot_id)))
        db_api.local_stack_update(self.ctx, stack.id,
                                  {'deleted_at': timeutils.utcnow(),
                                   'live': None})
        self.assertEqual((None, None),
                         db_api.local_stack_summary_and_snapshot(
                             self.ctx, stack.id, snapshot.id))

    def test_a_summary_with_its_snapshots_is_read_in_one_query(self):
        stack = db_api.local_stack_create(self.ctx, _stack())
        other = db_api.local_stack_create(self.ctx, _stack(name='other'))
        self.assertEqual((stack.id, []), (
            lambda found: (found[0].id, found[1]))(
            db_api.local_stack_summary_and_snapshots(self.ctx, stack.id)))
        for name, stack_id in (('b', stack.id), ('x', other.id),
                               ('a', stack.id)):
            core_db.snapshot_create(self.ctx, {
                'name': name, 'stack_id': stack_id, 'stack_name': 'web',
                'project_id': 'project-a', 'action': 'SNAPSHOT',
                'status': 'COMPLETE', 'data': {'x': name}})
        summary, shown = db_api.local_stack_summary_and_snapshots(
            self.ctx, stack.id)
        self.assertEqual((stack.id, 'web', 'project-a'),
                         (summary.id, summary.name, summary.project_id))
        # As snapshot_list_shown reads them: oldest first, data as text.
        self.assertEqual(core_db.snapshot_list_shown(self.ctx, stack.id),
                         shown)
        self.assertEqual(['b', 'a'], [row.name for row in shown])
        self.assertEqual('{"x": "b"}', shown[0].data)
        for stack_id in ('f' * 36, 'x' * 300):
            self.assertEqual((None, []),
                             db_api.local_stack_summary_and_snapshots(
                                 self.ctx, stack_id))
        db_api.local_stack_update(self.ctx, stack.id,
                                  {'deleted_at': timeutils.utcnow(),
                                   'live': None})
        self.assertEqual((None, []), db_api.local_stack_summary_and_snapshots(
            self.ctx, stack.id))

    def test_list_by_project(self):
        a = db_api.local_stack_create(self.ctx, _stack(name='a'))
        db_api.local_stack_create(self.ctx, _stack('project-b', 'b'))
        self.assertEqual(
            [a.id],
            [s.id for s in db_api.local_stack_list(self.ctx, 'project-a')])
        self.assertEqual(2, len(db_api.local_stack_list(self.ctx)))

    def test_a_live_name_is_unique_per_project(self):
        db_api.local_stack_create(self.ctx, _stack())
        self.assertRaises(db_exc.DBDuplicateEntry,
                          db_api.local_stack_create, self.ctx, _stack())

    def test_a_deleted_stack_frees_its_name_and_hides(self):
        old = db_api.local_stack_create(self.ctx, _stack())
        self.assertTrue(db_api.local_stack_update(
            self.ctx, old.id, {'deleted_at': timeutils.utcnow(),
                               'live': None}))
        new = db_api.local_stack_create(self.ctx, _stack())
        self.assertEqual(
            new.id,
            db_api.local_stack_get_by_name(self.ctx, 'project-a', 'web').id)
        self.assertIsNone(db_api.local_stack_get(self.ctx, old.id))
        self.assertEqual(old.id, db_api.local_stack_get(
            self.ctx, old.id, show_deleted=True).id)
        self.assertEqual([new.id],
                         [s.id for s in db_api.local_stack_list(self.ctx)])

    def test_an_id_no_database_stores_finds_nothing(self):
        self.assertIsNone(db_api.local_stack_get(self.ctx, 'x' * 300))
        self.assertIsNone(db_api.local_stack_get(self.ctx, 'a\x00b'))
        self.assertIsNone(
            db_api.local_stack_get_by_name(self.ctx, 'project-a', 'x' * 300))

    def test_update_if_unchanged(self):
        stack = db_api.local_stack_create(self.ctx, _stack())
        self.assertTrue(db_api.local_stack_update(
            self.ctx, stack.id, {'status': 'COMPLETE'},
            expected={'status': 'IN_PROGRESS'}))
        # A second writer expecting the old state finds nothing.
        self.assertFalse(db_api.local_stack_update(
            self.ctx, stack.id, {'status': 'FAILED'},
            expected={'status': 'IN_PROGRESS'}))
        self.assertEqual('COMPLETE',
                         db_api.local_stack_get(self.ctx, stack.id).status)
        self.assertFalse(db_api.local_stack_update(
            self.ctx, 'no-such-stack', {'status': 'FAILED'}))


class LocalResourceTestCase(base.TestCase):
    use_db = True

    def setUp(self):
        super().setUp()
        self.ctx = self.make_context()
        self.stack = db_api.local_stack_create(self.ctx, _stack())

    def _set(self, name, **values):
        db_api.local_resource_set(
            self.ctx, self.stack.id, name,
            dict({'type': 'OS::Heat::TestResource', 'action': 'CREATE',
                  'status': 'COMPLETE'}, **values))

    def test_set_creates_then_updates_one_row(self):
        self._set('r1', physical_resource_id='p1')
        self._set('r1', physical_resource_id='p2')
        self._set('r2')
        rows = db_api.local_resource_list(self.ctx, self.stack.id)
        self.assertEqual(['r1', 'r2'], [r.name for r in rows])
        self.assertEqual('p2', rows[0].physical_resource_id)

    def test_the_resources_of_a_nested_stack_by_prefix(self):
        names = ['g', 'g/one', 'g/two/deep', 'ga/z', 'g_/z', 'g!/z', 'other']
        for name in names:
            self._set(name, rsrc_metadata={'n': name})
        other = db_api.local_stack_create(self.ctx, _stack(name='other'))
        db_api.local_resource_set(self.ctx, other.id, 'g/one', {
            'type': 'OS::Heat::None', 'action': 'CREATE',
            'status': 'COMPLETE'})

        def under(prefix):
            return [r.name for r in db_api.local_resource_list(
                self.ctx, self.stack.id, prefix=prefix)]
        self.assertEqual(['g/one', 'g/two/deep'], under('g/'))
        # LIKE's wildcards and its escape in a path are themselves.
        self.assertEqual(['g_/z'], under('g_/'))
        self.assertEqual(['g!/z'], under('g!/'))
        self.assertEqual([], under('none/'))
        rows = db_api.local_resource_list(self.ctx, self.stack.id)
        self.assertEqual(names, [r.name for r in rows])
        # Read-only rows, each column by its model attribute's name.
        self.assertEqual([{'n': name} for name in names],
                         [r.rsrc_metadata for r in rows])

    def test_update_and_delete(self):
        self._set('r1')
        self.assertTrue(db_api.local_resource_update(
            self.ctx, self.stack.id, 'r1', {'status': 'FAILED'}))
        self.assertFalse(db_api.local_resource_update(
            self.ctx, self.stack.id, 'missing', {'status': 'FAILED'}))
        self.assertEqual(
            'FAILED',
            db_api.local_resource_list(self.ctx, self.stack.id)[0].status)
        self._set('r2')
        self._set('r3')
        db_api.local_resources_delete(self.ctx, self.stack.id, ['r1', 'r3'])
        self.assertEqual(['r2'], [r.name for r in db_api.local_resource_list(
            self.ctx, self.stack.id)])

    def test_resource_event_in_one_statement(self):
        self._set('r1', status_reason='done', properties={'size': 1})
        self.assertTrue(db_api.local_resource_event_add(
            self.ctx, self.stack.id, 'r1'))
        self.assertFalse(db_api.local_resource_event_add(
            self.ctx, self.stack.id, 'missing'))
        event, = db_api.local_event_list(self.ctx, self.stack.id)
        resource, = db_api.local_resource_list(self.ctx, self.stack.id)
        self.assertEqual(
            ('r1', resource.physical_resource_id, resource.type,
             resource.action, resource.status, 'done', {'size': 1}),
            (event.resource_name, event.physical_resource_id,
             event.resource_type, event.resource_action,
             event.resource_status, event.resource_status_reason,
             event.resource_properties))
        self.assertIsNotNone(event.created_at)

    def test_stack_event_in_one_statement(self):
        db_api.local_stack_update(self.ctx, self.stack.id,
                                  {'status_reason': 'going'})
        self.assertTrue(db_api.local_stack_event_add(self.ctx,
                                                     self.stack.id))
        self.assertFalse(db_api.local_stack_event_add(self.ctx, 'missing'))
        event, = db_api.local_event_list(self.ctx, self.stack.id)
        self.assertEqual(
            ('web', self.stack.id, 'OS::Heat::Stack', self.stack.action,
             'IN_PROGRESS', 'going', None),
            (event.resource_name, event.physical_resource_id,
             event.resource_type, event.resource_action,
             event.resource_status, event.resource_status_reason,
             event.resource_properties))
        self.assertIsNotNone(event.uuid)
        self.assertIsNotNone(event.created_at)

    def test_events_record_the_state_and_page(self):
        self._set('r1', status_reason='done')
        db_api.local_stack_event_add(self.ctx, self.stack.id)
        db_api.local_resource_event_add(self.ctx, self.stack.id, 'r1')
        events = db_api.local_event_list(self.ctx, self.stack.id,
                                         sort_dir='asc')
        stack_event, resource_event = events
        self.assertEqual(('web', 'OS::Heat::Stack', 'IN_PROGRESS'),
                         (stack_event.resource_name,
                          stack_event.resource_type,
                          stack_event.resource_status))
        self.assertEqual(('r1', 'done'),
                         (resource_event.resource_name,
                          resource_event.resource_status_reason))
        after = db_api.local_event_list(self.ctx, self.stack.id,
                                        marker=stack_event.uuid,
                                        sort_dir='asc')
        self.assertEqual([resource_event.uuid], [e.uuid for e in after])
        only = db_api.local_event_list(
            self.ctx, self.stack.id, filters={'resource_name': ['r1'],
                                              'bogus': 'ignored'})
        self.assertEqual([resource_event.uuid], [e.uuid for e in only])
        self.assertRaises(ValueError, db_api.local_event_list, self.ctx,
                          self.stack.id, sort_dir='sideways')


def _resource(**values):
    return dict({'type': 'OS::Heat::None', 'action': 'INIT',
                 'status': 'COMPLETE', 'properties': {}}, **values)


class NewStackResourcesTestCase(base.TestCase):
    use_db = True

    def test_a_new_stacks_resources_are_inserted_once(self):
        ctx = self.make_context()
        stack = db_api.local_stack_create(ctx, _stack())
        db_api.local_resources_create(ctx, stack.id, [
            ('a', _resource()), ('b', _resource(properties={'n': 1}))])
        self.assertEqual(
            [('a', {}), ('b', {'n': 1})],
            [(r.name, r.properties)
             for r in db_api.local_resource_list(ctx, stack.id)])
        self.assertRaises(db_exc.DBDuplicateEntry,
                          db_api.local_resources_create, ctx, stack.id,
                          [('a', _resource())])


class ConcurrentCreateMySQLTestCase(db_base.OpportunisticDBTestMixin,
                                    base.TestCase):
    """Two stacks created at once on MariaDB."""

    FIXTURE = db_base.MySQLOpportunisticFixture

    def setUp(self):
        super().setUp()
        migration.upgrade(engine=core_db.get_engine())

    def _create(self, ctx, stack_id, name, before_commit=None):
        def store():
            # A wait for a lock fails at once instead of after 50 s.
            ctx.session.execute(
                sa.text('SET SESSION innodb_lock_wait_timeout = 1'))
            db_api.local_stack_create(ctx, _stack(id=stack_id, name=name))
            db_api.local_resources_create(ctx, stack_id, [
                ('server', _resource()), ('volume', _resource())])
            if before_commit is not None:
                before_commit()
        core_db.run_in_transaction(ctx, store)

    def test_a_create_does_not_wait_for_another_stacks_create(self):
        # Each create used to write a resource with an UPDATE finding no
        # row, then an INSERT: the UPDATE locked the index's gap where the
        # rows of both new stacks go, and the second create's INSERT
        # waited for the first create to commit (two of them deadlocked).
        first_ctx, second_ctx = self.make_context(), self.make_context()
        written, release = threading.Event(), threading.Event()
        errors = []

        def first():
            try:
                self._create(first_ctx, 'a' * 36, 'first', before_commit=(
                    lambda: (written.set(), release.wait(60))))
            except Exception as error:
                errors.append(error)
                written.set()

        thread = threading.Thread(target=first)
        thread.start()
        self.addCleanup(thread.join)
        self.addCleanup(release.set)
        self.assertTrue(written.wait(60))
        # The first create's transaction is open until release.
        self._create(second_ctx, 'b' * 36, 'second')
        release.set()
        thread.join()
        self.assertEqual([], errors)
        ctx = self.make_context()
        for stack_id in ('a' * 36, 'b' * 36):
            self.assertEqual(
                ['server', 'volume'],
                [r.name for r in db_api.local_resource_list(ctx, stack_id)])


class ArtifactTestCase(base.TestCase):
    use_db = True

    def test_artifacts_by_snapshot_and_resource(self):
        ctx = self.make_context()
        a = db_api.artifact_create(ctx, {'snapshot_id': 's1',
                                         'resource_name': 'vol',
                                         'content': {'size': 1}})
        db_api.artifact_create(ctx, {'snapshot_id': 's2',
                                     'resource_name': 'vol'})
        self.assertEqual({'size': 1}, db_api.artifact_get(ctx, a.id).content)
        self.assertEqual([a.id], [x.id for x in db_api.artifact_list(
            ctx, snapshot_id='s1', resource_name='vol')])
        self.assertEqual(2, len(db_api.artifact_list(ctx,
                                                     resource_name='vol')))
        self.assertTrue(db_api.artifact_delete(ctx, a.id))
        self.assertFalse(db_api.artifact_delete(ctx, a.id))
        self.assertIsNone(db_api.artifact_get(ctx, a.id))

    def test_ensure_makes_one_artifact_per_resource_of_a_snapshot(self):
        # A snapshot step run again (an engine restart) finds the artifact
        # its first run made instead of making a second one.
        ctx = self.make_context()
        [first] = db_api.artifacts_ensure(ctx, [('s1', 'vol', {'size': 1})])
        [again] = db_api.artifacts_ensure(ctx, [('s1', 'vol', {'size': 2})])
        [other] = db_api.artifacts_ensure(ctx, [('s2', 'vol', {'size': 3})])
        self.assertEqual(first, again)
        self.assertNotEqual(first, other)
        self.assertEqual({'size': 1}, db_api.artifact_get(ctx, first).content)
        self.assertEqual([first], [a.id for a in db_api.artifact_list(
            ctx, snapshot_id='s1')])

    def test_ensure_many_finds_those_made_and_makes_the_rest(self):
        ctx = self.make_context()
        [made] = db_api.artifacts_ensure(ctx, [('s1', 'b', {'size': 1})])
        inserts = []

        def executed(conn, cursor, statement, *args):
            if statement.startswith('INSERT INTO hs_artifacts'):
                inserts.append(statement)
        engine = core_db.get_engine()
        sa.event.listen(engine, 'before_cursor_execute', executed)
        self.addCleanup(sa.event.remove, engine, 'before_cursor_execute',
                        executed)
        ids = db_api.artifacts_ensure(ctx, [
            ('s1', 'a', {'size': 2}), ('s1', 'b', {'size': 3}),
            ('s2', 'b', {'size': 4})])
        # The one made is found; the two others made by one INSERT.
        self.assertEqual(1, len(inserts))
        self.assertEqual(made, ids[1])
        self.assertEqual(3, len(set(ids)))
        self.assertEqual([{'size': 2}, {'size': 1}, {'size': 4}],
                         [db_api.artifact_get(ctx, i).content for i in ids])
        self.assertEqual(ids, db_api.artifacts_ensure(ctx, [
            ('s1', 'a', {}), ('s1', 'b', {}), ('s2', 'b', {})]))
        self.assertEqual(1, len(inserts))
