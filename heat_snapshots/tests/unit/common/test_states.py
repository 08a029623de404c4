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

from heat_snapshots.common import exception
from heat_snapshots.common import states
from heat_snapshots.tests import base

CREATING = (states.CREATE, states.IN_PROGRESS)
CREATED = (states.CREATE, states.COMPLETE)
CREATE_FAILED = (states.CREATE, states.FAILED)
DELETING = (states.DELETE, states.IN_PROGRESS)
DELETE_FAILED = (states.DELETE, states.FAILED)


class SnapshotMachineTest(base.TestCase):
    machine = states.SNAPSHOT_MACHINE

    def test_a_snapshot_is_created_then_ends(self):
        self.machine.check(None, CREATING)
        self.machine.check(CREATING, CREATED)
        self.machine.check(CREATING, CREATE_FAILED)

    def test_a_snapshot_being_created_cannot_be_claimed_for_delete(self):
        # Heat: "Deleting in-progress snapshot is not supported."
        error = self.assertRaises(exception.InvalidStateTransition,
                                  self.machine.check, CREATING, DELETING)
        self.assertEqual('Invalid snapshot state transition from '
                         'CREATE_IN_PROGRESS to DELETE_IN_PROGRESS',
                         error.message)

    def test_ended_snapshots_may_be_deleted_and_deletes_resumed(self):
        for source in (CREATED, CREATE_FAILED, DELETE_FAILED, DELETING):
            self.assertTrue(self.machine.allows(source, DELETING), source)
        self.machine.check(DELETING, None)
        self.machine.check(DELETING, DELETE_FAILED)

    def test_a_delete_never_goes_back_to_a_usable_snapshot(self):
        for target in (CREATED, CREATE_FAILED, CREATING):
            self.assertFalse(self.machine.allows(DELETING, target))
            self.assertFalse(self.machine.allows(DELETE_FAILED, target))

    def test_only_a_snapshot_being_created_completes(self):
        self.assertEqual(frozenset([CREATING]), self.machine.sources(CREATED))

    def test_a_row_is_removed_only_by_its_delete(self):
        self.assertEqual(frozenset([DELETING]), self.machine.sources(None))


class ResourceSnapshotMachineTest(base.TestCase):
    machine = states.RESOURCE_SNAPSHOT_MACHINE

    def test_a_resource_row_ends_once(self):
        started = (states.SNAPSHOT, states.IN_PROGRESS)
        self.machine.check(None, started)
        self.machine.check(started, (states.SNAPSHOT, states.COMPLETE))
        self.assertFalse(self.machine.allows(
            (states.SNAPSHOT, states.COMPLETE),
            (states.SNAPSHOT, states.FAILED)))


class StackTest(base.TestCase):

    def test_an_operation_starts_on_a_stack_whose_last_action_ended(self):
        for current in ((states.CREATE, states.COMPLETE),
                        (states.UPDATE, states.FAILED),
                        ('CHECK', states.COMPLETE),
                        ('SUSPEND', states.COMPLETE)):
            states.check_stack_start(current, states.SNAPSHOT)

    def test_no_operation_starts_on_a_busy_stack_but_a_delete(self):
        busy = (states.UPDATE, states.IN_PROGRESS)
        self.assertRaises(exception.InvalidStateTransition,
                          states.check_stack_start, busy, states.SNAPSHOT)
        self.assertRaises(exception.InvalidStateTransition,
                          states.check_stack_start, busy, states.RESTORE)
        states.check_stack_start(busy, states.DELETE)

    def test_a_resumed_operation_shows_its_own_state_again(self):
        states.check_stack_start((states.CREATE, states.IN_PROGRESS),
                                 states.CREATE)

    def test_an_operation_ends_complete_or_failed(self):
        states.check_stack_end(states.RESTORE, states.COMPLETE)
        states.check_stack_end(states.SNAPSHOT, states.FAILED)
        self.assertRaises(exception.InvalidStateTransition,
                          states.check_stack_end, states.SNAPSHOT,
                          states.IN_PROGRESS)
        self.assertRaises(exception.InvalidStateTransition,
                          states.check_stack_end, 'CHECK', states.COMPLETE)

    def test_heats_status_strings(self):
        self.assertEqual('SNAPSHOT_COMPLETE',
                         states.stack_status(states.SNAPSHOT,
                                             states.COMPLETE))
        self.assertEqual(('CREATE', 'IN_PROGRESS'),
                         states.split_stack_status('CREATE_IN_PROGRESS'))
        self.assertEqual(('INIT', 'COMPLETE'),
                         states.split_stack_status(None))
