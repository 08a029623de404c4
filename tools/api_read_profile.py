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

"""Profile the API and the engine while one client reads snapshots.

Starts a benchmark deployment (benchmarks/target.py) with the api suite's
data (a stack of 50 OS::Heat::None, 32 snapshots), then runs ``py-spy
record --gil`` on each process while one client sends shows (or lists)
for a few seconds; prints the CPU per request of each process and the
functions with the most samples (own and total) of each.

    PYTHONPATH=. python tools/api_read_profile.py --read list
"""

import argparse
import os
import subprocess
import tempfile
import time

from benchmarks import profile
from benchmarks import suites
from benchmarks import target as targets


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--deployment', default='mysql')
    parser.add_argument('--read', choices=('show', 'list'), default='show')
    parser.add_argument('--seconds', type=float, default=6.0)
    parser.add_argument('--out', default=None,
                        help='where py-spy writes (default: a new temporary '
                             'directory)')
    args = parser.parse_args()
    target = targets.start(args.deployment)
    try:
        path = target.create_stack(
            suites.template_resources(50, 'OS::Heat::None'))
        ids = []
        for i in range(32):
            ids.append(target.snapshot(path, 'api-%d' % i))
            target.wait_snapshot(path, ids[-1])
        read = {'list': lambda: target.request('GET', path + '/snapshots'),
                'show': lambda: target.request(
                    'GET', '%s/snapshots/%s' % (path, ids[0]))}[args.read]
        for _ in range(50):
            read()
        out = args.out or tempfile.mkdtemp(prefix='hs-api-read-')
        os.makedirs(out, exist_ok=True)
        spies = []
        for role, process in sorted(target.processes().items()):
            raw = os.path.join(out, role + '.raw')
            spies.append((role, raw, subprocess.Popen(
                [profile.py_spy(), 'record', '--gil', '-r', '200', '-f',
                 'raw', '-d', str(int(args.seconds + 2)), '-o', raw, '-p',
                 str(process.pid)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
        time.sleep(1)
        count, started, cpu = 0, time.monotonic(), target.cpu()
        while time.monotonic() - started < args.seconds:
            read()
            count += 1
        used = target.cpu()
        print('%s x %d: %.2f ms each; CPU per request: %s' % (
            args.read, count, args.seconds * 1000 / count, ', '.join(
                '%s %.2f ms' % (role, (used[role] - cpu[role]) / count *
                                1000) for role in sorted(used))))
        for role, raw, spy in spies:
            spy.wait()
            samples, own, total = profile.summarise(raw, top=20)
            print('== %s: %d samples' % (role, samples))
            for title, rows in (('own', own), ('total', total)):
                print('-- ' + title)
                for frame, n in rows:
                    print('%6d %s' % (n, frame))
    finally:
        targets.stop(target)


if __name__ == '__main__':
    main()
