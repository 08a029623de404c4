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

"""Nested stacks in the embedded stack store, as a user sees them.

A stack with a ResourceGroup of template resources and an OS::Heat::Stack,
through python-heatclient over HTTP: created, listed with and without
``nested_depth``, snapshotted (the nested resources inside their parent's
entry of the snapshot's data, as Heat and the ``heat`` driver have them),
shrunk, restored (the group grows back, the members' data comes back) and
deleted.
"""

import yaml

from heat_snapshots.tests.functional import base
from heat_snapshots.tests.functional import waiters

MEMBER = {
    'heat_template_version': base.HOT_VERSION,
    'parameters': {'label': {'type': 'string'}},
    'resources': {
        'secret': {'type': 'OS::Heat::RandomString',
                   'properties': {'length': 12}},
        'note': {'type': 'OS::Heat::Value',
                 'properties': {'value': {'get_param': 'label'}}},
    },
    'outputs': {
        'secret': {'value': {'get_attr': ['secret', 'value']}},
        'label': {'value': {'get_attr': ['note', 'value']}},
    },
}
FILES = {'member.yaml': yaml.safe_dump(MEMBER)}

CHILD = yaml.safe_dump({
    'heat_template_version': base.HOT_VERSION,
    'parameters': {'greeting': {'type': 'string'}},
    'resources': {'inner': {'type': 'OS::Heat::Value',
                            'properties': {'value': {
                                'get_param': 'greeting'}}}},
    'outputs': {'greeting': {'value': {'get_attr': ['inner', 'value']}}},
})

# What Heat (and the heat driver) records of each resource of a snapshot;
# a resource owning a nested stack adds its resources.
ENTRY_KEYS = {'name', 'type', 'resource_id', 'action', 'status', 'metadata',
              'resource_data'}


def nested_template(count):
    return base.template(
        {
            'group': {'type': 'OS::Heat::ResourceGroup', 'properties': {
                'count': count,
                'resource_def': {'type': 'member.yaml', 'properties': {
                    'label': 'member-%index%'}}}},
            'child': {'type': 'OS::Heat::Stack', 'properties': {
                'template': CHILD,
                'parameters': {'greeting': 'hello'}}},
        },
        outputs={
            'labels': {'value': {'get_attr': ['group', 'label']}},
            'secrets': {'value': {'get_attr': ['group', 'secret']}},
            'greeting': {'value': {'get_attr': [
                'child', 'outputs', 'greeting']}},
        })


def members(count):
    return ['group/%d' % index for index in range(count)]


class NestedStacksTest:

    def create_nested(self, tmpl):
        name = self.unique_name('nested')
        body = self.heat.stacks.create(stack_name=name, template=tmpl,
                                       files=FILES)
        stack = '%s/%s' % (name, body['stack']['id'])
        self.addCleanup(self.delete_stack, stack)
        waiters.wait_for_stack_status(self.caller, stack, 'CREATE_COMPLETE')
        return stack

    def listed(self, stack, nested_depth=None):
        """{path from the top stack: heatclient Resource}."""
        kwargs = {}
        if nested_depth is not None:
            kwargs['nested_depth'] = nested_depth
        items = self.heat.resources.list(stack, **kwargs)
        found = {}
        for item in items:
            path = item.resource_name
            owner = item
            while getattr(owner, 'parent_resource', None):
                owner = self._owner(items, owner)
                path = '%s/%s' % (owner.resource_name, path)
            found[path] = item
        return found

    @staticmethod
    def _owner(items, item):
        """The resource owning the nested stack ``item`` is in."""
        stack_id = _stack_id(item)
        for candidate in items:
            if candidate.physical_resource_id == stack_id:
                return candidate
        raise AssertionError('no resource owns stack %s of %s'
                             % (stack_id, item.resource_name))

    def assertEntry(self, entry, name, type_name):
        self.assertEqual(name, entry['name'])
        self.assertEqual(type_name, entry['type'])
        self.assertEqual(('SNAPSHOT', 'COMPLETE'),
                         (entry['action'], entry['status']), name)
        self.assertLessEqual(ENTRY_KEYS, set(entry))

    def test_group_template_resource_and_stack_lifecycle(self):
        stack = self.create_nested(nested_template(3))

        # What a user lists: the top stack's resources; nested ones with
        # nested_depth, each naming the resource owning its stack.
        self.assertEqual(['child', 'group'], sorted(self.listed(stack)))
        deep = self.listed(stack, nested_depth=2)
        expected = ['child', 'child/inner', 'group']
        for member in members(3):
            expected += [member, member + '/note', member + '/secret']
        self.assertEqual(sorted(expected), sorted(deep))
        for path, resource in deep.items():
            self.assertEqual('CREATE_COMPLETE', resource.resource_status,
                             path)
        self.assertEqual('group', deep['group/1'].parent_resource)
        self.assertEqual('1', deep['group/1/secret'].parent_resource)
        self.assertEqual('member.yaml', deep['group/1'].resource_type)
        one_level = self.listed(stack, nested_depth=1)
        self.assertIn('group/2', one_level)
        self.assertNotIn('group/2/secret', one_level)
        before = self.outputs(stack)
        self.assertEqual(['member-0', 'member-1', 'member-2'],
                         before['labels'])
        self.assertEqual('hello', before['greeting'])

        snapshot = self.snapshot(stack, name='nested')
        self.assertEqual('Stack SNAPSHOT completed successfully',
                         snapshot['status_reason'])
        data = self.show_snapshot(stack, snapshot['id'])['data']
        self.assertEqual(('SNAPSHOT', 'COMPLETE'),
                         (data['action'], data['status']))
        self.assertEqual(FILES, data['files'])
        self.assertEqual({'group', 'child'}, set(data['resources']))
        group = data['resources']['group']
        self.assertEntry(group, 'group', 'OS::Heat::ResourceGroup')
        self.assertEqual(deep['group'].physical_resource_id,
                         group['resource_id'])
        self.assertEqual({'0', '1', '2'}, set(group['resources']))
        for index, secret in enumerate(before['secrets']):
            member = group['resources'][str(index)]
            self.assertEntry(member, str(index), 'member.yaml')
            self.assertEqual({'secret', 'note'}, set(member['resources']))
            saved = member['resources']['secret']
            self.assertEntry(saved, 'secret', 'OS::Heat::RandomString')
            self.assertEqual({'value': secret}, saved['resource_data'])
        child = data['resources']['child']
        self.assertEntry(child, 'child', 'OS::Heat::Stack')
        self.assertEqual({'inner'}, set(child['resources']))

        # Count down to 2: the last member goes, the others stay as they
        # were.
        self.heat.stacks.update(stack, template=nested_template(2),
                                files=FILES)
        waiters.wait_for_stack_status(self.caller, stack, 'UPDATE_COMPLETE')
        shrunk = self.listed(stack, nested_depth=2)
        self.assertNotIn('group/2', shrunk)
        self.assertNotIn('group/2/secret', shrunk)
        self.assertEqual(before['secrets'][:2],
                         self.outputs(stack)['secrets'])

        restored = self.restore(stack, snapshot['id'])
        self.assertEqual('Stack RESTORE completed successfully',
                         restored['stack_status_reason'])
        after = self.listed(stack, nested_depth=2)
        self.assertEqual(sorted(expected), sorted(after))
        for path, resource in after.items():
            self.assertEqual('RESTORE_COMPLETE', resource.resource_status,
                             path)
        # The third member is back with its string of the snapshot.
        self.assertEqual(before, self.outputs(stack))

        self.delete_snapshot(stack, snapshot['id'])
        self.assertError(404, 'NotFound', self.caller.get(
            '/stacks/%s/snapshots/%s' % (stack, snapshot['id'])))
        self.assertEqual(before, self.outputs(stack))

        self.delete_stack(stack)
        self.assertNotIn(stack.split('/')[1],
                         [s.id for s in self.heat.stacks.list()])


def _stack_id(item):
    """The id of the stack a listed resource is in, from its links."""
    for link in item.links:
        if link.get('rel') == 'stack':
            return link['href'].rstrip('/').rsplit('/', 1)[1]
    raise AssertionError('no stack link in %s' % item.links)


base.for_each_deployment(NestedStacksTest, globals())
