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

"""Preview a restore, then restore or clone (a stack's snapshot, or one
kept after its stack): heat-snapshots' own paths, through
heat-snapshots-all's HTTP API as a user sends them.
"""

from heat_snapshots.tests.functional import base
from heat_snapshots.tests.functional import waiters


def plan_template(word='one', marker='a', gone=True, extra=False,
                  count=2):
    """A stack whose change after a snapshot makes a restore update,
    replace, add, delete and keep a resource, and shrink a group.
    """
    resources = {
        'keep': {'type': 'OS::Heat::None'},
        'value': {'type': 'OS::Heat::Value', 'properties': {'value': word}},
        'test': {'type': 'OS::Heat::TestResource',
                 'properties': {'value': 'kept',
                                'update_replace_value': marker}},
        'group': {'type': 'OS::Heat::ResourceGroup',
                  'properties': {'count': count, 'resource_def': {
                      'type': 'OS::Heat::RandomString'}}},
    }
    if gone:
        resources['gone'] = {'type': 'OS::Heat::None'}
    if extra:
        resources['extra'] = {'type': 'OS::Heat::None'}
    return base.template(
        resources,
        parameters={'word': {'type': 'string', 'default': 'unused'}},
        outputs={'value': {'value': {'get_attr': ['value', 'value']}}})


# A stack whose values a clone must take from the snapshot: a random
# string, and a TestResource (an artifact per snapshot) showing it.
KEPT_TEMPLATE = base.template(
    {'random': {'type': 'OS::Heat::RandomString',
                'properties': {'length': {'get_param': 'length'}}},
     'test': {'type': 'OS::Heat::TestResource',
              'properties': {'value': {'get_attr': ['random', 'value']}}}},
    parameters={'length': {'type': 'number', 'default': 8}},
    outputs={'random': {'value': {'get_attr': ['random', 'value']}},
             'test': {'value': {'get_attr': ['test', 'output']}}})


def _lists(preview):
    return {key: sorted((e.get('parent_resource') or '') + '/' +
                        e['resource_name'] if e.get('parent_resource')
                        else e['resource_name'] for e in entries)
            for key, entries in preview['resource_changes'].items()}


class RestorePlanTest:

    def _physical(self, stack):
        found = {}
        for resource in self.caller.heat.resources.list(stack,
                                                        nested_depth=1):
            name = resource.resource_name
            parent = getattr(resource, 'parent_resource', None)
            if parent:
                name = '%s/%s' % (parent, name)
            found[name] = resource.physical_resource_id
        return found

    def preview(self, stack, snapshot_id, status=200):
        response = self.caller.post('/stacks/%s/snapshots/%s/'
                                    'restore_preview' % (stack, snapshot_id))
        self.assertStatus(status, response)
        return response.json()

    def test_preview_then_restore_agree(self):
        stack = self.create_stack(plan_template())
        snapshot = self.snapshot(stack)
        self.update_stack(stack, plan_template(
            word='two', marker='b', gone=False, extra=True, count=3))
        before = self._physical(stack)

        preview = self.preview(stack, snapshot['id'])
        self.assertEqual({
            'added': ['gone'],
            'deleted': ['extra', 'group/2'],
            'replaced': ['test'],
            'unchanged': ['group/0', 'group/1', 'keep'],
            'updated': ['group', 'value'],
        }, _lists(preview))
        artifact = snapshot['data']['resources']['test']['resource_data'][
            'artifact_id']
        self.assertEqual(
            [('2', 'deleted', None), ('extra', 'deleted', None),
             ('test', 'replaced', {'artifact_id': artifact})],
            sorted((e['resource_name'], e['change'], e['restored_from'])
                   for e in preview['data_loss']))
        # A preview changes nothing.
        self.assertEqual('UPDATE_COMPLETE',
                         self.show_stack(stack)['stack_status'])
        self.assertEqual(before, self._physical(stack))

        self.restore(stack, snapshot['id'])
        after = self._physical(stack)
        lists = _lists(preview)
        self.assertEqual(sorted(set(after) - set(before)), lists['added'])
        self.assertEqual(sorted(set(before) - set(after)), lists['deleted'])
        self.assertEqual(
            lists['replaced'],
            sorted(n for n in set(before) & set(after)
                   if before[n] != after[n]))
        self.assertEqual('one', self.outputs(stack)['value'])

    def clone(self, path, name):
        """POST a clone named ``name`` to ``path``: answered as Heat's
        stack create (201, its link in ``Location``); the new stack
        ('name/id') once CREATE_COMPLETE.
        """
        response = self.caller.post(path, {'stack_name': name})
        self.assertStatus(201, response)
        body = response.json()
        new = '%s/%s' % (name, body['stack']['id'])
        self.addCleanup(self.delete_stack, new)
        self.assertEqual(response.headers['Location'],
                         body['stack']['links'][0]['href'])
        self.assertTrue(response.headers['Location'].endswith('/' + new))
        waiters.wait_for_stack_status(self.caller, new, 'CREATE_COMPLETE')
        return new

    def test_clone_makes_a_new_stack_and_leaves_the_source(self):
        stack = self.create_stack(plan_template())
        snapshot = self.snapshot(stack)
        self.update_stack(stack, plan_template(word='two', extra=True))
        source = self._physical(stack)
        name = self.unique_name('clone')
        new = self.clone(
            '/stacks/%s/snapshots/%s/clone' % (stack, snapshot['id']), name)
        self.assertEqual(snapshot['data']['template'],
                         self.heat.stacks.template(new))
        self.assertEqual('one', self.outputs(new)['value'])
        cloned = self._physical(new)
        self.assertNotIn('extra', cloned)
        self.assertFalse(set(cloned.values()) & set(source.values()))
        # The source is only read.
        self.assertEqual(source, self._physical(stack))
        self.assertEqual('two', self.outputs(stack)['value'])

        # Errors as Heat gives them.
        taken = self.caller.post(
            '/stacks/%s/snapshots/%s/clone' % (stack, snapshot['id']),
            {'stack_name': name})
        self.assertError(409, 'StackExists', taken)
        missing = self.caller.post(
            '/stacks/%s/snapshots/%s/clone' % (stack, 'missing'),
            {'stack_name': self.unique_name('clone')})
        self.assertError(404, 'NotFound', missing)

    def kept_snapshot(self, stack):
        """Run a policy with keep_after_stack_delete on ``stack``, then
        delete the stack; the snapshot it kept, as the project shows it.
        """
        response = self.caller.post('/snapshot_policies', {'policy': {
            'name': self.unique_name('keep'),
            'stacks': {'ids': [stack.split('/')[1]]},
            'schedule': {'cron': '0 0 1 1 *', 'timezone': 'UTC'},
            'keep_after_stack_delete': True, 'enabled': False}})
        self.assertStatus(201, response)
        policy = response.json()['policy']
        path = '/snapshot_policies/%s' % policy['id']
        self.addCleanup(self.caller.delete, path)
        self.assertStatus(202, self.caller.post(path + '/run'))

        def ended():
            runs = self.caller.get(path + '/runs').json()['runs']
            return bool(runs) and runs[0]['status'] != 'IN_PROGRESS', runs
        run = waiters.wait_for(ended, 'the policy run')[0]
        self.assertEqual('COMPLETE', run['status'], run['reason'])
        snapshot_id = run['snapshots'][0]
        self.addCleanup(self.caller.delete, '/snapshots/%s' % snapshot_id)
        self.delete_stack(stack)
        response = self.caller.get('/snapshots/%s' % snapshot_id)
        self.assertStatus(200, response)
        snapshot = response.json()['snapshot']
        self.assertTrue(snapshot['stack_deleted'])
        self.assertEqual('COMPLETE', snapshot['status'])
        return snapshot

    def test_clone_of_a_snapshot_kept_after_its_stack(self):
        stack = self.create_stack(KEPT_TEMPLATE, parameters={'length': 12})
        source = self._physical(stack)
        values = self.outputs(stack)
        snapshot = self.kept_snapshot(stack)
        name = self.unique_name('clone')
        path = '/snapshots/%s/clone' % snapshot['id']
        new = self.clone(path, name)
        # The snapshot's template and parameters; each resource's value
        # put back from the snapshot (a new random string otherwise).
        self.assertEqual(snapshot['data']['template'],
                         self.heat.stacks.template(new))
        self.assertEqual('12', self.show_stack(new)['parameters']['length'])
        self.assertEqual(values, self.outputs(new))
        self.assertEqual(12, len(values['random']))
        cloned = self._physical(new)
        self.assertEqual(set(source), set(cloned))
        self.assertFalse(set(cloned.values()) & set(source.values()))
        # Overrides: a parameter of the snapshot's template.
        other = self.unique_name('clone')
        response = self.caller.post(path, {
            'stack_name': other, 'parameters': {'length': 20}})
        self.assertStatus(201, response)
        other = '%s/%s' % (other, response.json()['stack']['id'])
        self.addCleanup(self.delete_stack, other)
        waiters.wait_for_stack_status(self.caller, other, 'CREATE_COMPLETE')
        self.assertEqual('20',
                         self.show_stack(other)['parameters']['length'])
        self.assertError(400, 'StackValidationFailed', self.caller.post(
            path, {'stack_name': self.unique_name('clone'),
                   'parameters': {'length': 'long'}}))

        # Errors as Heat gives them.
        self.assertError(409, 'StackExists',
                         self.caller.post(path, {'stack_name': name}))
        self.assertError(404, 'NotFound', self.caller.post(
            '/snapshots/%s/clone' % 'missing',
            {'stack_name': self.unique_name('clone')}))
        self.assertError(404, 'NotFound', self.alt_caller().post(
            path, {'stack_name': self.unique_name('clone')}))


base.for_each_deployment(RestorePlanTest, globals())
