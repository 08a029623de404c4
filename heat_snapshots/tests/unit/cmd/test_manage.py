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

"""heat-snapshots-manage's commands, in this process.

The command run as an operator runs it: tests/functional/cmd/test_manage.py.
"""

import argparse
import io

import fixtures

from heat_snapshots.cmd import manage
from heat_snapshots.db import api as db_api
from heat_snapshots.db import migration
from heat_snapshots.engine import reconciler
from heat_snapshots.engine.stacks import base as stacks_base
from heat_snapshots.tests import base
from heat_snapshots.tests.unit.engine.resources import fakes


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


class ArtifactsAuditTest(fakes.LedgerTestCase):
    """``artifacts audit``: what it prints; it deletes nothing."""

    def test_prints_orphans_and_missing_and_deletes_nothing(self):
        self.use_service_user()
        snapshot_id, backup_id, image_id = self.our_orphans()
        foreign = self.foreign(snapshot_id)
        kept = self.snapshot()
        lost = self.make(kept.id, stacks_base.Resource(
            name='vol', type='OS::Cinder::Volume',
            physical_resource_id='vol-1'))
        db_api.resource_snapshot_set(self.ctx, kept.id, 'vol', {
            'resource_type': 'OS::Cinder::Volume', 'action': 'SNAPSHOT',
            'status': 'COMPLETE', 'data': {'backup_id': lost}})
        # Deleted by someone else, behind our back.
        del self.cinder.backups[lost]

        lines = manage.format_audit(self.admin, reconciler.audit(self.admin))
        print('\n'.join(lines))

        text = '\n'.join(lines)
        self.assertIn('Orphaned artifacts (the reconciler deletes them once '
                      'older than reconcile_min_age): 2', text)
        self.assertIn('OS::Cinder::Volume %s name=heat-snapshots-%s-vol-'
                      % (backup_id, snapshot_id), text)
        self.assertIn('resource=group/0/vol', text)
        self.assertIn('OS::Nova::Server %s' % image_id, text)
        self.assertIn('Artifacts missing out of band (recorded, gone from '
                      'the cloud): 1', text)
        self.assertIn('Snapshots whose artifacts went missing: 1\n'
                      '  %s: stack stack (%s), CREATE COMPLETE; missing: %s'
                      % (kept.id, fakes.STACK_ID, lost), text)
        self.assertIn('without its markers: 2', text)
        self.assertIn('its owner is project-b, not project-a', text)
        self.assertIn('nothing was deleted', text)
        self.assertEqual([], self.deleted())
        self.assertEqual(7, len(foreign))

    def test_command_prints_the_report(self):
        self.use_service_user()
        self.our_orphans()
        stdout = self.useFixture(fixtures.MonkeyPatch(
            'sys.stdout', io.StringIO())).new_value
        self.assertEqual(0, manage.ArtifactCommands().audit())
        self.assertIn('Orphaned artifacts (the reconciler deletes them once '
                      'older than reconcile_min_age): 2', stdout.getvalue())
        self.assertEqual([], self.deleted())

    def test_without_service_credentials_it_says_so(self):
        stderr = self.useFixture(fixtures.MonkeyPatch(
            'sys.stderr', io.StringIO())).new_value
        self.assertEqual(1, manage.ArtifactCommands().audit())
        self.assertIn('no service credentials in '
                      '[heat_snapshots_service_auth]', stderr.getvalue())


class ParserTest(base.TestCase):

    def parse(self, *argv):
        parser = argparse.ArgumentParser()
        manage.add_command_parsers(parser.add_subparsers())
        return parser.parse_args(argv)

    def test_db_commands(self):
        self.assertEqual('sync', self.parse('db', 'sync').func.__name__)
        self.assertEqual('version',
                         self.parse('db', 'version').func.__name__)

    def test_artifacts_audit(self):
        self.assertEqual('audit',
                         self.parse('artifacts', 'audit').func.__name__)

    def test_bare_db_prints_help_not_an_error(self):
        self.assertEqual('print_help', self.parse('db').func.__name__)

    def test_unknown_command_is_refused(self):
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', io.StringIO()))
        self.assertRaises(SystemExit, self.parse, 'db', 'frobnicate')
