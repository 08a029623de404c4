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

"""Snapshots follow their stack's delete in Heat, on proof only."""

import concurrent.futures
import logging
from unittest import mock

import fixtures
import oslo_messaging as messaging
import requests
from requests_mock.contrib import fixture as rm_fixture

from heat_snapshots.common import exception
from heat_snapshots.db import api as db_api
from heat_snapshots.engine import heat_listener
from heat_snapshots.engine.stacks import base as stacks_base
from heat_snapshots.engine.stacks.heat import driver as heat_driver
from heat_snapshots.localstack import db_api as store_db
from heat_snapshots.tests import base
from heat_snapshots.tests import engine_fixture as ef
from heat_snapshots.tests import fake_driver

GONE = '11111111-1111-4111-8111-111111111111'
KEPT = '22222222-2222-4222-8222-222222222222'
UNKNOWN = '33333333-3333-4333-8333-333333333333'
PROJECT = 'project-a'


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
        # Heat has KEPT, shows GONE DELETE_COMPLETE, fails on UNKNOWN.
        self.driver = fake_driver.FakeStackDriver(self.conf_fixture.conf)
        self.driver.add_stack('kept', {}, stack_id=KEPT)
        self.driver.add_stack('gone', {}, stack_id=GONE)
        self.driver.delete_behind_our_back(GONE)
        self.driver.faults[('stack_presence', UNKNOWN)] = \
            exception.ServiceUnavailable(reason='Heat is down')
        self.follower = heat_listener.StackFollower(
            self.conf_fixture.conf, self.driver, 'engine-1',
            lambda engine_id: engine_id == 'engine-1')

    def make_snapshot(self, stack_id, action='CREATE', status='COMPLETE',
                      engine_id='engine-old'):
        snapshot = db_api.snapshot_create(self.admin, {
            'name': 'snap', 'stack_id': stack_id, 'stack_name': 's',
            'project_id': PROJECT, 'action': action, 'status': status,
            'engine_id': engine_id, 'data': {}})
        artifact = store_db.artifact_create(self.admin, {
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
        return {a.snapshot_id for a in store_db.artifact_list(self.admin)}


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

    def test_delete_through_the_filter_waits_for_heat_s_proof(self):
        # Heat shows the stack (DELETE_IN_PROGRESS) twice, then deleted.
        answers = [heat_driver.FOUND, heat_driver.FOUND,
                   heat_driver.DELETED]
        self.driver.stack_presence = lambda context, stack_id, project: \
            answers.pop(0)
        snapshot = self.make_snapshot(GONE)
        self.assertEqual(1, self.follower.follow_delete(GONE, PROJECT))
        self.assertEqual([], answers)
        self.assertEqual(set(), self.snapshot_ids(GONE))
        self.assertNotIn(snapshot.id, self.artifact_snapshot_ids())

    def test_delete_through_the_filter_without_proof_deletes_nothing(self):
        # A delete that never completes, or Heat's "not found" (to be
        # confirmed by the stack check after its grace).
        self.flags(action_timeout=1, check_interval_max=0.05,
                   group='heat_snapshots')
        snapshot = self.make_snapshot(KEPT)
        self.assertEqual(0, self.follower.follow_delete(KEPT, PROJECT))
        self.driver.stack_presence = lambda context, stack_id, project: \
            heat_driver.NOT_FOUND
        self.assertEqual(0, self.follower.follow_delete(KEPT, PROJECT))
        self.assertEqual({snapshot.id}, self.snapshot_ids(KEPT))

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

    def test_check_stacks_deletes_only_stacks_shown_deleted(self):
        self.make_snapshot(GONE)
        kept = self.make_snapshot(KEPT)
        unknown = self.make_snapshot(UNKNOWN)

        self.assertEqual(1, self.follower.check_stacks())

        self.assertEqual(set(), self.snapshot_ids(GONE))
        self.assertEqual({kept.id}, self.snapshot_ids(KEPT))
        # Heat could not answer: nothing is deleted.
        self.assertEqual({unknown.id}, self.snapshot_ids(UNKNOWN))
        # Asked in the snapshot's project.
        self.assertIn((GONE, PROJECT), self.driver.presence_asked)

    def test_only_the_owning_project_s_snapshots_go(self):
        # A snapshot of the same stack id recorded under another project
        # is not covered by the proof obtained in the owner's project.
        self.make_snapshot(GONE)
        other = db_api.snapshot_create(self.admin, {
            'name': 'snap', 'stack_id': GONE, 'stack_name': 's',
            'project_id': 'project-b', 'action': 'CREATE',
            'status': 'COMPLETE', 'engine_id': 'engine-old', 'data': {}})
        self.assertEqual(1, self.follower.delete_stack_snapshots(
            GONE, PROJECT))
        self.assertEqual({other.id}, self.snapshot_ids(GONE))

    def test_a_driver_that_cannot_tell_deletes_nothing(self):
        class CannotTell(fake_driver.FakeStackDriver):
            stack_presence = stacks_base.StackDriver.stack_presence

        self.make_snapshot(GONE)
        self.follower.driver = CannotTell(self.conf_fixture.conf)
        self.follower.driver.stacks = self.driver.stacks
        self.assertEqual(0, self.follower.check_stacks())
        self.assertEqual(1, len(self.snapshot_ids(GONE)))

    def test_payload_stack_id(self):
        self.assertEqual(GONE, heat_listener.stack_id_from_payload(
            {'stack_identity': GONE}))
        self.assertEqual(GONE, heat_listener.stack_id_from_payload(
            {'stack_identity': 'arn:openstack:heat::p:stacks/s/' + GONE}))
        self.assertIsNone(heat_listener.stack_id_from_payload({}))


HEAT = 'http://heat.test:8004/v1'
HOUR = 3600
TICK = 5
GRACE = 300


def stacks_url(project=PROJECT):
    return '%s/%s/stacks' % (HEAT, project)


def heat_fault(message, type_name='EntityNotFound', code=404,
               title='Not Found',
               explanation='The resource could not be found.'):
    """Heat's faultwrap body."""
    return {'explanation': explanation, 'code': code,
            'error': {'message': message, 'traceback': None,
                      'type': type_name},
            'title': title}


JSON = {'Content-Type': 'application/json'}


def stack_not_found(stack_id):
    """Heat's real answer to a lookup of a stack it does not have."""
    return {'status_code': 404, 'headers': JSON,
            'json': heat_fault('The Stack (%s) could not be found.'
                               % stack_id)}


HTML_404 = ('<html><body><h1>404 Not Found</h1>The requested URL was not '
            'found on this server.</body></html>')

# Answers that prove nothing about a stack: each, for an hour, must delete
# nothing.
AMBIGUOUS = {
    'html_404_of_a_proxy': {
        'status_code': 404, 'text': HTML_404,
        'headers': {'Content-Type': 'text/html'}},
    'plain_404_of_an_unrouted_path': {
        'status_code': 404,
        'text': '404 Not Found\n\nThe resource could not be found.\n\n   ',
        'headers': {'Content-Type': 'text/plain; charset=UTF-8'}},
    'json_404_of_another_service': {
        # A wrong catalog entry: Nova's 404.
        'status_code': 404, 'headers': JSON, 'json': {'itemNotFound': {
            'code': 404, 'message': 'Instance could not be found.'}}},
    'heat_404_naming_another_stack': {
        'status_code': 404, 'headers': JSON,
        'json': heat_fault('The Stack (s) could not be found.')},
    'heat_404_fault_served_as_html': {
        'status_code': 404, 'text': '{"code": 404, "error": {"type": '
        '"EntityNotFound", "message": "The Stack (%s) could not be found."'
        '}}' % GONE, 'headers': {'Content-Type': 'text/html'}},
    'heat_500': {
        'status_code': 500, 'headers': JSON, 'json': heat_fault(
            None, 'RemoteError', 500, 'Internal Server Error',
            'The server has either erred or is incapable of performing '
            'the requested operation.')},
    'proxy_503': {
        'status_code': 503, 'text': '<html><body><h1>503 Service '
        'Unavailable</h1>No server is available to handle this '
        'request.</body></html>', 'headers': {'Content-Type': 'text/html'}},
    'connect_timeout': {'exc': requests.exceptions.ConnectTimeout},
    'read_timeout': {'exc': requests.exceptions.ReadTimeout},
    'connection_refused': {'exc': requests.exceptions.ConnectionError},
    'unauthorized_401': {
        'status_code': 401, 'headers': JSON, 'json': {'error': {
            'code': 401, 'title': 'Unauthorized',
            'message': 'The request you have made requires '
                       'authentication.'}}},
    'forbidden_403': {
        'status_code': 403, 'headers': JSON, 'json': heat_fault(
            'Access was denied to this resource.', 'HTTPForbidden', 403,
            'Forbidden', 'Access was denied to this resource.')},
}


class FakeHeatCheckTest(ListenerTestCase):
    """The periodic check against a fake Heat at the HTTP level (noauth).

    Each check is run as the periodic task would, on a clock moved
    ``TICK`` seconds per pass.
    """

    def setUp(self):
        super().setUp()
        self.http = self.useFixture(rm_fixture.Fixture())
        self.flags(group='heat_snapshots_heat', auth_type='none',
                   endpoint_override=HEAT, deleted_stack_grace=GRACE)
        self.now = 1000.0
        self.follower = heat_listener.StackFollower(
            self.conf_fixture.conf,
            heat_driver.HeatStackDriver(self.conf_fixture.conf),
            'engine-1', lambda engine_id: engine_id == 'engine-1',
            clock=lambda: self.now)
        self.artifact_delete = self.useFixture(fixtures.MockPatchObject(
            store_db, 'artifact_delete', wraps=store_db.artifact_delete)).mock
        self.log = self.useFixture(fixtures.FakeLogger(
            name='heat_snapshots.engine.heat_listener', level=logging.INFO))

    def heat_has(self, stack_id, project=PROJECT, status='CREATE_COMPLETE',
                 name='s', link_project=None, body_id=None):
        """Heat's lookup by id: a redirect to name/id, then the stack."""
        path = '%s/%s/%s' % (stacks_url(link_project or project), name,
                             body_id or stack_id)
        self.http.get(stacks_url(project) + '/' + stack_id, status_code=302,
                      headers={'Location': path})
        self.http.get(path, headers=JSON, json={'stack': {
            'id': body_id or stack_id, 'stack_name': name,
            'stack_status': status, 'stack_status_reason': '',
            'links': [{'href': path, 'rel': 'self'}]}})

    def heat_answers(self, stack_id, answer, project=PROJECT):
        self.http.get(stacks_url(project) + '/' + stack_id, **answer)

    def check(self, passes=1):
        """Run ``passes`` checks, TICK seconds apart: snapshots deleted."""
        deleted = 0
        for _ in range(passes):
            deleted += self.follower.check_stacks()
            self.now += TICK
        return deleted

    def wait(self, seconds):
        self.now += seconds

    def assert_kept(self, snapshot):
        self.assertEqual('COMPLETE',
                         db_api.snapshot_get(self.admin, snapshot.id).status)
        self.assertIn(snapshot.id, self.artifact_snapshot_ids())

    def an_hour_of(self, answer):
        """:param answer: requests-mock's answer to the lookup of GONE,
            or None: already registered.
        """
        snapshot = self.make_snapshot(GONE)
        if answer is not None:
            self.heat_answers(GONE, answer)

        deleted = self.check(HOUR // TICK)

        # An hour of checks: nothing deleted, no backup touched.
        lookup = '/v1/%s/stacks/%s' % (PROJECT, GONE)
        self.assertEqual(HOUR // TICK, len(
            [r for r in self.http.request_history if r.path == lookup]))
        self.assertEqual(0, deleted)
        self.assertEqual(0, self.artifact_delete.call_count)
        self.assert_kept(snapshot)
        self.assertEqual({}, self.follower.missing_since)

        # Then Heat's own "not found", twice across the grace: deleted.
        self.heat_answers(GONE, stack_not_found(GONE))
        self.assertEqual(0, self.check())
        self.assert_kept(snapshot)
        self.wait(GRACE)
        self.assertEqual(1, self.check())
        self.assertEqual(set(), self.snapshot_ids(GONE))
        self.assertEqual(1, self.artifact_delete.call_count)
        self.assertNotIn(snapshot.id, self.artifact_snapshot_ids())
        self.assertEqual({}, self.follower.missing_since)

    for _name, _answer in AMBIGUOUS.items():
        locals()['test_an_hour_of_%s_deletes_nothing' % _name] = (
            lambda self, answer=_answer: self.an_hour_of(answer))
    del _name, _answer

    def test_an_hour_of_a_stack_of_another_project_deletes_nothing(self):
        # Heat (or an admin endpoint) answers with someone else's stack,
        # even DELETE_COMPLETE.
        self.heat_has(GONE, link_project='project-b',
                      status='DELETE_COMPLETE')
        self.an_hour_of(None)

    def test_an_hour_of_another_stack_deletes_nothing(self):
        snapshot = self.make_snapshot(GONE)
        self.heat_has(GONE, body_id=KEPT, status='DELETE_COMPLETE')
        self.assertEqual(0, self.check(HOUR // TICK))
        self.assertEqual(0, self.artifact_delete.call_count)
        self.assert_kept(snapshot)

    def test_heat_s_not_found_is_confirmed_after_the_grace(self):
        snapshot = self.make_snapshot(GONE)
        self.make_snapshot(KEPT)
        self.heat_has(KEPT)
        self.heat_answers(GONE, stack_not_found(GONE))

        # Seen missing, for less than the grace: kept.
        self.assertEqual(0, self.check(GRACE // TICK))
        self.assert_kept(snapshot)
        self.assertIn('its snapshots are deleted if Heat still says so',
                      self.log.output)
        self.assertEqual(0, self.artifact_delete.call_count)

        self.assertEqual(1, self.check())
        self.assertEqual(set(), self.snapshot_ids(GONE))
        self.assertEqual(1, len(self.snapshot_ids(KEPT)))
        self.assertEqual(1, self.artifact_delete.call_count)
        # Asked by id, in the snapshot's project.
        lookup = [r for r in self.http.request_history
                  if r.path.endswith(GONE)][0]
        self.assertEqual(PROJECT, lookup.headers['X-Auth-Project'])
        self.assertEqual('/v1/%s/stacks/%s' % (PROJECT, GONE), lookup.path)

    def test_a_single_look_is_never_enough(self):
        self.flags(group='heat_snapshots_heat', deleted_stack_grace=0)
        snapshot = self.make_snapshot(GONE)
        self.heat_answers(GONE, stack_not_found(GONE))
        self.assertEqual(0, self.check())
        self.assert_kept(snapshot)
        self.assertEqual(1, self.check())

    def test_ambiguous_answers_between_two_not_founds(self):
        # A proxy's 404 page between Heat's two answers neither confirms
        # nor resets the first sighting.
        self.make_snapshot(GONE)
        self.heat_answers(GONE, stack_not_found(GONE))
        self.check()
        self.heat_answers(GONE, AMBIGUOUS['html_404_of_a_proxy'])
        self.assertEqual(0, self.check(GRACE // TICK))
        self.heat_answers(GONE, stack_not_found(GONE))
        self.assertEqual(1, self.check())

    def test_a_stack_seen_again_restarts_the_grace(self):
        snapshot = self.make_snapshot(GONE)
        self.heat_answers(GONE, stack_not_found(GONE))
        self.check()
        self.wait(GRACE)
        self.heat_has(GONE)
        self.check()
        self.assertEqual({}, self.follower.missing_since)
        self.heat_answers(GONE, stack_not_found(GONE))
        self.assertEqual(0, self.check())
        self.assert_kept(snapshot)
        self.wait(GRACE)
        self.assertEqual(1, self.check())

    def test_restart_restarts_the_grace(self):
        snapshot = self.make_snapshot(GONE)
        self.heat_answers(GONE, stack_not_found(GONE))
        self.check()
        self.wait(GRACE)
        # A new engine process: a new follower, nothing remembered.
        self.follower = heat_listener.StackFollower(
            self.conf_fixture.conf, self.follower.driver, 'engine-1',
            clock=lambda: self.now)
        self.assertEqual(0, self.check())
        self.assert_kept(snapshot)
        self.wait(GRACE)
        self.assertEqual(1, self.check())

    def test_delete_complete_is_proof_at_once(self):
        # Heat looks ids up among its deleted stacks until it purges them.
        snapshot = self.make_snapshot(GONE)
        self.heat_has(GONE, status='DELETE_COMPLETE')
        self.assertEqual(1, self.check())
        self.assertNotIn(snapshot.id, self.artifact_snapshot_ids())
        self.assertEqual(1, self.artifact_delete.call_count)

    def test_a_stack_heat_still_has_is_kept(self):
        snapshot = self.make_snapshot(KEPT)
        self.heat_has(KEPT, status='UPDATE_COMPLETE')
        self.assertEqual(0, self.check(HOUR // TICK))
        self.assert_kept(snapshot)

    def test_breaker_stops_a_check_finding_most_stacks_gone(self):
        # 10 stacks; Heat says 8 are gone at once: a wrong endpoint, a
        # Heat whose database was swapped... nothing is deleted.
        stack_ids = ['%08d-0000-4000-8000-000000000000' % i
                     for i in range(10)]
        snapshots = [self.make_snapshot(stack_id) for stack_id in stack_ids]
        for stack_id in stack_ids[:8]:
            self.heat_answers(stack_id, stack_not_found(stack_id))
        for stack_id in stack_ids[8:]:
            self.heat_has(stack_id)

        self.assertEqual(0, self.check())
        self.wait(GRACE)
        self.assertEqual(0, self.check(GRACE // TICK))

        self.assertEqual(0, self.artifact_delete.call_count)
        for snapshot in snapshots:
            self.assert_kept(snapshot)
        # Every check says so.
        alarms = [line for line in self.log.output.splitlines()
                  if line.startswith('ALARM')]
        self.assertEqual(GRACE // TICK + 1, len(alarms))
        self.assertIn('Heat says 8 of the 10 stacks with snapshots are '
                      'gone at once', alarms[0])
        self.assertIn('no snapshot is deleted', alarms[0])
        error = mock.Mock()
        with mock.patch.object(heat_listener.LOG, 'error', error):
            self.check()
        error.assert_called_once()

        # Once the operator lets them through, they go.
        self.flags(group='heat_snapshots_heat', max_deleted_share=1)
        self.assertEqual(8, self.check())
        self.assertEqual(8, self.artifact_delete.call_count)

    def test_breaker_counts_stacks_shown_deleted(self):
        stack_ids = ['%08d-0000-4000-8000-000000000000' % i
                     for i in range(4)]
        snapshots = [self.make_snapshot(stack_id) for stack_id in stack_ids]
        for stack_id in stack_ids:
            self.heat_has(stack_id, status='DELETE_COMPLETE')
        self.assertEqual(0, self.check())
        for snapshot in snapshots:
            self.assert_kept(snapshot)
        self.assertIn('ALARM', self.log.output)

    def test_one_stack_of_one_can_go(self):
        self.make_snapshot(GONE)
        self.heat_answers(GONE, stack_not_found(GONE))
        self.check()
        self.wait(GRACE)
        self.assertEqual(1, self.check())
        self.assertNotIn('ALARM', self.log.output)

    def test_a_few_of_many_can_go(self):
        stack_ids = ['%08d-0000-4000-8000-000000000000' % i
                     for i in range(10)]
        for stack_id in stack_ids:
            self.make_snapshot(stack_id)
        for stack_id in stack_ids[:3]:
            self.heat_answers(stack_id, stack_not_found(stack_id))
        for stack_id in stack_ids[3:]:
            self.heat_has(stack_id)
        self.check()
        self.wait(GRACE)
        self.assertEqual(3, self.check())
        self.assertNotIn('ALARM', self.log.output)


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
