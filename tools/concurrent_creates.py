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
once; with ``--lifecycle``, then snapshot each, restore it, delete the
snapshot, snapshot it again and delete the stack, every stack at once in
each phase. Prints, per phase, how many calls failed (with their first
answers) and, on MariaDB, how many of its row locks were waited for and
for how long in all, and how many of its transactions deadlocked
meanwhile (its global status counters, so the server is to be otherwise
idle):

    PYTHONPATH=. python tools/concurrent_creates.py --stacks 200
"""

import argparse
import time
import uuid

import sqlalchemy as sa

from benchmarks import launcher
from benchmarks import suites
from benchmarks import target as targets

# (Innodb_row_lock_time: the milliseconds they were waited for.)
COUNTERS = ('Innodb_row_lock_waits', 'Innodb_row_lock_time',
            'Innodb_deadlocks')


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


class Stacks:
    """The stacks of one run, each in a project of ten."""

    def __init__(self, target, count, resources):
        run = uuid.uuid4().hex[:6]
        self.projects = [target.for_project('%s-%s-%02d' % (
            target.project, run, i // 10)) for i in range(count)]
        self.resources = resources
        self.paths = [None] * count
        self.snapshots = [None] * count

    def create(self, i):
        self.paths[i] = self.projects[i].create_stack(
            self.resources, name='create-%03d' % i)

    def snapshot(self, i):
        project = self.projects[i]
        self.snapshots[i] = project.snapshot(self.paths[i])
        project.wait_snapshot(self.paths[i], self.snapshots[i])

    def restore(self, i):
        self.projects[i].restore(self.paths[i], self.snapshots[i])
        self.projects[i].wait_stack(self.paths[i], 'RESTORE_COMPLETE')

    def delete_snapshot(self, i):
        self.projects[i].delete_snapshot(self.paths[i], self.snapshots[i])

    def delete_stack(self, i):
        self.projects[i].delete_stack(self.paths[i])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--deployment', default='mysql')
    parser.add_argument('--stacks', type=int, default=200)
    parser.add_argument('--resources', type=int, default=20)
    parser.add_argument('--clients', type=int, default=8)
    parser.add_argument('--lifecycle', action='store_true')
    args = parser.parse_args()
    # (phase, the Stacks method each client calls)
    phases = [('create', 'create')]
    if args.lifecycle:
        phases += [('snapshot', 'snapshot'), ('restore', 'restore'),
                   ('delete snapshot', 'delete_snapshot'),
                   ('snapshot again', 'snapshot'),
                   ('delete stack', 'delete_stack')]
    target = targets.start(args.deployment)
    failures = 0
    try:
        stacks = Stacks(target, args.stacks, suites.template_resources(
            args.resources, 'OS::Heat::None'))
        print('%d stacks of %d resources, %d clients, %s' % (
            args.stacks, args.resources, args.clients, args.deployment))
        for name, method in phases:
            before = (lock_counters() if args.deployment == 'mysql'
                      else None)
            started = time.monotonic()
            failed = suites._in_threads(args.clients, range(args.stacks),
                                        getattr(stacks, method))
            wall = time.monotonic() - started
            locks = ''
            if before is not None:
                after = lock_counters()
                locks = '; ' + ', '.join(
                    '%s %d' % (key, int(after[key]) - int(before[key]))
                    for key in COUNTERS)
            print('%s: %.1f s, %d failed%s' % (name, wall, len(failed),
                                               locks))
            for _i, error in failed[:3]:
                print('  %s' % str(error)[:200])
            failures += len(failed)
            if failed:
                break
    finally:
        targets.stop(target)
    return 1 if failures else 0


if __name__ == '__main__':
    raise SystemExit(main())
