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

"""The stack driver interface: where stacks live.

The engine reads stacks and changes their state only through a driver. The
``local`` driver keeps stacks in our own database; the ``heat`` driver talks
to a Heat service. Stack CRUD (create, update, delete) is only offered by
drivers whose ``manages_stacks`` is True.
"""

import abc
import dataclasses
import typing

import stevedore

from heat_snapshots.common import exception
from heat_snapshots.common import states

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


class StackDriver(metaclass=abc.ABCMeta):
    manages_stacks = False

    def __init__(self, conf):
        self.conf = conf

    @abc.abstractmethod
    def find_stack(self, context, stack_name_or_id):
        """The caller's live stack with this name or id, no resources.

        :raises: StackNotFound naming ``stack_name_or_id``.
        """

    @abc.abstractmethod
    def get_stack(self, context, stack_id, with_resources=True,
                  show_deleted=False):
        """The caller's stack by id (admins: any project's).

        :raises: StackNotFound naming ``stack_id``.
        """

    @abc.abstractmethod
    def set_stack_state(self, context, stack_id, action, status, reason):
        """Show ``action``_``status`` on the stack (SNAPSHOT, RESTORE)."""

    def set_resource_state(self, context, stack_id, resource_name, action,
                           status, reason=None):
        """Show a resource's progress; drivers that cannot may ignore it."""

    @abc.abstractmethod
    def restore(self, context, stack, template, environment, files,
                resource_data):
        """Update ``stack`` to a snapshot's template; blocks until done.

        :param resource_data: {resource name: data recorded in the snapshot}
            for drivers that can put a resource's data back directly.
        :raises: ResourceFailure naming the resource that failed.
        """

    def list_stacks(self, context, **filters):
        raise NotImplementedError()

    def list_events(self, context, stack, filters=None, limit=None,
                    marker=None, sort_keys=None, sort_dir=None):
        """The stack's events (a list of Event), paged as Heat pages them.

        :param filters: {resource_name, resource_action, resource_status,
            resource_type or uuid: a value or a list of values}.
        :raises: Invalid for a bad sort direction; NotSupported by drivers
            that keep no events.
        """
        raise exception.NotSupported(
            feature='Listing the events of stacks with this stack driver')


def load(conf):
    manager = stevedore.DriverManager(
        NAMESPACE, conf.heat_snapshots.stack_driver,
        invoke_on_load=True, invoke_args=(conf,))
    return manager.driver
