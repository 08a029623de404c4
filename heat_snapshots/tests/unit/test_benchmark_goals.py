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

"""The table's verdicts: which figures have a target, and what it says
of the ones that miss it.
"""

import itertools
from unittest import mock

from benchmarks import goals
from benchmarks import run
from benchmarks import stats
from benchmarks import suites
from heat_snapshots.tests import base

SHOW = 'show, 1 client'
N200 = suites.scale_case('OS::Heat::None', 200)


def _result(deployment, benchmark, case, metric, value, unit='ms'):
    return stats.Result(deployment, benchmark, case, metric, unit, [value])


class VerdictsTest(base.TestCase):

    def test_both_deployments_are_judged_and_a_miss_is_named(self):
        results = goals.judge([
            _result('mysql', 'api', SHOW, 'CPU api per request', 2.1),
            _result('mysql', 'api', SHOW, 'CPU api + engine per request',
                    4.27),
            _result('embedded', 'api', SHOW, 'CPU all per request', 1.6),
            _result('embedded', 'api', SHOW, 'p50', 5.2),
        ])
        self.assertEqual(['', 'MISSED', 'ok', 'MISSED'],
                         [r.verdict() for r in results])
        text = run.verdicts(results)
        self.assertEqual([
            'targets: 1 of 3 met',
            'MISSED: mysql api show, 1 client: CPU api + engine per '
            'request (ms) 4.270, target < 4.000',
            'MISSED: embedded api show, 1 client: p50 (ms) 5.200, target '
            '< 5.000',
        ], text.splitlines())

    def test_heat_and_other_sizes_are_not_judged(self):
        results = goals.judge([
            _result('heat', 'scale', N200, 'snapshot wall', 4.1, 's'),
            # --quick's walk: N and the wait are not the issue's.
            _result('mysql', 'parallel', 'N=10 d=0.2s c=50', 'over ideal',
                    30.0, '%'),
            _result('mysql', 'parallel', 'N=50 d=0.5s c=50', 'over ideal',
                    9.3, '%'),
        ])
        self.assertEqual(['', '', 'ok'], [r.verdict() for r in results])
        self.assertEqual('targets: 1 of 1 met', run.verdicts(results))

    def test_a_lower_bound_is_met_at_the_bound(self):
        results = goals.judge([
            _result('mysql', 'api', 'show, 8 clients', 'rps', 300.0,
                    'req/s'),
            _result('mysql', 'fleet', '200 stacks x 20 None',
                    '3 eng: p99 / p50', 3.0, ''),
        ])
        self.assertEqual(['ok', 'ok'], [r.verdict() for r in results])

    def test_a_ratio_to_heat_over_its_target_is_missed(self):
        results = [
            _result('heat', 'scale', N200, 'snapshot wall', 4.0, 's'),
            _result('heat', 'scale', N200, 'restore wall', 2.5, 's'),
            _result('mysql', 'scale', N200, 'snapshot wall', 0.13, 's'),
            _result('mysql', 'scale', N200, 'restore wall', 0.3, 's'),
        ]
        goals.judge(results)
        rows = stats.ratio_rows(results, 'heat')
        self.assertEqual([('0.03', 'ok'), ('0.12', 'MISSED')],
                         [(row[6], row[8]) for row in rows])
        lines = run.verdicts(results, rows).splitlines()
        # The restore's own target (0.5 s) is met; its ratio is not.
        self.assertEqual('targets: 3 of 4 met', lines[0])
        self.assertEqual(['MISSED: mysql scale OS::Heat::None x 200: '
                          'restore wall (s) ours / Heat 0.12, target '
                          '<= 0.100'], lines[1:])


class SuiteRowsTest(base.TestCase):

    def test_the_show_cpu_judged_is_api_and_engine_added_per_run(self):
        class Runner:
            kind = 'mysql'
            clients = [1]
            runs = 2
            api_duration = 1.0

            def log(self, *args):
                pass

        class Target:
            # CPU seconds of each process, read before and after a run.
            readings = iter([{'api': 0.0, 'engine': 0.0},
                             {'api': 0.2, 'engine': 0.3},
                             {'api': 0.2, 'engine': 0.3},
                             {'api': 0.3, 'engine': 0.4}])

            def cpu(self):
                return next(self.readings)

        def load(call, clients, duration):
            return [0.004] * 100, duration

        with mock.patch.object(suites, '_load', load):
            rows = goals.judge(suites._api_loads(
                Runner(), Target(), {'show': lambda: None}, None))
        total = [r for r in rows if r.metric ==
                 'CPU api + engine per request'][0]
        # 0.5 s of CPU over 100 requests, then 0.2 s: a median of 3.5 ms.
        for got, expected in itertools.zip_longest(total.values, [5.0, 2.0]):
            self.assertAlmostEqual(expected, got)
        self.assertEqual('ok', total.verdict())
        # Each process's own share is reported, not judged.
        self.assertEqual(['', ''], [r.verdict() for r in rows if r.metric in
                                    ('CPU api per request',
                                     'CPU engine per request')])


class QuickRunTest(base.TestCase):

    def test_a_quick_run_judges_no_ratio(self):
        results = [
            _result('heat', 'scale', N200, 'snapshot wall', 1.0, 's'),
            _result('mysql', 'scale', N200, 'snapshot wall', 0.5, 's'),
        ]
        rows = stats.ratio_rows(results, 'heat', judged=False)
        self.assertEqual([('0.50', '', '')],
                         [(row[6], row[7], row[8]) for row in rows])
        self.assertEqual('targets: 0 of 0 met', run.verdicts(results, rows))
