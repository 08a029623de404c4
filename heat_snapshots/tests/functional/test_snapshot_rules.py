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

"""Heat's rules: busy stacks, in-progress snapshots, limits, failures."""

from heat_snapshots.tests.functional import base
from heat_snapshots.tests.functional import config
from heat_snapshots.tests.functional import waiters

# How long the snapshot of the busy stack holds it: long enough for three
# requests on a loaded machine, short enough to keep the run quick.
SNAPSHOT_WAIT_SECS = 12


class SnapshotRulesTest:

    def test_busy_stack_and_in_progress_snapshot(self):
        stack = self.create_stack(base.template({
            'slow': {'type': 'OS::Heat::TestResource',
                     'properties': {'action_wait_secs': {
                         'snapshot': SNAPSHOT_WAIT_SECS}}},
            'none': {'type': 'OS::Heat::None'}}))
        name = stack.split('/')[0]
        snapshot = self.snapshot(stack, name='slow', wait=False)
        path = '/stacks/%s/snapshots' % stack
        item = '%s/%s' % (path, snapshot['id'])

        self.assertError(
            409, 'ActionInProgress',
            self.caller.post(path, {'name': 'second'}),
            'Stack %s already has an action (SNAPSHOT) in progress.' % name)
        self.assertError(
            400, 'NotSupported', self.caller.delete(item),
            'Deleting in-progress snapshot is not supported.')
        self.assertError(
            400, 'NotSupported', self.caller.post(item + '/restore'),
            'Restoring incomplete snapshot is not supported.')
        # Reading works meanwhile, and the refusals changed nothing.
        self.assertEqual(('CREATE', 'IN_PROGRESS'), (
            self.show_snapshot(stack, snapshot['id'])['action'],
            self.show_snapshot(stack, snapshot['id'])['status']))
        self.assertEqual('SNAPSHOT_IN_PROGRESS',
                         self.show_stack(stack)['stack_status'])
        self.assertEqual([snapshot['id']], list(self.list_snapshots(stack)))

        # Once it is done, restore and delete are allowed.
        waiters.wait_for_snapshot_status(self.caller, stack, snapshot['id'],
                                         'COMPLETE')
        self.restore(stack, snapshot['id'])
        self.assertStatus(204, self.caller.delete(item))
        waiters.wait_for_snapshot_deleted(self.caller, stack,
                                          snapshot['id'])

    def test_snapshot_limit_per_stack_admin_exempt(self):
        limit = config.max_snapshots()
        if limit is None or limit < 0:
            self.skipTest('HS_FUNCTIONAL_MAX_SNAPSHOTS (the service\'s '
                          'max_snapshots_per_stack) is not set')
        stack = self.create_stack(base.none_template())
        for number in range(limit):
            self.snapshot(stack, name='s%d' % number)
        self.assertError(
            400, 'RequestLimitExceeded',
            self.caller.post('/stacks/%s/snapshots' % stack, {'name': 'x'}),
            'You have reached the maximum snapshots per stack, %d. Please '
            'delete some snapshots.' % limit)
        self.assertEqual(limit, len(self.list_snapshots(stack)))

        # An admin is not held by the limit, as in Heat.
        admin = self.admin_caller()
        over = self.snapshot(stack, name='admin', caller=admin,
                             tenant=self.caller.project_id)
        self.assertEqual('COMPLETE', over['status'])
        self.assertEqual(limit + 1, len(self.list_snapshots(stack)))

    def test_failing_resource_fails_the_snapshot(self):
        stack = self.create_stack(base.template({
            'broken': {'type': 'OS::Heat::TestResource',
                       'properties': {'fail_on': ['snapshot']}},
            'none': {'type': 'OS::Heat::None'}}))
        snapshot = self.snapshot(stack, name='doomed', wait=False)
        failed = waiters.wait_for_snapshot_status(
            self.caller, stack, snapshot['id'], 'FAILED')
        self.assertEqual('CREATE', failed['action'])
        self.assertIn('broken', failed['status_reason'])
        self.assertIn('SNAPSHOT', failed['status_reason'])
        shown = waiters.wait_for_stack_status(self.caller, stack,
                                              'SNAPSHOT_FAILED')
        self.assertIn('broken', shown['stack_status_reason'])
        resource = self.resources(stack)['broken']
        self.assertEqual('SNAPSHOT_FAILED', resource.resource_status)

        # A failed snapshot does not restore, but deletes.
        self.assertError(
            400, 'NotSupported',
            self.caller.post('/stacks/%s/snapshots/%s/restore'
                             % (stack, snapshot['id'])),
            'Restoring incomplete snapshot is not supported.')
        self.assertStatus(204, self.caller.delete(
            '/stacks/%s/snapshots/%s' % (stack, snapshot['id'])))
        waiters.wait_for_snapshot_deleted(self.caller, stack,
                                          snapshot['id'])


base.for_each_deployment(SnapshotRulesTest, globals())
