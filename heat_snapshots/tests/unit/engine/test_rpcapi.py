import inspect

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
