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

"""Snapshots go with their stack and stay within their project."""

from heatclient import exc as heat_exc

from heat_snapshots.tests.functional import base
from heat_snapshots.tests.functional import waiters


class StackDeleteTest:

    def test_deleting_the_stack_deletes_its_snapshots(self):
        stack = self.create_stack(base.none_template(2))
        name = stack.split('/')[0]
        snapshots = [self.snapshot(stack, name='s%d' % n)['id']
                     for n in range(2)]
        self.assertEqual(sorted(snapshots), sorted(self.list_snapshots(stack)))

        self.assertStatus(204, self.caller.delete('/stacks/%s' % stack))
        waiters.wait_for_stack_deleted(self.caller, stack)

        message = 'The Stack (%s) could not be found.' % name
        self.assertError(404, 'EntityNotFound', self.caller.get(
            '/stacks/%s/snapshots' % stack), message)
        for snapshot_id in snapshots:
            item = '/stacks/%s/snapshots/%s' % (stack, snapshot_id)
            self.assertError(404, 'EntityNotFound', self.caller.get(item),
                             message)
            self.assertError(404, 'EntityNotFound',
                             self.caller.post(item + '/restore'), message)
            self.assertError(404, 'EntityNotFound',
                             self.caller.delete(item), message)
        self.assertError(404, 'EntityNotFound', self.caller.get(
            '/stacks/%s' % name), 'The Stack (%s) could not be found.'
            % name)
        self.assertRaises(heat_exc.HTTPNotFound,
                          self.heat.stacks.snapshot_list, name)


class TenantIsolationTest:

    def test_other_project_cannot_reach_snapshots(self):
        stack = self.create_stack(base.none_template())
        name = stack.split('/')[0]
        snapshot = self.snapshot(stack, name='mine')
        other = self.alt_caller()
        self.assertNotEqual(self.caller.project_id, other.project_id)
        owner = self.caller.project_id
        snapshots = '/stacks/%s/snapshots' % stack
        item = '%s/%s' % (snapshots, snapshot['id'])
        attempts = [('GET', '/stacks/%s' % stack, None),
                    ('GET', '/stacks/%s' % name, None),
                    ('GET', snapshots, None),
                    ('POST', snapshots, {'name': 'theirs'}),
                    ('GET', item, None),
                    ('POST', item + '/restore', None),
                    ('DELETE', item, None)]

        # The owner's tenant in the URL: refused before any lookup.
        for method, path, body in attempts:
            self.assertError(403, 'HTTPForbidden', other.request(
                method, path, body=body, tenant=owner),
                'Access was denied to this resource.')

        # Its own tenant in the URL: the stack is not there.
        for method, path, body in attempts:
            self.assertError(404, 'EntityNotFound', other.request(
                method, path, body=body),
                'The Stack (%s) could not be found.' % name)
        self.assertRaises(heat_exc.HTTPNotFound,
                          other.heat.stacks.snapshot_list, name)
        self.assertRaises(heat_exc.HTTPNotFound,
                          other.heat.stacks.snapshot_show, stack,
                          snapshot['id'])
        self.assertEqual([], list(other.heat.stacks.list()))

        # Nothing happened to the owner's snapshot.
        self.assertEqual(snapshot, self.show_snapshot(stack, snapshot['id']))
        self.assertEqual([snapshot['id']], list(self.list_snapshots(stack)))
        self.assertEqual('SNAPSHOT_COMPLETE',
                         self.show_stack(stack)['stack_status'])


base.for_each_deployment(StackDeleteTest, globals())
base.for_each_deployment(TenantIsolationTest, globals())
