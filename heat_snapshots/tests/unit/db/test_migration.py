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

"""The migrations, walked revision by revision, against the models.

SQLite always runs; MariaDB and PostgreSQL run on oslo.db's opportunistic
fixtures (tests/unit/db/base.py): skipped when the server is missing, but
failed under CI=true.
"""


import datetime

from alembic import script as alembic_script
from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import test_migrations
from oslo_utils import uuidutils
import sqlalchemy as sa

from heat_snapshots.common import context
from heat_snapshots.db import api as db_api
from heat_snapshots.db import migration
from heat_snapshots.db import models
from heat_snapshots.tests import base
from heat_snapshots.tests.unit.db import base as db_base


class _MigrationsMixin(test_migrations.ModelsMigrationsSync):
    """Checks shared by every backend; subclasses name the database."""

    def setUp(self):
        super().setUp()
        self.engine = db_api.get_engine()

    # ModelsMigrationsSync hooks.

    def get_engine(self):
        return self.engine

    def get_metadata(self):
        return models.Base.metadata

    def db_sync(self, engine):
        migration.upgrade('head', engine=engine)

    def include_object(self, object_, name, type_, reflected, compare_to):
        # The version table belongs to alembic, not to the models.
        return not (type_ == 'table' and name == migration.VERSION_TABLE)

    # Our own checks.

    def _table_names(self):
        return set(sa.inspect(self.engine).get_table_names())

    def test_walk_versions(self):
        self.assertIsNone(migration.version(engine=self.engine))
        script = alembic_script.ScriptDirectory.from_config(
            migration._alembic_config())
        revisions = [r.revision for r in script.walk_revisions()]
        revisions.reverse()
        self.assertEqual(migration.head(), revisions[-1])
        for revision in revisions:
            migration.upgrade(revision, engine=self.engine)
            self.assertEqual(revision, migration.version(engine=self.engine))
            check = getattr(self, '_check_%s' % revision, None)
            if check is not None:
                check()

    def test_sync_twice_is_harmless(self):
        migration.upgrade('head', engine=self.engine)
        tables = self._table_names()
        migration.upgrade('head', engine=self.engine)
        self.assertEqual(tables, self._table_names())
        self.assertEqual(migration.head(),
                         migration.version(engine=self.engine))

    def test_every_table_is_prefixed(self):
        migration.upgrade('head', engine=self.engine)
        tables = self._table_names()
        self.assertIn('hs_alembic_version', tables)
        self.assertNotIn('alembic_version', tables)
        self.assertEqual([], sorted(t for t in tables
                                    if not t.startswith('hs_')))
        self.assertEqual(
            [], sorted(t for t in models.Base.metadata.tables
                       if not t.startswith(models.TABLE_PREFIX)))

    def test_heat_version_table_is_left_alone(self):
        # Heat's own schema is versioned in alembic_version; sharing its
        # database must neither read nor move Heat's revision.
        with self.engine.begin() as connection:
            connection.execute(sa.text(
                'CREATE TABLE alembic_version '
                '(version_num VARCHAR(32) NOT NULL)'))
            connection.execute(sa.text(
                "INSERT INTO alembic_version VALUES ('c6214ca60943')"))
        self.assertIsNone(migration.version(engine=self.engine))
        migration.upgrade('head', engine=self.engine)
        with self.engine.connect() as connection:
            heat = connection.execute(sa.text(
                'SELECT version_num FROM alembic_version')).scalars().all()
        self.assertEqual(['c6214ca60943'], heat)
        self.assertEqual(migration.head(),
                         migration.version(engine=self.engine))

    def test_resource_paths_of_any_length(self):
        # Issue 13 item 8: a deep ResourceGroup path overflowed the
        # VARCHAR(255) on MySQL and PostgreSQL.
        migration.upgrade('c4e8a2f61b37', engine=self.engine)
        snapshots = sa.table('hs_snapshots', *(
            sa.column(c) for c in ('id', 'stack_id', 'stack_name',
                                   'project_id', 'action', 'status',
                                   'created_at')))
        rows = sa.table('hs_resource_snapshots', *(
            sa.column(c) for c in ('snapshot_id', 'resource_name',
                                   'resource_type', 'action', 'status',
                                   'created_at')))
        now = datetime.datetime(2026, 12, 1)
        snapshot_id = uuidutils.generate_uuid()
        with self.engine.begin() as connection:
            connection.execute(snapshots.insert().values(
                id=snapshot_id, stack_id=uuidutils.generate_uuid(),
                stack_name='s', project_id='p', action='CREATE',
                status='COMPLETE', created_at=now))
            for name in ('group/0/server', 'gr\u00fcppe/0/\u670d\u52a1\u5668'):
                connection.execute(rows.insert().values(
                    snapshot_id=snapshot_id, resource_name=name,
                    resource_type='OS::Nova::Server', action='SNAPSHOT',
                    status='COMPLETE', created_at=now))
        migration.upgrade('head', engine=self.engine)

        path = '/'.join(['group', '0'] * 400)[:2000]
        self.assertEqual(2000, len(path))
        table = models.ResourceSnapshot.__table__
        values = dict(snapshot_id=snapshot_id, resource_name=path,
                      resource_type='OS::Nova::Server', action='SNAPSHOT',
                      status='COMPLETE', created_at=now)
        with self.engine.begin() as connection:
            connection.execute(table.insert().values(values))
        with self.engine.connect() as connection:
            stored = dict(connection.execute(sa.select(
                table.c.resource_name, table.c.resource_key)).all())
        # Rows written before the migration got the key the models give.
        self.assertEqual({name: models.path_key(name) for name in (
            'group/0/server', 'gr\u00fcppe/0/\u670d\u52a1\u5668', path)},
            stored)
        # Still one row per path and snapshot.
        with self.engine.begin() as connection:
            # oslo.db's engine: its duplicate-entry error.
            self.assertRaises(db_exc.DBDuplicateEntry, connection.execute,
                              table.insert().values(values))
        ledger = models.LedgerEntry.__table__
        with self.engine.begin() as connection:
            connection.execute(ledger.insert().values(
                id=uuidutils.generate_uuid(), plugin='OS::Nova::Server',
                project_id='p', name='heat-snapshots-x',
                snapshot_id=snapshot_id, resource_name=path,
                installation_id=uuidutils.generate_uuid(),
                state='PENDING', created_at=now))
        with self.engine.connect() as connection:
            self.assertEqual([path], connection.execute(
                sa.select(ledger.c.resource_name)).scalars().all())

        # Through db/api.py, as the engine writes them, on this database
        # (behind db/api.py already: base.EmptyDatabase or oslo.db's).
        ctx = context.get_admin_context()
        deeper = path + '/server'
        db_api.resource_snapshot_set(ctx, snapshot_id, deeper, {
            'resource_type': 'OS::Nova::Server', 'action': 'SNAPSHOT',
            'status': 'IN_PROGRESS'}, new=True)
        db_api.resource_snapshot_set(ctx, snapshot_id, deeper,
                                     {'status': 'COMPLETE'})
        self.assertEqual(
            {'group/0/server': 'COMPLETE', path: 'COMPLETE',
             'gr\u00fcppe/0/\u670d\u52a1\u5668': 'COMPLETE',
             deeper: 'COMPLETE'},
            {r.resource_name: r.status
             for r in db_api.resource_snapshot_list(ctx, snapshot_id)})
        entry = db_api.ledger_create(ctx, {
            'plugin': 'OS::Nova::Server', 'project_id': 'p',
            'name': 'heat-snapshots-y', 'snapshot_id': snapshot_id,
            'resource_name': deeper,
            'installation_id': db_api.installation_id(ctx)})
        # Recorded on the database's clock: not yet a minute old.
        self.assertNotIn(entry.id, [e.id for e in db_api.ledger_list_live(
            ctx, min_age=60)])
        self.assertIn(entry.id, [e.id for e in db_api.ledger_list_live(
            ctx, min_age=0)])


class TestMigrationsSQLite(_MigrationsMixin, base.TestCase):

    def setUp(self):
        # An empty file behind db/api.py, in place of a server's database.
        self.useFixture(base.EmptyDatabase())
        super().setUp()


class TestMigrationsMySQL(db_base.OpportunisticDBTestMixin,
                          _MigrationsMixin, base.TestCase):
    FIXTURE = db_base.MySQLOpportunisticFixture


class TestMigrationsPostgreSQL(db_base.OpportunisticDBTestMixin,
                               _MigrationsMixin, base.TestCase):
    FIXTURE = db_base.PostgresqlOpportunisticFixture
