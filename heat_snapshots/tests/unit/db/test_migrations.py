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

SQLite always runs. MariaDB and PostgreSQL run when a server answers: each
test creates a database with a unique name and drops it afterwards, so the
tests can run in parallel and leave nothing behind. The servers are found at

- ``HS_TEST_MYSQL_URL`` (default ``mysql+pymysql://root@127.0.0.1:3306/``)
- ``HS_TEST_POSTGRESQL_URL``
  (default ``postgresql+psycopg2://postgres@127.0.0.1:5432/postgres``)

given as URLs of an account that may create and drop databases.
"""

import datetime
import os

from alembic import script as alembic_script
import fixtures
from oslo_db.sqlalchemy import enginefacade
from oslo_db.sqlalchemy import test_migrations
from oslo_utils import uuidutils
import sqlalchemy as sa

from heat_snapshots.common import context
from heat_snapshots.db import api as db_api
from heat_snapshots.db import migration
from heat_snapshots.db import models
from heat_snapshots.tests import base

_MYSQL_URL = os.environ.get('HS_TEST_MYSQL_URL',
                            'mysql+pymysql://root@127.0.0.1:3306/')
_POSTGRESQL_URL = os.environ.get(
    'HS_TEST_POSTGRESQL_URL',
    'postgresql+psycopg2://postgres@127.0.0.1:5432/postgres')


class SQLiteDatabase(fixtures.Fixture):
    """An empty SQLite file."""

    def unreachable(self):
        return None

    def _setUp(self):
        directory = self.useFixture(fixtures.TempDir()).path
        self.url = 'sqlite:///' + os.path.join(directory, 'hs.sqlite')


class _ServerDatabase(fixtures.Fixture):
    """A new database on a server, dropped at clean-up."""

    server_name = None
    admin_url = None

    def _admin_engine(self):
        return sa.create_engine(self.admin_url, isolation_level='AUTOCOMMIT',
                                connect_args={'connect_timeout': 5},
                                poolclass=sa.pool.NullPool)

    def unreachable(self):
        """Why the server cannot be used, or None when it can."""
        try:
            admin = self._admin_engine()
        except ImportError as e:
            return '%s driver not installed (%s)' % (self.server_name, e)
        try:
            with admin.connect():
                return None
        except sa.exc.OperationalError as e:
            reason = str(e.orig).strip().splitlines()[0]
            return '%s not reachable at %s:%s (%s)' % (
                self.server_name, admin.url.host, admin.url.port, reason)
        finally:
            admin.dispose()

    def _setUp(self):
        admin = self._admin_engine()
        self.addCleanup(admin.dispose)
        name = 'hs_test_' + uuidutils.generate_uuid(dashed=False)[:16]
        with admin.connect() as connection:
            connection.execute(sa.text('CREATE DATABASE %s' % name))
        self.addCleanup(self._drop, admin, name)
        self.url = admin.url.set(database=name).render_as_string(
            hide_password=False)

    def _drop(self, admin, name):
        with admin.connect() as connection:
            connection.execute(sa.text('DROP DATABASE %s' % name))


class MySQLDatabase(_ServerDatabase):
    server_name = 'MariaDB'
    admin_url = _MYSQL_URL


class PostgreSQLDatabase(_ServerDatabase):
    server_name = 'PostgreSQL'
    admin_url = _POSTGRESQL_URL


class _MigrationsMixin(test_migrations.ModelsMigrationsSync):
    """Checks shared by every backend; subclasses name the database."""

    def setUp(self):
        super().setUp()
        database = self.make_database()
        reason = database.unreachable()
        if reason:
            self.skipTest(reason)
        self.useFixture(database)
        self.engine = sa.create_engine(database.url,
                                       poolclass=sa.pool.NullPool)
        # Disposed before the fixture's cleanup drops the database.
        self.addCleanup(self.engine.dispose)

    def make_database(self):
        raise NotImplementedError()

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
            self.assertRaises(sa.exc.IntegrityError, connection.execute,
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

        # Through db/api.py, as the engine writes them, on this database.
        self._use_for_db_api()
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

    def _use_for_db_api(self):
        manager = enginefacade.transaction_context()
        manager.configure(connection=self.engine.url.render_as_string(
            hide_password=False))
        self.addCleanup(manager.writer.get_engine().dispose)
        self.addCleanup(db_api.main_context_manager.patch_factory(manager))


class TestMigrationsSQLite(_MigrationsMixin, base.TestCase):

    def make_database(self):
        return SQLiteDatabase()


class TestMigrationsMySQL(_MigrationsMixin, base.TestCase):

    def make_database(self):
        return MySQLDatabase()


class TestMigrationsPostgreSQL(_MigrationsMixin, base.TestCase):

    def make_database(self):
        return PostgreSQLDatabase()
