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

"""Base classes and fixtures for unit tests."""

import os
import tempfile
import threading
import warnings

import fixtures
from oslo_config import fixture as config_fixture
from oslo_db.sqlalchemy import enginefacade
from oslotest import base
import sqlalchemy
from sqlalchemy import exc as sqla_exc

from heat_snapshots.common import context
from heat_snapshots.common import policy
from heat_snapshots import conf
from heat_snapshots.db import api as db_api
from heat_snapshots.db import migration

CONF = conf.CONF

_template_lock = threading.Lock()
_template = None


def _migrated_template():
    """A migrated SQLite file's bytes, made once per test process."""
    global _template
    with _template_lock:
        if _template is None:
            with tempfile.TemporaryDirectory(prefix='hs-schema-') as tmp:
                path = os.path.join(tmp, 'template.sqlite')
                manager = enginefacade.transaction_context()
                manager.configure(connection='sqlite:///' + path)
                engine = manager.writer.get_engine()
                migration.upgrade(engine=engine)
                engine.dispose()
                with open(path, 'rb') as f:
                    _template = f.read()
        return _template


class Database(fixtures.Fixture):
    """A fresh, migrated SQLite database file behind db/api.py."""

    def _setUp(self):
        directory = self.useFixture(fixtures.TempDir()).path
        self.path = os.path.join(directory, 'heat-snapshots.sqlite')
        with open(self.path, 'wb') as f:
            f.write(_migrated_template())
        self.connection = 'sqlite:///' + self.path
        manager = enginefacade.transaction_context()
        manager.configure(connection=self.connection, sqlite_fk=True)
        manager.append_on_engine_create(db_api.setup_engine)
        self.engine = manager.writer.get_engine()
        reset = db_api.main_context_manager.patch_factory(manager)
        self.addCleanup(reset)
        self.addCleanup(self.engine.dispose)


class EmptyDatabase(fixtures.Fixture):
    """A SQLite file that db sync has never touched, behind db/api.py."""

    def _setUp(self):
        directory = self.useFixture(fixtures.TempDir()).path
        self.path = os.path.join(directory, 'empty.sqlite')
        manager = enginefacade.transaction_context()
        manager.configure(connection='sqlite:///' + self.path)
        self.engine = manager.writer.get_engine()
        self.addCleanup(db_api.main_context_manager.patch_factory(manager))
        self.addCleanup(self.engine.dispose)


class WarningsFixture(fixtures.Fixture):
    """SQLAlchemy's warnings are errors: they are bugs waiting to happen."""

    def _setUp(self):
        self._original = warnings.filters[:]
        warnings.simplefilter('once', DeprecationWarning)
        warnings.filterwarnings('error', category=sqla_exc.SAWarning)
        warnings.filterwarnings('error', module='heat_snapshots',
                                category=DeprecationWarning)
        self.addCleanup(self._reset)

    def _reset(self):
        warnings.filters[:] = self._original


class TestCase(base.BaseTestCase):
    """Config, policy and warnings fixtures; ``use_db`` adds a database."""

    use_db = False

    def setUp(self):
        super().setUp()
        self.useFixture(WarningsFixture())
        self.conf_fixture = self.useFixture(config_fixture.Config(CONF))
        CONF([], project='heat', default_config_files=[],
             default_config_dirs=[])
        self.state_path = self.useFixture(fixtures.TempDir()).path
        self.flags(state_path=self.state_path, group='heat_snapshots')
        # Quick polls so that waits in tests are short.
        self.flags(check_interval=0.01, group='heat_snapshots')
        policy.reset()
        self.addCleanup(policy.reset)
        if self.use_db:
            self.db = self.useFixture(Database())

    def statements(self, *starts):
        """A list of the SQL statements run from now on that start with
        one of ``starts``, growing as they run.
        """
        seen = []

        def executed(conn, cursor, statement, params, context, many):
            if statement.startswith(starts):
                seen.append(statement)
        engine = db_api.get_engine()
        sqlalchemy.event.listen(engine, 'before_cursor_execute', executed)
        self.addCleanup(sqlalchemy.event.remove, engine,
                        'before_cursor_execute', executed)
        return seen

    def checkouts(self):
        """A list of the connections taken from the pool from now on (one
        per transaction), growing as they are.
        """
        seen = []

        def connected(connection):
            seen.append(connection)
        engine = db_api.get_engine()
        sqlalchemy.event.listen(engine, 'engine_connect', connected)
        self.addCleanup(sqlalchemy.event.remove, engine, 'engine_connect',
                        connected)
        return seen

    def flags(self, group=None, **kw):
        for name, value in kw.items():
            self.conf_fixture.config(**{name: value, 'group': group})

    def make_context(self, project_id='project-a', user_id='user-a',
                     roles=('member', 'reader'), **kwargs):
        return context.RequestContext(project_id=project_id,
                                      user_id=user_id, roles=list(roles),
                                      **kwargs)
