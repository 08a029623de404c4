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

"""Keystone's reader role against member: a reader may list and show
snapshots, not create, restore or delete them.
"""

from tempest.lib import decorators
from tempest.lib import exceptions as lib_exc

from heat_snapshots_tempest_plugin.tests import base


class ReaderTest(base.BaseSnapshotsTest):

    credentials = ['project_member', 'project_reader']

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.reader_client = cls.snapshots_client(cls.os_project_reader)

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.stack = cls.create_stack()

    def setUp(self):
        super().setUp()
        self.snapshot_body = self.snapshot(self.stack, name='by-member')

    @decorators.idempotent_id('e1d2c3b4-a5f6-4789-8abc-def012345601')
    def test_reader_lists_and_shows(self):
        self.assertEqual('SNAPSHOT_COMPLETE', self.reader_client.show_stack(
            *self.stack.ident)['stack']['stack_status'])
        listed = self.reader_client.list_snapshots(
            *self.stack.ident)['snapshots']
        self.assertIn(self.snapshot_body['id'], [s['id'] for s in listed])
        shown = self.reader_client.show_snapshot(
            *self.stack.ident, self.snapshot_body['id'])['snapshot']
        self.assertEqual(('by-member', 'COMPLETE'),
                         (shown['name'], shown['status']))

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('e1d2c3b4-a5f6-4789-8abc-def012345602')
    def test_reader_may_not_create(self):
        body = self.assertHeatError(
            lib_exc.Forbidden, 403, 'Forbidden', None,
            self.reader_client.create_snapshot, *self.stack.ident,
            name='by-reader')
        self.assertIn('stacks:snapshot', body['error']['message'])
        self.assertNotIn('by-reader', [s['name'] for s in (
            self.client.list_snapshots(*self.stack.ident)['snapshots'])])

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('e1d2c3b4-a5f6-4789-8abc-def012345603')
    def test_reader_may_not_restore_or_delete(self):
        snapshot_id = self.snapshot_body['id']
        for call in (self.reader_client.restore_snapshot,
                     self.reader_client.delete_snapshot):
            self.assertHeatError(lib_exc.Forbidden, 403, 'Forbidden', None,
                                 call, *self.stack.ident, snapshot_id)
        # Nothing changed.
        shown = self.client.show_snapshot(*self.stack.ident, snapshot_id)[
            'snapshot']
        self.assertEqual(('CREATE', 'COMPLETE'),
                         (shown['action'], shown['status']))
        self.assertEqual('SNAPSHOT_COMPLETE', self.client.show_stack(
            *self.stack.ident)['stack']['stack_status'])
