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

"""Where the time of a parallel walk goes, through the API.

Starts a benchmark deployment (benchmarks/target.py) whose processes load
a tracer (a sitecustomize module on their PYTHONPATH) that notes, in one
file, when the snapshot request, the walk, its stack read, each group
commit (its size and the statements' times) and the operation's end begin
and end; the client notes its POST and its GETs. Prints each run's
timeline in milliseconds from the POST:

    PYTHONPATH=. python tools/walk_timeline.py --resources 50 --runs 3
"""

import argparse
import importlib.util
import os
import sys
import textwrap
import time

from benchmarks import launcher
from benchmarks import suites
from benchmarks import target as targets

TRACER = textwrap.dedent('''
    import functools, importlib.abc, importlib.util, os, sys, threading
    import time

    OUT = os.environ['HS_TIMELINE']
    _lock = threading.Lock()
    _sql = threading.local()

    def mark(what):
        with _lock, open(OUT, 'a') as f:
            f.write('%.4f %s %s\\n' % (
                time.time(), threading.current_thread().name[:14], what))

    def wrap(owner, name, label, statements=False):
        function = getattr(owner, name)

        @functools.wraps(function)
        def traced(*args, **kwargs):
            mark('> ' + label)
            if statements:
                outer, _sql.log = getattr(_sql, 'log', None), []
            try:
                return function(*args, **kwargs)
            finally:
                if statements:
                    log, _sql.log = _sql.log, outer
                    mark('< %s: %s' % (label, '; '.join(log)))
                else:
                    mark('< ' + label)
        setattr(owner, name, traced)

    def each(owner, name, label):
        # A call per resource: noted once, as it is called; the printout
        # sums them up (their count, the first and the last).
        function = getattr(owner, name)

        @functools.wraps(function)
        def noted(*args, **kwargs):
            mark('@ ' + label)
            return function(*args, **kwargs)
        setattr(owner, name, noted)

    def commits(module):
        import sqlalchemy
        from sqlalchemy.engine import Engine

        @sqlalchemy.event.listens_for(Engine, 'before_cursor_execute')
        def before(conn, cursor, statement, params, context, many):
            _sql.start = time.time()

        @sqlalchemy.event.listens_for(Engine, 'after_cursor_execute')
        def after(conn, cursor, statement, params, context, many):
            if getattr(_sql, 'log', None) is not None:
                _sql.log.append('%.1f %s' % (
                    (time.time() - _sql.start) * 1000,
                    ' '.join(statement.split()[:3])[:40]))

        commit = module.commit

        @functools.wraps(commit)
        def traced(batch):
            outer, _sql.log = getattr(_sql, 'log', None), []
            start = time.time()
            try:
                return commit(batch)
            finally:
                log, _sql.log = _sql.log, outer
                mark('commit of %d changes, %.1f ms: %s' % (
                    len(batch), (time.time() - start) * 1000,
                    '; '.join(log)))
        module.commit = traced

    PATCHES = {
        'heat_snapshots.engine.manager': lambda m: wrap(
            m.EngineManager, 'stack_snapshot', 'request (engine)', True),
        'heat_snapshots.engine.snapshots': lambda m: (
            wrap(m.SnapshotWalk, 'run', 'walk'),
            wrap(m.SnapshotWalk, '_data', "walk's data", True)),
        'heat_snapshots.engine.operations': lambda m: (
            wrap(m, 'stack_ended', 'operation end', True),
            each(m, 'resource_started_with_artifact',
                 "a resource's start submitted"),
            each(m, 'resource_ended', "a resource's end submitted")),
        'heat_snapshots.localstack.driver': lambda m: wrap(
            m.LocalStackDriver, 'get_stack', 'stack read'),
        'heat_snapshots.engine.walk': lambda m: wrap(m, 'walk', 'walk.walk'),
        'heat_snapshots.db.api': lambda m: wrap(
            m, 'read_together', 'read of the rows', True),
        'heat_snapshots.db.group_commit': commits,
    }

    class Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name not in PATCHES:
                return None
            sys.meta_path.remove(self)
            try:
                spec = importlib.util.find_spec(name)
            finally:
                sys.meta_path.insert(0, self)
            load = spec.loader.exec_module

            def exec_module(module):
                load(module)
                PATCHES[name](module)
            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, Finder())
''')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--deployment', default='mysql')
    parser.add_argument('--resources', type=int, default=50)
    parser.add_argument('--wait', type=float, default=0.5)
    parser.add_argument('--concurrency', type=int, default=50)
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--workers', type=int, default=None,
                        help='[heat_snapshots] walk_workers (default: the '
                             'option\'s)')
    args = parser.parse_args()
    directory = launcher.preload(TRACER, prefix='hs-timeline-')
    out = os.path.join(directory, 'timeline.txt')
    # The deployment's processes inherit it; so does this one.
    os.environ['HS_TIMELINE'] = out
    spec = importlib.util.spec_from_file_location(
        'hs_timeline', os.path.join(directory, 'sitecustomize.py'))
    tracer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tracer)

    options = {'walk_concurrency': args.concurrency}
    if args.workers is not None:
        options['walk_workers'] = args.workers
    target = targets.start(args.deployment, {'heat_snapshots': options})
    try:
        path = target.create_stack(suites.template_resources(
            args.resources, 'OS::Heat::TestResource',
            {'action_wait_secs': {'snapshot': args.wait}}))
        request = target.request

        def traced(*call, **kwargs):
            status, body = request(*call, **kwargs)
            tracer.mark('client GET: %s' % body['snapshot']['status'])
            return status, body

        for run in range(args.runs):
            with open(out, 'a') as f:
                f.write('run %d\n' % (run + 1))
            start = time.monotonic()
            tracer.mark('client POST')
            snapshot_id = target.snapshot(path, 'timeline-%d' % run)
            target.request = traced
            try:
                target.wait_snapshot(path, snapshot_id,
                                     not_before=start + args.wait)
            finally:
                target.request = request
            target.delete_snapshot(path, snapshot_id)
        target.delete_stack(path)
    finally:
        targets.stop(target)
    print_timelines(out)


def print_timelines(path):
    with open(path) as f:
        runs = f.read().split('run ')[1:]
    for text in runs:
        lines = text.strip().split('\n')
        print('run', lines[0])
        start = None
        each = {}
        for line in lines[1:]:
            stamp, thread, what = line.split(' ', 2)
            if what == 'client POST':
                start = float(stamp)
            if start is None or what == 'client GET: IN_PROGRESS':
                continue
            at = (float(stamp) - start) * 1000
            if what.startswith('@ '):
                each.setdefault(what[2:], []).append(at)
                continue
            print('%8.1f  %-14s %s' % (at, thread, what))
            if what == 'client GET: COMPLETE':
                break
        for what, times in each.items():
            print('          %s: %d, from %.1f to %.1f' % (
                what, len(times), times[0], times[-1]))
        print()


if __name__ == '__main__':
    sys.exit(main())
