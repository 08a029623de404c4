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

import collections
import heapq
import inspect
import threading
import time

from oslo_config import cfg
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


def leading(graph, included):
    """The nodes ``included(node)`` holds for, as for all they require
    (directly or not): what can be done before any other node. Each comes
    after those it requires; the graph must be valid (check_graph).
    """
    needed = {node: len(requires) for node, requires in graph.items()
              if included(node)}
    required_by = reverse(graph)
    ready = collections.deque(sorted(
        node for node, count in needed.items() if not count))
    order = []
    while ready:
        node = ready.popleft()
        order.append(node)
        for dependant in sorted(required_by[node]):
            if dependant in needed:
                needed[dependant] -= 1
                if not needed[dependant]:
                    ready.append(dependant)
    return order


def waves(order, graph):
    """``order`` (each node after those it requires, as ``leading`` gives
    it) in waves: a node is in the wave after the last wave holding one
    it requires. The nodes of a wave require none of each other; what a
    writer writes wave after wave shows each node after all it requires.
    """
    level = {}
    result = []
    for node in order:
        wave = max((level[required] + 1 for required in graph[node]
                    if required in level), default=0)
        level[node] = wave
        if wave == len(result):
            result.append([])
        result[wave].append(node)
    return result


class Poll:
    """What a node's action yields while its step is not done yet.

    An action that is a generator yields Polls: the walk calls ``check()``
    at once and then on poll()'s schedule until it returns True, and
    resumes the generator then (``check``'s error, or OperationTimeout
    once the walk's deadline passes, is thrown into it at the ``yield``).
    Between two checks the node holds no worker: a worker that has nothing
    to check takes the next ready node.

    ``ready_in()``, when given, answers the seconds before which the step
    cannot be done (a wait its plugin knows), or None: the step is then
    checked when that time comes and never before, instead of on poll()'s
    schedule.

    ``notify(wake)``, when given, calls ``wake()`` (from any thread, at
    once if it is so already) when the step may be done: the step is then
    checked only when woken, never on a schedule (a commit the walk waits
    for, see group_commit.submit).

    ``last``: the node's work is done, it did not fail, and it waits only
    for this step (the commit of its end): its place among the
    ``concurrency`` nodes in progress goes to the next ready node
    meanwhile, whose start is then committed with this end; the nodes
    that require it still wait for its end.
    """

    def __init__(self, check, what, ready_in=None, notify=None, last=False):
        self.check = check
        self.what = what
        self.ready_in = ready_in
        self.notify = notify
        self.last = last

    def not_before(self, now):
        """When the step may be done, if later than ``now``; or None."""
        if self.ready_in is None:
            return None
        try:
            wait = self.ready_in()
        except Exception as error:
            LOG.debug('%s: no time to check it at (%s)', self.what, error)
            return None
        if wait is None or wait <= 0:
            return None
        return now + wait


class Backoff:
    """When to check a step next, as poll() plans it (see there)."""

    def __init__(self, conf, start):
        opts = conf.heat_snapshots
        self.first = opts.check_interval
        self.factor = opts.check_backoff
        self.longest = opts.check_interval_max
        self.start = self.planned = start
        self.interval = self.first

    def next(self, now):
        """:returns: the time.monotonic() value of the next check."""
        gap = min(self.interval, max(self.first,
                                     POLL_LATENESS * (now - self.start)))
        self.planned += gap
        if self.planned <= now:
            # Behind (a slow check): the next one a whole gap from now.
            self.planned = now + gap
        self.interval = min(self.interval * self.factor, self.longest)
        return self.planned


class _Waiting:
    """A node whose generator waits for its step: next check at ``due``."""

    def __init__(self, node, steps, poll, backoff, due):
        self.node = node
        self.steps = steps
        self.poll = poll
        self.backoff = backoff
        self.due = due

    def __lt__(self, other):
        return self.due < other.due


# How long after the last node parked a worker with nothing else to do
# may wait for the other workers' starts and checks, and for the checks
# due by then, before it calls the walk's ``idle`` for the nodes parked:
# their changes then join one commit, as long as none of those tasks is a
# plugin's slow call. Each node parked meanwhile waits IDLE_WAIT more (a
# loaded machine took 28 ms for 50 starts, which two commits then
# wrote), at most IDLE_MAX after the first.
IDLE_WAIT = 0.02
IDLE_MAX = 0.05

# A worker that just ended a task takes the next one itself; another
# worker takes it only once the busy ones have taken nothing for this
# long (a plugin's call that blocks): a hand-off between threads costs
# more than most starts and checks (a loaded machine spread 50 starts
# over 12 ms on ten threads against 4 ms on one), and a thread more is
# started only then, so a walk whose calls never block runs on one. Once
# the busy ones stalled, the others take work at once (up to
# ``workers``) until a task ends within HANDOFF: a plugin whose calls
# block blocks in each of them.
HANDOFF = 0.005


class _Walk:
    """The state of one walk, shared by its workers under ``cond``.

    A ready node is admitted while fewer than ``concurrency`` are in
    progress (as long as no node failed). Each worker takes, in this
    order, an admitted node to start, or a due check of a waiting node,
    and runs it; when nothing is to be done it sleeps until the earliest
    planned check or until another worker changes the state. There is no
    dispatcher and no fixed tick: a worker that finishes a node marks its
    dependants ready and takes the next one itself; the others take work
    only when no worker is busy or the busy ones stalled (HANDOFF).
    """

    def __init__(self, graph, action, concurrency, deadline, name, conf,
                 workers, cancelled=None, idle=None):
        self.pending = {node: set(requires)
                        for node, requires in graph.items()}
        check_graph(self.pending)
        self.required_by = reverse(self.pending)
        self.ready = collections.deque(sorted(
            node for node, requires in self.pending.items() if not requires))
        self.action = action
        self.concurrency = concurrency
        self.deadline = deadline
        self.name = name
        self.conf = conf
        self.cancelled = cancelled
        lock = threading.RLock()
        self.cond = threading.Condition(lock)
        #: Where a worker waits while work waits for the busy workers
        #: (see HANDOFF): not woken by every change ``cond`` announces.
        self.standby = threading.Condition(lock)
        #: When a worker last took a task, or a node was woken.
        self.progress = time.monotonic()
        #: Work was taken from stalled workers, and no task ended within
        #: HANDOFF since (see there).
        self.stalled = False
        #: In progress, not yet started by a worker.
        self.admitted = collections.deque()
        self.waiting = []
        #: Waiting nodes whose ``notify`` woke them, to check at once,
        #: and how many wait to be woken.
        self.woken = collections.deque()
        self.parked = 0
        #: Called by a worker with nothing to start while nodes are parked
        #: (see _take); ``idled`` once it was since the last was parked;
        #: ``idle_by``: when it is called even if other workers are busy,
        #: ``parked_at``: when the first node of those parked was.
        self.idle = idle
        self.idled = False
        self.idle_by = None
        self.parked_at = None
        self.in_progress = 0
        #: Nodes in progress that gave their place among ``concurrency``
        #: while they wait for a last step (see Poll).
        self.released = set()
        #: Workers running a start, a check or ``idle``.
        self.active = 0
        #: Whether a worker sleeps until the next check.
        self.sleeping = False
        self.failure = None
        #: Most worker threads, and those started (the caller's is one).
        self.workers = workers
        self.threads = []
        #: Whether ``cancelled()`` said so (asked holding no lock).
        self.cancel_seen = False
        self._ask_cancelled()
        self._admit()

    def _next(self, now):
        """The kind of the next task to take and what takes it off its
        queue, or None. Called holding ``cond``.
        """
        # A woken node first: what it waited for is done, and its next
        # step (a plugin's wait, or its end) is due now.
        if self.woken:
            return 'check', self.woken.popleft
        # Then starts: a node started now still has its whole step
        # ahead, a node due for a check at most its last writes.
        if self.admitted:
            return 'start', self.admitted.popleft
        if self.waiting and self.waiting[0].due <= now:
            return 'check', lambda: heapq.heappop(self.waiting)
        return None

    def _take(self, hot=False):
        """The next thing to do: ('check', _Waiting), ('start', node), or
        None when the walk is over. Called holding ``cond``.

        :param hot: the worker just ended a task: it takes the next at
            once (see HANDOFF).
        """
        while True:
            now = time.monotonic()
            following = self._next(now)
            if following is not None and not (
                    hot or not self.active or self.stalled or
                    now - self.progress >= HANDOFF):
                # The busy workers take it when they are done, unless
                # they stall.
                self.standby.wait(max(0.0, self.progress + HANDOFF - now))
                continue
            if following is not None:
                if not hot and self.active:
                    self.stalled = True
                self.active += 1
                self.progress = now
                kind, take = following
                task = kind, take()
                self._spare()
                return task
            idle_due = (self.parked and not self.idled and
                        self.idle is not None)
            if idle_due and (now >= self.idle_by or not (
                    self.active or (self.waiting and
                                    self.waiting[0].due < self.idle_by))):
                # Nothing more to start or check now: what the parked
                # nodes wait for (their commits, see group_commit.submit)
                # is asked for, once for all parked until now. Not while
                # other workers still start or check nodes, nor before a
                # check that comes before ``idle_by``: what they park
                # joins the same commit.
                self.idled = True
                self.idle_by = self.parked_at = None
                self.active += 1
                self.progress = now
                self.cond.release()
                try:
                    self.idle()
                finally:
                    self.cond.acquire()
                    self.active -= 1
                hot = True
                continue
            if not self.in_progress:
                # Nothing in progress and nothing (more) to start.
                return None
            if idle_due and self.active:
                # Until the busy workers are done, or ``idle_by``.
                until = self.idle_by
                if self.waiting:
                    until = min(until, self.waiting[0].due)
                self.cond.wait(until - now)
            elif not self.waiting or self.sleeping:
                self.cond.wait()
            elif (self.active or self.parked) and not idle_due:
                # A worker's task, or a parked node's wake, may change
                # what is to be done.
                self.cond.wait(self.waiting[0].due - now)
            else:
                # Nothing can change before the next check (or the
                # parked nodes' commit waits for it): one worker sleeps
                # until then (time.sleep, which a test's clock replaces),
                # the others wait for what it does.
                self.sleeping = True
                self.cond.release()
                try:
                    time.sleep(self.waiting[0].due - now)
                finally:
                    self.cond.acquire()
                    self.sleeping = False
                # The checks it slept for are its own to take.
                hot = True

    def _admit(self):
        """Ready nodes become in progress while there is room, until a
        node fails or the deadline passes; a node admitted before that is
        still started. Called holding ``cond``.
        """
        while (self.ready and self.failure is None and
               self.in_progress - len(self.released) < self.concurrency):
            if (self.deadline is not None and
                    time.monotonic() > self.deadline):
                self.failure = exception.OperationTimeout(
                    operation=self.name, seconds='the allowed')
                return
            if self.cancel_seen:
                LOG.info('Walk %s cancelled: %d node(s) still in progress',
                         self.name, self.in_progress)
                self.failure = exception.OperationCancelled()
                return
            self.in_progress += 1
            self.admitted.append(self.ready.popleft())
        self._spare()

    def _spare(self):
        """Start a thread when work is left while every worker is busy,
        up to ``workers``: it takes that work if they stall (HANDOFF).
        Called holding ``cond``.
        """
        # The caller's thread is a worker too.
        started = len(self.threads) + 1
        if (self.active < started or started >= self.workers or not (
                self.admitted or self.woken or self.waiting)):
            return
        thread = threading.Thread(
            target=self.work, daemon=True,
            name='%s-%d' % (self.name, started + 1))
        self.threads.append(thread)
        thread.start()

    def work(self):
        task = began = None
        while True:
            with self.cond:
                if task is not None:
                    self.active -= 1
                    if time.monotonic() - began < HANDOFF:
                        self.stalled = False
                    self.cond.notify_all()
                # Taken under the same hold: no other worker takes the
                # next task in between (see HANDOFF).
                task = self._take(hot=task is not None)
                if task is None:
                    self.cond.notify_all()
                    self.standby.notify_all()
                    return
            kind, item = task
            began = time.monotonic()
            try:
                if kind == 'start':
                    self._start(item)
                else:
                    self._check(item)
            except BaseException:
                with self.cond:
                    self.active -= 1
                    self.cond.notify_all()
                raise

    def _start(self, node):
        try:
            steps = self.action(node)
        except Exception as error:
            self._finish(node, error)
            return
        if not inspect.isgenerator(steps):
            self._finish(node, None)
            return
        self._resume(node, steps, None)

    def _resume(self, node, steps, error):
        """Run the node's generator on to its next Poll, or its end."""
        while True:
            try:
                if error is None:
                    poll = next(steps)
                else:
                    poll = steps.throw(error)
            except StopIteration:
                self._finish(node, None)
                return
            except Exception as failed:
                self._finish(node, failed)
                return
            # The first check at once (a step already done never waits),
            # unless the step says it cannot be done yet.
            start = time.monotonic()
            if poll.not_before(start) is None:
                try:
                    if poll.check():
                        error = None
                        continue
                except Exception as failed:
                    error = failed
                    continue
            waiting = _Waiting(node, steps, poll, None, start)
            if poll.notify is not None:
                self._park(waiting)
                return
            waiting.backoff = Backoff(self.conf, start)
            self._wait(waiting)
            return

    def _check(self, waiting):
        try:
            done = waiting.poll.check()
        except Exception as error:
            self._resume(waiting.node, waiting.steps, error)
            return
        if done:
            self._resume(waiting.node, waiting.steps, None)
            return
        if waiting.poll.notify is not None:
            self._park(waiting)
            return
        self._wait(waiting)

    def _park(self, waiting):
        """Leave the node until its poll's ``notify`` wakes it; called
        holding no lock (it may wake it at once).
        """
        def wake():
            with self.cond:
                self.parked -= 1
                self.woken.append(waiting)
                self.progress = time.monotonic()
                self._spare()
                self.cond.notify_all()
        release = (waiting.poll.last and
                   waiting.node not in self.released)
        if release:
            self._ask_cancelled()
        with self.cond:
            self.parked += 1
            self.idled = False
            now = time.monotonic()
            if self.parked_at is None:
                self.parked_at = now
            self.idle_by = min(now + IDLE_WAIT, self.parked_at + IDLE_MAX)
            if release:
                self.released.add(waiting.node)
                self._admit()
        waiting.poll.notify(wake)

    def _wait(self, waiting):
        now = time.monotonic()
        if self.deadline is not None and now >= self.deadline:
            self._resume(waiting.node, waiting.steps,
                         exception.OperationTimeout(
                             operation=waiting.poll.what,
                             seconds=self.conf.heat_snapshots.action_timeout))
            return
        waiting.due = waiting.backoff.next(now)
        ready = waiting.poll.not_before(now)
        if ready is not None:
            waiting.due = ready
        if self.deadline is not None:
            waiting.due = min(waiting.due, self.deadline)
        with self.cond:
            heapq.heappush(self.waiting, waiting)

    def _ask_cancelled(self, node=None):
        """Ask ``cancelled()`` before nodes may be admitted (some are
        ready, or ``node``'s end makes its dependants ready), holding no
        lock: it may read the database, and the other workers need
        ``cond`` meanwhile.
        """
        if self.cancelled is None or self.cancel_seen:
            return
        if (self.ready or (node is not None and self.required_by[node])) \
                and self.cancelled():
            self.cancel_seen = True

    def _finish(self, node, error):
        self._ask_cancelled(node)
        with self.cond:
            self.in_progress -= 1
            self.released.discard(node)
            if error is not None:
                if self.failure is None:
                    self.failure = WalkFailed(node, error)
            else:
                for dependant in sorted(self.required_by[node]):
                    self.pending[dependant].discard(node)
                    if not self.pending[dependant]:
                        self.ready.append(dependant)
            self._admit()
            self.cond.notify_all()


def walk(graph, action, concurrency, deadline=None, name='walk', conf=None,
         workers=None, cancelled=None, idle=None):
    """Call ``action(node)`` for each node after all it requires are done.

    An action that returns a generator yields a Poll for each step it
    waits for (see Poll); the node is done when the generator ends.

    :param graph: {node: iterable of nodes it requires}.
    :param concurrency: most nodes in progress at once (a node waiting
        only for a ``last`` Poll not counted: see Poll).
    :param deadline: time.monotonic() value after which no node starts and
        the walk raises OperationTimeout.
    :param conf: the configuration polls are planned from (check_interval,
        check_backoff, check_interval_max, action_timeout).
    :param workers: most threads running actions and checks at once
        (default: ``concurrency``), started when the busy ones stall (see
        HANDOFF); nodes waiting between checks hold none, so fewer
        workers than ``concurrency`` still keep ``concurrency`` nodes in
        progress.
    :param cancelled: ``cancelled()`` is asked before a node is admitted;
        once true, no further node starts and the walk raises
        OperationCancelled when the nodes already in progress have
        finished.
    :param idle: ``idle()`` is called, holding no lock, by a worker that
        has no node to start while nodes wait for their Poll's ``notify``:
        what they wait for may need it (group_commit.flush).
    :raises: WalkFailed for the first node that failed, once the nodes
        already in progress have finished; no further node is started.
    """
    state = _Walk(graph, action, concurrency, deadline, name,
                  conf or cfg.CONF,
                  max(1, min(workers or concurrency, concurrency)),
                  cancelled, idle)
    # The calling thread is a worker; the others start as work comes.
    state.work()
    for thread in list(state.threads):
        thread.join()
    if state.failure is not None:
        raise state.failure


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
    backoff = Backoff(conf, time.monotonic())
    while not check():
        now = time.monotonic()
        remaining = deadline - now
        if remaining <= 0:
            raise exception.OperationTimeout(
                operation=what,
                seconds=conf.heat_snapshots.action_timeout)
        time.sleep(min(backoff.next(now) - now, remaining))
