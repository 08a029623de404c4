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

import os

from tempest import config
from tempest.test_discover import plugins

from heat_snapshots_tempest_plugin import config as hs_config


class HeatSnapshotsTempestPlugin(plugins.TempestPlugin):

    def load_tests(self):
        base_path = os.path.split(os.path.dirname(
            os.path.abspath(__file__)))[0]
        test_dir = 'heat_snapshots_tempest_plugin/tests'
        full_test_dir = os.path.join(base_path, test_dir)
        return full_test_dir, base_path

    def register_opts(self, conf):
        config.register_opt_group(conf, config.service_available_group,
                                  [hs_config.service_option])
        config.register_opt_group(conf, hs_config.heat_snapshots_group,
                                  hs_config.HeatSnapshotsGroup)

    def get_opt_lists(self):
        return [
            (hs_config.heat_snapshots_group.name,
             hs_config.HeatSnapshotsGroup),
            (config.service_available_group.name,
             [hs_config.service_option]),
        ]

    def get_service_clients(self):
        params = config.service_client_config('heat_snapshots')
        params.update({
            'name': 'heat_snapshots',
            'service_version': 'heat_snapshots.v1',
            'module_path': 'heat_snapshots_tempest_plugin.services',
            'client_names': ['SnapshotsClient'],
        })
        return [params]
