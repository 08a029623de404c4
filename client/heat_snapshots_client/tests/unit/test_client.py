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

from keystoneauth1 import noauth
from keystoneauth1 import session

from heat_snapshots_client import client
from heat_snapshots_client.tests.unit import base
from heat_snapshots_client.tests.unit.base import API
from heat_snapshots_client.tests.unit.base import STACK
from heat_snapshots_client.tests.unit.base import STACK_ID


class EndpointTest(base.TestCase):

    def test_the_catalogs_orchestration_endpoint(self):
        self.http.get(API + '/snapshot_policies', json={'policies': []})
        self.assertEqual([], self.client.list_policies())
        self.assertEqual('orchestration',
                         self.auth.asked[0]['service_type'])
        self.assertEqual('a-token', self.http.last_request.headers[
            'X-Auth-Token'])

    def test_an_endpoint_without_the_project_gets_the_sessions(self):
        for endpoint in ('http://own.test:8004', 'http://own.test:8004/',
                         'http://own.test:8004/v1'):
            hs = client.Client(session.Session(auth=self.auth),
                               endpoint=endpoint)
            self.assertEqual('http://own.test:8004/v1/p1', hs.base_url)

    def test_an_endpoint_with_its_project_is_used_as_it_is(self):
        hs = client.Client(session.Session(auth=self.auth),
                           endpoint='http://own.test/orchestration/v1/p9/')
        self.assertEqual('http://own.test/orchestration/v1/p9', hs.base_url)

    def test_no_auth_with_an_endpoint(self):
        hs = client.Client(session.Session(
            auth=noauth.NoAuth(endpoint='http://aio.test/v1/admin')))
        self.http.get('http://aio.test/v1/admin/snapshot_policies',
                      json={'policies': [{'id': 'p'}]})
        self.assertEqual([{'id': 'p'}], hs.list_policies())

    def test_no_project_to_complete_the_endpoint(self):
        hs = client.Client(session.Session(
            auth=base.FakeAuth(endpoint='http://own.test', project_id=None)))
        error = self.assertRaises(client.ClientError, hs.list_policies)
        self.assertIn('give the endpoint with it', str(error))


class ErrorTest(base.TestCase):

    def test_heats_error_body(self):
        self.http.get(API + '/snapshot_policies/nope', status_code=404,
                      headers={'X-OpenStack-Request-Id': 'req-1'},
                      json=base.heat_error(404, 'EntityNotFound',
                                           'The policy (nope) could not be '
                                           'found.'))
        error = self.assertRaises(client.HTTPError, self.client.get_policy,
                                  'nope')
        self.assertEqual((404, 'EntityNotFound', 'req-1'),
                         (error.status, error.type, error.request_id))
        self.assertEqual('HTTP 404 EntityNotFound: The policy (nope) could '
                         'not be found. (request req-1)', str(error))

    def test_an_error_without_heats_body(self):
        self.http.get(API + '/snapshot_policies', status_code=502,
                      text='Bad Gateway\n')
        error = self.assertRaises(client.HTTPError,
                                  self.client.list_policies)
        self.assertEqual('HTTP 502: Bad Gateway', str(error))


class StackTest(base.TestCase):

    def test_the_302_lookup(self):
        self.stack_lookup()
        self.assertEqual(client.Stack('web', STACK_ID),
                         self.client.find_stack('web'))
        # The redirect is read, not followed.
        self.assertEqual(1, len(self.http.request_history))

    def test_quoted_names(self):
        self.http.get(API + '/stacks/my%20stack', status_code=302,
                      headers={'Location': API + '/stacks/my%20stack/x1'})
        stack = self.client.find_stack('my stack')
        self.assertEqual(('my stack', 'x1'), (stack.name, stack.id))
        self.assertEqual('stacks/my%20stack/x1', stack.path)

    def test_a_200_lookup(self):
        self.http.get(API + '/stacks/' + STACK_ID, json={
            'stack': {'id': STACK_ID, 'stack_name': 'web'}})
        self.assertEqual(client.Stack('web', STACK_ID),
                         self.client.find_stack(STACK_ID))

    def test_no_such_stack(self):
        self.http.get(API + '/stacks/nope', status_code=404,
                      json=base.heat_error(404, 'EntityNotFound', 'x'))
        self.assertRaises(client.NotFound, self.client.find_stack, 'nope')


class SnapshotTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.stack_lookup()

    def test_create(self):
        self.http.post(STACK + '/snapshots', json=base.snapshot(
            status='IN_PROGRESS'))
        self.assertEqual('IN_PROGRESS', self.client.create_snapshot(
            'web', 'before-upgrade')['status'])
        self.assertEqual({'name': 'before-upgrade'},
                         self.http.last_request.json())
        self.client.create_snapshot('web')
        self.assertEqual({}, self.http.last_request.json())

    def test_list_pages_sorts_and_filters(self):
        self.http.get(STACK + '/snapshots', json={'snapshots': []})
        self.client.list_snapshots('web', limit=2, marker='s1',
                                   sort='creation_time:desc',
                                   status='COMPLETE')
        self.assertEqual(
            {'limit': ['2'], 'marker': ['s1'], 'sort_keys': ['creation_time'],
             'sort_dir': ['desc'], 'status': ['complete']},
            self.http.last_request.qs)
        self.client.list_snapshots('web', sort='name')
        self.assertEqual({'sort_keys': ['name']}, self.http.last_request.qs)
        self.client.list_snapshots('web')
        self.assertEqual({}, self.http.last_request.qs)

    def test_find_by_id_then_by_name(self):
        self.http.get(STACK + '/snapshots/s1',
                      json={'snapshot': base.snapshot()})
        self.assertEqual('s1', self.client.find_snapshot('web', 's1')['id'])
        self.http.get(STACK + '/snapshots/before-upgrade', status_code=404,
                      json=base.heat_error(404, 'NotFound', 'x'))
        self.http.get(STACK + '/snapshots', json={'snapshots': [
            base.snapshot('s0', 'other'), base.snapshot()]})
        self.assertEqual('s1', self.client.find_snapshot(
            'web', 'before-upgrade')['id'])

    def test_find_none_or_several(self):
        self.http.get(STACK + '/snapshots/daily', status_code=404,
                      json=base.heat_error(404, 'NotFound', 'x'))
        self.http.get(STACK + '/snapshots', json={'snapshots': []})
        self.assertRaises(client.NotFound, self.client.find_snapshot,
                          'web', 'daily')
        self.http.get(STACK + '/snapshots', json={'snapshots': [
            base.snapshot('s1', 'daily'), base.snapshot('s2', 'daily')]})
        error = self.assertRaises(client.NoUniqueMatch,
                                  self.client.find_snapshot, 'web', 'daily')
        self.assertEqual('2 snapshots are named daily: give the id',
                         str(error))

    def test_other_errors_are_not_a_name_lookup(self):
        self.http.get(STACK + '/snapshots/s1', status_code=403,
                      json=base.heat_error(403, 'Forbidden', 'no'))
        self.assertRaises(client.HTTPError, self.client.find_snapshot,
                          'web', 's1')

    def test_the_calls_on_a_snapshot(self):
        self.http.get(STACK + '/snapshots/s1',
                      json={'snapshot': base.snapshot()})
        self.http.post(STACK + '/snapshots/s1/restore', status_code=202,
                       json={'code': '202 Accepted'})
        self.http.delete(STACK + '/snapshots/s1', status_code=204)
        self.http.post(STACK + '/snapshots/s1/cancel', status_code=202)
        self.http.post(STACK + '/snapshots/s1/restore_preview', json={
            'resource_changes': {'added': []}, 'data_loss': []})
        self.http.post(STACK + '/snapshots/s1/clone', status_code=201,
                       json={'stack': {'id': 'new', 'links': []}})
        self.http.get(STACK + '/snapshots/s1/resources',
                      json={'resources': [{'name': 'volume'}]})
        self.client.restore_snapshot('web', 's1')
        self.assertEqual(
            ('application/json', None),
            (self.http.last_request.headers.get('Content-Type'),
             self.http.last_request.body))
        self.client.delete_snapshot('web', 's1')
        self.client.cancel_snapshot('web', 's1')
        self.assertEqual([], self.client.restore_preview(
            'web', 's1')['data_loss'])
        self.assertEqual('new', self.client.clone_snapshot(
            'web', 's1', 'web-copy', {'size': '2'})['id'])
        self.assertEqual({'stack_name': 'web-copy',
                          'parameters': {'size': '2'}},
                         self.http.last_request.json())
        self.assertEqual([{'name': 'volume'}],
                         self.client.list_snapshot_resources('web', 's1'))
        path = base.STACK.split(base.HOST)[1] + '/snapshots/s1'
        self.assertEqual(
            [('POST', path + '/restore'), ('DELETE', path),
             ('POST', path + '/cancel'), ('POST', path + '/restore_preview'),
             ('POST', path + '/clone'), ('GET', path + '/resources')],
            [(method, p) for method, p, _ in self.sent()
             if method != 'GET' or p.endswith('/resources')])


class ProjectSnapshotTest(base.TestCase):

    def test_clone_without_the_stack_uses_the_project_path(self):
        self.http.get(API + '/snapshots/k1',
                      json={'snapshot': base.snapshot('k1')})
        self.http.post(API + '/snapshots/k1/clone', status_code=201,
                       json={'stack': {'id': 'new', 'links': []}})
        self.assertEqual('new', self.client.clone_snapshot(
            None, 'k1', 'db-copy', {'size': '2'})['id'])
        self.assertEqual({'stack_name': 'db-copy',
                          'parameters': {'size': '2'}},
                         self.http.last_request.json())
        # A snapshot dict is not looked up again.
        self.client.clone_snapshot(None, {'id': 'k1'}, 'db-copy2')
        self.assertEqual(
            [('GET', '/v1/p1/snapshots/k1'),
             ('POST', '/v1/p1/snapshots/k1/clone'),
             ('POST', '/v1/p1/snapshots/k1/clone')],
            [(method, path) for method, path, _ in self.sent()])

    def test_find_by_name_none_or_several(self):
        self.http.get(API + '/snapshots/daily', status_code=404,
                      json=base.heat_error(404, 'NotFound', 'x'))
        self.http.get(API + '/snapshots', json={'snapshots': []})
        self.assertRaises(client.NotFound,
                          self.client.find_project_snapshot, 'daily')
        self.http.get(API + '/snapshots', json={'snapshots': [
            base.snapshot('s1', 'daily'), base.snapshot('s2', 'daily')]})
        self.assertRaises(client.NoUniqueMatch,
                          self.client.find_project_snapshot, 'daily')
        self.assertEqual('name=daily', self.sent('GET')[-1][2])


class PolicyTest(base.TestCase):

    def test_create_sends_the_wire_shape(self):
        self.http.post(API + '/snapshot_policies', status_code=201,
                       json={'policy': {'id': 'p1', 'name': 'nightly'}})
        policy = self.client.create_policy(
            'nightly', '0 2 * * *', 'Europe/Paris', stack_ids=[STACK_ID],
            retention={'keep_last': 3, 'keep_daily': 7, 'keep_weekly': 4})
        self.assertEqual('p1', policy['id'])
        self.assertEqual({'policy': {
            'name': 'nightly', 'stacks': {'ids': [STACK_ID]},
            'schedule': {'cron': '0 2 * * *', 'timezone': 'Europe/Paris'},
            'retention': {'keep_last': 3, 'keep_daily': 7, 'keep_weekly': 4},
            'keep_after_stack_delete': False, 'enabled': True}},
            self.http.last_request.json())
        self.client.create_policy('tagged', '0 3 * * *', tags=['prod'],
                                  enabled=False)
        body = self.http.last_request.json()['policy']
        self.assertEqual({'tags': ['prod']}, body['stacks'])
        self.assertEqual('UTC', body['schedule']['timezone'])
        self.assertEqual({}, body['retention'])
        self.assertFalse(body['enabled'])

    def test_find_by_name(self):
        self.http.get(API + '/snapshot_policies/nightly', status_code=404,
                      json=base.heat_error(404, 'EntityNotFound', 'x'))
        self.http.get(API + '/snapshot_policies', json={'policies': [
            {'id': 'p1', 'name': 'nightly'}, {'id': 'p2', 'name': 'weekly'}]})
        self.assertEqual('p1', self.client.find_policy('nightly')['id'])

    def test_update_run_runs_delete_preview(self):
        self.http.get(API + '/snapshot_policies/p1',
                      json={'policy': {'id': 'p1', 'name': 'nightly'}})
        self.http.patch(API + '/snapshot_policies/p1',
                        json={'policy': {'id': 'p1', 'enabled': False}})
        self.http.post(API + '/snapshot_policies/p1/run', status_code=202,
                       json={'run': {'id': 'r1', 'status': 'IN_PROGRESS'}})
        self.http.get(API + '/snapshot_policies/p1/runs',
                      json={'runs': [{'id': 'r1'}]})
        self.http.get(API + '/snapshot_policies/p1/prune_preview',
                      json={'pruned': []})
        self.http.delete(API + '/snapshot_policies/p1', status_code=204)
        self.assertFalse(self.client.update_policy(
            'p1', enabled=False)['enabled'])
        self.assertEqual({'policy': {'enabled': False}},
                         self.http.last_request.json())
        self.assertEqual('IN_PROGRESS',
                         self.client.run_policy({'id': 'p1'})['status'])
        self.assertEqual([{'id': 'r1'}], self.client.list_policy_runs('p1'))
        self.assertEqual({'pruned': []}, self.client.prune_preview('p1'))
        self.client.delete_policy('p1')
        self.assertEqual('DELETE', self.http.last_request.method)
