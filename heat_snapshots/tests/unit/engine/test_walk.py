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

import threading
import time

import fixtures

from heat_snapshots.common import exception
from heat_snapshots.engine import walk
from heat_snapshots.tests import base
from heat_snapshots.tests import fake_clock


class CheckGraphTest(base.TestCase):

    def test_cycle_is_named(self):
        error = self.assertRaises(
            exception.InvalidTemplate, walk.check_graph,
            {'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': set()})
        self.assertIn('Circular dependency', error.message)
        for name in 'abc':
            self.assertIn(name, error.message)

    def test_missing_node_is_named(self):
        error = self.assertRaises(exception.InvalidTemplate,
                                  walk.check_graph, {'a': {'ghost'}})
        self.assertIn('ghost', error.message)


class LeadingTest(base.TestCase):

    def test_only_nodes_whose_requirements_are_all_included_lead(self):
        graph = {'a': set(), 'b': {'a'}, 'c': {'b', 'x'}, 'x': set(),
                 'd': {'c'}, 'e': {'a', 'b'}}
        order = walk.leading(graph, lambda node: node != 'x')
        # c needs x (not included), so neither c nor d (after c) leads.
        self.assertEqual({'a', 'b', 'e'}, set(order))
        self.assertLess(order.index('a'), order.index('b'))
        self.assertLess(order.index('b'), order.index('e'))

    def test_a_long_chain_leads_in_its_order(self):
        graph = {'n%04d' % i: {'n%04d' % (i - 1)} if i else set()
                 for i in range(2000)}
        self.assertEqual(sorted(graph), walk.leading(graph, bool))


class WavesTest(base.TestCase):

    def test_a_node_comes_in_the_wave_after_all_it_requires(self):
        graph = {'a': set(), 'b': {'a'}, 'c': {'a', 'x'}, 'd': {'b', 'c'},
                 'e': set(), 'x': set()}
        # x is not in the order (done before): c does not wait for it.
        self.assertEqual([['a', 'e'], ['b', 'c'], ['d']],
                         walk.waves(['a', 'e', 'b', 'c', 'd'], graph))

    def test_independent_nodes_are_one_wave(self):
        graph = {'n%d' % i: set() for i in range(5)}
        self.assertEqual([sorted(graph)], walk.waves(sorted(graph), graph))


class Commits:
    """Commits what parked nodes wait for when the walk calls ``idle``,
    as group_commit.flush does; ``idles``: what each call committed.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.wakes = {}
        self.committed = set()
        self.idles = []

    def poll(self, key, last=False):
        """The Poll of a node waiting for the commit of ``key``."""
        def told(wake):
            with self.lock:
                self.wakes[key] = wake
        return walk.Poll(lambda: key in self.committed, key, notify=told,
                         last=last)

    def idle(self):
        with self.lock:
            parked = dict(self.wakes)
            self.wakes.clear()
        self.idles.append(sorted(parked))
        self.committed.update(parked)
        for wake in parked.values():
            wake()


class WalkTest(base.TestCase):

    def test_each_node_once_after_what_it_requires(self):
        graph = {'a': set(), 'b': {'a'}, 'c': {'a'}, 'd': {'b', 'c'}}
        done = []
        lock = threading.Lock()

        def action(node):
            with lock:
                for required in graph[node]:
                    self.assertIn(required, done)
                done.append(node)

        walk.walk(graph, action, concurrency=4)
        self.assertEqual(sorted(graph), sorted(done))

    def test_failure_stops_new_work_and_names_the_node(self):
        started = []

        def action(node):
            started.append(node)
            if node == 'bad':
                raise exception.ResourceFailure(reason='it broke')

        error = self.assertRaises(
            walk.WalkFailed, walk.walk,
            {'bad': set(), 'after': {'bad'}}, action, concurrency=2)
        self.assertEqual('bad', error.node)
        self.assertEqual('it broke', str(error.cause))
        self.assertNotIn('after', started)

    def test_concurrency_bounds_the_nodes_in_progress(self):
        # Each node stays in progress until three ran at once; the nodes
        # run on three threads, never more.
        running = []
        most = []
        threads = set()
        together = threading.Condition()

        def action(node):
            with together:
                threads.add(threading.current_thread().name)
                running.append(node)
                most.append(len(running))
                together.notify_all()
                together.wait_for(lambda: max(most) >= 3, timeout=10)
                running.remove(node)

        walk.walk({str(i): set() for i in range(9)}, action, concurrency=3)
        self.assertEqual(3, max(most))
        self.assertEqual(3, len(threads))

    def test_actions_that_never_block_run_on_one_thread(self):
        # Forty nodes, ten workers allowed: the worker that ends a node
        # takes the next itself, so no other thread takes one (HANDOFF
        # long enough that a busy machine cannot make a node look stalled).
        self.useFixture(fixtures.MockPatchObject(walk, 'HANDOFF', 60))
        threads = {}

        def action(node):
            threads[node] = threading.current_thread().name

        walk.walk({str(i): set() for i in range(40)}, action,
                  concurrency=40, workers=10)
        self.assertEqual(40, len(threads))
        self.assertEqual({threading.current_thread().name},
                         set(threads.values()))

    def test_an_action_that_blocks_hands_the_next_nodes_over(self):
        # 'slow' blocks until the other two ended: they run on another
        # thread, started once 'slow' stalled.
        others_done = threading.Event()
        ended = []

        def action(node):
            if node == 'a-slow':
                self.assertTrue(others_done.wait(10))
            else:
                ended.append(threading.current_thread().name)
                if len(ended) == 2:
                    others_done.set()

        walk.walk({'a-slow': set(), 'b': set(), 'c': set()}, action,
                  concurrency=3, workers=3)
        self.assertEqual(2, len(ended))
        self.assertNotIn(threading.current_thread().name, ended)

    def test_once_a_worker_stalled_the_others_take_work_at_once(self):
        # Six nodes that each block until all six run: after the first
        # stall (HANDOFF) the other workers take the rest without a
        # HANDOFF each (which would take five of them, past the wait).
        self.useFixture(fixtures.MockPatchObject(walk, 'HANDOFF', 0.25))
        together = threading.Barrier(6, timeout=0.9)
        threads = set()

        def action(node):
            threads.add(threading.current_thread().name)
            together.wait()

        walk.walk({str(i): set() for i in range(6)}, action,
                  concurrency=6, workers=6)
        self.assertEqual(6, len(threads))

    def test_cancel_starts_nothing_more_after_the_running_nodes(self):
        # A chain a -> b -> c; the cancel comes while a runs.
        started = []
        cancelled = []

        def action(node):
            started.append(node)
            if node == 'a':
                cancelled.append(True)

        self.assertRaises(
            exception.OperationCancelled, walk.walk,
            {'a': set(), 'b': {'a'}, 'c': {'b'}}, action, concurrency=2,
            cancelled=lambda: bool(cancelled))
        self.assertEqual(['a'], started)

    def test_cancelled_before_any_node_starts_none(self):
        started = []
        self.assertRaises(
            exception.OperationCancelled, walk.walk,
            {'a': set(), 'b': set()}, started.append, concurrency=2,
            cancelled=lambda: True)
        self.assertEqual([], started)

    def test_a_node_waiting_for_its_step_holds_no_worker(self):
        # One worker, three nodes in progress: each waits until all three
        # have started, which only happens if a waiting node leaves the
        # worker free to start the next one.
        self.flags(check_interval=0.001, group='heat_snapshots')
        started = []
        done = []

        def action(node):
            started.append(node)
            yield walk.Poll(lambda: len(started) == 3, 'step of ' + node)
            done.append(node)

        walk.walk({'a': set(), 'b': set(), 'c': set()}, action,
                  concurrency=3, deadline=time.monotonic() + 60,
                  conf=base.CONF, workers=1)
        self.assertEqual(['a', 'b', 'c'], started)
        self.assertEqual(['a', 'b', 'c'], sorted(done))

    def test_a_step_told_of_is_checked_only_once_woken(self):
        # One worker; a, b and c each wait for a commit it is told of,
        # slow for a known wait of a second. The worker starts all four,
        # then sleeps; the wakes (from another thread) resume a, b and c
        # at once, not when slow's wait is over, and their steps are never
        # checked on a schedule.
        self.flags(check_interval=0.001, group='heat_snapshots')
        started, checks, wakes, ended = [], [], [], {}
        committed = threading.Event()
        lock = threading.Lock()

        def notify(wake):
            with lock:
                wakes.append(wake)

        def action(node):
            started.append(node)
            if node == 'slow':
                yield walk.Poll(committed.is_set, node,
                                ready_in=lambda: 1.0 if not ended else 0)
            else:
                def check():
                    checks.append(node)
                    return committed.is_set()
                yield walk.Poll(check, node, notify=notify)
            ended[node] = time.monotonic()

        woken_at = []

        def commit():
            while len(wakes) < 3:
                time.sleep(0.01)
            # Scheduled checks would come every millisecond meanwhile.
            time.sleep(0.1)
            committed.set()
            woken_at.append(time.monotonic())
            for wake in wakes:
                wake()

        committer = threading.Thread(target=commit)
        committer.start()
        walk.walk({'a': set(), 'b': set(), 'c': set(), 'slow': set()},
                  action, concurrency=4, deadline=time.monotonic() + 60,
                  conf=base.CONF, workers=1)
        committer.join()
        self.assertEqual(['a', 'b', 'c', 'slow'], started)
        self.assertEqual(['a', 'a', 'b', 'b', 'c', 'c'], sorted(checks))
        for node in 'abc':
            self.assertLess(ended[node] - woken_at[0], 0.5)
        self.assertIn('slow', ended)

    def test_idle_waits_for_the_starts_other_workers_run(self):
        # A worker with nothing left to start does not ask for the commit
        # while the other still starts slow: the three are committed
        # together.
        self.patch(walk, 'IDLE_WAIT', 5.0)
        self.patch(walk, 'IDLE_MAX', 5.0)
        commits = Commits()
        self._walk_three(commits, lambda: time.sleep(0.1))
        self.assertEqual([['a', 'b', 'slow']], commits.idles)

    def test_idle_waits_for_busy_workers_at_most_idle_wait(self):
        # A start that takes longer (a plugin's slow call) does not hold
        # the commit of the nodes already parked.
        self.patch(walk, 'IDLE_WAIT', 0.05)
        commits = Commits()
        called_during_start = []

        def slow_start():
            deadline = time.monotonic() + 10
            while not commits.idles and time.monotonic() < deadline:
                time.sleep(0.01)
            called_during_start.append(bool(commits.idles))

        self._walk_three(commits, slow_start)
        self.assertEqual([True], called_during_start)
        self.assertEqual([['a', 'b'], ['slow']], commits.idles)

    @staticmethod
    def _walk_three(commits, slow_start):
        """a, b and slow with two workers, each parked for its commit;
        ``slow_start()`` runs in slow's start before it parks.
        """
        def action(node):
            if node == 'slow':
                slow_start()
            yield commits.poll(node)

        walk.walk({'a': set(), 'b': set(), 'slow': set()}, action,
                  concurrency=3, deadline=time.monotonic() + 60,
                  conf=base.CONF, workers=2, idle=commits.idle)

    def test_idle_waits_for_a_check_due_within_idle_wait(self):
        # slow's step is done 50 ms after a parked: its change is
        # committed with a's.
        self.patch(walk, 'IDLE_WAIT', 5.0)
        self.patch(walk, 'IDLE_MAX', 5.0)
        commits = Commits()
        ready_at = time.monotonic() + 0.05

        def action(node):
            if node == 'slow':
                yield walk.Poll(lambda: time.monotonic() >= ready_at, node,
                                ready_in=lambda: ready_at - time.monotonic())
            yield commits.poll(node)

        walk.walk({'a': set(), 'slow': set()}, action, concurrency=2,
                  deadline=time.monotonic() + 60, conf=base.CONF,
                  workers=1, idle=commits.idle)
        self.assertEqual([['a', 'slow']], commits.idles)

    def test_each_node_parked_lets_idle_wait_more(self):
        # Four nodes park 0.2 s apart while a start is busy: each park
        # moves the commit IDLE_WAIT on, so the four make one commit.
        self.patch(walk, 'IDLE_WAIT', 0.5)
        self.patch(walk, 'IDLE_MAX', 5.0)
        self.assertEqual([['n1', 'n2', 'n3', 'n4'], ['slow']],
                         self._parking_one_by_one())

    def test_idle_waits_at_most_idle_max_after_the_first_park(self):
        self.patch(walk, 'IDLE_WAIT', 0.5)
        self.patch(walk, 'IDLE_MAX', 0.5)
        self.assertEqual([['n1', 'n2', 'n3'], ['n4', 'slow']],
                         self._parking_one_by_one())

    @staticmethod
    def _parking_one_by_one():
        """n1 to n4 park for their commit 0.2, 0.4, 0.6 and 0.8 s after
        the walk starts (each after a timed step), while slow's start
        lasts until the first commit (or 5 s).

        :returns: what each commit held.
        """
        commits = Commits()
        start = time.monotonic()

        def action(node):
            if node == 'slow':
                deadline = time.monotonic() + 5
                while not commits.idles and time.monotonic() < deadline:
                    time.sleep(0.01)
            else:
                ready_at = start + 0.2 * int(node[1])
                yield walk.Poll(
                    lambda: time.monotonic() >= ready_at, node,
                    ready_in=lambda: ready_at - time.monotonic())
            yield commits.poll(node)

        walk.walk({'n1': set(), 'n2': set(), 'n3': set(), 'n4': set(),
                   'slow': set()}, action, concurrency=5,
                  deadline=time.monotonic() + 60, conf=base.CONF,
                  workers=2, idle=commits.idle)
        return commits.idles

    @staticmethod
    def _start_and_end_commits(graph, concurrency):
        """Walk ``graph`` with one worker; each node waits for the commit
        of its start, then of its end (a ``last`` Poll).

        :returns: what each commit held.
        """
        commits = Commits()

        def action(node):
            yield commits.poll(node + ' start')
            yield commits.poll(node + ' end', last=True)

        walk.walk(graph, action, concurrency=concurrency,
                  deadline=time.monotonic() + 60, conf=base.CONF,
                  workers=1, idle=commits.idle)
        return commits.idles

    def test_a_node_waiting_for_its_end_gives_its_place_to_the_next(self):
        # Concurrency 1: b starts while a's end is committed, with it.
        self.assertEqual(
            [['a start'], ['a end', 'b start'], ['b end']],
            self._start_and_end_commits({'a': set(), 'b': set()}, 1))

    def test_a_dependant_waits_for_the_commit_of_its_requirement_end(self):
        self.assertEqual(
            [['a start'], ['a end'], ['b start'], ['b end']],
            self._start_and_end_commits({'a': set(), 'b': {'a'}}, 2))

    def test_concurrency_bounds_the_waiting_nodes_too(self):
        self.flags(check_interval=0.001, group='heat_snapshots')
        in_progress = []
        most = []
        lock = threading.Lock()

        def action(node):
            with lock:
                in_progress.append(node)
                most.append(len(in_progress))
            checks = iter([False, False, True])
            yield walk.Poll(lambda: next(checks), node)
            with lock:
                in_progress.remove(node)

        walk.walk({str(i): set() for i in range(8)}, action, concurrency=3,
                  conf=base.CONF, workers=2)
        self.assertEqual(3, max(most))

    def test_a_failed_check_is_raised_in_the_action(self):
        seen = []

        def check():
            raise exception.ResourceFailure(reason='backup error')

        def action(node):
            try:
                yield walk.Poll(check, node)
            except exception.ResourceFailure as error:
                seen.append(str(error))
                raise

        error = self.assertRaises(
            walk.WalkFailed, walk.walk, {'vol': set(), 'after': {'vol'}},
            action, concurrency=2, conf=base.CONF)
        self.assertEqual('vol', error.node)
        self.assertEqual(['backup error'], seen)

    def test_a_waiting_node_finishes_after_another_failed(self):
        self.flags(check_interval=0.001, group='heat_snapshots')
        ended = []
        failed = threading.Event()

        def action(node):
            if node == 'b-bad':
                failed.set()
                raise exception.ResourceFailure(reason='it broke')
            yield walk.Poll(failed.is_set, node)
            ended.append(node)

        # a-slow starts first and waits until b-bad has failed.
        error = self.assertRaises(
            walk.WalkFailed, walk.walk,
            {'a-slow': set(), 'b-bad': set(), 'c-after': set()}, action,
            concurrency=2, conf=base.CONF, workers=1)
        self.assertEqual('b-bad', error.node)
        self.assertEqual(['a-slow'], ended)

    def test_reverse_turns_every_edge(self):
        self.assertEqual({'a': {'b'}, 'b': set()},
                         walk.reverse({'a': set(), 'b': {'a'}}))


class WalkClockTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.clock = self.useFixture(fake_clock.FakeClock(start=100.0))

    def _checks(self, wait):
        """The times ``wait`` calls a check true from its 15th call."""
        checks = []
        start = self.clock.monotonic()

        def check():
            checks.append(self.clock.monotonic() - start)
            return len(checks) == 15

        wait(check)
        return checks

    def test_checks_come_on_the_schedule_of_poll(self):
        self.flags(check_interval=0.05, check_backoff=1.5,
                   check_interval_max=2, group='heat_snapshots')

        def in_a_walk(check):
            def action(node):
                yield walk.Poll(check, node)
            walk.walk({'a': set()}, action, concurrency=4,
                      deadline=self.clock.monotonic() + 3600,
                      conf=base.CONF)

        walked = self._checks(in_a_walk)
        self.assertEqual(sum(self.clock.sleeps), walked[-1])
        polled = self._checks(lambda check: walk.poll(
            check, self.clock.monotonic() + 3600, base.CONF, 'x'))
        self.assertEqual(polled, walked)
        # Growing gaps: fewer checks than a fixed tick would make.
        self.assertGreater(walked[-1], 14 * 0.05)

    def test_a_step_that_knows_its_wait_is_checked_once_it_is_over(self):
        # A step of a known 0.5 s is seen done at 0.5 s exactly, by one
        # check, not by checks every 50 ms up to 50 ms late.
        ready_at = self.clock.monotonic() + 0.5
        checks = []

        def check():
            checks.append(self.clock.monotonic())
            return self.clock.monotonic() >= ready_at

        def action(node):
            yield walk.Poll(check, node, ready_in=lambda: max(
                0.0, ready_at - self.clock.monotonic()))

        walk.walk({'a': set()}, action, concurrency=1,
                  deadline=self.clock.monotonic() + 3600, conf=base.CONF)
        self.assertEqual([ready_at], checks)

    def test_a_step_past_the_deadline_times_out(self):
        self.flags(action_timeout=30, group='heat_snapshots')

        def action(node):
            yield walk.Poll(lambda: False, 'Resource %s SNAPSHOT' % node)

        error = self.assertRaises(
            walk.WalkFailed, walk.walk, {'stuck': set()}, action,
            concurrency=1, deadline=130.0, conf=base.CONF)
        self.assertIsInstance(error.cause, exception.OperationTimeout)
        self.assertIn('Resource stuck SNAPSHOT timed out after 30',
                      error.message)
        self.assertEqual(130.0, self.clock.monotonic())


class PollTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.clock = self.useFixture(fake_clock.FakeClock(start=100.0))

    def test_deadline_raises_timeout(self):
        self.flags(action_timeout=7, group='heat_snapshots')
        checks = []
        error = self.assertRaises(
            exception.OperationTimeout, walk.poll,
            lambda: checks.append(self.clock.monotonic()), 107.0,
            base.CONF, 'Resource x SNAPSHOT')
        self.assertIn('Resource x SNAPSHOT timed out', error.message)
        self.assertLessEqual(checks[-1], 107.0)
        self.assertAlmostEqual(107.0, self.clock.monotonic())

    def _clocked_poll(self, done_at, check_cost=0.0):
        """Poll a check true from ``done_at`` on the fake clock.

        :returns: (the times of the checks, the sleeps).
        """
        checks = []

        def check():
            now = self.clock.monotonic() - 100.0
            checks.append(now)
            self.clock.advance(check_cost)
            return now >= done_at

        walk.poll(check, 100.0 + 3600, base.CONF, 'x')
        return checks, self.clock.sleeps

    def test_done_at_once_never_sleeps(self):
        checks, sleeps = self._clocked_poll(0.0)
        self.assertEqual([0.0], checks)
        self.assertEqual([], sleeps)

    def test_seen_done_within_a_tenth_of_the_wait(self):
        self.flags(check_interval=0.05, check_backoff=1.5,
                   check_interval_max=2.0, group='heat_snapshots')
        for done_at in (0.5, 0.73, 3.0, 20.0):
            self.clock.now = 100.0
            checks, _ = self._clocked_poll(done_at)
            self.assertGreaterEqual(checks[-1], done_at)
            self.assertLessEqual(checks[-1],
                                 done_at * (1 + walk.POLL_LATENESS) + 0.05)
        # Long waits still back off to check_interval_max.
        self.clock.now = 100.0
        checks, _ = self._clocked_poll(100.0)
        self.assertLess(len(checks), 100)

    def test_slow_check_is_not_repeated_at_once(self):
        self.flags(check_interval=0.05, group='heat_snapshots')
        _, sleeps = self._clocked_poll(2.0, check_cost=0.3)
        self.assertTrue(all(s >= 0.0499 for s in sleeps), sleeps)
