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

"""Events: the stack's and each resource's, paged, filtered and shown as
Heat pages, filters and shows them.
"""

from heat_snapshots.tests.unit.api import base

SUMMARY_KEYS = {'id', 'event_time', 'resource_name', 'logical_resource_id',
                'physical_resource_id', 'resource_status',
                'resource_status_reason', 'links'}


class EventsTest(base.StackWorkflowTestCase):

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
