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

"""Heat's error answers: unknown snapshots and stacks, busy stacks,
in-progress and failed snapshots.
"""

from tempest import config
from tempest.lib.common.utils import data_utils
from tempest.lib import decorators
from tempest.lib import exceptions as lib_exc

from heat_snapshots_tempest_plugin.tests import base

CONF = config.CONF


class SnapshotNotFoundTest(base.BaseSnapshotsTest):

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.stack = cls.create_stack()

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('9a3c1f0e-5d1b-4e67-8c39-2f1b7c0e2a01')
    def test_unknown_snapshot(self):
        unknown = data_utils.rand_uuid()
        message = 'Snapshot with id %s not found' % unknown
        for call in (self.client.show_snapshot,
                     self.client.delete_snapshot,
                     self.client.restore_snapshot):
            self.assertHeatError(lib_exc.NotFound, 404, 'NotFound', message,
                                 call, *self.stack.ident, unknown)

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('9a3c1f0e-5d1b-4e67-8c39-2f1b7c0e2a02')
    def test_deleted_snapshot(self):
        snapshot = self.snapshot(self.stack)
        self.client.delete_snapshot(*self.stack.ident, snapshot['id'])
        self.client.wait_for_snapshot_deleted(*self.stack.ident,
                                              snapshot['id'])
        self.assertHeatError(
            lib_exc.NotFound, 404, 'NotFound',
            'Snapshot with id %s not found' % snapshot['id'],
            self.client.delete_snapshot, *self.stack.ident, snapshot['id'])

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('9a3c1f0e-5d1b-4e67-8c39-2f1b7c0e2a03')
    def test_snapshot_of_another_stack(self):
        other = self.create_stack()
        snapshot = self.snapshot(other)
        self.assertHeatError(
            lib_exc.NotFound, 404, 'SnapshotNotFound',
            'The Snapshot (%s) for Stack (%s) could not be found.'
            % (snapshot['id'], self.stack.name),
            self.client.show_snapshot, *self.stack.ident, snapshot['id'])

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('9a3c1f0e-5d1b-4e67-8c39-2f1b7c0e2a04')
    def test_unknown_stack(self):
        name = data_utils.rand_name('hs-tempest-missing')
        stack_id = data_utils.rand_uuid()
        message = 'The Stack (%s) could not be found.' % name
        self.assertHeatError(lib_exc.NotFound, 404, 'EntityNotFound',
                             message, self.client.list_snapshots,
                             name, stack_id)
        self.assertHeatError(lib_exc.NotFound, 404, 'EntityNotFound',
                             message, self.client.create_snapshot,
                             name, stack_id, name='x')
        # A known stack's name with another id is not that stack.
        self.assertHeatError(
            lib_exc.NotFound, 404, 'EntityNotFound',
            'The Stack (%s) could not be found.' % self.stack.name,
            self.client.list_snapshots, self.stack.name, stack_id)


class BusyStackTest(base.BaseSnapshotsTest):

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('9a3c1f0e-5d1b-4e67-8c39-2f1b7c0e2a05')
    def test_snapshot_of_a_stack_being_created(self):
        wait = CONF.heat_snapshots.snapshot_wait_secs
        stack = self.create_stack(base.template({
            'slow': {'type': 'OS::Heat::TestResource',
                     'properties': {'action_wait_secs': {'create': wait}}}}),
            wait=False)
        self.assertHeatError(
            lib_exc.Conflict, 409, 'ActionInProgress',
            'Stack %s already has an action (CREATE) in progress.'
            % stack.name,
            self.client.create_snapshot, *stack.ident, name='early')
        self.client.wait_for_stack_status(*stack.ident, 'CREATE_COMPLETE')
        self.assertEqual([], self.client.list_snapshots(
            *stack.ident)['snapshots'])

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('9a3c1f0e-5d1b-4e67-8c39-2f1b7c0e2a06')
    def test_in_progress_snapshot(self):
        self.skip_without_local_store()
        stack = self.create_stack(base.template({
            'slow': {'type': 'OS::Heat::TestResource',
                     'properties': {'action_wait_secs': {
                         'snapshot': CONF.heat_snapshots.snapshot_wait_secs
                     }}},
            'none': {'type': 'OS::Heat::None'}}))
        snapshot = self.snapshot(stack, name='slow', wait=False)
        self.assertHeatError(
            lib_exc.Conflict, 409, 'ActionInProgress',
            'Stack %s already has an action (SNAPSHOT) in progress.'
            % stack.name,
            self.client.create_snapshot, *stack.ident, name='second')
        self.assertHeatError(
            lib_exc.BadRequest, 400, 'NotSupported',
            'Deleting in-progress snapshot is not supported.',
            self.client.delete_snapshot, *stack.ident, snapshot['id'])
        self.assertHeatError(
            lib_exc.BadRequest, 400, 'NotSupported',
            'Restoring incomplete snapshot is not supported.',
            self.client.restore_snapshot, *stack.ident, snapshot['id'])
        # Reading works meanwhile, and the refusals changed nothing.
        shown = self.client.show_snapshot(*stack.ident, snapshot['id'])[
            'snapshot']
        self.assertEqual(('CREATE', 'IN_PROGRESS'),
                         (shown['action'], shown['status']))
        self.assertEqual('SNAPSHOT_IN_PROGRESS', self.client.show_stack(
            *stack.ident)['stack']['stack_status'])
        self.assertEqual([snapshot['id']], [s['id'] for s in (
            self.client.list_snapshots(*stack.ident)['snapshots'])])
        # Once done, it restores and deletes.
        self.client.wait_for_snapshot_status(*stack.ident, snapshot['id'],
                                             'COMPLETE')
        self.client.restore_snapshot(*stack.ident, snapshot['id'])
        self.client.wait_for_stack_status(*stack.ident, 'RESTORE_COMPLETE')
        self.client.delete_snapshot(*stack.ident, snapshot['id'])
        self.client.wait_for_snapshot_deleted(*stack.ident, snapshot['id'])

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('9a3c1f0e-5d1b-4e67-8c39-2f1b7c0e2a07')
    def test_failed_snapshot_does_not_restore(self):
        self.skip_without_local_store()
        stack = self.create_stack(base.template({
            'broken': {'type': 'OS::Heat::TestResource',
                       'properties': {'fail_on': ['snapshot']}},
            'none': {'type': 'OS::Heat::None'}}))
        snapshot = self.snapshot(stack, name='doomed', wait=False)
        self.assertRaises(lib_exc.TempestException,
                          self.client.wait_for_snapshot_status,
                          *stack.ident, snapshot['id'], 'COMPLETE')
        failed = self.client.show_snapshot(*stack.ident, snapshot['id'])[
            'snapshot']
        self.assertEqual(('CREATE', 'FAILED'),
                         (failed['action'], failed['status']))
        self.assertHeatError(
            lib_exc.BadRequest, 400, 'NotSupported',
            'Restoring incomplete snapshot is not supported.',
            self.client.restore_snapshot, *stack.ident, snapshot['id'])
        # A failed snapshot deletes.
        self.client.delete_snapshot(*stack.ident, snapshot['id'])
        self.client.wait_for_snapshot_deleted(*stack.ident, snapshot['id'])
