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

"""Stacks of the local store created at once, through the API.

Starts a benchmark deployment (benchmarks/target.py) and has ``--clients``
threads create ``--stacks`` stacks of ``--resources`` OS::Heat::None, each
once; prints how many creates failed (with their first answers) and, on
MariaDB, how many of its row locks were waited for and how many of its
transactions deadlocked meanwhile (its global status counters, so the
server is to be otherwise idle):

    PYTHONPATH=. python tools/concurrent_creates.py --stacks 200
"""

import argparse
import time
import uuid

import sqlalchemy as sa

from benchmarks import launcher
from benchmarks import suites
from benchmarks import target as targets

COUNTERS = ('Innodb_row_lock_waits', 'Innodb_deadlocks')


def lock_counters():
    """MariaDB's counters of row lock waits and deadlocks."""
    engine = sa.create_engine(launcher.mysql_url())
    try:
        with engine.connect() as connection:
            return dict(connection.execute(sa.text(
                'SHOW GLOBAL STATUS WHERE Variable_name IN %s'
                % (COUNTERS,))).all())
    finally:
        engine.dispose()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--deployment', default='mysql')
    parser.add_argument('--stacks', type=int, default=200)
    parser.add_argument('--resources', type=int, default=20)
    parser.add_argument('--clients', type=int, default=8)
    args = parser.parse_args()
    target = targets.start(args.deployment)
    try:
        run = uuid.uuid4().hex[:6]
        resources = suites._resources(args.resources, 'OS::Heat::None')
        counters = (lock_counters() if args.deployment == 'mysql'
                    else None)

        def create(i):
            project = target.for_project('%s-%s-%02d' % (target.project,
                                                         run, i // 10))
            project.create_stack(resources, name='create-%03d' % i)
        started = time.monotonic()
        failed = suites._in_threads(args.clients, range(args.stacks),
                                    create)
        wall = time.monotonic() - started
        if counters is not None:
            after = lock_counters()
            counters = ', '.join(
                '%s %d' % (name, int(after[name]) - int(counters[name]))
                for name in COUNTERS)
    finally:
        targets.stop(target)
    print('%d stacks of %d resources, %d clients, %s: %.1f s, %d failed%s'
          % (args.stacks, args.resources, args.clients, args.deployment,
             wall, len(failed), '; ' + counters if counters else ''))
    for _i, error in failed[:3]:
        print('  %s' % str(error)[:200])
    return 1 if failed else 0


if __name__ == '__main__':
    raise SystemExit(main())
