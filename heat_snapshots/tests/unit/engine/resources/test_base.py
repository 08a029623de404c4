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

"""The plugin defaults: a type without a plugin keeps its own data."""

import types

from heat_snapshots.engine.resources import base as plugin_base
from heat_snapshots.tests import base


class ResourcePluginDefaultsTest(base.TestCase):

    def plugin(self, data):
        resource = types.SimpleNamespace(name='r', data=data)
        return plugin_base.ResourcePlugin(self.make_context(), None,
                                          resource, 'snap-1')

    def test_snapshot_is_a_copy_of_the_resources_data(self):
        data = {'value': 'kept'}
        plugin = self.plugin(data)
        snapshot = plugin.handle_snapshot()
        self.assertEqual({'value': 'kept'}, snapshot)
        # A copy: the stack's row changing later leaves the snapshot.
        data['value'] = 'changed'
        self.assertEqual({'value': 'kept'}, snapshot)
        self.assertEqual({}, self.plugin(None).handle_snapshot())
        self.assertTrue(plugin.check_snapshot_complete(snapshot))

    def test_restore_keeps_the_definition_and_delete_has_nothing_to_do(self):
        plugin = self.plugin({})
        definition = {'type': 'OS::Heat::None', 'properties': {}}
        self.assertIs(definition, plugin.handle_restore(definition, {}))
        self.assertIsNone(plugin.handle_delete_snapshot({}))
        self.assertTrue(plugin.check_delete_snapshot_complete({}))

    def test_artifacts_are_not_listed(self):
        self.assertIsNone(plugin_base.ResourcePlugin.list_artifacts(
            self.make_context()))
        self.assertRaises(NotImplementedError,
                          plugin_base.ResourcePlugin.delete_artifact,
                          self.make_context(), 'a1')

    def test_a_plugin_that_makes_its_snapshot_makes_an_artifact(self):
        # Unless it says otherwise: its artifact's id is then committed
        # before the snapshot waits for it.
        class Backup(plugin_base.ResourcePlugin):
            def handle_snapshot(self):
                return {'backup_id': 'b1'}

        class Value(plugin_base.ResourcePlugin):
            makes_artifact = False

            def handle_snapshot(self):
                return {'value': 'v'}

        class Restorer(plugin_base.ResourcePlugin):
            def handle_restore(self, definition, data):
                return definition

        self.assertFalse(plugin_base.ResourcePlugin.makes_artifact)
        self.assertTrue(Backup.makes_artifact)
        self.assertFalse(Value.makes_artifact)
        self.assertFalse(Restorer.makes_artifact)

    def test_records_of_a_type_default_to_each_plugins_record(self):
        class Tagged(plugin_base.ResourcePlugin):
            def record_snapshot(self, context, data):
                return dict(data, by=self.resource.name)

        ctx = self.make_context()
        plugins = [Tagged(ctx, None, types.SimpleNamespace(name=name,
                                                           data={}), 's')
                   for name in ('a', 'b')]
        self.assertEqual(
            [{'n': 1, 'by': 'a'}, {'n': 2, 'by': 'b'}],
            Tagged.record_snapshots(ctx, [(plugins[0], {'n': 1}),
                                          (plugins[1], {'n': 2})]))

    def test_a_snapshot_is_data_only_with_every_default_step(self):
        class Recorder(plugin_base.ResourcePlugin):
            makes_artifact = False

            @classmethod
            def record_snapshots(cls, context, recorded):
                return [data for _plugin, data in recorded]

        self.assertTrue(plugin_base.ResourcePlugin.snapshot_is_data())
        # Its records are writes to wait for: walked, not done at once.
        self.assertFalse(Recorder.snapshot_is_data())
