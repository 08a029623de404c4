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
writer). Here the changes of all walk threads queue, and are committed
together, at most ``group_commit_max`` at once, by one of the walkers (see
Writer); ``write()`` returns to each walker once its change is committed,
so what a walker goes on with is as durable as before. ``submit()`` returns
at once instead, with the change to be told of: a walk waits for it
holding no thread (walk.Poll's ``notify``) and starts other resources
meanwhile, whose changes join the same batch.

Fencing holds per change: the changes of a batch are grouped by their
context's fence, each group's fence is checked once in the batch's
transaction (read with a shared lock, as ``check_fence`` does, so a
takeover waits for the batch), and a group whose operation lost its hold
writes nothing: its walkers get OperationFenced, the other groups are
committed. A change that fails otherwise rolls the batch back; every change
of it is then written alone, as without batching, so each walker sees
its own outcome.

Changes of one kind (a resource's start, its end) can also be written
together: a change that names a ``many`` function is written, with the
other changes of its batch and fence that name the same one, by one call
of it, which writes each kind of row of all of them with one multi-row
statement instead of one statement per change. The changes of a batch
came from walkers none of which has been told its change is done, so no
order between them is owed and grouping them by kind changes nothing a
walker can see.
"""

import collections
import threading
import time

from oslo_log import log as logging

from heat_snapshots.common import exception
from heat_snapshots.db import api as db_api

LOG = logging.getLogger(__name__)

# Read by write(); set from [heat_snapshots_database] by configure().
SETTINGS = {'enabled': True, 'interval': 0.0, 'max': 200, 'writers': 1}


def configure(conf):
    opts = conf.heat_snapshots_database
    SETTINGS.update(enabled=opts.group_commit,
                    interval=opts.group_commit_interval,
                    max=opts.group_commit_max,
                    writers=opts.group_commit_writers)


class _Change:
    """One change: ``function(context)``, and what came of it.

    What ``submit`` returns: ``done`` once its batch is committed (or it
    failed), ``result()`` then (waiting for it before), ``on_done(wake)``
    to be told without waiting.
    """

    __slots__ = ('context', 'function', 'many', 'item', 'wake', 'done',
                 'slots', 'waited', 'callbacks', 'value', 'error')

    def __init__(self, context, function, many=None, item=None):
        self.context = context
        self.function = function
        self.many = many
        self.item = item
        # Set when the change is done, or its walker is to lead a batch.
        self.wake = threading.Event()
        self.done = False
        # Batch slots handed to its walker (at most one, see _hand_on).
        self.slots = 0
        # Whether a thread waits for it (in result()) to take a slot.
        self.waited = False
        self.callbacks = []
        self.value = None
        self.error = None

    def finish(self, result=None, error=None):
        self.value = result
        self.error = error
        with _CALLBACKS:
            self.done = True
            callbacks, self.callbacks = self.callbacks, ()
        self.wake.set()
        for callback in callbacks:
            callback()

    def on_done(self, callback):
        """Call ``callback()`` once the change is done (at once if it is),
        in the thread that finished it: it must only hand the news on.
        """
        with _CALLBACKS:
            if not self.done:
                self.callbacks.append(callback)
                return
        callback()

    def outcome(self):
        if self.error is not None:
            raise self.error
        return self.value

    def result(self):
        """What ``function`` returned, once committed; waits for it
        (leading a batch when handed a slot).

        :raises: what the change raised.
        """
        if not self.done:
            _writer.wait(self)
        return self.outcome()


# Guards a change's ``done`` against a callback added as it finishes.
_CALLBACKS = threading.Lock()


class Writer:
    """Leaders and followers, no thread of its own.

    A walker whose change finds a batch slot free (one on SQLite, which has
    one writer; ``group_commit_writers`` on a database server, so that
    batches overlap their round trips) commits every change queued until
    then, its own included, while the others wait; the slot then goes to
    the walker of the first change still queued. Each walker waits on its
    own event, woken once: when its change is committed or when it is to
    lead (under load every hand-over between threads costs a wait for the
    CPU, and a leader's own change needs none). A change no thread waits
    for (submitted by a walk, which goes on) is committed by the slot's
    holder itself, or by the walk's flush() once it has started what it
    could.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._queue = collections.deque()
        self._batches = 0
        self._local = threading.local()

    @property
    def leading(self):
        """Whether this thread is committing a batch."""
        return getattr(self._local, 'leading', False)

    def _free_slots(self):
        if db_api.get_engine().dialect.name == 'sqlite':
            return 1 - self._batches
        return SETTINGS['writers'] - self._batches

    def submit(self, change):
        """Queue ``change``, to be committed by whoever leads next: the
        walker waiting for it (wait), the holder of a batch slot, or a
        walk's flush().
        """
        with self._lock:
            self._queue.append(change)
        return change

    def flush(self):
        """Commit what is queued, if a batch slot is free (else its holder
        commits it next).
        """
        with self._lock:
            lead = bool(self._queue) and self._free_slots() > 0
            if lead:
                self._batches += 1
        if lead:
            self._lead_while_unwaited()

    def wait(self, change):
        """Return once ``change`` is done: commit it (with what is queued)
        when a batch slot is free, or when handed one.
        """
        with self._lock:
            change.waited = True
            lead = not change.done and self._free_slots() > 0
            if lead:
                self._batches += 1
        if lead:
            self._lead_while_unwaited()
        while True:
            if change.done:
                with self._lock:
                    extra, change.slots = change.slots, 0
                for _ in range(extra):
                    if self._hand_on():
                        self._lead_while_unwaited()
                return
            change.wake.wait()
            with self._lock:
                change.wake.clear()
                lead = change.slots > 0
                if lead:
                    change.slots -= 1
            if lead:
                self._lead_while_unwaited()

    def _lead_while_unwaited(self):
        """Commit batches while the first change queued after each has no
        thread waiting for it (a walk goes on without waiting): no one
        else would.
        """
        while True:
            try:
                self._lead()
            finally:
                keep = self._hand_on()
            if not keep:
                return

    def _hand_on(self):
        """Give this batch slot to the thread waiting for the first queued
        change that has none, or free it.

        :returns: True when the caller keeps the slot: that change has no
            thread waiting for it, so the caller is to commit it.
        """
        with self._lock:
            for queued in self._queue:
                if not queued.slots:
                    if not queued.waited:
                        return True
                    queued.slots = 1
                    queued.wake.set()
                    return False
            self._batches -= 1
            return False

    def _lead(self):
        if SETTINGS['interval']:
            # A few more walkers may join the batch.
            time.sleep(SETTINGS['interval'])
        with self._lock:
            count = min(len(self._queue), SETTINGS['max'])
            batch = [self._queue.popleft() for _ in range(count)]
        if not batch:
            return
        self._local.leading = True
        try:
            commit(batch)
        except Exception as error:  # never leave a walker waiting
            LOG.exception('Group commit failed')
            for change in batch:
                if not change.done:
                    change.finish(error=error)
        finally:
            self._local.leading = False


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
    outcomes = []
    for fence, changes in groups.items():
        context.fence = fence
        try:
            db_api.check_fence(context)
        except exception.OperationFenced as error:
            outcomes.extend((change, None, error) for change in changes)
            continue
        for many, kind in _kinds(changes):
            if many is None or len(kind) == 1:
                for change in kind:
                    outcomes.append((change, change.function(context), None))
                continue
            results = many(context, [change.item for change in kind])
            outcomes.extend((change, result, None)
                            for change, result in zip(kind, results))
    return outcomes


def _kinds(changes):
    """(``many``, its changes) in the order each came first; changes
    written one by one under None (and a kind of one change is written by
    its own function).
    """
    kinds = collections.OrderedDict()
    for change in changes:
        kinds.setdefault(change.many, []).append(change)
    return kinds.items()


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


def submit(context, function, many=None, item=None):
    """Queue a change, ``function(context)``, to be committed with others;
    the change is returned at once, uncommitted (see _Change). It is
    committed by the first of: its ``result()``, which waits for it; the
    holder of a batch slot, once its batch is done; flush(). A walk that
    waits for it without holding a thread (walk.Poll's ``notify``) starts
    its other ready resources first, then flushes: their changes make one
    batch.

    ``function`` writes through the database API with the context it is
    given (which carries the batch's transaction and this change's fence)
    and must be safe to run again alone: a batch that fails is written
    again change by change, where each write ``function`` makes is a
    transaction of its own unless ``function`` opens one around them
    (``db_api.run_in_transaction``: it joins the batch's). Run at once
    with the caller's context when the caller holds a transaction (a batch
    could not join it, and on SQLite would wait for it), or with group
    commit off.

    With ``many``, the change is written in a batch as
    ``many(context, items)[i]``, where ``items`` are the ``item`` of each
    change of the batch (and fence) naming the same ``many``, this one
    at ``i``: a module-level function writing them all as ``function``
    writes each, in one transaction (the batch's), and returning their
    results in order. ``function`` still writes the change alone.

    Its ``result()`` raises OperationFenced when the context's operation
    lost its hold, or whatever ``function`` raised.
    """
    change = _Change(context, function, many, item)
    if (not SETTINGS['enabled'] or db_api.in_transaction(context) or
            _writer.leading):
        # (A leader writing a change alone never waits for itself.)
        _alone(change)
        return change
    return _writer.submit(change)


def flush():
    """Commit the changes queued, unless a batch slot's holder will."""
    _writer.flush()


def write(context, function, many=None, item=None):
    """``function(context)``'s result, once what it wrote is committed
    (see submit).
    """
    return submit(context, function, many, item).result()
