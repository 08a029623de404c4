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

"""heat-snapshots-manage, run as an operator runs it: in its own process."""

import importlib.util
import os

from heat_snapshots.db import migration
from heat_snapshots.tests.functional.cmd import base


class TestManageDb(base.CommandTestCase):

    def setUp(self):
        super().setUp()
        self.home = self.tmp
        self.db_path = os.path.join(self.tmp, 'hs.sqlite')
        self.write_conf('[database]\nconnection = sqlite:///%s\n'
                        % self.db_path)

    def manage(self, *args):
        return self.run_command('heat_snapshots.cmd.manage', *args)

    def test_version_of_a_new_database_is_none(self):
        result = self.manage('db', 'version')
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertEqual('None\n', result.stdout)

    def test_sync_then_version_prints_head(self):
        result = self.manage('db', 'sync')
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertEqual('', result.stdout)
        result = self.manage('db', 'version')
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertEqual(migration.head() + '\n', result.stdout)

    def test_sync_twice_succeeds(self):
        self.assertEqual(0, self.manage('db', 'sync').returncode)
        result = self.manage('db', 'sync')
        self.assertEqual(0, result.returncode, result.stderr)

    def test_default_database_is_under_local_share(self):
        # A config file without [database] uses the embedded default.
        self.write_conf('[DEFAULT]\n')
        result = self.manage('db', 'sync')
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertTrue(os.path.exists(os.path.join(
            self.home, '.local', 'share', 'heat-snapshots',
            'heat-snapshots.sqlite')))

    def test_state_path_moves_the_default_database(self):
        state = os.path.join(self.home, 'state')
        self.write_conf('[heat_snapshots]\nstate_path = %s\n' % state)
        result = self.manage('db', 'sync')
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertTrue(os.path.exists(
            os.path.join(state, 'heat-snapshots.sqlite')))

    def test_database_error_is_one_line_not_a_traceback(self):
        # A directory cannot be opened as a database.
        os.mkdir(self.db_path)
        self.write_conf('[database]\nconnection = sqlite:///%s\n'
                        'max_retries = 0\n' % self.db_path)
        result = self.manage('db', 'sync')
        self.assertEqual(1, result.returncode)
        self.assertIn('ERROR: ', result.stderr)
        self.assertNotIn('Traceback', result.stderr)

    def test_artifacts_audit_without_service_credentials(self):
        self.assertEqual(0, self.manage('db', 'sync').returncode)
        result = self.manage('artifacts', 'audit')
        self.assertEqual(1, result.returncode, result.stdout)
        self.assertEqual('', result.stdout)
        self.assertIn('ERROR: ', result.stderr)
        self.assertIn('[heat_snapshots_service_auth]', result.stderr)
        self.assertNotIn('Traceback', result.stderr)

    def test_artifacts_audit_of_an_empty_ledger(self):
        # Nothing recorded, so nothing to look up: Keystone is never
        # asked (the address answers nothing).
        self.write_conf(
            '[database]\nconnection = sqlite:///%s\n'
            '[heat_snapshots_service_auth]\nauth_type = password\n'
            'auth_url = http://127.0.0.1:9/v3\nusername = hs\n'
            'password = x\nproject_name = service\n'
            'user_domain_id = default\nproject_domain_id = default\n'
            % self.db_path)
        self.assertEqual(0, self.manage('db', 'sync').returncode)
        result = self.manage('artifacts', 'audit')
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn('Snapshots whose artifacts went missing: 0\n',
                      result.stdout)
        self.assertTrue(result.stdout.endswith(
            'Ledger entries examined: 0 (none); nothing was deleted\n'),
            result.stdout)

    def test_unknown_command_is_refused(self):
        result = self.manage('db', 'frobnicate')
        self.assertEqual(2, result.returncode)
        self.assertIn('invalid choice', result.stderr)

    def test_missing_driver_is_named(self):
        if importlib.util.find_spec('pg8000') is not None:
            self.skipTest('pg8000 is installed: no missing driver to use')
        self.write_conf('[database]\nconnection = '
                        'postgresql+pg8000://u@127.0.0.1/db\n'
                        'max_retries = 0\n')
        result = self.manage('db', 'sync')
        self.assertEqual(1, result.returncode)
        self.assertIn("ERROR: the driver of [database] connection is not "
                      "installed: No module named 'pg8000'", result.stderr)
        self.assertNotIn('Traceback', result.stderr)
