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

"""The api suite's show set against the RPC floor measured beside it."""

from unittest import mock

from benchmarks import suites
from heat_snapshots.tests import base


class FakeRunner:
    kind = 'mysql'
    clients = [1, 8]
    runs = 3
    api_duration = 1.0

    def log(self, *args):
        pass


class FakeTarget:
    def cpu(self):
        return {}


class FakeFloor:
    def call(self):
        pass

    def processes(self):
        return {}


class ApiLoadsTest(base.TestCase):

    def loads(self, floor):
        """The suite's rows when each run's latency is the next of its
        call's own sequence: the machine slows down run by run.
        """
        def show():
            pass

        def listing():
            pass

        latencies = {show: iter([0.010, 0.020, 0.040])}
        names = {show: 'show', listing: 'list'}
        if floor is not None:
            latencies[floor.call] = iter([0.0025, 0.005, 0.010])
            names[floor.call] = 'floor'
        order = []

        def load(call, clients, duration):
            order.append(names[call] if clients == 1 else 'others')
            if clients == 1 and call in latencies:
                return [next(latencies[call])], duration
            return [0.05], duration

        with mock.patch.object(suites, '_load', load):
            results = suites._api_loads(
                FakeRunner(), FakeTarget(),
                {'show': show, 'list': listing}, floor)
        return {(r.case, r.metric): r for r in results}, order

    def test_each_show_run_is_set_against_the_floor_run_after_it(self):
        rows, order = self.loads(FakeFloor())
        self.assertEqual(['show', 'floor'] * 3, order[:6])
        self.assertNotIn('floor', order[6:])
        self.assertEqual(5.0, rows[('rpc floor, 1 client', 'p50')].median)
        # 10 ms over 2.5, 20 over 5, 40 over 10: four times the floor
        # each round, however slow the machine got.
        ratio = rows[('show, 1 client', 'p50 / rpc floor p50')]
        self.assertEqual([4.0, 4.0, 4.0], ratio.values)

    def test_no_floor_no_floor_rows(self):
        rows, order = self.loads(None)
        self.assertNotIn('floor', order)
        self.assertEqual([], [key for key in rows if 'floor' in
                              ' '.join(key)])
