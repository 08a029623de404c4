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

"""What python-heatclient needs of the stack API beyond the snapshots.

Events (the stack's and each resource's, paged as Heat pages them), a
resource's show, outputs, the environment, the files, Location on create,
Heat's stack_owner and tags, and a lookup by name that redirects every
method.
"""

from heat_snapshots.tests.unit.api import api_fixture
from heat_snapshots.tests.unit.api import base

TEMPLATE = {
    'heat_template_version': '2018-08-31',
    'parameters': {'length': {'type': 'number', 'default': 8}},
    'resources': {
        'random': {'type': 'OS::Heat::RandomString',
                   'properties': {'length': {'get_param': 'length'}}},
        'none': {'type': 'OS::Heat::None', 'depends_on': ['random']},
    },
    'outputs': {
        'value': {'description': 'The string.',
                  'value': {'get_attr': ['random', 'value']}},
    },
}

SUMMARY_KEYS = {'id', 'event_time', 'resource_name', 'logical_resource_id',
                'physical_resource_id', 'resource_status',
                'resource_status_reason', 'links'}


class StackWorkflowTest(base.APITestCase):

    def setUp(self):
        super().setUp()
        response = self.post_json(self.stacks_url(), {
            'stack_name': 'wf', 'template': TEMPLATE,
            'files': {'a.txt': 'A'}}, status=201)
        self.location = response.headers['Location']
        self.stack = {'stack_name': 'wf', 'id': response.json['stack']['id']}
        self.wait_for_stack(self.stack, 'CREATE_COMPLETE')
        self.url = self.stack_url(self.stack)

    def events(self, path='/events', query=''):
        return self.get(self.url + path + query).json['events']

    def test_create_answers_location_of_the_stack(self):
        self.assertEqual('http://localhost' + self.url, self.location)

    def test_owner_is_the_users_name_and_tags_a_list(self):
        shown = self.show_stack(self.stack)
        self.assertEqual(api_fixture.headers().get('X-Auth-User', 'admin'),
                         shown['stack_owner'])
        self.assertEqual([], shown['tags'])
        listed = self.get(self.stacks_url()).json['stacks'][0]
        self.assertEqual([], listed['tags'])

    def test_stack_events_have_heats_fields_and_links(self):
        events = self.events()
        self.assertEqual(6, len(events))
        for event in events:
            self.assertEqual(SUMMARY_KEYS, set(event))
        # By default, as Heat: the newest first.
        first, last = events[-1], events[0]
        self.assertEqual(('wf', 'CREATE_IN_PROGRESS', 'Stack CREATE started',
                          self.stack['id']),
                         (first['resource_name'], first['resource_status'],
                          first['resource_status_reason'],
                          first['physical_resource_id']))
        self.assertEqual(('wf', 'CREATE_COMPLETE'),
                         (last['resource_name'], last['resource_status']))
        self.assertEqual(first['resource_name'],
                         first['logical_resource_id'])
        base_url = 'http://localhost' + self.url
        self.assertEqual(
            [{'href': '%s/resources/wf/events/%s' % (base_url, first['id']),
              'rel': 'self'},
             {'href': base_url + '/resources/wf', 'rel': 'resource'},
             {'href': base_url, 'rel': 'stack'}], first['links'])
        # Resources: in dependency order, each IN_PROGRESS then COMPLETE.
        self.assertEqual(
            [('random', 'CREATE_IN_PROGRESS'), ('random', 'CREATE_COMPLETE'),
             ('none', 'CREATE_IN_PROGRESS'), ('none', 'CREATE_COMPLETE')],
            [(e['resource_name'], e['resource_status'])
             for e in reversed(events[1:-1])])

    def test_paging_as_python_heatclient_pages(self):
        ascending = self.events(query='?sort_dir=asc')
        self.assertEqual(list(reversed(self.events())), ascending)
        # --wait: the newest event as a marker, then what follows it.
        newest = self.events(query='?sort_dir=desc&limit=1')
        self.assertEqual([ascending[-1]], newest)
        self.assertEqual(ascending[2:4], self.events(
            query='?sort_dir=asc&limit=2&marker=%s' % ascending[1]['id']))
        self.assertEqual([], self.events(
            query='?sort_dir=asc&marker=%s' % ascending[-1]['id']))
        self.assertEqual(ascending, self.events(
            query='?sort_keys=event_time&sort_dir=asc'))
        self.assertEqual([], self.events(query='?limit=0'))

    def test_filters(self):
        events = self.events(query='?resource_status=COMPLETE'
                                   '&resource_name=random')
        self.assertEqual([('random', 'CREATE_COMPLETE')],
                         [(e['resource_name'], e['resource_status'])
                          for e in events])

    def test_bad_paging_is_400(self):
        for query, message in (
                ('?limit=x', "Only integer is acceptable by 'limit'."),
                ('?limit=-1', "Value '-1' is invalid for 'limit' which "
                              "only accepts non-negative integer."),
                ('?sort_dir=up', "Unknown sort direction 'up', must be one "
                                 "of: asc, desc")):
            response = self.get(self.url + '/events' + query, status=None)
            self.assertFault(response, 400, 'HTTPBadRequest', message)

    def test_resource_events_and_event_show(self):
        events = self.events('/resources/random/events', '?sort_dir=asc')
        self.assertEqual(['CREATE_IN_PROGRESS', 'CREATE_COMPLETE'],
                         [e['resource_status'] for e in events])
        shown = self.get('%s/resources/random/events/%s'
                         % (self.url, events[1]['id'])).json['event']
        self.assertEqual(SUMMARY_KEYS | {'resource_type',
                                         'resource_properties'},
                         set(shown))
        self.assertEqual('OS::Heat::RandomString', shown['resource_type'])
        self.assertEqual(8, shown['resource_properties']['length'])
        self.assertEqual(events[1]['physical_resource_id'],
                         shown['physical_resource_id'])
        # The stack's own event shows no properties.
        stack_event = self.events(query='?resource_name=wf&limit=1')[0]
        shown = self.get('%s/resources/wf/events/%s'
                         % (self.url, stack_event['id'])).json['event']
        self.assertEqual(({}, 'OS::Heat::Stack'),
                         (shown['resource_properties'],
                          shown['resource_type']))

    def test_unknown_events_are_heats_404s(self):
        response = self.get(self.url + '/resources/nope/events',
                            status=None)
        self.assertFault(response, 404, 'HTTPNotFound',
                         'No events found for resource nope')
        response = self.get(self.url + '/resources/random/events/nope',
                            status=None)
        self.assertFault(response, 404, 'HTTPNotFound',
                         'No event nope found')
        other = self.events('/resources/none/events')[0]['id']
        response = self.get('%s/resources/random/events/%s'
                            % (self.url, other), status=None)
        self.assertFault(response, 404, 'HTTPNotFound')

    def test_events_follow_a_snapshot_and_a_delete(self):
        self.snapshot(self.stack)
        stack_states = [e['resource_status'] for e in self.events(
            query='?resource_name=wf&sort_dir=asc')]
        self.assertEqual(['CREATE_IN_PROGRESS', 'CREATE_COMPLETE',
                          'SNAPSHOT_IN_PROGRESS', 'SNAPSHOT_COMPLETE'],
                         stack_states)
        self.request('DELETE', self.stacks_url() + '/wf', status=302)
        self.request('DELETE', self.url, status=204)
        self.wait_for_stack(self.stack, 'DELETE_COMPLETE')
        # As Heat: the events of a deleted stack stay readable by id.
        events = self.events(query='?resource_name=wf&limit=1')
        self.assertEqual('DELETE_COMPLETE', events[0]['resource_status'])

    def test_resource_show(self):
        resource = self.get(self.url + '/resources/random').json['resource']
        self.assertEqual(('random', 'random', 'OS::Heat::RandomString',
                          'CREATE_COMPLETE', ['none']),
                         (resource['resource_name'],
                          resource['logical_resource_id'],
                          resource['resource_type'],
                          resource['resource_status'],
                          resource['required_by']))
        self.assertEqual(8, len(resource['attributes']['value']))
        self.assertEqual('', resource['description'])
        response = self.get(self.url + '/resources/nope', status=None)
        self.assertFault(response, 404, 'EntityNotFound',
                         'The Resource (nope) could not be found.')

    def test_outputs(self):
        outputs = self.get(self.url + '/outputs').json['outputs']
        self.assertEqual([{'output_key': 'value',
                           'description': 'The string.'}], outputs)
        output = self.get(self.url + '/outputs/value').json['output']
        self.assertEqual(8, len(output['output_value']))
        response = self.get(self.url + '/outputs/nope', status=None)
        self.assertFault(response, 404, 'NotFound',
                         'Specified output key nope not found.')

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
                       {'template': TEMPLATE, 'parameters': {'length': 5}},
                       method='PUT', status=202)
        self.wait_for_stack(self.stack, 'UPDATE_COMPLETE')
        self.assertEqual(5, len(self.get(
            self.url + '/outputs/value').json['output']['output_value']))
