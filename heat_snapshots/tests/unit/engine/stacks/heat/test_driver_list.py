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

"""The heat driver's list_stacks against Heat's stack list (requests-mock).

``HeatStackList`` answers ``GET /v1/{project}/stacks`` as Heat 27 does
(heat/api/openstack/v1/stacks.py, views/stacks_view.py, db/api.py): the
summary keys of each stack, ``tags`` null when a stack has none, newest
first, ``tags_any`` / ``tenant`` filters, ``limit`` and ``marker``, and a
``next`` link when a page is full.
"""

from urllib import parse

import fixtures
from keystoneauth1 import fixture as ks_fixture
from keystoneauth1 import loading as ks_loading
import requests
from requests_mock.contrib import fixture as rm_fixture

from heat_snapshots.common import context as hs_context
from heat_snapshots.common import exception
from heat_snapshots.engine.stacks.heat import driver as heat_driver
from heat_snapshots.tests import base

HEAT = 'http://heat.test:8004/v1'
KEYSTONE = 'http://keystone.test/v3'
PROJECT = 'project-a'
OTHER = 'project-b'
LIST = HEAT + '/' + PROJECT + '/stacks'
JSON = {'Content-Type': 'application/json'}
HTML_404 = ('<html><body><h1>404 Not Found</h1>The requested URL was not '
            'found on this server.</body></html>')


def stack_id(number):
    return '%08d-0000-4000-8000-000000000000' % number


def list_item(number, tags=None, status='CREATE_COMPLETE', project=PROJECT,
              admin_view=False):
    """One stack of Heat's list (stacks_view.basic_keys)."""
    name = 'stack-%d' % number
    item = {
        'id': stack_id(number),
        'links': [{'href': '%s/%s/stacks/%s/%s' % (
            HEAT, project, name, stack_id(number)), 'rel': 'self'}],
        'stack_name': name,
        'description': '',
        'stack_status': status,
        'stack_status_reason': 'Stack CREATE completed successfully',
        'creation_time': '2026-11-30T10:%02d:00Z' % (number % 60),
        'updated_time': None,
        'deletion_time': None,
        'stack_owner': None,
        'parent': None,
        'stack_user_project_id': 'supid',
        # Heat lists a stack without tags with "tags": null.
        'tags': list(tags) if tags else None,
    }
    if admin_view:
        # Heat adds the owner for a caller it takes for an admin.
        item['project'] = project
    return item


class HeatStackList:
    """Heat's stack list over ``stacks`` (items, newest first)."""

    def __init__(self, stacks):
        self.stacks = stacks
        self.queries = []

    def __call__(self, request, context):
        query = parse.parse_qs(parse.urlsplit(request.url).query)
        self.queries.append({k: v[0] for k, v in query.items()})
        listed = list(self.stacks)
        if 'tenant' in query:
            listed = [s for s in listed
                      if heat_driver.stack_owner(s) == query['tenant'][0]]
        if 'tags_any' in query:
            wanted = set(query['tags_any'][0].split(','))
            listed = [s for s in listed if wanted & set(s['tags'] or ())]
        if 'marker' in query:
            ids = [s['id'] for s in listed]
            listed = listed[ids.index(query['marker'][0]) + 1:]
        result = {}
        if 'limit' in query:
            limit = int(query['limit'][0])
            listed = listed[:limit]
            if limit > 0 and len(listed) == limit:
                params = dict(query, marker=[listed[-1]['id']])
                result['links'] = [{'rel': 'next', 'href': '%s?%s' % (
                    LIST, parse.urlencode(params, doseq=True))}]
        result['stacks'] = listed
        context.headers['Content-Type'] = 'application/json'
        return result


class ListTestCase(base.TestCase):

    def setUp(self):
        super().setUp()
        self.http = self.useFixture(rm_fixture.Fixture())
        self.flags(group='heat_snapshots_heat', auth_type='none',
                   endpoint_override=HEAT)
        self.driver = heat_driver.HeatStackDriver(self.conf_fixture.conf)
        # What a policy's run lists with: the engine in the project.
        self.ctx = hs_context.service_context(PROJECT)

    def heat_lists(self, stacks):
        heat = HeatStackList(stacks)
        self.http.get(LIST, json=heat)
        return heat

    def page_size(self, size):
        self.useFixture(fixtures.MonkeyPatch(
            'heat_snapshots.engine.stacks.heat.driver.LIST_PAGE_SIZE',
            size))


class ListTest(ListTestCase):

    def test_heat_is_asked_for_the_project_s_stacks_with_any_tag(self):
        heat = self.heat_lists([list_item(3, ['prod', 'web']),
                                list_item(2, ['dev']),
                                list_item(1, ['web'])])
        stacks = self.driver.list_stacks(self.ctx, tags_any=['web', 'prod'])
        self.assertEqual([(stack_id(3), 'stack-3', ['prod', 'web']),
                          (stack_id(1), 'stack-1', ['web'])],
                         [(s.id, s.name, s.tags) for s in stacks])
        self.assertEqual({PROJECT}, {s.project_id for s in stacks})
        self.assertEqual(('CREATE', 'COMPLETE'),
                         (stacks[0].action, stacks[0].status))
        self.assertEqual([{'tags_any': 'prod,web', 'tenant': PROJECT,
                           'limit': '100'}], heat.queries)
        request = self.http.request_history[0]
        # The comma is sent as Heat documents it.
        self.assertIn('tags_any=prod,web', request.url)
        self.assertEqual(PROJECT, request.headers['X-Auth-Project'])

    def test_every_page_is_read(self):
        self.page_size(2)
        heat = self.heat_lists([list_item(n, ['prod'])
                                for n in range(5, 0, -1)])
        stacks = self.driver.list_stacks(self.ctx, tags_any=['prod'])
        self.assertEqual([stack_id(n) for n in range(5, 0, -1)],
                         [s.id for s in stacks])
        self.assertEqual([None, stack_id(4), stack_id(2)],
                         [q.get('marker') for q in heat.queries])
        self.assertEqual({'2'}, {q['limit'] for q in heat.queries})

    def test_a_full_last_page_is_followed_by_an_empty_one(self):
        self.page_size(2)
        heat = self.heat_lists([list_item(n, ['prod'])
                                for n in range(4, 0, -1)])
        stacks = self.driver.list_stacks(self.ctx, tags_any=['prod'])
        self.assertEqual(4, len(stacks))
        self.assertEqual(3, len(heat.queries))

    def test_a_heat_that_ignores_limit_gives_them_all_at_once(self):
        self.page_size(2)
        self.http.get(LIST, json={'stacks': [list_item(n, ['prod'])
                                             for n in (3, 2, 1)]})
        stacks = self.driver.list_stacks(self.ctx, tags_any=['prod'])
        self.assertEqual(3, len(stacks))
        self.assertEqual(1, len(self.http.request_history))

    def test_a_heat_that_ignores_the_marker_is_an_error(self):
        # Always the first page: reading on would never end, stopping
        # would miss stacks.
        self.page_size(2)
        self.http.get(LIST, json={'stacks': [list_item(n, ['prod'])
                                             for n in (3, 2)]})
        error = self.assertRaises(exception.ServiceUnavailable,
                                  self.driver.list_stacks, self.ctx,
                                  tags_any=['prod'])
        self.assertIn('does not move past stack %s' % stack_id(2),
                      error.message)
        self.assertEqual(2, len(self.http.request_history))

    def test_stacks_of_another_project_are_left_out(self):
        # A Heat taking the caller for an admin lists every project's
        # stacks (and ignores "tenant" here): isolation is ours.
        self.http.get(LIST, json={'stacks': [
            list_item(4, ['prod'], project=OTHER),
            list_item(3, ['prod'], project=OTHER, admin_view=True),
            list_item(2, ['prod'], admin_view=True),
            list_item(1, ['prod'])]})
        stacks = self.driver.list_stacks(self.ctx, tags_any=['prod'])
        self.assertEqual([stack_id(2), stack_id(1)], [s.id for s in stacks])

    def test_a_stack_without_its_owner_is_an_error(self):
        item = list_item(1, ['prod'])
        del item['links']
        self.http.get(LIST, json={'stacks': [item]})
        error = self.assertRaises(exception.ServiceUnavailable,
                                  self.driver.list_stacks, self.ctx,
                                  tags_any=['prod'])
        self.assertIn('without the project owning it', error.message)

    def test_deleted_stacks_are_left_out_deleting_ones_are_shown(self):
        self.heat_lists([list_item(3, ['prod'], 'DELETE_COMPLETE'),
                         list_item(2, ['prod'], 'DELETE_IN_PROGRESS'),
                         list_item(1, ['prod'], 'DELETE_FAILED')])
        stacks = self.driver.list_stacks(self.ctx, tags_any=['prod'])
        self.assertEqual([('DELETE', 'IN_PROGRESS'), ('DELETE', 'FAILED')],
                         [(s.action, s.status) for s in stacks])

    def test_tags_no_stack_can_carry_are_not_sent(self):
        heat = self.heat_lists([list_item(1, ['prod'])])
        # Heat would split "a,b" into two tags, and refuses tags longer
        # than 80 characters (400).
        self.assertEqual([], self.driver.list_stacks(
            self.ctx, tags_any=['a,b', 'x' * 81, '']))
        self.assertEqual([], self.http.request_history)
        self.driver.list_stacks(self.ctx, tags_any=['prod', 'a,b'])
        self.assertEqual('prod', heat.queries[-1]['tags_any'])

    def test_without_tags_every_stack_of_the_project(self):
        heat = self.heat_lists([list_item(2, ['prod']), list_item(1)])
        stacks = self.driver.list_stacks(self.ctx)
        self.assertEqual([stack_id(2), stack_id(1)], [s.id for s in stacks])
        self.assertEqual([], stacks[1].tags)
        self.assertNotIn('tags_any', heat.queries[0])

    def test_other_filters_and_limit(self):
        self.heat_lists([list_item(n, ['prod']) for n in (3, 2, 1)])
        self.assertEqual([stack_id(2)], [s.id for s in self.driver.list_stacks(
            self.ctx, tags_any=['prod'], name=['stack-2', 'nope'])])
        self.assertEqual([stack_id(3), stack_id(2)], [
            s.id for s in self.driver.list_stacks(self.ctx, limit=2)])

    def test_a_context_without_a_project_is_refused(self):
        self.assertRaises(exception.ServiceUnavailable,
                          self.driver.list_stacks,
                          hs_context.get_admin_context(), tags_any=['p'])
        self.assertEqual([], self.http.request_history)


class ListErrorTest(ListTestCase):
    """Anything but Heat's stack list is an error, never "no stacks"."""

    def assertUnavailable(self, expected, **answer):
        self.http.get(LIST, **answer)
        error = self.assertRaises(exception.ServiceUnavailable,
                                  self.driver.list_stacks, self.ctx,
                                  tags_any=['prod'])
        self.assertEqual(503, error.code)
        self.assertIn(expected, error.message)
        return error

    def test_unauthorized(self):
        # keystonemiddleware's answer to a token it refuses.
        self.assertUnavailable(
            'The request you have made requires authentication.',
            status_code=401, headers=JSON, json={'error': {
                'code': 401, 'title': 'Unauthorized',
                'message': 'The request you have made requires '
                           'authentication.'}})

    def test_forbidden(self):
        self.assertUnavailable(
            'You are not authorized to complete stacks:index',
            status_code=403, headers=JSON, json={
                'code': 403, 'title': 'Forbidden',
                'explanation': 'Access was denied to this resource.',
                'error': {'type': 'Forbidden', 'traceback': None,
                          'message': 'You are not authorized to complete '
                                     'stacks:index'}})

    def test_service_unavailable(self):
        self.assertUnavailable('503 Service Unavailable', status_code=503,
                               reason='Service Unavailable',
                               headers={'Content-Type': 'text/html'},
                               text='<html>503</html>')

    def test_a_proxy_s_html_404(self):
        error = self.assertUnavailable(
            '404 Not Found', status_code=404, reason='Not Found',
            text=HTML_404, headers={'Content-Type': 'text/html'})
        self.assertIn('Heat answered GET /stacks?', error.message)

    def test_an_html_page_with_200(self):
        self.assertUnavailable('200 text/html, not its stack list',
                               text='<html>Welcome</html>',
                               headers={'Content-Type': 'text/html'})

    def test_json_that_is_not_a_stack_list(self):
        for body in ({'versions': []}, {'stacks': None}, [],
                     {'stacks': [{'stack_name': 'no-id'}]}):
            self.assertUnavailable('not its stack list', json=body)

    def test_no_connection(self):
        self.assertUnavailable('ConnectFailure',
                               exc=requests.exceptions.ConnectionError)

    def test_timeout(self):
        self.assertUnavailable('Heat did not answer within 60 seconds',
                               exc=requests.exceptions.ConnectTimeout)


class ServiceCredentialsTest(ListTestCase):
    """A policy's run has no token: Heat is called as the service user
    scoped to the policy's project.
    """

    def setUp(self):
        super().setUp()
        self.http.get(KEYSTONE, json={
            'version': ks_fixture.V3Discovery(KEYSTONE)})
        token = ks_fixture.V3Token(project_id=PROJECT)
        token.add_service('orchestration').add_standard_endpoints(
            internal=HEAT + '/' + PROJECT, public='http://public.test')
        self.http.post(KEYSTONE + '/auth/tokens', json=token,
                       headers={'X-Subject-Token': 'service-token'})
        self.heat = self.heat_lists([list_item(1, ['prod'])])

    def password(self, group, **more):
        self.conf_fixture.register_opts(
            ks_loading.get_auth_plugin_conf_options('password'),
            group=group)
        self.flags(group=group, auth_type='password', auth_url=KEYSTONE,
                   username='heat-snapshots', password='secret',
                   user_domain_id='default', project_name='service',
                   project_domain_id='default', **more)

    def token_scopes(self):
        return [r.json()['auth']['scope'] for r in self.http.request_history
                if r.method == 'POST']

    def assertListedWithTheServiceToken(self):
        stacks = self.driver.list_stacks(self.ctx, tags_any=['prod'])
        self.assertEqual([stack_id(1)], [s.id for s in stacks])
        self.assertEqual([{'project': {'id': PROJECT}}],
                         self.token_scopes())
        listed = [r for r in self.http.request_history if r.method == 'GET'
                  and r.url.startswith(LIST)]
        self.assertEqual(1, len(listed))
        self.assertEqual('service-token', listed[0].headers['X-Auth-Token'])
        self.assertNotIn('X-Auth-Project', listed[0].headers)

    def test_the_engine_s_service_user_and_the_catalog(self):
        # [heat_snapshots_heat] has no credentials of its own.
        self.flags(group='heat_snapshots_heat', auth_type=None,
                   endpoint_override=None)
        self.password('heat_snapshots_service_auth')
        self.assertListedWithTheServiceToken()

    def test_the_heat_driver_s_own_credentials_and_endpoint(self):
        self.password('heat_snapshots_heat', endpoint_override=HEAT)
        self.assertListedWithTheServiceToken()

    def test_keystone_refusing_the_service_user_is_an_error(self):
        self.flags(group='heat_snapshots_heat', auth_type=None,
                   endpoint_override=None)
        self.password('heat_snapshots_service_auth')
        self.http.post(KEYSTONE + '/auth/tokens', status_code=401,
                       headers=JSON, json={'error': {
                           'code': 401, 'title': 'Unauthorized',
                           'message': 'The request you have made requires '
                                      'authentication.'}})
        error = self.assertRaises(exception.ServiceUnavailable,
                                  self.driver.list_stacks, self.ctx,
                                  tags_any=['prod'])
        self.assertIn('Heat\'s stack list could not be read: Unauthorized',
                      error.message)
        self.assertEqual([], self.heat.queries)
