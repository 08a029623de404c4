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

"""The stack store's RPC endpoint: stack CRUD and what Heat shows of it.

A second endpoint object on the engine's RPC server, next to the snapshot
manager (namespace ``stacks``, its own version; client in rpcapi.py),
served only with a stack driver that manages stacks. A create, update or
delete runs as an operation of the snapshot manager (its stack lock, its
pool, its recovery): ``engine.start_operation`` and
``engine.start_stack_delete``, which also removes the stack's snapshots.
"""

import oslo_messaging as messaging

from heat_snapshots.common import exception
from heat_snapshots.common import states
from heat_snapshots.engine import formatters

NAMESPACE = 'stacks'

# API version history:
#
# * 1.0 - Stack create, list, show, update, delete, template, resources,
#   events, environment, files and outputs (served by the snapshot manager
#   up to its version 1.1; the lookup by name stays there, as every
#   driver's).
# * 1.1 - list_stack_resources takes nested_depth (the resources of nested
#   stacks, down to that many levels).
RPC_API_VERSION = '1.1'

_EXPECTED = (exception.HeatSnapshotsException,)


class StackManager:
    """Stack CRUD of the engine's stack driver.

    :param engine: the snapshot manager (engine/manager.py) whose driver,
        lock and pool run the stack's operations.
    """

    RPC_API_VERSION = RPC_API_VERSION
    target = messaging.Target(namespace=NAMESPACE, version=RPC_API_VERSION)

    def __init__(self, engine):
        self.engine = engine
        self.driver = engine.driver

    def _get_stack(self, context, stack_identity, **kwargs):
        return self.engine.get_stack(context, stack_identity, **kwargs)

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def list_stacks(self, context, filters=None, limit=None):
        stacks = self.driver.list_stacks(context, limit=limit,
                                         **(filters or {}))
        return [formatters.format_stack(s, detail=False) for s in stacks]

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def create_stack(self, context, stack_name, template, params, files,
                     environment, args):
        """Store and validate the stack, then create it in the background.

        :raises: InvalidTemplate, StackExists.
        """
        args = args or {}
        stack = self.driver.create_stack(
            context, stack_name, template, params or {}, files or {},
            environment or {}, tags=args.get('tags'),
            timeout_mins=args.get('timeout_mins'),
            disable_rollback=args.get('disable_rollback', True))
        self.engine.start_operation(
            context, stack, states.CREATE,
            lambda task: self.driver.run_create(task.context,
                                                task.stack.id))
        return formatters.stack_identity(stack)

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def show_stack(self, context, stack_identity):
        stack = self._get_stack(context, stack_identity, show_deleted=True)
        return formatters.format_stack(stack)

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def update_stack(self, context, stack_identity, template, params, files,
                     environment, args, existing=False):
        """:raises: ActionInProgress, InvalidTemplate, StackNotFound."""
        stack = self._get_stack(context, stack_identity)
        self.engine.check_not_busy(stack)
        args = args or {}
        definition = self.driver.prepare_update(
            context, stack, template, params, files, environment,
            existing=existing, tags=args.get('tags'),
            timeout_mins=args.get('timeout_mins'))
        self.engine.start_operation(
            context, stack, states.UPDATE,
            lambda task: self.driver.run_update(task.context, task.stack.id,
                                                definition))
        return formatters.stack_identity(stack)

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def delete_stack(self, context, stack_identity):
        """Delete the stack and every snapshot of it, with their artifacts.

        :raises: StackNotFound, ActionInProgress.
        """
        stack = self._get_stack(context, stack_identity)
        self.engine.start_stack_delete(context, stack)

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def get_template(self, context, stack_identity):
        return self._get_stack(context, stack_identity).template

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def list_stack_resources(self, context, stack_identity, nested_depth=0):
        stack = self._get_stack(context, stack_identity, with_resources=True)
        return formatters.format_resources(stack, nested_depth)

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def show_resource(self, context, stack_identity, resource_name):
        """:raises: StackNotFound, ResourceNotFound."""
        stack = self._get_stack(context, stack_identity, with_resources=True)
        for resource in stack.resources:
            if resource.name == resource_name:
                required_by = [r.name for r in stack.resources
                               if resource_name in r.requires]
                return formatters.format_resource(stack, resource,
                                                  required_by, detail=True)
        raise exception.ResourceNotFound(resource_name)

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def list_events(self, context, stack_identity, filters=None, limit=None,
                    marker=None, sort_keys=None, sort_dir=None,
                    detail=False):
        """The stack's events, also once it is deleted, as Heat.

        :raises: StackNotFound, Invalid (a sort direction).
        """
        stack = self._get_stack(context, stack_identity, show_deleted=True)
        events = self.driver.list_events(
            context, stack, filters=filters, limit=limit, marker=marker,
            sort_keys=sort_keys, sort_dir=sort_dir)
        return [formatters.format_event(stack, e, detail=detail)
                for e in events]

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def get_environment(self, context, stack_identity):
        return formatters.format_environment(
            self._get_stack(context, stack_identity))

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def get_files(self, context, stack_identity):
        return self._get_stack(context, stack_identity).files

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def list_outputs(self, context, stack_identity):
        """Each output's key and description, as Heat lists them."""
        stack = self._get_stack(context, stack_identity)
        return [{'output_key': o['output_key'],
                 'description': o.get('description')}
                for o in stack.outputs or ()]

    @messaging.expose
    @messaging.expected_exceptions(*_EXPECTED)
    def show_output(self, context, stack_identity, output_key):
        """:raises: NotFound with Heat's message for an unknown key."""
        stack = self._get_stack(context, stack_identity)
        for output in stack.outputs or ():
            if output['output_key'] == output_key:
                return output
        raise exception.NotFound('Specified output key %s not found.'
                                 % output_key)
