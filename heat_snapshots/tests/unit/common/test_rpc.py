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

from oslo_config import fixture as config_fixture
import oslo_messaging as messaging

from heat_snapshots.common import exception
from heat_snapshots.common import rpc
from heat_snapshots.engine import manager
from heat_snapshots.engine import rpcapi
from heat_snapshots.tests import base
from heat_snapshots.tests.unit.engine import base as engine_base


class EngineOverTheBusTest(engine_base.EngineTestCase):
    """The engine's RPC server on oslo.messaging's fake transport."""

    def setUp(self):
        super().setUp()
        conf = self.useFixture(config_fixture.Config(base.CONF))
        conf.config(transport_url='fake:/')
        rpc.cleanup()
        self.addCleanup(rpc.cleanup)
        target = messaging.Target(topic='hs-test-engine', server='here')
        self.endpoint = self.engine._target
        server = rpc.get_server(target, [self.endpoint])
        server.start()
        self.addCleanup(server.wait)
        self.addCleanup(server.stop)
        self.client = rpc.get_client(
            messaging.Target(topic='hs-test-engine', version='1.0'),
            timeout=10)

    def test_rpc_methods_answer_and_life_cycle_is_refused(self):
        identity = self.create_stack(engine_base.FIVE)
        snap = self.snapshot(identity)
        shown = self.client.call(self.ctx, 'show_snapshot',
                                 stack_identity=identity,
                                 snapshot_id=snap['id'])
        self.assertEqual((snap['id'], 'COMPLETE'),
                         (shown['id'], shown['status']))
        # Expected errors arrive as themselves.
        self.assertRaises(exception.SnapshotIdNotFound, self.client.call,
                          self.ctx, 'show_snapshot', stack_identity=identity,
                          snapshot_id='nope')
        # (The fake transport hands the server's exception over as it is;
        # a broker's caller gets it as RemoteError.)
        for method in ('stop', 'start', 'recover', '_recover'):
            self.assertRaises(messaging.NoSuchMethod, self.client.call,
                              self.ctx, method)
        # Still serving.
        self.assertFalse(self.endpoint._stopping.is_set())
        self.assertEqual(snap['id'], self.client.call(
            self.ctx, 'show_snapshot', stack_identity=identity,
            snapshot_id=snap['id'])['id'])

    def test_every_client_call_is_exposed(self):
        for name in dir(rpcapi.EngineAPI):
            if name.startswith('_'):
                continue
            self.assertTrue(
                getattr(getattr(manager.EngineManager, name), 'exposed',
                        False), name)
