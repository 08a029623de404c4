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

"""Snapshot, change, restore: what a user sees of the whole cycle."""

import concurrent.futures

from heatclient import exc as heat_exc

from heat_snapshots.tests.functional import base
from heat_snapshots.tests.functional import waiters

RESOURCES = ('random', 'value', 'test', 'none')


def lifecycle_template(value='one', extra=False):
    """A stack of each built-in type; ``length`` is the string's length."""
    resources = {
        'random': {'type': 'OS::Heat::RandomString',
                   'properties': {'length': {'get_param': 'length'}}},
        'value': {'type': 'OS::Heat::Value',
                  'properties': {'value': value}},
        'test': {'type': 'OS::Heat::TestResource',
                 'properties': {'value': {'get_attr': ['random', 'value']}}},
        'none': {'type': 'OS::Heat::None'},
    }
    if extra:
        resources['extra'] = {'type': 'OS::Heat::None'}
    return base.template(
        resources,
        parameters={'length': {'type': 'number', 'default': 16}},
        outputs={
            'random': {'value': {'get_attr': ['random', 'value']}},
            'value': {'value': {'get_attr': ['value', 'value']}},
            'test': {'value': {'get_attr': ['test', 'output']}},
        })


class LifecycleTest:

    def assertSnapshotComplete(self, snapshot, resources=RESOURCES):
        self.assertEqual(('CREATE', 'COMPLETE'),
                         (snapshot['action'], snapshot['status']))
        self.assertEqual('Stack SNAPSHOT completed successfully',
                         snapshot['status_reason'])
        data = snapshot['data']
        self.assertEqual(('SNAPSHOT', 'COMPLETE'),
                         (data['action'], data['status']))
        self.assertEqual(sorted(resources), sorted(data['resources']))
        for name, resource in data['resources'].items():
            self.assertEqual(('SNAPSHOT', 'COMPLETE'),
                             (resource['action'], resource['status']), name)

    def test_full_lifecycle(self):
        original = lifecycle_template('one')
        stack = self.create_stack(original)
        before = self.outputs(stack)
        self.assertEqual('one', before['value'])
        self.assertEqual(16, len(before['random']))
        self.assertEqual(before['random'], before['test'])

        snapshot = self.snapshot(stack, name='before-update')
        self.assertSnapshotComplete(snapshot)
        self.assertEqual('before-update', snapshot['name'])
        self.assertEqual(original, snapshot['data']['template'])
        self.assertEqual(
            before['random'],
            snapshot['data']['resources']['random']['resource_data']
            ['value'])
        self.assertIn(snapshot['id'], self.list_snapshots(stack))

        # A new value, a new resource and a longer (so new) random string.
        self.update_stack(stack, lifecycle_template('two', extra=True),
                          parameters={'length': 20})
        updated = self.outputs(stack)
        self.assertEqual('two', updated['value'])
        self.assertEqual(20, len(updated['random']))
        self.assertNotEqual(before['random'], updated['random'])
        self.assertIn('extra', self.resources(stack))

        restored = self.restore(stack, snapshot['id'])
        self.assertEqual('Stack RESTORE completed successfully',
                         restored['stack_status_reason'])
        self.assertEqual(original, self.heat.stacks.template(stack))
        self.assertEqual(sorted(RESOURCES), sorted(self.resources(stack)))
        # The string of the snapshot, not a third one.
        self.assertEqual(before, self.outputs(stack))
        # Restoring leaves the snapshot as it was.
        self.assertEqual(snapshot, self.show_snapshot(stack, snapshot['id']))

        response = self.caller.delete('/stacks/%s/snapshots/%s'
                                      % (stack, snapshot['id']))
        self.assertStatus(204, response)
        self.assertEqual(b'', response.content)
        waiters.wait_for_snapshot_deleted(self.caller, stack,
                                          snapshot['id'])
        self.assertError(404, 'NotFound', self.caller.get(
            '/stacks/%s/snapshots/%s' % (stack, snapshot['id'])),
            'Snapshot with id %s not found' % snapshot['id'])
        self.assertEqual({}, self.list_snapshots(stack))
        # The stack itself is untouched by the delete.
        self.assertEqual(before, self.outputs(stack))

    def test_restore_an_older_snapshot(self):
        first = self.create_stack(lifecycle_template('one'))
        stack = first
        snapshots = {}
        outputs = {}
        for number, value in enumerate(('one', 'two', 'three')):
            if number:
                self.update_stack(stack, lifecycle_template(
                    value, extra=number == 2), parameters={
                        'length': 16 + number})
            outputs[value] = self.outputs(stack)
            snapshots[value] = self.snapshot(stack, name=value)
        self.assertEqual(
            sorted(s['id'] for s in snapshots.values()),
            sorted(self.list_snapshots(stack)))

        self.restore(stack, snapshots['one']['id'])
        self.assertEqual(lifecycle_template('one'),
                         self.heat.stacks.template(stack))
        self.assertEqual(outputs['one'], self.outputs(stack))
        self.assertNotIn('extra', self.resources(stack))

        # The newer snapshots are still there and still restore.
        listed = self.list_snapshots(stack)
        self.assertEqual(3, len(listed))
        for snapshot in listed.values():
            self.assertEqual('COMPLETE', snapshot['status'])
        self.restore(stack, snapshots['three']['id'])
        self.assertEqual(outputs['three'], self.outputs(stack))
        self.assertIn('extra', self.resources(stack))
        self.restore(stack, snapshots['two']['id'])
        self.assertEqual(outputs['two'], self.outputs(stack))

    def test_concurrent_snapshots_of_different_stacks(self):
        count = 4
        with concurrent.futures.ThreadPoolExecutor(count) as pool:
            stacks = list(pool.map(
                lambda n: self.create_stack(lifecycle_template('v%d' % n)),
                range(count)))
            snapshots = list(pool.map(
                lambda stack: self.snapshot(stack, name='parallel'),
                stacks))
        self.assertEqual(count, len({s['id'] for s in snapshots}))
        for stack, snapshot in zip(stacks, snapshots):
            self.assertSnapshotComplete(snapshot)
            self.assertEqual(stack.split('/')[1], snapshot['data']['id'])
            self.assertEqual(
                self.outputs(stack)['random'],
                snapshot['data']['resources']['random']['resource_data']
                ['value'])
            self.assertEqual('SNAPSHOT_COMPLETE',
                             self.show_stack(stack)['stack_status'])

    def test_heatclient_by_stack_name(self):
        stack = self.create_stack(lifecycle_template('one'))
        name = stack.split('/')[0]
        hc = self.heat
        before = self.outputs(stack)

        created = hc.stacks.snapshot(name, 'snap')
        self.assertEqual('snap', created['name'])
        snapshot_id = created['id']
        self.addCleanup(self.delete_snapshot, stack, snapshot_id)

        def complete():
            shown = hc.stacks.snapshot_show(name, snapshot_id)['snapshot']
            return shown['status'] == 'COMPLETE', shown['status']
        waiters.wait_for(complete, 'snapshot %s COMPLETE' % snapshot_id)
        listed = hc.stacks.snapshot_list(name)['snapshots']
        self.assertEqual([snapshot_id], [s['id'] for s in listed])

        self.update_stack(stack, lifecycle_template('two', extra=True))
        hc.stacks.restore(name, snapshot_id)

        def restored():
            status = hc.stacks.get(name).stack_status
            if status == 'RESTORE_FAILED':
                raise waiters.UnexpectedStatus(status)
            return status == 'RESTORE_COMPLETE', status
        waiters.wait_for(restored, 'stack %s RESTORE_COMPLETE' % name)
        self.assertEqual(before, self.outputs(stack))

        hc.stacks.snapshot_delete(name, snapshot_id)

        def deleted():
            try:
                shown = hc.stacks.snapshot_show(name, snapshot_id)
            except heat_exc.HTTPNotFound:
                return True, None
            return False, shown['snapshot']['status']
        waiters.wait_for(deleted, 'snapshot %s deleted' % snapshot_id)
        self.assertEqual([], hc.stacks.snapshot_list(name)['snapshots'])


base.for_each_deployment(LifecycleTest, globals())
