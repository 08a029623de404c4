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

"""Walk a dependency graph, running independent nodes in parallel.

Used by every engine walk (snapshot, restore, snapshot delete) and by the
local stack driver's create, update and delete.
"""

import concurrent.futures
import time

from oslo_log import log as logging

from heat_snapshots.common import exception

LOG = logging.getLogger(__name__)


class WalkFailed(exception.HeatSnapshotsException):
    """A node failed; ``node`` names it and ``cause`` is its error."""

    msg_fmt = '%(node)s: %(cause)s'

    def __init__(self, node, cause):
        self.node = node
        self.cause = cause
        super().__init__(node=node, cause=cause)


def check_graph(graph):
    """Raise InvalidTemplate for a missing node or a dependency cycle."""
    for node, requires in graph.items():
        for required in requires:
            if required not in graph:
                raise exception.InvalidTemplate(
                    reason='Resource %s depends on %s, which does not '
                           'exist' % (node, required))
    done = set()
    for start in graph:
        if start in done:
            continue
        # Iterative depth-first search with an explicit path for cycles.
        path, stack = [], [(start, iter(sorted(graph[start])))]
        on_path = {start}
        path.append(start)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                on_path.discard(node)
                done.add(node)
            elif child in on_path:
                cycle = path[path.index(child):] + [child]
                raise exception.InvalidTemplate(
                    reason='Circular dependency: %s' % ' -> '.join(cycle))
            elif child not in done:
                on_path.add(child)
                path.append(child)
                stack.append((child, iter(sorted(graph[child]))))


def reverse(graph):
    """The graph with every edge turned round (for deletes)."""
    reversed_graph = {node: set() for node in graph}
    for node, requires in graph.items():
        for required in requires:
            reversed_graph[required].add(node)
    return reversed_graph


def walk(graph, action, concurrency, deadline=None, name='walk',
         cancelled=None):
    """Call ``action(node)`` for each node after all it requires are done.

    :param graph: {node: iterable of nodes it requires}.
    :param concurrency: most nodes in progress at once.
    :param deadline: time.monotonic() value after which no node starts and
        the walk raises OperationTimeout.
    :param cancelled: ``cancelled()`` is asked before a node starts; once
        true, no further node starts and the walk raises
        OperationCancelled when the nodes already running have finished.
    :raises: WalkFailed for the first node that failed, once the nodes
        already running have finished; no further node is started.
    """
    pending = {node: set(requires) for node, requires in graph.items()}
    check_graph(pending)
    required_by = reverse(pending)
    ready = sorted(node for node, requires in pending.items()
                   if not requires)
    failure = None
    running = {}
    with concurrent.futures.ThreadPoolExecutor(
            max_workers=concurrency,
            thread_name_prefix=name) as pool:
        while (ready and failure is None) or running:
            while ready and failure is None and len(running) < concurrency:
                if deadline is not None and time.monotonic() > deadline:
                    failure = exception.OperationTimeout(
                        operation=name, seconds='the allowed')
                    break
                if cancelled is not None and cancelled():
                    LOG.info('Walk %s cancelled: %d node(s) still running',
                             name, len(running))
                    failure = exception.OperationCancelled()
                    break
                node = ready.pop(0)
                running[pool.submit(action, node)] = node
            if not running:
                break
            done, _ = concurrent.futures.wait(
                running, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                node = running.pop(future)
                error = future.exception()
                if error is not None:
                    if failure is None:
                        failure = WalkFailed(node, error)
                    continue
                for dependant in sorted(required_by[node]):
                    pending[dependant].discard(node)
                    if not pending[dependant]:
                        ready.append(dependant)
    if failure is not None:
        raise failure


# A check comes at most this share of the time already waited after the
# step ended (but never sooner than check_interval after the previous one).
POLL_LATENESS = 0.1


def poll(check, deadline, conf, what):
    """Call ``check()`` until it returns True, at once and then less often.

    The first check is immediate (a step already done never sleeps). The
    gap between checks starts at check_interval and grows by check_backoff
    up to check_interval_max, but never beyond POLL_LATENESS of the time
    waited so far: a step that takes d seconds is seen done by about
    d * (1 + POLL_LATENESS), not up to a whole grown interval late. Checks
    are planned from the start, so time spent in check() and late wake-ups
    do not add up.

    :raises: OperationTimeout once ``deadline`` (time.monotonic()) passes.
    """
    opts = conf.heat_snapshots
    start = planned = time.monotonic()
    interval = opts.check_interval
    while not check():
        now = time.monotonic()
        remaining = deadline - now
        if remaining <= 0:
            raise exception.OperationTimeout(
                operation=what,
                seconds=opts.action_timeout)
        gap = min(interval, max(opts.check_interval,
                                POLL_LATENESS * (now - start)))
        planned += gap
        if planned <= now:
            # Behind (a slow check): the next one a whole gap from now.
            planned = now + gap
        time.sleep(min(planned - now, remaining))
        interval = min(interval * opts.check_backoff,
                       opts.check_interval_max)
