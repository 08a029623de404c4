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

from oslo_config import cfg

GROUP = 'upgrade_levels'

opts = [
    cfg.StrOpt('engine',
               help='Highest engine RPC API version the API may use, for '
                    'rolling upgrades: set it to the version of the oldest '
                    'engine still running. Unset means the newest.'),
    cfg.StrOpt('stacks',
               help='Highest RPC API version of the stack store\'s endpoint '
                    '(stack CRUD, namespace "stacks") the API may use, for '
                    'rolling upgrades: set it to the version of the oldest '
                    'engine still running. Unset means the newest.'),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
