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

"""Group commit of the walks' state changes.

A walk writes several small state changes per resource (its snapshot
started, the artifact's id, its end; the resource's state in the stack
store). Each in a transaction of its own, most of a walk's time went into
beginning, fencing and committing them, one at a time (SQLite has one
writer). Here writer threads (one on SQLite, ``group_commit_writers`` on a
database server) commit together the changes that arrive within
``group_commit_interval``, at most ``group_commit_max`` at once;
``write()`` returns to the walker once its change is committed, so what a
walker goes on with is as durable as before.

Fencing holds per change: the changes of a batch are grouped by their
context's fence, each group's fence is checked once in the batch's
transaction (read with a shared lock, as ``check_fence`` does, so a
takeover waits for the batch), and a group whose operation lost its hold
writes nothing: its walkers get OperationFenced, the other groups are
committed. A change that fails otherwise rolls the batch back; every change
of it is then written alone, as without batching, so each walker sees
its own outcome.
"""

import collections
import os
import threading

from oslo_log import log as logging

from heat_snapshots.common import exception
from heat_snapshots.db import api as db_api

LOG = logging.getLogger(__name__)

# Read by write(); set from [heat_snapshots_database] by configure().
SETTINGS = {'enabled': True, 'interval': 0.002, 'max': 200, 'writers': 4}


def configure(conf):
    opts = conf.heat_snapshots_database
    SETTINGS.update(enabled=opts.group_commit,
                    interval=opts.group_commit_interval,
                    max=opts.group_commit_max,
                    writers=opts.group_commit_writers)


class _Change:
    """One change: ``function(context)``, and its walker's wait."""

    __slots__ = ('context', 'function', 'done', 'result', 'error')

    def __init__(self, context, function):
        self.context = context
        self.function = function
        self.done = threading.Event()
        self.result = None
        self.error = None

    def finish(self, result=None, error=None):
        self.result = result
        self.error = error
        self.done.set()

    def wait(self):
        self.done.wait()
        if self.error is not None:
            raise self.error
        return self.result


class Writer:
    """The writer threads of one process, started by its first change.

    One on SQLite (it has one writer at a time anyway); on a database
    server several, so that batches overlap their round trips to the
    server as the walk threads' own transactions did.
    """

    def __init__(self):
        self._queue = collections.deque()
        self._condition = threading.Condition()
        self.threads = ()
        self._pid = None

    def submit(self, context, function):
        change = _Change(context, function)
        with self._condition:
            self._start()
            self._queue.append(change)
            self._condition.notify()
        return change

    def _start(self):
        # Again in a forked child: the parent's threads are not there.
        if self.threads and self._pid == os.getpid():
            return
        self._queue.clear()
        self._pid = os.getpid()
        count = (1 if db_api.get_engine().dialect.name == 'sqlite'
                 else SETTINGS['writers'])
        self.threads = tuple(
            threading.Thread(target=self._run, daemon=True,
                             name='state-writer-%d' % i)
            for i in range(count))
        for thread in self.threads:
            thread.start()

    def _next_batch(self):
        with self._condition:
            while not self._queue:
                self._condition.wait()
            # More changes join while the first waits a little (walkers
            # that started with it); a full batch goes at once.
            if len(self._queue) < SETTINGS['max'] and SETTINGS['interval']:
                self._condition.wait_for(
                    lambda: len(self._queue) >= SETTINGS['max'],
                    timeout=SETTINGS['interval'])
            count = min(len(self._queue), SETTINGS['max'])
            return [self._queue.popleft() for _ in range(count)]

    def _run(self):
        while True:
            batch = self._next_batch()
            if not batch:  # another writer took them
                continue
            try:
                commit(batch)
            except Exception as error:  # never leave a walker waiting
                LOG.exception('State writer failed')
                for change in batch:
                    if not change.done.is_set():
                        change.finish(error=error)


_writer = Writer()


def _groups(batch):
    """The changes by fence, in the order their first one came."""
    groups = collections.OrderedDict()
    for change in batch:
        fence = getattr(change.context, 'fence', None)
        groups.setdefault(fence, []).append(change)
    return groups


@db_api.retry_on_db_error
@db_api.writer
def _apply(context, groups):
    """Every group in one transaction; {change: result or error}."""
    db_api.remember_fences(context)
    outcomes = []
    for fence, changes in groups.items():
        context.fence = fence
        try:
            db_api.check_fence(context)
        except exception.OperationFenced as error:
            outcomes.extend((change, None, error) for change in changes)
            continue
        for change in changes:
            outcomes.append((change, change.function(context), None))
    return outcomes


def _alone(change):
    """The change as without batching: each write it makes in a fenced
    transaction of its own, unless it opens one for them.
    """
    try:
        result = change.function(change.context)
    except Exception as error:
        change.finish(error=error)
    else:
        change.finish(result)


def commit(batch):
    """Write ``batch`` (a list of changes) and tell each walker."""
    context = batch[0].context
    batch_context = context.__class__.from_dict(context.to_dict())
    try:
        outcomes = _apply(batch_context, _groups(batch))
    except Exception as error:
        if len(batch) > 1:
            LOG.debug('A batch of %d state changes failed (%s); writing '
                      'each alone', len(batch), error)
        for change in batch:
            _alone(change)
        return
    for change, result, error in outcomes:
        change.finish(result, error)


def write(context, function):
    """``function(context)``'s result, once what it wrote is committed.

    ``function`` writes through the database API with the context it is
    given (which carries the batch's transaction and this change's fence)
    and must be safe to run again alone: a batch that fails is written
    again change by change, where each write ``function`` makes is a
    transaction of its own unless ``function`` opens one around them
    (``db_api.run_in_transaction``: it joins the batch's). Run at once
    with the caller's context when the caller holds a transaction (a batch
    could not join it, and on SQLite would wait for it), or with group
    commit off.

    :raises: OperationFenced when the context's operation lost its hold;
        whatever ``function`` raised.
    """
    if (not SETTINGS['enabled'] or db_api.in_transaction(context) or
            threading.current_thread() in _writer.threads):
        # (The writer itself, writing a change alone, never waits for
        # itself.)
        return function(context)
    return _writer.submit(context, function).wait()
