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

"""A stack's life with snapshots: create, snapshot, update, restore,
check what came back, delete.
"""

from tempest.lib import decorators
from tempest.lib import exceptions as lib_exc

from heat_snapshots_tempest_plugin.tests import base

PARAMETERS = {'greeting': {'type': 'string', 'default': 'hello'},
              'length': {'type': 'number', 'default': 16}}
RESOURCES = {
    'greeting': {'type': 'OS::Heat::Value',
                 'properties': {'value': {'get_param': 'greeting'}}},
    'secret': {'type': 'OS::Heat::RandomString',
               'properties': {'length': {'get_param': 'length'}}},
    'marker': {'type': 'OS::Heat::TestResource',
               'properties': {'value': 'kept'}},
    'placeholder': {'type': 'OS::Heat::None'},
}
OUTPUTS = {'greeting': {'value': {'get_attr': ['greeting', 'value']}},
           'secret': {'value': {'get_attr': ['secret', 'value']}},
           'secret_length': {'value': {'get_param': 'length'}}}


def _outputs(stack):
    return {o['output_key']: o.get('output_value')
            for o in stack.get('outputs') or []}


class SnapshotRestoreScenarioTest(base.BaseSnapshotsTest):

    @decorators.attr(type=['scenario'])
    @decorators.idempotent_id('5b6c7d8e-9f01-4a2b-8c3d-4e5f60718201')
    def test_snapshot_update_restore_delete(self):
        original = base.template(RESOURCES, outputs=OUTPUTS,
                                 parameters=PARAMETERS)
        stack = self.create_stack(original, parameters={'greeting': 'hi'})
        created = self.client.show_stack(*stack.ident)['stack']
        self.assertEqual('hi', _outputs(created)['greeting'])
        self.assertEqual(16, len(_outputs(created)['secret']))

        snapshot = self.snapshot(stack, name='before-update')
        self.assertEqual({'greeting', 'secret', 'marker', 'placeholder'},
                         set(snapshot['data']['resources']))

        # An update that changes a value, a length, adds and removes.
        resources = dict(RESOURCES)
        del resources['placeholder']
        resources['added'] = {'type': 'OS::Heat::None'}
        updated = base.template(resources, outputs=OUTPUTS,
                                parameters=PARAMETERS)
        self.client.update_stack(*stack.ident, updated,
                                 parameters={'greeting': 'bye',
                                             'length': 20})
        after_update = self.client.wait_for_stack_status(*stack.ident,
                                                         'UPDATE_COMPLETE')
        self.assertEqual('bye', _outputs(after_update)['greeting'])
        self.assertEqual(20, len(_outputs(after_update)['secret']))
        self.assertEqual(
            set(resources),
            set(self.client.show_template(*stack.ident)['resources']))

        # Restore: the snapshot's template and parameters are back.
        self.client.restore_snapshot(*stack.ident, snapshot['id'])
        restored = self.client.wait_for_stack_status(*stack.ident,
                                                     'RESTORE_COMPLETE')
        outputs = _outputs(restored)
        self.assertEqual('hi', outputs['greeting'])
        self.assertEqual(16, int(outputs['secret_length']))
        # As in Heat: the RandomString whose length changed is replaced
        # again, with the snapshot's length.
        self.assertEqual(16, len(outputs['secret']))
        template = self.client.show_template(*stack.ident)
        self.assertEqual(set(RESOURCES), set(template['resources']))
        self.assertEqual(original['resources'], dict(template['resources']))
        self.assertEqual('hi', restored['parameters']['greeting'])

        # The snapshot outlives the restore; a second snapshot of the
        # restored stack works.
        listed = self.client.list_snapshots(*stack.ident)['snapshots']
        self.assertEqual([(snapshot['id'], 'COMPLETE')],
                         [(s['id'], s['status']) for s in listed])
        again = self.snapshot(stack, name='after-restore')
        self.assertEqual(set(RESOURCES), set(again['data']['resources']))

        # Deleting the stack takes its snapshots along.
        self.client.delete_stack(*stack.ident)
        self.client.wait_for_stack_deleted(*stack.ident)
        self.assertHeatError(
            lib_exc.NotFound, 404, 'EntityNotFound',
            'The Stack (%s) could not be found.' % stack.name,
            self.client.list_snapshots, *stack.ident)
