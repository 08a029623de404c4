from alembic import context

from heat_snapshots.db import api as db_api
from heat_snapshots.db import migration
from heat_snapshots.db import models

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
