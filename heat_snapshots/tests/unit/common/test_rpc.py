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

import json

from oslo_config import fixture as config_fixture
import oslo_messaging as messaging

from heat_snapshots.common import exception
from heat_snapshots.common import rpc
from heat_snapshots.engine import manager
from heat_snapshots.engine import rpcapi
from heat_snapshots.localstack import rpcapi as stack_rpcapi
from heat_snapshots.tests import base
from heat_snapshots.tests import engine_fixture as ef
from heat_snapshots.tests.unit.engine import base as engine_base


class EngineOverTheBusTest(engine_base.EngineTestCase):
    """The engine's RPC server on oslo.messaging's fake transport."""

    def setUp(self):
        super().setUp()
        conf = self.useFixture(config_fixture.Config(base.CONF))
        conf.config(transport_url='fake:/')
        conf.config(topic='hs-test-engine', group='heat_snapshots')
        rpc.cleanup()
        self.addCleanup(rpc.cleanup)
        target = messaging.Target(topic='hs-test-engine', server='here')
        self.endpoint = self.engine._target
        server = rpc.get_server(target, self.endpoint.rpc_endpoints())
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

    def test_stack_crud_is_an_endpoint_of_its_own(self):
        stacks = stack_rpcapi.StackAPI(timeout=10)
        identity = stacks.create_stack(self.ctx, 'bus', engine_base.FIVE,
                                       {}, {}, {}, {})
        ef.wait_for_stack(stacks, self.ctx, identity, 'CREATE_COMPLETE')
        self.assertEqual(5, len(stacks.list_stack_resources(self.ctx,
                                                            identity)))
        # The lookup by name stays the snapshot manager's, as every
        # driver's.
        self.assertEqual(identity['stack_id'], rpcapi.EngineAPI(
            timeout=10).identify_stack(self.ctx, 'bus')['stack_id'])


class StacksNotServedTest(engine_base.EngineTestCase):
    """Engines whose driver leaves stacks to Heat serve no stack CRUD."""

    def setUp(self):
        super().setUp()
        conf = self.useFixture(config_fixture.Config(base.CONF))
        conf.config(transport_url='fake:/')
        conf.config(topic='hs-test-heat-engine', group='heat_snapshots')
        conf.config(stack_driver='heat', group='heat_snapshots')
        rpc.cleanup()
        self.addCleanup(rpc.cleanup)
        target = messaging.Target(topic='hs-test-heat-engine', server='here')
        # What the service serves when the driver manages no stacks.
        server = rpc.get_server(target, [self.engine._target])
        server.start()
        self.addCleanup(server.wait)
        self.addCleanup(server.stop)

    def test_stack_crud_is_refused_as_not_supported(self):
        error = self.assertRaises(
            exception.NotSupported, stack_rpcapi.StackAPI(timeout=10).
            list_stacks, self.ctx)
        self.assertEqual(
            'Managing stacks with the heat stack driver is not supported.',
            str(error))

    def test_in_process_engine_without_stack_crud_refuses_it(self):
        rpc.set_local_endpoints([self.engine._target])
        self.addCleanup(rpc.set_local_endpoints, [])
        self.assertRaises(exception.NotSupported,
                          stack_rpcapi.StackAPI().show_stack, self.ctx,
                          {'stack_name': 's', 'stack_id': 'i'})


class PackTextTest(base.TestCase):

    def test_text_comes_back_as_it_was_and_smaller(self):
        text = json.dumps({'snapshots': [
            {'name': 'zoë', 'data': {'resources': {
                'r%d' % i: {'type': 'OS::Heat::None', 'status': 'COMPLETE'}
                for i in range(50)}}}] * 4})
        packed = rpc.pack_text(text)
        self.assertEqual(text, rpc.unpack_text(packed))
        # Nothing a JSON layer of the message bus escapes.
        self.assertEqual(packed, json.loads(json.dumps(packed)))
        self.assertNotIn('"', packed)
        self.assertLess(len(packed), len(text) / 5)
