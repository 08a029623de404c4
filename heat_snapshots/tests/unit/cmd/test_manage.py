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

"""heat-snapshots-manage's db commands, in this process.

The command run as an operator runs it: tests/functional/cmd/test_manage.py.
"""

import argparse
import io

import fixtures

from heat_snapshots.cmd import manage
from heat_snapshots.db import migration
from heat_snapshots.tests import base


class DbCommandsTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.database = self.useFixture(base.EmptyDatabase())
        self.stdout = self.useFixture(fixtures.MonkeyPatch(
            'sys.stdout', io.StringIO())).new_value

    def test_version_of_a_new_database_is_none(self):
        self.assertEqual(0, manage.DbCommands().version())
        self.assertEqual('None\n', self.stdout.getvalue())

    def test_sync_brings_the_schema_to_head_and_is_idempotent(self):
        commands = manage.DbCommands()
        self.assertEqual(0, commands.sync())
        self.assertEqual(0, commands.sync())
        self.assertEqual(migration.head(), migration.version())
        commands.version()
        self.assertEqual(migration.head() + '\n', self.stdout.getvalue())


class ParserTest(base.TestCase):

    def parse(self, *argv):
        parser = argparse.ArgumentParser()
        manage.add_command_parsers(parser.add_subparsers())
        return parser.parse_args(argv)

    def test_db_commands(self):
        self.assertEqual('sync', self.parse('db', 'sync').func.__name__)
        self.assertEqual('version',
                         self.parse('db', 'version').func.__name__)

    def test_bare_db_prints_help_not_an_error(self):
        self.assertEqual('print_help', self.parse('db').func.__name__)

    def test_unknown_command_is_refused(self):
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', io.StringIO()))
        self.assertRaises(SystemExit, self.parse, 'db', 'frobnicate')
