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

"""Snapshots follow their stack's delete in Heat."""

import concurrent.futures

import oslo_messaging as messaging
from requests_mock.contrib import fixture as rm_fixture

from heat_snapshots.common import exception
from heat_snapshots.db import api as db_api
from heat_snapshots.engine import heat_listener
from heat_snapshots.engine.stacks.heat import driver as heat_driver
from heat_snapshots.tests import base
from heat_snapshots.tests import engine_fixture as ef

GONE = '11111111-1111-4111-8111-111111111111'
KEPT = '22222222-2222-4222-8222-222222222222'
UNKNOWN = '33333333-3333-4333-8333-333333333333'
PROJECT = 'project-a'


class FakeDriver:
    """Knows which stacks exist; cannot be asked about UNKNOWN."""

    def __init__(self, existing=(KEPT,)):
        self.existing = set(existing)
        self.asked = []

    def stack_exists(self, context, stack_id, project_id=None):
        self.asked.append((stack_id, context.project_id))
        if stack_id == UNKNOWN:
            raise exception.ServiceUnavailable(reason='Heat is down')
        return stack_id in self.existing


class FakeManager:

    def __init__(self, driver):
        self.driver = driver
        self.engine_id = 'engine-1'
        self.pool = concurrent.futures.ThreadPoolExecutor(2)

    def is_engine_alive(self, engine_id):
        return engine_id == self.engine_id


class ListenerTestCase(base.TestCase):
    use_db = True

    def setUp(self):
        super().setUp()
        self.admin = self.make_context(is_admin=True)
        self.driver = FakeDriver()
        self.follower = heat_listener.StackFollower(
            self.conf_fixture.conf, self.driver, 'engine-1',
            lambda engine_id: engine_id == 'engine-1')

    def make_snapshot(self, stack_id, action='CREATE', status='COMPLETE',
                      engine_id='engine-old'):
        snapshot = db_api.snapshot_create(self.admin, {
            'name': 'snap', 'stack_id': stack_id, 'stack_name': 's',
            'project_id': PROJECT, 'action': action, 'status': status,
            'engine_id': engine_id, 'data': {}})
        artifact = db_api.artifact_create(self.admin, {
            'snapshot_id': snapshot.id, 'resource_name': 'test',
            'content': {}})
        db_api.resource_snapshot_set(self.admin, snapshot.id, 'test', {
            'resource_type': 'OS::Heat::TestResource',
            'physical_resource_id': 'phys', 'action': 'SNAPSHOT',
            'status': status, 'data': {'artifact_id': artifact.id}})
        return snapshot

    def snapshot_ids(self, stack_id):
        return {s.id for s in db_api.snapshot_list_by_stack(self.admin,
                                                            stack_id)}

    def artifact_snapshot_ids(self):
        return {a.snapshot_id for a in db_api.artifact_list(self.admin)}


class StackFollowerTest(ListenerTestCase):

    def test_deletes_the_stacks_snapshots_and_artifacts(self):
        done = self.make_snapshot(GONE)
        failed = self.make_snapshot(GONE, status='FAILED')
        other = self.make_snapshot(KEPT)

        self.assertEqual(2, self.follower.delete_stack_snapshots(GONE))

        self.assertEqual(set(), self.snapshot_ids(GONE))
        self.assertEqual({other.id}, self.snapshot_ids(KEPT))
        self.assertEqual({other.id}, self.artifact_snapshot_ids())
        self.assertNotIn(done.id, self.artifact_snapshot_ids())
        self.assertNotIn(failed.id, self.artifact_snapshot_ids())

    def test_busy_snapshot_of_a_live_engine_is_left(self):
        busy = self.make_snapshot(GONE, status='IN_PROGRESS',
                                  engine_id='engine-1')
        self.assertEqual(0, self.follower.delete_stack_snapshots(GONE))
        self.assertEqual({busy.id}, self.snapshot_ids(GONE))

    def test_snapshot_left_by_a_dead_engine_is_deleted(self):
        self.make_snapshot(GONE, action='DELETE', status='IN_PROGRESS',
                           engine_id='engine-dead')
        self.assertEqual(1, self.follower.delete_stack_snapshots(GONE))
        self.assertEqual(set(), self.snapshot_ids(GONE))

    def test_check_stacks_deletes_only_vanished_stacks(self):
        self.make_snapshot(GONE)
        kept = self.make_snapshot(KEPT)
        unknown = self.make_snapshot(UNKNOWN)

        self.assertEqual(1, self.follower.check_stacks())

        self.assertEqual(set(), self.snapshot_ids(GONE))
        self.assertEqual({kept.id}, self.snapshot_ids(KEPT))
        # Heat could not answer: nothing is deleted.
        self.assertEqual({unknown.id}, self.snapshot_ids(UNKNOWN))
        # Asked in the snapshot's project.
        self.assertIn((GONE, PROJECT), self.driver.asked)

    def test_payload_stack_id(self):
        self.assertEqual(GONE, heat_listener.stack_id_from_payload(
            {'stack_identity': GONE}))
        self.assertEqual(GONE, heat_listener.stack_id_from_payload(
            {'stack_identity': 'arn:openstack:heat::p:stacks/s/' + GONE}))
        self.assertIsNone(heat_listener.stack_id_from_payload({}))


class HeatDriverCheckTest(ListenerTestCase):
    """The periodic check asks a (noauth) Heat through the heat driver."""

    def test_not_found_in_heat(self):
        http = self.useFixture(rm_fixture.Fixture())
        heat = 'http://heat.test:8004/v1'
        self.flags(group='heat_snapshots_heat', auth_type='none',
                   endpoint_override=heat)
        stacks = heat + '/' + PROJECT + '/stacks/'
        http.get(stacks + GONE, status_code=404,
                 json={'code': 404, 'error': {'type': 'EntityNotFound'}})
        http.get(stacks + KEPT, json={'stack': {
            'id': KEPT, 'stack_name': 's',
            'stack_status': 'UPDATE_COMPLETE'}})
        self.follower.driver = heat_driver.HeatStackDriver(
            self.conf_fixture.conf)
        self.make_snapshot(GONE)
        kept = self.make_snapshot(KEPT)

        self.assertEqual(1, self.follower.check_stacks())

        self.assertEqual({kept.id}, self.snapshot_ids(KEPT))
        self.assertEqual(PROJECT,
                         http.request_history[0].headers['X-Auth-Project'])


class NotificationTest(ListenerTestCase):
    """Heat's notifications through oslo.messaging's fake transport."""

    def setUp(self):
        super().setUp()
        # Heat's notifications go to its control exchange, "heat".
        self.flags(control_exchange='heat')
        self.flags(stack_check_interval=0, group='heat_snapshots_heat')
        self.transport = messaging.get_notification_transport(
            self.conf_fixture.conf, url='fake:/')
        self.addCleanup(self.transport.cleanup)
        manager = FakeManager(self.driver)
        self.addCleanup(manager.pool.shutdown)
        self.listener = heat_listener.HeatListener(
            self.conf_fixture.conf, manager, transport=self.transport)
        self.listener.start()
        self.addCleanup(self.listener.stop)
        self.notifier = messaging.Notifier(
            self.transport, driver='messaging', topics=['notifications'],
            publisher_id='orchestration.heat-engine')

    def notify(self, event_type, stack_id, state):
        self.notifier.info({}, event_type, {
            'stack_identity': stack_id, 'stack_name': 's',
            'tenant_id': PROJECT, 'state': state})

    def test_stack_delete_end_deletes_snapshots(self):
        self.make_snapshot(GONE)
        kept = self.make_snapshot(KEPT)
        self.notify('orchestration.stack.create.end', KEPT,
                    'CREATE_COMPLETE')
        self.notify('orchestration.stack.delete.end', GONE,
                    'DELETE_COMPLETE')

        ef.wait_for(lambda: not self.snapshot_ids(GONE),
                    what='snapshots of the deleted stack gone')
        self.assertEqual({kept.id}, self.snapshot_ids(KEPT))

    def test_other_events_are_ignored(self):
        snapshot = self.make_snapshot(GONE)
        endpoint = self.listener.endpoint
        self.assertEqual(
            messaging.NotificationResult.HANDLED,
            endpoint.info({}, 'orchestration.heat-engine',
                          'orchestration.stack.delete.end',
                          {'stack_identity': GONE, 'state': 'DELETE_FAILED'},
                          {}))
        self.assertFalse(endpoint.filter_rule.match(
            {}, {}, 'orchestration.stack.delete.start', 'x', {}))
        self.assertEqual({snapshot.id}, self.snapshot_ids(GONE))
