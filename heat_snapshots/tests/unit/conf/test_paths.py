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

"""state_path and the defaults that follow it."""

from oslo_config import cfg

from heat_snapshots.conf import database
from heat_snapshots.conf import paths
from heat_snapshots.tests import base


class StatePathDefTest(base.TestCase):

    def test_default_follows_state_path_set_in_the_file(self):
        conf = cfg.ConfigOpts()
        paths.register_opts(conf)
        conf.register_opt(cfg.StrOpt(
            'db', default=paths.state_path_def('sub', 'x.sqlite')))
        conf([], default_config_files=[])
        conf.set_override('state_path', '/srv/hs', group=paths.GROUP)
        self.assertEqual('/srv/hs/sub/x.sqlite', conf.db)

    def test_database_default_lives_under_state_path(self):
        conf = cfg.ConfigOpts()
        paths.register_opts(conf)
        database.register_opts(conf)
        conf([], default_config_files=[])
        conf.set_override('state_path', '/var/lib/hs', group=paths.GROUP)
        self.assertEqual('sqlite:////var/lib/hs/heat-snapshots.sqlite',
                         conf.database.connection)
