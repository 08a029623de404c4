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

"""heat-snapshots-manage: operator commands on the database.

``heat-snapshots-manage db sync`` brings the schema to the newest revision;
``heat-snapshots-manage db version`` prints the revision the database is at
(``None`` for a database that has never been synced). The database is
``[database] connection`` of heat.conf, as for the services::

    heat-snapshots-manage --config-file /etc/heat/heat.conf db sync
"""

import sys

from oslo_config import cfg
from oslo_db import exception as db_exc
from sqlalchemy import exc as sqla_exc

from heat_snapshots.common import service
from heat_snapshots import conf
from heat_snapshots.db import migration

CONF = conf.CONF


class DbCommands:
    """The ``db`` sub-commands; each returns the process exit status."""

    def sync(self):
        migration.upgrade('head')
        return 0

    def version(self):
        print(migration.version())
        return 0


def add_command_parsers(subparsers):
    db = DbCommands()
    parser = subparsers.add_parser(
        'db', help='Database schema commands.')
    # Without a default, "heat-snapshots-manage db" would fail with an
    # AttributeError instead of showing what it can do.
    parser.set_defaults(func=parser.print_help)
    db_parsers = parser.add_subparsers(title='db commands')

    sync = db_parsers.add_parser(
        'sync', help='Upgrade the schema to the newest revision.')
    sync.set_defaults(func=db.sync)

    version = db_parsers.add_parser(
        'version', help='Print the revision of the schema.')
    version.set_defaults(func=db.version)


command_opt = cfg.SubCommandOpt(
    'command', title='Commands', help='Available commands',
    handler=add_command_parsers)


def main(argv=None):
    if argv is None:
        argv = sys.argv
    CONF.register_cli_opt(command_opt)
    service.prepare_service(argv)
    try:
        return CONF.command.func()
    except (db_exc.DBError, sqla_exc.SQLAlchemyError) as e:
        # The operator needs the reason, not a traceback through alembic.
        print('ERROR: %s' % e, file=sys.stderr)
        return 1
    except ImportError as e:
        # Only PyMySQL comes with heat-snapshots; psycopg2 and the like are
        # the operator's choice.
        print('ERROR: the driver of [database] connection is not '
              'installed: %s' % e, file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())
