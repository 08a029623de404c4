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

"""Heat's five snapshot calls, on their success paths."""

from tempest.lib.common.utils import test_utils
from tempest.lib import decorators
from tempest.lib import exceptions as lib_exc

from heat_snapshots_tempest_plugin.tests import base

SNAPSHOT_KEYS = {'id', 'name', 'action', 'status', 'status_reason', 'data',
                 'creation_time'}

TEMPLATE = base.template(
    {'secret': {'type': 'OS::Heat::RandomString',
                'properties': {'length': 12}},
     'value': {'type': 'OS::Heat::Value',
               'properties': {'value': 'v1'}},
     'none': {'type': 'OS::Heat::None'}},
    outputs={'value': {'value': {'get_attr': ['value', 'value']}}})


class SnapshotsTest(base.BaseSnapshotsTest):

    @decorators.idempotent_id('4f0d8a52-37f4-4c3a-9a59-8d6f5f0a1c01')
    def test_create_snapshot(self):
        stack = self.create_stack(TEMPLATE)
        body = self.client.create_snapshot(*stack.ident, name='snap-1')
        # Heat answers 200 with the bare snapshot, not wrapped.
        self.assertEqual(SNAPSHOT_KEYS, set(body))
        self.assertEqual('snap-1', body['name'])
        self.assertEqual('CREATE', body['action'])
        self.assertIn(body['status'], ('IN_PROGRESS', 'COMPLETE'))
        self.assertEqual(stack.name, body['data']['name'])
        self.assertEqual(stack.id, body['data']['id'])
        self.addCleanup(test_utils.call_and_ignore_notfound_exc,
                        self._delete_snapshot, self.client, stack,
                        body['id'])

        done = self.client.wait_for_snapshot_status(
            *stack.ident, body['id'], 'COMPLETE')
        self.assertEqual('Stack SNAPSHOT completed successfully',
                         done['status_reason'])
        self.assertEqual(('SNAPSHOT', 'COMPLETE'),
                         (done['data']['action'], done['data']['status']))
        resources = done['data']['resources']
        self.assertEqual({'secret', 'value', 'none'}, set(resources))
        for name, resource in resources.items():
            self.assertEqual(('SNAPSHOT', 'COMPLETE'),
                             (resource['action'], resource['status']), name)
        self.assertEqual(12, len(
            resources['secret']['resource_data']['value']))
        shown = self.client.show_stack(*stack.ident)['stack']
        self.assertEqual('SNAPSHOT_COMPLETE', shown['stack_status'])

    @decorators.idempotent_id('4f0d8a52-37f4-4c3a-9a59-8d6f5f0a1c02')
    def test_create_snapshot_without_name(self):
        stack = self.create_stack()
        snapshot = self.snapshot(stack)
        self.assertIsNone(snapshot['name'])

    @decorators.idempotent_id('4f0d8a52-37f4-4c3a-9a59-8d6f5f0a1c03')
    def test_list_snapshots(self):
        stack = self.create_stack()
        self.assertEqual({'snapshots': []},
                         dict(self.client.list_snapshots(*stack.ident)))
        first = self.snapshot(stack, name='first')
        second = self.snapshot(stack, name='second')
        listed = self.client.list_snapshots(*stack.ident)['snapshots']
        # Unordered, and each with its full data, as in Heat.
        self.assertEqual({(first['id'], 'first'), (second['id'], 'second')},
                         {(s['id'], s['name']) for s in listed})
        for snapshot in listed:
            self.assertEqual(SNAPSHOT_KEYS, set(snapshot))
            self.assertEqual('COMPLETE', snapshot['status'])
            self.assertEqual(stack.id, snapshot['data']['id'])

    @decorators.idempotent_id('4f0d8a52-37f4-4c3a-9a59-8d6f5f0a1c04')
    def test_show_snapshot(self):
        stack = self.create_stack()
        snapshot = self.snapshot(stack, name='shown')
        body = self.client.show_snapshot(*stack.ident, snapshot['id'])
        self.assertEqual(['snapshot'], list(body))
        shown = body['snapshot']
        self.assertEqual(SNAPSHOT_KEYS, set(shown))
        self.assertEqual((snapshot['id'], 'shown', 'CREATE', 'COMPLETE'),
                         (shown['id'], shown['name'], shown['action'],
                          shown['status']))
        self.assertEqual(snapshot['creation_time'], shown['creation_time'])

    @decorators.idempotent_id('4f0d8a52-37f4-4c3a-9a59-8d6f5f0a1c05')
    def test_restore_snapshot(self):
        stack = self.create_stack(TEMPLATE)
        snapshot = self.snapshot(stack)
        body = self.client.restore_snapshot(*stack.ident, snapshot['id'])
        # With Accept: application/json, as Heat's webob 202.
        self.assertEqual('202 Accepted', body.get('code'))
        restored = self.client.wait_for_stack_status(*stack.ident,
                                                     'RESTORE_COMPLETE')
        self.assertEqual('Stack RESTORE completed successfully',
                         restored['stack_status_reason'])
        # The snapshot itself is unchanged.
        after = self.client.show_snapshot(*stack.ident, snapshot['id'])[
            'snapshot']
        self.assertEqual(('CREATE', 'COMPLETE'),
                         (after['action'], after['status']))

    @decorators.idempotent_id('4f0d8a52-37f4-4c3a-9a59-8d6f5f0a1c06')
    def test_delete_snapshot(self):
        stack = self.create_stack()
        snapshot = self.snapshot(stack)
        body = self.client.delete_snapshot(*stack.ident, snapshot['id'])
        self.assertEqual(204, body.response.status)
        self.client.wait_for_snapshot_deleted(*stack.ident, snapshot['id'])
        self.assertRaises(lib_exc.NotFound, self.client.show_snapshot,
                          *stack.ident, snapshot['id'])
        self.assertEqual([], self.client.list_snapshots(
            *stack.ident)['snapshots'])
        # The stack is not touched.
        self.assertEqual('SNAPSHOT_COMPLETE', self.client.show_stack(
            *stack.ident)['stack']['stack_status'])
