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

"""Fenced stack locks: one operation at a time on a stack, across engines.

``acquire()`` takes the stack's lock row and gives the operation a new
generation, its fencing token. The returned ``StackTask`` is a context
manager in the shape of ironic's task manager: leaving the ``with`` block
releases the lock, unless ``spawn_after()`` handed it to a worker, which
then releases it when the work ends. Every write the operation makes goes
through ``task.context``, whose fence makes the database layer write only
while the lock row still holds this engine at this generation, so work that
another engine took over (its engine was thought dead) stops writing.
"""

import collections

from oslo_log import log as logging

from heat_snapshots.common import context as hs_context
from heat_snapshots.common import exception
from heat_snapshots.db import api as db_api

LOG = logging.getLogger(__name__)

# Who may write: the holder ``engine_id`` of the stack's lock at
# ``generation``, or, with no stack, the engine owning the snapshot's
# delete.
Fence = collections.namedtuple('Fence', ('engine_id', 'generation',
                                         'stack_id', 'snapshot_id'))


def fenced_context(context, fence):
    """A copy of ``context`` whose writes are checked against ``fence``.

    A new object, so that it has no database transaction of the caller's.
    """
    fenced = hs_context.RequestContext.from_dict(context.to_dict())
    fenced.fence = fence
    return fenced


class StackTask:
    """An operation's hold on a stack, handed from the RPC call to a worker.

    :ivar context: the caller's context, fenced by this hold.
    :ivar generation: the lock's generation held.
    """

    def __init__(self, context, stack, engine_id, action, generation,
                 snapshot_id=None):
        self.stack = stack
        self.engine_id = engine_id
        self.action = action
        self.generation = generation
        self.snapshot_id = snapshot_id
        self.fence = Fence(engine_id, generation, stack.id, None)
        self.context = fenced_context(context, self.fence)
        self._spawn = None
        self.released = False

    @property
    def key(self):
        return ('stack', self.stack.id, self.generation)

    def spawn_after(self, submit, function, *args, **kwargs):
        """Run ``function(*args, **kwargs)`` with ``submit`` when the
        ``with`` block ends without an error; the worker owns the lock
        from then on and must call ``release()``.
        """
        self._spawn = (submit, function, args, kwargs)

    def release(self, final=None, forget=False, handover=None):
        """Write ``final()`` and let go of the stack, in one transaction.

        :param forget: the stack is gone: its lock row goes too.
        :param handover: ``handover()``, in the same transaction, when a
            stack delete that waited takes the stack: this context then
            writes for the delete (at its generation).
        :returns: the new generation when a stack delete that waited for
            the stack now holds it (for this engine), else None.
        :raises: OperationFenced when this hold was taken over; nothing is
            written then.
        """
        def write():
            # Again on a retry: the transaction that moved it rolled back.
            self.context.fence = self.fence
            if final is not None:
                final()
            result = db_api.stack_lock_release(self.context, self.stack.id,
                                               self.engine_id,
                                               self.generation,
                                               forget=forget)
            if result and handover is not None:
                self.context.fence = self.fence._replace(generation=result)
                handover()
            return result

        try:
            result = db_api.run_in_transaction(self.context, write)
        finally:
            self.context.fence = self.fence
        self.released = True
        if result is None:
            raise exception.OperationFenced(stack_id=self.stack.id,
                                            generation=self.generation)
        return result or None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        if exc_type is None and self._spawn is not None:
            submit, function, args, kwargs = self._spawn
            try:
                submit(function, *args, **kwargs)
                return False
            except Exception:
                LOG.exception('Could not start %s of stack %s', self.action,
                              self.stack.id)
                self._release_quietly()
                raise
        self._release_quietly()
        return False

    def _release_quietly(self):
        if self.released:
            return
        try:
            self.release()
        except exception.OperationFenced:
            LOG.warning('Lock of stack %s was no longer held by engine %s',
                        self.stack.id, self.engine_id)


def acquire(context, stack, engine_id, action, snapshot_id=None):
    """Take the stack for an operation.

    :param snapshot_id: the snapshot the operation reads (a restore's
        source), which cannot be deleted while it runs.
    :returns: a StackTask holding the stack.
    :raises: ActionInProgress naming the operation holding the stack.
    """
    generation = db_api.stack_lock_acquire(context, stack.id, engine_id,
                                           action, snapshot_id=snapshot_id,
                                           project_id=stack.project_id)
    if generation is None:
        holder = db_api.stack_lock_get(context, stack.id)
        raise exception.ActionInProgress(
            stack_name=stack.name,
            action=(holder.action if holder is not None and holder.action
                    else action))
    return StackTask(context, stack, engine_id, action, generation,
                     snapshot_id=snapshot_id)


def take_over(context, stack, lock, engine_id):
    """Take a lock that ``lock.engine_id`` held at ``lock.generation``.

    :returns: a StackTask of this engine at a new generation, or None when
        the lock moved meanwhile.
    """
    generation = db_api.stack_lock_steal(context, stack.id, lock.engine_id,
                                         lock.generation, engine_id)
    if generation is None:
        return None
    return StackTask(context, stack, engine_id, lock.action, generation,
                     snapshot_id=lock.snapshot_id)
