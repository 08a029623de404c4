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
import time

import fixtures
import futurist
from oslo_serialization import jsonutils
from oslo_utils import uuidutils
import sqlalchemy

from heat_snapshots.common import exception
from heat_snapshots.db import api as db_api
from heat_snapshots.engine import formatters
from heat_snapshots.engine import manager
from heat_snapshots.engine import operations
from heat_snapshots.engine.resources import base as plugin_base
from heat_snapshots.engine.resources import registry
from heat_snapshots.localstack import db_api as store_db
from heat_snapshots.tests import base
from heat_snapshots.tests import engine_fixture as ef
from heat_snapshots.tests import fake_clock
from heat_snapshots.tests import fake_driver
from heat_snapshots.tests import fake_plugins
from heat_snapshots.tests.unit.engine import base as engine_base

T = fake_plugins.TYPE
# The engine test base (base.py), under the names the tests use.
EngineTestCase = engine_base.EngineTestCase
FIVE = engine_base.FIVE
template = engine_base.template


class LifecycleTest(EngineTestCase):

    def test_snapshot_update_restore_delete(self):
        identity = self.create_stack(FIVE)
        random_before = self.random_value(identity)

        snap = self.snapshot(identity)
        self.assertEqual('Stack SNAPSHOT completed successfully',
                         snap['status_reason'])
        data = snap['data']
        self.assertEqual(('SNAPSHOT', 'COMPLETE'),
                         (data['action'], data['status']))
        self.assertEqual(FIVE, data['template'])
        self.assertEqual({'none', 'value', 'random', 'test', 'last'},
                         set(data['resources']))
        for name, res in data['resources'].items():
            self.assertEqual(
                {'name', 'type', 'resource_id', 'action', 'status',
                 'metadata', 'resource_data'}, set(res), name)
            self.assertEqual(('SNAPSHOT', 'COMPLETE'),
                             (res['action'], res['status']))
        self.assertEqual({'value': random_before},
                         data['resources']['random']['resource_data'])
        stack = self.engine.show_stack(self.ctx, identity)
        self.assertEqual('SNAPSHOT_COMPLETE', stack['stack_status'])

        updated = template(
            parameters=FIVE['parameters'],
            resources=dict(FIVE['resources'], added={
                'type': 'OS::Heat::None'}))
        updated['resources']['value'] = {'type': 'OS::Heat::Value',
                                         'properties': {'value': 'two'}}
        self.engine.update_stack(self.ctx, identity, updated,
                                 {'length': 20}, {}, {}, {})
        ef.wait_for_stack(self.engine, self.ctx, identity, 'UPDATE_COMPLETE')
        self.assertIn('added', self.resources(identity))
        self.assertEqual(20, len(self.random_value(identity)))

        self.engine.stack_restore(self.ctx, identity, snap['id'])
        ef.wait_for_stack(self.engine, self.ctx, identity,
                          'RESTORE_COMPLETE')
        self.assertEqual(FIVE, self.engine.get_template(self.ctx, identity))
        self.assertNotIn('added', self.resources(identity))
        self.assertEqual(random_before, self.random_value(identity))
        # The snapshot itself is unchanged by the restore, as in Heat.
        self.assertEqual(
            'COMPLETE',
            self.engine.show_snapshot(self.ctx, identity,
                                      snap['id'])['status'])

        self.engine.delete_snapshot(self.ctx, identity, snap['id'])
        ef.wait_for_snapshot_gone(self.engine, self.ctx, identity,
                                  snap['id'])
        self.assertEqual([], self.engine.stack_list_snapshots(self.ctx,
                                                              identity))

    def test_stack_delete_removes_its_snapshots_and_artifacts(self):
        identity = self.create_stack(FIVE)
        first = self.snapshot(identity, 'one')
        self.snapshot(identity, 'two')
        self.assertEqual(2, len(store_db.artifact_list(self.ctx)))
        self.engine.delete_stack(self.ctx, identity)
        ef.wait_for_stack(self.engine, self.ctx, identity, 'DELETE_COMPLETE')
        self.assertRaises(exception.SnapshotIdNotFound, db_api.snapshot_get,
                          self.ctx, first['id'])
        self.assertEqual([], db_api.snapshot_list_by_stack(
            self.ctx, identity['stack_id']))
        self.assertEqual([], store_db.artifact_list(self.ctx))
        self.assertRaises(exception.StackNotFound, self.engine.identify_stack,
                          self.ctx, 'stack')

    def test_delete_removes_the_artifacts_first(self):
        identity = self.create_stack(FIVE)
        snap = self.snapshot(identity)
        artifacts = store_db.artifact_list(self.ctx, snap['id'])
        self.assertEqual(1, len(artifacts))
        self.assertEqual(
            artifacts[0].id,
            snap['data']['resources']['test']['resource_data'][
                'artifact_id'])
        self.engine.delete_snapshot(self.ctx, identity, snap['id'])
        ef.wait_for_snapshot_gone(self.engine, self.ctx, identity,
                                  snap['id'])
        self.assertEqual([], store_db.artifact_list(self.ctx))

    def test_older_snapshot_restores(self):
        identity = self.create_stack(template(
            {'random': {'type': 'OS::Heat::RandomString'}}))
        first_value = self.random_value(identity)
        first = self.snapshot(identity, 'first')
        self.engine.update_stack(
            self.ctx, identity,
            template({'random': {'type': 'OS::Heat::RandomString',
                                 'properties': {'length': 8}}}),
            {}, {}, {}, {})
        ef.wait_for_stack(self.engine, self.ctx, identity, 'UPDATE_COMPLETE')
        self.snapshot(identity, 'second')
        self.engine.stack_restore(self.ctx, identity, first['id'])
        ef.wait_for_stack(self.engine, self.ctx, identity,
                          'RESTORE_COMPLETE')
        self.assertEqual(first_value, self.random_value(identity))


class RulesTest(EngineTestCase):

    def test_busy_stack_refuses_a_snapshot(self):
        identity = self.create_stack(template({'slow': {
            'type': 'OS::Heat::TestResource',
            'properties': {'action_wait_secs': {'create': 1}}}}),
            wait=False)
        error = self.assertRaises(exception.ActionInProgress,
                                  self.engine.stack_snapshot, self.ctx,
                                  identity, 'snap')
        self.assertEqual(409, error.code)
        self.assertEqual(
            'Stack stack already has an action (CREATE) in progress.',
            error.message)
        ef.wait_for_stack(self.engine, self.ctx, identity, 'CREATE_COMPLETE')

    def test_stack_shows_the_snapshot_in_progress(self):
        identity = self.create_stack(template({'slow': {
            'type': 'OS::Heat::TestResource',
            'properties': {'action_wait_secs': {'snapshot': 0.5}}}}))
        snap = self.snapshot(identity, wait=None)
        self.assertEqual(('CREATE', 'IN_PROGRESS', None),
                         (snap['action'], snap['status'],
                          snap['status_reason']))
        stack = self.engine.show_stack(self.ctx, identity)
        self.assertEqual(('SNAPSHOT_IN_PROGRESS', 'Stack SNAPSHOT started'),
                         (stack['stack_status'],
                          stack['stack_status_reason']))
        self.assertRaises(exception.ActionInProgress,
                          self.engine.stack_snapshot, self.ctx, identity,
                          'second')
        ef.wait_for_snapshot(self.engine, self.ctx, identity, snap['id'])
        stack = self.engine.show_stack(self.ctx, identity)
        self.assertEqual('SNAPSHOT_COMPLETE', stack['stack_status'])

    def test_snapshot_being_created_cannot_be_deleted_or_restored(self):
        identity = self.create_stack(template({'slow': {
            'type': 'OS::Heat::TestResource',
            'properties': {'action_wait_secs': {'snapshot': 0.5}}}}))
        snap = self.snapshot(identity, wait=None)
        error = self.assertRaises(exception.NotSupported,
                                  self.engine.delete_snapshot, self.ctx,
                                  identity, snap['id'])
        self.assertEqual((400, 'Deleting in-progress snapshot is not '
                               'supported.'), (error.code, error.message))
        error = self.assertRaises(exception.NotSupported,
                                  self.engine.stack_restore, self.ctx,
                                  identity, snap['id'])
        self.assertEqual('Restoring incomplete snapshot is not supported.',
                         error.message)
        ef.wait_for_snapshot(self.engine, self.ctx, identity, snap['id'])

    def test_snapshot_limit_applies_to_members_not_admins(self):
        self.flags(max_snapshots_per_stack=2, group='heat_snapshots')
        identity = self.create_stack(template(
            {'none': {'type': 'OS::Heat::None'}}))
        self.snapshot(identity, 'one')
        self.snapshot(identity, 'two')
        error = self.assertRaises(exception.RequestLimitExceeded,
                                  self.engine.stack_snapshot, self.ctx,
                                  identity, 'three')
        self.assertEqual(
            'Request limit exceeded: You have reached the maximum '
            'snapshots per stack, 2. Please delete some snapshots.',
            error.message)
        admin = self.make_context(roles=['admin', 'member', 'reader'])
        self.assertTrue(admin.is_admin)
        snap = self.engine.stack_snapshot(admin, identity, 'three')
        ef.wait_for_snapshot(self.engine, self.ctx, identity, snap['id'])

    def test_unlimited_snapshots(self):
        self.flags(max_snapshots_per_stack=-1, group='heat_snapshots')
        identity = self.create_stack(template(
            {'none': {'type': 'OS::Heat::None'}}))
        for i in range(3):
            self.snapshot(identity, str(i))
        self.assertEqual(3, len(self.engine.stack_list_snapshots(
            self.ctx, identity)))

    def test_name_and_id_must_name_one_stack(self):
        one = self.create_stack(template(
            {'none': {'type': 'OS::Heat::None'}}), name='one')
        two = self.create_stack(template(
            {'none': {'type': 'OS::Heat::None'}}), name='two')
        mixed = dict(one, stack_name='two')
        error = self.assertRaises(exception.StackNotFound,
                                  self.engine.stack_list_snapshots,
                                  self.ctx, mixed)
        self.assertEqual('The Stack (two) could not be found.',
                         error.message)
        self.assertEqual('EntityNotFound', error.type_name)
        snap = self.snapshot(two)
        error = self.assertRaises(exception.SnapshotNotFound,
                                  self.engine.show_snapshot, self.ctx, one,
                                  snap['id'])
        self.assertEqual('The Snapshot (%s) for Stack (one) could not be '
                         'found.' % snap['id'], error.message)
        error = self.assertRaises(exception.SnapshotIdNotFound,
                                  self.engine.show_snapshot, self.ctx, one,
                                  'not-a-uuid')
        self.assertEqual('Snapshot with id not-a-uuid not found',
                         error.message)

    def test_a_read_of_snapshots_takes_one_database_connection(self):
        identity = self.create_stack(template(
            {'none': {'type': 'OS::Heat::None'}}))
        snap = self.snapshot(identity)
        checkouts = []

        def checked_out(*args):
            checkouts.append(args)
        engine = db_api.get_engine()
        sqlalchemy.event.listen(engine, 'checkout', checked_out)
        self.addCleanup(sqlalchemy.event.remove, engine, 'checkout',
                        checked_out)
        shown = jsonutils.loads(self.engine.show_snapshot_json(
            self.ctx, identity, snap['id']))
        self.assertEqual((snap['id'], 'COMPLETE'),
                         (shown['id'], shown['status']))
        listed = jsonutils.loads(self.engine.list_snapshots_json(
            self.ctx, identity))
        self.assertEqual([snap['id']], [s['id'] for s in listed])
        # The stack and its snapshot(s), read on one connection each time.
        self.assertEqual(2, len(checkouts))
        error = self.assertRaises(exception.SnapshotIdNotFound,
                                  self.engine.show_snapshot_json, self.ctx,
                                  identity, 'not-a-uuid')
        self.assertEqual('Snapshot with id not-a-uuid not found',
                         error.message)

    def test_a_show_reads_the_stack_and_its_snapshot_with_one_query(self):
        identity = self.create_stack(template(
            {'none': {'type': 'OS::Heat::None'}}))
        snap = self.snapshot(identity)
        selects = []

        def executed(conn, cursor, statement, *args):
            if statement.lstrip().upper().startswith('SELECT'):
                selects.append(statement)
        engine = db_api.get_engine()
        sqlalchemy.event.listen(engine, 'before_cursor_execute', executed)
        self.addCleanup(sqlalchemy.event.remove, engine,
                        'before_cursor_execute', executed)
        shown = jsonutils.loads(self.engine.show_snapshot_json(
            self.ctx, identity, snap['id']))
        self.assertEqual(1, len(selects), selects)
        self.assertEqual(self.engine.show_snapshot(self.ctx, identity,
                                                   snap['id']), shown)

    def test_a_show_answers_as_heat_for_what_it_does_not_find(self):
        one = self.create_stack(template(
            {'none': {'type': 'OS::Heat::None'}}), name='one')
        two = self.create_stack(template(
            {'none': {'type': 'OS::Heat::None'}}), name='two')
        snap = self.snapshot(one)
        other = self.snapshot(two)
        cases = [
            (self.ctx, one, other['id'], exception.SnapshotNotFound,
             'The Snapshot (%s) for Stack (one) could not be found.'
             % other['id']),
            (self.ctx, one, uuidutils.generate_uuid(),
             exception.SnapshotIdNotFound, None),
            (self.ctx, one, 'not-a-uuid', exception.SnapshotIdNotFound,
             'Snapshot with id not-a-uuid not found'),
            (self.ctx, dict(one, stack_name='two'), snap['id'],
             exception.StackNotFound, 'The Stack (two) could not be found.'),
            (self.make_context(project_id='project-b'), one, snap['id'],
             exception.StackNotFound, 'The Stack (one) could not be found.'),
            (self.ctx, dict(one, stack_id=uuidutils.generate_uuid()),
             'not-a-uuid', exception.StackNotFound,
             'The Stack (one) could not be found.'),
        ]
        for ctx, identity, snapshot_id, error_class, message in cases:
            for show in (self.engine.show_snapshot,
                         self.engine.show_snapshot_json):
                error = self.assertRaises(error_class, show, ctx, identity,
                                          snapshot_id)
                if message is not None:
                    self.assertEqual(message, error.message)

    def test_other_projects_stack_is_not_found(self):
        identity = self.create_stack(template(
            {'none': {'type': 'OS::Heat::None'}}))
        other = self.make_context(project_id='project-b')
        self.assertRaises(exception.StackNotFound,
                          self.engine.stack_snapshot, other, identity, 'x')
        self.assertRaises(exception.StackNotFound,
                          self.engine.stack_list_snapshots, other, identity)
        self.assertRaises(exception.StackNotFound,
                          self.engine.identify_stack, other, 'stack')


class FailureTest(EngineTestCase):

    def test_failing_resource_fails_the_snapshot_and_keeps_the_rest(self):
        identity = self.create_stack(template({
            'first': {'type': 'OS::Heat::TestResource'},
            'broken': {'type': 'OS::Heat::TestResource',
                       'depends_on': 'first',
                       'properties': {'fail_on': ['snapshot']}},
        }))
        snap = self.snapshot(identity, wait='FAILED')
        self.assertIn('broken', snap['status_reason'])
        self.assertTrue(snap['status_reason'].startswith(
            'Resource SNAPSHOT failed'), snap['status_reason'])
        rows = {r.resource_name: r for r in
                db_api.resource_snapshot_list(self.ctx, snap['id'])}
        self.assertEqual('COMPLETE', rows['first'].status)
        self.assertIn('artifact_id', rows['first'].data)
        self.assertEqual('FAILED', rows['broken'].status)
        stack = ef.wait_for_stack(self.engine, self.ctx, identity,
                                  'SNAPSHOT_FAILED')
        self.assertIn('broken', stack['stack_status_reason'])
        # A failed snapshot can be deleted and takes its artifacts along.
        self.engine.delete_snapshot(self.ctx, identity, snap['id'])
        ef.wait_for_snapshot_gone(self.engine, self.ctx, identity,
                                  snap['id'])
        self.assertEqual([], store_db.artifact_list(self.ctx))

    def test_timeout_fails_the_snapshot(self):
        identity = self.create_stack(template({'slow': {
            'type': 'OS::Heat::TestResource',
            'properties': {'action_wait_secs': {'snapshot': 30}}}}))
        self.flags(action_timeout=1, group='heat_snapshots')
        snap = self.snapshot(identity, wait='FAILED')
        self.assertIn('timed out', snap['status_reason'])
        self.assertIn('slow', snap['status_reason'])


class RecordingPlugin(plugin_base.ResourcePlugin):
    """Records when each resource's snapshot starts and ends.

    The first snapshots wait (a bounded time) until ``parallel`` of them
    run at once, so the test does not depend on the machine's speed.
    """

    events = []
    lock = threading.Lock()
    running = 0
    most_running = 0
    parallel = 3
    all_running = threading.Event()

    def handle_snapshot(self):
        cls = type(self)
        with cls.lock:
            cls.running += 1
            cls.most_running = max(cls.most_running, cls.running)
            cls.events.append(('start', self.resource.name))
            if cls.running >= cls.parallel:
                cls.all_running.set()
        return {}

    def check_snapshot_complete(self, data):
        type(self).all_running.wait(timeout=10)
        time.sleep(0.01)
        cls = type(self)
        with cls.lock:
            cls.running -= 1
            cls.events.append(('end', self.resource.name))
        return True


class WalkOrderTest(EngineTestCase):

    def setUp(self):
        super().setUp()
        original = registry.plugin_class('OS::Heat::None')
        registry.register('OS::Heat::None', RecordingPlugin)
        self.addCleanup(registry.register, 'OS::Heat::None', original)
        RecordingPlugin.events = []
        RecordingPlugin.running = RecordingPlugin.most_running = 0
        RecordingPlugin.all_running = threading.Event()

    def test_dependencies_first_and_independent_in_parallel(self):
        self.flags(walk_concurrency=3, group='heat_snapshots')
        resources = {'free%d' % i: {'type': 'OS::Heat::None'}
                     for i in range(6)}
        resources['a'] = {'type': 'OS::Heat::None'}
        resources['b'] = {'type': 'OS::Heat::None', 'depends_on': 'a'}
        resources['c'] = {'type': 'OS::Heat::None',
                          'properties': {'x': {'get_resource': 'b'}}}
        identity = self.create_stack(template(resources))
        self.snapshot(identity)
        events = RecordingPlugin.events
        self.assertLess(events.index(('end', 'a')),
                        events.index(('start', 'b')))
        self.assertLess(events.index(('end', 'b')),
                        events.index(('start', 'c')))
        self.assertEqual(3, RecordingPlugin.most_running)


class BackToBackTest(EngineTestCase):

    def test_a_snapshot_right_after_the_create_ends_is_accepted(self):
        # The stack shows CREATE_COMPLETE a moment before the create lets
        # go of it; a client that snapshots at once must not get a 409.
        for i in range(5):
            identity = self.create_stack(template(
                {'none': {'type': 'OS::Heat::None'}}), name='s%d' % i)
            self.snapshot(identity, wait=None)


# The module whose clock times the TestResource's waits.
RESOURCES = ('heat_snapshots.localstack.resource_types',)


def slow(action, secs):
    return template({'slow': {
        'type': 'OS::Heat::TestResource',
        'properties': {'action_wait_secs': {action: secs}}}})


class GuardsTest(EngineTestCase):
    """Operations that would lose a backup or run twice are refused."""

    def test_a_snapshot_a_restore_reads_cannot_be_deleted(self):
        # The restore's wait holds until released: the delete below comes
        # while it runs, however slow the machine is.
        clock = self.useFixture(fake_clock.HeldClock(modules=RESOURCES))
        self.addCleanup(clock.released.set)
        identity = self.create_stack(slow('restore', 0.5))
        snap = self.snapshot(identity)
        self.engine.stack_restore(self.ctx, identity, snap['id'])
        error = self.assertRaises(exception.SnapshotInUse,
                                  self.engine.delete_snapshot, self.ctx,
                                  identity, snap['id'])
        self.assertEqual(409, error.code)
        self.assertEqual('ActionInProgress', error.type_name)
        self.assertIn('in use by the RESTORE of stack stack', error.message)
        clock.released.set()
        ef.wait_for_stack(self.engine, self.ctx, identity,
                          'RESTORE_COMPLETE')
        # Once the restore is over, the snapshot goes with its artifact.
        self.engine.delete_snapshot(self.ctx, identity, snap['id'])
        ef.wait_for_snapshot_gone(self.engine, self.ctx, identity,
                                  snap['id'])
        self.assertEqual([], store_db.artifact_list(self.ctx))

    def test_a_second_delete_while_one_runs_is_heats_400(self):
        # The first delete's wait ends when the test moves the clock on.
        clock = self.useFixture(fake_clock.FakeClock(modules=RESOURCES))
        self.addCleanup(clock.advance, 3600)
        identity = self.create_stack(slow('delete_snapshot', 0.5))
        snap = self.snapshot(identity)
        self.engine.delete_snapshot(self.ctx, identity, snap['id'])
        error = self.assertRaises(exception.NotSupported,
                                  self.engine.delete_snapshot, self.ctx,
                                  identity, snap['id'])
        self.assertEqual('Deleting in-progress snapshot is not supported.',
                         error.message)
        self._wait_gone_moving(clock, snap['id'])

    def test_a_delete_that_stopped_is_resumed_by_the_next(self):
        identity = self.create_stack(FIVE)
        snap = self.snapshot(identity)
        # As a delete whose walk ended with the engine that ran it.
        db_api.snapshot_update(self.ctx, snap['id'], {
            'action': 'DELETE', 'status': 'IN_PROGRESS',
            'engine_id': self.engine.engine_id})
        self.engine.delete_snapshot(self.ctx, identity, snap['id'])
        ef.wait_for_snapshot_gone(self.engine, self.ctx, identity,
                                  snap['id'])
        self.assertEqual([], store_db.artifact_list(self.ctx))

    def test_deletes_of_a_busy_stack_wait_without_a_worker(self):
        # The resource's wait is on a fake clock: the snapshot runs until
        # the test moves the clock on, however slow the machine is.
        clock = self.useFixture(fake_clock.FakeClock(modules=RESOURCES))
        self.addCleanup(clock.advance, 3600)
        # The pool is sized when an engine is made: this test's engine has
        # two workers, one for the snapshot and one to spare.
        self.flags(operation_workers=2, group='heat_snapshots')
        self.engine = self.useFixture(ef.Engine()).manager
        identity = self.create_stack(slow('snapshot', 1))
        snap = self.snapshot(identity, wait=None)
        for _ in range(16):
            self.engine.delete_stack(self.ctx, identity)
        # No worker waits for the stack: another stack is served while
        # the snapshot still holds it (one worker runs the snapshot; a
        # delete waiting in the other would leave none for these).
        other = self.create_stack(FIVE, name='other')
        self.snapshot(other)
        self.assertEqual('IN_PROGRESS', self.engine.show_snapshot(
            self.ctx, identity, snap['id'])['status'])
        self._wait_gone_moving(clock, snap['id'])
        ef.wait_for_stack(self.engine, self.ctx, identity,
                          'DELETE_COMPLETE')
        self.assertRaises(exception.SnapshotIdNotFound, db_api.snapshot_get,
                          self.ctx, snap['id'])

    def test_a_stack_delete_claims_every_snapshot_first(self):
        identity = self.create_stack(slow('delete_snapshot', 0.3))
        snaps = [self.snapshot(identity, name='s%d' % i) for i in range(2)]
        self.engine.delete_stack(self.ctx, identity)
        ef.wait_for(lambda: all(
            db_api.snapshot_get(self.ctx, s['id']).action == 'DELETE'
            for s in snaps if self._exists(s['id'])), what='claims')
        # A user's DELETE of a claimed snapshot joins the stack's delete.
        for snap in snaps:
            if self._exists(snap['id']):
                self.engine.delete_snapshot(self.ctx, identity, snap['id'])
        ef.wait_for_stack(self.engine, self.ctx, identity,
                          'DELETE_COMPLETE')
        self.assertEqual([], store_db.artifact_list(self.ctx))

    def _wait_gone_moving(self, clock, snapshot_id):
        """Wait until the snapshot is gone, moving the clock on at each
        look: a wait that began after any one move still ends.
        """
        def gone():
            clock.advance(1)
            return not self._exists(snapshot_id)
        ef.wait_for(gone, what='snapshot %s deleted' % snapshot_id)

    def _exists(self, snapshot_id):
        try:
            db_api.snapshot_get(self.ctx, snapshot_id)
        except exception.SnapshotIdNotFound:
            return False
        return True

    def test_an_internal_error_is_a_generic_reason_with_the_request(self):
        identity = self.create_stack(FIVE)
        ctx = self.make_context(request_id='req-4242')
        original = self.engine.driver.get_stack

        def broken(context, stack_id, **kwargs):
            if getattr(context, 'fence', None) is not None:
                raise RuntimeError('mysql://secret@db/heat: SELECT 1')
            return original(context, stack_id, **kwargs)

        self.useFixture(fixtures.MockPatchObject(
            self.engine.driver, 'get_stack', side_effect=broken))
        snap = self.engine.stack_snapshot(ctx, identity, 'x')
        snap = ef.wait_for_snapshot(self.engine, self.ctx, identity,
                                    snap['id'], 'FAILED')
        self.assertEqual('Stack SNAPSHOT failed: Internal error (request '
                         'req-4242); see the engine log',
                         snap['status_reason'])

    def test_a_step_whose_outcome_was_not_written_ends_with_it(self):
        identity = self.create_stack(FIVE)
        original = operations.resource_ended

        def refused(context, driver, stack_id, snapshot_id, resource,
                    status, reason):
            if resource.name == 'test':
                raise exception.HeatSnapshotsException('database refused')
            return original(context, driver, stack_id, snapshot_id,
                            resource, status, reason)

        self.useFixture(fixtures.MockPatchObject(
            operations, 'resource_ended', side_effect=refused))
        snap = self.snapshot(identity, wait='FAILED')
        rows = {r.resource_name: r.status for r in
                db_api.resource_snapshot_list(self.ctx, snap['id'])}
        self.assertEqual('FAILED', rows['test'])
        self.assertEqual('FAILED',
                         snap['data']['resources']['test']['status'])
        self.assertEqual('SNAPSHOT_FAILED',
                         self.resources(identity)['test']['resource_status'])
        # Nothing is left IN_PROGRESS: the stack takes the next snapshot.
        self.snapshot(identity, name='next', wait=None)


class FakeDriverTestCase(base.TestCase):
    """The manager on an in-memory stack driver, its walks run inline.

    The operation pool runs each operation within the RPC call that
    starts it, so every call returns with its operation ended.
    """

    use_db = True
    driver_class = fake_driver.FakeStackDriver

    def setUp(self):
        super().setUp()
        self.clock = self.useFixture(fake_clock.FakeClock())
        self.plugins = self.useFixture(fake_plugins.Plugins()).recorder
        self.driver = self.driver_class(self.conf_fixture.conf)
        engine = manager.EngineManager(self.conf_fixture.conf,
                                       driver=self.driver)
        engine.pool.shutdown()
        engine.pool = futurist.SynchronousExecutor()
        self.engine = ef._Direct(engine)
        self.ctx = self.make_context()

    def add_stack(self, spec, name='web', **kwargs):
        stack = self.driver.add_stack(name, spec, **kwargs)
        return {'stack_name': stack.name, 'stack_id': stack.id}

    def stack_status(self, identity):
        # As Heat shows it; stack show itself is stack CRUD, which a
        # read-only driver leaves to Heat.
        stack = formatters.format_stack(
            self.driver.get_stack(self.ctx, identity['stack_id']))
        return stack['stack_status'], stack['stack_status_reason']

    def snapshot(self, identity, name='snap'):
        answer = self.engine.stack_snapshot(self.ctx, identity, name)
        # Heat's answer: the snapshot as it starts.
        self.assertEqual(('CREATE', 'IN_PROGRESS'),
                         (answer['action'], answer['status']))
        return self.engine.show_snapshot(self.ctx, identity, answer['id'])


class FakeDriverSnapshotTest(FakeDriverTestCase):

    def test_a_snapshot_shows_on_the_stack_as_in_heat(self):
        identity = self.add_stack({'vol': {'type': T},
                                   'server': {'type': T,
                                              'requires': ['vol']}})
        snap = self.snapshot(identity)
        self.assertEqual(('COMPLETE', 'Stack SNAPSHOT completed '
                                      'successfully'),
                         (snap['status'], snap['status_reason']))
        self.assertEqual({'vol', 'server'}, set(snap['data']['resources']))
        self.assertEqual(('SNAPSHOT_COMPLETE', 'Stack SNAPSHOT completed '
                                               'successfully'),
                         self.stack_status(identity))
        self.assertEqual(
            [('SNAPSHOT', 'IN_PROGRESS', 'Stack SNAPSHOT started'),
             ('SNAPSHOT', 'COMPLETE', 'Stack SNAPSHOT completed '
                                      'successfully')],
            [state[1:] for state in self.driver.stack_states])
        self.assertEqual([snap['id']], [
            s['id'] for s in self.engine.stack_list_snapshots(self.ctx,
                                                              identity)])

    def test_a_failing_plugin_fails_snapshot_and_stack_with_heats_reason(
            self):
        identity = self.add_stack({
            'first': {'type': T},
            'broken': {'type': T, 'requires': ['first']}})
        self.plugins.failures[('check_snapshot_complete', 'broken')] = \
            'Volume backup error'
        snap = self.snapshot(identity)
        reason = ('Resource SNAPSHOT failed: Error: resources.broken: '
                  'Volume backup error')
        self.assertEqual(('FAILED', reason),
                         (snap['status'], snap['status_reason']))
        self.assertEqual(('SNAPSHOT_FAILED', reason),
                         self.stack_status(identity))
        stack = self.driver.get_stack(self.ctx, identity['stack_id'],
                                      with_resources=True)
        resources = {r.name: '%s_%s' % (r.action, r.status)
                     for r in stack.resources}
        self.assertEqual({'first': 'SNAPSHOT_COMPLETE',
                          'broken': 'SNAPSHOT_FAILED'}, resources)
        # The stack is free again: the next snapshot is taken.
        self.plugins.failures.clear()
        self.assertEqual('COMPLETE',
                         self.snapshot(identity, 'again')['status'])

    def test_a_busy_stack_refuses_a_snapshot(self):
        identity = self.add_stack({'vol': {'type': T}},
                                  action='UPDATE', status='IN_PROGRESS')
        error = self.assertRaises(exception.ActionInProgress,
                                  self.engine.stack_snapshot, self.ctx,
                                  identity, 'snap')
        self.assertEqual((409, 'Stack web already has an action (UPDATE) '
                               'in progress.'),
                         (error.code, error.message))
        self.assertEqual([], self.plugins.calls)

    def test_a_read_only_driver_refuses_to_manage_stacks(self):
        # As the heat driver, which leaves stack CRUD to Heat.
        self.flags(stack_driver='heat', group='heat_snapshots')
        identity = self.add_stack({'vol': {'type': T}})
        for call, args in (
                (self.engine.create_stack, ('new', {}, {}, {}, {}, {})),
                (self.engine.update_stack, (identity, {}, {}, {}, {}, {})),
                (self.engine.delete_stack, (identity,))):
            error = self.assertRaises(exception.NotSupported, call,
                                      self.ctx, *args)
            self.assertEqual((400, 'Managing stacks with the heat stack '
                                   'driver is not supported.'),
                             (error.code, error.message))
        self.assertEqual(('CREATE_COMPLETE', 'Stack CREATE completed '
                                             'successfully'),
                         self.stack_status(identity))

    def test_another_projects_stack_is_not_found(self):
        identity = self.add_stack({'vol': {'type': T}},
                                  project_id='project-b')
        error = self.assertRaises(exception.StackNotFound,
                                  self.engine.stack_snapshot, self.ctx,
                                  identity, 'snap')
        self.assertEqual('The Stack (web) could not be found.',
                         error.message)

    def test_nested_resources_are_snapshotted_and_nested_in_the_data(self):
        identity = self.add_stack({
            'group': {'type': fake_driver.RESOURCE_GROUP, 'resources': {
                '0': {'type': 'member.yaml', 'resources': {
                    'disk': {'type': T}}}}}})
        snap = self.snapshot(identity)
        self.assertEqual(['group/0/disk'],
                         self.plugins.steps('handle_snapshot'))
        disk = snap['data']['resources']['group']['resources']['0'][
            'resources']['disk']
        self.assertEqual({'backup_id': 'backup-%s-group/0/disk'
                          % snap['id']}, disk['resource_data'])


class FakeDriverRestoreTest(FakeDriverTestCase):

    def test_restore_rewrites_each_resource_and_updates_the_stack(self):
        identity = self.add_stack({'vol': {'type': T, 'properties': {
            'size': 1}}})
        snap = self.snapshot(identity)
        self.engine.stack_restore(self.ctx, identity, snap['id'])
        self.assertEqual(['vol'], self.plugins.steps('handle_restore'))
        self.assertEqual(1, len(self.driver.restores))
        self.assertEqual({'size': 1, 'backup_id': 'backup-%s-vol'
                          % snap['id']},
                         self.driver.resource(identity['stack_id'],
                                              'vol').properties)
        self.assertEqual(('RESTORE_COMPLETE', 'Stack RESTORE completed '
                                              'successfully'),
                         self.stack_status(identity))

    def test_a_failed_update_fails_the_restore_as_heat_shows_it(self):
        identity = self.add_stack({'vol': {'type': T}})
        snap = self.snapshot(identity)
        self.driver.faults['restore'] = exception.ResourceFailure(
            reason='Stack UPDATE_FAILED of web: quota exceeded')
        self.engine.stack_restore(self.ctx, identity, snap['id'])
        self.assertEqual(('RESTORE_FAILED', 'Stack RESTORE failed: Stack '
                                            'UPDATE_FAILED of web: quota '
                                            'exceeded'),
                         self.stack_status(identity))
        # The snapshot is untouched and can be restored again.
        self.assertEqual('COMPLETE', self.engine.show_snapshot(
            self.ctx, identity, snap['id'])['status'])

    def test_a_restore_taken_over_stops_and_says_so(self):
        # A later restore superseded it: the stack is the new holder's,
        # this one writes no end of its own.
        logs = self.useFixture(fixtures.FakeLogger(
            name='heat_snapshots.engine.manager'))
        identity = self.add_stack({'vol': {'type': T}})
        snap = self.snapshot(identity)
        self.driver.faults['restore'] = exception.OperationFenced(
            stack_id=identity['stack_id'], generation=3)
        self.engine.stack_restore(self.ctx, identity, snap['id'])
        self.assertIn('Stack %s: RESTORE of snapshot %s stopped, taken '
                      'over: Operation on stack %s no longer holds the stack '
                      '(generation 3)' % (identity['stack_id'], snap['id'],
                                          identity['stack_id']),
                      logs.output)
        self.assertNotIn('RESTORE of snapshot %s ended' % snap['id'],
                         logs.output)

    def test_only_a_complete_snapshot_restores(self):
        identity = self.add_stack({'vol': {'type': T}})
        self.plugins.failures[('handle_snapshot', 'vol')] = 'no space'
        snap = self.snapshot(identity)
        error = self.assertRaises(exception.NotSupported,
                                  self.engine.stack_restore, self.ctx,
                                  identity, snap['id'])
        self.assertEqual('Restoring incomplete snapshot is not supported.',
                         error.message)
        self.assertEqual([], self.driver.restores)


class FakeDriverDeleteTest(FakeDriverTestCase):

    def test_each_artifact_is_deleted_then_the_snapshot(self):
        identity = self.add_stack({
            'vol': {'type': T},
            'child': {'type': fake_driver.NESTED_STACK, 'resources': {
                'cache': {'type': T}}}})
        snap = self.snapshot(identity)
        self.assertEqual(2, len(self.plugins.artifacts))
        self.engine.delete_snapshot(self.ctx, identity, snap['id'])
        self.assertEqual(['child/cache', 'vol'], sorted(
            self.plugins.steps('handle_delete_snapshot')))
        self.assertEqual({}, self.plugins.artifacts)
        self.assertRaises(exception.SnapshotIdNotFound,
                          self.engine.show_snapshot, self.ctx, identity,
                          snap['id'])

    def test_a_failed_delete_is_resumed_by_the_next(self):
        identity = self.add_stack({'vol': {'type': T}, 'log': {'type': T}})
        snap = self.snapshot(identity)
        self.plugins.failures[('handle_delete_snapshot', 'log')] = 'busy'
        self.engine.delete_snapshot(self.ctx, identity, snap['id'])
        failed = self.engine.show_snapshot(self.ctx, identity, snap['id'])
        self.assertEqual(('DELETE', 'FAILED', 'Resource DELETE_SNAPSHOT '
                                              'failed: Error: '
                                              'resources.log: busy'),
                         (failed['action'], failed['status'],
                          failed['status_reason']))
        self.assertEqual(['log'], list(self.plugins.artifacts.values()))
        self.plugins.failures.clear()
        self.engine.delete_snapshot(self.ctx, identity, snap['id'])
        self.assertEqual({}, self.plugins.artifacts)
        self.assertEqual([], self.engine.stack_list_snapshots(self.ctx,
                                                              identity))

    def test_resources_that_made_nothing_go_at_once(self):
        # OS::Heat::None made no artifact: its rows go together, one
        # statement, before the walk deletes the others' artifacts.
        identity = self.add_stack({'a': {'type': 'OS::Heat::None'},
                                   'b': {'type': 'OS::Heat::None'},
                                   'c': {'type': 'OS::Heat::None'},
                                   'vol': {'type': T}})
        snap = self.snapshot(identity)
        self.plugins.failures[('handle_delete_snapshot', 'vol')] = 'busy'
        deletes = self.statements('DELETE FROM hs_resource_snapshots')
        self.engine.delete_snapshot(self.ctx, identity, snap['id'])
        self.assertEqual(1, len(deletes))
        self.assertEqual(['vol'],
                         self.plugins.steps('handle_delete_snapshot'))
        progress = {r['name']: (r['action'], r['status'])
                    for r in self.engine.list_snapshot_resources(
                        self.ctx, identity, snap['id'])}
        self.assertEqual({'a': ('DELETE_SNAPSHOT', 'COMPLETE'),
                          'b': ('DELETE_SNAPSHOT', 'COMPLETE'),
                          'c': ('DELETE_SNAPSHOT', 'COMPLETE'),
                          'vol': ('DELETE_SNAPSHOT', 'FAILED')}, progress)
        # What is left to delete is the artifact's row only.
        self.assertEqual(['vol'], [r.resource_name for r in
                                   db_api.resource_snapshot_list(
                                       self.ctx, snap['id'])])
        self.plugins.failures.clear()
        self.engine.delete_snapshot(self.ctx, identity, snap['id'])
        self.assertEqual({}, self.plugins.artifacts)
        self.assertEqual([], self.engine.stack_list_snapshots(self.ctx,
                                                              identity))


class FakeManagingDriverTest(FakeDriverTestCase):
    """Stack CRUD on a driver that manages stacks."""

    driver_class = fake_driver.FakeManagingStackDriver

    def test_a_stack_delete_deletes_every_snapshot_first(self):
        identity = self.engine.create_stack(
            self.ctx, 'web', {'vol': {'type': T}, 'log': {'type': T}},
            {}, {}, {}, {})
        self.assertEqual(('CREATE_COMPLETE', 'Stack CREATE completed '
                                             'successfully'),
                         self.stack_status(identity))
        for name in ('one', 'two'):
            self.snapshot(identity, name)
        self.assertEqual(4, len(self.plugins.artifacts))
        self.engine.delete_stack(self.ctx, identity)
        self.assertEqual({}, self.plugins.artifacts)
        self.assertEqual([], db_api.snapshot_list_by_stack(
            self.ctx, identity['stack_id']))
        self.assertEqual(('DELETE', 'COMPLETE'), self.driver.stack_states[
            -1][1:3])
        self.assertRaises(exception.StackNotFound,
                          self.engine.identify_stack, self.ctx, 'web')

    def test_a_stack_whose_snapshot_cannot_be_deleted_stays(self):
        identity = self.engine.create_stack(
            self.ctx, 'web', {'vol': {'type': T}}, {}, {}, {}, {})
        snap = self.snapshot(identity)
        self.plugins.failures[('handle_delete_snapshot', 'vol')] = 'busy'
        self.engine.delete_stack(self.ctx, identity)
        status, reason = self.stack_status(identity)
        self.assertEqual('DELETE_FAILED', status)
        self.assertIn('resources.vol: busy', reason)
        # Nothing of the stack was deleted while a backup is left.
        self.assertEqual(
            [], [s for s in self.driver.resource_states
                 if s[2] == 'DELETE'])
        self.assertEqual(['vol'], list(self.plugins.artifacts.values()))
        self.assertEqual('FAILED', self.engine.show_snapshot(
            self.ctx, identity, snap['id'])['status'])


# A stack for the restore preview: after its snapshot an update changes
# ``value`` in place, replaces ``test``, removes ``gone``, adds ``extra``
# and keeps ``keep``; so a restore updates, replaces, adds, deletes and
# keeps one resource each.
PLAN = template(
    parameters={'word': {'type': 'string', 'default': 'one'}},
    resources={
        'keep': {'type': 'OS::Heat::None'},
        'value': {'type': 'OS::Heat::Value',
                  'properties': {'value': {'get_param': 'word'}}},
        'test': {'type': 'OS::Heat::TestResource',
                 'properties': {'value': 'kept',
                                'update_replace_value': 'a'}},
        'gone': {'type': 'OS::Heat::None'},
    })
PLAN_UPDATED = template(
    parameters=PLAN['parameters'],
    resources={
        'keep': PLAN['resources']['keep'],
        'value': {'type': 'OS::Heat::Value', 'properties': {'value': 'two'}},
        'test': {'type': 'OS::Heat::TestResource',
                 'properties': {'value': 'kept',
                                'update_replace_value': 'b'}},
        'extra': {'type': 'OS::Heat::None'},
    })


def _names(entries):
    return sorted(e['resource_name'] for e in entries)


class RestorePreviewTest(EngineTestCase):

    def _physical(self, identity):
        stack = self.engine.driver.get_stack(self.ctx, identity['stack_id'])
        return {r.name: (r.physical_resource_id, r.properties)
                for r in stack.resources}

    def _changed_stack(self):
        identity = self.create_stack(PLAN)
        snap = self.snapshot(identity)
        self.engine.update_stack(self.ctx, identity, PLAN_UPDATED, {}, {},
                                 {}, {})
        ef.wait_for_stack(self.engine, self.ctx, identity, 'UPDATE_COMPLETE')
        return identity, snap

    def test_preview_lists_every_change_in_heats_shape(self):
        identity, snap = self._changed_stack()
        before = self._physical(identity)
        preview = self.engine.restore_preview(self.ctx, identity,
                                              snap['id'])
        changes = preview['resource_changes']
        self.assertEqual(
            {'added': ['gone'], 'deleted': ['extra'], 'replaced': ['test'],
             'unchanged': ['keep'], 'updated': ['value']},
            {key: _names(entries) for key, entries in changes.items()})
        entry = changes['replaced'][0]
        self.assertEqual('OS::Heat::TestResource', entry['resource_type'])
        self.assertEqual(before['test'][0], entry['physical_resource_id'])
        self.assertEqual('properties changed: update_replace_value',
                         entry['reason'])
        self.assertEqual('properties changed: value',
                         changes['updated'][0]['reason'])
        self.assertEqual(
            ('in the snapshot, not in the stack', 'added since the snapshot'),
            (changes['added'][0]['reason'], changes['deleted'][0]['reason']))
        self.assertEqual(identity['stack_id'],
                         entry['stack_identity']['stack_id'])
        for entries in changes.values():
            for entry in entries:
                self.assertTrue(entry['reason'], entry)
        # What the restore would discard: the replaced resource (brought
        # back from its artifact) and the one added since the snapshot.
        artifact = snap['data']['resources']['test']['resource_data'][
            'artifact_id']
        self.assertEqual(
            [('test', 'replaced', {'artifact_id': artifact},
              before['test'][0]),
             ('extra', 'deleted', None, before['extra'][0])],
            [(e['resource_name'], e['change'], e['restored_from'],
              e['physical_resource_id']) for e in preview['data_loss']])
        # Nothing changed.
        self.assertEqual(before, self._physical(identity))
        self.assertEqual('UPDATE_COMPLETE', self.engine.show_stack(
            self.ctx, identity)['stack_status'])

    def test_the_restore_does_what_the_preview_said(self):
        identity, snap = self._changed_stack()
        before = self._physical(identity)
        changes = self.engine.restore_preview(
            self.ctx, identity, snap['id'])['resource_changes']
        self.engine.stack_restore(self.ctx, identity, snap['id'])
        ef.wait_for_stack(self.engine, self.ctx, identity,
                          'RESTORE_COMPLETE')
        after = self._physical(identity)
        done = {'added': [], 'deleted': [], 'replaced': [], 'unchanged': [],
                'updated': []}
        for name in sorted(set(before) | set(after)):
            if name not in before:
                done['added'].append(name)
            elif name not in after:
                done['deleted'].append(name)
            elif before[name][0] != after[name][0]:
                done['replaced'].append(name)
            elif before[name][1] != after[name][1]:
                done['updated'].append(name)
            else:
                done['unchanged'].append(name)
        self.assertEqual(done, {key: _names(entries)
                                for key, entries in changes.items()})
        for kind in done:
            self.assertTrue(done[kind], kind)

    def test_no_change_since_the_snapshot_keeps_everything(self):
        identity = self.create_stack(PLAN)
        snap = self.snapshot(identity)
        changes = self.engine.restore_preview(
            self.ctx, identity, snap['id'])['resource_changes']
        self.assertEqual(['gone', 'keep', 'test', 'value'],
                         _names(changes['unchanged']))
        self.assertEqual([], changes['added'] + changes['deleted'] +
                         changes['replaced'] + changes['updated'])

    def test_resources_of_nested_stacks_are_listed_with_their_parent(self):
        group = template(
            parameters={'count': {'type': 'number', 'default': 2}},
            resources={'group': {
                'type': 'OS::Heat::ResourceGroup',
                'properties': {'count': {'get_param': 'count'},
                               'resource_def': {
                                   'type': 'OS::Heat::RandomString'}}}})
        identity = self.create_stack(group)
        snap = self.snapshot(identity)
        self.engine.update_stack(self.ctx, identity, group, {'count': 3},
                                 {}, {}, {})
        ef.wait_for_stack(self.engine, self.ctx, identity, 'UPDATE_COMPLETE')
        preview = self.engine.restore_preview(self.ctx, identity,
                                              snap['id'])
        changes = preview['resource_changes']
        self.assertEqual(['group'], _names(changes['updated']))
        self.assertEqual([('2', 'group')],
                         [(e['resource_name'], e['parent_resource'])
                          for e in changes['deleted']])
        self.assertEqual(['0', '1'], _names(changes['unchanged']))
        self.assertEqual([('2', 'deleted', 'group')],
                         [(e['resource_name'], e['change'],
                           e['parent_resource'])
                          for e in preview['data_loss']])
        self.engine.stack_restore(self.ctx, identity, snap['id'])
        ef.wait_for_stack(self.engine, self.ctx, identity,
                          'RESTORE_COMPLETE')
        self.assertNotIn('group/2', self._physical(identity))

    def test_only_a_complete_snapshot_of_this_stack_previews(self):
        identity = self.create_stack(PLAN)
        other = self.create_stack(PLAN, name='other')
        snap = self.snapshot(other)
        self.assertRaises(exception.SnapshotNotFound,
                          self.engine.restore_preview, self.ctx, identity,
                          snap['id'])
        self.assertRaises(exception.SnapshotIdNotFound,
                          self.engine.restore_preview, self.ctx, identity,
                          'missing')
        db_api.snapshot_update(self.ctx, snap['id'], {'status': 'FAILED'})
        error = self.assertRaises(exception.NotSupported,
                                  self.engine.restore_preview, self.ctx,
                                  other, snap['id'])
        self.assertEqual(400, error.code)


class CloneTest(EngineTestCase):

    def _clone(self, identity, snap, name='copy', wait='CREATE_COMPLETE',
               **kwargs):
        new = self.engine.clone_snapshot(self.ctx, snap['id'], name,
                                         stack_identity=identity, **kwargs)
        if wait:
            ef.wait_for_stack(self.engine, self.ctx, new, wait)
        return new

    def test_clone_is_a_new_stack_of_the_snapshot_source_untouched(self):
        identity = self.create_stack(FIVE)
        random_value = self.random_value(identity)
        snap = self.snapshot(identity)
        self.engine.update_stack(self.ctx, identity, FIVE, {'length': 20},
                                 {}, {}, {})
        ef.wait_for_stack(self.engine, self.ctx, identity, 'UPDATE_COMPLETE')
        source = self.resources(identity)

        new = self._clone(identity, snap)
        self.assertEqual('copy', new['stack_name'])
        self.assertNotEqual(identity['stack_id'], new['stack_id'])
        self.assertEqual(FIVE, self.engine.get_template(self.ctx, new))
        # Each resource is made with its snapshot data put back.
        self.assertEqual(random_value, self.random_value(new))
        cloned = self.resources(new)
        self.assertEqual(set(source), set(cloned))
        for name in cloned:
            self.assertNotEqual(source[name]['physical_resource_id'],
                                cloned[name]['physical_resource_id'])
        # The source stack is only read.
        self.assertEqual(source, self.resources(identity))
        self.assertEqual('UPDATE_COMPLETE', self.engine.show_stack(
            self.ctx, identity)['stack_status'])
        self.assertEqual(20, len(self.random_value(identity)))

    def test_parameters_and_environment_override_the_snapshots(self):
        identity = self.create_stack(PLAN)
        snap = self.snapshot(identity)
        new = self._clone(identity, snap, parameters={'word': 'three'})
        value = {r.name: r for r in self.engine.driver.get_stack(
            self.ctx, new['stack_id']).resources}['value']
        self.assertEqual('three', value.attributes['value'])
        other = self._clone(identity, snap, name='copy2',
                            environment={'parameters': {'word': 'four'}})
        value = {r.name: r for r in self.engine.driver.get_stack(
            self.ctx, other['stack_id']).resources}['value']
        self.assertEqual('four', value.attributes['value'])

    def test_the_project_wide_entry_point_clones_by_snapshot_id(self):
        identity = self.create_stack(PLAN)
        snap = self.snapshot(identity)
        new = self.engine.clone_snapshot(self.ctx, snap['id'], 'copy')
        ef.wait_for_stack(self.engine, self.ctx, new, 'CREATE_COMPLETE')
        stranger = self.make_context(project_id='another-project')
        self.assertRaises(exception.SnapshotIdNotFound,
                          self.engine.clone_snapshot, stranger, snap['id'],
                          'copy3')

    def test_refusals_are_heat_style_and_make_nothing(self):
        identity = self.create_stack(FIVE)
        snap = self.snapshot(identity)
        stacks_before = len(self.engine.list_stacks(self.ctx))
        error = self.assertRaises(exception.StackExists, self._clone,
                                  identity, snap, name='stack')
        self.assertEqual(409, error.code)
        error = self.assertRaises(exception.InvalidParameter, self._clone,
                                  identity, snap,
                                  parameters={'length': 'long'})
        self.assertEqual(400, error.code)
        error = self.assertRaises(exception.SnapshotIdNotFound,
                                  self.engine.clone_snapshot, self.ctx,
                                  'missing', 'copy', stack_identity=identity)
        self.assertEqual(404, error.code)
        artifact = snap['data']['resources']['test']['resource_data'][
            'artifact_id']
        store_db.artifact_delete(self.ctx, artifact)
        error = self.assertRaises(exception.ArtifactNotFound, self._clone,
                                  identity, snap)
        self.assertEqual(404, error.code)
        self.assertIn(artifact, error.message)
        db_api.snapshot_update(self.ctx, snap['id'], {'status': 'FAILED'})
        error = self.assertRaises(exception.NotSupported, self._clone,
                                  identity, snap)
        self.assertEqual('Cloning incomplete snapshot is not supported.',
                         error.message)
        self.assertEqual(stacks_before,
                         len(self.engine.list_stacks(self.ctx)))

    def test_a_failing_create_ends_create_failed_and_frees_the_stack(self):
        flaky = template(
            parameters={'fail': {'type': 'boolean', 'default': False}},
            resources={'test': {'type': 'OS::Heat::TestResource',
                                'properties': {'fail': {
                                    'get_param': 'fail'}}}})
        identity = self.create_stack(flaky)
        snap = self.snapshot(identity)
        new = self._clone(identity, snap, parameters={'fail': True},
                          wait='CREATE_FAILED')
        self.assertIsNone(db_api.stack_lock_get(self.ctx, new['stack_id'])
                          .engine_id)
        # The snapshot is free again: it can be deleted.
        self.engine.delete_snapshot(self.ctx, identity, snap['id'])
        ef.wait_for_snapshot_gone(self.engine, self.ctx, identity,
                                  snap['id'])
