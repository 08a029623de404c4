"""Stack locks: one operation at a time on a stack, across engines."""

import time

from oslo_log import log as logging

from heat_snapshots.common import exception
from heat_snapshots.db import api as db_api

LOG = logging.getLogger(__name__)

# Seconds to wait for a lock whose operation is ending, and how often to
# look again.
_RELEASE_WAIT = 1.0
_RELEASE_POLL = 0.02


class StackLock:
    """A row naming the engine working on a stack.

    A lock whose engine is dead (see ``is_engine_alive``) is taken over, so a
    killed engine never leaves a stack locked for good.
    """

    def __init__(self, context, stack, engine_id, action, is_engine_alive):
        self.context = context
        self.stack = stack
        self.engine_id = engine_id
        self.action = action
        self.is_engine_alive = is_engine_alive

    def try_acquire(self):
        """:returns: None when taken, else the lock row that is in the way.
        """
        holder = db_api.stack_lock_create(self.context, self.stack.id,
                                          self.engine_id, self.action)
        if holder is None:
            return None
        if holder != self.engine_id and not self.is_engine_alive(holder):
            if db_api.stack_lock_steal(self.context, self.stack.id, holder,
                                       self.engine_id, self.action):
                LOG.warning('Took over the lock of stack %s from dead '
                            'engine %s', self.stack.id, holder)
                return None
        return db_api.stack_lock_get(self.context, self.stack.id)

    def acquire(self):
        """:raises: ActionInProgress naming the action holding the stack."""
        # An operation shows its final state just before it lets go of the
        # stack: a client that saw it end and asks at once waits that
        # moment out instead of being told the stack is busy.
        deadline = time.monotonic() + _RELEASE_WAIT
        while True:
            lock = self.try_acquire()
            if lock is None:
                return
            if time.monotonic() >= deadline:
                raise exception.ActionInProgress(stack_name=self.stack.name,
                                                 action=lock.action)
            time.sleep(_RELEASE_POLL)

    def release(self):
        if not db_api.stack_lock_release(self.context, self.stack.id,
                                         self.engine_id):
            LOG.warning('Lock of stack %s was no longer held by engine %s',
                        self.stack.id, self.engine_id)
