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

import inspect
from unittest import mock

from heat_snapshots.common import exception
from heat_snapshots.common import rpc
from heat_snapshots.localstack import manager
from heat_snapshots.localstack import rpcapi
from heat_snapshots.tests import base
from heat_snapshots.tests import engine_fixture as ef
from heat_snapshots.tests.unit.engine import base as engine_base


class StackAPIVersionTest(base.TestCase):

    def test_client_and_server_speak_the_same_version(self):
        self.assertEqual(rpcapi.RPC_API_VERSION, manager.RPC_API_VERSION)
        self.assertEqual(
            (manager.NAMESPACE, rpcapi.RPC_API_VERSION),
            (manager.StackManager.target.namespace,
             manager.StackManager.target.version))

    def test_every_client_call_has_a_server_method_with_its_arguments(self):
        calls = [name for name, _ in inspect.getmembers(
            rpcapi.StackAPI, inspect.isfunction) if not name.startswith('_')]
        self.assertIn('create_stack', calls)
        for name in calls:
            client = inspect.signature(getattr(rpcapi.StackAPI, name))
            method = getattr(manager.StackManager, name)
            self.assertTrue(getattr(method, 'exposed', False), name)
            server = inspect.signature(engine_base.undecorated(method))
            self.assertEqual(list(client.parameters), list(server.parameters),
                             name)


class NestedDepthVersionTest(base.TestCase):
    """nested_depth needs 1.1; an endpoint capped lower lists the top."""

    def listed(self, cap=None):
        if cap:
            self.flags(group='upgrade_levels', stacks=cap)
        api = rpcapi.StackAPI()
        # The call itself, not the client's prepare: can_send_version
        # asks prepare too.
        with mock.patch.object(api, '_call') as call:
            api.list_stack_resources(mock.sentinel.ctx, {'stack_id': 's'},
                                     nested_depth=2)
        kwargs = dict(call.call_args[1])
        return kwargs.pop('version', '1.0'), kwargs

    def test_nested_depth_sent_as_1_1(self):
        self.assertEqual(('1.1', {'stack_identity': {'stack_id': 's'},
                                  'nested_depth': 2}), self.listed())

    def test_endpoint_capped_at_1_0_lists_the_top_stack(self):
        self.assertEqual(('1.0', {'stack_identity': {'stack_id': 's'}}),
                         self.listed('1.0'))


class MovedStackCallsTest(engine_base.EngineTestCase):
    """A caller of version 1.1 (an API not yet upgraded) still reaches
    the stack CRUD that moved to the stack driver's endpoint.
    """

    def setUp(self):
        super().setUp()
        self.manager = self.engine._target
        self.old_api = rpc.LocalContext(self.manager)

    def test_stack_crud_of_1_1_answers_as_the_stack_endpoint(self):
        identity = self.old_api.call(
            self.ctx, 'create_stack', stack_name='old',
            template=engine_base.FIVE, params={}, files={}, environment={},
            args={})
        ef.wait_for_stack(self.engine, self.ctx, identity, 'CREATE_COMPLETE')
        shown = self.old_api.call(self.ctx, 'show_stack',
                                  stack_identity=identity)
        self.assertEqual(('old', 'CREATE_COMPLETE'),
                         (shown['stack_name'], shown['stack_status']))
        self.assertEqual(
            5, len(self.old_api.call(self.ctx, 'list_stack_resources',
                                     stack_identity=identity)))
        self.assertRaises(exception.ResourceNotFound, self.old_api.call,
                          self.ctx, 'show_resource',
                          stack_identity=identity, resource_name='nope')
        self.old_api.call(self.ctx, 'delete_stack', stack_identity=identity)
        ef.wait_for_stack(self.engine, self.ctx, identity, 'DELETE_COMPLETE')

    def test_every_moved_method_is_served_for_1_1(self):
        moved = [name for name, _ in inspect.getmembers(
            rpcapi.StackAPI, inspect.isfunction)
            if not name.startswith('_')]
        self.assertIn('create_stack', moved)
        for name in moved:
            self.assertTrue(getattr(getattr(self.manager, name), 'exposed',
                                    False), name)
