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

"""The snapshot, restore and snapshot-delete walks on an in-memory stack
driver: no template engine, no cloud, no waiting.
"""

import json

import fixtures
import sqlalchemy

from heat_snapshots.common import exception
from heat_snapshots.common import states
from heat_snapshots.db import api as db_api
from heat_snapshots.engine import locks
from heat_snapshots.engine.resources import registry
from heat_snapshots.engine import snapshots
from heat_snapshots.tests import base
from heat_snapshots.tests import fake_clock
from heat_snapshots.tests import fake_driver
from heat_snapshots.tests import fake_plugins

T = fake_plugins.TYPE

# A volume and a server needing it, a group of two members (a template
# resource each, holding a volume) and an inline nested stack.
NESTED = {
    'vol': {'type': T, 'properties': {'size': 1}},
    'server': {'type': T, 'requires': ['vol']},
    'group': {'type': fake_driver.RESOURCE_GROUP, 'resources': {
        '0': {'type': 'member.yaml', 'resources': {'disk': {'type': T}}},
        '1': {'type': 'member.yaml', 'resources': {'disk': {'type': T}}}}},
    'db': {'type': 'db.yaml', 'resources': {
        'data': {'type': T, 'properties': {'size': 5}},
        'log': {'type': T, 'requires': ['data']}}},
    'child': {'type': fake_driver.NESTED_STACK, 'resources': {
        'cache': {'type': T}}},
}
NESTED_BACKED_UP = ['child/cache', 'db/data', 'db/log', 'group/0/disk',
                    'group/1/disk', 'server', 'vol']


class WalkTestCase(base.TestCase):
    use_db = True

    def setUp(self):
        super().setUp()
        self.clock = self.useFixture(fake_clock.FakeClock())
        self.plugins = self.useFixture(fake_plugins.Plugins()).recorder
        self.driver = fake_driver.FakeStackDriver(self.conf_fixture.conf)
        self.ctx = self.make_context()

    def add_stack(self, spec, name='web'):
        return self.driver.add_stack(name, spec)

    def new_snapshot(self, stack):
        return db_api.snapshot_create(self.ctx, {
            'name': 'snap', 'stack_id': stack.id, 'stack_name': stack.name,
            'project_id': stack.project_id, 'action': 'CREATE',
            'status': 'IN_PROGRESS', 'engine_id': 'engine-1',
            'data': snapshots.stack_data(stack)})

    def snapshot(self, stack, expected='COMPLETE'):
        """Run a snapshot walk and write its outcome as the manager does.

        :returns: (the snapshot row, the walk's Outcome).
        """
        snap = self.new_snapshot(stack)
        outcome = snapshots.SnapshotWalk(
            self.conf_fixture.conf, self.driver, self.ctx).run(stack.id,
                                                               snap.id)
        self.assertEqual(expected, outcome.status, outcome.reason)
        db_api.snapshot_update(self.ctx, snap.id, {
            'status': outcome.status, 'status_reason': outcome.reason,
            'data': outcome.data})
        return db_api.snapshot_get(self.ctx, snap.id), outcome

    def rows(self, snapshot_id):
        return {r.resource_name: r for r in
                db_api.resource_snapshot_list(self.ctx, snapshot_id)}


def entry(name, type_name='OS::Heat::None'):
    return {'name': name, 'type': type_name, 'resource_id': name + '-id',
            'action': 'SNAPSHOT', 'status': 'COMPLETE', 'metadata': {},
            'resource_data': {}}


class NestResourcesTest(base.TestCase):

    def test_flat_resources_stay_flat(self):
        flat = {'a': entry('a'), 'b': entry('b')}
        self.assertEqual({'a': entry('a'), 'b': entry('b')},
                         snapshots.nest_resources(flat))

    def test_nested_under_their_parent_by_own_name(self):
        flat = {'group': entry('group', 'OS::Heat::ResourceGroup'),
                'group/0': entry('group/0', 'member.yaml'),
                'group/1': entry('group/1'),
                'group/0/vol': entry('group/0/vol', 'OS::Cinder::Volume'),
                'other': entry('other')}
        nested = snapshots.nest_resources(flat)
        self.assertEqual({'group', 'other'}, set(nested))
        members = nested['group']['resources']
        self.assertEqual({'0', '1'}, set(members))
        self.assertEqual('0', members['0']['name'])
        self.assertEqual('group/0-id', members['0']['resource_id'])
        inner = members['0']['resources']
        self.assertEqual({'vol'}, set(inner))
        self.assertEqual('OS::Cinder::Volume', inner['vol']['type'])
        self.assertNotIn('resources', nested['other'])

    def test_path_without_recorded_parent_stays_at_the_top(self):
        flat = {'a/b': entry('a/b'), 'a/b/c': entry('a/b/c')}
        nested = snapshots.nest_resources(flat)
        self.assertEqual({'a/b'}, set(nested))
        self.assertEqual({'c'}, set(nested['a/b']['resources']))


class FlatResourceDataTest(base.TestCase):

    def test_nested_entries_by_path(self):
        self.assertEqual(
            {'g': {}, 'g/0': {'a': 1}, 'g/0/s': {'value': 'x'}, 'n': {}},
            snapshots.flat_resource_data({
                'g': {'resource_data': {}, 'resources': {
                    '0': {'resource_data': {'a': 1}, 'resources': {
                        's': {'resource_data': {'value': 'x'}}}}}},
                'n': {}}))


class SnapshotWalkTest(WalkTestCase):

    def test_dependencies_are_complete_before_their_dependants_start(self):
        stack = self.add_stack({
            'c': {'type': T, 'requires': ['b']},
            'b': {'type': T, 'requires': ['a']},
            'a': {'type': T},
            'free': {'type': T}})
        self.plugins.checks_needed.update(a=3, b=2)
        _, outcome = self.snapshot(stack)
        calls = self.plugins.calls
        for first, then in (('a', 'b'), ('b', 'c')):
            last_check = max(i for i, call in enumerate(calls)
                             if call == ('check_snapshot_complete', first))
            self.assertLess(last_check,
                            calls.index(('handle_snapshot', then)))
        self.assertEqual({'a', 'b', 'c', 'free'},
                         set(outcome.data['resources']))

    def test_independent_resources_run_in_parallel_up_to_the_bound(self):
        self.flags(walk_concurrency=3, group='heat_snapshots')
        self.plugins.together = 3
        stack = self.add_stack({'r%d' % i: {'type': T} for i in range(9)})
        self.snapshot(stack)
        self.assertEqual(3, self.plugins.most_running)
        self.assertEqual(9, len(self.plugins.steps('handle_snapshot')))

    def test_ready_resources_start_in_one_commit_with_one_worker(self):
        # The worker starts every ready resource before their starts are
        # committed: one statement writes the six rows (one per resource
        # before: each start was committed before the next began).
        self.flags(walk_workers=1, group='heat_snapshots')
        stack = self.add_stack({'r%d' % i: {'type': T} for i in range(6)})
        inserts = self.statements('INSERT INTO hs_resource_snapshots')
        snap, outcome = self.snapshot(stack)
        self.assertEqual(1, len(inserts))
        self.assertEqual({'r%d' % i for i in range(6)},
                         set(outcome.data['resources']))
        self.assertEqual({'COMPLETE'}, {
            row.status for row in self.rows(snap.id).values()})

    def _data_only_at_concurrency_one(self):
        """Resources a, b, c of a plugin that makes no artifact, walked
        one at a time.
        """
        self.flags(walk_concurrency=1, group='heat_snapshots')
        self.patch(registry.plugin_class(T), 'makes_artifact', False)
        return self.add_stack({name: {'type': T} for name in 'abc'})

    def test_the_next_resource_starts_while_the_last_ones_end_is_written(
            self):
        # At concurrency 1 each resource starts once the previous one's
        # step is done, not once its end is committed: the three ends are
        # written with one statement (three when each end was committed
        # before the next resource began).
        stack = self._data_only_at_concurrency_one()
        inserts = self.statements('INSERT INTO hs_resource_snapshots')
        snap, _ = self.snapshot(stack)
        self.assertEqual(1, len(inserts))
        self.assertEqual(['a', 'b', 'c'],
                         self.plugins.steps('handle_snapshot'))
        self.assertEqual({'COMPLETE'}, {
            row.status for row in self.rows(snap.id).values()})

    def test_no_resource_starts_after_a_failed_one_ends(self):
        stack = self._data_only_at_concurrency_one()
        self.plugins.failures[('check_snapshot_complete', 'a')] = 'lost'
        snap, outcome = self.snapshot(stack, expected='FAILED')
        self.assertEqual(['a'], self.plugins.steps('handle_snapshot'))
        self.assertEqual({'a': 'FAILED'}, {
            name: row.status for name, row in self.rows(snap.id).items()})

    def test_data_is_heats_abandon_format_with_each_backup(self):
        stack = self.add_stack({'vol': {'type': T},
                                'plain': {'type': 'OS::Heat::None',
                                          'data': {'value': 'kept'}}})
        snap, outcome = self.snapshot(stack)
        self.assertEqual('Stack SNAPSHOT completed successfully',
                         outcome.reason)
        data = outcome.data
        self.assertEqual(('SNAPSHOT', 'COMPLETE', stack.id, 'web'),
                         (data['action'], data['status'], data['id'],
                          data['name']))
        self.assertEqual(stack.template, data['template'])
        self.assertEqual({'name': 'vol', 'type': T,
                          'resource_id': 'phys-vol', 'action': 'SNAPSHOT',
                          'status': 'COMPLETE', 'metadata': {},
                          'resource_data': {
                              'backup_id': 'backup-%s-vol' % snap.id}},
                         data['resources']['vol'])
        # A type without a plugin keeps the resource's own data.
        self.assertEqual({'value': 'kept'},
                         data['resources']['plain']['resource_data'])
        # The stack's resources showed the snapshot's progress.
        shown = [(name, action, status) for _, name, action, status, _ in
                 self.driver.resource_states if name == 'vol']
        self.assertEqual([('vol', 'SNAPSHOT', 'IN_PROGRESS'),
                          ('vol', 'SNAPSHOT', 'COMPLETE')], shown)

    def test_resources_without_artifact_show_their_steps_too(self):
        stack = self.add_stack({'plain': {'type': 'OS::Heat::None',
                                          'data': {'value': 'kept'}},
                                'other': {'type': 'OS::Heat::None',
                                          'requires': ['plain']}})
        snap, outcome = self.snapshot(stack)
        rows = self.rows(snap.id)
        self.assertEqual({'plain': ('COMPLETE', {'value': 'kept'}),
                          'other': ('COMPLETE', {})},
                         {name: (row.status, row.data)
                          for name, row in rows.items()})
        shown = [(name, status) for _, name, _, status, _ in
                 self.driver.resource_states]
        self.assertEqual([('plain', 'IN_PROGRESS'), ('plain', 'COMPLETE'),
                          ('other', 'IN_PROGRESS'), ('other', 'COMPLETE')],
                         shown)

    def test_resources_whose_snapshot_is_their_data_are_written_at_once(
            self):
        self.useFixture(fixtures.MockPatchObject(snapshots, 'AT_ONCE', 3))
        stack = self.add_stack({
            'n0': {'type': 'OS::Heat::None', 'data': {'value': 'kept'}},
            'n1': {'type': 'OS::Heat::None', 'requires': ['n0']},
            'n2': {'type': 'OS::Heat::None', 'requires': ['n1']},
            'n3': {'type': 'OS::Heat::None'},
            'vol': {'type': T, 'requires': ['n2']},
            # After vol, whose snapshot is waited for: a step of the walk.
            'after': {'type': 'OS::Heat::None', 'requires': ['vol']}})
        inserted = []

        def executed(conn, cursor, statement, params, context, many):
            if statement.startswith('INSERT INTO hs_resource_snapshots'):
                inserted.append(len(params) if many else 1)
        engine = db_api.get_engine()
        sqlalchemy.event.listen(engine, 'before_cursor_execute', executed)
        self.addCleanup(sqlalchemy.event.remove, engine,
                        'before_cursor_execute', executed)
        snap, outcome = self.snapshot(stack)
        self.assertEqual({'n0': ('COMPLETE', {'value': 'kept'}),
                          'n1': ('COMPLETE', {}), 'n2': ('COMPLETE', {}),
                          'n3': ('COMPLETE', {}),
                          'vol': ('COMPLETE',
                                  {'backup_id': 'backup-%s-vol' % snap.id}),
                          'after': ('COMPLETE', {})},
                         {name: (row.status, row.data)
                          for name, row in self.rows(snap.id).items()})
        # A chain, which a walk steps one after the other, in one
        # statement (AT_ONCE of them), then the fourth, then vol and after.
        self.assertEqual([3, 1, 1, 1], inserted)
        shown = [(name, status) for _, name, _, status, _ in
                 self.driver.resource_states]
        for first, then in (('n0', 'n1'), ('n1', 'n2'), ('n2', 'vol'),
                            ('vol', 'after')):
            self.assertLess(shown.index((first, 'COMPLETE')),
                            shown.index((then, 'IN_PROGRESS')))
        self.assertEqual(12, len(shown))

    def test_a_cancel_before_the_resources_at_once_writes_none(self):
        stack = self.add_stack({'n%d' % i: {'type': 'OS::Heat::None'}
                                for i in range(3)})
        walker = snapshots.SnapshotWalk(self.conf_fixture.conf, self.driver,
                                        self.ctx)
        walker._cancelled = True
        snap = self.new_snapshot(stack)
        outcome = walker.run(stack.id, snap.id)
        self.assertEqual(('FAILED', states.CANCELLED_REASON),
                         (outcome.status, outcome.reason))
        self.assertEqual({}, self.rows(snap.id))
        self.assertEqual([], self.driver.resource_states)

    def _held(self, stack):
        """A context fenced by the stack's lock, as an operation's is."""
        generation = db_api.stack_lock_acquire(self.ctx, stack.id,
                                               'engine-1', 'SNAPSHOT')
        return generation, locks.fenced_context(
            self.ctx, locks.Fence('engine-1', generation, stack.id, None))

    def _run(self, ctx, stack, snap):
        return snapshots.SnapshotWalk(self.conf_fixture.conf, self.driver,
                                      ctx).run(stack.id, snap.id)

    def test_a_cancel_after_the_last_resource_ended_cancels_the_snapshot(
            self):
        # The 202 of a cancel promises the snapshot ends cancelled, even
        # when every resource was done by then.
        stack = self.add_stack({'a': {'type': T}, 'b': {'type': T}})
        generation, ctx = self._held(stack)
        snap = self.new_snapshot(stack)

        def changed_since(context, before):
            # Called once the walk is over, before its end is decided.
            self.assertTrue(db_api.stack_lock_request_cancel(
                self.ctx, stack.id, 'engine-1', generation))
        self.patch(self.driver, 'changed_since', changed_since)
        outcome = self._run(ctx, stack, snap)
        self.assertEqual(('FAILED', states.CANCELLED_REASON),
                         (outcome.status, outcome.reason))
        self.assertEqual('FAILED', outcome.data['status'])
        self.assertEqual({'a', 'b'}, set(outcome.data['resources']))

    def test_the_end_reads_its_cancel_and_its_resources_on_one_connection(
            self):
        stack = self.add_stack({'a': {'type': T}, 'b': {'type': T}})
        _, ctx = self._held(stack)
        snap = self.new_snapshot(stack)
        reads = []

        def executed(conn, cursor, statement, params, context, many):
            if statement.startswith(('SELECT hs_stack_locks.cancel_requested',
                                     'SELECT hs_resource_snapshots')):
                # The Connection itself, kept: a new one per checkout.
                reads.append((statement.split()[1].split('.')[0], conn))
        engine = db_api.get_engine()
        sqlalchemy.event.listen(engine, 'before_cursor_execute', executed)
        self.addCleanup(sqlalchemy.event.remove, engine,
                        'before_cursor_execute', executed)
        outcome = self._run(ctx, stack, snap)
        self.assertEqual('COMPLETE', outcome.status, outcome.reason)
        (last_cancel, cancel_conn), (rows, rows_conn) = reads[-2:]
        self.assertEqual(('hs_stack_locks', 'hs_resource_snapshots'),
                         (last_cancel, rows))
        self.assertIs(cancel_conn, rows_conn)
        self.assertEqual({'a': 'COMPLETE', 'b': 'COMPLETE'}, {
            name: entry['status']
            for name, entry in outcome.data['resources'].items()})

    def test_a_failing_plugin_fails_the_snapshot_with_heats_reason(self):
        stack = self.add_stack({
            'first': {'type': T},
            'broken': {'type': T, 'requires': ['first']},
            'after': {'type': T, 'requires': ['broken']}})
        self.plugins.failures[('handle_snapshot', 'broken')] = 'disk full'
        snap, outcome = self.snapshot(stack, expected='FAILED')
        self.assertEqual('Resource SNAPSHOT failed: Error: '
                         'resources.broken: disk full', outcome.reason)
        rows = self.rows(snap.id)
        self.assertEqual('COMPLETE', rows['first'].status)
        self.assertEqual({'backup_id': 'backup-%s-first' % snap.id},
                         rows['first'].data)
        self.assertEqual(('FAILED', 'disk full'),
                         (rows['broken'].status,
                          rows['broken'].status_reason))
        # Nothing starts after a failure.
        self.assertNotIn('after', rows)
        self.assertNotIn('after', self.plugins.steps('handle_snapshot'))
        self.assertEqual('FAILED', outcome.data['status'])
        self.assertEqual('FAILED',
                         outcome.data['resources']['broken']['status'])
        broken = self.driver.resource(stack.id, 'broken')
        self.assertEqual(('SNAPSHOT', 'FAILED', 'disk full'),
                         (broken.action, broken.status,
                          broken.status_reason))

    def test_a_failing_check_fails_the_snapshot_and_keeps_the_backup(self):
        stack = self.add_stack({'vol': {'type': T}})
        self.plugins.checks_needed['vol'] = 3
        self.plugins.failures[('check_snapshot_complete', 'vol')] = \
            'backup error'
        snap, outcome = self.snapshot(stack, expected='FAILED')
        self.assertEqual('Resource SNAPSHOT failed: Error: resources.vol: '
                         'backup error', outcome.reason)
        # The backup made before the failure is recorded: a delete finds
        # it.
        self.assertEqual({'backup_id': 'backup-%s-vol' % snap.id},
                         self.rows(snap.id)['vol'].data)

    def test_completion_is_polled_with_backoff_on_the_clock(self):
        self.flags(check_interval=1, check_backoff=2, check_interval_max=8,
                   group='heat_snapshots')
        stack = self.add_stack({'slow': {'type': T}})
        self.plugins.checks_needed['slow'] = 6
        start = self.clock.monotonic()
        self.snapshot(stack)
        self.assertEqual(6, len(self.plugins.steps(
            'check_snapshot_complete')))
        # Five waits between six checks, growing, none over the maximum.
        self.assertEqual(5, len(self.clock.sleeps))
        self.assertEqual(sorted(self.clock.sleeps), self.clock.sleeps)
        self.assertLessEqual(max(self.clock.sleeps), 8)
        self.assertEqual(sum(self.clock.sleeps),
                         self.clock.monotonic() - start)

    def test_a_snapshot_that_never_completes_times_out(self):
        self.flags(action_timeout=600, check_interval_max=30,
                   group='heat_snapshots')
        stack = self.add_stack({'stuck': {'type': T}})
        self.plugins.checks_needed['stuck'] = 10 ** 6
        snap, outcome = self.snapshot(stack, expected='FAILED')
        self.assertEqual('Resource SNAPSHOT failed: Error: resources.stuck: '
                         'Resource stuck SNAPSHOT timed out after 600 '
                         'seconds', outcome.reason)
        self.assertGreaterEqual(sum(self.clock.sleeps), 600)
        self.assertEqual('FAILED', self.rows(snap.id)['stuck'].status)

    def test_nested_resources_are_walked_inside_out(self):
        stack = self.add_stack(NESTED)
        snap, outcome = self.snapshot(stack)
        snapshotted = self.plugins.steps('handle_snapshot')
        self.assertEqual(NESTED_BACKED_UP, sorted(snapshotted))
        # A stack's resources in their order; the whole nested stack
        # before the resource owning it.
        self.assertLess(snapshotted.index('db/data'),
                        snapshotted.index('db/log'))
        self.assertEqual(
            {'vol', 'server', 'group', 'group/0', 'group/1', 'group/0/disk',
             'group/1/disk', 'db', 'db/data', 'db/log', 'child',
             'child/cache'}, set(self.rows(snap.id)))
        order = [name for _, name, action, status, _ in
                 self.driver.resource_states if status == 'COMPLETE']
        for inner, owner in (('group/0/disk', 'group/0'),
                             ('group/0', 'group'), ('db/log', 'db'),
                             ('child/cache', 'child')):
            self.assertLess(order.index(inner), order.index(owner))

    def test_nested_resources_are_inside_their_owner_in_the_data(self):
        stack = self.add_stack(NESTED)
        snap, outcome = self.snapshot(stack)
        resources = outcome.data['resources']
        self.assertEqual({'vol', 'server', 'group', 'db', 'child'},
                         set(resources))
        group = resources['group']
        self.assertEqual(fake_driver.RESOURCE_GROUP, group['type'])
        self.assertEqual({'0', '1'}, set(group['resources']))
        member = group['resources']['0']
        self.assertEqual(('0', 'member.yaml', 'phys-group/0'),
                         (member['name'], member['type'],
                          member['resource_id']))
        disk = member['resources']['disk']
        self.assertEqual({'name': 'disk', 'type': T,
                          'resource_id': 'phys-group/0/disk',
                          'action': 'SNAPSHOT', 'status': 'COMPLETE',
                          'metadata': {},
                          'resource_data': {'backup_id': 'backup-%s-group/0/'
                                                         'disk' % snap.id}},
                         disk)
        self.assertEqual({'data', 'log'}, set(resources['db']['resources']))
        self.assertEqual({'cache'}, set(resources['child']['resources']))

    def test_a_failing_nested_resource_fails_the_snapshot(self):
        stack = self.add_stack(NESTED)
        self.plugins.failures[('handle_snapshot', 'group/1/disk')] = 'gone'
        _, outcome = self.snapshot(stack, expected='FAILED')
        self.assertEqual('Resource SNAPSHOT failed: Error: '
                         'resources.group/1/disk: gone', outcome.reason)
        self.assertNotIn('group', [
            name for _, name, _, status, _ in self.driver.resource_states
            if status == 'COMPLETE'])

    def test_a_stack_that_is_gone_fails_the_snapshot(self):
        stack = self.add_stack({'vol': {'type': T}})
        snap = self.new_snapshot(stack)
        self.driver.purge(stack.id)
        outcome = snapshots.SnapshotWalk(
            self.conf_fixture.conf, self.driver, self.ctx).run(stack.id,
                                                               snap.id)
        self.assertEqual(('FAILED', 'Stack SNAPSHOT failed: The Stack (%s) '
                                    'could not be found.' % stack.id, None),
                         outcome)


class RestoreWalkTest(WalkTestCase):

    def restore(self, stack, snap, expected='COMPLETE'):
        outcome = snapshots.RestoreWalk(
            self.conf_fixture.conf, self.driver, self.ctx).run(stack.id,
                                                               snap.id)
        self.assertEqual(expected, outcome.status, outcome.reason)
        return outcome

    def test_each_plugin_rewrites_its_resource_then_the_stack_updates(self):
        stack = self.add_stack({'vol': {'type': T, 'properties': {
            'size': 1}}, 'server': {'type': T, 'requires': ['vol']}})
        snap, _ = self.snapshot(stack)
        outcome = self.restore(stack, snap)
        self.assertEqual('Stack RESTORE completed successfully',
                         outcome.reason)
        self.assertEqual(['server', 'vol'],
                         sorted(self.plugins.steps('handle_restore')))
        [restore] = self.driver.restores
        definitions = restore['template']['resources']
        self.assertEqual({'type': T, 'properties': {
            'size': 1, 'backup_id': 'backup-%s-vol' % snap.id}},
            definitions['vol'])
        self.assertEqual(['vol'], definitions['server']['depends_on'])
        self.assertEqual({'vol': {'backup_id': 'backup-%s-vol' % snap.id},
                          'server': {'backup_id': 'backup-%s-server'
                                                  % snap.id}},
                         restore['resource_data'])
        # The stack now is what the rewritten template says.
        vol = self.driver.resource(stack.id, 'vol')
        self.assertEqual({'size': 1, 'backup_id': 'backup-%s-vol' % snap.id},
                         vol.properties)
        self.assertEqual('RESTORE', vol.action)
        # The snapshot keeps the template as it was taken.
        self.assertEqual(stack.template,
                         db_api.snapshot_get(self.ctx, snap.id).data[
                             'template'])

    def test_the_template_of_the_snapshot_comes_back(self):
        stack = self.add_stack({'vol': {'type': T}})
        snap, _ = self.snapshot(stack)
        # The stack changed since: a resource more, the volume gone.
        self.driver._update(self.ctx, stack.id, fake_driver.template_of(
            {'added': {'type': T}})[0], {}, {})
        self.restore(stack, snap)
        stored = self.driver.get_stack(self.ctx, stack.id)
        self.assertEqual(['vol'], [r.name for r in stored.resources])

    def test_nested_definitions_of_the_stack_are_rewritten(self):
        stack = self.add_stack(NESTED)
        snap, _ = self.snapshot(stack)
        self.restore(stack, snap)
        # The template resource used once and the inline stack are the
        # stack's own to change; group members share one definition.
        self.assertEqual(['child/cache', 'db/data', 'db/log', 'server',
                          'vol'],
                         sorted(self.plugins.steps('handle_restore')))
        [restore] = self.driver.restores
        db = json.loads(restore['files']['db.yaml'])
        self.assertEqual({'size': 5, 'backup_id': 'backup-%s-db/data'
                          % snap.id},
                         db['resources']['data']['properties'])
        child = restore['template']['resources']['child']['properties'][
            'template']
        self.assertEqual({'backup_id': 'backup-%s-child/cache' % snap.id},
                         child['resources']['cache']['properties'])
        # ... and the restored stack's nested resources show it.
        self.assertEqual('backup-%s-db/data' % snap.id,
                         self.driver.resource(stack.id, 'db/data')
                         .properties['backup_id'])
        self.assertEqual('backup-%s-child/cache' % snap.id,
                         self.driver.resource(stack.id, 'child/cache')
                         .properties['backup_id'])
        self.assertEqual(stack.template['resources']['group'],
                         restore['template']['resources']['group'])

    def test_a_template_resource_used_twice_is_left_to_the_update(self):
        member = {'disk': {'type': T}}
        stack = self.add_stack({
            'a': {'type': 'member.yaml', 'resources': member},
            'b': {'type': 'member.yaml', 'resources': member}})
        snap, _ = self.snapshot(stack)
        self.restore(stack, snap)
        # One file for two resources: rewriting it for one would change
        # the other.
        self.assertEqual([], self.plugins.steps('handle_restore'))
        [restore] = self.driver.restores
        self.assertEqual(stack.files, restore['files'])

    def test_a_failing_update_fails_the_restore_with_its_reason(self):
        stack = self.add_stack({'vol': {'type': T}})
        snap, _ = self.snapshot(stack)
        self.driver.faults['restore'] = exception.ResourceFailure(
            reason='Stack UPDATE_FAILED of web: quota exceeded')
        outcome = self.restore(stack, snap, expected='FAILED')
        self.assertEqual('Stack RESTORE failed: Stack UPDATE_FAILED of '
                         'web: quota exceeded', outcome.reason)

    def test_a_failing_plugin_fails_the_restore_before_any_update(self):
        stack = self.add_stack({'vol': {'type': T}})
        snap, _ = self.snapshot(stack)
        self.plugins.failures[('handle_restore', 'vol')] = 'backup lost'
        outcome = self.restore(stack, snap, expected='FAILED')
        self.assertEqual('Stack RESTORE failed: backup lost',
                         outcome.reason)
        self.assertEqual([], self.driver.restores)


class DeleteWalkTest(WalkTestCase):

    def delete(self, snap, stack, expected='COMPLETE'):
        db_api.snapshot_update(self.ctx, snap.id, {'action': 'DELETE',
                                                   'status': 'IN_PROGRESS'})
        outcome = snapshots.DeleteWalk(
            self.conf_fixture.conf, self.driver, self.ctx).run(snap.id,
                                                               stack)
        self.assertEqual(expected, outcome.status, outcome.reason)
        return outcome

    def test_each_recorded_artifact_is_deleted_then_the_snapshot(self):
        stack = self.add_stack(NESTED)
        snap, _ = self.snapshot(stack)
        self.assertEqual(len(NESTED_BACKED_UP), len(self.plugins.artifacts))
        self.delete(snap, self.driver.get_stack(self.ctx, stack.id))
        self.assertEqual(NESTED_BACKED_UP, sorted(
            self.plugins.steps('handle_delete_snapshot')))
        self.assertEqual({}, self.plugins.artifacts)
        self.assertRaises(exception.SnapshotIdNotFound, db_api.snapshot_get,
                          self.ctx, snap.id)
        self.assertEqual({}, self.rows(snap.id))

    def test_the_artifacts_of_a_stack_that_is_gone_are_deleted(self):
        stack = self.add_stack({'vol': {'type': T}, 'server': {'type': T}})
        snap, _ = self.snapshot(stack)
        self.driver.purge(stack.id)
        self.delete(snap, None)
        self.assertEqual({}, self.plugins.artifacts)

    def test_completion_of_a_delete_is_polled(self):
        stack = self.add_stack({'vol': {'type': T}})
        snap, _ = self.snapshot(stack)
        self.plugins.checks_needed['vol'] = 4
        self.clock.sleeps[:] = []
        self.delete(snap, None)
        self.assertEqual(4, len(self.plugins.steps(
            'check_delete_snapshot_complete')))
        self.assertEqual(3, len(self.clock.sleeps))

    def test_a_failed_delete_keeps_what_is_still_there(self):
        stack = self.add_stack({'vol': {'type': T}, 'server': {'type': T}})
        snap, _ = self.snapshot(stack)
        self.plugins.failures[('handle_delete_snapshot', 'server')] = \
            'backup busy'
        outcome = self.delete(snap, None, expected='FAILED')
        self.assertEqual('Resource DELETE_SNAPSHOT failed: Error: '
                         'resources.server: backup busy', outcome.reason)
        snap = db_api.snapshot_get(self.ctx, snap.id)
        self.assertEqual(('DELETE', 'FAILED', outcome.reason),
                         (snap.action, snap.status, snap.status_reason))
        self.assertEqual(['server'], list(self.rows(snap.id)))
        self.assertEqual({'backup-%s-server' % snap.id: 'server'},
                         self.plugins.artifacts)
