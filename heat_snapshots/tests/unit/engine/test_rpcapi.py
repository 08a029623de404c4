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
import json
from unittest import mock

import oslo_messaging as messaging

from heat_snapshots.common import exception
from heat_snapshots.common import rpc
from heat_snapshots.engine import manager
from heat_snapshots.engine import rpcapi
from heat_snapshots.localstack import rpcapi as stack_rpcapi
from heat_snapshots.tests import base
from heat_snapshots.tests import engine_fixture as ef
from heat_snapshots.tests.unit.engine import base as engine_base


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
                engine_base.undecorated(getattr(manager.EngineManager, name)))
            self.assertEqual(list(client.parameters), list(server.parameters),
                             name)


class DeliveryFailureTest(base.TestCase):

    def test_broker_failure_is_503_without_the_brokers_address(self):
        api = rpcapi.EngineAPI()
        failure = messaging.MessageDeliveryFailure(
            'Unable to connect to AMQP server on rabbit.internal.example:5672')
        with mock.patch.object(api.client, 'prepare') as prepare:
            prepare.return_value.call.side_effect = failure
            error = self.assertRaises(exception.ServiceUnavailable,
                                      api.show_snapshot, mock.sentinel.ctx,
                                      {}, 'snap')
        self.assertEqual(503, error.code)
        self.assertNotIn('rabbit.internal.example', error.message)


class PinnedVersionTest(base.TestCase):
    """An engine pinned below 1.5 gets the older calls; same answers."""

    def test_json_calls_fall_back_to_the_older_methods(self):
        self.flags(engine='1.4', group='upgrade_levels')
        api = rpcapi.EngineAPI()
        answers = {'show_snapshot': {'id': 's', 'name': 'zoë'},
                   'stack_list_snapshots': [{'id': 's', 'data': None}]}
        with mock.patch.object(api, '_call', side_effect=(
                lambda ctx, method, **kw: answers[method])) as call:
            self.assertEqual(json.dumps(answers['show_snapshot']),
                             api.show_snapshot_json(mock.sentinel.ctx, {},
                                                    's'))
            self.assertEqual(json.dumps(answers['stack_list_snapshots']),
                             api.list_snapshots_json(mock.sentinel.ctx, {}))
        self.assertEqual(['show_snapshot', 'stack_list_snapshots'],
                         [c.args[1] for c in call.mock_calls])

    def test_json_calls_at_1_5_below_1_9(self):
        self.flags(engine='1.8', group='upgrade_levels')
        api = rpcapi.EngineAPI()
        with mock.patch.object(api, '_call', return_value='[]') as call:
            self.assertEqual('[]', api.list_snapshots_json(
                mock.sentinel.ctx, {}))
        self.assertEqual(('list_snapshots_json', '1.5'),
                         (call.call_args.args[1],
                          call.call_args.kwargs['version']))


class PackedReadTest(engine_base.EngineTestCase):
    """Across the message bus the engine packs a show's and a list's text
    (1.9); the API gets the same text.
    """

    def setUp(self):
        super().setUp()
        identity = self.create_stack(engine_base.template(
            {'none': {'type': 'OS::Heat::None'}}))
        self.snap = self.snapshot(identity)
        self.identity = identity

    def over_the_bus(self, **pin):
        """What the API gets, and the calls it made, as an API process
        without an engine of its own does.
        """
        if pin:
            self.flags(group='upgrade_levels', **pin)
        api = rpcapi.EngineAPI()
        sent = []

        def call(ctx, method, version='1.0', **kwargs):
            sent.append((method, version))
            return getattr(self.engine, method)(ctx, **kwargs)
        with mock.patch.object(rpc, '_LOCAL_ENDPOINTS', {}), \
                mock.patch.object(api, '_call', side_effect=call):
            texts = (api.list_snapshots_json(self.ctx, self.identity),
                     api.show_snapshot_json(self.ctx, self.identity,
                                            self.snap['id']))
        return texts, sent

    def test_the_text_is_packed_on_the_bus_and_the_same_unpacked(self):
        texts, sent = self.over_the_bus()
        self.assertEqual([('list_snapshots_packed', '1.9'),
                          ('show_snapshot_packed', '1.9')], sent)
        self.assertEqual(
            (self.engine.list_snapshots_json(self.ctx, self.identity),
             self.engine.show_snapshot_json(self.ctx, self.identity,
                                            self.snap['id'])), texts)
        self.assertEqual(self.snap['id'], json.loads(texts[1])['id'])

    def test_an_engine_pinned_below_1_9_sends_the_text(self):
        texts, sent = self.over_the_bus(engine='1.8')
        self.assertEqual([('list_snapshots_json', '1.5'),
                          ('show_snapshot_json', '1.5')], sent)
        self.assertEqual([self.snap['id']],
                         [s['id'] for s in json.loads(texts[0])])

    def test_a_packed_read_fails_as_the_text_would(self):
        packed = engine_base.undecorated(
            manager.EngineManager.show_snapshot_packed)
        error = self.assertRaises(exception.SnapshotIdNotFound, packed,
                                  self.engine, self.ctx, self.identity,
                                  'not-a-uuid')
        self.assertEqual('Snapshot with id not-a-uuid not found',
                         error.message)


class CloneVersionTest(base.TestCase):
    """The project-wide clone sends the URL's tenant at 1.8; an engine
    pinned below gets the 1.4 call, which checks the caller's project.
    """

    def clone(self, **kwargs):
        api = rpcapi.EngineAPI()
        with mock.patch.object(api, '_call', return_value={}) as call:
            api.clone_snapshot(mock.sentinel.ctx, 'snap', 'copy', **kwargs)
        return call.call_args.kwargs

    def test_the_tenant_is_sent_at_1_8(self):
        sent = self.clone(project_id='project-a')
        self.assertEqual(('1.8', 'project-a', None),
                         (sent['version'], sent['project_id'],
                          sent['stack_identity']))

    def test_a_stack_scoped_clone_or_a_pinned_engine_gets_1_4(self):
        sent = self.clone(stack_identity={'stack_id': 'x'})
        self.assertEqual('1.4', sent['version'])
        self.assertNotIn('project_id', sent)
        self.flags(engine='1.7', group='upgrade_levels')
        sent = self.clone(project_id='project-a')
        self.assertEqual('1.4', sent['version'])
        self.assertNotIn('project_id', sent)


class LocalCallTest(engine_base.EngineTestCase):
    """heat-snapshots-all: the clients call the engine of its process."""

    def setUp(self):
        super().setUp()
        self.manager = self.engine._target
        rpc.set_local_endpoints(self.manager.rpc_endpoints())
        self.addCleanup(rpc.set_local_endpoints, [])
        self.api = rpcapi.EngineAPI()
        self.stacks = stack_rpcapi.StackAPI()

    def test_calls_reach_the_manager_as_over_rpc(self):
        identity = self.stacks.create_stack(self.ctx, 'local',
                                            engine_base.FIVE, {}, {}, {}, {})
        ef.wait_for_stack(self.stacks, self.ctx, identity,
                          'CREATE_COMPLETE')
        seen = []
        real = self.manager.stack_list_snapshots

        @messaging.expose
        def stack_list_snapshots(context, **kwargs):
            seen.append(context)
            return real(context, **kwargs)
        self.manager.stack_list_snapshots = stack_list_snapshots
        self.assertEqual([], self.api.stack_list_snapshots(self.ctx,
                                                           identity))
        # A copy of the caller's context, as rebuilt from the wire.
        self.assertIsNot(self.ctx, seen[0])
        self.assertEqual(self.ctx.to_dict(), seen[0].to_dict())

    def test_reads_are_handed_over_unpacked(self):
        identity = self.stacks.create_stack(self.ctx, 'local',
                                            engine_base.FIVE, {}, {}, {}, {})
        ef.wait_for_stack(self.stacks, self.ctx, identity,
                          'CREATE_COMPLETE')
        with mock.patch.object(self.manager, 'list_snapshots_packed',
                               side_effect=AssertionError('packed')):
            self.assertEqual('[]', self.api.list_snapshots_json(self.ctx,
                                                                identity))

    def test_expected_errors_arrive_as_themselves(self):
        identity = {'stack_name': 'nope', 'stack_id': 'nope'}
        error = self.assertRaises(exception.StackNotFound,
                                  self.api.stack_list_snapshots, self.ctx,
                                  identity)
        self.assertEqual(404, error.code)

    def test_only_rpc_methods_can_be_called(self):
        local = rpc.LocalContext(self.manager)
        for method in ('stop', 'recover', 'nonexistent', 'get_stack',
                       'start_operation', 'start_stack_delete'):
            self.assertRaises(messaging.NoSuchMethod, local.call, self.ctx,
                              method)
        self.assertFalse(self.manager._stopping.is_set())
