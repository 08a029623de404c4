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

from osc_lib import exceptions

from heat_snapshots_client.osc.v1 import snapshots
from heat_snapshots_client.tests.unit import base
from heat_snapshots_client.tests.unit.base import STACK
from heat_snapshots_client.tests.unit.base import STACK_ID

SNAPSHOTS = STACK + '/snapshots'
S1 = SNAPSHOTS + '/s1'


def _shown(result):
    return dict(zip(*result))


def _resources(*statuses):
    return {'json': {'resources': [
        {'name': name, 'status': status, 'status_reason': None,
         'artifact_id': None, 'started_at': None, 'finished_at': None}
        for name, status in zip(('server', 'volume'), statuses)]}}


class CreateTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.stack_lookup()
        self.http.post(SNAPSHOTS, json=base.snapshot(status='IN_PROGRESS'))

    def test_without_waiting(self):
        shown = _shown(self.run_command(snapshots.CreateSnapshot, 'web',
                                        '--name', 'before-upgrade'))
        self.assertEqual('IN_PROGRESS', shown['status'])
        self.assertNotIn('data', shown)
        self.assertEqual('', self.stderr.getvalue())

    def test_wait_shows_the_progress_of_the_resources(self):
        self.http.get(S1, [
            {'json': {'snapshot': base.snapshot(status=status)}}
            for status in ('IN_PROGRESS', 'IN_PROGRESS', 'IN_PROGRESS',
                           'COMPLETE')])
        self.http.get(S1 + '/resources', [
            _resources('IN_PROGRESS', 'IN_PROGRESS'),
            _resources('COMPLETE', 'IN_PROGRESS'),
            _resources('COMPLETE', 'IN_PROGRESS'),
            _resources('COMPLETE', 'COMPLETE')])
        shown = _shown(self.run_command(snapshots.CreateSnapshot, 'web',
                                        '--name', 'before-upgrade',
                                        '--wait'))
        self.assertEqual('COMPLETE', shown['status'])
        # One line per change.
        self.assertEqual(
            'snapshot before-upgrade: IN_PROGRESS, 0/2 resources done '
            '(server IN_PROGRESS, volume IN_PROGRESS)\n'
            'snapshot before-upgrade: IN_PROGRESS, 1/2 resources done '
            '(volume IN_PROGRESS)\n'
            'snapshot before-upgrade: COMPLETE, 2/2 resources done\n',
            self.stderr.getvalue())

    def test_wait_on_a_server_without_the_resources_view(self):
        self.http.get(S1, [
            {'json': {'snapshot': base.snapshot(status=status)}}
            for status in ('IN_PROGRESS', 'COMPLETE')])
        self.http.get(S1 + '/resources', status_code=404,
                      json=base.heat_error(404, 'NotFound', 'x'))
        self.run_command(snapshots.CreateSnapshot, 'web', '--wait')
        self.assertEqual('snapshot before-upgrade: IN_PROGRESS\n'
                         'snapshot before-upgrade: COMPLETE\n',
                         self.stderr.getvalue())
        # Asked once only.
        self.assertEqual(1, len(self.sent('GET', '/resources')))

    def test_wait_for_a_failure_fails(self):
        self.http.get(S1, json={'snapshot': base.snapshot(
            status='FAILED', status_reason='Volume vol1: backup error')})
        self.http.get(S1 + '/resources', **_resources('COMPLETE', 'FAILED'))
        error = self.assertRaises(exceptions.CommandError, self.run_command,
                                  snapshots.CreateSnapshot, 'web', '--wait')
        self.assertEqual('snapshot before-upgrade FAILED: Volume vol1: '
                         'backup error', str(error))


class ListShowTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.stack_lookup()

    def test_list_with_paging_sorting_filtering(self):
        self.http.get(SNAPSHOTS, json={'snapshots': [base.snapshot()]})
        columns, rows = self.run_command(
            snapshots.ListSnapshots, 'web', '--limit', '10', '--marker',
            's0', '--sort', 'creation_time:asc', '--status', 'COMPLETE')
        self.assertEqual(('id', 'name', 'status', 'status_reason',
                          'creation_time'), columns)
        self.assertEqual([('s1', 'before-upgrade', 'COMPLETE', None,
                           '2026-11-30T10:00:00Z')], rows)
        self.assertEqual({'limit': ['10'], 'marker': ['s0'],
                          'sort_keys': ['creation_time'],
                          'sort_dir': ['asc'], 'status': ['complete']},
                         self.http.last_request.qs)

    def test_show_by_name_as_heatclient_takes_it(self):
        self.http.get(SNAPSHOTS + '/before-upgrade', status_code=404,
                      json=base.heat_error(404, 'NotFound', 'x'))
        self.http.get(SNAPSHOTS, json={'snapshots': [
            base.snapshot(data={'resources': {}})]})
        shown = _shown(self.run_command(snapshots.ShowSnapshot, 'web',
                                        'before-upgrade'))
        self.assertEqual('s1', shown['id'])
        self.assertNotIn('data', shown)
        shown = _shown(self.run_command(snapshots.ShowSnapshot, 'web',
                                        'before-upgrade', '--data'))
        self.assertEqual({'resources': {}},
                         shown['data'].machine_readable())


class RestoreTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.stack_lookup()
        self.http.get(S1, json={'snapshot': base.snapshot()})

    def test_preview(self):
        self.http.post(S1 + '/restore_preview', json={
            'resource_changes': {
                'added': [],
                'deleted': [{'resource_name': 'extra',
                             'resource_type': 'OS::Cinder::Volume'}],
                'replaced': [{'resource_name': 'volume',
                              'resource_type': 'OS::Cinder::Volume'}],
                'updated': [{'resource_name': 'server',
                             'resource_type': 'OS::Nova::Server'}],
                'unchanged': [{'resource_name': 'net',
                               'resource_type': 'OS::Neutron::Net'}]},
            'data_loss': [{'resource_name': 'extra'}, 'volume']})
        columns, rows = self.run_command(snapshots.RestoreSnapshot, 'web',
                                         's1', '--preview')
        self.assertEqual(('change', 'resource_name', 'resource_type',
                          'data_loss'), columns)
        self.assertEqual(
            [('deleted', 'extra', 'OS::Cinder::Volume', True),
             ('replaced', 'volume', 'OS::Cinder::Volume', True),
             ('updated', 'server', 'OS::Nova::Server', False),
             ('unchanged', 'net', 'OS::Neutron::Net', False)], rows)
        # A preview restores nothing.
        self.assertEqual([], self.sent('POST', '/restore'))

    def test_preview_names_nested_resources_by_path(self):
        # Heat's preview of a nested stack: each entry with its parent.
        self.http.post(S1 + '/restore_preview', json={
            'resource_changes': {
                'deleted': [{'resource_name': '2',
                             'resource_type': 'OS::Heat::TestResource',
                             'parent_resource': 'group'}],
                'replaced': [{'resource_name': 'secret',
                              'resource_type': 'OS::Heat::RandomString',
                              'parent_resource': 'inner'}],
                'unchanged': [{'resource_name': 'secret',
                               'resource_type': 'OS::Heat::RandomString'},
                              {'resource_name': 'group',
                               'resource_type': 'OS::Heat::ResourceGroup'}]},
            'data_loss': [
                {'resource_name': '2', 'parent_resource': 'group',
                 'change': 'deleted'},
                {'resource_name': 'secret', 'parent_resource': 'inner',
                 'change': 'replaced'}]})
        _, rows = self.run_command(snapshots.RestoreSnapshot, 'web', 's1',
                                   '--preview')
        # The top-level secret, unchanged, loses nothing.
        self.assertEqual(
            [('deleted', 'group/2', 'OS::Heat::TestResource', True),
             ('replaced', 'inner/secret', 'OS::Heat::RandomString', True),
             ('unchanged', 'secret', 'OS::Heat::RandomString', False),
             ('unchanged', 'group', 'OS::Heat::ResourceGroup', False)],
            rows)

    def test_restore_and_wait(self):
        self.http.post(S1 + '/restore', status_code=202,
                       json={'code': '202 Accepted'})
        self.http.get(STACK, [
            {'json': {'stack': {'stack_status': status,
                                'stack_status_reason': reason}}}
            for status, reason in (
                ('SNAPSHOT_COMPLETE', None),
                ('RESTORE_IN_PROGRESS', None),
                ('RESTORE_COMPLETE', 'Stack RESTORE completed'))])
        columns, rows = self.run_command(snapshots.RestoreSnapshot, 'web',
                                         's1', '--wait')
        self.assertEqual([('web', 's1', 'RESTORE_COMPLETE',
                           'Stack RESTORE completed')], rows)
        self.assertEqual('stack web: SNAPSHOT_COMPLETE\n'
                         'stack web: RESTORE_IN_PROGRESS\n'
                         'stack web: RESTORE_COMPLETE\n',
                         self.stderr.getvalue())

    def test_a_restore_heat_rolls_back_ends_the_wait(self):
        # A cancel of the restore: Heat rolls its update back, and Heat's
        # endpoint shows the stack as Heat does.
        self.http.post(S1 + '/restore', status_code=202, json={})
        self.http.get(STACK, [
            {'json': {'stack': {'stack_status': status,
                                'stack_status_reason': reason}}}
            for status, reason in (
                ('RESTORE_IN_PROGRESS', None),
                ('ROLLBACK_IN_PROGRESS', 'Stack UPDATE cancelled'),
                ('ROLLBACK_COMPLETE', 'Stack ROLLBACK completed '
                                      'successfully'))])
        error = self.assertRaises(exceptions.CommandError, self.run_command,
                                  snapshots.RestoreSnapshot, 'web', 's1',
                                  '--wait')
        self.assertEqual('stack web ROLLBACK_COMPLETE: Stack ROLLBACK '
                         'completed successfully', str(error))

    def test_a_failed_restore_fails(self):
        self.http.post(S1 + '/restore', status_code=202, json={})
        self.http.get(STACK, json={'stack': {
            'stack_status': 'RESTORE_FAILED',
            'stack_status_reason': 'volume: no backup'}})
        error = self.assertRaises(exceptions.CommandError, self.run_command,
                                  snapshots.RestoreSnapshot, 'web', 's1',
                                  '--wait')
        self.assertEqual('stack web RESTORE_FAILED: volume: no backup',
                         str(error))

    def test_without_waiting(self):
        self.http.post(S1 + '/restore', status_code=202, json={})
        columns, rows = self.run_command(snapshots.RestoreSnapshot, 'web',
                                         's1')
        self.assertEqual([('web', 's1', 'RESTORE_IN_PROGRESS', None)], rows)
        self.assertEqual([], self.sent('GET', STACK_ID))


class DeleteTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.stack_lookup()

    def test_delete_and_wait_until_gone(self):
        self.http.get(S1, [
            {'json': {'snapshot': base.snapshot()}},
            {'json': {'snapshot': base.snapshot(status='IN_PROGRESS')}},
            {'status_code': 404,
             'json': base.heat_error(404, 'NotFound', 'gone')}])
        self.http.delete(S1, status_code=204)
        self.run_command(snapshots.DeleteSnapshot, 'web', 's1', '--wait')
        self.assertEqual('snapshot before-upgrade: deleting (IN_PROGRESS)\n'
                         'snapshot before-upgrade: deleted\n',
                         self.stderr.getvalue())

    def test_several_and_tell_the_failures(self):
        self.http.get(S1, json={'snapshot': base.snapshot()})
        self.http.delete(S1, status_code=204)
        self.http.get(SNAPSHOTS + '/nope', status_code=404,
                      json=base.heat_error(404, 'NotFound', 'x'))
        self.http.get(SNAPSHOTS, json={'snapshots': []})
        error = self.assertRaises(exceptions.CommandError, self.run_command,
                                  snapshots.DeleteSnapshot, 'web', 's1',
                                  'nope')
        self.assertEqual('Unable to delete 1 of 2 snapshots:\nnope: no '
                         'snapshot with the name or id nope', str(error))
        self.assertEqual(1, len(self.sent('DELETE')))


class MoreTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.stack_lookup()
        self.http.get(S1, json={'snapshot': base.snapshot()})

    def test_clone(self):
        self.http.post(S1 + '/clone', status_code=201, json={'stack': {
            'id': 'new-id', 'links': [{'href': 'http://x/new', 'rel':
                                       'self'}]}})
        shown = _shown(self.run_command(
            snapshots.CloneSnapshot, 'web', 's1', '--name', 'web-copy',
            '--parameter', 'size=2', '--parameter', 'flavor=m1=x'))
        self.assertEqual({'stack_name': 'web-copy',
                          'parameters': {'size': '2', 'flavor': 'm1=x'}},
                         self.http.last_request.json())
        self.assertEqual(('new-id', 'web-copy', ['http://x/new']),
                         (shown['id'], shown['stack_name'],
                          shown['links'].machine_readable()))

    def test_clone_a_kept_snapshot_named_without_its_stack(self):
        kept = base.API + '/snapshots/k1'
        self.http.get(base.API + '/snapshots/nightly', status_code=404,
                      json=base.heat_error(404, 'NotFound', 'x'))
        self.http.get(base.API + '/snapshots', json={'snapshots': [
            base.snapshot('k1', 'nightly', stack_deleted=True)]})
        self.http.post(kept + '/clone', status_code=201, json={'stack': {
            'id': 'new-id', 'links': [{'href': 'http://x/new', 'rel':
                                       'self'}]}})
        for argv in (('nightly',), ('--kept', 'nightly')):
            shown = _shown(self.run_command(
                snapshots.CloneSnapshot, *argv, '--name', 'db-copy',
                '--parameter', 'size=2'))
            self.assertEqual(('new-id', 'db-copy'),
                             (shown['id'], shown['stack_name']))
            self.assertEqual({'stack_name': 'db-copy',
                              'parameters': {'size': '2'}},
                             self.http.last_request.json())
        # Found by name in the project's list; no stack looked up.
        self.assertEqual([('GET', '/v1/p1/snapshots', 'name=nightly')],
                         [r for r in self.sent('GET')
                          if r[1].endswith('/snapshots')][:1])
        self.assertEqual([], [r for r in self.sent() if '/stacks/' in r[1]])
        self.assertEqual(2, len(self.sent('POST', '/snapshots/k1/clone')))

    def test_clone_kept_takes_no_stack(self):
        self.assertRaises(exceptions.CommandError, self.run_command,
                          snapshots.CloneSnapshot, '--kept', 'web', 's1',
                          '--name', 'x')
        self.assertEqual([], self.sent())

    def test_clone_a_bad_parameter(self):
        self.assertRaises(exceptions.CommandError, self.run_command,
                          snapshots.CloneSnapshot, 'web', 's1', '--name',
                          'x', '--parameter', 'size')
        self.assertEqual([], self.sent('POST'))

    def test_cancel(self):
        self.http.post(S1 + '/cancel', status_code=202)
        self.http.get(SNAPSHOTS + '/before-upgrade', status_code=404,
                      json=base.heat_error(404, 'NotFound', 'x'))
        self.http.get(SNAPSHOTS, json={'snapshots': [base.snapshot()]})
        self.run_command(snapshots.CancelSnapshot, 'web', 'before-upgrade')
        self.assertEqual(1, len(self.sent('POST', '/s1/cancel')))

    def test_resource_list(self):
        self.http.get(S1 + '/resources', json={'resources': [
            {'name': 'volume', 'status': 'COMPLETE', 'status_reason': 'ok',
             'artifact_id': 'b1', 'started_at': '2026-11-30T10:00:00Z',
             'finished_at': '2026-11-30T10:01:00Z', 'extra': 1}]})
        columns, rows = self.run_command(snapshots.ListSnapshotResources,
                                         'web', 's1')
        self.assertEqual(snapshots.RESOURCE_COLUMNS, columns)
        self.assertEqual([('volume', 'COMPLETE', 'ok', 'b1',
                           '2026-11-30T10:00:00Z', '2026-11-30T10:01:00Z')],
                         rows)
