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

"""Resource plugins found by type through the entry point group."""

from heat_snapshots.engine.resources import base as plugin_base
from heat_snapshots.engine.resources import cinder
from heat_snapshots.engine.resources import nova
from heat_snapshots.engine.resources import registry
from heat_snapshots.tests import base


class _Plugin(plugin_base.ResourcePlugin):
    pass


class RegistryTest(base.TestCase):

    def setUp(self):
        super().setUp()
        # register() changes the process's table: restored afterwards.
        saved = dict(registry.plugins())
        self.addCleanup(lambda: (registry.plugins().clear(),
                                 registry.plugins().update(saved)))

    def test_our_plugins_come_from_the_entry_points(self):
        self.assertIs(cinder.CinderVolumePlugin,
                      registry.plugin_class('OS::Cinder::Volume'))
        self.assertIs(nova.NovaServerPlugin,
                      registry.plugin_class('OS::Nova::Server'))

    def test_a_type_without_plugin_keeps_its_data(self):
        self.assertIs(plugin_base.ResourcePlugin,
                      registry.plugin_class('OS::Neutron::Net'))

    def test_register_adds_and_replaces(self):
        registry.register('Example::Thing', _Plugin)
        self.assertIs(_Plugin, registry.plugin_class('Example::Thing'))
        registry.register('OS::Nova::Server', _Plugin)
        self.assertIs(_Plugin, registry.plugin_class('OS::Nova::Server'))
