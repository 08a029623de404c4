#!/usr/bin/env python3
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

"""Time a transaction updating N resources' snapshot rows, two ways.

What a batch of walk ends writes (db_api.upsert_many's UPDATE path), on
an empty database: one UPDATE joined to the rows' values (the way used on
MariaDB, MySQL and PostgreSQL) and an executemany (the way before, and
SQLite's), alternated round after round; prints the medians of the
rounds' wall and CPU milliseconds per transaction.

    python tools/update_many_time.py --rows 24 \
        --connection mysql+pymysql://root@127.0.0.1/empty
"""

import argparse
import statistics
import time

from heat_snapshots.common import context
from heat_snapshots import conf
from heat_snapshots.db import api as db_api
from heat_snapshots.db import migration

CONF = conf.CONF


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--connection', required=True,
                        help='[database] connection of an empty database')
    parser.add_argument('--rows', type=int, default=10)
    parser.add_argument('--rounds', type=int, default=6)
    parser.add_argument('--transactions', type=int, default=200,
                        help='per way and round')
    args = parser.parse_args()

    CONF([], project='heat', default_config_files=[],
         default_config_dirs=[])
    CONF.set_override('connection', args.connection, 'database')
    db_api.configure(CONF)
    migration.upgrade()
    ctx = context.RequestContext(project_id='p', user_id='u',
                                 is_admin=True)
    snapshot = db_api.snapshot_create(ctx, {
        'stack_id': 's', 'stack_name': 's', 'project_id': 'p',
        'action': 'CREATE', 'status': 'IN_PROGRESS'})
    names = ['r%03d' % i for i in range(args.rows)]
    db_api.resource_snapshot_set_many(ctx, [
        (snapshot.id, name, {'resource_type': 'T', 'action': 'SNAPSHOT',
                             'status': 'IN_PROGRESS'}) for name in names],
        new=True)

    def update(i):
        db_api.run_in_transaction(
            ctx, lambda: db_api.resource_snapshot_set_many(ctx, [
                (snapshot.id, name, {
                    'status': 'COMPLETE' if i % 2 else 'IN_PROGRESS',
                    'status_reason': 'state changed',
                    'data': {'artifact_id': name, 'i': i}})
                for name in names]))

    joined = db_api._JOINED_UPDATES
    ways = {'executemany': (), 'joined': joined}
    figures = {way: [] for way in ways}
    try:
        for _ in range(args.rounds):
            for way, dialects in ways.items():
                db_api._JOINED_UPDATES = dialects
                for i in range(20):
                    update(i)
                wall, cpu = time.perf_counter(), time.process_time()
                for i in range(args.transactions):
                    update(i)
                figures[way].append((
                    (time.perf_counter() - wall) / args.transactions,
                    (time.process_time() - cpu) / args.transactions))
    finally:
        db_api._JOINED_UPDATES = joined
    for way, runs in figures.items():
        print('rows=%d %-11s wall %.2f ms (%s) cpu %.2f ms (%s)' % (
            args.rows, way,
            1000 * statistics.median(w for w, _ in runs),
            ' '.join('%.2f' % (1000 * w) for w, _ in runs),
            1000 * statistics.median(c for _, c in runs),
            ' '.join('%.2f' % (1000 * c) for _, c in runs)))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
