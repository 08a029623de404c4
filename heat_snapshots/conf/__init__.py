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

"""Configuration of heat-snapshots.

Options are read from heat.conf (project ``heat``), so a deployment keeps one
file for Heat and for us. ``CONF`` is the global object every service uses;
each group lives in its own module with ``register_opts`` and ``list_opts``.
"""

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

CONF = cfg.CONF

paths.register_opts(CONF)
engine.register_opts(CONF)
api.register_opts(CONF)
database.register_opts(CONF)
upgrade_levels.register_opts(CONF)
messaging.register_opts(CONF)
clients.register_opts(CONF)
heat.register_opts(CONF)
templates.register_opts(CONF)
trusts.register_opts(CONF)
snapshot_policies.register_opts(CONF)
