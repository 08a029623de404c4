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

"""The side-by-side table of ``python -m benchmarks --compare-heat``."""

from benchmarks import run
from benchmarks import stats
from benchmarks import suites
from heat_snapshots.tests import base


def _row(table, case):
    return [line for line in table.splitlines() if case in line]


class RatiosTest(base.TestCase):

    def results(self):
        small = suites.scale_case('OS::Heat::None', 200)
        large = suites.scale_case('OS::Heat::None', 1000)
        return [
            stats.Result('heat', 'scale', small, 'snapshot', 's', [4.0]),
            stats.Result('mysql', 'scale', small, 'snapshot', 's', [0.1]),
            stats.Result('mysql', 'scale', large, 'snapshot', 's', [0.4]),
        ]

    def test_a_size_not_asked_of_heat_is_not_a_heat_failure(self):
        args = run.parse(['--compare-heat', 'http://heat:8004', '--runs',
                          '3', '--sizes', '200,1000', '--heat-sizes', '200',
                          '--types', 'OS::Heat::None'])
        # Heat failed its scale suite (a later run of its 200 stack).
        table = stats.ratios(self.results(), 'heat',
                             {'scale': 'Failed: out of threads'}, {},
                             run._left_out_of_heat(args))
        self.assertIn('0.03', _row(table, 'x 200')[0])
        large = _row(table, 'x 1000')[0]
        self.assertIn('not run on Heat', large)
        self.assertIn('left out by --heat-sizes', large)
        self.assertNotIn('Heat failed', table)

    def test_a_case_heat_was_asked_for_and_failed_says_so(self):
        table = stats.ratios(self.results(), 'heat',
                             {'scale': 'Failed: out of threads'})
        self.assertIn('Heat failed', _row(table, 'x 1000')[0])
