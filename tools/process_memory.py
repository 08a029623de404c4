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
"""Each process's memory in a benchmark deployment, at rest.

Starts a deployment (benchmarks/target.py), prints the RSS of each of its
processes once started, and again after a stack of 20 OS::Heat::None and
two snapshots of it (a process imports the rest of what it needs on its
first walk):

    PYTHONPATH=. python tools/process_memory.py --deployments embedded,mysql
"""

import argparse
import time

from benchmarks import suites
from benchmarks import target as targets


def _rss(target):
    return ', '.join('%s %d MB' % (role, process.memory_info().rss >> 20)
                     for role, process in sorted(target.processes().items()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--deployments', default='embedded,mysql')
    parser.add_argument('--label', default='',
                        help='printed first on each line (an A/B run)')
    args = parser.parse_args()
    for kind in args.deployments.split(','):
        target = targets.start(kind)
        try:
            # Let the services finish what they do once started.
            time.sleep(1)
            started = _rss(target)
            path = target.create_stack(suites.template_resources(
                20, 'OS::Heat::None'))
            for number in range(2):
                target.wait_snapshot(path, target.snapshot(
                    path, 'memory-%d' % number))
            print('%s%s: started in %.2f s; RSS started: %s; after a stack '
                  'and two snapshots: %s' % (
                      args.label and args.label + ' ', kind,
                      target.started_in, started, _rss(target)), flush=True)
        finally:
            targets.stop(target)


if __name__ == '__main__':
    main()
