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

"""Nested resources in a snapshot's data and in a restore."""

import copy
import json
from unittest import mock

from heat_snapshots.engine.resources import base as resources_base
from heat_snapshots.engine.resources import registry
from heat_snapshots.engine import snapshots
from heat_snapshots.engine.stacks import base as stacks_base
from heat_snapshots.tests import base


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


class BackupPlugin(resources_base.ResourcePlugin):
    """Puts the recorded backup id into the definition."""

    def handle_restore(self, definition, data):
        definition.setdefault('properties', {})['backup_id'] = \
            data['backup_id']
        return definition


class NestedRestoreTest(base.TestCase):

    def setUp(self):
        super().setUp()
        registry.register('OS::Test::Backup', BackupPlugin)
        self.addCleanup(registry.plugins().pop, 'OS::Test::Backup', None)
        self.driver = mock.Mock()
        self.driver.get_stack.return_value = stacks_base.Stack(
            id='sid', name='web', project_id='p', action='CREATE',
            status='COMPLETE')

    def restore(self, data):
        snapshot = mock.Mock(data=data)
        with mock.patch.object(snapshots.db_api, 'snapshot_get',
                               return_value=snapshot):
            snapshots.RestoreWalk(self.conf_fixture.conf, self.driver,
                                  self.make_context()).run('sid', 'snap')
        args = self.driver.restore.call_args[0]
        return args[2], args[4]

    @staticmethod
    def saved(name, type_name, data=None, resources=None):
        info = entry(name, type_name)
        info['resource_data'] = data or {}
        if resources:
            info['resources'] = resources
        return info

    def test_template_resource_used_once_is_rewritten(self):
        member = {'heat_template_version': '2018-08-31',
                  'resources': {'vol': {'type': 'OS::Test::Backup',
                                        'properties': {'size': 1}}}}
        template, files = self.restore({
            'template': {'heat_template_version': '2018-08-31',
                         'resources': {'inner': {'type': 'member.yaml'},
                                       'top': {'type': 'OS::Test::Backup'}}},
            'files': {'member.yaml': json.dumps(member)},
            'resources': {
                'top': self.saved('top', 'OS::Test::Backup',
                                  {'backup_id': 'b-top'}),
                'inner': self.saved('inner', 'member.yaml', resources={
                    'vol': self.saved('vol', 'OS::Test::Backup',
                                      {'backup_id': 'b-inner'})})}})
        self.assertEqual('b-top', template['resources']['top'][
            'properties']['backup_id'])
        restored = json.loads(files['member.yaml'])
        self.assertEqual({'size': 1, 'backup_id': 'b-inner'},
                         restored['resources']['vol']['properties'])

    def test_template_resource_used_twice_is_left_alone(self):
        member = json.dumps({'resources': {'vol': {
            'type': 'OS::Test::Backup'}}})
        template, files = self.restore({
            'template': {'resources': {'a': {'type': 'member.yaml'},
                                       'b': {'type': 'member.yaml'}}},
            'files': {'member.yaml': member},
            'resources': {'a': self.saved('a', 'member.yaml', resources={
                'vol': self.saved('vol', 'OS::Test::Backup',
                                  {'backup_id': 'b-a'})})}})
        self.assertEqual(member, files['member.yaml'])

    def test_inline_nested_stack_is_rewritten(self):
        template, _ = self.restore({
            'template': {'resources': {'child': {
                'type': 'OS::Heat::Stack',
                'properties': {'template': {'resources': {'vol': {
                    'type': 'OS::Test::Backup'}}}}}}},
            'resources': {'child': self.saved(
                'child', 'OS::Heat::Stack', resources={
                    'vol': self.saved('vol', 'OS::Test::Backup',
                                      {'backup_id': 'b-child'})})}})
        inline = template['resources']['child']['properties']['template']
        self.assertEqual({'backup_id': 'b-child'},
                         inline['resources']['vol']['properties'])

    def test_group_members_are_left_to_the_update(self):
        group = {'type': 'OS::Heat::ResourceGroup',
                 'properties': {'count': 2, 'resource_def': {
                     'type': 'OS::Test::Backup'}}}
        template, _ = self.restore({
            'template': {'resources': {'group': copy.deepcopy(group)}},
            'resources': {'group': self.saved(
                'group', 'OS::Heat::ResourceGroup', resources={
                    '0': self.saved('0', 'OS::Test::Backup',
                                    {'backup_id': 'b-0'})})}})
        self.assertEqual(group, template['resources']['group'])
