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

"""The engine service: in the API's process, or on the message bus."""

import fixtures
from oslo_config import fixture as config_fixture
import oslo_messaging as messaging

from heat_snapshots.common import rpc
from heat_snapshots.engine import service
from heat_snapshots.engine.stacks.heat import driver as heat_driver
from heat_snapshots.localstack import manager as stack_manager
from heat_snapshots.localstack import rpcapi as stack_rpcapi
from heat_snapshots.tests import base


class EngineServiceTest(base.TestCase):
    use_db = True

    def setUp(self):
        super().setUp()
        self.conf = self.useFixture(config_fixture.Config(base.CONF))
        # oslo.messaging's in-memory transport: no broker, no socket.
        self.conf.config(transport_url='fake:/')
        rpc.cleanup()
        self.addCleanup(rpc.cleanup)
        self.addCleanup(rpc.set_local_endpoints, [])
        self.ctx = self.make_context()

    def start(self, **kwargs):
        engine = service.EngineService(base.CONF, **kwargs)
        engine.start()
        self.addCleanup(engine.stop)
        return engine

    def test_local_in_process_engine_serves_this_process_only(self):
        engine = self.start(local=True)
        self.assertIsNone(engine.server)
        self.assertEqual([engine.manager, engine.manager.stack_endpoint],
                         rpc.get_local_endpoints())
        self.assertEqual([], stack_rpcapi.StackAPI().list_stacks(self.ctx))
        engine.stop()
        self.assertEqual([], rpc.get_local_endpoints())
        # Stopping again, and waiting after the stop, return at once.
        engine.stop()
        engine.wait()

    def test_engine_on_the_bus_answers_calls_on_its_topic(self):
        self.conf.config(topic='hs-test-service', group='heat_snapshots')
        engine = self.start()
        self.assertIsNotNone(engine.server)
        self.assertEqual([], rpc.get_local_endpoints())
        client = rpc.get_client(
            messaging.Target(topic='hs-test-service',
                             namespace=stack_manager.NAMESPACE,
                             version='1.0'),
            timeout=10)
        self.assertEqual([], client.call(self.ctx, 'list_stacks'))

    def test_heat_listener_by_what_the_driver_is_not_its_name(self):
        # A managing driver deletes stacks through the engine: no listener.
        self.assertIsNone(self.start(local=True).heat_listener)

        class HeatElsewhere(heat_driver.HeatStackDriver):
            """Another driver of stacks kept in Heat, under its own name."""

        self.useFixture(fixtures.MockPatch(
            'heat_snapshots.engine.stacks.base.driver_class',
            return_value=HeatElsewhere))
        self.conf.config(listen_notifications=False,
                         group='heat_snapshots_heat')
        engine = self.start(local=True)
        self.assertIsInstance(engine.manager.driver, HeatElsewhere)
        self.assertIsNotNone(engine.heat_listener)
