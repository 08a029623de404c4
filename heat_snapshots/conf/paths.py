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

from oslo_config import cfg

GROUP = 'heat_snapshots'

_DEFAULT_STATE_PATH = os.path.join(
    os.path.expanduser('~'), '.local', 'share', 'heat-snapshots')

opts = [
    cfg.StrOpt('state_path',
               default=_DEFAULT_STATE_PATH,
               sample_default='~/.local/share/heat-snapshots',
               help='Directory where heat-snapshots keeps its state when '
                    'it runs on the embedded defaults: the SQLite database '
                    'and the local artifact store. Created when missing.'),
]


def state_path_def(*parts):
    """A default that follows ``state_path`` when the file sets it."""
    return os.path.join('${heat_snapshots.state_path}', *parts)


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
