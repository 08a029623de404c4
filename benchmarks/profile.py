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

"""Profile the engine with py-spy during snapshots (and restores).

    python -m benchmarks.profile [--deployment mysql] [--resources 1000]
        [--snapshots 2] [--restore] [--gil] [--out DIR]

Starts the deployment, creates a stack of N OS::Heat::None resources, then
runs ``py-spy record`` on the engine process while it takes the snapshots;
prints the functions with the most samples (own and total) and leaves the
raw stacks (flamegraph input) and an SVG flame graph in --out.
"""

import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile
import time

from benchmarks import suites
from benchmarks import target as targets


def py_spy():
    found = shutil.which('py-spy') or os.path.join(
        os.path.dirname(sys.executable), 'py-spy')
    if not os.path.exists(found):
        sys.exit('py-spy not found: pip install py-spy')
    return found


def summarise(raw_path, top=25, only=None):
    """(own, total) sample counts per function of py-spy's raw output."""
    own, total = collections.Counter(), collections.Counter()
    samples = 0
    with open(raw_path) as f:
        for line in f:
            stack, _, count = line.rstrip('\n').rpartition(' ')
            if only and only not in stack:
                continue
            count = int(count)
            frames = stack.split(';')
            samples += count
            own[frames[-1]] += count
            for frame in set(frames):
                total[frame] += count
    return samples, own.most_common(top), total.most_common(top)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--deployment', default='mysql')
    parser.add_argument('--resources', type=int, default=1000)
    parser.add_argument('--snapshots', type=int, default=2)
    parser.add_argument('--restore', action='store_true')
    parser.add_argument('--rate', type=int, default=250)
    parser.add_argument('--gil', action='store_true',
                        help='only samples holding the GIL (CPU time)')
    parser.add_argument('--out', default=tempfile.mkdtemp(prefix='hs-prof-'))
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    target = targets.start(args.deployment)
    try:
        path = target.create_stack(suites.template_resources(
            args.resources, 'OS::Heat::None'))
        engine = target.engine_process()
        raw = os.path.join(args.out, 'engine.raw')
        spy = subprocess.Popen(
            [py_spy(), 'record', '-p', str(engine.pid), '-r',
             str(args.rate), '-f', 'raw', '-o', raw, '--nonblocking'] +
            (['--gil'] if args.gil else []),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)
        started = time.monotonic()
        for i in range(args.snapshots):
            snapshot_id = target.snapshot(path, 'prof-%d' % i)
            target.wait_snapshot(path, snapshot_id)
            if args.restore:
                target.restore(path, snapshot_id)
                target.wait_stack(path, 'RESTORE_COMPLETE')
        elapsed = time.monotonic() - started
        spy.send_signal(2)
        spy.wait(60)
    finally:
        targets.stop(target)
    samples, own, total = summarise(raw, only='_bootstrap')
    print('%d samples of busy threads in %.1f s (%s)' % (samples, elapsed,
                                                         raw))
    print('\nown samples:')
    for frame, count in own:
        print('%6d %5.1f%%  %s' % (count, 100.0 * count / samples, frame))
    print('\ntotal samples (function and what it calls):')
    for frame, count in total:
        print('%6d %5.1f%%  %s' % (count, 100.0 * count / samples, frame))
    return 0


if __name__ == '__main__':
    sys.exit(main())
