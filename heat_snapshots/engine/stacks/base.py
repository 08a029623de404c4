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

"""The stack driver contract: where stacks live.

The engine reads stacks and shows its progress on them only through a
driver. Two abstract bases declare the whole contract:

* ``StackDriver``: what the snapshot engine needs of any driver: find and
  read a stack with its resources in dependency order, show the state of
  an operation on it, update it to a snapshot's template (restore), and
  say whether it still exists (the periodic stack check). The ``heat``
  driver is one: Heat keeps doing stack CRUD.
* ``ManagingStackDriver``: a ``StackDriver`` that also creates, updates and
  deletes stacks (the embedded ``local`` store).

Optional capabilities are methods of the base with a documented default,
so that the engine never asks a driver what it has. ``load()`` refuses a
driver that does not derive from ``StackDriver`` or leaves a method of the
contract abstract.
"""

import abc
import dataclasses
import inspect
import typing

import stevedore

from heat_snapshots.common import exception
from heat_snapshots.common import states
from heat_snapshots.db import api as db_api

NAMESPACE = 'heat_snapshots.stacks'


@dataclasses.dataclass
class Resource:
    name: str
    type: str
    physical_resource_id: typing.Optional[str] = None
    action: str = states.INIT
    status: str = states.COMPLETE
    status_reason: typing.Optional[str] = None
    # Names of the resources this one needs: depends_on and every
    # get_resource / get_attr reference.
    requires: typing.List[str] = dataclasses.field(default_factory=list)
    properties: dict = dataclasses.field(default_factory=dict)
    data: dict = dataclasses.field(default_factory=dict)
    attributes: dict = dataclasses.field(default_factory=dict)
    metadata: dict = dataclasses.field(default_factory=dict)
    created_at: typing.Any = None
    updated_at: typing.Any = None


@dataclasses.dataclass
class Stack:
    id: str
    name: str
    project_id: str
    action: str
    status: str
    status_reason: typing.Optional[str] = None
    template: dict = dataclasses.field(default_factory=dict)
    environment: dict = dataclasses.field(default_factory=dict)
    files: dict = dataclasses.field(default_factory=dict)
    tags: typing.List[str] = dataclasses.field(default_factory=list)
    stack_user_project_id: typing.Optional[str] = None
    user_id: typing.Optional[str] = None
    # The owner's user name (Heat's stack_owner).
    username: typing.Optional[str] = None
    timeout_mins: typing.Optional[int] = None
    disable_rollback: bool = True
    outputs: typing.List[dict] = dataclasses.field(default_factory=list)
    parameters: dict = dataclasses.field(default_factory=dict)
    description: str = ''
    created_at: typing.Any = None
    updated_at: typing.Any = None
    deleted_at: typing.Any = None
    # None until asked for: reading resources costs a query.
    resources: typing.Optional[typing.List[Resource]] = None

    @property
    def in_progress(self):
        return self.status == states.IN_PROGRESS

    def dependency_graph(self):
        """{resource name: set of names it requires}."""
        return {r.name: set(r.requires) for r in self.resources or ()}


@dataclasses.dataclass
class Event:
    """A state a stack (``resource_name`` is the stack's name) or one of
    its resources reached.
    """
    id: str
    resource_name: str
    action: str
    status: str
    status_reason: typing.Optional[str] = None
    physical_resource_id: typing.Optional[str] = None
    resource_type: typing.Optional[str] = None
    properties: typing.Optional[dict] = None
    created_at: typing.Any = None


# What a driver knows of a stack that has snapshots (stack_presence).
FOUND = 'found'            # the stack exists, alive
DELETED = 'deleted'        # seen deleted (DELETE_COMPLETE): proof
NOT_FOUND = 'not_found'    # the store's own "no such stack" (by id)
UNKNOWN = 'unknown'        # anything else: proves nothing


# --- which stacks a tag policy covers -------------------------------------

#: The filter of ``list_stacks`` naming tags: a stack carrying any of them.
TAGS_ANY = 'tags_any'
#: The longest tag Heat stores (its stack tags are split on commas).
TAG_MAX_LENGTH = 80


def storable_tags(tags):
    """The tags of ``tags`` a stack can carry, sorted: not empty, no comma
    (both Heat and the local store split tags on commas), at most
    TAG_MAX_LENGTH characters. A policy tag that is not one of them
    covers no stack on either driver.
    """
    return sorted({t for t in tags or () if isinstance(t, str) and t and
                   ',' not in t and len(t) <= TAG_MAX_LENGTH})


def carries_any_tag(stack_tags, tags):
    """Whether a stack's tags (``stack_tags``) hold one of ``tags``,
    compared exactly (case and spaces count).
    """
    return bool(set(storable_tags(tags)) & set(stack_tags or ()))


def being_deleted(stack):
    """Whether the stack is deleted or on its way out: DELETE_IN_PROGRESS,
    DELETE_COMPLETE or a deletion time. A stack whose delete FAILED still
    has resources (often the very ones that held data): it stays covered.
    """
    return (stack.deleted_at is not None or (
        stack.action == states.DELETE and
        stack.status in (states.IN_PROGRESS, states.COMPLETE)))


def matches_filter(actual, wanted):
    """Whether a stack's value matches a filter of list_stacks: a value,
    or a list of values (any of them).
    """
    if isinstance(wanted, (list, tuple, set)):
        return actual in wanted
    return actual == wanted


def covered_by_tags(stack, tags, project_id):
    """The one rule of a tag policy, whatever the driver: a stack is
    covered when it is a stack of the policy's project, not being deleted
    (see being_deleted), carrying one of the policy's tags.
    """
    return (stack.project_id == project_id and not being_deleted(stack) and
            carries_any_tag(stack.tags, tags))


class StackDriver(abc.ABC):
    """Where stacks live, as the snapshot engine reads them.

    Every method takes the caller's request context; a stack of another
    project is "not found" unless the caller is an admin. The engine calls
    these from RPC threads and from its walks' worker threads at once.
    """

    #: Whether the stacks are read from heat-snapshots' own database: a
    #: read of a stack and of its snapshots can then share a connection.
    reads_our_database = False

    def __init__(self, conf):
        self.conf = conf

    # --- reading stacks ---------------------------------------------------

    @abc.abstractmethod
    def find_stack(self, context, stack_name_or_id):
        """The caller's live stack with this name or id, no resources.

        :raises: StackNotFound naming ``stack_name_or_id``.
        """

    @abc.abstractmethod
    def get_stack(self, context, stack_id, with_resources=True,
                  show_deleted=False):
        """The caller's stack by id (admins: any project's).

        With ``with_resources`` the Stack's ``resources`` lists every
        resource, those of nested stacks too: a nested resource is named
        by its path from the top stack (``group/0``, ``group/0/server``),
        and ``requires`` names what must be snapshotted before it (its
        dependencies, and for a resource owning a nested stack, the
        resources inside it), so that ``Stack.dependency_graph()`` orders
        the walks.

        :param show_deleted: a deleted stack is returned too (its
            ``deleted_at`` set), for its events and for recovery.
        :raises: StackNotFound naming ``stack_id``.
        """

    def get_stack_summary(self, context, stack_id):
        """The caller's live stack by id, for a check of its name.

        Only ``id``, ``name``, ``project_id``, ``action`` and ``status``
        are sure to be set: what a read of its snapshots needs, read with
        as little work as the driver can (the default is get_stack).

        :raises: StackNotFound naming ``stack_id``.
        """
        return self.get_stack(context, stack_id, with_resources=False)

    def get_stack_summary_and_snapshot(self, context, stack_id,
                                       snapshot_id):
        """get_stack_summary, and the shown columns of a snapshot
        (db.api.snapshot_get_shown), or None when there is no such
        snapshot: what a snapshot show reads. The default reads one, then
        the other; a driver whose stacks are in our database reads both
        with one query.

        :returns: (the stack's summary, the snapshot's row or None).
        :raises: StackNotFound naming ``stack_id``.
        """
        stack = self.get_stack_summary(context, stack_id)
        try:
            return stack, db_api.snapshot_get_shown(context, snapshot_id)
        except exception.SnapshotIdNotFound:
            return stack, None

    def get_stack_summary_and_snapshots(self, context, stack_id):
        """get_stack_summary, and the shown columns of the stack's
        snapshots (db.api.snapshot_list_shown): what a snapshot list
        reads; in one query by a driver whose stacks are in our database.

        :returns: (the stack's summary, the snapshots' rows).
        :raises: StackNotFound naming ``stack_id``.
        """
        stack = self.get_stack_summary(context, stack_id)
        return stack, db_api.snapshot_list_shown(context, stack.id)

    def list_stacks(self, context, limit=None, **filters):
        """The live stacks of the context's project (Stack without
        resources), whoever the caller is (an admin too): the snapshot
        policies' runs list a project's stacks with a service context.

        :param filters: {column: a value or a list of values}; and
            ``tags_any`` (TAGS_ANY): a list of tags, a stack carrying any
            of them (see carries_any_tag). A driver may return more than
            the filters ask for; the caller applies covered_by_tags.
        :raises: NotSupported (the default) where the driver cannot list
            the stacks; ServiceUnavailable when the store did not answer
            with a list (never an empty list instead).
        """
        raise exception.NotSupported(
            feature='Listing stacks with this stack driver')

    def list_events(self, context, stack, filters=None, limit=None,
                    marker=None, sort_keys=None, sort_dir=None):
        """The stack's events (a list of Event), paged as Heat pages them.

        :param filters: {resource_name, resource_action, resource_status,
            resource_type or uuid: a value or a list of values}.
        :raises: Invalid for a bad sort direction; NotSupported (the
            default) by drivers that keep no events.
        """
        raise exception.NotSupported(
            feature='Listing the events of stacks with this stack driver')

    def stack_presence(self, context, stack_id, project_id):
        """Whether stack ``stack_id`` of ``project_id`` still exists.

        Asked by the periodic stack check for each stack that has
        snapshots (``engine/heat_listener.py``); ``context`` is the service
        user scoped to ``project_id``. The snapshots of a stack are deleted
        only on proof that it is gone, so any doubt is UNKNOWN.

        :returns: FOUND, DELETED (proof), NOT_FOUND (the store's own
            answer for this id; confirmed by a later check) or UNKNOWN.
            The default, for drivers whose stacks are deleted through the
            engine (which deletes their snapshots itself), is UNKNOWN.
        """
        return UNKNOWN

    # --- showing an operation's progress ----------------------------------

    @abc.abstractmethod
    def set_stack_state(self, context, stack_id, action, status, reason):
        """Show ``action``_``status`` on the stack (SNAPSHOT, RESTORE...).

        Called inside the transaction that releases the stack's lock, with
        the operation's fenced context; a driver that cannot show it (Heat
        keeps its stacks' states) logs it and returns.
        """

    def set_resource_state(self, context, stack_id, resource_name, action,
                           status, reason=None):
        """Show a resource's progress (``resource_name`` as get_stack
        names it).

        The default shows nothing: the snapshot's rows hold the progress.
        """

    def set_resource_states(self, context, stack_id, resource_name, steps):
        """Show a resource's progress through ``steps`` ((action, status,
        reason), in order) at once, each shown as by set_resource_state:
        the whole step of a resource whose start and end are known
        together. The default calls set_resource_state for each.
        """
        for action, status, reason in steps:
            self.set_resource_state(context, stack_id, resource_name,
                                    action, status, reason)

    def set_resources_states(self, context, stack_id, resource_names,
                             steps):
        """The same ``steps`` of several resources of a stack, each shown
        as by set_resource_states: the resources a walk starts or ends
        at once. The default calls set_resource_states for each.
        """
        for resource_name in resource_names:
            self.set_resource_states(context, stack_id, resource_name,
                                     steps)

    def operation_begun(self, context, stack, action, snapshot_id):
        """Our ``action`` (SNAPSHOT, RESTORE) takes ``stack``, as just read,
        for ``snapshot_id``; in the transaction that shows it started.
        Drivers of stacks that live elsewhere note what they need to show
        its state there. The default notes nothing.
        """

    def operation_ending(self, context, stack, action):
        """Our ``action`` on ``stack`` is about to show its end (before the
        transaction that shows it, outside any). Drivers of stacks that
        live elsewhere note how the stack is there now. The default notes
        nothing.
        """

    def changed_since(self, context, before):
        """Why the stack is no longer in the state ``before`` was read in
        (changed by someone else than us), or None (the default).
        """
        return None

    # --- restore ----------------------------------------------------------

    def start_restore(self, context, stack, template, environment, files):
        """Have the restore's update accepted before the API answers;
        what it returns is given to ``restore()`` as ``started``. None
        (the default): ``restore()`` does it all.
        """
        return None

    @abc.abstractmethod
    def restore(self, context, stack, template, environment, files,
                resource_data):
        """Update ``stack`` to a snapshot's template; blocks until done.

        ``template`` and ``files`` already hold each resource's definition
        as its plugin rewrote it (``handle_restore``).

        :param resource_data: {resource name: data recorded in the snapshot}
            for drivers that can put a resource's data back directly; a
            resource of a nested stack under its path (``group/0/server``).

        The engine also passes ``cancelled``: a callable that turns true
        once a user cancelled the restore; a driver stops starting new
        work then (and raises OperationCancelled).

        :raises: ResourceFailure (or walk.WalkFailed) naming the resource
            that failed; OperationTimeout after ``action_timeout``;
            OperationCancelled.
        """

    def preview_restore(self, context, stack, template, environment,
                        files):
        """What ``restore()`` with these arguments would do to each
        resource, nothing changed: decided by the same rules as the update
        the restore runs.

        :returns: {"added", "deleted", "replaced", "unchanged", "updated":
            [resource in the format of Heat's update preview
            (``resource_name``, ``resource_type``,
            ``physical_resource_id``, ...) with, where the driver knows
            it, ``reason``, and ``parent_resource`` for a resource of a
            nested stack]}.
        :raises: NotSupported (the default).
        """
        raise exception.NotSupported(
            feature='Previewing a restore with this stack driver')

    # --- clone ------------------------------------------------------------

    def create_clone(self, context, stack_name, template, environment,
                     files, parameters, tags=None):
        """Have a new stack of a snapshot's (rewritten) definition
        accepted; what it makes is left to ``run_clone``.

        :param parameters: override the environment's parameters.
        :returns: the new Stack (its ``id`` and ``name``).
        :raises: StackExists, InvalidParameter, InvalidTemplate, Invalid;
            NotSupported (the default).
        """
        raise exception.NotSupported(
            feature='Cloning a snapshot with this stack driver')

    def run_clone(self, context, stack, resource_data):
        """Bring the stack ``create_clone`` made to CREATE_COMPLETE;
        blocks.

        :param resource_data: as for ``restore``.
        :raises: ResourceFailure or walk.WalkFailed naming what failed;
            OperationTimeout.
        """
        raise exception.NotSupported(
            feature='Cloning a snapshot with this stack driver')

    # --- background work --------------------------------------------------

    def periodic_tasks(self):
        """Callables decorated with ``futurist.periodics.periodic`` that the
        engine runs, each in a thread of its own. The default: none.
        """
        return []


class ManagingStackDriver(StackDriver):
    """A stack driver that also creates, updates and deletes stacks.

    The engine takes the stack's lock and shows the stack's own state with
    ``set_stack_state``; the blocking ``run_*`` methods run in a worker
    thread and change the resources.
    """

    @abc.abstractmethod
    def rpc_endpoint(self, engine):
        """The RPC endpoint object serving this driver's stack CRUD, next
        to the snapshot manager ``engine`` on the engine's server.
        """

    @abc.abstractmethod
    def list_stacks(self, context, limit=None, **filters):
        """The caller's live stacks, newest first."""

    @abc.abstractmethod
    def list_events(self, context, stack, filters=None, limit=None,
                    marker=None, sort_keys=None, sort_dir=None):
        """See StackDriver.list_events; a managing driver keeps events."""

    @abc.abstractmethod
    def create_stack(self, context, stack_name, template, params, files,
                     environment, tags=None, timeout_mins=None,
                     disable_rollback=True):
        """Check and store a new stack, CREATE_IN_PROGRESS; nothing is
        stored unless everything is valid.

        :returns: the Stack.
        :raises: Invalid, InvalidTemplate, InvalidParameter, StackExists.
        """

    @abc.abstractmethod
    def run_create(self, context, stack_id):
        """Create every resource; blocks until done.

        :raises: WalkFailed naming the first resource that failed.
        """

    @abc.abstractmethod
    def prepare_update(self, context, stack, template, params, files,
                       environment, existing=False, tags=None,
                       timeout_mins=None):
        """The checked definition of an update; nothing changes yet.

        :param existing: PATCH: what is not given is kept or merged.
        :returns: what ``run_update`` takes.
        :raises: InvalidTemplate, InvalidParameter, Invalid.
        """

    @abc.abstractmethod
    def run_update(self, context, stack_id, definition):
        """Bring the stack to ``definition`` (from prepare_update); blocks.

        :raises: WalkFailed naming the first resource that failed.
        """

    @abc.abstractmethod
    def run_delete(self, context, stack_id):
        """Delete every resource, dependants first; blocks.

        :raises: WalkFailed naming the first resource that failed.
        """


def check_driver_class(name, cls):
    """``cls``, the class of stack driver ``name``, if it keeps the
    contract.

    :raises: TypeError naming what is wrong: a class that does not derive
        from StackDriver, or leaves a method of the contract abstract.
    """
    where = '%s.%s' % (getattr(cls, '__module__', '?'),
                       getattr(cls, '__qualname__', repr(cls)))
    if not (inspect.isclass(cls) and issubclass(cls, StackDriver)):
        raise TypeError(
            'Stack driver %s (%s) does not derive from %s.%s: it cannot '
            'serve as [heat_snapshots] stack_driver' % (
                name, where, __name__, StackDriver.__qualname__))
    if inspect.isabstract(cls):
        raise TypeError(
            'Stack driver %s (%s) does not implement the stack driver '
            'contract: %s missing' % (
                name, where, ', '.join(sorted(cls.__abstractmethods__))))
    return cls


def driver_class(name):
    """The class of stack driver ``name`` (the heat_snapshots.stacks entry
    point), checked against the contract.

    :raises: RuntimeError (stevedore's NoMatches) for an unknown name;
        TypeError (see check_driver_class).
    """
    manager = stevedore.DriverManager(NAMESPACE, name, invoke_on_load=False)
    return check_driver_class(name, manager.driver)


def load(conf):
    """The configured stack driver ([heat_snapshots] stack_driver).

    :raises: TypeError for a driver that does not keep the contract (see
        driver_class); the engine does not start.
    """
    return driver_class(conf.heat_snapshots.stack_driver)(conf)
