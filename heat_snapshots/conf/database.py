"""The [database] group is oslo.db's, shared with Heat."""

from oslo_db import options as db_options

from heat_snapshots.conf import paths

_DEFAULT_SQL_CONNECTION = 'sqlite:///' + paths.state_path_def(
    'heat-snapshots.sqlite')


def register_opts(conf):
    db_options.set_defaults(conf, connection=_DEFAULT_SQL_CONNECTION)


def list_opts():
    # The generator lists oslo.db's own options from its namespace; listing
    # them here too would print the [database] group twice.
    return {}
