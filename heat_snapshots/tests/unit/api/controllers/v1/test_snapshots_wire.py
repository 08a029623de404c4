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

"""Snapshot show and list, byte for byte as they were answered before.

``samples/wire/*.txt`` were captured from the API before its read path
was made lean (the snapshot's stored JSON passed through as text): the
status line, every header and the exact body of each answer. Only what
differs from run to run is replaced, after the answer is read: the ids
the test made (``<stack>``, ``<snap-1>``...), any other UUID (``<uuid-1>``
... in order of appearance), times (``<time>``) and the request id
(``<request-id>``).

HS_WIRE_CAPTURE=1 writes the files instead of comparing (only to capture
a deliberate change of an answer).
"""

import os
import re

from heat_snapshots import conf
from heat_snapshots.engine import service
from heat_snapshots.tests.unit.api import base

CONF = conf.CONF
WIRE = os.path.join(os.path.dirname(__file__), 'samples', 'wire')

_UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                   r'[0-9a-f]{12}')
_TIME = re.compile(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?')
_REQUEST_ID = re.compile(r'req-<uuid-\d+>|req-<[a-z0-9-]+>')

# Hidden parameters of the stack's own template (HOT ``hidden``) and of a
# template among its files, a parameter that is not hidden, and text
# that JSON escapes (quotes, backslashes, control and non-ASCII
# characters).
TEMPLATE = base.template({
    'echo': {'type': 'OS::Heat::Value',
             'properties': {'value': {'get_param': 'label'}}},
    'none': {'type': 'OS::Heat::None', 'depends_on': ['echo']},
})
TEMPLATE['description'] = 'Quotes " and \\ backslash,\ttab, zoë ✓'
TEMPLATE['parameters'] = {
    'db_password': {'type': 'string', 'hidden': True},
    'label': {'type': 'string', 'default': 'plain'},
    'size': {'type': 'number', 'default': 1.5},
}
LIBRARY = ('heat_template_version: 2018-08-31\n'
           'parameters:\n'
           '  api_key:\n'
           '    type: string\n'
           '    hidden: true\n'
           '  region:\n'
           '    type: string\n')

FAILING = base.template({
    'ok': {'type': 'OS::Heat::None'},
    'broken': {'type': 'OS::Heat::TestResource',
               'properties': {'value': 'v', 'fail_on': ['snapshot']},
               'depends_on': ['ok']},
})


class WireTest(base.APITestCase):
    """The answers of the in-process engine (heat-snapshots-all)."""

    def setUp(self):
        super().setUp()
        self.start_rpc_engine()
        response = self.post_json(self.stacks_url(), {
            'stack_name': 'wire', 'template': TEMPLATE,
            'parameters': {'db_password': 'first-s3cret',
                           'label': 'zoë "quoted" \\ ✓'},
            'files': {'lib.yaml': LIBRARY},
            'environment': {'parameter_defaults': {
                'api_key': 'k3y-s3cret', 'region': 'north'}}},
            status=201)
        self.stack = {'stack_name': 'wire',
                      'id': response.json['stack']['id']}
        self.wait_for_stack(self.stack, 'CREATE_COMPLETE')
        self.names = {self.stack['id']: '<stack>'}

    def start_rpc_engine(self):
        """The in-process engine is the fixture's."""

    def _normalise(self, text):
        for value, name in self.names.items():
            text = text.replace(value, name)
        uuids = {}
        text = _UUID.sub(
            lambda m: uuids.setdefault(m.group(0),
                                       '<uuid-%d>' % (len(uuids) + 1)),
            text)
        text = _TIME.sub('<time>', text)
        return _REQUEST_ID.sub('<request-id>', text)

    def _wire(self, response):
        """The answer as text: status line, headers, blank line, body."""
        self.assertRequestId(response)
        lines = ['%s' % response.status]
        lines.extend('%s: %s' % header for header in response.headerlist)
        lines.append('')
        lines.append(response.body.decode('utf-8'))
        return self._normalise('\n'.join(lines))

    def assertWire(self, name, response):
        path = os.path.join(WIRE, name + '.txt')
        actual = self._wire(response)
        if os.environ.get('HS_WIRE_CAPTURE'):
            os.makedirs(WIRE, exist_ok=True)
            with open(path, 'w', encoding='utf-8') as f:
                f.write(actual)
            return
        with open(path, encoding='utf-8') as f:
            expected = f.read()
        self.assertEqual(expected, actual)

    def _snap(self, stack, name, label, status='COMPLETE'):
        snap = self.post_json(self.snapshots_url(stack),
                              {'name': name}).json
        self.names[snap['id']] = label
        return self.wait_for_snapshot(stack, snap['id'], status=status)

    def test_show_and_list(self):
        first = self._snap(self.stack, 'snap-é ✓ "1"', '<snap-1>')
        url = self.snapshots_url(self.stack)
        self.assertWire('show', self.get('%s/%s' % (url, first['id'])))
        self._snap(self.stack, None, '<snap-2>')
        self.assertWire('list', self.get(url))

    def test_failed_snapshot_shows_its_reason(self):
        response = self.post_json(self.stacks_url(), {
            'stack_name': 'failing', 'template': FAILING}, status=201)
        stack = {'stack_name': 'failing', 'id': response.json['stack']['id']}
        self.names[stack['id']] = '<failing>'
        self.wait_for_stack(stack, 'CREATE_COMPLETE')
        snap = self._snap(stack, 'bad', '<snap-failed>', status='FAILED')
        url = self.snapshots_url(stack)
        self.assertWire('show-failed', self.get('%s/%s' % (url, snap['id'])))
        self.assertWire('list-failed', self.get(url))

    def test_empty_list(self):
        self.assertWire('list-empty', self.get(self.snapshots_url(
            self.stack)))

    def test_errors(self):
        snap = self._snap(self.stack, 'one', '<snap-1>')
        url = self.snapshots_url(self.stack)
        missing = '00000000-0000-4000-8000-000000000000'
        self.assertWire('show-missing',
                        self.get('%s/%s' % (url, missing), status=404))
        response = self.post_json(self.stacks_url(), {
            'stack_name': 'other', 'template': base.SIMPLE}, status=201)
        other = {'stack_name': 'other', 'id': response.json['stack']['id']}
        self.names[other['id']] = '<other>'
        self.wait_for_stack(other, 'CREATE_COMPLETE')
        self.assertWire('show-other-stack', self.get('%s/%s' % (
            self.snapshots_url(other), snap['id']), status=404))
        wrong_name = dict(self.stack, stack_name='other')
        self.assertWire('show-wrong-name', self.get('%s/%s' % (
            self.snapshots_url(wrong_name), snap['id']), status=404))
        self.assertWire('list-wrong-name',
                        self.get(self.snapshots_url(wrong_name), status=404))
        self.assertWire('show-other-project', self.get(
            '%s/%s' % (url, snap['id']), status=403,
            headers={'X-Auth-Project': 'project-b'}))
        self.assertWire('show-admin-other-project', self.get(
            '%s/%s' % (url, snap['id']),
            headers={'X-Auth-Project': 'project-b', 'X-Roles': 'admin'}))
        self.assertWire('show-reader', self.get(
            '%s/%s' % (url, snap['id']), headers={'X-Roles': 'reader'}))
        self.assertWire('show-no-role', self.get(
            '%s/%s' % (url, snap['id']), status=403,
            headers={'X-Roles': 'nobody'}))


class WireOverRPCTest(WireTest):
    """The same answers with the engine behind oslo.messaging (a server on
    the in-process transport, as heat-snapshots-engine on a broker).
    """

    start_engine = False

    def start_rpc_engine(self):
        engine = service.EngineService(CONF, local=False)
        engine.start()
        self.addCleanup(engine.stop)
