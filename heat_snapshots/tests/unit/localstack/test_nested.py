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

"""Nested stacks of the local store: groups, template resources and
OS::Heat::Stack, created, updated, restored and deleted with the stack.
"""

import json
import time

import yaml

from heat_snapshots.common import exception
from heat_snapshots.db import api as db_api
from heat_snapshots.engine import formatters
from heat_snapshots.engine import snapshots
from heat_snapshots.engine import walk
from heat_snapshots.localstack import nested
from heat_snapshots.tests import base
from heat_snapshots.tests.unit.localstack import base as local_base

hot = local_base.hot

MEMBER = {
    'heat_template_version': '2021-04-16',
    'parameters': {'label': {'type': 'string'},
                   'length': {'type': 'number', 'default': 8}},
    'resources': {
        'secret': {'type': 'OS::Heat::RandomString',
                   'properties': {'length': {'get_param': 'length'}}},
        'note': {'type': 'OS::Heat::Value',
                 'properties': {'value': {'get_param': 'label'}}},
    },
    'outputs': {
        'secret': {'value': {'get_attr': ['secret', 'value']}},
        'label': {'value': {'get_attr': ['note', 'value']}},
    },
}
FILES = {'member.yaml': yaml.safe_dump(MEMBER)}


def group(count, definition=None, **properties):
    properties.update(count=count, resource_def=definition or {
        'type': 'member.yaml', 'properties': {'label': 'm-%index%'}})
    return {'type': 'OS::Heat::ResourceGroup', 'properties': properties}


def inline_stack(value='inline'):
    return {'type': 'OS::Heat::Stack', 'properties': {
        'template': yaml.safe_dump({
            'heat_template_version': '2021-04-16',
            'parameters': {'v': {'type': 'string'}},
            'resources': {'inner': {
                'type': 'OS::Heat::Value',
                'properties': {'value': {'get_param': 'v'}}}},
            'outputs': {'v': {'value': {'get_attr': ['inner', 'value']}}}}),
        'parameters': {'v': value}}}


def tree_template(count=3, value='inline'):
    outputs = {
        'labels': ['group', 'label'],
        'first': ['group', 'resource.0.label'],
        'by_member': ['group', 'attributes', 'label'],
        'refs': ['group', 'refs'],
        'child': ['child', 'outputs', 'v'],
    }
    return hot({'group': group(count), 'child': inline_stack(value)},
               outputs={key: {'value': {'get_attr': args}}
                        for key, args in outputs.items()})


class NestedTestCase(local_base.DriverTestCase):

    def create(self, template, files=None, **kwargs):
        return super().create(template, files=FILES if files is None
                              else files, **kwargs)

    def update(self, stack, template, files=None, **kwargs):
        definition = self.driver.prepare_update(
            self.ctx, stack, template, {}, FILES if files is None else files,
            {})
        self.driver.run_update(self.ctx, stack.id, definition, **kwargs)
        return self.driver.get_stack(self.ctx, stack.id)

    def outputs(self, stack):
        stack = self.driver.get_stack(self.ctx, stack.id, False)
        return {o['output_key']: o.get('output_value')
                for o in stack.outputs}


class CreateTest(NestedTestCase):

    def test_group_of_template_resources_and_inline_stack(self):
        stack = self.create(tree_template())
        resources = self.resources(stack)
        self.assertEqual(
            ['child', 'child/inner', 'group', 'group/0', 'group/0/note',
             'group/0/secret', 'group/1', 'group/1/note', 'group/1/secret',
             'group/2', 'group/2/note', 'group/2/secret'],
            sorted(resources))
        for resource in resources.values():
            self.assertEqual('CREATE_COMPLETE', self.status(resource),
                             resource.name)
        self.assertEqual('member.yaml', resources['group/1'].type)
        self.assertEqual('OS::Heat::ResourceGroup',
                         resources['group'].type)
        outputs = self.outputs(stack)
        self.assertEqual(['m-0', 'm-1', 'm-2'], outputs['labels'])
        self.assertEqual('m-0', outputs['first'])
        self.assertEqual({'0': 'm-0', '1': 'm-1', '2': 'm-2'},
                         outputs['by_member'])
        self.assertEqual('inline', outputs['child'])
        # A template resource's reference is its nested stack's ARN.
        member = resources['group/0']
        self.assertEqual(3, len(outputs['refs']))
        self.assertTrue(outputs['refs'][0].startswith(
            'arn:openstack:heat::project-a:stacks/'))
        self.assertTrue(outputs['refs'][0].endswith(
            '/' + member.physical_resource_id))

    def test_paths_require_siblings_and_parents_their_members(self):
        stack = self.create(hot({
            'group': group(2, {'type': 'OS::Heat::None'}),
            'after': {'type': 'OS::Heat::None', 'depends_on': 'group'},
        }))
        resources = self.resources(stack)
        self.assertEqual(['group'], resources['after'].requires)
        self.assertEqual(['group/0', 'group/1'], resources['group'].requires)
        self.assertEqual([], resources['group/0'].requires)

    def test_index_var_and_zero_count(self):
        stack = self.create(hot({
            'named': group(2, {'type': 'OS::Heat::Value',
                               'properties': {'value': 'v-$ix'}},
                           index_var='$ix'),
            'empty': group(0)}, outputs={'v': {'value': {
                'get_attr': ['named', 'value']}}}))
        self.assertEqual(['v-0', 'v-1'], self.outputs(stack)['v'])
        self.assertNotIn('empty/0', self.resources(stack))

    def test_template_resource_properties_are_parameters(self):
        stack = self.create(hot(
            {'m': {'type': 'member.yaml',
                   'properties': {'label': 'hello', 'length': 5}}},
            outputs={'secret': {'value': {'get_attr': ['m', 'secret']}},
                     'id': {'value': {'get_attr': ['m', 'OS::stack_id']}}}))
        outputs = self.outputs(stack)
        self.assertEqual(5, len(outputs['secret']))
        self.assertEqual(self.resources(stack)['m'].physical_resource_id,
                         outputs['id'])

    def test_registry_names_a_template_file(self):
        stack = self.create(
            hot({'m': {'type': 'My::Member', 'properties': {
                'label': 'x'}}}),
            environment={'resource_registry': {
                'My::Member': 'member.yaml'}})
        self.assertIn('m/secret', self.resources(stack))

    def test_failing_member_fails_the_group(self):
        stack = self.driver.create_stack(
            self.ctx, 'broken', hot({'group': group(2, {
                'type': 'OS::Heat::TestResource',
                'properties': {'fail': True}})}), {}, {}, {})
        self.assertRaises(walk.WalkFailed, self.driver.run_create, self.ctx,
                          stack.id)
        resources = self.resources(stack)
        self.assertEqual('CREATE_FAILED', self.status(resources['group']))
        self.assertEqual('CREATE_FAILED', self.status(resources['group/0']))
        self.assertIn('Test Resource failed',
                      resources['group'].status_reason)


class RefusedTest(NestedTestCase):

    def assertRefused(self, template, message, files=None,
                      error=exception.InvalidTemplate):
        raised = self.assertRaises(
            error, self.driver.create_stack, self.ctx, 'refused', template,
            {}, FILES if files is None else files, {})
        self.assertIn(message, str(raised))
        self.assertRaises(exception.StackNotFound, self.driver.find_stack,
                          self.ctx, 'refused')
        return raised

    def test_unknown_property_of_template_resource(self):
        self.assertRefused(
            hot({'m': {'type': 'member.yaml',
                       'properties': {'label': 'x', 'colour': 'red'}}}),
            'Unknown Property colour')

    def test_missing_parameter_of_template_resource(self):
        self.assertRefused(hot({'m': {'type': 'member.yaml'}}),
                           'Property label not assigned')

    def test_removal_policies(self):
        self.assertRefused(
            hot({'g': group(2, removal_policies=[
                {'resource_list': ['0']}])}),
            'removal policies are not supported')

    def test_bad_member_definition(self):
        self.assertRefused(
            hot({'g': group(1, {'type': 'OS::Nova::Nothing'})}),
            'resources.g<nested_stack>: resources.0: The Resource Type '
            '(OS::Nova::Nothing) could not be found.')

    def test_nesting_deeper_than_the_limit(self):
        self.flags(group='heat_snapshots_templates',
                   max_nested_stack_depth=2)
        files = {'loop.yaml': json.dumps(hot({'again': {
            'type': 'loop.yaml'}}))}
        self.assertRefused(
            hot({'start': {'type': 'loop.yaml'}}),
            'Recursion depth exceeds 2 (heat_snapshots_templates.'
            'max_nested_stack_depth)', files=files,
            error=exception.RequestLimitExceeded)

    def test_within_the_depth_limit(self):
        self.flags(group='heat_snapshots_templates',
                   max_nested_stack_depth=2)
        files = {'one.yaml': json.dumps(hot({'two': {'type': 'two.yaml'}})),
                 'two.yaml': json.dumps(hot({'leaf': {
                     'type': 'OS::Heat::None'}}))}
        stack = self.create(hot({'top': {'type': 'one.yaml'}}), files=files)
        self.assertIn('top/two/leaf', self.resources(stack))

    def test_group_larger_than_the_resource_limit(self):
        self.flags(group='heat_snapshots_templates',
                   max_resources_per_stack=10)
        self.assertRefused(
            hot({'g': group(4)}),
            'more than 10 resources, nested ones included '
            '(heat_snapshots_templates.max_resources_per_stack)',
            error=exception.RequestLimitExceeded)

    def test_huge_count_refused_before_members_are_built(self):
        started = time.monotonic()
        self.assertRefused(
            hot({'g': group(10 ** 9, {'type': 'OS::Heat::None'})}),
            'more than 1000 resources, nested ones included',
            error=exception.RequestLimitExceeded)
        self.assertLess(time.monotonic() - started, 1)

    def test_expanded_group_counts_toward_template_size(self):
        self.flags(group='heat_snapshots_templates',
                   max_template_size=4096)
        self.assertRefused(
            hot({'g': group(3, {'type': 'OS::Heat::Value',
                                'properties': {'value': 'x' * 1000}})}),
            'The stack\'s templates, nested ones expanded, are larger than '
            '4096 bytes (heat_snapshots_templates.max_template_size)')

    def test_count_from_a_resource_is_checked_when_known(self):
        self.flags(group='heat_snapshots_templates',
                   max_resources_per_stack=5)
        stack = self.driver.create_stack(self.ctx, 'late', hot({
            'n': {'type': 'OS::Heat::Value', 'properties': {'value': 9}},
            'g': group({'get_attr': ['n', 'value']},
                       {'type': 'OS::Heat::None'})}), {}, {}, {})
        self.assertRaises(walk.WalkFailed, self.driver.run_create, self.ctx,
                          stack.id)
        resources = self.resources(stack)
        self.assertEqual('CREATE_FAILED', self.status(resources['g']))
        self.assertIn('max_resources_per_stack',
                      resources['g'].status_reason)
        self.assertNotIn('g/0', resources)


class UpdateTest(NestedTestCase):

    def test_count_grows_and_shrinks_keeping_members(self):
        stack = self.create(tree_template(2))
        before = self.resources(stack)
        stack = self.update(stack, tree_template(3))
        grown = self.resources(stack)
        self.assertIn('group/2/secret', grown)
        self.assertEqual(before['group/0/secret'].data,
                         grown['group/0/secret'].data)
        stack = self.update(stack, tree_template(1))
        shrunk = self.resources(stack)
        self.assertEqual(['group/0'], sorted(
            n for n in shrunk if n.startswith('group/') and
            n.count('/') == 1))
        self.assertNotIn('group/1/secret', shrunk)
        self.assertEqual(['m-0'], self.outputs(stack)['labels'])
        self.assertEqual(before['group/0'].physical_resource_id,
                         shrunk['group/0'].physical_resource_id)

    def test_changed_template_file_updates_the_nested_stack(self):
        stack = self.create(hot({'m': {'type': 'member.yaml',
                                       'properties': {'label': 'x'}}}))
        changed = dict(MEMBER, resources=dict(
            MEMBER['resources'], extra={'type': 'OS::Heat::None'}))
        stack = self.update(stack, hot({'m': {
            'type': 'member.yaml', 'properties': {'label': 'x'}}}),
            files={'member.yaml': json.dumps(changed)})
        resources = self.resources(stack)
        self.assertEqual('CREATE_COMPLETE',
                         self.status(resources['m/extra']))
        self.assertEqual('UPDATE_COMPLETE', self.status(resources['m']))

    def test_inline_stack_parameters_change(self):
        stack = self.create(tree_template(1, 'one'))
        stack = self.update(stack, tree_template(1, 'two'))
        self.assertEqual('two', self.outputs(stack)['child'])

    def test_nested_type_replaced_by_a_plain_one(self):
        stack = self.create(hot({'g': group(2)}))
        stack = self.update(stack, hot({'g': {'type': 'OS::Heat::None'}}))
        self.assertEqual(['g'], sorted(self.resources(stack)))


class RestoreTest(NestedTestCase):

    def test_restore_puts_nested_data_back(self):
        stack = self.create(tree_template(3))
        saved = self.resources(stack)
        data = {name: resource.data for name, resource in saved.items()}
        stack = self.update(stack, tree_template(2))
        self.assertNotIn('group/2', self.resources(stack))
        self.driver.restore(self.ctx, stack, tree_template(3), {}, FILES,
                            data)
        restored = self.resources(stack)
        self.assertEqual(sorted(saved), sorted(restored))
        for name in ('group/0/secret', 'group/2/secret'):
            self.assertEqual(saved[name].data['value'],
                             restored[name].data['value'], name)
            self.assertEqual('RESTORE_COMPLETE',
                             self.status(restored[name]))
        self.assertEqual('RESTORE_COMPLETE',
                         self.status(restored['group']))


class DeleteTest(NestedTestCase):

    def test_delete_removes_every_level(self):
        stack = self.create(tree_template(2))
        self.driver.run_delete(self.ctx, stack.id)
        self.assertEqual({}, self.resources(stack))


class WalksTest(NestedTestCase):
    """The engine's snapshot, restore and snapshot-delete walks on a
    stack with nested stacks, as the heat driver has them.
    """

    def snapshot(self, stack):
        snapshot = db_api.snapshot_create(self.ctx, {
            'name': 'snap', 'stack_id': stack.id, 'stack_name': stack.name,
            'project_id': stack.project_id, 'action': 'CREATE',
            'status': 'IN_PROGRESS', 'data': snapshots.stack_data(stack)})
        outcome = snapshots.SnapshotWalk(self.conf_fixture.conf, self.driver,
                                         self.ctx).run(stack.id, snapshot.id)
        self.assertEqual('COMPLETE', outcome.status, outcome.reason)
        db_api.snapshot_update(self.ctx, snapshot.id,
                               {'status': outcome.status,
                                'data': outcome.data})
        return snapshot.id, outcome.data

    def test_snapshot_nests_restore_brings_back_delete_forgets(self):
        stack = self.create(hot({
            'group': group(2, {'type': 'member.yaml', 'properties': {
                'label': 'g-%index%'}}),
            'child': inline_stack(),
            'test': {'type': 'OS::Heat::TestResource',
                     'properties': {'value': 'top'}}}))
        before = self.resources(stack)
        snapshot_id, data = self.snapshot(stack)

        self.assertEqual({'group', 'child', 'test'}, set(data['resources']))
        group_entry = data['resources']['group']
        self.assertEqual(
            {'name', 'type', 'resource_id', 'action', 'status', 'metadata',
             'resource_data', 'resources'}, set(group_entry))
        self.assertEqual(before['group'].physical_resource_id,
                         group_entry['resource_id'])
        self.assertEqual({'0', '1'}, set(group_entry['resources']))
        member = group_entry['resources']['1']
        self.assertEqual(('1', 'member.yaml'),
                         (member['name'], member['type']))
        self.assertEqual({'note', 'secret'}, set(member['resources']))
        secret = member['resources']['secret']
        self.assertEqual(('SNAPSHOT', 'COMPLETE'),
                         (secret['action'], secret['status']))
        self.assertEqual(before['group/1/secret'].data['value'],
                         secret['resource_data']['value'])
        self.assertEqual({'inner'},
                         set(data['resources']['child']['resources']))
        self.assertEqual('SNAPSHOT_COMPLETE', self.status(
            self.resources(stack)['group/1/secret']))

        stack = self.update(stack, hot({'test': {
            'type': 'OS::Heat::TestResource',
            'properties': {'value': 'top'}}}))
        self.assertEqual(['test'], sorted(self.resources(stack)))

        outcome = snapshots.RestoreWalk(self.conf_fixture.conf, self.driver,
                                        self.ctx).run(stack.id, snapshot_id)
        self.assertEqual('COMPLETE', outcome.status, outcome.reason)
        restored = self.resources(stack)
        self.assertEqual(sorted(before), sorted(restored))
        self.assertEqual(before['group/1/secret'].data['value'],
                         restored['group/1/secret'].data['value'])
        self.assertEqual('RESTORE_COMPLETE',
                         self.status(restored['group/1/secret']))

        db_api.snapshot_update(self.ctx, snapshot_id,
                               {'action': 'DELETE', 'status': 'IN_PROGRESS'})
        stack = self.driver.get_stack(self.ctx, stack.id)
        outcome = snapshots.DeleteWalk(self.conf_fixture.conf, self.driver,
                                       self.ctx).run(snapshot_id, stack)
        self.assertEqual('COMPLETE', outcome.status, outcome.reason)
        self.assertRaises(exception.SnapshotIdNotFound, db_api.snapshot_get,
                          self.ctx, snapshot_id)


class ListingTest(NestedTestCase):
    """The store's nested resources as the resource list shows them."""

    def test_depth_names_parents_and_nested_stacks(self):
        stack = self.create(hot({
            'group': group(2),
            'after': {'type': 'OS::Heat::None', 'depends_on': 'group'}}),
            name='web')
        physical = {r.name: r.physical_resource_id
                    for r in stack.resources}

        def listed(depth):
            return {item['stack_identity']['stack_name'] + ':' +
                    item['resource_name']: item
                    for item in formatters.format_resources(stack, depth)}

        top = listed(0)
        self.assertEqual({'web:group', 'web:after'}, set(top))
        self.assertEqual(['after'], top['web:group']['required_by'])
        self.assertNotIn('parent_resource', top['web:group'])
        group_stack = 'web-group-%s' % formatters.short_id(physical['group'])
        self.assertEqual(
            {'tenant': 'project-a', 'stack_name': group_stack,
             'stack_id': physical['group'], 'path': ''},
            top['web:group']['nested_identity'])
        self.assertNotIn('nested_identity', top['web:after'])

        one = listed(1)
        self.assertEqual(4, len(one))
        member = one[group_stack + ':1']
        self.assertEqual('group', member['parent_resource'])
        self.assertEqual('member.yaml', member['resource_type'])
        self.assertEqual(physical['group'],
                         member['stack_identity']['stack_id'])
        self.assertEqual([], member['required_by'])

        two = listed(2)
        self.assertEqual(8, len(two))
        member_stack = '%s-1-%s' % (group_stack,
                                    formatters.short_id(physical['group/1']))
        secret = two[member_stack + ':secret']
        self.assertEqual('1', secret['parent_resource'])
        self.assertEqual(physical['group/1'],
                         secret['stack_identity']['stack_id'])

    def test_nested_stack_knows_the_name_and_id_it_is_listed_with(self):
        files = {'who.yaml': json.dumps(hot({'n': {
            'type': 'OS::Heat::None'}}, outputs={
            'name': {'value': {'get_param': 'OS::stack_name'}},
            'id': {'value': {'get_param': 'OS::stack_id'}}}))}
        stack = self.create(
            hot({'who': {'type': 'who.yaml'}}, outputs={
                'name': {'value': {'get_attr': ['who', 'name']}},
                'id': {'value': {'get_attr': ['who', 'id']}}}),
            files=files, name='web')
        listed = formatters.format_resources(stack)
        self.assertEqual(['who'], [r['resource_name'] for r in listed])
        nested_stack = listed[0]['nested_identity']
        self.assertEqual({'name': nested_stack['stack_name'],
                          'id': nested_stack['stack_id']},
                         self.outputs(stack))


class GroupAttributesTest(base.TestCase):

    def test_attributes_as_heat_computes_them(self):
        group_type = nested.ResourceGroup.named('g')
        attributes = group_type.nested_attributes(
            ('p', 'n', 'id'),
            {'1': ('ref-1', {'a': 11, 'show': {}}),
             '0': ('ref-0', {'a': 10}),
             '10': ('ref-10', {'a': 20})}, {})
        get = nested.ResourceGroup.attribute
        self.assertEqual(['ref-0', 'ref-1', 'ref-10'],
                         get(attributes, 'refs'))
        self.assertEqual('ref-10', get(attributes, 'resource.10'))
        self.assertEqual(11, get(attributes, 'resource.1.a'))
        self.assertEqual([10, 11, 20], get(attributes, 'a'))
        self.assertEqual({'0': 10, '1': 11, '10': 20},
                         get(attributes, 'attributes')['a'])
        self.assertEqual([None, None, None], get(attributes, 'missing'))
        self.assertEqual([], get(attributes, 'removed_rsrc_list'))

    def test_index_replaced_in_values_not_keys(self):
        child = nested.ResourceGroup.named('g').child(
            {'count': 2, 'index_var': '%index%', 'resource_def': {
                'type': 'T', 'properties': {'%index%': ['n-%index%'],
                                            'k': {'x': '%index%%index%'}},
                'metadata': None}}, {}, None)
        member = child.template['resources']['1']
        self.assertEqual({'%index%': ['n-1'], 'k': {'x': '11'}},
                         member['properties'])
