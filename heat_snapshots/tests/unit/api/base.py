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

"""Base class of the API tests: helpers that speak HTTP like a client."""

import json
import re

from heat_snapshots.tests import base
from heat_snapshots.tests.unit.api import api_fixture

PROJECT = api_fixture.PROJECT
REQUEST_ID = re.compile(r'^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-'
                        r'[0-9a-f]{4}-[0-9a-f]{12}$')

SNAPSHOT_KEYS = ['id', 'name', 'action', 'status', 'status_reason', 'data',
                 'creation_time']

BAD_REQUEST = ('The server could not comply with the request since it is '
               'either malformed or otherwise incorrect.')


def template(resources):
    return {'heat_template_version': '2018-08-31', 'resources': resources}


SIMPLE = template({
    'random': {'type': 'OS::Heat::RandomString',
               'properties': {'length': 8}},
    'none': {'type': 'OS::Heat::None', 'depends_on': ['random']},
})


def slow_snapshot(seconds=3):
    """A stack whose snapshots stay IN_PROGRESS for ``seconds``."""
    return template({
        'slow': {'type': 'OS::Heat::TestResource',
                 'properties': {'value': 'v',
                                'action_wait_secs': {'snapshot': seconds}}},
    })


class APITestCase(base.TestCase):
    use_db = True
    auth_strategy = 'noauth'
    start_engine = True

    def setUp(self):
        super().setUp()
        self.configure()
        self.fixture = self.useFixture(api_fixture.API(
            auth_strategy=self.auth_strategy,
            start_engine=self.start_engine))
        self.app = self.fixture.app
        self.headers = api_fixture.headers()

    def configure(self):
        """Set options the app reads when it is built."""

    # --- plain HTTP -------------------------------------------------------

    def request(self, method, path, status=None, headers=None, **kwargs):
        all_headers = dict(self.headers)
        all_headers.update(headers or {})
        response = self.app.request(path, method=method,
                                    headers=all_headers, expect_errors=True,
                                    **kwargs)
        if status is not None:
            self.assertEqual(status, response.status_int, response.text)
        return response

    def get(self, path, status=200, **kwargs):
        return self.request('GET', path, status=status, **kwargs)

    def post_json(self, path, body, status=200, method='POST', **kwargs):
        return self.request(method, path, status=status,
                            body=json.dumps(body).encode('utf-8'),
                            content_type='application/json', **kwargs)

    def assertFault(self, response, status, error_type, message=None):
        """Heat's fault body, as python-heatclient parses it."""
        self.assertEqual(status, response.status_int, response.text)
        self.assertEqual('application/json', response.content_type)
        body = response.json
        self.assertEqual(['code', 'title', 'explanation', 'error'],
                         list(body))
        self.assertEqual(status, body['code'])
        self.assertEqual(error_type, body['error']['type'])
        self.assertIsNone(body['error']['traceback'])
        if message is not None:
            self.assertEqual(message, body['error']['message'])
        self.assertRequestId(response)
        return body

    def assertRequestId(self, response):
        self.assertRegex(response.headers.get('X-OpenStack-Request-Id', ''),
                         REQUEST_ID)

    # --- stacks and snapshots --------------------------------------------

    def stacks_url(self, project=PROJECT):
        return '/v1/%s/stacks' % project

    def stack_url(self, stack, project=PROJECT):
        return '/v1/%s/stacks/%s/%s' % (project, stack['stack_name'],
                                        stack['id'])

    def snapshots_url(self, stack, project=PROJECT):
        return self.stack_url(stack, project) + '/snapshots'

    def create_stack(self, name='stack', tmpl=SIMPLE, wait=True,
                     headers=None):
        response = self.post_json(self.stacks_url(), {
            'stack_name': name, 'template': tmpl}, status=201,
            headers=headers)
        stack = {'stack_name': name, 'id': response.json['stack']['id']}
        if wait:
            self.wait_for_stack(stack, 'CREATE_COMPLETE')
        return stack

    def show_stack(self, stack, headers=None):
        return self.get(self.stack_url(stack), headers=headers).json['stack']

    def wait_for_stack(self, stack, status):
        def settled():
            shown = self.show_stack(stack)
            if not shown['stack_status'].endswith('_IN_PROGRESS'):
                return shown
        shown = api_fixture.wait_for(settled, what='stack ' + status)
        self.assertEqual(status, shown['stack_status'],
                         shown['stack_status_reason'])
        return shown

    def snapshot(self, stack, name='snap', wait=True):
        snap = self.post_json(self.snapshots_url(stack), {'name': name},
                              status=200).json
        if wait:
            snap = self.wait_for_snapshot(stack, snap['id'])
        return snap

    def show_snapshot(self, stack, snapshot_id, status=200):
        response = self.get('%s/%s' % (self.snapshots_url(stack),
                                       snapshot_id), status=status)
        return response.json.get('snapshot')

    def wait_for_snapshot(self, stack, snapshot_id, status='COMPLETE'):
        def settled():
            snap = self.show_snapshot(stack, snapshot_id)
            if snap['status'] != 'IN_PROGRESS':
                return snap
        snap = api_fixture.wait_for(settled, what='snapshot ' + status)
        self.assertEqual(status, snap['status'], snap['status_reason'])
        return snap


# A stack of two resources and an output, created for each test: what
# python-heatclient reads of a stack beyond its snapshots.
WORKFLOW_TEMPLATE = {
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


class StackWorkflowTestCase(APITestCase):
    """A CREATE_COMPLETE stack of WORKFLOW_TEMPLATE, with a file."""

    def setUp(self):
        super().setUp()
        response = self.post_json(self.stacks_url(), {
            'stack_name': 'wf', 'template': WORKFLOW_TEMPLATE,
            'files': {'a.txt': 'A'}}, status=201)
        self.location = response.headers['Location']
        self.stack = {'stack_name': 'wf', 'id': response.json['stack']['id']}
        self.wait_for_stack(self.stack, 'CREATE_COMPLETE')
        self.url = self.stack_url(self.stack)

    def events(self, path='/events', query=''):
        return self.get(self.url + path + query).json['events']
