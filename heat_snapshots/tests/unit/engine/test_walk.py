import threading
import time

from heat_snapshots.common import exception
from heat_snapshots.engine import walk
from heat_snapshots.tests import base


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
        running = []
        most = []
        lock = threading.Lock()

        def action(node):
            with lock:
                running.append(node)
                most.append(len(running))
            time.sleep(0.02)
            with lock:
                running.remove(node)

        walk.walk({str(i): set() for i in range(9)}, action, concurrency=3)
        self.assertEqual(3, max(most))

    def test_reverse_turns_every_edge(self):
        self.assertEqual({'a': {'b'}, 'b': set()},
                         walk.reverse({'a': set(), 'b': {'a'}}))


class PollTest(base.TestCase):

    def test_deadline_raises_timeout(self):
        self.flags(action_timeout=7, group='heat_snapshots')
        error = self.assertRaises(
            exception.OperationTimeout, walk.poll, lambda: False,
            time.monotonic() + 0.05, base.CONF, 'Resource x SNAPSHOT')
        self.assertIn('Resource x SNAPSHOT timed out', error.message)
