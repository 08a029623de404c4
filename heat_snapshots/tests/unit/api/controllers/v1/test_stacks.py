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

"""The stack endpoints of the local driver, and the stack lookup."""

import json

from heat_snapshots.tests.unit.api import api_fixture
from heat_snapshots.tests.unit.api import base

YAML_TEMPLATE = '''
heat_template_version: 2018-08-31
parameters:
  length: {type: number, default: 4}
resources:
  random:
    type: OS::Heat::RandomString
    properties: {length: {get_param: length}}
'''


class CreateTest(base.APITestCase):

    def test_create_is_201_with_id_and_self_link(self):
        response = self.post_json(self.stacks_url(), {
            'stack_name': 'mine', 'template': base.SIMPLE}, status=201)
        body = response.json
        self.assertEqual(['stack'], list(body))
        stack_id = body['stack']['id']
        self.assertEqual(
            [{'href': 'http://localhost/v1/%s/stacks/mine/%s'
              % (base.PROJECT, stack_id), 'rel': 'self'}],
            body['stack']['links'])
        self.assertRequestId(response)
        self.wait_for_stack({'stack_name': 'mine', 'id': stack_id},
                            'CREATE_COMPLETE')

    def test_create_from_yaml_strings_with_heatclient_fields(self):
        response = self.post_json(self.stacks_url(), {
            'stack_name': 'yaml', 'template': YAML_TEMPLATE,
            'parameters': {'length': 6},
            'environment': 'parameter_defaults: {}\n',
            'files': {}, 'tags': 'a,b', 'timeout_mins': '30',
            'disable_rollback': 'true'}, status=201)
        stack = {'stack_name': 'yaml', 'id': response.json['stack']['id']}
        shown = self.wait_for_stack(stack, 'CREATE_COMPLETE')
        self.assertEqual(['a', 'b'], shown['tags'])
        self.assertEqual(30, shown['timeout_mins'])
        self.assertEqual('6', str(shown['parameters']['length']))

    def test_missing_fields_are_heats_400s(self):
        for body, message in (
                ({'template': base.SIMPLE}, 'No stack name specified'),
                ({'stack_name': 's'}, 'No template specified'),
                ({'stack_name': 's', 'template_url': 'http://x/t.yaml'},
                 'template_url is not supported by heat-snapshots: send '
                 'the template itself in "template".'),
                ({'stack_name': 's', 'template': '[1, 2]'},
                 'Template not in valid format: The template is not a JSON '
                 'object or YAML mapping.'),
                ({'stack_name': '1bad', 'template': base.SIMPLE},
                 'Invalid stack name: it must start with a letter and '
                 'contain only letters, digits, "_", "-" and ".".'),
                ({'stack_name': 's', 'template': base.SIMPLE,
                  'timeout_mins': 'soon'},
                 'Only integer is acceptable by \'timeout_mins\'.')):
            response = self.post_json(self.stacks_url(), body, status=None)
            self.assertFault(response, 400, 'HTTPBadRequest', message)
        self.assertEqual([], self.get(self.stacks_url()).json['stacks'])

    def test_unparsable_template_is_400(self):
        response = self.post_json(self.stacks_url(), {
            'stack_name': 's', 'template': 'a: [b'}, status=None)
        body = self.assertFault(response, 400, 'HTTPBadRequest')
        self.assertTrue(body['error']['message'].startswith(
            'Template not in valid format: '))

    def test_invalid_template_is_the_engines_400(self):
        response = self.post_json(self.stacks_url(), {
            'stack_name': 's', 'template': base.template(
                {'r': {'type': 'OS::No::Such'}})}, status=None)
        self.assertEqual(400, response.status_int)
        self.assertIn('OS::No::Such', response.json['error']['message'])

    def test_existing_name_is_409(self):
        self.create_stack('twice')
        response = self.post_json(self.stacks_url(), {
            'stack_name': 'twice', 'template': base.SIMPLE}, status=None)
        self.assertFault(response, 409, 'StackExists',
                         'The Stack (twice) already exists.')


class LookupTest(base.APITestCase):

    def setUp(self):
        super().setUp()
        self.stack = self.create_stack('found')
        self.location = 'http://localhost' + self.stack_url(self.stack)

    def test_name_or_id_redirects_to_the_stack(self):
        for name_or_id in ('found', self.stack['id']):
            response = self.get('%s/%s' % (self.stacks_url(), name_or_id),
                                status=302)
            self.assertEqual(self.location, response.headers['Location'])
            self.assertEqual('text/plain', response.content_type)
            self.assertEqual(
                '302 Found\n\nThe resource was found at %s; you should be '
                'redirected automatically.  ' % self.location,
                response.text)
            self.assertRequestId(response)

    def test_json_clients_get_a_json_body(self):
        response = self.get(self.stacks_url() + '/found', status=302,
                            headers={'Accept': 'application/json'})
        self.assertEqual(('302 Found', 'Found'), (response.json['code'],
                                                  response.json['title']))

    def test_sub_paths_and_query_are_carried_over(self):
        for path in ('resources', 'template', 'events'):
            response = self.get('%s/found/%s?a=1&b=2' % (self.stacks_url(),
                                                         path), status=302)
            self.assertEqual('%s/%s?a=1&b=2' % (self.location, path),
                             response.headers['Location'])

    def test_python_heatclient_flow(self):
        """Resolve a name by its 302, then use the snapshot API there."""
        location = self.get(self.stacks_url() + '/found',
                            status=302).headers['Location']
        snap = self.post_json(location + '/snapshots', {'name': 'n'}).json
        self.assertEqual('n', snap['name'])

    def test_unknown_stack_is_404(self):
        response = self.get(self.stacks_url() + '/nosuch', status=None)
        self.assertFault(response, 404, 'EntityNotFound',
                         'The Stack (nosuch) could not be found.')

    def test_other_project_cannot_find_it(self):
        self.headers = api_fixture.headers(project='project-b')
        response = self.get('/v1/project-b/stacks/found', status=None)
        self.assertFault(response, 404, 'EntityNotFound',
                         'The Stack (found) could not be found.')

    def test_trailing_slash_is_not_a_route(self):
        response = self.get(self.stacks_url() + '/found/', status=None)
        self.assertFault(response, 404, 'HTTPNotFound')


class ReadTest(base.APITestCase):

    def setUp(self):
        super().setUp()
        self.stack = self.create_stack('readme')
        self.link = 'http://localhost' + self.stack_url(self.stack)

    def test_list_has_links_and_no_internal_keys(self):
        stacks = self.get(self.stacks_url()).json['stacks']
        self.assertEqual(1, len(stacks))
        stack = stacks[0]
        self.assertEqual((self.stack['id'], 'readme', 'CREATE_COMPLETE'),
                         (stack['id'], stack['stack_name'],
                          stack['stack_status']))
        self.assertEqual([{'href': self.link, 'rel': 'self'}],
                         stack['links'])
        self.assertNotIn('stack_identity', stack)
        self.assertNotIn('project', stack)

    def test_list_is_per_project(self):
        self.headers = api_fixture.headers(project='project-b')
        self.assertEqual(
            [], self.get('/v1/project-b/stacks').json['stacks'])

    def test_list_filters_and_limit(self):
        self.create_stack('second')
        names = [s['stack_name'] for s in self.get(
            self.stacks_url() + '?name=second').json['stacks']]
        self.assertEqual(['second'], names)
        self.assertEqual(1, len(self.get(
            self.stacks_url() + '?limit=1').json['stacks']))
        response = self.get(self.stacks_url() + '?limit=x', status=None)
        self.assertFault(response, 400, 'HTTPBadRequest',
                         'Only integer is acceptable by \'limit\'.')

    def test_show(self):
        body = self.get(self.stack_url(self.stack)).json
        stack = body['stack']
        self.assertEqual((self.stack['id'], 'readme', 'CREATE_COMPLETE'),
                         (stack['id'], stack['stack_name'],
                          stack['stack_status']))
        self.assertEqual([{'href': self.link, 'rel': 'self'}],
                         stack['links'])
        self.assertNotIn('stack_identity', stack)
        for key in ('parameters', 'outputs', 'disable_rollback',
                    'timeout_mins', 'creation_time'):
            self.assertIn(key, stack)

    def test_admin_sees_the_project(self):
        admin = api_fixture.headers(project='admin', roles=['admin'])
        stack = self.get(self.stack_url(self.stack),
                         headers=admin).json['stack']
        self.assertEqual(base.PROJECT, stack['project'])

    def test_template(self):
        self.assertEqual(base.SIMPLE,
                         self.get(self.stack_url(self.stack) +
                                  '/template').json)

    def test_resources(self):
        resources = self.get(self.stack_url(self.stack) +
                             '/resources').json['resources']
        by_name = {r['resource_name']: r for r in resources}
        self.assertEqual({'random', 'none'}, set(by_name))
        random = by_name['random']
        self.assertEqual(('OS::Heat::RandomString', 'CREATE_COMPLETE',
                          ['none']),
                         (random['resource_type'], random['resource_status'],
                          random['required_by']))
        self.assertEqual(
            [{'href': self.link + '/resources/random', 'rel': 'self'},
             {'href': self.link, 'rel': 'stack'}], random['links'])
        self.assertNotIn('stack_identity', random)

    def test_unknown_sub_path_is_404(self):
        response = self.get(self.stack_url(self.stack) + '/nothing',
                            status=None)
        self.assertFault(response, 404, 'HTTPNotFound')

    def test_segments_that_name_attributes_are_not_routes(self):
        for path in ('/__class__', '/identity', '/snapshots/x/__init__'):
            response = self.get(self.stack_url(self.stack) + path,
                                status=None)
            self.assertFault(response, 404, 'HTTPNotFound')

    def test_other_tenant_is_403(self):
        for path in (self.stacks_url('project-b'),
                     self.stack_url(self.stack, 'project-b'),
                     self.stacks_url('project-b') + '/readme'):
            self.assertFault(self.get(path, status=None), 403,
                             'HTTPForbidden',
                             'Access was denied to this resource.')


class UpdateDeleteTest(base.APITestCase):

    def setUp(self):
        super().setUp()
        self.stack = self.create_stack('changing', tmpl=json.loads(
            json.dumps(base.SIMPLE)))

    def test_put_is_202_and_updates(self):
        new = base.template({'only': {'type': 'OS::Heat::None'}})
        response = self.post_json(self.stack_url(self.stack),
                                  {'template': new}, method='PUT',
                                  status=202)
        self.assertEqual('text/plain', response.content_type)
        self.wait_for_stack(self.stack, 'UPDATE_COMPLETE')
        self.assertEqual(new, self.get(self.stack_url(self.stack) +
                                       '/template').json)

    def test_put_needs_a_template(self):
        response = self.post_json(self.stack_url(self.stack), {},
                                  method='PUT', status=None)
        self.assertFault(response, 400, 'HTTPBadRequest',
                         'No template specified')

    def test_patch_keeps_the_template(self):
        response = self.post_json(self.stack_url(self.stack),
                                  {'tags': 'x'}, method='PATCH', status=202,
                                  headers={'Accept': 'application/json'})
        self.assertEqual('202 Accepted', response.json['code'])
        shown = self.wait_for_stack(self.stack, 'UPDATE_COMPLETE')
        self.assertEqual(['x'], shown['tags'])
        self.assertEqual(base.SIMPLE, self.get(self.stack_url(self.stack) +
                                               '/template').json)

    def test_update_while_busy_is_409(self):
        stack = self.create_stack('slow', base.slow_snapshot())
        self.post_json(self.snapshots_url(stack), {'name': 's'})
        response = self.post_json(self.stack_url(stack), {'tags': 'x'},
                                  method='PATCH', status=None)
        self.assertFault(response, 409, 'ActionInProgress')

    def test_delete_is_204_then_the_stack_and_snapshots_are_gone(self):
        snap = self.snapshot(self.stack)
        response = self.request('DELETE', self.stack_url(self.stack),
                                status=204)
        self.assertEqual(b'', response.body)

        def gone():
            return self.get(self.stacks_url() + '/changing',
                            status=None).status_int == 404
        api_fixture.wait_for(gone, what='stack deleted')
        response = self.get('%s/%s' % (self.snapshots_url(self.stack),
                                       snap['id']), status=None)
        self.assertFault(response, 404, 'EntityNotFound',
                         'The Stack (changing) could not be found.')


class StackWorkflowTest(base.StackWorkflowTestCase):
    """Location on create, Heat's owner and tags, environment and files,
    and the lookup by name that redirects every method.
    """

    def test_create_answers_location_of_the_stack(self):
        self.assertEqual('http://localhost' + self.url, self.location)

    def test_owner_is_the_users_name_and_tags_a_list(self):
        shown = self.show_stack(self.stack)
        self.assertEqual(api_fixture.headers().get('X-Auth-User', 'admin'),
                         shown['stack_owner'])
        self.assertEqual([], shown['tags'])
        listed = self.get(self.stacks_url()).json['stacks'][0]
        self.assertEqual([], listed['tags'])

    def test_environment_and_files(self):
        environment = self.get(self.url + '/environment').json
        self.assertEqual({}, environment['parameters'])
        self.assertIn('resource_registry', environment)
        self.assertEqual({'a.txt': 'A'}, self.get(self.url + '/files').json)
        # By name, through the lookup, as python-heatclient asks.
        response = self.get(self.stacks_url() + '/wf/environment',
                            status=302)
        self.assertEqual('http://localhost%s/environment' % self.url,
                         response.headers['Location'])

    def test_lookup_redirects_every_method(self):
        for method in ('PUT', 'PATCH', 'DELETE', 'POST'):
            response = self.request(method, self.stacks_url() + '/wf',
                                    status=302)
            self.assertEqual('http://localhost' + self.url,
                             response.headers['Location'], method)
        # Sub-paths: GET and POST only, as Heat routes them.
        self.request('PUT', self.stacks_url() + '/wf/events', status=405)
        response = self.request('PUT', self.stacks_url() + '/nope',
                                status=None)
        self.assertFault(response, 404, 'EntityNotFound')

    def test_update_by_name_through_the_redirect(self):
        location = self.request('PUT', self.stacks_url() + '/wf',
                                status=302).headers['Location']
        self.post_json(location[len('http://localhost'):],
                       {'template': base.WORKFLOW_TEMPLATE,
                        'parameters': {'length': 5}},
                       method='PUT', status=202)
        self.wait_for_stack(self.stack, 'UPDATE_COMPLETE')
        self.assertEqual(5, len(self.get(
            self.url + '/outputs/value').json['output']['output_value']))
