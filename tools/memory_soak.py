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
"""Whether the engine's memory stays flat over many operations.

The memory suite keeps 100 snapshots and reads the RSS as they pile up;
an engine that runs for weeks takes and deletes snapshots for ever. This
starts a deployment (benchmarks/target.py), creates a stack of
``--resources`` OS::Heat::None, then snapshots and deletes a snapshot of
it ``--cycles`` times, printing the engine's RSS every ``--every`` cycles
and the growth over each such stretch:

    PYTHONPATH=. python tools/memory_soak.py --deployment mysql \\
        --cycles 3000 --every 250

With ``--traced`` the engine runs under tracemalloc (a sitecustomize
module on its PYTHONPATH) and each line adds the memory its Python
objects hold: RSS that grows while that stays flat is the allocator's,
not objects kept (tracemalloc makes the engine about twice as slow).
"""

import argparse
import os
import textwrap
import time

from benchmarks import launcher
from benchmarks import suites
from benchmarks import target as targets

MB = 1 << 20

TRACER = textwrap.dedent('''
    import os, sys, threading, time

    if os.path.basename(sys.argv[0]) in ('heat-snapshots-engine',
                                         'heat-snapshots-all'):
        import tracemalloc

        tracemalloc.start()
        OUT = '%s.%d' % (os.environ['HS_SOAK_TRACED'], os.getpid())

        def note():
            while True:
                time.sleep(0.5)
                with open(OUT + '.new', 'w') as f:
                    f.write('%d' % tracemalloc.get_traced_memory()[0])
                os.replace(OUT + '.new', OUT)

        threading.Thread(target=note, daemon=True,
                         name='soak-traced').start()
''')


def _traced():
    """Load TRACER into the processes started from now on; :returns: the
    function reading the engine's traced memory (bytes) by its pid.
    """
    out = os.path.join(launcher.preload(TRACER, prefix='hs-soak-'),
                       'traced')
    os.environ['HS_SOAK_TRACED'] = out

    def read(pid):
        # Noted every 0.5 s: wait for a note of the engine at rest.
        time.sleep(1.2)
        with open('%s.%d' % (out, pid)) as f:
            return int(f.read())
    return read


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--deployment', default='mysql')
    parser.add_argument('--resources', type=int, default=20)
    parser.add_argument('--cycles', type=int, default=1000)
    parser.add_argument('--every', type=int, default=100)
    parser.add_argument('--traced', action='store_true',
                        help='also the memory the engine\'s Python objects '
                             'hold (tracemalloc)')
    args = parser.parse_args()
    traced = _traced() if args.traced else None
    target = targets.start(args.deployment)
    try:
        path = target.create_stack(suites.template_resources(
            args.resources, 'OS::Heat::None'))
        started = time.monotonic()
        last = None
        for cycle in range(1, args.cycles + 1):
            snapshot_id = target.snapshot(path, 'soak-%d' % cycle)
            target.wait_snapshot(path, snapshot_id)
            target.delete_snapshot(path, snapshot_id)
            if cycle == 1 or cycle % args.every == 0:
                objects = ''
                if traced is not None:
                    objects = ', Python objects %.2f MB' % (
                        traced(target.engine_process().pid) / MB)
                rss, peak = target.engine_rss()
                growth = '' if last is None else '  %+.1f MB' % (
                    (rss - last) / MB)
                print('%s: after %5d snapshots and deletes (%4.0f s): '
                      'engine RSS %.1f MB (peak %.1f)%s%s' % (
                          args.deployment, cycle,
                          time.monotonic() - started, rss / MB, peak / MB,
                          growth, objects), flush=True)
                last = rss
        target.delete_stack(path)
    finally:
        targets.stop(target)


if __name__ == '__main__':
    main()
