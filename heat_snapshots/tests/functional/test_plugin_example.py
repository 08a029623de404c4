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

"""The plugin author's guide's example package, installed and loaded.

doc/source/contributor/example_plugin/ is a package of its own that adds
the resource type Example::Store::Object through the entry point group
heat_snapshots.resources. These tests install it the ways a deployer would
and check that the registry finds it by its type through stevedore.
"""

import configparser
import importlib.util
import os
import shutil
import subprocess
import sys

import fixtures

from heat_snapshots.engine.resources import base as plugin_base
from heat_snapshots.engine.resources import registry
from heat_snapshots.engine.stacks import base as stacks_base
from heat_snapshots.localstack import resource_types
from heat_snapshots.tests import base

_TOP_DIR = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))
EXAMPLE_DIR = os.path.join(_TOP_DIR, 'doc', 'source', 'contributor',
                           'example_plugin')
PACKAGE = 'heat_snapshots_example'
TYPE = 'Example::Store::Object'


def declared_entry_points():
    """The example's [options.entry_points], as entry_points.txt has them."""
    parser = configparser.ConfigParser(delimiters=('=',))
    parser.optionxform = str
    parser.read(os.path.join(EXAMPLE_DIR, 'setup.cfg'))
    groups = {}
    for group, value in parser.items('options.entry_points'):
        groups[group] = [line.strip() for line in value.splitlines()
                         if line.strip()]
    return groups


class ExamplePluginTest(base.TestCase):

    def setUp(self):
        super().setUp()
        # The registry loads the entry points once per process: start from
        # nothing and put back what was there.
        saved = registry._plugins
        registry._plugins = None
        self.addCleanup(setattr, registry, '_plugins', saved)
        # stevedore keeps each namespace's entry points per process too.
        self.useFixture(fixtures.MonkeyPatch(
            'stevedore.extension.ExtensionManager.ENTRY_POINT_CACHE', {}))
        self.addCleanup(self._forget_modules)
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def _forget_modules(self):
        for name in list(sys.modules):
            if name == PACKAGE or name.startswith(PACKAGE + '.'):
                del sys.modules[name]

    def _put_on_path(self, directory):
        self.useFixture(fixtures.MonkeyPatch('sys.path',
                                             [directory] + sys.path))

    def assert_loaded(self):
        cls = registry.plugin_class(TYPE)
        self.assertEqual('%s.plugin' % PACKAGE, cls.__module__)
        self.assertEqual('ObjectPlugin', cls.__name__)
        self.assertTrue(issubclass(cls, plugin_base.ResourcePlugin))
        # The built-in plugins load beside it.
        self.assertIs(resource_types.NoneResource,
                      registry.plugin_class('OS::Heat::None'))
        return cls

    def assert_works(self, cls):
        resource = stacks_base.Resource(
            name='notes', type=TYPE, physical_resource_id='object-1',
            properties={'content': 'first draft'})
        plugin = cls(self.make_context(), None, resource, 'snapshot-1')
        data = plugin.handle_snapshot()
        self.assertTrue(plugin.check_snapshot_complete(data))
        definition = {'type': TYPE, 'properties': {'content': 'changed'}}
        self.assertEqual(
            {'type': TYPE, 'properties': {'content': 'first draft'}},
            plugin.handle_restore(definition, data))
        self.assertEqual({'content': 'changed'}, definition['properties'])
        plugin.handle_delete_snapshot(data)
        self.assertTrue(plugin.check_delete_snapshot_complete(data))
        # Deleting twice is not an error.
        plugin.handle_delete_snapshot(data)

    def test_unknown_without_the_package(self):
        self.assertIs(plugin_base.ResourcePlugin,
                      registry.plugin_class(TYPE))

    def test_declares_its_type_in_our_group(self):
        self.assertEqual(
            {registry.NAMESPACE: [
                '%s = %s.plugin:ObjectPlugin' % (TYPE, PACKAGE)]},
            declared_entry_points())

    def test_loaded_from_an_installed_distribution(self):
        # What an installer leaves: the package and a .dist-info with its
        # entry points, in a directory on sys.path.
        shutil.copytree(os.path.join(EXAMPLE_DIR, PACKAGE),
                        os.path.join(self.tmp, PACKAGE))
        dist_info = os.path.join(
            self.tmp, 'heat_snapshots_example_plugin-1.0.0.dist-info')
        os.mkdir(dist_info)
        with open(os.path.join(dist_info, 'METADATA'), 'w') as f:
            f.write('Metadata-Version: 2.1\n'
                    'Name: heat-snapshots-example-plugin\n'
                    'Version: 1.0.0\n')
        with open(os.path.join(dist_info, 'entry_points.txt'), 'w') as f:
            for group, lines in declared_entry_points().items():
                f.write('[%s]\n%s\n\n' % (group, '\n'.join(lines)))
        self._put_on_path(self.tmp)
        self.assert_works(self.assert_loaded())

    def test_loaded_after_pip_install(self):
        # A real build and install, into a directory of its own. Offline:
        # no build isolation, so setuptools must be importable here.
        if importlib.util.find_spec('setuptools') is None:
            self.skipTest('setuptools is needed to build the example')
        # setuptools 70.1 and later build wheels themselves.
        if (importlib.util.find_spec('wheel') is None and
                importlib.util.find_spec(
                    'setuptools.command.bdist_wheel') is None):
            self.skipTest('setuptools>=70.1 or wheel is needed to build '
                          'the example')
        source = os.path.join(self.tmp, 'source')
        target = os.path.join(self.tmp, 'target')
        shutil.copytree(EXAMPLE_DIR, source)
        result = subprocess.run(
            [sys.executable, '-m', 'pip', 'install', '--quiet',
             '--no-index', '--no-deps', '--no-build-isolation',
             '--target', target, source],
            capture_output=True, text=True, timeout=300)
        self.assertEqual(0, result.returncode,
                         result.stdout + result.stderr)
        self._put_on_path(target)
        self.assert_works(self.assert_loaded())
