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

import argparse
import importlib.metadata
import types

from keystoneauth1 import session

from heat_snapshots_client import client
from heat_snapshots_client.osc import plugin
from heat_snapshots_client.tests.unit import base

GROUP = 'openstack.orchestration_snapshots.v1'


def _instance(auth, **config):
    return types.SimpleNamespace(
        session=session.Session(auth=auth), interface='internal',
        region_name='RegionTwo',
        _cli_options=types.SimpleNamespace(config=config))


class PluginTest(base.TestCase):

    def test_the_catalogs_endpoint(self):
        hs = plugin.make_client(_instance(self.auth))
        self.assertIsInstance(hs, client.Client)
        self.assertEqual(base.API, hs.base_url)
        self.assertEqual(('orchestration', 'internal', 'RegionTwo'), tuple(
            self.auth.asked[-1][k] for k in ('service_type', 'interface',
                                             'region_name')))

    def test_its_own_endpoint_and_service_type(self):
        hs = plugin.make_client(_instance(
            self.auth, heat_snapshots_endpoint='http://own.test:8004'))
        self.assertEqual('http://own.test:8004/v1/p1', hs.base_url)
        hs = plugin.make_client(_instance(
            self.auth, heat_snapshots_service_type='snapshots'))
        self.assertTrue(hs.base_url)
        self.assertEqual('snapshots', self.auth.asked[-1]['service_type'])

    def test_options(self):
        parser = plugin.build_option_parser(argparse.ArgumentParser())
        options = parser.parse_args([
            '--os-heat-snapshots-endpoint', 'http://own.test'])
        self.assertEqual(('1', 'http://own.test', 'orchestration'), (
            options.os_orchestration_snapshots_api_version,
            options.os_heat_snapshots_endpoint,
            options.os_heat_snapshots_service_type))


class EntryPointsTest(base.TestCase):
    """What openstackclient loads: every command imports, and no name is
    also one of python-heatclient's (openstackclient would keep either).
    """

    def test_every_command_loads(self):
        points = importlib.metadata.entry_points(group=GROUP)
        self.assertGreaterEqual(len(points), 18)
        for point in points:
            point.load()
        self.assertEqual(
            ['orchestration_snapshots'],
            [p.name for p in importlib.metadata.entry_points(
                group='openstack.cli.extension')
             if p.value == 'heat_snapshots_client.osc.plugin'])

    def test_no_name_of_python_heatclient(self):
        ours = {p.name for p in importlib.metadata.entry_points(group=GROUP)}
        heat = {p.name for p in importlib.metadata.entry_points(
            group='openstack.orchestration.v1')}
        if not heat:
            self.skipTest('python-heatclient is not installed')
        self.assertIn('stack_snapshot_create', heat)
        self.assertEqual(set(), ours & heat)
