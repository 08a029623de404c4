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

"""heat-snapshots-status upgrade check, run as an operator runs it."""

import json
import os

from oslo_upgradecheck import upgradecheck

from heat_snapshots.db import migration
from heat_snapshots.tests.functional.cmd import base
from heat_snapshots.tests.unit.api import auth_fixture

Code = upgradecheck.Code


class TestStatusCommand(base.CommandTestCase):
    """The command run as an operator runs it, on real SQLite files."""

    def setUp(self):
        super().setUp()
        self.db_path = os.path.join(self.tmp, 'hs.sqlite')
        self.write_conf('[database]\nconnection = sqlite:///%s\n'
                        % self.db_path)

    def manage(self, *args):
        return self.run_command('heat_snapshots.cmd.manage', *args)

    def status(self, *args):
        return self.run_command('heat_snapshots.cmd.status', *args)

    def _checks(self, result):
        return {c['check']: c for c in json.loads(result.stdout)['checks']}

    def test_synced_database_passes(self):
        self.assertEqual(0, self.manage('db', 'sync').returncode)
        self.write_conf('[DEFAULT]\ntransport_url = rabbit://mq/\n'
                        '[database]\nconnection = sqlite:///%s\n'
                        '[keystone_authtoken]\n%s\n'
                        % (self.db_path, '\n'.join(
                            '%s = %s' % item for item in
                            auth_fixture.COMPLETE.items())))
        result = self.status('upgrade', 'check')
        self.assertEqual(0, result.returncode, result.stdout + result.stderr)
        self.assertIn('Database schema is at head', result.stdout)

    def test_empty_database_fails_clearly(self):
        result = self.status('upgrade', 'check', '--json')
        self.assertEqual(2, result.returncode, result.stdout + result.stderr)
        database = self._checks(result)['Database schema']
        self.assertEqual(Code.FAILURE, database['result'])
        self.assertEqual(
            'Database schema is at None, head is %s: run '
            'heat-snapshots-manage db sync' % migration.head(),
            database['details'])
