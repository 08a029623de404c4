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

"""heat-snapshots-status upgrade check."""

import json
import os
import subprocess
import sys

import fixtures
from oslo_db.sqlalchemy import enginefacade
from oslo_upgradecheck import upgradecheck

from heat_snapshots.cmd import status
from heat_snapshots.db import api as db_api
from heat_snapshots.db import migration
from heat_snapshots.tests import base
from heat_snapshots.tests.unit.api import auth_fixture
from heat_snapshots.tests.unit.cmd import test_manage

Code = upgradecheck.Code


class EmptyDatabase(fixtures.Fixture):
    """A SQLite file that db sync has never touched, behind db/api.py."""

    def _setUp(self):
        directory = self.useFixture(fixtures.TempDir()).path
        self.path = os.path.join(directory, 'empty.sqlite')
        manager = enginefacade.transaction_context()
        manager.configure(connection='sqlite:///' + self.path)
        engine = manager.writer.get_engine()
        self.addCleanup(db_api.main_context_manager.patch_factory(manager))
        self.addCleanup(engine.dispose)


class TestDatabaseCheck(base.TestCase):

    def test_synced_database_passes(self):
        self.useFixture(base.Database())
        result = status.Checks()._check_database()
        self.assertEqual(Code.SUCCESS, result.code)
        self.assertIn(migration.head(), result.details)

    def test_empty_database_fails_with_the_fix(self):
        self.useFixture(EmptyDatabase())
        result = status.Checks()._check_database()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertEqual(
            'Database schema is at None, head is %s: run '
            'heat-snapshots-manage db sync' % migration.head(),
            result.details)

    def test_unreadable_database_fails(self):
        self.useFixture(EmptyDatabase())
        self.useFixture(fixtures.MockPatchObject(
            migration, 'version', side_effect=RuntimeError('gone away')))
        result = status.Checks()._check_database()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('gone away', result.details)


class TestConfigurationChecks(base.TestCase):

    def test_keystone_passes(self):
        self.useFixture(auth_fixture.KeystoneAuthtoken(self.conf_fixture))
        self.assertEqual(Code.SUCCESS, status.Checks()._check_auth().code)

    def test_keystone_without_authtoken_fails(self):
        result = status.Checks()._check_auth()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('[keystone_authtoken] lacks www_authenticate_uri, '
                      'auth_type,', result.details)
        self.assertIn('refuse to start', result.details)

    def test_keystone_without_credentials_fails(self):
        self.useFixture(auth_fixture.KeystoneAuthtoken(
            self.conf_fixture, dict(auth_fixture.COMPLETE, password=None)))
        result = status.Checks()._check_auth()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('[keystone_authtoken] lacks password,', result.details)

    def test_noauth_on_loopback_warns(self):
        self.flags(auth_strategy='noauth', group='heat_snapshots_api')
        self.assertEqual(Code.WARNING, status.Checks()._check_auth().code)

    def test_noauth_on_any_address_fails(self):
        self.flags(auth_strategy='noauth', bind_host='0.0.0.0',
                   group='heat_snapshots_api')
        result = status.Checks()._check_auth()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('allow_noauth_on_any_address', result.details)

    def test_noauth_on_any_address_allowed_warns(self):
        self.flags(auth_strategy='noauth', bind_host='0.0.0.0',
                   allow_noauth_on_any_address=True,
                   group='heat_snapshots_api')
        self.assertEqual(Code.WARNING, status.Checks()._check_auth().code)

    def test_in_process_transport_warns(self):
        self.flags(transport_url='fake:/')
        result = status.Checks()._check_transport()
        self.assertEqual(Code.WARNING, result.code)
        self.assertIn('heat-snapshots-all', result.details)

    def test_broker_passes(self):
        self.flags(transport_url='rabbit://heat:secret@mq.example.com:5672/')
        self.assertEqual(Code.SUCCESS,
                         status.Checks()._check_transport().code)

    def test_local_stack_driver_loads(self):
        self.assertEqual(Code.SUCCESS,
                         status.Checks()._check_stack_driver().code)

    def test_unknown_stack_driver_fails(self):
        self.flags(stack_driver='no-such-driver', group='heat_snapshots')
        result = status.Checks()._check_stack_driver()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('no-such-driver', result.details)


class TestStatusCommand(base.TestCase):
    """The command run as an operator runs it, on real SQLite files."""

    def setUp(self):
        super().setUp()
        self.home = self.useFixture(fixtures.TempDir()).path
        self.db_path = os.path.join(self.home, 'hs.sqlite')
        self.config_file = os.path.join(self.home, 'heat.conf')
        self._write_config('[database]\nconnection = sqlite:///%s\n'
                           % self.db_path)

    def _write_config(self, text):
        with open(self.config_file, 'w') as f:
            f.write(text)

    def _run(self, module, *args):
        env = dict(os.environ, HOME=self.home,
                   PYTHONPATH=os.pathsep.join(
                       filter(None, [test_manage._TOP_DIR,
                                     os.environ.get('PYTHONPATH')])))
        return subprocess.run(
            [sys.executable, '-m', module,
             '--config-file', self.config_file] + list(args),
            env=env, capture_output=True, text=True, timeout=120)

    def manage(self, *args):
        return self._run('heat_snapshots.cmd.manage', *args)

    def status(self, *args):
        return self._run('heat_snapshots.cmd.status', *args)

    def _checks(self, result):
        return {c['check']: c for c in json.loads(result.stdout)['checks']}

    def test_synced_database_passes(self):
        self.assertEqual(0, self.manage('db', 'sync').returncode)
        self._write_config('[DEFAULT]\ntransport_url = rabbit://mq/\n'
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
