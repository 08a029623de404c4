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

"""heat-snapshots' extension to the snapshots of a stack, through the
whole stack: per-resource progress, cancel, paging of the list.
"""

from heat_snapshots.tests.unit.api import api_fixture
from heat_snapshots.tests.unit.api import base

ROW_KEYS = {'name', 'type', 'action', 'status', 'status_reason',
            'artifact_id', 'started_at', 'finished_at'}
# Longer than any test: only a cancel ends it.
HOLD = 600


def slow_pair():
    """A fast resource, then a slow one that waits for it."""
    return base.template({
        'fast': {'type': 'OS::Heat::TestResource',
                 'properties': {'value': 'f'}},
        'slow': {'type': 'OS::Heat::TestResource', 'depends_on': ['fast'],
                 'properties': {'value': 's', 'action_wait_secs': {
                     'snapshot': HOLD, 'update': HOLD}}},
        'after': {'type': 'OS::Heat::None', 'depends_on': ['slow']},
    })


class OperationsTestCase(base.APITestCase):

    def url(self, stack, snapshot_id, tail):
        return '%s/%s%s' % (self.snapshots_url(stack), snapshot_id, tail)

    def progress(self, stack, snapshot_id, status=200):
        response = self.get(self.url(stack, snapshot_id, '/resources'),
                            status=status)
        if status != 200:
            return response
        self.assertEqual(['resources'], list(response.json))
        return {r['name']: r for r in response.json['resources']}

    def snapshot(self, stack, name='snap', wait=True):
        snap = super().snapshot(stack, name, wait=wait)
        if not wait:
            # A test that fails leaves no walk waiting behind it.
            self.addCleanup(self.cancel, stack, snap['id'], status=None)
        return snap

    def cancel(self, stack, snapshot_id, status=202):
        return self.request('POST', self.url(stack, snapshot_id, '/cancel'),
                            status=status)

    def wait_for_progress(self, stack, snapshot_id, check):
        return api_fixture.wait_for(
            lambda: check(self.progress(stack, snapshot_id)),
            what='snapshot progress')


class ResourcesTest(OperationsTestCase):

    def test_each_resource_of_a_snapshot_with_its_times(self):
        stack = self.create_stack()
        snap = self.snapshot(stack)
        rows = self.progress(stack, snap['id'])
        self.assertEqual({'random', 'none'}, set(rows))
        for row in rows.values():
            self.assertEqual(ROW_KEYS, set(row))
            self.assertEqual(('SNAPSHOT', 'COMPLETE'),
                             (row['action'], row['status']))
            self.assertRegex(row['started_at'],
                             r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
            self.assertLessEqual(row['started_at'], row['finished_at'])
        self.assertEqual('OS::Heat::RandomString', rows['random']['type'])
        # Heat's own answer is untouched.
        self.assertEqual(base.SNAPSHOT_KEYS,
                         list(self.show_snapshot(stack, snap['id'])))

    def test_rows_change_while_the_snapshot_runs(self):
        stack = self.create_stack('slow', slow_pair())
        snap = self.snapshot(stack, wait=False)

        def slow_started(rows):
            slow = rows.get('slow', {})
            # Its artifact is recorded once made, before the wait.
            if slow.get('status') == 'IN_PROGRESS' and slow['artifact_id']:
                return rows
        rows = self.wait_for_progress(stack, snap['id'], slow_started)
        self.assertEqual('COMPLETE', rows['fast']['status'])
        self.assertIsNotNone(rows['fast']['artifact_id'])
        self.assertIsNotNone(rows['slow']['started_at'])
        self.assertIsNone(rows['slow']['finished_at'])
        # Made before the wait: known while it runs.
        self.assertIsNotNone(rows['slow']['artifact_id'])
        self.assertNotIn('after', rows)
        self.assertIsNone(self.show_snapshot(stack, snap['id'])
                          ['status_reason'])
        self.cancel(stack, snap['id'])
        self.wait_for_snapshot(stack, snap['id'], 'FAILED')

    def test_unknown_snapshot_or_another_stacks_is_heats_404(self):
        stack = self.create_stack()
        snap = self.snapshot(stack)
        response = self.progress(stack, 'nosuch', status=None)
        self.assertFault(response, 404, 'NotFound',
                         'Snapshot with id nosuch not found')
        other = self.create_stack('other')
        response = self.progress(other, snap['id'], status=None)
        self.assertFault(
            response, 404, 'SnapshotNotFound',
            'The Snapshot (%s) for Stack (other) could not be found.'
            % snap['id'])
        response = self.cancel(other, snap['id'], status=None)
        self.assertFault(response, 404, 'SnapshotNotFound')

    def test_other_projects_and_readers(self):
        stack = self.create_stack()
        snap = self.snapshot(stack)
        self.headers = api_fixture.headers(project='project-b')
        for method in ('GET', 'POST'):
            tail = '/resources' if method == 'GET' else '/cancel'
            response = self.request(method, '%s/snapshots/%s%s' % (
                self.stack_url(stack, 'project-b'), snap['id'], tail))
            self.assertFault(response, 404, 'EntityNotFound',
                             'The Stack (stack) could not be found.')
            response = self.request(method,
                                    self.url(stack, snap['id'], tail))
            self.assertFault(response, 403, 'HTTPForbidden')
        self.headers = api_fixture.headers(roles=['reader'])
        self.progress(stack, snap['id'])
        response = self.cancel(stack, snap['id'], status=None)
        self.assertFault(
            response, 403, 'Forbidden',
            'Policy doesn\'t allow snapshots:cancel to be performed.')


class CancelTest(OperationsTestCase):

    def test_cancel_ends_the_snapshot_and_the_stack_failed(self):
        stack = self.create_stack('slow', slow_pair())
        snap = self.snapshot(stack, wait=False)
        self.wait_for_progress(
            stack, snap['id'],
            lambda rows: rows.get('slow', {}).get('status') ==
            'IN_PROGRESS')
        response = self.cancel(stack, snap['id'])
        self.assertEqual('202 Accepted', response.status)
        ended = self.wait_for_snapshot(stack, snap['id'], 'FAILED')
        self.assertEqual('Cancelled by request', ended['status_reason'])
        self.wait_for_stack(stack, 'SNAPSHOT_FAILED')
        shown = self.show_stack(stack)
        self.assertEqual('Cancelled by request',
                         shown['stack_status_reason'])
        rows = self.progress(stack, snap['id'])
        # The walk started nothing more; the slow one abandoned its
        # artifact, the finished one keeps its own.
        self.assertEqual({'fast', 'slow'}, set(rows))
        self.assertEqual(('COMPLETE', 'FAILED', 'Cancelled by request'),
                         (rows['fast']['status'], rows['slow']['status'],
                          rows['slow']['status_reason']))
        self.assertIsNotNone(rows['fast']['artifact_id'])
        self.assertIsNone(rows['slow']['artifact_id'])
        self.assertEqual('FAILED', ended['data']['resources']['slow']
                         ['status'])
        # A second cancel: nothing runs any more.
        response = self.cancel(stack, snap['id'], status=None)
        self.assertFault(response, 409, 'NothingToCancel')
        # The cancelled snapshot deletes as any failed one.
        self.request('DELETE', '%s/%s' % (self.snapshots_url(stack),
                                          snap['id']), status=204)

    def test_cancel_of_a_restore(self):
        stack = self.create_stack('slow', base.template({
            'a': {'type': 'OS::Heat::TestResource', 'properties': {
                'value': 'a', 'action_wait_secs': {'restore': 2}}},
            'b': {'type': 'OS::Heat::TestResource', 'depends_on': ['a'],
                  'properties': {'value': 'b', 'action_wait_secs': {
                      'restore': 30}}}}))
        snap = self.snapshot(stack)
        # The restore brings back a (2 s), then b (for ever): cancelled
        # while a runs, b never starts.
        self.request('POST', self.url(stack, snap['id'], '/restore'),
                     status=202)
        self.cancel(stack, snap['id'])
        self.wait_for_stack(stack, 'RESTORE_FAILED')
        self.assertEqual('Cancelled by request',
                         self.show_stack(stack)['stack_status_reason'])
        rows = self.progress(stack, snap['id'])
        self.assertEqual({'RESTORE'}, {r['action'] for r in rows.values()})
        self.assertEqual({'FAILED'}, {r['status'] for r in rows.values()})
        self.assertEqual({'Cancelled by request'},
                         {r['status_reason'] for r in rows.values()})
        # Heat's answer for the snapshot itself is unchanged.
        self.assertEqual('Stack SNAPSHOT completed successfully',
                         self.show_snapshot(stack, snap['id'])
                         ['status_reason'])

    def test_nothing_to_cancel_is_409(self):
        stack = self.create_stack()
        snap = self.snapshot(stack)
        response = self.cancel(stack, snap['id'], status=None)
        self.assertFault(
            response, 409, 'NothingToCancel',
            'Snapshot %s of stack stack has no snapshot or restore in '
            'progress to cancel.' % snap['id'])


class ListTest(OperationsTestCase):

    def setUp(self):
        super().setUp()
        self.stack = self.create_stack()
        self.made = [self.snapshot(self.stack, name)['id']
                     for name in ('b', 'a', 'c')]

    def ids(self, query, status=200):
        response = self.get(self.snapshots_url(self.stack) + '?' + query,
                            status=status)
        if status != 200:
            return response
        return [s['id'] for s in response.json['snapshots']]

    def test_without_parameters_heats_list(self):
        body = self.get(self.snapshots_url(self.stack)).json
        self.assertEqual(self.made, [s['id'] for s in body['snapshots']])
        for snap in body['snapshots']:
            self.assertEqual(base.SNAPSHOT_KEYS, list(snap))

    def test_limit_and_marker_page_through(self):
        b, a, c = self.made
        self.assertEqual([b, a], self.ids('limit=2'))
        self.assertEqual([c], self.ids('limit=2&marker=%s' % a))
        self.assertEqual([], self.ids('marker=%s' % c))
        self.assertEqual([], self.ids('limit=0'))

    def test_sort_keys_and_direction(self):
        b, a, c = self.made
        self.assertEqual([a, b, c], self.ids('sort_keys=name'))
        self.assertEqual([c, b, a], self.ids('sort_keys=name&sort_dir=desc'))
        self.assertEqual([c, a, b], self.ids('sort_dir=desc'))
        self.assertEqual([b, c], self.ids('sort_keys=name&marker=%s' % a))
        self.assertEqual([a, b, c],
                         self.ids('sort_keys=status&sort_keys=name'))

    def test_filters(self):
        b, a, c = self.made
        self.assertEqual([a], self.ids('name=a'))
        self.assertEqual([b, a], self.ids('name=a&name=b'))
        self.assertEqual([b, a, c], self.ids('status=COMPLETE'))
        self.assertEqual([], self.ids('status=FAILED,IN_PROGRESS'))

    def test_invalid_values_are_heats_400(self):
        cases = {
            'limit=x': 'Only integer is acceptable by \'limit\'.',
            'limit=-1': 'Value \'-1\' is invalid for \'limit\' which only '
                        'accepts non-negative integer.',
            'sort_keys=id': 'Invalid sort key(s): id. Allowed: '
                            'created_at, name, status.',
            'sort_dir=up': 'Unknown sort direction \'up\', must be one '
                           'of: asc, desc.',
            'status=DONE': 'Invalid status filter: DONE. Allowed: '
                           'IN_PROGRESS, COMPLETE, FAILED.',
            'marker=nosuch': 'marker nosuch is not a snapshot of stack '
                             'stack.',
        }
        for query, message in cases.items():
            response = self.ids(query, status=None)
            self.assertFault(response, 400, 'HTTPBadRequest', message)
