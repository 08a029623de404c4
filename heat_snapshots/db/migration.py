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

"""Schema migrations with alembic: upgrade only.

The version table is ``hs_alembic_version`` so that the schema can share a
database with Heat, whose own tables and version table are left alone.
"""

import os

from alembic import command as alembic_command
from alembic import config as alembic_config
from alembic import migration as alembic_migration
from alembic import script as alembic_script

from heat_snapshots.db import api as db_api
from heat_snapshots.db import models
# The store's tables are in the one schema, made by the one chain.
from heat_snapshots.localstack import models as localstack_models  # noqa

VERSION_TABLE = 'hs_alembic_version'


def _alembic_config():
    path = os.path.join(os.path.dirname(__file__), 'alembic.ini')
    config = alembic_config.Config(path)
    config.set_main_option('script_location',
                           'heat_snapshots.db:alembic')
    return config


def upgrade(revision='head', engine=None):
    """Bring the schema to ``revision``."""
    engine = engine or db_api.get_engine()
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes['connection'] = connection
        alembic_command.upgrade(config, revision)


def version(engine=None):
    """The schema's current revision, or None for an empty database."""
    engine = engine or db_api.get_engine()
    with engine.connect() as connection:
        context = alembic_migration.MigrationContext.configure(
            connection, opts={'version_table': VERSION_TABLE})
        return context.get_current_revision()


def head():
    return alembic_script.ScriptDirectory.from_config(
        _alembic_config()).get_current_head()


def stamp(revision, engine=None):
    engine = engine or db_api.get_engine()
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes['connection'] = connection
        alembic_command.stamp(config, revision)


def create_schema(engine=None):
    """Create the tables from the models and stamp head (tests only)."""
    engine = engine or db_api.get_engine()
    models.Base.metadata.create_all(engine)
    stamp('head', engine=engine)
