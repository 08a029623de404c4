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

"""Time the deletes of snapshots and of a stack that has many.

Starts a benchmark deployment (benchmarks/target.py), creates a stack of N
OS::Heat::None, takes S snapshots, deletes one of them, then deletes the
stack with the others; prints the stack's create and each delete's wall
time and the CPU the deployment's processes used for it. With S = 0, the
stack's create and delete only:

    python tools/stack_delete_time.py --deployment mysql \
        --resources 1000 --snapshots 20
"""

import argparse
import time

from benchmarks import suites
from benchmarks import target as targets


def _used(after, before):
    return ', '.join('%s %.2f s' % (role, after[role] - before.get(role, 0))
                     for role in sorted(after))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--deployment', default='mysql')
    parser.add_argument('--resources', type=int, default=1000)
    parser.add_argument('--snapshots', type=int, default=20)
    args = parser.parse_args()
    target = targets.start(args.deployment)
    try:
        before = target.cpu()
        start = time.monotonic()
        path = target.create_stack(
            suites.template_resources(args.resources, 'OS::Heat::None'))
        create = time.monotonic() - start
        created = target.cpu()
        ids = []
        for i in range(args.snapshots):
            snapshot_id = target.snapshot(path, 'snapshot-%d' % i)
            target.wait_snapshot(path, snapshot_id)
            ids.append(snapshot_id)
        printed = ['%s: stack create of %d: %.3f s (CPU %s)' % (
            args.deployment, args.resources, create,
            _used(created, before))]
        if ids:
            before = target.cpu()
            start = time.monotonic()
            target.delete_snapshot(path, ids.pop(0))
            printed.append('delete of 1 snapshot: %.3f s (CPU %s)' % (
                time.monotonic() - start, _used(target.cpu(), before)))
        before = target.cpu()
        start = time.monotonic()
        target.delete_stack(path, timeout=3600)
        printed.append('stack delete with %d snapshots: %.3f s (CPU %s)' % (
            len(ids), time.monotonic() - start, _used(target.cpu(), before)))
    finally:
        targets.stop(target)
    print('; '.join(printed))


if __name__ == '__main__':
    main()
