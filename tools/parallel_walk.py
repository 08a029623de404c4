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

"""Time a parallel snapshot walk on the local driver.

N independent OS::Heat::TestResource whose snapshot waits D seconds, with
walk_concurrency C: prints the wall time from the snapshot request until it
is COMPLETE against the ideal D * ceil(N / C).

    python tools/parallel_walk.py --resources 20 --wait 1 --concurrency 10
    python tools/parallel_walk.py --resources 50 --wait 0.5 \
        --concurrency 50 --runs 3 --connection mysql+pymysql://root@/db
"""

import argparse
import math
import os
import statistics
import sys
import tempfile
import time

from heat_snapshots.common import context
from heat_snapshots.common import service
from heat_snapshots import conf
from heat_snapshots.db import api as db_api
from heat_snapshots.db import migration
from heat_snapshots.engine import manager

CONF = conf.CONF


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--resources', type=int, default=20)
    parser.add_argument('--wait', type=float, default=1.0)
    parser.add_argument('--concurrency', type=int, default=10)
    parser.add_argument('--chain', action='store_true',
                        help='each resource depends on the previous one')
    parser.add_argument('--workers', type=int,
                        help='walk_workers (default: its default)')
    parser.add_argument('--runs', type=int, default=1,
                        help='snapshots taken one after the other; the '
                             'median is reported')
    parser.add_argument('--connection',
                        help='[database] connection of an empty database '
                             '(default: SQLite in a temporary directory)')
    args = parser.parse_args()

    state = tempfile.mkdtemp(prefix='hs-walk-')
    CONF([], project='heat', default_config_files=[],
         default_config_dirs=[])
    CONF.set_override('state_path', state, 'heat_snapshots')
    CONF.set_override('walk_concurrency', args.concurrency,
                      'heat_snapshots')
    if args.workers:
        CONF.set_override('walk_workers', args.workers, 'heat_snapshots')
    CONF.set_override('connection', args.connection or
                      'sqlite:///' + os.path.join(state, 'hs.sqlite'),
                      'database')
    db_api.configure(CONF)
    migration.upgrade()

    resources = {}
    for i in range(args.resources):
        resources['r%03d' % i] = {
            'type': 'OS::Heat::TestResource',
            'properties': {'action_wait_secs': {'snapshot': args.wait}}}
        if args.chain and i:
            resources['r%03d' % i]['depends_on'] = 'r%03d' % (i - 1)
    tmpl = {'heat_template_version': '2018-08-31', 'resources': resources}

    ctx = context.RequestContext(project_id='demo', user_id='demo',
                                 roles=['member', 'reader'])
    engine = manager.EngineManager(CONF)
    engine.start()
    # As service.serve does before the service runs.
    service.settle_heap()
    try:
        stacks = engine.stack_endpoint
        identity = stacks.create_stack(ctx, 'walk', tmpl, {}, {}, {}, {})
        while stacks.show_stack(ctx, identity)['stack_status'].endswith(
                'IN_PROGRESS'):
            time.sleep(0.05)
        walls = []
        for run in range(args.runs):
            start = time.monotonic()
            snap = engine.stack_snapshot(ctx, identity, 'timed-%d' % run)
            while True:
                snap = engine.show_snapshot(ctx, identity, snap['id'])
                if snap['status'] != 'IN_PROGRESS':
                    break
                time.sleep(0.01)
            walls.append(time.monotonic() - start)
            if snap['status'] != 'COMPLETE':
                break
    finally:
        engine.stop()
    elapsed = statistics.median(walls)

    lanes = 1 if args.chain else args.concurrency
    ideal = args.wait * math.ceil(args.resources / lanes)
    print('resources=%d wait=%.2fs concurrency=%d chain=%s' % (
        args.resources, args.wait, args.concurrency, args.chain))
    print('status=%s reason=%s' % (snap['status'], snap['status_reason']))
    print('walls=%s' % ' '.join('%.3f' % wall for wall in walls))
    print('wall=%.3fs ideal=%.3fs overhead=%.1f%% (median of %d)' % (
        elapsed, ideal, 100.0 * (elapsed - ideal) / ideal, len(walls)))
    return 0 if snap['status'] == 'COMPLETE' else 1


if __name__ == '__main__':
    sys.exit(main())
