import time

from oslo_config import fixture as config_fixture
import oslo_messaging as messaging

from heat_snapshots.common import context
from heat_snapshots.common import rpc
from heat_snapshots.tests import base


class Echo:
    target = messaging.Target(version='1.0')

    def echo(self, ctxt, value):
        return value


class InProcessTransportTest(base.TestCase):

    def setUp(self):
        super().setUp()
        conf = self.useFixture(config_fixture.Config(base.CONF))
        conf.config(transport_url='fake:/')
        # A transport an earlier test of this process left behind would
        # be reused by init(), whatever it was built for.
        rpc.cleanup()
        self.addCleanup(rpc.cleanup)
        target = messaging.Target(topic='hs-test-echo', server='here')
        self.server = rpc.get_server(target, [Echo()])
        self.server.start()
        self.addCleanup(self.server.wait)
        self.addCleanup(self.server.stop)
        self.client = rpc.get_client(
            messaging.Target(topic='hs-test-echo'), timeout=10)
        self.ctx = context.RequestContext(project_id='p', user_id='u')

    def test_server_woken_by_each_call(self):
        self.assertIsInstance(rpc.init()._driver, rpc._InProcessDriver)
        self.assertEqual(1, self.client.call(self.ctx, 'echo', value=1))
        started = time.monotonic()
        for value in range(10):
            self.assertEqual(value,
                             self.client.call(self.ctx, 'echo', value=value))
        # The fake driver's server looked every 50 ms: 10 calls took 0.5 s.
        self.assertLess(time.monotonic() - started, 0.4)
