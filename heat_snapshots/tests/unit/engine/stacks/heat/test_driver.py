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

"""The heat stack driver against Heat's REST API (requests-mock)."""

import requests
from requests_mock.contrib import fixture as rm_fixture

from heat_snapshots.common import clients
from heat_snapshots.common import exception
from heat_snapshots.db import api as db_api
from heat_snapshots.engine.stacks import base as stacks_base
from heat_snapshots.engine.stacks.heat import driver as heat_driver
from heat_snapshots.tests import base
from heat_snapshots.tests import engine_fixture as ef

HEAT = 'http://heat.test:8004/v1'
PROJECT = 'project-a'
STACK_ID = '1f9b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'
STACK = HEAT + '/' + PROJECT + '/stacks'
STACK_PATH = STACK + '/web/' + STACK_ID

TEMPLATE = {
    'heat_template_version': '2018-08-31',
    'resources': {
        'vol': {'type': 'OS::Cinder::Volume', 'properties': {'size': 1}},
        'server': {'type': 'OS::Nova::Server',
                   'properties': {'image': 'cirros', 'flavor': 'm1'}},
        'attach': {'type': 'OS::Cinder::VolumeAttachment',
                   'properties': {'volume_id': {'get_resource': 'vol'},
                                  'instance_uuid': {
                                      'get_resource': 'server'}}},
    }}
ENVIRONMENT = {'parameters': {}, 'parameter_defaults': {},
               'resource_registry': {'resources': {}}, 'event_sinks': []}


def stack_body(status='CREATE_COMPLETE', reason='Stack CREATE completed '
               'successfully', updated=None):
    return {'stack': {
        'id': STACK_ID, 'stack_name': 'web', 'stack_status': status,
        'stack_status_reason': reason, 'creation_time':
        '2024-01-01T00:00:00Z', 'updated_time': updated, 'tags': ['t'],
        'stack_owner': 'user-a', 'stack_user_project_id': 'supid',
        'timeout_mins': None, 'disable_rollback': True, 'parameters': {},
        'outputs': [], 'description': 'd',
        'links': [{'href': STACK_PATH, 'rel': 'self'}]}}


JSON = {'Content-Type': 'application/json'}
HTML_404 = ('<html><body><h1>404 Not Found</h1>The requested URL was not '
            'found on this server.</body></html>')


def heat_fault(message, type_name='EntityNotFound', code=404,
               title='Not Found'):
    """Heat's faultwrap body."""
    return {'explanation': 'The resource could not be found.', 'code': code,
            'error': {'message': message, 'traceback': None,
                      'type': type_name},
            'title': title}


def resource(name, type_name, physical_id, required_by=()):
    return {'resource_name': name, 'logical_resource_id': name,
            'resource_type': type_name, 'physical_resource_id': physical_id,
            'resource_status': 'CREATE_COMPLETE',
            'resource_status_reason': 'state changed',
            'required_by': list(required_by),
            'creation_time': '2024-01-01T00:00:00Z', 'updated_time': None,
            'links': []}


class HeatDriverTestCase(base.TestCase):

    use_db = True

    def setUp(self):
        super().setUp()
        self.http = self.useFixture(rm_fixture.Fixture())
        self.flags(group='heat_snapshots_heat', auth_type='none',
                   endpoint_override=HEAT)
        self.driver = heat_driver.HeatStackDriver(self.conf_fixture.conf)
        self.ctx = self.make_context()

    def register_stack(self, body=None):
        # Heat answers a lookup by id with a redirect to name/id.
        self.http.get(STACK + '/' + STACK_ID, status_code=302,
                      headers={'Location': STACK_PATH})
        self.http.get(STACK + '/web', status_code=302,
                      headers={'Location': STACK_PATH})
        self.http.get(STACK_PATH, json=body or stack_body())
        self.http.get(STACK_PATH + '/template', json=TEMPLATE)
        self.http.get(STACK_PATH + '/environment', json=ENVIRONMENT)
        self.http.get(STACK_PATH + '/files', json={'f.yaml': 'x'})
        self.http.get(STACK_PATH + '/resources', json={'resources': [
            resource('vol', 'OS::Cinder::Volume', 'vol-1',
                     required_by=['attach']),
            resource('server', 'OS::Nova::Server', 'server-1',
                     required_by=['attach']),
            resource('attach', 'OS::Cinder::VolumeAttachment', 'att-1'),
        ]})


class ReadTest(HeatDriverTestCase):

    def test_loaded_by_name(self):
        self.flags(stack_driver='heat', group='heat_snapshots')
        driver = stacks_base.load(self.conf_fixture.conf)
        self.assertIsInstance(driver, heat_driver.HeatStackDriver)
        self.assertNotIsInstance(driver, stacks_base.ManagingStackDriver)

    def test_find_stack_by_name(self):
        self.register_stack()
        stack = self.driver.find_stack(self.ctx, 'web')
        self.assertEqual((STACK_ID, 'web', 'CREATE', 'COMPLETE'),
                         (stack.id, stack.name, stack.action, stack.status))
        self.assertEqual(PROJECT, stack.project_id)
        self.assertIsNone(stack.resources)
        request = self.http.request_history[0]
        self.assertEqual(PROJECT, request.headers['X-Auth-Project'])
        self.assertEqual('user-a', request.headers['X-Auth-User'])
        self.assertNotIn('X-Auth-Token', request.headers)

    def test_endpoint_with_project_placeholder(self):
        self.flags(group='heat_snapshots_heat',
                   endpoint_override='http://heat.test:8004/v1/'
                                     '%(project_id)s')
        self.register_stack()
        self.assertEqual('web', self.driver.find_stack(self.ctx, 'web').name)

    def test_not_found(self):
        self.http.get(STACK + '/nope', status_code=404, headers=JSON,
                      json=heat_fault('The Stack (nope) could not be '
                                      'found.'))
        error = self.assertRaises(exception.StackNotFound,
                                  self.driver.find_stack, self.ctx, 'nope')
        self.assertIn('nope', error.message)
        self.assertRaises(exception.StackNotFound, self.driver.get_stack,
                          self.ctx, 'nope')

    def test_deleted_stack_is_not_found_unless_asked(self):
        self.register_stack(stack_body('DELETE_COMPLETE'))
        self.assertRaises(exception.StackNotFound, self.driver.get_stack,
                          self.ctx, STACK_ID)
        stack = self.driver.get_stack(self.ctx, STACK_ID, show_deleted=True)
        self.assertEqual(('DELETE', 'COMPLETE'), (stack.action, stack.status))

    def test_get_stack_with_resources(self):
        self.register_stack()
        stack = self.driver.get_stack(self.ctx, STACK_ID)
        self.assertEqual(TEMPLATE, stack.template)
        self.assertEqual(ENVIRONMENT, stack.environment)
        self.assertEqual({'f.yaml': 'x'}, stack.files)
        resources = {r.name: r for r in stack.resources}
        self.assertEqual({'attach': {'vol', 'server'}, 'vol': set(),
                          'server': set()}, stack.dependency_graph())
        self.assertEqual('vol-1', resources['vol'].physical_resource_id)
        self.assertEqual('OS::Nova::Server', resources['server'].type)
        self.assertEqual({'size': 1}, resources['vol'].properties)
        self.assertEqual(('CREATE', 'COMPLETE'),
                         (resources['vol'].action, resources['vol'].status))

    def test_name_mismatch_through_the_manager_check(self):
        # The engine compares the URL's name with the stack's: the driver
        # returns Heat's name for the id.
        self.register_stack()
        stack = self.driver.get_stack(self.ctx, STACK_ID,
                                      with_resources=False)
        self.assertEqual('web', stack.name)
        self.assertIsNone(stack.resources)

    def test_summary_is_the_stack_show_alone(self):
        self.register_stack()
        stack = self.driver.get_stack_summary(self.ctx, STACK_ID)
        self.assertEqual(('web', 'CREATE', 'COMPLETE'),
                         (stack.name, stack.action, stack.status))
        # No template, environment, files or resources asked for.
        self.assertFalse([r.url for r in self.http.request_history
                          if r.url.endswith(('/template', '/environment',
                                             '/files', '/resources'))])
        self.register_stack(stack_body('DELETE_COMPLETE'))
        self.assertRaises(exception.StackNotFound,
                          self.driver.get_stack_summary, self.ctx, STACK_ID)

    def test_endpoint_behind_our_filter_is_refused(self):
        # Its answers are the filter's, and its workers may wait for us.
        self.http.get(STACK + '/web', status_code=302,
                      headers={'Location': STACK_PATH,
                               'X-Heat-Snapshots-Filter': '1'})
        self.http.get(STACK_PATH, json=stack_body(),
                      headers={'X-Heat-Snapshots-Filter': '1'})
        error = self.assertRaises(exception.ServiceUnavailable,
                                  self.driver.find_stack, self.ctx, 'web')
        self.assertIn('behind the heat-snapshots filter', error.message)

    def test_heat_error_is_service_unavailable(self):
        self.http.get(STACK + '/web', status_code=500, json={
            'code': 500, 'error': {'message': 'db down'}})
        error = self.assertRaises(exception.ServiceUnavailable,
                                  self.driver.find_stack, self.ctx, 'web')
        self.assertIn('db down', error.message)

    def test_snapshot_state_is_recorded_for_the_filter(self):
        # Heat's state cannot be set from outside: it is recorded for the
        # heat-api filter, with Heat's state it belongs to.
        self.register_stack(stack_body(updated='2024-01-02T00:00:00Z'))
        stack = self.driver.get_stack(self.ctx, STACK_ID,
                                      with_resources=False)
        calls = len(self.http.request_history)
        self.driver.operation_begun(self.ctx, stack, 'SNAPSHOT', 'snap-1')
        self.driver.set_stack_state(self.ctx, STACK_ID, 'SNAPSHOT',
                                    'COMPLETE', 'Stack SNAPSHOT completed '
                                    'successfully')
        self.assertEqual(calls, len(self.http.request_history))
        row = db_api.stack_state_get_all(self.ctx, [STACK_ID])[STACK_ID]
        self.assertEqual(
            ('SNAPSHOT', 'COMPLETE', 'Stack SNAPSHOT completed '
             'successfully', 'snap-1', '2024-01-02T00:00:00Z',
             'CREATE_COMPLETE', 'web'),
            (row.action, row.status, row.status_reason, row.snapshot_id,
             row.heat_updated_time, row.heat_status, row.stack_name))
        self.assertIsNotNone(row.ended_at)
        self.assertEqual(
            [('web', STACK_ID, 'SNAPSHOT', 'COMPLETE')],
            [(e.resource_name, e.physical_resource_id, e.resource_action,
              e.resource_status)
             for e in db_api.stack_event_list(self.ctx, STACK_ID)])

    def test_other_actions_are_not_recorded(self):
        self.driver.set_stack_state(self.ctx, STACK_ID, 'DELETE',
                                    'IN_PROGRESS', 'started')
        self.assertEqual(
            {}, db_api.stack_state_get_all(self.ctx, [STACK_ID]))
        self.assertEqual([], self.http.request_history)

    def test_changed_since(self):
        self.register_stack()
        stack = self.driver.get_stack(self.ctx, STACK_ID,
                                      with_resources=False)
        self.assertIsNone(self.driver.changed_since(self.ctx, stack))
        # An autoscaling signal's update, say, bypassing the filter.
        self.http.get(STACK_PATH, json=stack_body(
            'UPDATE_IN_PROGRESS', 'Stack UPDATE started',
            updated='2024-01-02T00:00:00Z'))
        reason = self.driver.changed_since(self.ctx, stack)
        self.assertIn('Stack web was changed in Heat meanwhile: '
                      'UPDATE_IN_PROGRESS', reason)


class OwnershipTest(HeatDriverTestCase):
    """Isolation does not rest on Heat.

    A noauth Heat, or one called with admin credentials, answers for any
    project.
    """

    def heat_answers_with_project_a_stack(self, project_url, body=None):
        # Whatever the caller's project, this Heat shows project A's stack.
        base_url = HEAT + '/' + project_url + '/stacks'
        self.http.get(base_url + '/' + STACK_ID, status_code=302,
                      headers={'Location': STACK_PATH})
        self.http.get(base_url + '/web', status_code=302,
                      headers={'Location': STACK_PATH})
        self.http.get(STACK_PATH, json=body or stack_body())
        self.http.get(STACK_PATH + '/template', json=TEMPLATE)
        self.http.get(STACK_PATH + '/environment', json=ENVIRONMENT)
        self.http.get(STACK_PATH + '/files', json={})
        self.http.get(STACK_PATH + '/resources', json={'resources': []})

    def test_project_b_gets_404_for_project_a_s_stack(self):
        self.heat_answers_with_project_a_stack('project-b')
        caller_b = self.make_context(project_id='project-b',
                                     user_id='user-b')
        for lookup in (lambda: self.driver.get_stack(caller_b, STACK_ID),
                       lambda: self.driver.find_stack(caller_b, 'web'),
                       lambda: self.driver.find_stack(caller_b, STACK_ID)):
            error = self.assertRaises(exception.StackNotFound, lookup)
            self.assertEqual(404, error.code)
        # Nothing past the lookup was read.
        self.assertFalse([r for r in self.http.request_history
                          if r.path.endswith('/template')])

    def test_owner_from_heat_s_project_field(self):
        body = stack_body()
        body['stack']['project'] = 'project-c'
        self.heat_answers_with_project_a_stack(PROJECT, body)
        self.assertRaises(exception.StackNotFound, self.driver.get_stack,
                          self.ctx, STACK_ID)

    def test_owner_unknown_is_not_found(self):
        body = stack_body()
        del body['stack']['links']
        self.heat_answers_with_project_a_stack(PROJECT, body)
        self.assertRaises(exception.StackNotFound, self.driver.get_stack,
                          self.ctx, STACK_ID)

    def test_the_owner_s_caller_gets_the_stack_recorded_under_a(self):
        self.heat_answers_with_project_a_stack(PROJECT)
        stack = self.driver.get_stack(self.ctx, STACK_ID)
        self.assertEqual(PROJECT, stack.project_id)

    def test_admin_sees_any_project_s_stack_under_its_owner(self):
        self.heat_answers_with_project_a_stack('project-b')
        admin_b = self.make_context(project_id='project-b', is_admin=True,
                                    roles=['admin'])
        # Heat serves an admin any stack at the admin's project URL.
        path_b = HEAT + '/project-b/stacks/web/' + STACK_ID
        for part, body in (('/template', TEMPLATE),
                           ('/environment', ENVIRONMENT), ('/files', {}),
                           ('/resources', {'resources': []})):
            self.http.get(path_b + part, json=body)
        stack = self.driver.get_stack(admin_b, STACK_ID)
        # Recorded under the stack's project, not the admin's.
        self.assertEqual(PROJECT, stack.project_id)

    def test_a_name_is_not_an_id(self):
        # Heat redirects a name lookup; where an id is required, the
        # stack's name is refused.
        self.register_stack()
        error = self.assertRaises(exception.StackNotFound,
                                  self.driver.get_stack, self.ctx, 'web')
        self.assertIn('web', error.message)
        self.assertEqual('web', self.driver.find_stack(self.ctx, 'web').name)

    def test_the_id_returned_must_be_the_id_asked_for(self):
        # MariaDB finds an upper-cased id; another stack named like a
        # uuid is found by name: neither is the stack asked for.
        self.register_stack()
        self.http.get(STACK + '/' + STACK_ID.upper(), status_code=302,
                      headers={'Location': STACK_PATH})
        self.assertRaises(exception.StackNotFound, self.driver.get_stack,
                          self.ctx, STACK_ID.upper())
        self.assertRaises(exception.StackNotFound, self.driver.find_stack,
                          self.ctx, STACK_ID.upper())

    def test_ids_are_quoted(self):
        for stack_id, quoted in (('a?b', 'a%3Fb'), ('x/y', 'x%2Fy'),
                                 ('p%3Fq', 'p%253Fq'), ('c#d', 'c%23d')):
            self.http.get(STACK + '/' + quoted, status_code=404,
                          headers=JSON, json=heat_fault(
                              'The Stack (%s) could not be found.'
                              % stack_id))
            self.assertRaises(exception.StackNotFound,
                              self.driver.get_stack, self.ctx, stack_id)
            request = self.http.request_history[-1]
            # (requests-mock lower-cases the path it records.)
            self.assertEqual('/v1/%s/stacks/%s' % (PROJECT, quoted.lower()),
                             request.path)
            self.assertEqual('', request.query)
            self.assertEqual(heat_driver.NOT_FOUND,
                             self.driver.stack_presence(
                                 self.ctx, stack_id, PROJECT))

    def test_a_proxy_s_404_is_no_stack_not_found(self):
        # Only Heat's own fault says a stack is missing; a proxy's page is
        # Heat being unavailable.
        self.http.get(STACK + '/' + STACK_ID, status_code=404,
                      text=HTML_404, headers={'Content-Type': 'text/html'})
        error = self.assertRaises(exception.ServiceUnavailable,
                                  self.driver.get_stack, self.ctx, STACK_ID)
        self.assertNotIsInstance(error, exception.StackNotFound)
        self.assertEqual(503, error.code)


class EngineOwnershipTest(HeatDriverTestCase):
    """Through the engine: project B cannot snapshot or restore project A's
    stack even when Heat would show it to B.
    """

    use_db = True

    def setUp(self):
        super().setUp()
        self.flags(stack_driver='heat', group='heat_snapshots')
        self.engine = self.useFixture(ef.Engine()).manager

    def test_project_b_cannot_snapshot_or_restore_a_s_stack(self):
        OwnershipTest.heat_answers_with_project_a_stack(self, 'project-b')
        self.http.put(STACK_PATH, status_code=202)
        caller_b = self.make_context(project_id='project-b',
                                     user_id='user-b')
        identity = {'stack_name': 'web', 'stack_id': STACK_ID,
                    'tenant': 'project-b', 'path': ''}
        for call in (
                lambda: self.engine.stack_snapshot(caller_b, identity, 's'),
                lambda: self.engine.stack_list_snapshots(caller_b,
                                                         identity),
                lambda: self.engine.stack_restore(
                    caller_b, identity,
                    '5a5a5a5a-0000-4000-8000-000000000000')):
            error = self.assertRaises(exception.StackNotFound, call)
            self.assertEqual(404, error.code)
            self.assertIn('The Stack (web) could not be found',
                          error.message)
        # Nothing recorded, nothing sent to Heat but lookups.
        admin = self.make_context(is_admin=True)
        self.assertEqual([], db_api.snapshot_list_by_stack(admin,
                                                           STACK_ID))
        self.assertEqual({'GET'}, {r.method for r in
                                   self.http.request_history})

    def test_project_a_snapshots_its_own_stack(self):
        self.register_stack()
        identity = {'stack_name': 'web', 'stack_id': STACK_ID,
                    'tenant': PROJECT, 'path': ''}
        snapshot = self.engine.stack_snapshot(self.ctx, identity, 's')
        ef.wait_for(lambda: db_api.snapshot_get(
            self.ctx, snapshot['id']).status != 'IN_PROGRESS',
            what='snapshot ended')
        self.assertEqual(PROJECT,
                         db_api.snapshot_get(self.ctx,
                                             snapshot['id']).project_id)


class PresenceTest(HeatDriverTestCase):
    """What the stack follower is told, per answer of Heat."""

    def presence(self, **answer):
        self.http.get(STACK + '/' + STACK_ID, **answer)
        return self.driver.stack_presence(self.ctx, STACK_ID, PROJECT)

    def test_alive(self):
        self.register_stack()
        self.assertEqual(heat_driver.FOUND, self.driver.stack_presence(
            self.ctx, STACK_ID, PROJECT))

    def test_delete_complete(self):
        self.register_stack(stack_body('DELETE_COMPLETE'))
        self.assertEqual(heat_driver.DELETED, self.driver.stack_presence(
            self.ctx, STACK_ID, PROJECT))

    def test_delete_complete_of_another_project_proves_nothing(self):
        # Asked in project B, an (admin or noauth) Heat shows project A's
        # deleted stack of that id.
        self.register_stack(stack_body('DELETE_COMPLETE'))
        self.http.get(HEAT + '/project-b/stacks/' + STACK_ID,
                      status_code=302, headers={'Location': STACK_PATH})
        self.assertEqual(heat_driver.UNKNOWN, self.driver.stack_presence(
            self.ctx, STACK_ID, 'project-b'))

    def test_heat_s_fault_body(self):
        self.assertEqual(heat_driver.NOT_FOUND, self.presence(
            status_code=404, headers=JSON, json=heat_fault(
                'The Stack (%s) could not be found.' % STACK_ID)))

    def test_other_answers_prove_nothing(self):
        for answer in (
                dict(status_code=404, text=HTML_404,
                     headers={'Content-Type': 'text/html'}),
                dict(status_code=404, headers=JSON,
                     json=heat_fault('The Stack (web) could not be found.')),
                dict(status_code=404, headers=JSON,
                     json=heat_fault('Snapshot with id x not found',
                                     'NotFound')),
                dict(status_code=404, json=heat_fault(
                    'The Stack (%s) could not be found.' % STACK_ID)),
                dict(status_code=500, headers=JSON,
                     json=heat_fault(None, 'RemoteError', 500)),
                dict(status_code=503, text='<html>busy</html>'),
                dict(status_code=401, headers=JSON,
                     json={'error': {'code': 401}}),
                dict(status_code=403, headers=JSON, json=heat_fault(
                    'Access was denied to this resource.', 'HTTPForbidden',
                    403)),
                dict(status_code=200, text='<html>portal</html>')):
            self.assertEqual(heat_driver.UNKNOWN, self.presence(**answer),
                             answer)

    def test_timeouts_raise(self):
        for exc in (requests.exceptions.ConnectTimeout,
                    requests.exceptions.ReadTimeout):
            self.assertRaises(exception.ServiceUnavailable, self.presence,
                              exc=exc)


class KeystoneTest(HeatDriverTestCase):
    """No auth_type in the group: the caller's token."""

    def test_caller_token(self):
        self.flags(group='heat_snapshots_heat', auth_type=None)
        self.register_stack()
        ctx = self.make_context(auth_token='caller-token')
        self.driver.find_stack(ctx, 'web')
        request = self.http.request_history[0]
        self.assertEqual('caller-token', request.headers['X-Auth-Token'])
        self.assertNotIn('X-Auth-Project', request.headers)


class TimeoutTest(HeatDriverTestCase):
    """A Heat that hangs fails the call instead of blocking it."""

    def test_default_timeout(self):
        self.register_stack()
        self.driver.find_stack(self.ctx, 'web')
        self.assertEqual({60}, {r.timeout for r in
                                self.http.request_history})

    def test_clients_timeout_then_the_group_s_own(self):
        self.register_stack()
        self.flags(group='heat_snapshots_clients', timeout=17)
        self.driver.find_stack(self.ctx, 'web')
        self.assertEqual(17, self.http.request_history[-1].timeout)
        self.flags(group='heat_snapshots_heat', timeout=7)
        self.driver.find_stack(self.ctx, 'web')
        self.assertEqual(7, self.http.request_history[-1].timeout)

    def test_caller_token_session_has_the_timeout(self):
        self.flags(group='heat_snapshots_heat', auth_type=None)
        self.flags(group='heat_snapshots_clients', timeout=17)
        self.register_stack()
        self.driver.find_stack(self.make_context(auth_token='t'), 'web')
        self.assertEqual(17, self.http.request_history[-1].timeout)

    def test_timeout_is_a_clear_error(self):
        for exc in (requests.exceptions.ConnectTimeout,
                    requests.exceptions.ReadTimeout):
            self.http.get(STACK + '/web', exc=exc)
            error = self.assertRaises(clients.CloudTimeout,
                                      self.driver.find_stack, self.ctx,
                                      'web')
            self.assertIn('Heat did not answer within 60 seconds',
                          error.message)
            self.assertIsInstance(error, exception.ServiceUnavailable)


def stack_event(event_id, status, time='2024-01-02T00:00:00Z',
                reason='Stack UPDATE started'):
    return {'id': event_id, 'resource_name': 'web',
            'logical_resource_id': 'web', 'physical_resource_id': STACK_ID,
            'resource_status': status, 'resource_status_reason': reason,
            'event_time': time, 'links': []}


CREATED = stack_event('ev-created', 'CREATE_COMPLETE',
                      '2024-01-01T00:00:00Z', 'Stack CREATE completed')
OURS = stack_event('ev-ours', 'UPDATE_IN_PROGRESS')
THEIRS = stack_event('ev-theirs', 'UPDATE_IN_PROGRESS')
UPDATED = '2024-01-02T00:00:00Z'


class RestoreTest(HeatDriverTestCase):

    def setUp(self):
        super().setUp()
        self.register_stack()
        self.stack = self.driver.get_stack(self.ctx, STACK_ID)
        self.http.put(STACK_PATH, status_code=202)
        self.template = dict(TEMPLATE, resources=dict(
            TEMPLATE['resources'], vol={
                'type': 'OS::Cinder::Volume',
                'properties': {'size': 1, 'backup_id': 'backup-1'}}))
        self.driver.operation_begun(self.ctx, self.stack, 'RESTORE',
                                    'snap-1')

    def events(self, *answers):
        self.http.get(STACK_PATH + '/events?resource_name=web', [
            {'json': {'events': list(events)}} for events in answers])

    def start(self):
        return self.driver.start_restore(self.ctx, self.stack,
                                         self.template, ENVIRONMENT,
                                         {'f.yaml': 'x'})

    def restore(self, started=None):
        self.driver.restore(self.ctx, self.stack, self.template,
                            ENVIRONMENT, {'f.yaml': 'x'},
                            {'vol': {'backup_id': 'backup-1'}},
                            started=started)

    def test_start_returns_once_heat_took_the_update(self):
        self.http.get(STACK_PATH, json=stack_body(
            'UPDATE_IN_PROGRESS', 'Stack UPDATE started', updated=UPDATED))
        self.events([CREATED], [CREATED, OURS])
        self.assertEqual((UPDATED, 'ev-ours'), self.start())
        put = [r for r in self.http.request_history if r.method == 'PUT']
        self.assertEqual(1, len(put))
        self.assertEqual({'template': self.template,
                          'environment': ENVIRONMENT,
                          'files': {'f.yaml': 'x'}}, put[0].json())
        # What the filter needs to tell our update from any other.
        row = db_api.stack_state_get_all(self.ctx, [STACK_ID])[STACK_ID]
        self.assertEqual((UPDATED, 'ev-ours', 'UPDATE_IN_PROGRESS'),
                         (row.heat_updated_time, row.heat_event_id,
                          row.heat_status))
        self.assertEqual(
            [('ev-ours', 'RESTORE', 'IN_PROGRESS', 'Stack RESTORE started')],
            [(e.heat_event_id, e.resource_action, e.resource_status,
              e.resource_status_reason)
             for e in db_api.stack_event_list(self.ctx, STACK_ID)])

    def test_success(self):
        self.http.get(STACK_PATH, [
            {'json': stack_body('UPDATE_IN_PROGRESS', 'Stack UPDATE started',
                                updated=UPDATED)},
            {'json': stack_body('UPDATE_COMPLETE', 'done',
                                updated=UPDATED)}])
        self.events([CREATED, OURS, stack_event(
            'ev-end', 'UPDATE_COMPLETE',
            reason='Stack UPDATE completed successfully')])
        self.restore(started=(UPDATED, 'ev-ours'))
        self.assertEqual([], [r for r in self.http.request_history
                              if r.method == 'PUT'])
        # Heat's end event of our update is the restore's end.
        self.assertEqual(
            [('ev-end', 'RESTORE', 'COMPLETE',
              'Stack RESTORE completed successfully')],
            [(e.heat_event_id, e.resource_action, e.resource_status,
              e.resource_status_reason)
             for e in db_api.stack_event_list(self.ctx, STACK_ID)])

    def test_superseded_by_a_later_update_fails(self):
        # Heat aborted our update for someone else's: not a success.
        self.http.get(STACK_PATH, json=stack_body(
            'UPDATE_COMPLETE', 'done', updated='2024-01-03T00:00:00Z'))
        error = self.assertRaises(exception.ResourceFailure, self.restore,
                                  started=(UPDATED, 'ev-ours'))
        self.assertIn('superseded by another action in Heat '
                      '(UPDATE_COMPLETE)', error.message)

    def test_superseded_in_the_same_second_fails(self):
        # Heat's times have whole seconds: its events tell them apart.
        self.http.get(STACK_PATH, json=stack_body(
            'UPDATE_COMPLETE', 'done', updated=UPDATED))
        self.events([CREATED, OURS, THEIRS])
        error = self.assertRaises(exception.ResourceFailure, self.restore,
                                  started=(UPDATED, 'ev-ours'))
        self.assertIn('superseded', error.message)

    def test_failure_gives_heat_reason(self):
        self.http.get(STACK_PATH, [
            {'json': stack_body('UPDATE_IN_PROGRESS', 'Stack UPDATE started',
                                updated=UPDATED)},
            {'json': stack_body(
                'UPDATE_FAILED',
                'Resource CREATE failed: BadRequest: resources.vol: '
                'Invalid backup', updated=UPDATED)}])
        self.events([CREATED, OURS])
        error = self.assertRaises(exception.ResourceFailure, self.restore,
                                  started=(UPDATED, 'ev-ours'))
        self.assertIn('Invalid backup', error.message)
        self.assertIn('UPDATE_FAILED', error.message)

    def test_update_refused(self):
        self.events([CREATED])
        self.http.put(STACK_PATH, status_code=400, json={
            'code': 400, 'error': {'type': 'StackValidationFailed',
                                   'message': 'Property error'}})
        error = self.assertRaises(exception.ResourceFailure, self.start)
        self.assertIn('Property error', error.message)

    def test_cancel_asks_heat_to_cancel_the_update_then_stops(self):
        self.http.get(STACK_PATH, [
            {'json': stack_body('UPDATE_IN_PROGRESS', 'Stack UPDATE started',
                                updated=UPDATED)},
            {'json': stack_body('UPDATE_IN_PROGRESS', 'Stack UPDATE started',
                                updated=UPDATED)},
            {'json': stack_body('ROLLBACK_COMPLETE', 'rolled back',
                                updated='2024-01-03T00:00:00Z')}])
        self.http.post(STACK_PATH + '/actions', status_code=200)
        self.assertRaises(exception.OperationCancelled,
                          self.driver.restore, self.ctx, self.stack,
                          self.template, ENVIRONMENT, {'f.yaml': 'x'}, {},
                          started=(UPDATED, 'ev-ours'),
                          cancelled=lambda: True)
        actions = [r.json() for r in self.http.request_history
                   if r.method == 'POST']
        self.assertEqual([{'cancel_update': None}], actions)

    def test_timeout(self):
        self.flags(action_timeout=1, group='heat_snapshots')
        self.http.get(STACK_PATH, json=stack_body(
            'UPDATE_IN_PROGRESS', 'Stack UPDATE started', updated=UPDATED))
        self.flags(check_interval_max=0.05, group='heat_snapshots')
        self.assertRaises(exception.OperationTimeout, self.restore,
                          started=(UPDATED, 'ev-ours'))


NESTED_GROUP_ID = '2a2a2a2a-0000-4000-8000-000000000001'
NESTED_GROUP = STACK + '/web-group-abc/' + NESTED_GROUP_ID
NESTED_MEMBER_ID = '3b3b3b3b-0000-4000-8000-000000000002'
NESTED_MEMBER = STACK + '/web-group-abc-0-def/' + NESTED_MEMBER_ID

GROUP_TEMPLATE = {
    'heat_template_version': '2015-04-30',
    'resources': {
        '0': {'type': 'member.yaml', 'properties': {'size': 2}},
        '1': {'type': 'OS::Heat::TestResource',
              'properties': {'value': 'one'}},
    }}
MEMBER_TEMPLATE = {
    'heat_template_version': '2018-08-31',
    'resources': {
        'vol': {'type': 'OS::Cinder::Volume', 'properties': {'size': 2}},
        'secret': {'type': 'OS::Heat::RandomString'},
    }}


def nested(item, stack_url, nested_url=None, parent=None, attributes=None):
    item['links'] = [{'href': stack_url + '/resources/' +
                      item['resource_name'], 'rel': 'self'},
                     {'href': stack_url, 'rel': 'stack'}]
    if nested_url:
        item['links'].append({'href': nested_url, 'rel': 'nested'})
    if parent:
        item['parent_resource'] = parent
    if attributes is not None:
        item['attributes'] = attributes
    return item


class NestedReadTest(HeatDriverTestCase):
    """Resources of nested stacks, named by their path."""

    def register_nested(self):
        self.register_stack()
        self.http.get(STACK_PATH + '/resources', json={'resources': [
            nested(resource('vol', 'OS::Cinder::Volume', 'vol-1',
                            required_by=['attach']), STACK_PATH),
            nested(resource('attach', 'OS::Cinder::VolumeAttachment',
                            'att-1'), STACK_PATH),
            nested(resource('group', 'OS::Heat::ResourceGroup',
                            NESTED_GROUP_ID, required_by=['attach']),
                   STACK_PATH, NESTED_GROUP),
            # Members come after their parent or before it: either way.
            nested(resource('vol', 'OS::Cinder::Volume', 'vol-0',
                            required_by=['secret']), NESTED_MEMBER,
                   parent='0'),
            nested(resource('secret', 'OS::Heat::RandomString', 's-0'),
                   NESTED_MEMBER, parent='0', attributes={'value': 'xyz'}),
            nested(resource('0', 'member.yaml', NESTED_MEMBER_ID),
                   NESTED_GROUP, NESTED_MEMBER, parent='group'),
            nested(resource('1', 'OS::Heat::TestResource', 'test-1'),
                   NESTED_GROUP, parent='group',
                   attributes={'output': 'one'}),
        ]})
        self.http.get(NESTED_GROUP + '/template', json=GROUP_TEMPLATE)
        self.http.get(NESTED_MEMBER + '/template', json=MEMBER_TEMPLATE)

    def test_nested_resources_by_path(self):
        self.register_nested()
        stack = self.driver.get_stack(self.ctx, STACK_ID)
        resources = {r.name: r for r in stack.resources}
        self.assertEqual({'vol', 'attach', 'group', 'group/0', 'group/1',
                          'group/0/vol', 'group/0/secret'}, set(resources))
        self.assertEqual('vol-0',
                         resources['group/0/vol'].physical_resource_id)
        self.assertEqual({'size': 2}, resources['group/0/vol'].properties)
        self.assertEqual({'value': 'one'}, resources['group/1'].properties)
        self.assertEqual({'value': 'xyz'},
                         resources['group/0/secret'].attributes)
        self.assertEqual('member.yaml', resources['group/0'].type)

    def test_dependencies_children_first(self):
        self.register_nested()
        stack = self.driver.get_stack(self.ctx, STACK_ID)
        self.assertEqual({
            'vol': set(),
            'attach': {'vol', 'group'},
            # A parent needs what is inside it.
            'group': {'group/0', 'group/1'},
            'group/0': {'group/0/vol', 'group/0/secret'},
            'group/1': set(),
            # Siblings inside a nested stack, as Heat's required_by says.
            'group/0/secret': {'group/0/vol'},
            'group/0/vol': set(),
        }, stack.dependency_graph())

    def test_asks_for_nested_depth_and_detail(self):
        self.register_nested()
        self.driver.get_stack(self.ctx, STACK_ID)
        listing = [r for r in self.http.request_history
                   if r.path.endswith('/resources')][0]
        self.assertEqual({'nested_depth': ['5'], 'with_detail': ['true']},
                         listing.qs)

    def test_nested_depth_zero_reads_the_top_only(self):
        self.flags(group='heat_snapshots_heat', nested_depth=0)
        self.register_stack()
        self.driver.get_stack(self.ctx, STACK_ID)
        listing = [r for r in self.http.request_history
                   if r.path.endswith('/resources')][0]
        self.assertEqual({'with_detail': ['true']}, listing.qs)

    def test_unreadable_nested_template_keeps_the_resources(self):
        self.register_nested()
        self.http.get(NESTED_MEMBER + '/template', status_code=500,
                      json={'error': {'message': 'boom'}})
        stack = self.driver.get_stack(self.ctx, STACK_ID)
        resources = {r.name: r for r in stack.resources}
        self.assertEqual({}, resources['group/0/vol'].properties)
        self.assertEqual('vol-0',
                         resources['group/0/vol'].physical_resource_id)

    def test_orphan_nested_stack_is_left_out(self):
        self.register_stack()
        self.http.get(STACK_PATH + '/resources', json={'resources': [
            nested(resource('vol', 'OS::Cinder::Volume', 'vol-1'),
                   STACK_PATH),
            nested(resource('x', 'OS::Heat::None', 'x-1'), NESTED_MEMBER,
                   parent='0'),
        ]})
        stack = self.driver.get_stack(self.ctx, STACK_ID)
        self.assertEqual(['vol'], [r.name for r in stack.resources])

    def test_stack_path_of_links(self):
        self.assertEqual('/stacks/web/%s' % STACK_ID,
                         heat_driver.stack_path(STACK_PATH))
        self.assertEqual('/stacks/web/%s' % STACK_ID,
                         heat_driver.stack_path(STACK_PATH + '/'))
        self.assertIsNone(heat_driver.stack_path(None))
        self.assertIsNone(heat_driver.stack_path(HEAT + '/p/other'))
        self.assertIsNone(heat_driver.stack_path(STACK + '/web'))


class HiddenParameterRestoreTest(HeatDriverTestCase):
    """Heat shows hidden parameters as ******: never sent back as values."""

    TEMPLATE = dict(TEMPLATE, parameters={
        'db_password': {'type': 'string', 'hidden': True},
        'flavor': {'type': 'string'}})
    # What Heat's environment show gave the snapshot.
    SNAPSHOT_ENV = dict(ENVIRONMENT, parameters={
        'db_password': '******', 'flavor': 'small'})

    def setUp(self):
        super().setUp()
        self.register_stack()
        # The stack now: a parameter the snapshot did not have.
        self.http.get(STACK_PATH + '/environment', json=dict(
            ENVIRONMENT, parameters={'db_password': '******',
                                     'flavor': 'large', 'added': 'x'}))
        self.stack = self.driver.get_stack(self.ctx, STACK_ID)
        # Heat shows the update in progress once it answered it.
        self.http.get(STACK_PATH, [
            {'json': stack_body('UPDATE_IN_PROGRESS', 'Stack UPDATE started',
                                updated='2024-01-02T00:00:00Z')},
            {'json': stack_body('UPDATE_COMPLETE', 'done',
                                updated='2024-01-02T00:00:00Z')}])
        self.http.get(STACK_PATH + '/events', json={'events': []})
        self.http.put(STACK_PATH, status_code=202)
        self.http.patch(STACK_PATH, status_code=202)
        self.driver.operation_begun(self.ctx, self.stack, 'RESTORE',
                                    'snap-1')

    def updates(self):
        return [r for r in self.http.request_history
                if r.method in ('PUT', 'PATCH')]

    def test_masked_hidden_parameter_is_left_to_heat(self):
        self.driver.restore(self.ctx, self.stack, self.TEMPLATE,
                            self.SNAPSHOT_ENV, {}, {})
        [update] = self.updates()
        self.assertEqual('PATCH', update.method)
        body = update.json()
        self.assertNotIn('******', update.text)
        self.assertEqual({'flavor': 'small'},
                         body['environment']['parameters'])
        self.assertEqual(['added'], body['clear_parameters'])
        self.assertEqual(self.TEMPLATE, body['template'])

    def test_real_value_is_sent_as_ever(self):
        # The local driver's data, or a value Heat did not mask.
        environment = dict(ENVIRONMENT, parameters={
            'db_password': 's3cret', 'flavor': 'small'})
        self.driver.restore(self.ctx, self.stack, self.TEMPLATE,
                            environment, {}, {})
        [update] = self.updates()
        self.assertEqual('PUT', update.method)
        self.assertEqual(environment, update.json()['environment'])

    def test_six_stars_of_a_parameter_that_is_not_hidden_are_a_value(self):
        environment = dict(ENVIRONMENT, parameters={'flavor': '******'})
        self.driver.restore(self.ctx, self.stack, self.TEMPLATE,
                            environment, {}, {})
        [update] = self.updates()
        self.assertEqual('PUT', update.method)
        self.assertEqual({'flavor': '******'},
                         update.json()['environment']['parameters'])


NEW_ID = '4c4c4c4c-0000-4000-8000-000000000003'
NEW_PATH = STACK + '/copy/' + NEW_ID


def new_stack_body(status, reason='r'):
    body = stack_body(status, reason)
    body['stack'].update(id=NEW_ID, stack_name='copy',
                         links=[{'href': NEW_PATH, 'rel': 'self'}])
    return body


class PreviewAndCloneTest(HeatDriverTestCase):
    """Restore preview and clone: Heat's own preview and stack create."""

    def setUp(self):
        super().setUp()
        self.register_stack()
        self.stack = self.driver.get_stack(self.ctx, STACK_ID)

    def test_preview_is_heats_preview_of_the_restores_update(self):
        replaced = resource('vol', 'OS::Cinder::Volume', 'vol-1')
        self.http.put(STACK_PATH + '/preview', json={'resource_changes': {
            'replaced': [replaced], 'unchanged': [], 'updated': [],
            'added': [], 'deleted': []}})
        template = dict(TEMPLATE, resources=dict(
            TEMPLATE['resources'], vol={
                'type': 'OS::Cinder::Volume',
                'properties': {'size': 1, 'backup_id': 'backup-1'}}))
        changes = self.driver.preview_restore(self.ctx, self.stack,
                                              template, ENVIRONMENT,
                                              {'f.yaml': 'x'})
        self.assertEqual([replaced], changes['replaced'])
        self.assertEqual([], changes['added'])
        sent = self.http.request_history[-1]
        self.assertEqual(('PUT', {'show_nested': ['true']}),
                         (sent.method, sent.qs))
        # The very body the restore's update sends.
        self.assertEqual({'template': template, 'environment': ENVIRONMENT,
                          'files': {'f.yaml': 'x'}}, sent.json())
        # Nothing else was asked of Heat.
        self.assertEqual([], [r for r in self.http.request_history
                              if r.method not in ('GET', 'PUT')])

    def test_preview_names_nested_parents_by_their_path(self):
        def entry(name, stack_id, parent=None, nested=None):
            # Heat's format_stack_resource: the resource's own stack, the
            # stack it owns, and its parent resource's name alone.
            found = dict(resource(name, 'T', 'p-' + name),
                         stack_identity={'stack_id': stack_id,
                                         'stack_name': 's-' + stack_id,
                                         'tenant': PROJECT, 'path': ''})
            if parent:
                found['parent_resource'] = parent
            if nested:
                found['nested_stack_identity'] = {'stack_id': nested}
            return found
        self.http.put(STACK_PATH + '/preview', json={'resource_changes': {
            'unchanged': [entry('group', STACK_ID, nested='n1'),
                          entry('0', 'n1', 'group', nested='n2')],
            'replaced': [entry('vol', 'n2', '0')],
            # A nested stack the restore would make: Heat's name is kept.
            'added': [entry('new', 'n9', 'fresh')],
            'updated': [], 'deleted': [entry('1', 'n1', 'group')]}})
        changes = self.driver.preview_restore(self.ctx, self.stack,
                                              TEMPLATE, ENVIRONMENT, {})
        self.assertEqual(
            {('unchanged', 'group'): None, ('unchanged', '0'): 'group',
             ('replaced', 'vol'): 'group/0', ('added', 'new'): 'fresh',
             ('deleted', '1'): 'group'},
            {(kind, e['resource_name']): e.get('parent_resource')
             for kind, entries in changes.items() for e in entries})

    def test_preview_refused_by_heat_is_a_400_with_its_message(self):
        self.http.put(STACK_PATH + '/preview', status_code=400,
                      json=heat_fault('Property error: vol.size',
                                      'StackValidationFailed', 400,
                                      'Bad Request'))
        error = self.assertRaises(exception.Invalid,
                                  self.driver.preview_restore, self.ctx,
                                  self.stack, TEMPLATE, ENVIRONMENT, {})
        self.assertEqual(('Property error: vol.size', 400),
                         (error.message, error.code))

    def test_clone_posts_the_new_stack_to_heat(self):
        self.http.post(STACK, status_code=201, json={'stack': {
            'id': NEW_ID, 'links': [{'href': NEW_PATH, 'rel': 'self'}]}})
        stack = self.driver.create_clone(
            self.ctx, 'copy', TEMPLATE, ENVIRONMENT, {'f.yaml': 'x'},
            {'flavor': 'm2'}, tags=['t'])
        self.assertEqual((NEW_ID, 'copy', PROJECT),
                         (stack.id, stack.name, stack.project_id))
        sent = self.http.request_history[-1]
        self.assertEqual({'stack_name': 'copy', 'template': TEMPLATE,
                          'environment': ENVIRONMENT,
                          'files': {'f.yaml': 'x'},
                          'parameters': {'flavor': 'm2'}, 'tags': 't'},
                         sent.json())

    def test_clone_refusals_are_heats(self):
        self.http.post(STACK, [
            {'status_code': 409, 'json': heat_fault(
                'The Stack (copy) already exists.', 'StackExists', 409,
                'Conflict')},
            {'status_code': 400, 'json': heat_fault(
                'Parameter \'flavor\' is invalid', 'StackValidationFailed',
                400, 'Bad Request')}])
        self.assertRaises(exception.StackExists, self.driver.create_clone,
                          self.ctx, 'copy', TEMPLATE, ENVIRONMENT, {}, {})
        error = self.assertRaises(exception.Invalid,
                                  self.driver.create_clone, self.ctx,
                                  'copy', TEMPLATE, ENVIRONMENT, {}, {})
        self.assertIn('flavor', error.message)

    def test_a_hidden_parameter_must_be_given(self):
        template = dict(TEMPLATE, parameters={
            'password': {'type': 'string', 'hidden': True}})
        environment = dict(ENVIRONMENT, parameters={'password': '******'})
        error = self.assertRaises(exception.InvalidParameter,
                                  self.driver.create_clone, self.ctx,
                                  'copy', template, environment, {}, {})
        self.assertIn('password', error.message)
        self.assertEqual([], [r for r in self.http.request_history
                              if r.method == 'POST'])

    def test_run_clone_waits_for_heats_create(self):
        self.flags(check_interval_max=0.01, group='heat_snapshots')
        self.http.get(STACK + '/' + NEW_ID, status_code=302,
                      headers={'Location': NEW_PATH})
        self.http.get(NEW_PATH, [
            {'json': new_stack_body('CREATE_IN_PROGRESS')},
            {'json': new_stack_body('CREATE_COMPLETE')}])
        new = stacks_base.Stack(id=NEW_ID, name='copy', project_id=PROJECT,
                                action='CREATE', status='IN_PROGRESS')
        self.driver.run_clone(self.ctx, new, {})
        self.http.get(NEW_PATH, json=new_stack_body(
            'CREATE_FAILED', 'Resource CREATE failed: vol: Invalid backup'))
        error = self.assertRaises(exception.ResourceFailure,
                                  self.driver.run_clone, self.ctx, new, {})
        self.assertIn('Invalid backup', error.message)
