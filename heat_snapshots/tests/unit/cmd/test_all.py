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

"""heat-snapshots-all's start-up checks, in this process.

The command serving requests: tests/functional/cmd/test_api.py and
test_security.py.
"""

import fixtures

from heat_snapshots.cmd import all as all_cmd
from heat_snapshots.common import service
from heat_snapshots.conf import api as api_opts
from heat_snapshots.db import migration
from heat_snapshots.tests import base


class UpgradeSqliteTest(base.TestCase):

    def test_private_sqlite_file_is_migrated(self):
        database = self.useFixture(base.EmptyDatabase())
        self.flags(connection='sqlite:///' + database.path,
                   group='database')
        all_cmd.upgrade_sqlite(base.CONF)
        self.assertEqual(migration.head(), migration.version())

    def test_a_server_database_is_left_to_the_operator(self):
        database = self.useFixture(base.EmptyDatabase())
        self.flags(connection='mysql+pymysql://hs@db.example/hs',
                   group='database')
        all_cmd.upgrade_sqlite(base.CONF)
        self.assertIsNone(migration.version(database.engine))


class MainTest(base.TestCase):

    def setUp(self):
        super().setUp()
        # heat.conf is read by prepare_service (common/test_service.py);
        # the flags below stand for it. Serving starts processes: the
        # functional tests do that.
        self.useFixture(fixtures.MockPatchObject(service, 'prepare_service'))
        self.serve = self.useFixture(fixtures.MockPatchObject(
            service, 'serve')).mock
        # main() sets the embedded default on the global configuration.
        default, = [opt.default for opt in api_opts.opts
                    if opt.name == 'auth_strategy']
        self.addCleanup(base.CONF.set_default, 'auth_strategy', default,
                        group=api_opts.GROUP)

    def test_noauth_on_any_address_is_refused_before_listening(self):
        self.flags(bind_host='0.0.0.0', group='heat_snapshots_api')
        error = self.assertRaises(SystemExit, all_cmd.main,
                                  ['heat-snapshots-all'])
        self.assertIn('heat-snapshots-all: auth_strategy = noauth',
                      str(error.code))
        self.assertIn('allow_noauth_on_any_address', str(error.code))
        self.serve.assert_not_called()

    def test_noauth_is_the_embedded_default(self):
        self.flags(bind_host='0.0.0.0', group='heat_snapshots_api')
        self.assertRaises(SystemExit, all_cmd.main, ['heat-snapshots-all'])
        self.assertEqual('noauth',
                         base.CONF.heat_snapshots_api.auth_strategy)
