import inspect
from unittest import mock

import oslo_messaging as messaging

from heat_snapshots.common import exception
from heat_snapshots.engine import manager
from heat_snapshots.engine import rpcapi
from heat_snapshots.tests import base


def _undecorated(function):
    """The method under oslo.messaging's @expected_exceptions wrapper."""
    for cell in function.__closure__ or ():
        if inspect.isfunction(cell.cell_contents):
            return _undecorated(cell.cell_contents)
    return function


class RPCAPIVersionTest(base.TestCase):

    def test_client_and_server_speak_the_same_version(self):
        self.assertEqual(rpcapi.RPC_API_VERSION, manager.RPC_API_VERSION)
        self.assertEqual(rpcapi.RPC_API_VERSION,
                         manager.EngineManager.target.version)

    def test_every_client_call_has_a_server_method_with_its_arguments(self):
        calls = [name for name, _ in inspect.getmembers(
            rpcapi.EngineAPI, inspect.isfunction) if not name.startswith('_')]
        self.assertIn('stack_snapshot', calls)
        for name in calls:
            client = inspect.signature(getattr(rpcapi.EngineAPI, name))
            server = inspect.signature(
                _undecorated(getattr(manager.EngineManager, name)))
            self.assertEqual(list(client.parameters), list(server.parameters),
                             name)


class DeliveryFailureTest(base.TestCase):

    def test_broker_failure_is_503_without_the_brokers_address(self):
        api = rpcapi.EngineAPI()
        failure = messaging.MessageDeliveryFailure(
            'Unable to connect to AMQP server on 10.0.0.5:5672')
        with mock.patch.object(api.client, 'prepare') as prepare:
            prepare.return_value.call.side_effect = failure
            error = self.assertRaises(exception.ServiceUnavailable,
                                      api.show_snapshot, mock.sentinel.ctx,
                                      {}, 'snap')
        self.assertEqual(503, error.code)
        self.assertNotIn('10.0.0.5', error.message)
