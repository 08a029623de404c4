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

"""Options for oslo-config-generator and the oslo_config sphinx extension."""

from oslo_config import cfg

from heat_snapshots.conf import api
from heat_snapshots.conf import clients
from heat_snapshots.conf import database
from heat_snapshots.conf import engine
from heat_snapshots.conf import heat
from heat_snapshots.conf import messaging
from heat_snapshots.conf import paths
from heat_snapshots.conf import snapshot_policies
from heat_snapshots.conf import templates
from heat_snapshots.conf import trusts
from heat_snapshots.conf import upgrade_levels

_MODULES = (paths, engine, api, database, upgrade_levels, clients, heat,
            templates, trusts, snapshot_policies)


def list_opts():
    groups = {}
    for module in _MODULES:
        for group, opts in module.list_opts().items():
            groups.setdefault(group, []).extend(opts)
    return sorted(groups.items())


def set_defaults(conf=None):
    """Defaults that differ from the libraries' own.

    oslo-config-generator calls this with no argument, for the global
    configuration the libraries' options are registered in.
    """
    messaging.set_defaults(conf or cfg.CONF)
