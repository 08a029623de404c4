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

"""What one oslo.messaging call costs here, beside a snapshot show.

The floor under a show on the MariaDB + RabbitMQ deployment: an RPC server
in a process of its own (our serializer, access policy and transport, the
benchmark's RabbitMQ) whose one method answers a text as long as a show's
packed reply, called from this process as the API calls the engine; and,
in the same invocation, alternated with it, the show through the API (the
benchmark's api suite's stack and instrument, benchmarks/suites.py
``_load``; the server is benchmarks/rpc_floor.py's, which the api suite
measures beside the show too). Prints, per round, the p50 of each and the
CPU per call of each process (RabbitMQ's too), then their medians:

    PYTHONPATH=. python tools/rpc_floor.py --runs 3
"""

import argparse
import statistics

import psutil

from benchmarks import launcher
from benchmarks import rpc_floor
from benchmarks import suites
from benchmarks import target as targets


def rabbitmq():
    for process in psutil.process_iter(['name']):
        if process.info['name'] == 'beam.smp':
            return process
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--duration', type=float, default=5.0,
                        help='seconds of calls per measurement')
    args = parser.parse_args()

    target = targets.start('mysql')
    floor = None
    try:
        path = target.create_stack(
            suites.template_resources(50, 'OS::Heat::None'))
        snapshot_id = target.snapshot(path, 'floor')
        target.wait_snapshot(path, snapshot_id)
        _status, shown = target.request(
            'GET', '%s/snapshots/%s' % (path, snapshot_id))
        size = rpc_floor.reply_size(shown)
        floor = rpc_floor.Floor(launcher.transport_url(), size,
                                project=target.project)

        def show_call():
            target.request('GET', '%s/snapshots/%s' % (path, snapshot_id))

        floor_processes = floor.processes()
        show_processes = dict(target.processes())
        broker = rabbitmq()
        if broker is not None:
            floor_processes['rabbitmq'] = show_processes['rabbitmq'] = broker
        for _ in range(200):
            floor.call()
            show_call()
        print('reply of %d chars (a show\'s, packed); %d s per '
              'measurement' % (size, args.duration))
        rows = {'rpc call': [], 'show': []}
        for run in range(args.runs):
            for name, call, processes in (
                    ('rpc call', floor.call, floor_processes),
                    ('show', show_call, show_processes)):
                p50, used = suites.one_client(call, processes,
                                              args.duration)
                rows[name].append((p50, used))
                cpus = ', '.join('%s %.3f ms' % (role, value)
                                 for role, value in sorted(used.items()))
                print('run %d %-8s p50 %6.3f ms  CPU per call: %s'
                      % (run + 1, name, p50, cpus), flush=True)
        print('medians of %d runs:' % args.runs)
        for name, values in rows.items():
            roles = sorted(values[0][1])
            print('%-8s p50 %6.3f ms  CPU per call: %s' % (
                name, statistics.median(v[0] for v in values), ', '.join(
                    '%s %.3f ms' % (role, statistics.median(
                        v[1].get(role, 0.0) for v in values))
                    for role in roles)))
    finally:
        if floor is not None:
            floor.stop()
        targets.stop(target)


if __name__ == '__main__':
    main()
