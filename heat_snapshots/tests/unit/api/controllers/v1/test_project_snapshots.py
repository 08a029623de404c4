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

"""GET /v1/{tenant_id}/snapshots and the snapshots kept after their stack.
"""

from heat_snapshots.tests.unit.api import api_fixture
from heat_snapshots.tests.unit.api import base
from heat_snapshots.tests.unit.api.controllers.v1 import \
    test_snapshot_policies as policy_tests

PROJECT = api_fixture.PROJECT
definition = policy_tests.definition


class ProjectSnapshotsTest(policy_tests.PolicyTestCase):

    def test_list_pages_filters_and_sorts(self):
        names = ['b', 'a', 'c']
        snaps = [self.snapshot(self.stack, name=n) for n in names]
        url = '/v1/%s/snapshots' % PROJECT
        listed = self.get(url + '?sort_keys=name&sort_dir=asc').json[
            'snapshots']
        self.assertEqual(['a', 'b', 'c'], [s['name'] for s in listed])
        self.assertEqual(base.SNAPSHOT_KEYS + ['stack_id', 'stack_name',
                                               'stack_deleted', 'policy_id'],
                         list(listed[0]))
        page = self.get(url + '?sort_keys=name&sort_dir=asc&limit=1&marker='
                        + listed[0]['id']).json['snapshots']
        self.assertEqual(['b'], [s['name'] for s in page])
        self.assertEqual(['c'], [s['name'] for s in self.get(
            url + '?name=c').json['snapshots']])
        self.assertEqual(3, len(self.get(url + '?status=COMPLETE').json[
            'snapshots']))
        # One rule for both lists: a bad sort key, an empty one, an unknown
        # status are 400s; statuses may be a comma list.
        for query in ('sort_keys=data', 'sort_keys=', 'status=DONE',
                      'sort_dir=up'):
            self.assertFault(self.get(url + '?' + query, status=None),
                             400, 'HTTPBadRequest')
        self.assertEqual(3, len(self.get(
            url + '?status=FAILED,COMPLETE').json['snapshots']))
        shown = self.get('%s/%s' % (url, snaps[0]['id'])).json['snapshot']
        self.assertEqual('b', shown['name'])
        self.request('DELETE', '%s/%s' % (url, snaps[0]['id']), status=204)
        api_fixture.wait_for(lambda: self.get('%s/%s' % (
            url, snaps[0]['id']), status=None).status_int == 404,
            what='snapshot delete')
        self.show_snapshot(self.stack, snaps[0]['id'], status=404)

    def test_keep_after_stack_delete(self):
        kept = self.create_stack('kept')
        policy = self.create_policy(definition(
            [kept['id']], keep_after_stack_delete=True)).json['policy']
        plain = self.create_policy(definition(
            [self.stack['id']])).json['policy']
        kept_run = self.run_now(policy['id'])
        plain_run = self.run_now(plain['id'])
        manual = self.snapshot(kept, name='manual')
        for stack in (kept, self.stack):
            self.request('DELETE', self.stack_url(stack), status=204)
        url = '/v1/%s/snapshots' % PROJECT

        def gone():
            # The other snapshots go with their stacks, and the kept one is
            # marked as outliving its stack: both after the stack delete's
            # answer, in no set order.
            found = self.get(url).json['snapshots']
            if len(found) == 1 and found[0]['stack_deleted']:
                return found
        found = api_fixture.wait_for(gone, what='stack deletes')
        self.assertEqual(kept_run['snapshots'], [s['id'] for s in found])
        self.assertNotIn(plain_run['snapshots'][0],
                         [s['id'] for s in found])
        self.assertNotIn(manual['id'], [s['id'] for s in found])
        self.request('DELETE', '%s/%s' % (url, found[0]['id']), status=204)
        api_fixture.wait_for(lambda: not self.get(url).json['snapshots'],
                             what='kept snapshot delete')

    def test_another_projects_snapshots_are_not_found(self):
        snap = self.snapshot(self.stack)
        other = api_fixture.headers(project='other-project')
        self.assertEqual([], self.get('/v1/other-project/snapshots',
                                      headers=other).json['snapshots'])
        for method in ('GET', 'DELETE'):
            response = self.request(method, '/v1/other-project/snapshots/%s'
                                    % snap['id'], headers=other)
            self.assertFault(response, 404, 'NotFound')
        # Another project's snapshot is no marker of this project's list,
        # as another stack's is none of a stack's list.
        response = self.get('/v1/%s/snapshots?marker=%s' % (
            'other-project', snap['id']), status=None, headers=other)
        self.assertFault(response, 400, 'HTTPBadRequest')
        self.assertNotIn(PROJECT, response.json['error']['message'])
        self.assertEqual('COMPLETE',
                         self.show_snapshot(self.stack, snap['id'])['status'])


class ProjectCloneTest(policy_tests.PolicyTestCase):
    """POST /v1/{tenant_id}/snapshots/{snapshot_id}/clone."""

    def clone_url(self, snapshot_id, project=PROJECT):
        return '/v1/%s/snapshots/%s/clone' % (project, snapshot_id)

    def kept_snapshot(self):
        """A snapshot of a policy with keep_after_stack_delete, its stack
        deleted.
        """
        kept = self.create_stack('kept')
        policy = self.create_policy(definition(
            [kept['id']], keep_after_stack_delete=True)).json['policy']
        run = self.run_now(policy['id'])
        self.assertEqual('COMPLETE', run['status'], run['reason'])
        shown = self.get('/v1/%s/snapshots/%s' % (
            PROJECT, run['snapshots'][0])).json['snapshot']
        self.request('DELETE', self.stack_url(kept), status=204)
        api_fixture.wait_for(lambda: self.get(
            self.stack_url(kept), status=None).json.get('stack', {}).get(
                'stack_status') == 'DELETE_COMPLETE' or None,
            what='stack delete')
        self.assertTrue(self.get('/v1/%s/snapshots/%s' % (
            PROJECT, shown['id'])).json['snapshot']['stack_deleted'])
        return shown

    def test_a_kept_snapshot_clones_as_heats_stack_create(self):
        snap = self.kept_snapshot()
        response = self.post_json(self.clone_url(snap['id']),
                                  {'stack_name': 'copy'}, status=201)
        self.assertRequestId(response)
        new_id = response.json['stack']['id']
        location = response.headers['Location']
        self.assertTrue(location.endswith('%s/copy/%s' % (
            self.stacks_url(), new_id)), location)
        self.assertEqual({'stack': {'id': new_id, 'links': [
            {'href': location, 'rel': 'self'}]}}, response.json)
        copy = {'stack_name': 'copy', 'id': new_id}
        self.wait_for_stack(copy, 'CREATE_COMPLETE')
        self.assertEqual(snap['data']['template'],
                         self.get(self.stack_url(copy) + '/template').json)
        value = snap['data']['resources']['random']['resource_data'][
            'value']
        resource = self.get(self.stack_url(copy) + '/resources/random'
                            ).json['resource']
        self.assertEqual(value, resource['attributes']['value'])

    def test_a_live_stacks_snapshot_clones_too(self):
        snap = self.snapshot(self.stack)
        response = self.post_json(self.clone_url(snap['id']), {
            'stack_name': 'copy', 'parameters': None,
            'environment': {'parameters': {}}}, status=201)
        copy = {'stack_name': 'copy', 'id': response.json['stack']['id']}
        self.wait_for_stack(copy, 'CREATE_COMPLETE')
        value = snap['data']['resources']['random']['resource_data'][
            'value']
        for stack in (copy, self.stack):
            self.assertEqual(value, self.get(
                self.stack_url(stack) + '/resources/random').json[
                    'resource']['attributes']['value'])
        # The source is only read: still as its snapshot left it.
        self.assertEqual('SNAPSHOT_COMPLETE',
                         self.show_stack(self.stack)['stack_status'])

    def test_errors_are_heat_style(self):
        snap = self.kept_snapshot()
        url = self.clone_url(snap['id'])
        self.assertFault(
            self.post_json(url, {'stack_name': 'stack'}, status=None),
            409, 'StackExists', 'The Stack (stack) already exists.')
        self.assertFault(self.post_json(url, {}, status=None), 400,
                         'HTTPBadRequest')
        self.assertFault(
            self.post_json(url, {'stack_name': 'copy', 'environment': []},
                           status=None), 400, 'HTTPBadRequest')
        self.assertFault(
            self.post_json(self.clone_url('missing'),
                           {'stack_name': 'copy'}, status=None),
            404, 'NotFound', 'Snapshot with id missing not found')
        # Another project's user, in its own project's URL: not found.
        other = api_fixture.headers(project='other-project')
        self.assertFault(
            self.post_json(self.clone_url(snap['id'], 'other-project'),
                           {'stack_name': 'copy'}, status=None,
                           headers=other), 404, 'NotFound')
        # An admin naming another tenant than the snapshot's: not found.
        admin = api_fixture.headers(project='other-project',
                                    roles=['admin', 'member', 'reader'])
        self.assertFault(
            self.post_json(self.clone_url(snap['id'], 'other-project'),
                           {'stack_name': 'copy'}, status=None,
                           headers=admin), 404, 'NotFound')
        # Another project's URL: refused before any lookup.
        self.assertFault(
            self.post_json(self.clone_url(snap['id'], 'other-project'),
                           {'stack_name': 'copy'}, status=None),
            403, 'HTTPForbidden')
        self.headers = api_fixture.headers(roles=['reader'])
        self.assertFault(
            self.post_json(url, {'stack_name': 'copy'}, status=None),
            403, 'Forbidden', 'Policy doesn\'t allow project_snapshots:clone '
            'to be performed.')
        self.assertEqual(['stack'], [s['stack_name'] for s in self.get(
            self.stacks_url()).json['stacks']])

    def test_only_post_and_only_clone_below_a_snapshot(self):
        snap = self.snapshot(self.stack)
        self.assertEqual(405, self.get(self.clone_url(snap['id']),
                                       status=None).status_int)
        self.assertEqual(404, self.post_json(
            '/v1/%s/snapshots/%s/restore' % (PROJECT, snap['id']), {},
            status=None).status_int)
