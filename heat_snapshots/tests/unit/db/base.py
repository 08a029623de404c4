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

"""Opportunistic MariaDB and PostgreSQL tests, with oslo.db's test_fixtures.

A test class mixes in ``OpportunisticDBTestMixin`` (below) and names its
server with ``FIXTURE`` (``MySQLOpportunisticFixture``,
``PostgresqlOpportunisticFixture``): oslo.db creates a database with a
unique name for it and drops it afterwards, and replaces the engine of
``db/api.py`` with that database's.

The servers are oslo.db's ``OS_TEST_DBAPI_ADMIN_CONNECTION`` (URLs
separated by ";"), else

- ``HS_TEST_MYSQL_URL`` (default ``mysql+pymysql://root@127.0.0.1:3306/``)
- ``HS_TEST_POSTGRESQL_URL``
  (default ``postgresql+psycopg2://postgres@127.0.0.1:5432/postgres``)

given as URLs of an account that may create and drop databases.

A server that does not answer skips the tests, but with ``CI=true``: there
the servers are part of the test environment, and a missing one fails.
"""

import os

from oslo_db.sqlalchemy import provision
from oslo_db.sqlalchemy import test_fixtures
from oslo_db.sqlalchemy import utils

from heat_snapshots.db import api as db_api

MYSQL_URL = os.environ.get('HS_TEST_MYSQL_URL',
                           'mysql+pymysql://root@127.0.0.1:3306/')
POSTGRESQL_URL = os.environ.get(
    'HS_TEST_POSTGRESQL_URL',
    'postgresql+psycopg2://postgres@127.0.0.1:5432/postgres')


def _use_our_servers():
    """Our servers' URLs instead of oslo.db's openstack_citest defaults,
    unless oslo.db's own variable names the servers.
    """
    if os.environ.get('OS_TEST_DBAPI_ADMIN_CONNECTION'):
        return
    for url in (MYSQL_URL, POSTGRESQL_URL):
        url = utils.make_url(url)
        database_type = url.get_backend_name()
        provision.Backend.backends_by_database_type[database_type] = (
            provision.Backend(database_type, url))


_use_our_servers()


def skip_when_unavailable():
    """Skip a test whose server is missing, but fail under CI=true."""
    return os.environ.get('CI', '').lower() != 'true'


class OpportunisticDBTestMixin(test_fixtures.OpportunisticDBTestMixin):
    """oslo.db's mixin, but a missing server fails under CI=true."""

    @property
    def SKIP_ON_UNAVAILABLE_DB(self):
        return skip_when_unavailable()


class _OurFacade:
    """The database replaces the one of db/api.py's context manager."""

    def get_enginefacade(self):
        return db_api.main_context_manager


class MySQLOpportunisticFixture(_OurFacade,
                                test_fixtures.MySQLOpportunisticFixture):
    pass


class PostgresqlOpportunisticFixture(
        _OurFacade, test_fixtures.PostgresqlOpportunisticFixture):
    pass
