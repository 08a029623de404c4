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

"""The pecan hooks: who the caller is, by the auth middleware's headers
and the operator's policy, and the engine clients every request shares.
"""

import os
import types

import webob

from heat_snapshots.api import hooks
from heat_snapshots.common import policy
from heat_snapshots.common import rpc
from heat_snapshots.engine import rpcapi
from heat_snapshots.localstack import rpcapi as stack_rpcapi
from heat_snapshots.tests import base


def _state(**headers):
    """A request through keystonemiddleware's auth_token, at on_route."""
    request = webob.Request.blank('/v1/project-a/stacks')
    request.environ['openstack.request_id'] = 'req-1'
    for name, value in headers.items():
        request.headers[name.replace('_', '-')] = value
    return types.SimpleNamespace(request=request)


class ContextHookTestCase(base.TestCase):

    def _context(self, **headers):
        state = _state(**headers)
        hooks.ContextHook().on_route(state)
        return state.request.context

    def test_the_caller_from_the_identity_headers(self):
        ctx = self._context(X_Project_Id='project-a', X_User_Id='user-a',
                            X_User_Name='alice', X_Roles='member,reader',
                            X_Auth_Token='token')
        self.assertEqual(
            ('project-a', 'user-a', 'alice', ['member', 'reader'], 'token',
             'req-1', False),
            (ctx.project_id, ctx.user_id, ctx.user_name, ctx.roles,
             ctx.auth_token, ctx.request_id, ctx.is_admin))

    def test_admin_by_the_default_policy(self):
        self.assertTrue(self._context(X_Project_Id='p', X_Roles='admin')
                        .is_admin)
        # Keystone's admin role on a project that is not the admin project.
        self.assertFalse(self._context(X_Project_Id='p', X_Roles='admin',
                                       X_Is_Admin_Project='False').is_admin)

    def test_admin_as_the_operators_policy_file_says(self):
        path = os.path.join(self.state_path, 'policy.yaml')
        with open(path, 'w') as f:
            f.write('"context_is_admin": "role:operator"\n')
        policy.init()  # registers [oslo_policy]
        self.flags(policy_file=path, group='oslo_policy')
        policy.reset()
        self.assertTrue(self._context(X_Project_Id='p', X_Roles='operator')
                        .is_admin)
        self.assertFalse(self._context(X_Project_Id='p', X_Roles='admin')
                         .is_admin)


class RPCHookTestCase(base.TestCase):

    def setUp(self):
        super().setUp()
        # oslo.messaging's in-process transport: no broker, no socket.
        self.flags(transport_url='fake:/')
        self.addCleanup(rpc.cleanup)

    def _route(self, hook):
        state = _state()
        hook.on_route(state)
        return state.request

    def test_every_request_shares_one_client_of_each_endpoint(self):
        hook = hooks.RPCHook()
        first, second = self._route(hook), self._route(hook)
        self.assertIsInstance(first.engine_api, rpcapi.EngineAPI)
        self.assertIsInstance(first.stack_api, stack_rpcapi.StackAPI)
        self.assertIs(first.engine_api, second.engine_api)
        self.assertIs(first.stack_api, second.stack_api)

    def test_the_engine_client_given_is_the_one_used(self):
        # heat-snapshots-all gives the API its in-process engine client.
        engine_api = object()
        self.assertIs(engine_api,
                      self._route(hooks.RPCHook(engine_api)).engine_api)

    def test_no_client_before_the_first_request(self):
        # The transport must not exist before a worker process forks.
        hooks.RPCHook()
        self.assertIsNone(rpc.TRANSPORT)
