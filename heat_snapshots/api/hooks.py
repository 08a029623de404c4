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

"""Pecan hooks: the caller's context and the engine clients per request.
"""

from pecan import hooks

from heat_snapshots.common import context
from heat_snapshots.engine import rpcapi
from heat_snapshots.localstack import rpcapi as stack_rpcapi


class ContextHook(hooks.PecanHook):
    """Builds the caller's RequestContext from the auth middleware's keys.

    It runs on_route, before routing, because the tenant check happens
    while the URL is routed (controllers/v1/__init__.py).
    """

    def on_route(self, state):
        state.request.context = context.RequestContext.from_environ(
            state.request.environ)


class RPCHook(hooks.PecanHook):
    """Gives every request the one EngineAPI and StackAPI of this process.
    """

    def __init__(self, engine_api=None):
        self._engine_api = engine_api
        self._stack_api = None

    @property
    def engine_api(self):
        # Made on first use: the transport must not be created before a
        # worker process forks.
        if self._engine_api is None:
            self._engine_api = rpcapi.EngineAPI()
        return self._engine_api

    @property
    def stack_api(self):
        if self._stack_api is None:
            self._stack_api = stack_rpcapi.StackAPI()
        return self._stack_api

    def on_route(self, state):
        state.request.engine_api = self.engine_api
        state.request.stack_api = self.stack_api
