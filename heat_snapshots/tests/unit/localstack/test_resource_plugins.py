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
from heat_snapshots.engine.resources import registry
from heat_snapshots.engine.stacks import base as stacks_base
from heat_snapshots.localstack import db_api as store_db
from heat_snapshots.localstack import resource_types
from heat_snapshots.tests import base
from heat_snapshots.tests import fake_clock

# The module whose waits the fake clock stands in for.
CLOCKED = (resource_types.__name__,)


def stack():
    return stacks_base.Stack(id='stack-1', name='s', project_id='project-a',
                             action='CREATE', status='COMPLETE')


def tres(name='t', value='v', **properties):
    properties = dict({'value': value, 'fail_on': [],
                       'action_wait_secs': {}}, **properties)
    return stacks_base.Resource(name=name, type='OS::Heat::TestResource',
                                physical_resource_id='phys-' + name,
                                properties=properties,
                                data={'value': value},
                                attributes={'output': value})


class SimplePluginsTest(base.TestCase):

    def test_registered_for_heat_types(self):
        for type_name, plugin in (
                ('OS::Heat::None', resource_types.NoneResource),
                ('OS::Heat::Value', resource_types.ValueResource),
                ('OS::Heat::RandomString',
                 resource_types.RandomStringResource),
                ('OS::Heat::TestResource', resource_types.TestResource)):
            self.assertIs(plugin, registry.plugin_class(type_name))

    def test_none_and_value_keep_their_data(self):
        ctx = self.make_context()
        resource = stacks_base.Resource(name='n', type='OS::Heat::None',
                                        data={'is_placeholder': 'True'})
        for plugin_class in (resource_types.NoneResource,
                             resource_types.ValueResource):
            plugin = plugin_class(ctx, stack(), resource, 'snap', base.CONF)
            data = plugin.handle_snapshot()
            self.assertEqual({'is_placeholder': 'True'}, data)
            self.assertTrue(plugin.check_snapshot_complete(data))

    def test_random_string_records_its_value(self):
        resource = stacks_base.Resource(
            name='r', type='OS::Heat::RandomString',
            data={'value': 'secret'}, attributes={'value': 'secret'})
        plugin = resource_types.RandomStringResource(
            self.make_context(), stack(), resource, 'snap', base.CONF)
        self.assertEqual({'value': 'secret'}, plugin.handle_snapshot())
        definition = {'type': 'OS::Heat::RandomString',
                      'properties': {'length': 6}}
        self.assertEqual(definition, plugin.handle_restore(
            definition, {'value': 'secret'}))


class TestResourcePluginTest(base.TestCase):
    use_db = True

    def setUp(self):
        super().setUp()
        self.ctx = self.make_context()
        # The waits are read off this clock, never off the machine's: a
        # loaded machine cannot end a wait before the test looks at it.
        self.clock = self.useFixture(fake_clock.FakeClock(modules=CLOCKED))

    def plugin(self, resource=None, snapshot_id='snap-1'):
        return resource_types.TestResource(
            self.ctx, stack(), resource or tres(), snapshot_id,
            base.CONF)

    def snapshotted(self, plugin):
        """What the walk records of ``plugin``'s snapshot."""
        return plugin.record_snapshot(self.ctx, plugin.handle_snapshot())

    def test_snapshot_writes_an_artifact_with_its_record(self):
        plugin = self.plugin()
        data = plugin.handle_snapshot()
        self.assertEqual([], store_db.artifact_list(self.ctx))
        data = plugin.record_snapshot(self.ctx, data)
        [artifact] = store_db.artifact_list(self.ctx)
        self.assertEqual({'value': 'v', 'artifact_id': artifact.id}, data)
        self.assertEqual(('snap-1', 't'), (artifact.snapshot_id,
                                           artifact.resource_name))
        self.assertEqual('v', artifact.content['value'])

    def test_resumed_snapshot_reuses_its_artifact(self):
        first = self.snapshotted(self.plugin())
        again = self.snapshotted(self.plugin())
        self.assertEqual(first, again)
        self.assertEqual(1, len(store_db.artifact_list(self.ctx)))
        self.snapshotted(self.plugin(snapshot_id='snap-2'))
        self.assertEqual(2, len(store_db.artifact_list(self.ctx)))

    def test_fail_on_snapshot(self):
        plugin = self.plugin(tres('bad', fail_on=['snapshot']))
        error = self.assertRaises(exception.ResourceFailure,
                                  plugin.handle_snapshot)
        self.assertEqual('Test Resource failed bad', str(error))
        self.assertEqual([], store_db.artifact_list(self.ctx))

    def test_snapshot_wait_starts_once_the_artifact_is_recorded(self):
        plugin = self.plugin(tres(action_wait_secs={'snapshot': 0.1}))
        data = self.snapshotted(plugin)
        self.assertFalse(plugin.check_snapshot_complete(data))
        self.clock.advance(0.09)
        self.assertFalse(plugin.check_snapshot_complete(data))
        self.clock.advance(0.02)
        self.assertTrue(plugin.check_snapshot_complete(data))

    def test_fresh_plugin_starts_the_wait_at_its_first_check(self):
        resource = tres(action_wait_secs={'snapshot': 0.05})
        data = self.snapshotted(self.plugin(resource))
        fresh = self.plugin(resource)
        # Long after the snapshot began, the fresh plugin still waits.
        self.clock.advance(3600)
        self.assertFalse(fresh.check_snapshot_complete(data))
        self.clock.advance(0.04)
        self.assertFalse(fresh.check_snapshot_complete(data))
        self.clock.advance(0.02)
        self.assertTrue(fresh.check_snapshot_complete(data))

    def test_no_wait_by_default(self):
        plugin = self.plugin(tres(wait_secs=5))
        self.assertTrue(plugin.check_snapshot_complete(
            self.snapshotted(plugin)))

    def test_delete_snapshot_removes_the_artifact(self):
        plugin = self.plugin(
            tres(action_wait_secs={'delete_snapshot': 0.05}))
        data = self.snapshotted(plugin)
        plugin.handle_delete_snapshot(data)
        self.assertEqual([], store_db.artifact_list(self.ctx))
        self.assertFalse(plugin.check_delete_snapshot_complete(data))
        self.clock.advance(0.04)
        self.assertFalse(plugin.check_delete_snapshot_complete(data))
        self.clock.advance(0.02)
        self.assertTrue(plugin.check_delete_snapshot_complete(data))
        # Already gone is fine.
        plugin.handle_delete_snapshot(data)
        self.assertTrue(self.plugin().check_delete_snapshot_complete(data))

    def test_delete_without_recorded_data_finds_the_artifact(self):
        self.snapshotted(self.plugin())
        self.plugin().handle_delete_snapshot({})
        self.assertEqual([], store_db.artifact_list(self.ctx))

    def test_fail_on_delete_snapshot_keeps_the_artifact(self):
        plugin = self.plugin(tres('t', fail_on=['delete_snapshot']))
        data = self.snapshotted(plugin)
        error = self.assertRaises(exception.ResourceFailure,
                                  plugin.handle_delete_snapshot, data)
        self.assertEqual('Test Resource failed t', str(error))
        self.assertIsNotNone(store_db.artifact_get(self.ctx,
                                                   data['artifact_id']))

    def test_restore_keeps_the_definition(self):
        definition = {'type': 'OS::Heat::TestResource',
                      'properties': {'value': 'v'}}
        self.assertEqual(definition, self.plugin().handle_restore(
            definition, {'value': 'v'}))
