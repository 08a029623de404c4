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

"""heat-snapshots benchmarks: python -m benchmarks [options].

Starts each deployment asked for (``embedded``: heat-snapshots-all on
SQLite; ``mysql``: heat-snapshots-api and heat-snapshots-engine on
RabbitMQ and MariaDB), or uses the endpoint given with --endpoint, runs
the suites and prints one table: the median of the runs, their min and
max, and the target where an issue sets one (benchmarks/goals.py), then
the targets missed.
"""

import argparse
import contextlib
import os
import platform
import sys
import time

from benchmarks import goals
from benchmarks import stats
from benchmarks import suites
from benchmarks import target as targets


class Runner:
    """The options of one deployment's run, and how to get its target."""

    def __init__(self, kind, args):
        self.kind = kind
        self.args = args
        quick = args.quick
        self.runs = args.runs or (2 if quick else 5)
        self.sizes = args.sizes or ([10, 50] if quick else
                                    [10, 50, 200, 1000])
        if kind == 'heat' and args.heat_sizes:
            self.sizes = args.heat_sizes
        self.types = args.types or (['OS::Heat::None'] if quick else
                                    ['OS::Heat::None',
                                     'OS::Heat::RandomString'])
        self.parallel_n = 10 if quick else 50
        self.parallel_wait = 0.2 if quick else 0.5
        self.concurrencies = args.concurrencies or [1, 10, 50]
        self.chain_n = 5 if quick else 10
        self.api_resources = 10 if quick else 50
        self.api_snapshots = 4 if quick else 32
        self.clients = [1, 8] if quick else [1, 8, 32]
        self.api_duration = 1.0 if quick else args.api_duration
        self.memory_resources = 100 if quick else 1000
        self.memory_snapshots = 10 if quick else args.memory_snapshots
        self.memory_batch = 5 if quick else 10
        self.fleet_stacks = 20 if quick else args.fleet_stacks
        self.fleet_resources = 5 if quick else args.fleet_resources
        self.fleet_engines = [1, 3]
        self.fleet_clients = 8
        self.fleet_poll = 0.02
        self.fleet_timeout = 1800

    def log(self, fmt, *args):
        if not self.args.verbose:
            return
        print('[%s %s] %s' % (time.strftime('%H:%M:%S'), self.kind,
                              fmt % args), file=sys.stderr, flush=True)

    @contextlib.contextmanager
    def target(self, overrides=None, engines=1):
        """The target, started with ``overrides`` and ``engines`` engine
        processes if it is ours.
        """
        if self.kind in ('external', 'heat'):
            if overrides or engines > 1:
                self.log('%s endpoint: %s, %d engines not applied (the '
                         'server has its own configuration)', self.kind,
                         overrides, engines)
            args = self.args
            if self.kind == 'heat':
                yield targets.external(args.compare_heat, args.heat_project,
                                       args.user, args.roles,
                                       args.heat_token, name='heat')
            else:
                yield targets.external(args.endpoint, args.project,
                                       args.user, args.roles, args.token)
            return
        target = targets.start(self.kind, overrides, engines)
        self.log('started in %.1f s at %s (%s)', target.started_in,
                 target.endpoint, target.deployment.dir)
        try:
            yield target
        finally:
            targets.stop(target)


def parse(argv):
    parser = argparse.ArgumentParser(
        prog='python -m benchmarks',
        description=__doc__.splitlines()[0])
    parser.add_argument('--deployments', default='embedded,mysql',
                        help='comma list of embedded, mysql (default both)')
    parser.add_argument('--endpoint',
                        help='run against this endpoint instead '
                             '(http://host:port of this service or of a '
                             'Heat API, without /v1)')
    parser.add_argument('--project', help='project (tenant) id, with '
                                          '--endpoint')
    parser.add_argument('--compare-heat', metavar='URL',
                        help='also run the suites against this Heat API '
                             '(http://host:port, without /v1) and print '
                             'the ratio ours / Heat of every figure')
    parser.add_argument('--heat-suites',
                        help='with --compare-heat, the suites run against '
                             'Heat (default: those of --suites that can '
                             'be); the others say "not run on Heat"')
    parser.add_argument('--heat-project', default='bench-heat',
                        help='project with --compare-heat (noauth: any '
                             'name; fleet adds -fNN to it)')
    parser.add_argument('--heat-token',
                        help='X-Auth-Token for --compare-heat instead of '
                             'noauth headers')
    parser.add_argument('--user', default='bench-user',
                        help='X-Auth-User with --endpoint (noauth)')
    parser.add_argument('--roles', default='member',
                        help='X-Roles with --endpoint (noauth)')
    parser.add_argument('--token', default=os.environ.get('OS_TOKEN'),
                        help='X-Auth-Token instead of noauth headers '
                             '(default $OS_TOKEN)')
    parser.add_argument('--suites', default=','.join(suites.SUITES),
                        help='comma list of %s' % ', '.join(suites.SUITES))
    parser.add_argument('--quick', action='store_true',
                        help='few runs, small N: a smoke run for CI')
    parser.add_argument('--runs', type=int,
                        help='runs per figure (default 5, quick 2)')
    parser.add_argument('--sizes', type=lambda s: [int(x) for x in
                                                   s.split(',')],
                        help='stack sizes of the scale suite')
    parser.add_argument('--heat-sizes', type=lambda s: [int(x) for x in
                                                        s.split(',')],
                        help='with --compare-heat, the scale suite\'s '
                             'sizes on Heat (default: --sizes)')
    parser.add_argument('--concurrencies',
                        type=lambda s: [int(x) for x in s.split(',')],
                        help='walk_concurrency values of the parallel '
                             'suite (default 1,10,50); its chain runs at '
                             'the largest')
    parser.add_argument('--types', type=lambda s: s.split(','),
                        help='resource types of the scale suite')
    parser.add_argument('--api-duration', type=float, default=3.0,
                        help='seconds of load per API run')
    parser.add_argument('--memory-snapshots', type=int, default=100)
    parser.add_argument('--fleet-stacks', type=int, default=200)
    parser.add_argument('--fleet-resources', type=int, default=20)
    parser.add_argument('-v', '--verbose', action='store_true',
                        help='progress on stderr')
    args = parser.parse_args(argv)
    if args.endpoint and not args.project:
        parser.error('--endpoint needs --project')
    if args.endpoint and args.compare_heat:
        parser.error('--compare-heat runs against our deployments, not '
                     '--endpoint')
    unknown = set(args.suites.split(',') +
                  (args.heat_suites or '').split(',')) - set(suites.SUITES)
    unknown.discard('')
    if unknown:
        parser.error('unknown suites: %s' % ', '.join(sorted(unknown)))
    return args


# Suites that would not measure the same thing on Heat: {suite: why}.
NOT_ON_HEAT = {
    'parallel': "Heat's TestResource has no snapshot wait (action_wait_secs "
                "takes create, update, delete)",
}


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    kinds = (['external'] if args.endpoint else
             [k.strip() for k in args.deployments.split(',') if k.strip()])
    if args.compare_heat:
        kinds.insert(0, 'heat')
    results = []
    failures = []
    heat_failures = {}
    # {suite: (why, ratio column)} of the suites not run on Heat.
    not_on_heat = {name: (why, 'not comparable')
                   for name, why in NOT_ON_HEAT.items()}
    if args.heat_suites is not None:
        chosen = set(args.heat_suites.split(','))
        for name in args.suites.split(','):
            if name not in chosen and name not in not_on_heat:
                not_on_heat[name] = ('left out by --heat-suites',
                                     'not run on Heat')
    started = time.monotonic()
    for kind in kinds:
        runner = Runner(kind, args)
        mine = []
        for name in args.suites.split(','):
            if kind == 'heat' and name in not_on_heat:
                runner.log('%s not run on Heat: %s', name,
                           not_on_heat[name][0])
                continue
            try:
                mine.extend(suites.SUITES[name](runner))
            except Exception as error:
                # A fleet that partly failed still has its figures.
                mine.extend(getattr(error, 'results', []))
                text = '%s: %s' % (type(error).__name__, error)
                if kind == 'heat':
                    heat_failures[name] = text
                else:
                    failures.append('%s %s: %s' % (kind, name, text))
                runner.log('%s failed: %s', name, error)
        results.extend(mine)
        if args.verbose and len(kinds) > 1:
            # A long run shows each deployment's table when it is done.
            print(stats.table(mine), file=sys.stderr, flush=True)
    load = os.getloadavg()
    print('heat-snapshots benchmarks (%s; %s, %d CPUs, load %.1f %.1f %.1f; '
          '%.0f s)' % ('quick' if args.quick else 'full',
                       platform.python_version(), os.cpu_count(),
                       load[0], load[1], load[2],
                       time.monotonic() - started))
    # (The quick run's N are not the ones the targets are set for.)
    judged = not args.quick
    if judged:
        goals.judge(results)
    print(stats.table(results))
    ratio_rows = []
    if args.compare_heat:
        ratio_rows = stats.ratio_rows(results, 'heat', heat_failures,
                                      not_on_heat, _left_out_of_heat(args),
                                      judged=judged)
        print()
        print('Side by side: ours / Heat (%s) per figure; < 1 is faster '
              '(or less) than Heat' % args.compare_heat)
        print(stats.ratio_table(ratio_rows, 'heat'))
    if judged:
        print()
        print(verdicts(results, ratio_rows))
    for name, failure in sorted(heat_failures.items()):
        print('HEAT FAILED: %s: %s' % (name, failure))
    for failure in failures:
        print('FAILED: %s' % failure)
    return 1 if failures else 0


def verdicts(results, ratio_rows=()):
    """How many of the figures that have a target met it, and each one
    that missed it.
    """
    judged = 0
    lines = []
    for result in results:
        verdict = result.verdict()
        judged += bool(verdict)
        if verdict == 'MISSED':
            deployment, benchmark, case, metric, median = result.row()[:5]
            lines.append('MISSED: %s %s %s: %s %s, target %s' % (
                deployment, benchmark, case, metric, median,
                result.target_text()))
    for deployment, benchmark, case, metric, _ours, _theirs, ratio, \
            target, verdict in ratio_rows:
        judged += bool(verdict)
        if verdict == 'MISSED':
            lines.append('MISSED: %s %s %s: %s ours / Heat %s, target %s'
                         % (deployment, benchmark, case, metric, ratio,
                            target))
    missed = len(lines)
    return '\n'.join(['targets: %d of %d met' % (judged - missed, judged)]
                     + lines)


def _left_out_of_heat(args):
    """{(suite, case): why} of the scale cases --heat-sizes left out."""
    ours, heat = Runner('ours', args), Runner('heat', args)
    return {('scale', suites.scale_case(rtype, size)):
            'left out by --heat-sizes'
            for rtype in ours.types for size in ours.sizes
            if size not in heat.sizes}


if __name__ == '__main__':
    sys.exit(main())
