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

import collections
import threading
from unittest import mock

import fixtures

from heat_snapshots.common import exception
from heat_snapshots.db import group_commit
from heat_snapshots.engine.stacks import base as stacks_base
from heat_snapshots.engine import walk
from heat_snapshots.localstack import db_api as store_db
from heat_snapshots.localstack import driver as local_driver
from heat_snapshots.localstack import resource_types
from heat_snapshots.tests import base
from heat_snapshots.tests import fake_clock
from heat_snapshots.tests.unit.localstack import base as local_base


# The module whose waits the fake clocks stand in for.
CLOCKED = (resource_types.__name__,)


class MeetingClock(fake_clock.FakeClock):
    """The first wait of each resource meets the others' at a barrier."""

    def __init__(self, parties):
        super().__init__(modules=CLOCKED)
        self.barrier = threading.Barrier(parties, timeout=30)
        self._met = set()

    def sleep(self, seconds):
        thread = threading.get_ident()
        if thread not in self._met:
            self._met.add(thread)
            self.barrier.wait()
        super().sleep(seconds)


# The local stack driver's test base (base.py), under the names used here.
hot = local_base.hot
tres = local_base.tres
DriverTestCase = local_base.DriverTestCase


class CreateTest(DriverTestCase):

    def test_create_stores_everything_as_given(self):
        template = hot({'a': tres(value={'get_param': 'p'})},
                       parameters={'p': {'type': 'string'}},
                       description='my stack')
        environment = {'parameters': {'p': 'from-env'}}
        stack = self.driver.create_stack(
            self.ctx, 'mine', template, {'p': 'from-api'},
            {'f.txt': 'text'}, environment, tags=['x', 'y'])
        self.assertEqual(('CREATE', 'IN_PROGRESS', 'Stack CREATE started'),
                         (stack.action, stack.status, stack.status_reason))
        self.assertEqual(template, stack.template)
        self.assertEqual({'f.txt': 'text'}, stack.files)
        self.assertEqual(
            {'parameters': {'p': 'from-api'}, 'parameter_defaults': {},
             'resource_registry': {'resources': {}}, 'event_sinks': []},
            stack.environment)
        self.assertEqual({'parameters': {'p': 'from-env'}}, environment)
        self.assertEqual(['x', 'y'], stack.tags)
        self.assertEqual('my stack', stack.description)
        self.assertEqual('from-api', stack.parameters['p'])
        self.assertEqual(stack.id, stack.parameters['OS::stack_id'])
        self.assertEqual('mine', stack.parameters['OS::stack_name'])
        self.assertEqual('project-a', stack.parameters['OS::project_id'])
        [resource] = stack.resources
        self.assertEqual(('a', 'OS::Heat::TestResource', 'INIT_COMPLETE'),
                         (resource.name, resource.type,
                          self.status(resource)))
        self.assertIsNone(resource.physical_resource_id)

        self.driver.run_create(self.ctx, stack.id)
        resource = self.resources(stack)['a']
        self.assertEqual('CREATE_COMPLETE', self.status(resource))
        self.assertEqual('state changed', resource.status_reason)
        self.assertEqual({'value': 'from-api'}, resource.data)
        self.assertEqual({'output': 'from-api'}, resource.attributes)
        self.assertEqual(36, len(resource.physical_resource_id))

    def test_a_stored_stack_reads_whole_after_its_limits_are_lowered(self):
        template = hot({'a': tres(value={'get_param': 'p'})},
                       parameters={'p': {'type': 'string'}},
                       description='my stack')
        stack = self.driver.create_stack(self.ctx, 'mine', template,
                                         {'p': 'v'}, {'f.txt': 'text'}, {})
        # Limits the stack was within when it was stored.
        self.flags(max_document_nodes=3, max_files_size=1,
                   group=local_base.TEMPLATES_GROUP)
        read = self.driver.get_stack(self.ctx, stack.id)
        self.assertEqual('my stack', read.description)
        self.assertEqual('v', read.parameters['p'])
        self.assertEqual({'f.txt': 'text'}, read.files)
        # A new template is still held to them.
        self.assertRaises(exception.InvalidTemplate,
                          self.driver.create_stack, self.ctx, 'other',
                          template, {'p': 'v'}, {}, {})

    def test_invalid_template_stores_nothing(self):
        template = hot({'a': {'type': 'OS::Heat::Value',
                              'properties': {'value': {
                                  'get_attr': ['missing', 'value']}}}})
        error = self.assertRaises(exception.InvalidTemplate,
                                  self.driver.create_stack, self.ctx, 's',
                                  template, {}, {}, {})
        self.assertIn('"missing"', str(error))
        self.assertEqual([], self.driver.list_stacks(self.ctx))

    def test_missing_parameter_stores_nothing(self):
        template = hot(parameters={'p': {'type': 'string'}})
        self.assertRaises(exception.InvalidParameter,
                          self.driver.create_stack, self.ctx, 's',
                          template, {}, {}, {})
        self.assertEqual([], self.driver.list_stacks(self.ctx))

    def test_bad_stack_name(self):
        error = self.assertRaises(exception.Invalid,
                                  self.driver.create_stack, self.ctx,
                                  '1-bad', hot(), {}, {}, {})
        self.assertIn('1-bad', str(error))
        self.assertEqual(400, error.code)

    def test_same_name_in_same_project_is_refused(self):
        self.create(hot(), name='dup')
        error = self.assertRaises(exception.StackExists,
                                  self.driver.create_stack, self.ctx,
                                  'dup', hot(), {}, {}, {})
        self.assertEqual(409, error.code)
        other = self.make_context(project_id='project-b')
        self.create(hot(), name='dup', ctx=other)

    def test_resource_starts_after_what_it_requires(self):
        self.create(hot({
            'first': tres(action_wait_secs={'create': 0.1}),
            'second': tres(value={'get_attr': ['first', 'output']}),
            'third': dict(tres(), depends_on='second'),
        }))
        self.assertGreaterEqual(self.event_time('start', 'second'),
                                self.event_time('end', 'first'))
        self.assertGreaterEqual(self.event_time('start', 'third'),
                                self.event_time('end', 'second'))

    def test_independent_resources_run_in_parallel(self):
        # Their waits meet: three at once, or the barrier breaks.
        clock = self.useFixture(MeetingClock(3))
        self.create(hot({
            name: tres(action_wait_secs={'create': 0.2})
            for name in ('a', 'b', 'c')}))
        self.assertFalse(clock.barrier.broken)
        # Every one started before any finished: the events' order as
        # recorded (under a lock), not their wall-clock times, which a
        # loaded machine can make equal.
        order = [event[:2] for event in self.events]
        self.assertLess(max(order.index(('start', n)) for n in 'abc'),
                        min(order.index(('end', n)) for n in 'abc'))

    def test_concurrency_limit_is_honoured(self):
        self.flags(walk_concurrency=1, group='heat_snapshots')
        self.create(hot({name: tres(
            action_wait_secs={'create': 0.05}) for name in ('a', 'b')}))
        first, second = sorted(('a', 'b'),
                               key=lambda n: self.event_time('start', n))
        self.assertGreaterEqual(self.event_time('start', second),
                                self.event_time('end', first))

    def test_a_resource_can_be_held_in_progress(self):
        clock = self.useFixture(fake_clock.HeldClock(modules=CLOCKED))
        stack = self.driver.create_stack(self.ctx, 's', hot({
            'slow': tres(action_wait_secs={'create': 0.3}),
            'after': dict(tres(), depends_on='slow')}),
            {}, {}, {})
        thread = threading.Thread(target=self.driver.run_create,
                                  args=(self.ctx, stack.id))
        thread.start()
        self.addCleanup(thread.join)
        self.addCleanup(clock.released.set)
        # Held in its wait: stored as soon as it exists, in progress.
        self.assertTrue(clock.waiting.wait(10))
        resources = self.resources(stack)
        slow = resources['slow']
        self.assertIsNotNone(slow.physical_resource_id)
        self.assertEqual('CREATE_IN_PROGRESS', self.status(slow))
        self.assertEqual({'value': 'test_string'}, slow.data)
        self.assertEqual('INIT_COMPLETE', self.status(resources['after']))
        clock.released.set()
        thread.join()
        self.assertEqual({'CREATE_COMPLETE'},
                         {self.status(r) for r in
                          self.resources(stack).values()})

    def test_outputs_and_get_attr(self):
        stack = self.create(hot({
            'rand': {'type': 'OS::Heat::RandomString',
                     'properties': {'length': 10}},
            'val': {'type': 'OS::Heat::Value', 'properties': {
                'value': {'str_replace': {
                    'template': 'pw=$PW', 'params': {
                        '$PW': {'get_attr': ['rand', 'value']}}}}}},
        }, outputs={
            'joined': {'value': {'list_join': [
                ':', [{'get_attr': ['val', 'value']},
                      {'get_resource': 'rand'}]]},
                'description': 'both'},
            'plain': {'value': 42},
        }))
        resources = {r.name: r for r in stack.resources}
        value = resources['rand'].data['value']
        self.assertEqual(10, len(value))
        self.assertEqual({'value': 'pw=' + value},
                         resources['val'].attributes)
        self.assertEqual(['rand'], resources['val'].requires)
        self.assertEqual('pw=' + value, resources['val'].properties['value'])
        self.assertEqual(
            [{'output_key': 'joined', 'description': 'both',
              'output_value': 'pw=%s:%s' % (
                  value, resources['rand'].physical_resource_id)},
             {'output_key': 'plain', 'description': 'No description given',
              'output_value': 42}],
            stack.outputs)

    def test_failing_resource_fails_the_walk(self):
        stack = self.driver.create_stack(self.ctx, 's', hot({
            'bad': tres(fail=True),
            'after': dict(tres(), depends_on='bad')}), {}, {}, {})
        error = self.assertRaises(walk.WalkFailed, self.driver.run_create,
                                  self.ctx, stack.id)
        self.assertEqual('bad', error.node)
        self.assertIsInstance(error.cause, exception.ResourceFailure)
        resources = self.resources(stack)
        self.assertEqual('CREATE_FAILED', self.status(resources['bad']))
        self.assertEqual('Test Resource failed bad',
                         resources['bad'].status_reason)
        self.assertEqual('INIT_COMPLETE', self.status(resources['after']))

    def test_fail_on_create(self):
        stack = self.driver.create_stack(self.ctx, 's', hot({
            'bad': tres(fail_on=['create'])}), {}, {}, {})
        self.assertRaises(walk.WalkFailed, self.driver.run_create,
                          self.ctx, stack.id)
        self.assertEqual('CREATE_FAILED',
                         self.status(self.resources(stack)['bad']))


class UpdateTest(DriverTestCase):

    def setUp(self):
        super().setUp()
        self.template = hot({
            'keep': tres(value='k'),
            'change': tres(value='one'),
            'replace': tres(value='r1', update_replace=True),
            'rand': {'type': 'OS::Heat::RandomString',
                     'properties': {'length': {'get_param': 'len'}}},
            'gone': tres(action_wait_secs={'delete': 0.05}),
            'gone_later': dict(tres(), depends_on='gone'),
        }, parameters={'len': {'type': 'number', 'default': 8}},
            outputs={'o': {'value': {'get_attr': ['change', 'output']}}})
        self.stack = self.create(self.template)
        self.before = self.resources(self.stack)

    def new_template(self):
        return hot({
            'keep': tres(value='k'),
            'change': tres(value='two'),
            'replace': tres(value='r2', update_replace=True),
            'rand': {'type': 'OS::Heat::RandomString',
                     'properties': {'length': {'get_param': 'len'}}},
            'added': tres(value={'get_attr': ['change', 'output']}),
        }, parameters={'len': {'type': 'number', 'default': 8}},
            outputs={'o': {'value': {'get_attr': ['added', 'output']}}})

    def test_a_new_metadata_is_stored_with_the_resource(self):
        template = self.new_template()
        template['resources']['change']['metadata'] = {'role': 'db'}
        stack = self.update(self.stack, template, params={'len': 12})
        after = {r.name: r for r in stack.resources}
        self.assertEqual({'role': 'db'}, after['change'].metadata)
        self.assertEqual({'value': 'two'}, after['change'].data)
        self.assertEqual('UPDATE_COMPLETE', self.status(after['change']))

    def test_update_adds_removes_changes_and_keeps(self):
        stack = self.update(self.stack, self.new_template(),
                            params={'len': 12})
        after = {r.name: r for r in stack.resources}
        self.assertEqual({'keep', 'change', 'replace', 'rand', 'added'},
                         set(after))
        # Unchanged: untouched.
        self.assertEqual('CREATE_COMPLETE', self.status(after['keep']))
        self.assertEqual(self.before['keep'].physical_resource_id,
                         after['keep'].physical_resource_id)
        # In place.
        self.assertEqual('UPDATE_COMPLETE', self.status(after['change']))
        self.assertEqual(self.before['change'].physical_resource_id,
                         after['change'].physical_resource_id)
        self.assertEqual({'value': 'two'}, after['change'].data)
        # Replaced.
        self.assertEqual('UPDATE_COMPLETE', self.status(after['replace']))
        self.assertNotEqual(self.before['replace'].physical_resource_id,
                            after['replace'].physical_resource_id)
        # RandomString: length changed, so a new value.
        self.assertEqual(12, len(after['rand'].data['value']))
        self.assertNotEqual(self.before['rand'].physical_resource_id,
                            after['rand'].physical_resource_id)
        # Added.
        self.assertEqual('CREATE_COMPLETE', self.status(after['added']))
        self.assertEqual({'value': 'two'}, after['added'].data)
        self.assertEqual('two', stack.outputs[0]['output_value'])
        # Stored definition is the new one.
        self.assertEqual(self.new_template(), stack.template)
        self.assertEqual({'len': 12}, stack.environment['parameters'])
        # Removed in reverse dependency order.
        self.assertGreaterEqual(
            self.event_time('start', 'gone', 'delete'),
            self.event_time('end', 'gone_later', 'delete'))

    def test_unchanged_random_string_keeps_its_value(self):
        stack = self.update(self.stack, self.new_template())
        after = {r.name: r for r in stack.resources}
        self.assertEqual(self.before['rand'].data, after['rand'].data)
        self.assertEqual('CREATE_COMPLETE', self.status(after['rand']))

    def test_patch_keeps_template_and_merges_params(self):
        stack = self.update(self.stack, None, params={'len': 16},
                            existing=True)
        self.assertEqual(self.template, stack.template)
        after = {r.name: r for r in stack.resources}
        self.assertEqual(16, len(after['rand'].data['value']))
        self.assertEqual(self.before['change'].data, after['change'].data)

    def test_invalid_update_changes_nothing(self):
        bad = hot({'x': {'type': 'OS::Heat::Nothing'}})
        self.assertRaises(exception.InvalidTemplate,
                          self.driver.prepare_update, self.ctx, self.stack,
                          bad, {}, {}, {})
        self.assertEqual(self.template,
                         self.driver.get_stack(self.ctx,
                                               self.stack.id).template)

    def test_failed_update(self):
        template = self.new_template()
        template['resources']['change']['properties']['fail_on'] = [
            'update']
        error = self.assertRaises(walk.WalkFailed, self.update, self.stack,
                                  template)
        self.assertEqual('change', error.node)
        resource = self.resources(self.stack)['change']
        self.assertEqual('UPDATE_FAILED', self.status(resource))
        self.assertEqual('Test Resource failed change',
                         resource.status_reason)


class RestoreTest(DriverTestCase):

    def snapshot_data(self, stack):
        return {r.name: dict(r.data) for r in stack.resources}

    def test_restore_puts_random_string_value_back(self):
        template = hot({'rand': {'type': 'OS::Heat::RandomString',
                                 'properties': {'length': {
                                     'get_param': 'len'}}},
                        'test': tres(value='v1')},
                       parameters={'len': {'type': 'number',
                                           'default': 16}})
        stack = self.create(template)
        data = self.snapshot_data(stack)
        old_value = data['rand']['value']
        grown = self.update(stack, template, params={'len': 20})
        self.assertNotEqual(old_value, self.snapshot_data(grown)['rand'])

        self.driver.restore(self.ctx, stack, stack.template,
                            stack.environment, stack.files, data)
        restored = self.driver.get_stack(self.ctx, stack.id)
        resources = {r.name: r for r in restored.resources}
        self.assertEqual(old_value, resources['rand'].data['value'])
        self.assertEqual(old_value, resources['rand'].attributes['value'])
        self.assertEqual({'RESTORE_COMPLETE'},
                         {self.status(r) for r in resources.values()})
        self.assertEqual(stack.environment, restored.environment)

    def test_restore_puts_test_resource_value_back(self):
        stack = self.create(hot({'t': tres(value='v1')}))
        self.driver.restore(self.ctx, stack, stack.template,
                            stack.environment, stack.files,
                            {'t': {'value': 'recorded'}})
        resource = self.resources(stack)['t']
        self.assertEqual({'value': 'recorded'}, resource.data)
        self.assertEqual({'output': 'recorded'}, resource.attributes)

    def test_restore_recreates_removed_and_removes_added(self):
        template = hot({'a': tres()})
        stack = self.create(template)
        data = self.snapshot_data(stack)
        self.update(stack, hot({'b': tres()}))
        self.driver.restore(self.ctx, stack, template, stack.environment,
                            stack.files, data)
        self.assertEqual(['a'], list(self.resources(stack)))

    def test_restore_waits_and_fails_as_told(self):
        template = hot({'t': tres(
            action_wait_secs={'restore': 0.1}, fail_on=['restore'])})
        stack = self.create(template)
        self.assertEqual([], [e for e in self.events if e[2] == 'restore'])
        clock = self.useFixture(fake_clock.FakeClock(modules=CLOCKED))
        start = clock.monotonic()
        error = self.assertRaises(walk.WalkFailed, self.driver.restore,
                                  self.ctx, stack, template,
                                  stack.environment, stack.files, {})
        self.assertEqual(0.1, round(clock.monotonic() - start, 6))
        self.assertEqual('Test Resource failed t', str(error.cause))
        self.assertEqual('RESTORE_FAILED',
                         self.status(self.resources(stack)['t']))


class InstantStepTest(DriverTestCase):
    """A type whose step takes no time (OS::Heat::None) has its start
    written with its outcome, both events recorded, before the walk when
    its dependencies' steps are instant too; a type that waits
    (TestResource) shows its start before it waits.
    """

    def changes(self):
        """{resource: state changes group-committed for it}."""
        written = collections.Counter()
        real = group_commit.write

        def write(context, function, many=None, item=None):
            if many is local_driver._set_many:
                written[item[1]] += 1
            return real(context, function, many, item)
        self.useFixture(fixtures.MockPatchObject(group_commit, 'write',
                                                 side_effect=write))
        return written

    def shown_events(self, stack, action, name='n'):
        return [(e.resource_name, e.status, e.physical_resource_id)
                for e in self.driver.list_events(
                    self.ctx, stack, filters={'resource_action': action,
                                              'resource_name': name},
                    sort_dir='asc')]

    def written_at_once(self):
        """The paths of each write of steps done before a walk, each once
        (a delete's row going is an item of its own).
        """
        calls = []
        real = local_driver._write_waves

        def write_waves(context, waves):
            calls.append(list(dict.fromkeys(
                path for items in waves
                for _stack, path, _values, _passed in items)))
            return real(context, waves)
        self.useFixture(fixtures.MockPatchObject(
            local_driver, '_write_waves', side_effect=write_waves))
        return calls

    def test_restore_of_an_instant_type_is_written_before_the_walk(self):
        stack = self.create(hot({'n': {'type': 'OS::Heat::None'},
                                 't': tres()}))
        written = self.changes()
        at_once = self.written_at_once()
        self.driver.restore(self.ctx, stack, stack.template,
                            stack.environment, stack.files, {})
        self.assertEqual(0, written['n'])
        self.assertEqual([['n']], at_once)
        # The waiting type's start, written before its wait, then more.
        self.assertGreater(written['t'], 1)
        after = self.resources(stack)
        self.assertEqual({'n': 'RESTORE_COMPLETE', 't': 'RESTORE_COMPLETE'},
                         {name: self.status(r) for name, r in after.items()})
        physical_id = after['n'].physical_resource_id
        self.assertEqual(
            [('n', 'IN_PROGRESS', physical_id),
             ('n', 'COMPLETE', physical_id)],
            self.shown_events(stack, 'RESTORE'))

    def test_create_of_an_instant_type_shows_its_start_then_its_id(self):
        written = self.changes()
        at_once = self.written_at_once()
        stack = self.create(hot({'n': {'type': 'OS::Heat::None'}}))
        self.assertEqual(0, written['n'])
        self.assertEqual([['n']], at_once)
        [resource] = stack.resources
        self.assertEqual('CREATE_COMPLETE', self.status(resource))
        self.assertEqual({'is_placeholder': 'True'}, resource.data)
        # Its start, as Heat shows it, before it had an id.
        self.assertEqual([('n', 'IN_PROGRESS', None),
                          ('n', 'COMPLETE', resource.physical_resource_id)],
                         self.shown_events(stack, 'CREATE'))

    def test_an_instant_step_that_fails_shows_its_start_and_failure(self):
        stack = self.driver.create_stack(
            self.ctx, 'failing', hot({'n': {'type': 'OS::Heat::None'}}), {},
            {}, {})
        with mock.patch.object(resource_types.NoneResource, 'handle_create',
                               side_effect=exception.ResourceFailure(
                                   reason='no room')):
            error = self.assertRaises(walk.WalkFailed,
                                      self.driver.run_create, self.ctx,
                                      stack.id)
        self.assertIn('no room', str(error.cause))
        [resource] = self.resources(stack).values()
        self.assertEqual('CREATE_FAILED', self.status(resource))
        self.assertIn('no room', resource.status_reason)
        self.assertEqual([('n', 'IN_PROGRESS', None),
                          ('n', 'FAILED', None)],
                         self.shown_events(stack, 'CREATE'))

    def chain(self):
        """a <- b <- c, all OS::Heat::None."""
        return hot({'a': {'type': 'OS::Heat::None'},
                    'b': {'type': 'OS::Heat::None', 'depends_on': 'a'},
                    'c': {'type': 'OS::Heat::None', 'depends_on': 'b'}})

    def test_a_chain_of_instant_steps_is_one_write(self):
        stack = self.create(self.chain())
        at_once = self.written_at_once()
        self.driver.restore(self.ctx, stack, stack.template,
                            stack.environment, stack.files, {})
        # Without the steps at once: [], each a write of its own.
        self.assertEqual([['a', 'b', 'c']], at_once)
        self.assertEqual({'a': 'RESTORE_COMPLETE', 'b': 'RESTORE_COMPLETE',
                          'c': 'RESTORE_COMPLETE'},
                         {name: self.status(r) for name, r in
                          self.resources(stack).items()})
        # Each starts after those it depends on are done, as in the walk.
        events = self.driver.list_events(
            self.ctx, stack, filters={'resource_action': 'RESTORE'},
            sort_dir='asc')
        self.assertEqual(
            [('a', 'IN_PROGRESS'), ('a', 'COMPLETE'),
             ('b', 'IN_PROGRESS'), ('b', 'COMPLETE'),
             ('c', 'IN_PROGRESS'), ('c', 'COMPLETE')],
            [(e.resource_name, e.status) for e in events])

    def test_at_once_more_than_a_transaction_holds(self):
        self.useFixture(fixtures.MockPatch(
            'heat_snapshots.localstack.driver.AT_ONCE', 2))
        stack = self.create(self.chain())
        at_once = self.written_at_once()
        self.driver.restore(self.ctx, stack, stack.template,
                            stack.environment, stack.files, {})
        self.assertEqual([['a', 'b'], ['c']], at_once)

    def test_an_instant_step_after_a_waiting_one_is_walked(self):
        stack = self.create(hot({
            't': tres(), 'n': {'type': 'OS::Heat::None', 'depends_on': 't'},
            'm': {'type': 'OS::Heat::None'}}))
        written = self.changes()
        at_once = self.written_at_once()
        self.driver.restore(self.ctx, stack, stack.template,
                            stack.environment, stack.files, {})
        self.assertEqual([['m']], at_once)
        # n waited for t in the walk, a change of its own.
        self.assertEqual(1, written['n'])
        self.assertEqual({'RESTORE_COMPLETE'},
                         {self.status(r) for r in
                          self.resources(stack).values()})

    def test_a_failing_instant_step_ends_the_restore_with_those_before(self):
        stack = self.create(self.chain())
        real = resource_types.NoneResource.restore_data

        def restore_data(rtype, properties, data, saved):
            if rtype.name == 'b':
                raise exception.ResourceFailure(reason='no room')
            return real(rtype, properties, data, saved)
        with mock.patch.object(resource_types.NoneResource, 'restore_data',
                               autospec=True, side_effect=restore_data):
            error = self.assertRaises(
                walk.WalkFailed, self.driver.restore, self.ctx, stack,
                stack.template, stack.environment, stack.files,
                {'a': {}, 'b': {}, 'c': {}})
        self.assertEqual('b', error.node)
        self.assertIn('no room', str(error.cause))
        after = self.resources(stack)
        self.assertEqual({'a': 'RESTORE_COMPLETE', 'b': 'RESTORE_FAILED',
                          'c': 'CREATE_COMPLETE'},
                         {name: self.status(r) for name, r in after.items()})
        self.assertIn('no room', after['b'].status_reason)
        self.assertEqual(['IN_PROGRESS', 'FAILED'],
                         [e[1] for e in self.shown_events(stack, 'RESTORE',
                                                          'b')])

    def test_a_cancelled_restore_writes_no_instant_step(self):
        stack = self.create(self.chain())
        at_once = self.written_at_once()
        self.assertRaises(exception.OperationCancelled, self.driver.restore,
                          self.ctx, stack, stack.template,
                          stack.environment, stack.files, {},
                          cancelled=lambda: True)
        self.assertEqual([], at_once)
        self.assertEqual({'CREATE_COMPLETE'},
                         {self.status(r) for r in
                          self.resources(stack).values()})

    def deleted_events(self, stack):
        deleted = self.driver.get_stack(self.ctx, stack.id)
        return [(e.resource_name, e.status) for e in self.driver.list_events(
            self.ctx, deleted, filters={'resource_action': 'DELETE'},
            sort_dir='asc')]

    def test_a_stack_of_instant_types_is_deleted_in_one_write(self):
        stack = self.create(self.chain())
        written = self.changes()
        at_once = self.written_at_once()
        self.driver.run_delete(self.ctx, stack.id)
        # Without the deletes at once: [], each resource three writes.
        self.assertEqual([['c', 'b', 'a']], at_once)
        self.assertEqual(0, sum(written.values()))
        self.assertEqual({}, self.resources(stack))
        # Each goes after those that depend on it, as in the walk.
        self.assertEqual(
            [('c', 'IN_PROGRESS'), ('c', 'COMPLETE'),
             ('b', 'IN_PROGRESS'), ('b', 'COMPLETE'),
             ('a', 'IN_PROGRESS'), ('a', 'COMPLETE')],
            self.deleted_events(stack))

    def test_an_instant_delete_after_a_waiting_one_is_walked(self):
        stack = self.create(hot({
            'n': {'type': 'OS::Heat::None'}, 't': dict(tres(),
                                                       depends_on='n'),
            'm': {'type': 'OS::Heat::None'}}))
        at_once = self.written_at_once()
        self.driver.run_delete(self.ctx, stack.id)
        # n waited for t's delete, in the walk.
        self.assertEqual([['m']], at_once)
        self.assertGreaterEqual(
            self.deleted_events(stack).index(('n', 'IN_PROGRESS')),
            self.deleted_events(stack).index(('t', 'COMPLETE')))
        self.assertEqual({}, self.resources(stack))

    def test_rows_under_an_instant_type_are_deleted_with_it(self):
        # The rows of a nested stack under a resource whose type now
        # resolves to an instant one (its environment changed): its delete
        # walks them first, as any nested stack's.
        stack = self.create(hot({'n': {'type': 'OS::Heat::None'}}))
        store_db.local_resource_set(self.ctx, stack.id, 'n/x', {
            'type': 'OS::Heat::TestResource', 'action': 'CREATE',
            'status': 'COMPLETE'}, new=True)
        at_once = self.written_at_once()
        self.driver.run_delete(self.ctx, stack.id)
        self.assertEqual([], at_once)
        self.assertEqual([], store_db.local_resource_list(self.ctx,
                                                          stack.id))

    def test_resources_an_update_removes_are_deleted_at_once(self):
        stack = self.create(self.chain())
        at_once = self.written_at_once()
        self.update(stack, hot({'a': {'type': 'OS::Heat::None'}}))
        self.assertEqual([['c', 'b']], at_once)
        self.assertEqual(['a'], list(self.resources(stack)))
        self.assertEqual([('c', 'IN_PROGRESS'), ('c', 'COMPLETE'),
                          ('b', 'IN_PROGRESS'), ('b', 'COMPLETE')],
                         self.deleted_events(stack))


class ResourceChangesTogetherTest(DriverTestCase):
    """The resource changes of walk threads (a create, update or restore)
    committed in one batch leave what each leaves written alone.
    """

    def test_a_batch_of_resource_changes(self):
        stack = self.create(hot({'a': tres(), 'b': tres(), 'c': tres()}))
        before = {r.name: r for r in stack.resources}

        def change(name, values):
            return group_commit._Change(
                self.ctx, lambda context: local_driver._set_one(
                    context, stack.id, name, values),
                local_driver._set_many, (stack.id, name, values, None))

        batch = [change('a', {'action': 'RESTORE', 'status': 'IN_PROGRESS',
                              'status_reason': 'state changed'}),
                 change('b', {'physical_resource_id': 'phys-b',
                              'data': {'x': 1}}),
                 change('c', {'action': 'RESTORE', 'status': 'COMPLETE',
                              'status_reason': 'state changed'})]
        updates = self.statements('UPDATE hs_local_resources')
        group_commit.commit(batch)
        # One UPDATE per shape of change: a's and c's together.
        self.assertEqual(2, len(updates))
        self.assertEqual([True] * 3, [c.outcome() for c in batch])
        after = {r.name: r for r in self.driver.get_stack(
            self.ctx, stack.id).resources}
        self.assertEqual('RESTORE_IN_PROGRESS', self.status(after['a']))
        self.assertEqual('RESTORE_COMPLETE', self.status(after['c']))
        self.assertEqual(('phys-b', {'x': 1}, 'CREATE_COMPLETE'),
                         (after['b'].physical_resource_id,
                          after['b'].data, self.status(after['b'])))
        self.assertEqual(before['a'].physical_resource_id,
                         after['a'].physical_resource_id)
        events = self.driver.list_events(
            self.ctx, stack, filters={'resource_action': 'RESTORE'})
        self.assertEqual({('a', 'IN_PROGRESS'), ('c', 'COMPLETE')},
                         {(e.resource_name, e.status) for e in events})

    def test_a_missing_resource_fails_its_own_change_only(self):
        stack = self.create(hot({'a': tres()}))
        values = {'action': 'RESTORE', 'status': 'COMPLETE',
                  'status_reason': 'state changed'}
        batch = [group_commit._Change(
            self.ctx, lambda context, name=name: local_driver._set_one(
                context, stack.id, name, values),
            local_driver._set_many, (stack.id, name, values, None))
            for name in ('a', 'gone')]
        group_commit.commit(batch)
        # Written alone after the batch failed: the missing one's change
        # says so (its walk raises ResourceNotFound), the other is written.
        self.assertEqual([True, False], [c.outcome() for c in batch])
        [a] = self.driver.get_stack(self.ctx, stack.id).resources
        self.assertEqual('RESTORE_COMPLETE', self.status(a))


class SummaryTest(DriverTestCase):

    def test_the_callers_stack_by_id_with_its_name_and_state(self):
        stack = self.create(hot(), name='summed')
        summary = self.driver.get_stack_summary(self.ctx, stack.id)
        self.assertEqual((stack.id, 'summed', stack.project_id, 'CREATE',
                          'COMPLETE'),
                         (summary.id, summary.name, summary.project_id,
                          summary.action, summary.status))
        other = self.make_context(project_id='project-b')
        for context, stack_id in ((other, stack.id), (self.ctx, 'nope'),
                                  (self.ctx, 'n\x00')):
            self.assertRaises(exception.StackNotFound,
                              self.driver.get_stack_summary, context,
                              stack_id)


class GetTest(DriverTestCase):

    def test_a_stack_and_its_resources_are_read_on_one_connection(self):
        stack = self.create(hot({'first': tres(), 'second': tres()}))
        checkouts = self.checkouts()
        read = self.driver.get_stack(self.ctx, stack.id)
        self.assertEqual(1, len(checkouts))
        self.assertEqual((stack.id, ['first', 'second']),
                         (read.id, sorted(r.name for r in read.resources)))
        other = self.make_context(project_id='project-b')
        self.assertRaises(exception.StackNotFound, self.driver.get_stack,
                          other, stack.id)


class ListTest(DriverTestCase):

    def test_tags_any_lists_the_stacks_with_one_of_the_tags(self):
        tagged = {}
        for name, tags in (('web', ['prod', 'web']), ('db', ['db']),
                           ('dev', ['dev']), ('bare', None)):
            stack = self.driver.create_stack(self.ctx, name, hot(), {}, {},
                                             {}, tags=tags)
            tagged[name] = stack.id
        other = self.make_context(project_id='project-b')
        self.driver.create_stack(other, 'theirs', hot(), {}, {}, {},
                                 tags=['prod'])

        def names(**filters):
            return sorted(s.name for s in self.driver.list_stacks(
                self.ctx, **filters))
        self.assertEqual(['db', 'web'], names(tags_any=['prod', 'db']))
        self.assertEqual(['web'], names(tags_any=['web', 'Prod', 'a,b']))
        self.assertEqual([], names(tags_any=['a,b']))
        self.assertEqual(['db'], names(tags_any=['prod', 'db'], name='db'))
        self.assertEqual(['bare', 'db', 'dev', 'web'], names())


class DeleteTest(DriverTestCase):

    def test_delete_in_reverse_order_then_invisible(self):
        stack = self.create(hot({
            'base': tres(action_wait_secs={'delete': 0.05}),
            'top': dict(tres(action_wait_secs={'delete': 0.05}),
                        depends_on='base')}), name='doomed')
        self.driver.run_delete(self.ctx, stack.id)
        self.assertGreaterEqual(self.event_time('start', 'base', 'delete'),
                                self.event_time('end', 'top', 'delete'))
        self.assertEqual([], self.driver.get_stack(self.ctx,
                                                   stack.id).resources)
        self.driver.set_stack_state(self.ctx, stack.id, 'DELETE',
                                    'COMPLETE',
                                    'Stack DELETE completed successfully')
        for name_or_id in ('doomed', stack.id):
            self.assertRaises(exception.StackNotFound,
                              self.driver.find_stack, self.ctx, name_or_id)
        self.assertRaises(exception.StackNotFound, self.driver.get_stack,
                          self.ctx, stack.id)
        self.assertRaises(exception.StackNotFound,
                          self.driver.get_stack_summary, self.ctx, stack.id)
        deleted = self.driver.get_stack(self.ctx, stack.id,
                                        show_deleted=True)
        self.assertEqual('DELETE_COMPLETE', '%s_%s' % (deleted.action,
                                                       deleted.status))
        self.assertIsNotNone(deleted.deleted_at)
        self.assertEqual([], self.driver.list_stacks(self.ctx))
        # The name is free again.
        self.create(hot(), name='doomed')

    def test_failed_delete_keeps_the_resource(self):
        stack = self.create(hot({'t': tres(fail_on=['delete'])}))
        error = self.assertRaises(walk.WalkFailed, self.driver.run_delete,
                                  self.ctx, stack.id)
        self.assertEqual('Test Resource failed t', str(error.cause))
        resource = self.resources(stack)['t']
        self.assertEqual('DELETE_FAILED', self.status(resource))

    def test_failed_create_can_be_deleted(self):
        stack = self.driver.create_stack(self.ctx, 's', hot({
            't': tres(fail=True),
            'never': dict(tres(), depends_on='t')}), {}, {}, {})
        self.assertRaises(walk.WalkFailed, self.driver.run_create,
                          self.ctx, stack.id)
        self.driver.run_delete(self.ctx, stack.id)
        self.assertEqual({}, self.resources(stack))


class LookupTest(DriverTestCase):

    def setUp(self):
        super().setUp()
        self.stack = self.create(hot({'a': tres()}), name='web')
        self.other = self.make_context(project_id='project-b')

    def test_find_by_id_or_name_without_resources(self):
        for name_or_id in ('web', self.stack.id):
            found = self.driver.find_stack(self.ctx, name_or_id)
            self.assertEqual(self.stack.id, found.id)
            self.assertEqual('web', found.name)
            self.assertIsNone(found.resources)

    def test_other_projects_do_not_see_it(self):
        for name_or_id in ('web', self.stack.id):
            error = self.assertRaises(exception.StackNotFound,
                                      self.driver.find_stack, self.other,
                                      name_or_id)
            self.assertEqual('The Stack (%s) could not be found.'
                             % name_or_id, str(error))
        self.assertRaises(exception.StackNotFound, self.driver.get_stack,
                          self.other, self.stack.id)
        self.assertEqual([], self.driver.list_stacks(self.other))

    def test_admin_finds_any_project_stack_by_id(self):
        admin = self.make_context(project_id='admin-project',
                                  is_admin=True)
        self.assertEqual('web',
                         self.driver.find_stack(admin, self.stack.id).name)
        self.assertEqual(1, len(self.driver.get_stack(
            admin, self.stack.id).resources))
        self.assertRaises(exception.StackNotFound, self.driver.find_stack,
                          admin, 'web')

    def test_list_newest_first_with_limit(self):
        self.create(hot(), name='second')
        self.create(hot(), name='third')
        self.assertEqual(['third', 'second', 'web'],
                         [s.name for s in self.driver.list_stacks(self.ctx)])
        self.assertEqual(['third'], [s.name for s in self.driver.list_stacks(
            self.ctx, limit=1)])
        self.assertEqual(['second'], [s.name for s in self.driver.list_stacks(
            self.ctx, name='second')])

    def test_states(self):
        self.driver.set_stack_state(self.ctx, self.stack.id, 'SNAPSHOT',
                                    'IN_PROGRESS', 'Stack SNAPSHOT started')
        self.driver.set_resource_state(self.ctx, self.stack.id, 'a',
                                       'SNAPSHOT', 'COMPLETE',
                                       'state changed')
        stack = self.driver.get_stack(self.ctx, self.stack.id)
        self.assertTrue(stack.in_progress)
        self.assertEqual('Stack SNAPSHOT started', stack.status_reason)
        self.assertEqual('SNAPSHOT_COMPLETE', self.status(stack.resources[0]))
        self.assertRaises(exception.ResourceNotFound,
                          self.driver.set_resource_state, self.ctx,
                          self.stack.id, 'nope', 'SNAPSHOT', 'COMPLETE')

    def test_states_of_several_resources_at_once(self):
        stack = self.create(hot({'a': tres(value='va'), 'b': tres(),
                                 'c': tres()}), name='three')
        steps = [('SNAPSHOT', 'IN_PROGRESS', 'state changed'),
                 ('SNAPSHOT', 'COMPLETE', 'state changed')]
        self.driver.set_resources_states(self.ctx, stack.id, ['a', 'b'],
                                         steps)
        shown = self.driver.get_stack(self.ctx, stack.id)
        self.assertEqual({'a': 'SNAPSHOT_COMPLETE', 'b': 'SNAPSHOT_COMPLETE',
                          'c': 'CREATE_COMPLETE'},
                         {r.name: self.status(r) for r in shown.resources})
        events = self.driver.list_events(self.ctx, stack,
                                         filters={'resource_action':
                                                  'SNAPSHOT'},
                                         sort_dir='asc')
        for name in ('a', 'b'):
            self.assertEqual(
                ['IN_PROGRESS', 'COMPLETE'],
                [e.status for e in events if e.resource_name == name])
        # Each event shows its own resource as it is.
        [a] = [r for r in shown.resources if r.name == 'a']
        self.assertEqual(
            [('state changed', a.physical_resource_id, a.type,
              a.properties)] * 2,
            [(e.status_reason, e.physical_resource_id, e.resource_type,
              e.properties) for e in events if e.resource_name == 'a'])
        self.assertIsNotNone(a.physical_resource_id)
        self.assertEqual('va', a.properties['value'])
        # One resource unknown: none of them changes, no event is shown.
        error = self.assertRaises(
            exception.ResourceNotFound, self.driver.set_resources_states,
            self.ctx, stack.id, ['c', 'nope'],
            [('SNAPSHOT', 'COMPLETE', 'state changed')])
        self.assertIn('nope', str(error))
        shown = self.driver.get_stack(self.ctx, stack.id)
        self.assertEqual('CREATE_COMPLETE', self.status(
            [r for r in shown.resources if r.name == 'c'][0]))
        self.assertEqual(len(events), len(self.driver.list_events(
            self.ctx, stack, filters={'resource_action': 'SNAPSHOT'})))

    def test_loaded_through_the_entry_point(self):
        loaded = stacks_base.load(base.CONF)
        self.assertIsInstance(loaded, local_driver.LocalStackDriver)
        self.assertIsInstance(loaded, stacks_base.ManagingStackDriver)
