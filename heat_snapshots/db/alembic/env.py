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

from alembic import context

from heat_snapshots.db import api as db_api
from heat_snapshots.db import migration
from heat_snapshots.db import models
# The store's tables are in the one schema, made by the one chain.
from heat_snapshots.localstack import models as localstack_models  # noqa

target_metadata = models.Base.metadata


def run_migrations_online():
    """Migrate over the caller's connection, or the configured engine.

    Offline (SQL script) mode is not supported: operators run
    ``heat-snapshots-manage db sync`` against the live database.
    """
    connection = context.config.attributes.get('connection')
    if connection is None:
        with db_api.get_engine().begin() as connection:
            _run(connection)
    else:
        _run(connection)


def _run(connection):
    context.configure(connection=connection,
                      target_metadata=target_metadata,
                      version_table=migration.VERSION_TABLE,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit('heat-snapshots migrations run online only.')
run_migrations_online()
