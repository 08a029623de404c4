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

"""JSON columns: round trip, NULL, and room for a whole snapshot on MySQL."""

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from heat_snapshots.db import types
from heat_snapshots.tests import base


class JsonTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.engine = sa.create_engine('sqlite://')
        self.addCleanup(self.engine.dispose)
        self.table = sa.Table('docs', sa.MetaData(),
                              sa.Column('id', sa.Integer, primary_key=True),
                              sa.Column('doc', types.Json))
        self.table.create(self.engine)

    def store(self, value):
        with self.engine.begin() as connection:
            connection.execute(self.table.insert().values(id=1, doc=value))
            raw = connection.execute(sa.text(
                'SELECT doc FROM docs')).scalar()
            loaded = connection.execute(
                sa.select(self.table.c.doc)).scalar()
        return raw, loaded

    def test_round_trip(self):
        value = {'template': {'resources': {'a': [1, 'é', None]}}}
        raw, loaded = self.store(value)
        self.assertIsInstance(raw, str)
        self.assertEqual(value, loaded)

    def test_none_is_null_not_the_text_null(self):
        raw, loaded = self.store(None)
        self.assertIsNone(raw)
        self.assertIsNone(loaded)

    def test_longtext_on_mysql_text_elsewhere(self):
        # TEXT stops at 64 KiB on MySQL: a snapshot's data would not fit.
        def ddl(dialect):
            return str(sa.schema.CreateTable(self.table).compile(
                dialect=dialect))
        self.assertIn('doc LONGTEXT', ddl(mysql.dialect()))
        self.assertNotIn('LONGTEXT', ddl(postgresql.dialect()))
        self.assertIn('doc TEXT', ddl(sqlite.dialect()))
