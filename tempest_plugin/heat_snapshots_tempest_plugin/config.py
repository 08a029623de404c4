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

"""The plugin's options: ``[service_available] heat_snapshots`` and the
``[heat_snapshots]`` group.
"""

from oslo_config import cfg

service_option = cfg.BoolOpt(
    'heat_snapshots', default=False,
    help='Whether the heat-snapshots API is expected to be available.')

heat_snapshots_group = cfg.OptGroup(
    name='heat_snapshots', title='heat-snapshots options')

HeatSnapshotsGroup = [
    cfg.StrOpt('catalog_type', default='stack-snapshots',
               help='The service type of the snapshot API in the catalog: '
                    'stack-snapshots for heat-snapshots-api, orchestration '
                    'when heat-api serves the routes through the '
                    'heat-snapshots filter.'),
    cfg.StrOpt('endpoint_type', default='publicURL',
               choices=['public', 'admin', 'internal',
                        'publicURL', 'adminURL', 'internalURL'],
               help='The endpoint type of the snapshot API.'),
    cfg.StrOpt('region', default='',
               help='The region of the snapshot API; empty: the identity '
                    'region.'),
    cfg.IntOpt('build_timeout', default=300,
               help='Seconds to wait for a stack or a snapshot to reach a '
                    'status.'),
    cfg.FloatOpt('build_interval', default=1.0,
                 help='Seconds between two status checks.'),
    cfg.BoolOpt('heat_endpoint', default=False,
                help="Whether the endpoint is Heat's heat-api with the "
                     'heat-snapshots filter in its pipeline (stacks are '
                     "Heat's). The tests that need the local stack store's "
                     'OS::Heat::TestResource snapshot wait are skipped.'),
    cfg.IntOpt('snapshot_wait_secs', default=10, min=1,
               help='How long the slow snapshot of the busy-stack tests '
                    'lasts: long enough for a few requests.'),
]
