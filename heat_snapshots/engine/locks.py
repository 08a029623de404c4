"""Stack locks: one operation at a time on a stack, across engines."""

from oslo_log import log as logging

from heat_snapshots.common import exception
from heat_snapshots.db import api as db_api

LOG = logging.getLogger(__name__)


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
        lock = self.try_acquire()
        if lock is not None:
            raise exception.ActionInProgress(stack_name=self.stack.name,
                                             action=lock.action)

    def release(self):
        if not db_api.stack_lock_release(self.context, self.stack.id,
                                         self.engine_id):
            LOG.warning('Lock of stack %s was no longer held by engine %s',
                        self.stack.id, self.engine_id)
