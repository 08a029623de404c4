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

"""Time walks whose actions block, on this walk and on another revision's.

Each node's action sleeps (a plugin's call that blocks, such as a cloud's
API): the wall time shows how soon the walk's threads take the nodes over.
The two walks alternate, one run each in turn; medians are printed:

    PYTHONPATH=. python tools/blocking_walk.py --against 66ee436
"""

import argparse
import importlib.util
import os
import statistics
import subprocess
import tempfile
import threading
import time

from heat_snapshots.engine import walk

CASES = ((50, 0.1), (10, 0.2), (50, 0.02))


def load_walk(revision):
    """heat_snapshots/engine/walk.py as ``revision`` has it."""
    text = subprocess.run(
        ['git', 'show', '%s:heat_snapshots/engine/walk.py' % revision],
        check=True, capture_output=True, text=True).stdout
    with tempfile.NamedTemporaryFile('w', suffix='.py',
                                     delete=False) as f:
        f.write(text)
    spec = importlib.util.spec_from_file_location('walk_at_revision', f.name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    os.unlink(f.name)
    return module


def timed(module, count, block, workers):
    threads = set()

    def action(node):
        threads.add(threading.current_thread().name)
        time.sleep(block)

    start = time.monotonic()
    module.walk({'r%03d' % i: set() for i in range(count)}, action,
                concurrency=count, workers=workers)
    return time.monotonic() - start, len(threads)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--against', required=True,
                        help='a git revision whose walk.py is compared')
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--workers', type=int, default=10)
    args = parser.parse_args()
    walks = (('this walk', walk), (args.against, load_walk(args.against)))
    for count, block in CASES:
        walls = {name: [] for name, _ in walks}
        threads = {name: set() for name, _ in walks}
        for _ in range(args.runs):
            for name, module in walks:
                wall, used = timed(module, count, block, args.workers)
                walls[name].append(wall)
                threads[name].add(used)
        for name, _ in walks:
            print('%d nodes blocking %.0f ms, %d workers, %-10s median '
                  '%.3f s (min %.3f, max %.3f), threads used %s' % (
                      count, block * 1000, args.workers, name,
                      statistics.median(walls[name]), min(walls[name]),
                      max(walls[name]), sorted(threads[name])))


if __name__ == '__main__':
    main()
