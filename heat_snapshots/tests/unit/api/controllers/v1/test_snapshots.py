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

"""The snapshot endpoints, through the whole stack, as Heat answers them."""

import json
import os

from heat_snapshots.tests.unit.api import api_fixture
from heat_snapshots.tests.unit.api import base

SAMPLES = os.path.join(os.path.dirname(__file__), 'samples')

ACCEPTED_JSON = {
    'message': 'The request is accepted for processing.<br /><br />\n\n\n',
    'code': '202 Accepted',
    'title': 'Accepted',
}
ACCEPTED_TEXT = ('202 Accepted\n\nThe request is accepted for processing.'
                 '\n\n   ')


class CreateTest(base.APITestCase):

    def setUp(self):
        super().setUp()
        self.stack = self.create_stack()
        self.url = self.snapshots_url(self.stack)

    def test_create_answers_200_with_the_bare_snapshot(self):
        response = self.post_json(self.url, {'name': 'snap-1'})
        body = response.json
        with open(os.path.join(SAMPLES,
                               'stack-snapshot-response.json')) as f:
            sample = json.load(f)
        # Key order as on Heat's wire.
        self.assertEqual(list(sample), list(body))
        self.assertEqual(('snap-1', 'CREATE', 'IN_PROGRESS', None),
                         (body['name'], body['action'], body['status'],
                          body['status_reason']))
        self.assertRegex(body['creation_time'],
                         r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
        self.assertNotIn('Location', response.headers)
        self.assertEqual('application/json', response.content_type)
        self.assertRequestId(response)

    def test_name_is_optional(self):
        for body in ({}, {'name': None}):
            snap = self.post_json(self.url, body).json
            self.assertIsNone(snap['name'])
            self.wait_for_snapshot(self.stack, snap['id'])

    def test_number_and_boolean_names_are_stored_as_strings(self):
        for raw, stored in ((123, '123'), (True, 'true'), (1.5, '1.5')):
            snap = self.post_json(self.url, {'name': raw}).json
            self.assertEqual(stored, snap['name'])
            snap = self.wait_for_snapshot(self.stack, snap['id'])
            self.assertEqual(stored, snap['name'])

    def test_object_or_list_name_is_a_clean_400(self):
        for name, kind in (({'a': 1}, 'an object'), (['a'], 'a list')):
            response = self.post_json(self.url, {'name': name}, status=None)
            self.assertFault(
                response, 400, 'HTTPBadRequest',
                'Invalid snapshot name: expected a string or null, got %s.'
                % kind)

    def test_name_longer_than_255_is_a_clean_400(self):
        self.post_json(self.url, {'name': 'n' * 255}, status=200)
        response = self.post_json(self.url, {'name': 'n' * 256},
                                  status=None)
        self.assertFault(
            response, 400, 'HTTPBadRequest',
            'Invalid snapshot name: longer than 255 characters (256).')

    def test_unknown_keys_are_ignored(self):
        snap = self.post_json(self.url, {'name': 's', 'colour': 'red'}).json
        self.assertEqual('s', snap['name'])

    def test_json_sent_as_text_plain_is_accepted(self):
        response = self.request('POST', self.url, status=200,
                                body=b'{"name": "plain"}',
                                content_type='text/plain')
        self.assertEqual('plain', response.json['name'])

    def test_body_that_is_not_an_object_is_heats_400(self):
        cases = [
            (b'', 'application/json'),
            (b'[]', 'application/json'),
            (b'"name"', 'application/json'),
            (b'null', 'application/json'),
            (b'name=snap', 'application/x-www-form-urlencoded'),
        ]
        for body, content_type in cases:
            response = self.request('POST', self.url, body=body,
                                    content_type=content_type)
            self.assertFault(response, 400, 'HTTPBadRequest',
                             base.BAD_REQUEST)

    def test_malformed_json_reports_the_parse_error(self):
        response = self.request('POST', self.url, body=b'{"name": }',
                                content_type='application/json')
        self.assertFault(response, 400, 'HTTPBadRequest',
                         'Expecting value: line 1 column 10 (char 9)')

    def test_busy_stack_is_409(self):
        stack = self.create_stack('slow', base.slow_snapshot())
        self.post_json(self.snapshots_url(stack), {'name': 'first'})
        response = self.post_json(self.snapshots_url(stack),
                                  {'name': 'second'}, status=None)
        self.assertFault(
            response, 409, 'ActionInProgress',
            'Stack slow already has an action (SNAPSHOT) in progress.')

    def test_snapshot_limit_is_400(self):
        self.flags(max_snapshots_per_stack=2, group='heat_snapshots')
        self.snapshot(self.stack, 'one')
        second = self.snapshot(self.stack, 'two')
        response = self.post_json(self.url, {'name': 'three'}, status=None)
        self.assertFault(
            response, 400, 'RequestLimitExceeded',
            'Request limit exceeded: You have reached the maximum '
            'snapshots per stack, 2. Please delete some snapshots.')
        # Deleting one makes room again.
        self.request('DELETE', '%s/%s' % (self.url, second['id']),
                     status=204)
        api_fixture.wait_for(
            lambda: self.show_snapshot(self.stack, second['id'],
                                       status=None) is None,
            what='snapshot deleted')
        self.snapshot(self.stack, 'three')

    def test_admin_is_not_held_to_the_limit(self):
        self.flags(max_snapshots_per_stack=1, group='heat_snapshots')
        self.snapshot(self.stack, 'one')
        admin = api_fixture.headers(roles=['admin'])
        self.post_json(self.url, {'name': 'two'}, status=200, headers=admin)


class ReadTest(base.APITestCase):

    def setUp(self):
        super().setUp()
        self.stack = self.create_stack()
        self.snap = self.snapshot(self.stack, 'snap-1')

    def test_list(self):
        other = self.snapshot(self.stack, None)
        body = self.get(self.snapshots_url(self.stack)).json
        self.assertEqual(['snapshots'], list(body))
        by_id = {s['id']: s for s in body['snapshots']}
        self.assertEqual({self.snap['id'], other['id']}, set(by_id))
        for snap in body['snapshots']:
            # Every element is full, data included, as in Heat.
            self.assertEqual(base.SNAPSHOT_KEYS, list(snap))
            self.assertEqual('SNAPSHOT', snap['data']['action'])

    def test_show_complete_snapshot(self):
        body = self.get('%s/%s' % (self.snapshots_url(self.stack),
                                   self.snap['id'])).json
        self.assertEqual(['snapshot'], list(body))
        snap = body['snapshot']
        self.assertEqual(base.SNAPSHOT_KEYS, list(snap))
        self.assertEqual(('CREATE', 'COMPLETE',
                          'Stack SNAPSHOT completed successfully'),
                         (snap['action'], snap['status'],
                          snap['status_reason']))
        data = snap['data']
        self.assertEqual((self.stack['stack_name'], self.stack['id'],
                          'SNAPSHOT', 'COMPLETE'),
                         (data['name'], data['id'], data['action'],
                          data['status']))
        self.assertEqual(base.SIMPLE, data['template'])
        self.assertEqual({'random', 'none'}, set(data['resources']))
        random = data['resources']['random']
        self.assertEqual(
            {'name', 'type', 'resource_id', 'action', 'status', 'metadata',
             'resource_data'}, set(random))
        self.assertEqual(('OS::Heat::RandomString', 'SNAPSHOT', 'COMPLETE'),
                         (random['type'], random['action'],
                          random['status']))
        self.assertEqual(8, len(random['resource_data']['value']))

    def test_unknown_or_malformed_snapshot_id_is_404(self):
        for snapshot_id in ('6a3e8e5c-2d7a-4b0e-9d6f-3c1f2b9a8e7d',
                            'not-a-uuid'):
            response = self.get('%s/%s' % (self.snapshots_url(self.stack),
                                           snapshot_id), status=None)
            self.assertFault(response, 404, 'NotFound',
                             'Snapshot with id %s not found' % snapshot_id)

    def test_snapshot_of_another_stack_is_404(self):
        other = self.create_stack('other')
        response = self.get('%s/%s' % (self.snapshots_url(other),
                                       self.snap['id']), status=None)
        self.assertFault(
            response, 404, 'SnapshotNotFound',
            'The Snapshot (%s) for Stack (other) could not be found.'
            % self.snap['id'])


class DeleteTest(base.APITestCase):

    def setUp(self):
        super().setUp()
        self.stack = self.create_stack()

    def test_delete_is_204_without_body_then_the_snapshot_goes(self):
        snap = self.snapshot(self.stack)
        url = '%s/%s' % (self.snapshots_url(self.stack), snap['id'])
        response = self.request('DELETE', url, status=204)
        self.assertEqual(b'', response.body)
        self.assertEqual('0', response.headers['Content-Length'])
        self.assertNotIn('Content-Type', response.headers)
        self.assertRequestId(response)
        api_fixture.wait_for(
            lambda: self.get(url, status=None).status_int == 404,
            what='snapshot gone')
        self.assertFault(self.request('DELETE', url), 404, 'NotFound',
                         'Snapshot with id %s not found' % snap['id'])
        # The stack itself is not touched.
        self.assertEqual('SNAPSHOT_COMPLETE',
                         self.show_stack(self.stack)['stack_status'])

    def test_delete_of_a_snapshot_being_created_is_400(self):
        stack = self.create_stack('slow', base.slow_snapshot())
        snap = self.post_json(self.snapshots_url(stack), {'name': 's'}).json
        response = self.request(
            'DELETE', '%s/%s' % (self.snapshots_url(stack), snap['id']))
        self.assertFault(response, 400, 'NotSupported',
                         'Deleting in-progress snapshot is not supported.')


class RestoreTest(base.APITestCase):

    def setUp(self):
        super().setUp()
        self.stack = self.create_stack()

    def restore_url(self, stack, snapshot_id):
        return '%s/%s/restore' % (self.snapshots_url(stack), snapshot_id)

    def test_restore_is_202_json_for_json_clients(self):
        snap = self.snapshot(self.stack)
        response = self.request('POST', self.restore_url(self.stack,
                                                         snap['id']),
                                headers={'Accept': 'application/json'},
                                status=202)
        self.assertEqual('application/json', response.content_type)
        with open(os.path.join(
                SAMPLES, 'stack-snapshot-restore-response.json')) as f:
            self.assertEqual(json.load(f), response.json)
        self.assertEqual(ACCEPTED_JSON, response.json)
        self.assertRequestId(response)
        self.wait_for_stack(self.stack, 'RESTORE_COMPLETE')

    def test_restore_is_202_text_otherwise(self):
        snap = self.snapshot(self.stack)
        response = self.request('POST', self.restore_url(self.stack,
                                                         snap['id']),
                                status=202)
        self.assertEqual('text/plain', response.content_type)
        self.assertEqual(ACCEPTED_TEXT, response.text)
        self.assertEqual(58, len(response.body))
        self.wait_for_stack(self.stack, 'RESTORE_COMPLETE')

    def test_restore_of_an_incomplete_snapshot_is_400(self):
        stack = self.create_stack('slow', base.slow_snapshot())
        snap = self.post_json(self.snapshots_url(stack), {'name': 's'}).json
        response = self.request('POST', self.restore_url(stack, snap['id']))
        self.assertFault(response, 400, 'NotSupported',
                         'Restoring incomplete snapshot is not supported.')

    def test_restore_of_an_unknown_snapshot_is_404(self):
        response = self.request('POST', self.restore_url(self.stack, 'nope'))
        self.assertFault(response, 404, 'NotFound',
                         'Snapshot with id nope not found')


class StackErrorsTest(base.APITestCase):
    """Every snapshot endpoint answers the same for a stack it can't see."""

    def setUp(self):
        super().setUp()
        self.stack = self.create_stack()
        self.snap = self.snapshot(self.stack)

    def calls(self, stack_path):
        url = stack_path + '/snapshots'
        item = '%s/%s' % (url, self.snap['id'])
        return [('POST', url, b'{"name": "x"}'), ('GET', url, None),
                ('GET', item, None), ('DELETE', item, None),
                ('POST', item + '/restore', None)]

    def assertAllFail(self, stack_path, status, error_type, message):
        for method, url, body in self.calls(stack_path):
            kwargs = {'body': body,
                      'content_type': 'application/json'} if body else {}
            response = self.request(method, url, **kwargs)
            self.assertFault(response, status, error_type, message)

    def test_unknown_stack_is_404(self):
        self.assertAllFail(
            '/v1/%s/stacks/nosuch/%s' % (base.PROJECT, self.stack['id']),
            404, 'EntityNotFound', 'The Stack (nosuch) could not be found.')

    def test_name_and_id_of_different_stacks_is_404(self):
        other = self.create_stack('other')
        self.assertAllFail(
            '/v1/%s/stacks/other/%s' % (base.PROJECT, self.stack['id']),
            404, 'EntityNotFound', 'The Stack (other) could not be found.')
        self.assertAllFail(
            '/v1/%s/stacks/stack/%s' % (base.PROJECT, other['id']),
            404, 'EntityNotFound', 'The Stack (stack) could not be found.')

    def test_snapshots_under_a_stack_name_only_is_404(self):
        # Heat parses it as the stack "stack" with the id "snapshots".
        response = self.get('/v1/%s/stacks/stack/snapshots' % base.PROJECT,
                            status=None)
        self.assertFault(response, 404, 'EntityNotFound',
                         'The Stack (stack) could not be found.')

    def test_other_tenant_in_url_is_403_before_any_lookup(self):
        for stack_path in (self.stack_url(self.stack, 'project-b'),
                           '/v1/project-b/stacks/nosuch/nosuch'):
            self.assertAllFail(stack_path, 403, 'HTTPForbidden',
                               'Access was denied to this resource.')

    def test_no_identity_headers_is_project_admin_so_403(self):
        self.headers = {}
        response = self.get(self.snapshots_url(self.stack), status=None)
        self.assertFault(response, 403, 'HTTPForbidden',
                         'Access was denied to this resource.')

    def test_another_project_naming_itself_in_the_url_is_404(self):
        self.headers = api_fixture.headers(project='project-b')
        self.assertAllFail(
            self.stack_url(self.stack, 'project-b'), 404, 'EntityNotFound',
            'The Stack (stack) could not be found.')

    def test_admin_may_use_another_tenant(self):
        self.headers = api_fixture.headers(project='admin', roles=['admin'])
        body = self.get(self.snapshots_url(self.stack)).json
        self.assertEqual([self.snap['id']],
                         [s['id'] for s in body['snapshots']])

    def test_reader_may_read_but_not_snapshot(self):
        self.headers = api_fixture.headers(roles=['reader'])
        self.get(self.snapshots_url(self.stack))
        response = self.post_json(self.snapshots_url(self.stack),
                                  {'name': 'x'}, status=None)
        self.assertFault(
            response, 403, 'Forbidden',
            'Policy doesn\'t allow stacks:snapshot to be performed.')


class MethodNotAllowedTest(base.APITestCase):

    def test_wrong_methods_are_405(self):
        stack = self.create_stack()
        snap = self.snapshot(stack)
        url = self.snapshots_url(stack)
        item = '%s/%s' % (url, snap['id'])
        for method, path in (('PUT', url), ('DELETE', url), ('PATCH', url),
                             ('PUT', item), ('POST', item),
                             ('GET', item + '/restore'),
                             ('DELETE', item + '/restore')):
            response = self.request(method, path)
            body = self.assertFault(response, 405, 'HTTPMethodNotAllowed',
                                    base.BAD_REQUEST)
            self.assertEqual(('Method Not Allowed', base.BAD_REQUEST),
                             (body['title'], body['explanation']))
        # Nothing was changed by the refused calls.
        self.assertEqual('COMPLETE', self.show_snapshot(
            stack, snap['id'])['status'])


HIDDEN = base.template({
    'echo': {'type': 'OS::Heat::Value',
             'properties': {'value': {'get_param': 'db_password'}}},
})
HIDDEN['parameters'] = {'db_password': {'type': 'string', 'hidden': True},
                        'flavor': {'type': 'string', 'default': 'small'}}
HIDDEN['outputs'] = {'password': {'value': {'get_param': 'db_password'}}}


class HiddenParametersTest(base.APITestCase):
    """Masked wherever shown, as Heat's stack show; restored for real."""

    def setUp(self):
        super().setUp()
        response = self.post_json(self.stacks_url(), {
            'stack_name': 'secret', 'template': HIDDEN,
            'parameters': {'db_password': 'first-s3cret'},
            'environment': {'parameter_defaults': {'flavor': 'big'}}},
            status=201)
        self.stack = {'stack_name': 'secret',
                      'id': response.json['stack']['id']}
        self.wait_for_stack(self.stack, 'CREATE_COMPLETE')

    def output(self):
        shown = self.show_stack(self.stack)
        return {o['output_key']: o['output_value']
                for o in shown['outputs']}['password']

    def test_stack_show_and_environment_show_mask_it(self):
        shown = self.show_stack(self.stack)
        self.assertEqual('******', shown['parameters']['db_password'])
        environment = self.get(self.stack_url(self.stack) +
                               '/environment').json
        self.assertEqual('******', environment['parameters']['db_password'])
        self.assertEqual('big', environment['parameter_defaults']['flavor'])

    def test_snapshot_show_and_list_mask_it_restore_uses_it(self):
        snap = self.snapshot(self.stack)
        self.assertNotIn('first-s3cret', json.dumps(snap))
        self.assertEqual('******', snap['data']['environment'][
            'parameters']['db_password'])
        listed = self.get(self.snapshots_url(self.stack)).json['snapshots']
        self.assertNotIn('first-s3cret', json.dumps(listed))
        self.assertEqual('******', listed[0]['data']['environment'][
            'parameters']['db_password'])
        self.assertEqual('big', listed[0]['data']['environment'][
            'parameter_defaults']['flavor'])

        self.post_json(self.stack_url(self.stack), {
            'parameters': {'db_password': 'second-s3cret'}},
            method='PATCH', status=202)
        self.wait_for_stack(self.stack, 'UPDATE_COMPLETE')
        self.assertEqual('second-s3cret', self.output())

        self.request('POST', '%s/%s/restore' % (
            self.snapshots_url(self.stack), snap['id']), status=202)
        self.wait_for_stack(self.stack, 'RESTORE_COMPLETE')
        # The stored value, not the mask the API showed.
        self.assertEqual('first-s3cret', self.output())


class RestorePreviewTest(base.APITestCase):
    """heat-snapshots' own: POST .../snapshots/{id}/restore_preview."""

    def setUp(self):
        super().setUp()
        self.stack = self.create_stack()
        self.snap = self.snapshot(self.stack)
        self.url = '%s/%s/restore_preview' % (
            self.snapshots_url(self.stack), self.snap['id'])

    def test_preview_is_200_in_heats_update_preview_shape(self):
        self.post_json(self.stack_url(self.stack), {
            'template': base.template({
                'random': {'type': 'OS::Heat::RandomString',
                           'properties': {'length': 10}},
                'none': {'type': 'OS::Heat::None'},
                'added': {'type': 'OS::Heat::None'}})},
            method='PUT', status=202)
        self.wait_for_stack(self.stack, 'UPDATE_COMPLETE')
        response = self.request('POST', self.url, status=200)
        self.assertRequestId(response)
        body = response.json
        self.assertEqual({'resource_changes', 'data_loss'}, set(body))
        changes = body['resource_changes']
        self.assertEqual(['added', 'deleted', 'replaced', 'unchanged',
                          'updated'], sorted(changes))
        self.assertEqual(
            (['added'], ['random'], ['none']),
            ([e['resource_name'] for e in changes['deleted']],
             [e['resource_name'] for e in changes['replaced']],
             [e['resource_name'] for e in changes['unchanged']]))
        for key in ('resource_name', 'resource_type', 'physical_resource_id',
                    'resource_action', 'resource_status',
                    'resource_status_reason', 'updated_time',
                    'stack_identity', 'stack_name', 'reason'):
            self.assertIn(key, changes['replaced'][0])
        self.assertEqual(['added', 'random'],
                         sorted(e['resource_name']
                                for e in body['data_loss']))
        # Nothing changed.
        self.assertEqual('UPDATE_COMPLETE',
                         self.show_stack(self.stack)['stack_status'])

    def test_unknown_snapshot_is_404_and_get_is_405(self):
        response = self.request('POST', '%s/missing/restore_preview' %
                                self.snapshots_url(self.stack))
        self.assertFault(response, 404, 'NotFound',
                         'Snapshot with id missing not found')
        self.assertFault(self.request('GET', self.url), 405,
                         'HTTPMethodNotAllowed')

    def test_reader_may_preview(self):
        self.headers = api_fixture.headers(roles=['reader'])
        self.request('POST', self.url, status=200)


class CloneTest(base.APITestCase):
    """heat-snapshots' own: POST .../snapshots/{id}/clone."""

    def setUp(self):
        super().setUp()
        self.stack = self.create_stack()
        self.snap = self.snapshot(self.stack)
        self.url = '%s/%s/clone' % (self.snapshots_url(self.stack),
                                    self.snap['id'])

    def test_clone_answers_as_heats_stack_create(self):
        response = self.post_json(self.url, {'stack_name': 'copy'},
                                  status=201)
        self.assertRequestId(response)
        body = response.json
        new_id = body['stack']['id']
        location = '%s/copy/%s' % (self.stacks_url(), new_id)
        self.assertTrue(response.headers['Location'].endswith(location),
                        response.headers['Location'])
        self.assertEqual([{'href': response.headers['Location'],
                           'rel': 'self'}], body['stack']['links'])
        self.assertNotEqual(self.stack['id'], new_id)
        copy = {'stack_name': 'copy', 'id': new_id}
        self.wait_for_stack(copy, 'CREATE_COMPLETE')
        source = self.show_snapshot(self.stack, self.snap['id'])
        value = source['data']['resources']['random']['resource_data'][
            'value']
        resource = self.get(self.stack_url(copy) + '/resources/random'
                            ).json['resource']
        self.assertEqual(value, resource['attributes']['value'])

    def test_errors_are_heat_style(self):
        self.assertFault(
            self.post_json(self.url, {'stack_name': 'stack'}, status=None),
            409, 'StackExists', 'The Stack (stack) already exists.')
        self.assertFault(
            self.post_json(self.url, {}, status=None), 400,
            'HTTPBadRequest')
        self.assertFault(
            self.post_json(self.url, {'stack_name': 'copy',
                                      'parameters': []}, status=None),
            400, 'HTTPBadRequest')
        self.assertFault(
            self.post_json('%s/missing/clone' % self.snapshots_url(
                self.stack), {'stack_name': 'copy'}, status=None),
            404, 'NotFound', 'Snapshot with id missing not found')

    def test_reader_may_not_clone(self):
        self.headers = api_fixture.headers(roles=['reader'])
        self.assertFault(
            self.post_json(self.url, {'stack_name': 'copy'}, status=None),
            403, 'Forbidden',
            'Policy doesn\'t allow stacks:clone_snapshot to be performed.')
