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

"""Every action and status heat-snapshots knows, and the allowed changes.

Nothing else spells a state: code names them from here, and
``engine/operations.py`` checks each change it makes against the machines
below before writing it.

A stack shows ``<action>_<status>`` as Heat does. A snapshot row holds an
``action`` and a ``status`` of its own (Heat's ``CREATE``/``DELETE`` with
``IN_PROGRESS``/``COMPLETE``/``FAILED``); a resource's row of a snapshot has
``SNAPSHOT`` and a status.
"""

from heat_snapshots.common import exception

# --- statuses ---------------------------------------------------------------

IN_PROGRESS = 'IN_PROGRESS'
COMPLETE = 'COMPLETE'
FAILED = 'FAILED'

TERMINAL = frozenset((COMPLETE, FAILED))

# --- actions ----------------------------------------------------------------

INIT = 'INIT'
CREATE = 'CREATE'
UPDATE = 'UPDATE'
DELETE = 'DELETE'
ROLLBACK = 'ROLLBACK'
SNAPSHOT = 'SNAPSHOT'
RESTORE = 'RESTORE'
# Shown in reasons only: Heat's wording for a failed snapshot delete.
DELETE_SNAPSHOT = 'DELETE_SNAPSHOT'

# What a stack operation of ours may be (the action on the stack lock).
STACK_OPERATIONS = (CREATE, UPDATE, DELETE, SNAPSHOT, RESTORE)

# What an update (a restore) does to a resource: the lists of Heat's
# update preview.
PREVIEW_ADDED = 'added'
PREVIEW_DELETED = 'deleted'
PREVIEW_REPLACED = 'replaced'
PREVIEW_UNCHANGED = 'unchanged'
PREVIEW_UPDATED = 'updated'
PREVIEW_CHANGES = (PREVIEW_ADDED, PREVIEW_DELETED, PREVIEW_REPLACED,
                   PREVIEW_UNCHANGED, PREVIEW_UPDATED)

# Reasons that are part of Heat's answers.
SNAPSHOT_COMPLETE_REASON = 'Stack SNAPSHOT completed successfully'
DELETE_STARTED_REASON = 'Snapshot delete started'
RESOURCE_STATE_CHANGED = 'state changed'
ENGINE_DOWN_REASON = 'Engine went down during %s'
WORKER_LOST_REASON = ('Stack %s failed: the engine lost its worker; see the '
                      'engine log')
CANCELLED_REASON = 'Cancelled by request'
OVERDUE_REASON = 'Stack %s failed: timed out after %s seconds'

# --- snapshot policy runs --------------------------------------------------

# A run did nothing: every stack it covers was busy for the whole period.
SKIPPED = 'SKIPPED'
RUN_STATUSES = (IN_PROGRESS, COMPLETE, FAILED, SKIPPED)
RUN_ENGINE_DOWN_REASON = 'The engine running it went down'


def stack_status(action, status):
    """'SNAPSHOT', 'COMPLETE' -> 'SNAPSHOT_COMPLETE'."""
    return '%s_%s' % (action, status)


def split_stack_status(stack_status):
    """'CREATE_IN_PROGRESS' -> ('CREATE', 'IN_PROGRESS')."""
    action, _, status = (stack_status or
                         '%s_%s' % (INIT, COMPLETE)).partition('_')
    return action, status


def heat_stack_mark(body):
    """What tells one state of a stack in Heat from the next, from Heat's
    stack body: [stack_status, updated_time] (creation_time before any
    update). Heat's times have whole seconds: its next action may keep
    updated_time, not its status too.
    """
    return [body.get('stack_status'),
            body.get('updated_time') or body.get('creation_time')]


def heat_resource_mark(body):
    """[resource_status, updated_time, physical_resource_id] of Heat's
    resource body (list or show): what any change of Heat's to it moves.
    """
    return [body.get('resource_status'),
            body.get('updated_time') or body.get('creation_time'),
            body.get('physical_resource_id')]


class Machine:
    """Allowed changes between (action, status) pairs.

    ``None`` stands for "no row yet" as a source and "row removed" as a
    target.
    """

    def __init__(self, name, transitions):
        self.name = name
        self.transitions = {src: frozenset(dsts)
                            for src, dsts in transitions.items()}

    def allows(self, src, dst):
        return dst in self.transitions.get(src, ())

    def check(self, src, dst):
        """:raises: InvalidStateTransition when ``src`` -> ``dst`` is not
        allowed.
        """
        if not self.allows(src, dst):
            raise exception.InvalidStateTransition(
                machine=self.name, source=_show(src), target=_show(dst))

    def sources(self, dst):
        return frozenset(src for src, dsts in self.transitions.items()
                         if dst in dsts)


def _show(state):
    return 'none' if state is None else stack_status(*state)


_CREATING = (CREATE, IN_PROGRESS)
_CREATED = (CREATE, COMPLETE)
_CREATE_FAILED = (CREATE, FAILED)
_DELETING = (DELETE, IN_PROGRESS)
_DELETE_FAILED = (DELETE, FAILED)

# A snapshot: created once; any ended snapshot may be claimed for delete (by
# its user or by its stack's delete); a delete that stopped is resumed; a
# finished delete removes the row. A snapshot still being created can only
# end (or be failed for its dead engine): Heat refuses to delete it.
SNAPSHOT_MACHINE = Machine('snapshot', {
    None: {_CREATING},
    _CREATING: {_CREATED, _CREATE_FAILED},
    _CREATED: {_DELETING},
    _CREATE_FAILED: {_DELETING},
    # Taken over by a stack delete or another engine: a new owner.
    _DELETING: {_DELETING, _DELETE_FAILED, None},
    _DELETE_FAILED: {_DELETING},
})

# One resource's row of a snapshot.
RESOURCE_SNAPSHOT_MACHINE = Machine('resource snapshot', {
    None: {(SNAPSHOT, IN_PROGRESS)},
    (SNAPSHOT, IN_PROGRESS): {(SNAPSHOT, IN_PROGRESS), (SNAPSHOT, COMPLETE),
                              (SNAPSHOT, FAILED)},
    (SNAPSHOT, COMPLETE): {None},
    (SNAPSHOT, FAILED): {None},
})


def check_stack_start(current, action, supersede=False):
    """Whether an operation ``action`` may start on a stack showing
    ``current`` (action, status).

    A stack whose last action ended, whatever that action was (Heat has
    more than ours: CHECK, SUSPEND, ADOPT...), may start one of ours; a
    stack delete supersedes an operation that never ended (its engine died
    before recovery ran), and a resumed operation shows its own
    IN_PROGRESS again. With ``supersede`` (a restore of a stack in
    convergence Heat, which replaces whatever runs) any state will do.

    :raises: InvalidStateTransition.
    """
    target = (action, IN_PROGRESS)
    status = current[1] if current else None
    if (action in STACK_OPERATIONS and
            (status in TERMINAL or current == target or supersede or
             (action == DELETE and status == IN_PROGRESS))):
        return
    raise exception.InvalidStateTransition(
        machine='stack', source=_show(current), target=_show(target))


def check_stack_end(action, status):
    """:raises: InvalidStateTransition unless ``action`` may end in
    ``status``.
    """
    if action not in STACK_OPERATIONS or status not in TERMINAL:
        raise exception.InvalidStateTransition(
            machine='stack', source=_show((action, IN_PROGRESS)),
            target=_show((action, status)))
