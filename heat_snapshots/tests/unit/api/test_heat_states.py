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

"""The heat-api filter shows Heat's states of our snapshots and restores.

Heat's answers come from a WSGI application in Heat's shapes (what heat-api
below the filter answers); our records are written by the heat stack
driver, as the engine does.
"""

import datetime
import json
import re

import fixtures
from oslo_utils import timeutils
import requests_mock
from requests_mock.contrib import fixture as rm_fixture
import webob

from heat_snapshots.api import paste
from heat_snapshots.db import api as db_api
from heat_snapshots.engine.stacks import base as stacks_base
from heat_snapshots.engine.stacks.heat import driver as heat_driver
from heat_snapshots.tests import base

PROJECT = 'project-a'
STACK_ID = '5f2c9a4e-7b1d-4c3e-9f8a-6b5d4c3e2f1a'
STACK_PATH = '/v1/%s/stacks/web/%s' % (PROJECT, STACK_ID)
CREATED = '2026-11-30T07:00:00Z'
HEAT = 'http://heat.test:8004'
SNAPSHOT_ID = '0a1b2c3d-0000-4000-8000-000000000001'


class Heat:
    """heat-api below the filter: Heat's JSON answers, settable."""

    def __init__(self):
        self.stack = {'id': STACK_ID, 'stack_name': 'web',
                      'stack_status': 'CREATE_COMPLETE',
                      'stack_status_reason': 'Stack CREATE completed '
                                             'successfully',
                      'creation_time': CREATED, 'updated_time': None}
        self.resources = [
            {'resource_name': 'vol', 'resource_status': 'CREATE_COMPLETE',
             'resource_status_reason': 'state changed',
             'creation_time': CREATED, 'updated_time': None},
            {'resource_name': 'group', 'resource_status': 'CREATE_COMPLETE',
             'resource_status_reason': 'state changed',
             'creation_time': CREATED, 'updated_time': None},
            {'resource_name': '0', 'parent_resource': 'group',
             'resource_status': 'CREATE_COMPLETE',
             'resource_status_reason': 'state changed',
             'creation_time': CREATED, 'updated_time': None}]
        self.events = [self.event('ev-1', 'CREATE_IN_PROGRESS', CREATED),
                       self.event('ev-2', 'CREATE_COMPLETE', CREATED)]
        self.calls = []
        self.visible = True

    @staticmethod
    def event(event_id, status, when, name='web', physical=STACK_ID,
              reason=None):
        return {'id': event_id, 'resource_name': name,
                'logical_resource_id': name,
                'physical_resource_id': physical, 'resource_status': status,
                'resource_status_reason': reason or status,
                'event_time': when, 'links': []}

    def __call__(self, environ, start_response):
        request = webob.Request(environ)
        self.calls.append((request.method, request.path_info))
        if not self.visible:
            return webob.Response(status=404, json={'code': 404})(
                environ, start_response)
        path = request.path_info
        if request.method != 'GET':
            body = None
            status = 204 if request.method == 'DELETE' else 202
        elif path == '/v1/%s/stacks' % PROJECT:
            body = {'stacks': [dict(self.stack)]}
        elif path == STACK_PATH:
            body = {'stack': dict(self.stack)}
        elif path == STACK_PATH + '/resources':
            body = {'resources': [dict(r) for r in self.resources]}
        elif path == STACK_PATH + '/resources/vol':
            body = {'resource': dict(self.resources[0])}
        elif path == STACK_PATH + '/events':
            events = [dict(e) for e in self.events
                      if request.GET.get('resource_name') in (
                          None, e['resource_name'])]
            # Heat's default order: newest first.
            if request.GET.get('sort_dir') != 'asc':
                events.reverse()
            body = {'events': events}
        else:
            body = {'served_by': 'heat'}
        if body is None:
            return webob.Response(status=status)(environ, start_response)
        return webob.Response(json=body)(environ, start_response)


def heat_time(value):
    return value.replace(microsecond=0).isoformat() + 'Z'


class HeatStatesTest(base.TestCase):

    use_db = True

    def setUp(self):
        super().setUp()
        self.heat = Heat()
        self.routes = paste.SnapshotRoutes(self.heat, lambda: None)
        # The driver reads Heat's own answers (its internal endpoint): the
        # same Heat, without the filter.
        self.flags(group='heat_snapshots_heat', auth_type='none',
                   endpoint_override=HEAT + '/v1')
        http = self.useFixture(rm_fixture.Fixture())
        http.register_uri(requests_mock.ANY, re.compile(HEAT + '/.*'),
                          content=self.heat_over_http)
        self.driver = heat_driver.HeatStackDriver(self.conf_fixture.conf)
        self.ctx = self.make_context()

    def heat_over_http(self, request, context):
        response = webob.Request.blank(
            request.url[len(HEAT):], method=request.method).get_response(
                self.heat)
        context.status_code = response.status_int
        context.headers = dict(response.headers)
        return response.body

    def get(self, path, **kwargs):
        response = webob.Request.blank(path, **kwargs).get_response(
            self.routes)
        self.assertEqual('1', response.headers.get(
            paste.FILTER_HEADER), path)
        return response

    def stack_status(self):
        stack = self.get(STACK_PATH).json['stack']
        return stack['stack_status'], stack['stack_status_reason']

    def heat_stack(self):
        body = self.heat.stack
        action, status = body['stack_status'].split('_', 1)
        return stacks_base.Stack(
            id=STACK_ID, name='web', project_id=PROJECT, action=action,
            status=status, created_at=body['creation_time'],
            updated_at=body['updated_time'])

    def begin_snapshot(self, resources=('vol', 'group', 'group/0')):
        db_api.snapshot_create(self.ctx, {
            'id': SNAPSHOT_ID, 'stack_id': STACK_ID, 'stack_name': 'web',
            'project_id': PROJECT, 'action': 'CREATE',
            'status': 'IN_PROGRESS', 'data': {}})
        self.driver.operation_begun(self.ctx, self.heat_stack(),
                                    'SNAPSHOT', SNAPSHOT_ID)
        self.driver.set_stack_state(self.ctx, STACK_ID, 'SNAPSHOT',
                                    'IN_PROGRESS', 'Stack SNAPSHOT started')
        for name in resources:
            self.resource_started(name)

    def resource_started(self, name):
        # As engine/operations.py: the row, then the state.
        db_api.resource_snapshot_set(self.ctx, SNAPSHOT_ID, name, {
            'resource_type': 'T', 'action': 'SNAPSHOT',
            'status': 'IN_PROGRESS'}, new=True)
        self.driver.set_resource_state(self.ctx, STACK_ID, name, 'SNAPSHOT',
                                       'IN_PROGRESS', 'state changed')

    def end_snapshot(self):
        for row in db_api.resource_snapshot_list(self.ctx, SNAPSHOT_ID):
            db_api.resource_snapshot_set(
                self.ctx, SNAPSHOT_ID, row.resource_name,
                {'status': 'COMPLETE', 'status_reason': 'state changed'})
            self.driver.set_resource_state(
                self.ctx, STACK_ID, row.resource_name, 'SNAPSHOT',
                'COMPLETE', 'state changed')
        db_api.snapshot_update(self.ctx, SNAPSHOT_ID, {
            'status': 'COMPLETE',
            'status_reason': 'Stack SNAPSHOT completed successfully'})
        # As engine/operations.py: Heat's state noted, then the end.
        self.driver.operation_ending(self.ctx, self.heat_stack(),
                                     'SNAPSHOT')
        self.driver.set_stack_state(self.ctx, STACK_ID, 'SNAPSHOT',
                                    'COMPLETE', 'Stack SNAPSHOT completed '
                                    'successfully')

    def heat_updates(self, status='UPDATE_IN_PROGRESS', when=None):
        when = when or heat_time(timeutils.utcnow() +
                                 datetime.timedelta(seconds=5))
        self.heat.stack.update(stack_status=status, updated_time=when,
                               stack_status_reason='Stack UPDATE started')
        return when

    # --- stacks ----------------------------------------------------------

    def test_a_stack_we_never_touched_is_heats(self):
        self.assertEqual(('CREATE_COMPLETE', 'Stack CREATE completed '
                          'successfully'), self.stack_status())

    def test_snapshot_shows_as_heat_shows_it_until_the_next_action(self):
        self.begin_snapshot()
        self.assertEqual(('SNAPSHOT_IN_PROGRESS', 'Stack SNAPSHOT started'),
                         self.stack_status())
        self.end_snapshot()
        self.assertEqual(('SNAPSHOT_COMPLETE', 'Stack SNAPSHOT completed '
                          'successfully'), self.stack_status())
        listed = self.get('/v1/%s/stacks' % PROJECT).json['stacks']
        self.assertEqual(['SNAPSHOT_COMPLETE'],
                         [s['stack_status'] for s in listed])
        # The stack's next action in Heat is Heat's to show.
        self.heat_updates()
        self.assertEqual(('UPDATE_IN_PROGRESS', 'Stack UPDATE started'),
                         self.stack_status())
        listed = self.get('/v1/%s/stacks' % PROJECT).json['stacks']
        self.assertEqual(['UPDATE_IN_PROGRESS'],
                         [s['stack_status'] for s in listed])

    def test_heat_action_keeping_updated_time_is_heats(self):
        # A stack check changes the action, not updated_time.
        self.begin_snapshot()
        self.end_snapshot()
        self.heat.stack['stack_status'] = 'CHECK_COMPLETE'
        self.assertEqual('CHECK_COMPLETE', self.stack_status()[0])

    def test_failed_snapshot_gives_our_reason(self):
        self.begin_snapshot()
        self.driver.set_stack_state(
            self.ctx, STACK_ID, 'SNAPSHOT', 'FAILED',
            'Resource SNAPSHOT failed: Error: resources.vol: no backup')
        self.assertEqual(('SNAPSHOT_FAILED', 'Resource SNAPSHOT failed: '
                          'Error: resources.vol: no backup'),
                         self.stack_status())

    # --- resources -------------------------------------------------------

    def test_resources_show_the_snapshot_until_heat_changes_them(self):
        self.begin_snapshot(resources=('vol',))
        resources = self.get(STACK_PATH + '/resources').json['resources']
        self.assertEqual(['SNAPSHOT_IN_PROGRESS', 'CREATE_COMPLETE',
                          'CREATE_COMPLETE'],
                         [r['resource_status'] for r in resources])
        self.resource_started('group')
        self.resource_started('group/0')
        self.end_snapshot()
        resources = self.get(STACK_PATH + '/resources').json['resources']
        # Heat snapshots the top stack's resources only.
        self.assertEqual([('SNAPSHOT_COMPLETE', 'state changed'),
                          ('SNAPSHOT_COMPLETE', 'state changed'),
                          ('CREATE_COMPLETE', 'state changed')],
                         [(r['resource_status'],
                           r['resource_status_reason'])
                          for r in resources])
        shown = self.get(STACK_PATH + '/resources/vol').json['resource']
        self.assertEqual('SNAPSHOT_COMPLETE', shown['resource_status'])
        # An update that changes vol (not group) moves vol's updated_time.
        when = self.heat_updates('UPDATE_COMPLETE')
        self.heat.resources[0].update(resource_status='UPDATE_COMPLETE',
                                      updated_time=when)
        resources = self.get(STACK_PATH + '/resources').json['resources']
        self.assertEqual(['UPDATE_COMPLETE', 'SNAPSHOT_COMPLETE',
                          'CREATE_COMPLETE'],
                         [r['resource_status'] for r in resources])

    # --- events ----------------------------------------------------------

    def test_snapshot_events_are_added_in_time_order(self):
        self.begin_snapshot(resources=('vol',))
        self.end_snapshot()
        when = self.heat_updates('UPDATE_COMPLETE')
        self.heat.events.append(self.heat.event(
            'ev-3', 'UPDATE_IN_PROGRESS', when))
        events = self.get(STACK_PATH + '/events?sort_dir=asc').json[
            'events']
        self.assertEqual(
            [('web', 'CREATE_IN_PROGRESS'), ('web', 'CREATE_COMPLETE'),
             ('web', 'SNAPSHOT_IN_PROGRESS'), ('vol', 'SNAPSHOT_IN_PROGRESS'),
             ('vol', 'SNAPSHOT_COMPLETE'), ('web', 'SNAPSHOT_COMPLETE'),
             ('web', 'UPDATE_IN_PROGRESS')],
            [(e['resource_name'], e['resource_status']) for e in events])
        self.assertEqual('Stack SNAPSHOT completed successfully',
                         events[5]['resource_status_reason'])
        # Ids are stable from one list to the next.
        again = self.get(STACK_PATH + '/events?sort_dir=asc').json[
            'events']
        self.assertEqual([e['id'] for e in events], [e['id'] for e in again])
        newest_first = self.get(STACK_PATH + '/events').json['events']
        self.assertEqual([e['id'] for e in reversed(events)],
                         [e['id'] for e in newest_first])
        only_vol = self.get(STACK_PATH + '/events?sort_dir=asc&'
                                         'resource_name=vol').json['events']
        self.assertEqual(['SNAPSHOT_IN_PROGRESS', 'SNAPSHOT_COMPLETE'],
                         [e['resource_status'] for e in only_vol])

    def test_heat_action_in_the_second_the_snapshot_ended_is_heats(self):
        # Heat's times have whole seconds: the stack was updated in the
        # second our snapshot runs in, and an update of Heat's (its
        # internal endpoint: nothing passes the filter) starts and ends in
        # that second too. Heat's times then stay what they were when the
        # snapshot ended; its states and events are still Heat's.
        second = datetime.datetime(2026, 11, 30, 8, 0, 0)
        at = heat_time(second)
        # Our rows' times (oslo's clock, the models' defaults): 0.1 s and
        # 0.4 s into that second.
        self.useFixture(fixtures.MonkeyPatch(
            'oslo_utils.timeutils._override_time',
            second + datetime.timedelta(milliseconds=100)))
        self.heat.stack.update(stack_status='UPDATE_COMPLETE',
                               updated_time=at)
        self.heat.events += [self.heat.event('ev-u1', 'UPDATE_IN_PROGRESS',
                                             at),
                             self.heat.event('ev-u2', 'UPDATE_COMPLETE', at)]
        self.begin_snapshot(resources=('vol', 'group'))
        self.useFixture(fixtures.MonkeyPatch(
            'oslo_utils.timeutils._override_time',
            second + datetime.timedelta(milliseconds=400)))
        self.end_snapshot()
        self.assertEqual('SNAPSHOT_COMPLETE', self.stack_status()[0])

        self.heat.stack.update(stack_status='UPDATE_IN_PROGRESS',
                               stack_status_reason='Stack UPDATE started')
        self.heat.events.append(self.heat.event('ev-u3',
                                                'UPDATE_IN_PROGRESS', at))
        self.heat.resources[0].update(resource_status='UPDATE_IN_PROGRESS',
                                      updated_time=at)
        self.assertEqual(('UPDATE_IN_PROGRESS', 'Stack UPDATE started'),
                         self.stack_status())
        resources = self.get(STACK_PATH + '/resources').json['resources']
        self.assertEqual(['UPDATE_IN_PROGRESS', 'SNAPSHOT_COMPLETE',
                          'CREATE_COMPLETE'],
                         [r['resource_status'] for r in resources])
        shown = self.get(STACK_PATH + '/resources/vol').json['resource']
        self.assertEqual('UPDATE_IN_PROGRESS', shown['resource_status'])
        events = self.get(STACK_PATH + '/events?sort_dir=asc').json[
            'events']
        self.assertEqual(
            [('web', 'CREATE_IN_PROGRESS'), ('web', 'CREATE_COMPLETE'),
             ('web', 'UPDATE_IN_PROGRESS'), ('web', 'UPDATE_COMPLETE'),
             ('web', 'SNAPSHOT_IN_PROGRESS'), ('vol', 'SNAPSHOT_IN_PROGRESS'),
             ('group', 'SNAPSHOT_IN_PROGRESS'), ('vol', 'SNAPSHOT_COMPLETE'),
             ('group', 'SNAPSHOT_COMPLETE'), ('web', 'SNAPSHOT_COMPLETE'),
             ('web', 'UPDATE_IN_PROGRESS')],
            [(e['resource_name'], e['resource_status']) for e in events])
        self.assertEqual('ev-u3', events[-1]['id'])
        self.assertEqual([e['id'] for e in reversed(events)],
                         [e['id'] for e in self.get(
                             STACK_PATH + '/events').json['events']])

        # Heat's update ends in that second: back to the status it had when
        # our snapshot ended, with the same time, and still Heat's.
        self.heat.stack.update(
            stack_status='UPDATE_COMPLETE',
            stack_status_reason='Stack UPDATE completed successfully')
        self.heat.resources[0]['resource_status'] = 'UPDATE_COMPLETE'
        self.assertEqual(('UPDATE_COMPLETE', 'Stack UPDATE completed '
                          'successfully'), self.stack_status())
        listed = self.get('/v1/%s/stacks' % PROJECT).json['stacks']
        self.assertEqual(['UPDATE_COMPLETE'],
                         [s['stack_status'] for s in listed])

    # --- restores --------------------------------------------------------

    def begin_restore(self):
        self.driver.operation_begun(self.ctx, self.heat_stack(), 'RESTORE',
                                    SNAPSHOT_ID)
        self.driver.set_stack_state(self.ctx, STACK_ID, 'RESTORE',
                                    'IN_PROGRESS', 'Stack RESTORE started')

    def heat_took_restore(self):
        when = self.heat_updates()
        self.heat.events.append(self.heat.event(
            'ev-ours', 'UPDATE_IN_PROGRESS', when,
            reason='Stack UPDATE started'))
        # What the driver records once Heat took its update.
        db_api.stack_state_set(self.ctx, STACK_ID, {
            'heat_updated_time': when, 'heat_status': 'UPDATE_IN_PROGRESS',
            'heat_event_id': 'ev-ours'})
        self.restate('ev-ours', 'IN_PROGRESS', 'Stack RESTORE started')
        return when

    def restate(self, heat_event_id, status, reason):
        db_api.stack_event_add(self.ctx, STACK_ID, {
            'resource_name': 'web', 'physical_resource_id': STACK_ID,
            'resource_action': 'RESTORE', 'resource_status': status,
            'resource_status_reason': reason,
            'heat_event_id': heat_event_id})

    def test_restore_shows_as_heat_shows_it(self):
        self.begin_restore()
        self.assertEqual('RESTORE_IN_PROGRESS', self.stack_status()[0])
        when = self.heat_took_restore()
        self.assertEqual(('RESTORE_IN_PROGRESS', 'Stack RESTORE started'),
                         self.stack_status())
        self.heat.stack['stack_status'] = 'UPDATE_COMPLETE'
        self.heat.events.append(self.heat.event(
            'ev-end', 'UPDATE_COMPLETE', when,
            reason='Stack UPDATE completed successfully'))
        self.restate('ev-end', 'COMPLETE',
                     'Stack RESTORE completed successfully')
        self.assertEqual(('RESTORE_COMPLETE', 'Stack RESTORE completed '
                          'successfully'), self.stack_status())
        events = list(reversed(self.get(STACK_PATH + '/events').json[
            'events']))
        self.assertEqual(
            [('CREATE_IN_PROGRESS', 'CREATE_IN_PROGRESS'),
             ('CREATE_COMPLETE', 'CREATE_COMPLETE'),
             ('RESTORE_IN_PROGRESS', 'Stack RESTORE started'),
             ('RESTORE_COMPLETE', 'Stack RESTORE completed successfully')],
            [(e['resource_status'], e['resource_status_reason'])
             for e in events])

    def test_update_after_restore_is_the_clients(self):
        # Convergence lets the client's update supersede the restore's.
        self.begin_restore()
        self.heat_took_restore()
        response = webob.Request.blank(STACK_PATH, method='PUT').get_response(
            self.routes)
        self.assertEqual(202, response.status_int)
        self.assertEqual('UPDATE_IN_PROGRESS', self.stack_status()[0])

    # --- changes while we work -------------------------------------------

    def test_update_or_delete_during_snapshot_is_refused(self):
        self.begin_snapshot()
        for method in ('PUT', 'PATCH', 'DELETE'):
            response = webob.Request.blank(
                STACK_PATH, method=method,
                headers={'Content-Type': 'application/json'},
                body=b'{}').get_response(self.routes)
            self.assertEqual(409, response.status_int, method)
            self.assertEqual({
                'code': 409, 'title': 'Conflict',
                'explanation': 'There was a conflict when trying to '
                               'complete your request.',
                'error': {'type': 'ActionInProgress', 'traceback': None,
                          'message': 'Stack web already has an action '
                                     '(SNAPSHOT) in progress.'}},
                json.loads(response.body))
        self.assertNotIn(('PUT', STACK_PATH), self.heat.calls)
        self.end_snapshot()
        response = webob.Request.blank(STACK_PATH, method='PUT').get_response(
            self.routes)
        self.assertEqual(202, response.status_int)

    def test_a_caller_heat_refuses_learns_nothing(self):
        self.begin_snapshot()
        self.heat.visible = False
        response = webob.Request.blank(STACK_PATH, method='DELETE',
                                       ).get_response(self.routes)
        self.assertEqual(404, response.status_int)
