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

"""The stack driver contract and its check on load."""

from heat_snapshots.common import exception
from heat_snapshots.db import api as db_api
from heat_snapshots.engine import manager
from heat_snapshots.engine.stacks import base as stacks_base
from heat_snapshots.engine.stacks.heat import driver as heat_driver
from heat_snapshots.tests import base
from heat_snapshots.tests import fake_driver


class Reader(stacks_base.StackDriver):
    """Only what the contract requires of a read-only driver."""

    def find_stack(self, context, stack_name_or_id):
        raise exception.StackNotFound(stack_name_or_id)

    def get_stack(self, context, stack_id, with_resources=True,
                  show_deleted=False):
        raise exception.StackNotFound(stack_id)

    def set_stack_state(self, context, stack_id, action, status, reason):
        pass

    def restore(self, context, stack, template, environment, files,
                resource_data):
        pass


class LoadTest(base.TestCase):

    def test_the_configured_driver_is_loaded(self):
        self.flags(stack_driver='heat', group='heat_snapshots')
        driver = stacks_base.load(self.conf_fixture.conf)
        self.assertIsInstance(driver, heat_driver.HeatStackDriver)
        self.assertIs(self.conf_fixture.conf, driver.conf)

    def test_an_unknown_driver_stops_the_engine(self):
        self.flags(stack_driver='no-such-driver', group='heat_snapshots')
        error = self.assertRaises(RuntimeError, manager.EngineManager,
                                  self.conf_fixture.conf)
        self.assertIn('no-such-driver', str(error))

    def test_a_class_that_is_no_stack_driver_is_refused(self):
        class Duck:
            def get_stack(self, context, stack_id):
                pass

        error = self.assertRaises(TypeError, stacks_base.check_driver_class,
                                  'duck', Duck)
        self.assertEqual(
            'Stack driver duck (%s.%s) does not derive from '
            'heat_snapshots.engine.stacks.base.StackDriver: it cannot '
            'serve as [heat_snapshots] stack_driver' % (
                __name__, Duck.__qualname__), str(error))

    def test_a_driver_missing_part_of_the_contract_is_refused(self):
        class Half(stacks_base.StackDriver):
            def find_stack(self, context, stack_name_or_id):
                pass

        error = self.assertRaises(TypeError, stacks_base.check_driver_class,
                                  'half', Half)
        self.assertIn('does not implement the stack driver contract: '
                      'get_stack, restore, set_stack_state missing',
                      str(error))

    def test_a_managing_driver_must_manage(self):
        class ReaderOnly(Reader, stacks_base.ManagingStackDriver):
            pass

        error = self.assertRaises(TypeError, stacks_base.check_driver_class,
                                  'reader', ReaderOnly)
        self.assertIn('create_stack, list_events, list_stacks, '
                      'prepare_update, rpc_endpoint, run_create, run_delete, '
                      'run_update missing', str(error))

    def test_the_shipped_and_fake_drivers_keep_the_contract(self):
        for name, cls in (('heat', heat_driver.HeatStackDriver),
                          ('fake', fake_driver.FakeStackDriver),
                          ('fake-managing',
                           fake_driver.FakeManagingStackDriver)):
            self.assertIs(cls, stacks_base.check_driver_class(name, cls))
        self.assertIs(heat_driver.HeatStackDriver,
                      stacks_base.driver_class('heat'))


class DefaultsTest(base.TestCase):
    """What a read-only driver does where it keeps the defaults."""

    def setUp(self):
        super().setUp()
        self.driver = Reader(self.conf_fixture.conf)
        self.ctx = self.make_context()

    def test_listing_stacks_is_heats_not_supported(self):
        error = self.assertRaises(exception.NotSupported,
                                  self.driver.list_stacks, self.ctx)
        self.assertEqual((400, 'Listing stacks with this stack driver is '
                               'not supported.'),
                         (error.code, error.message))

    def test_listing_events_is_heats_not_supported(self):
        error = self.assertRaises(exception.NotSupported,
                                  self.driver.list_events, self.ctx, None)
        self.assertEqual(400, error.code)

    def test_presence_proves_nothing(self):
        self.assertEqual(stacks_base.UNKNOWN, self.driver.stack_presence(
            self.ctx, 'stack-id', 'project-a'))

    def test_no_periodic_tasks_and_resource_states_are_not_shown(self):
        self.assertEqual([], self.driver.periodic_tasks())
        self.assertIsNone(self.driver.set_resource_state(
            self.ctx, 'stack-id', 'vol', 'SNAPSHOT', 'COMPLETE'))


class CoveredByTagsTest(base.TestCase):
    """The one rule of a tag policy, whatever the driver."""

    def stack(self, tags=('prod',), state='CREATE_COMPLETE',
              project='project-a', deleted_at=None):
        action, _, status = state.partition('_')
        return stacks_base.Stack(id='s', name='s', project_id=project,
                                 action=action, status=status,
                                 tags=list(tags), deleted_at=deleted_at)

    def covered(self, stack, tags=('prod', 'db')):
        return stacks_base.covered_by_tags(stack, tags, 'project-a')

    def test_a_live_stack_of_the_project_with_one_of_the_tags(self):
        self.assertTrue(self.covered(self.stack()))
        self.assertTrue(self.covered(self.stack(['web', 'db'])))
        for state in ('UPDATE_IN_PROGRESS', 'CREATE_FAILED',
                      'SNAPSHOT_COMPLETE', 'DELETE_FAILED'):
            self.assertTrue(self.covered(self.stack(state=state)), state)

    def test_tags_compare_exactly(self):
        for tags in ([], ['Prod'], ['prod '], ['prod,db'], ['production']):
            self.assertFalse(self.covered(self.stack(tags)), tags)

    def test_deleted_or_being_deleted_is_not_covered(self):
        for stack in (self.stack(state='DELETE_IN_PROGRESS'),
                      self.stack(state='DELETE_COMPLETE'),
                      self.stack(deleted_at='2026-11-30T10:00:00Z')):
            self.assertFalse(self.covered(stack))

    def test_another_project_s_stack_is_not_covered(self):
        self.assertFalse(self.covered(self.stack(project='project-b')))
        self.assertFalse(self.covered(self.stack(project=None)))

    def test_tags_no_stack_can_carry_cover_nothing(self):
        self.assertEqual(['db', 'prod'], stacks_base.storable_tags(
            ['prod', 'db', 'prod', 'a,b', '', 'x' * 81, None]))
        self.assertFalse(self.covered(self.stack(['a,b']), ['a,b']))
        self.assertTrue(self.covered(self.stack(['x' * 80]), ['x' * 80]))


class ShowReadsTest(base.TestCase):
    """The default reads of a snapshot show: the stack, then ours."""

    use_db = True

    class Found(Reader):
        def get_stack(self, context, stack_id, with_resources=True,
                      show_deleted=False):
            if stack_id != 'stack-1':
                raise exception.StackNotFound(stack_id)
            return stacks_base.Stack(id='stack-1', name='one',
                                     project_id='project-a',
                                     action='CREATE', status='COMPLETE')

    def test_the_stack_and_the_snapshot_or_none(self):
        ctx = self.make_context()
        snapshot = db_api.snapshot_create(ctx, {
            'stack_id': 'stack-1', 'stack_name': 'one',
            'project_id': 'project-a', 'action': 'SNAPSHOT',
            'status': 'COMPLETE', 'data': {'x': 1}})
        driver = self.Found(self.conf_fixture.conf)
        stack, row = driver.get_stack_summary_and_snapshot(
            ctx, 'stack-1', snapshot.id)
        self.assertEqual(('one', snapshot.id, 'stack-1', '{"x": 1}'),
                         (stack.name, row.id, row.stack_id, row.data))
        self.assertEqual(('one', None), (
            lambda found: (found[0].name, found[1]))(
            driver.get_stack_summary_and_snapshot(ctx, 'stack-1',
                                                  'not-a-snapshot')))
        self.assertRaises(exception.StackNotFound,
                          driver.get_stack_summary_and_snapshot, ctx,
                          'stack-2', snapshot.id)

    def test_the_stack_and_its_snapshots(self):
        ctx = self.make_context()
        snapshots = [db_api.snapshot_create(ctx, {
            'stack_id': stack_id, 'stack_name': 'one',
            'project_id': 'project-a', 'action': 'SNAPSHOT',
            'status': 'COMPLETE', 'data': {'x': 1}})
            for stack_id in ('stack-1', 'stack-9')]
        driver = self.Found(self.conf_fixture.conf)
        stack, rows = driver.get_stack_summary_and_snapshots(ctx, 'stack-1')
        self.assertEqual(('one', [(snapshots[0].id, '{"x": 1}')]),
                         (stack.name, [(row.id, row.data) for row in rows]))
        self.assertRaises(exception.StackNotFound,
                          driver.get_stack_summary_and_snapshots, ctx,
                          'stack-2')
