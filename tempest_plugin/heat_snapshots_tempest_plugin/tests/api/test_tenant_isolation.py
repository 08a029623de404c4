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

"""Tenant isolation: another project's member cannot see, snapshot,
restore or delete a project's stack or its snapshots.
"""

from tempest.lib import decorators
from tempest.lib import exceptions as lib_exc

from heat_snapshots_tempest_plugin.tests import base


class TenantIsolationTest(base.BaseSnapshotsTest):

    credentials = ['project_member', 'project_alt_member']

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.alt_client = cls.snapshots_client(cls.os_project_alt_member)

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('c7e2b0d4-1a2f-4b8e-9d5c-3e4f5a6b7c01')
    def test_other_project_gets_404(self):
        stack = self.create_stack()
        snapshot = self.snapshot(stack, name='mine')
        message = 'The Stack (%s) could not be found.' % stack.name
        for call, args in (
                (self.alt_client.show_stack, ()),
                (self.alt_client.list_snapshots, ()),
                (self.alt_client.show_snapshot, (snapshot['id'],)),
                (self.alt_client.create_snapshot, ()),
                (self.alt_client.restore_snapshot, (snapshot['id'],)),
                (self.alt_client.delete_snapshot, (snapshot['id'],))):
            self.assertHeatError(lib_exc.NotFound, 404, 'EntityNotFound',
                                 message, call, *stack.ident, *args)
        # The project's snapshot is untouched and the only one.
        listed = self.client.list_snapshots(*stack.ident)['snapshots']
        self.assertEqual([(snapshot['id'], 'COMPLETE')],
                         [(s['id'], s['status']) for s in listed])
        self.assertEqual('SNAPSHOT_COMPLETE', self.client.show_stack(
            *stack.ident)['stack']['stack_status'])

    @decorators.attr(type=['negative'])
    @decorators.idempotent_id('c7e2b0d4-1a2f-4b8e-9d5c-3e4f5a6b7c03')
    def test_other_projects_id_in_the_url_is_403(self):
        # The URL's tenant is not the token's: refused before any look-up,
        # as Heat does.
        stack = self.create_stack()
        snapshot = self.snapshot(stack)
        project = self.os_project_member.credentials.project_id
        collection = 'stacks/%s/%s/snapshots' % stack.ident
        item = '%s/%s' % (collection, snapshot['id'])
        for method, path in (('GET', 'stacks/%s/%s' % stack.ident),
                             ('GET', collection),
                             ('GET', item),
                             ('POST', collection),
                             ('POST', item + '/restore'),
                             ('DELETE', item)):
            self.assertHeatError(
                lib_exc.Forbidden, 403, 'HTTPForbidden',
                'Access was denied to this resource.',
                self.alt_client.project_request, method, project, path)
        self.assertEqual([snapshot['id']], [s['id'] for s in (
            self.client.list_snapshots(*stack.ident)['snapshots'])])

    @decorators.idempotent_id('c7e2b0d4-1a2f-4b8e-9d5c-3e4f5a6b7c02')
    def test_each_project_sees_its_own_snapshots(self):
        mine = self.create_stack()
        theirs = self.create_stack(client=self.alt_client)
        my_snapshot = self.snapshot(mine)
        their_snapshot = self.snapshot(theirs, client=self.alt_client)
        self.assertEqual([my_snapshot['id']], [s['id'] for s in (
            self.client.list_snapshots(*mine.ident)['snapshots'])])
        self.assertEqual([their_snapshot['id']], [s['id'] for s in (
            self.alt_client.list_snapshots(*theirs.ident)['snapshots'])])
