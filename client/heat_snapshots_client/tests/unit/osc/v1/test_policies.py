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

from heat_snapshots_client import client
from heat_snapshots_client.osc.v1 import policies
from heat_snapshots_client.tests.unit import base
from heat_snapshots_client.tests.unit.base import API
from heat_snapshots_client.tests.unit.base import STACK_ID

POLICIES = API + '/snapshot_policies'
NIGHTLY = {
    'id': 'p1', 'name': 'nightly', 'stacks': {'ids': [STACK_ID]},
    'schedule': {'cron': '0 2 * * *', 'timezone': 'Europe/Paris'},
    'retention': {'keep_last': 3, 'keep_daily': 7},
    'keep_after_stack_delete': False, 'enabled': True,
    'next_runs': ['2026-12-01T01:00:00Z', '2026-12-02T01:00:00Z',
                  '2026-12-03T01:00:00Z'],
    'created_at': '2026-11-30T10:00:00Z'}


def _shown(result):
    columns, values = result
    return {c: (v.machine_readable() if hasattr(v, 'machine_readable')
                else v) for c, v in zip(columns, values)}


class DurationTest(base.TestCase):

    def test_durations(self):
        self.assertEqual([3600, 5400, 43200, 604800, 2419200, 30],
                         [policies.duration(text) for text in
                          ('3600', '90m', '12h', '7d', '4w', '30s')])
        self.assertRaises(ValueError, policies.duration, '7 days')
        self.assertRaises(ValueError, policies.count, '-1')


class CreateTest(base.TestCase):

    def test_on_stacks_by_name_with_retention(self):
        self.stack_lookup()
        self.stack_lookup('db', 'db-id')
        self.http.post(POLICIES, status_code=201, json={'policy': NIGHTLY})
        shown = _shown(self.run_command(
            policies.CreatePolicy, 'nightly', '--cron', '0 2 * * *',
            '--timezone', 'Europe/Paris', '--stack', 'web', '--stack', 'db',
            '--keep-last', '3', '--keep-daily', '7', '--max-age', '30d',
            '--keep-after-stack-delete'))
        self.assertEqual({'policy': {
            'name': 'nightly', 'stacks': {'ids': [STACK_ID, 'db-id']},
            'schedule': {'cron': '0 2 * * *', 'timezone': 'Europe/Paris'},
            'retention': {'keep_last': 3, 'keep_daily': 7,
                          'max_age': 2592000},
            'keep_after_stack_delete': True, 'enabled': True}},
            self.http.last_request.json())
        self.assertEqual(list(policies.POLICY_COLUMNS), list(shown))
        self.assertEqual(NIGHTLY['next_runs'], shown['next_runs'])
        self.assertEqual(NIGHTLY['schedule'], shown['schedule'])

    def test_on_tags_disabled(self):
        self.http.post(POLICIES, status_code=201, json={'policy': NIGHTLY})
        self.run_command(policies.CreatePolicy, 'tagged', '--cron',
                         '0 3 * * *', '--tag', 'prod', '--tag', 'eu',
                         '--disable')
        body = self.http.last_request.json()['policy']
        self.assertEqual(({'tags': ['prod', 'eu']}, 'UTC', {}, False),
                         (body['stacks'], body['schedule']['timezone'],
                          body['retention'], body['enabled']))

    def test_stacks_or_tags_are_needed_not_both(self):
        parser = policies.CreatePolicy(self.app, None).get_parser('x')
        for argv in (['n', '--cron', '* * * * *'],
                     ['n', '--cron', '* * * * *', '--stack', 'a', '--tag',
                      'b']):
            self.assertRaises(SystemExit, parser.parse_args, argv)

    def test_the_servers_refusal(self):
        self.http.post(POLICIES, status_code=400, json=base.heat_error(
            400, 'InvalidSchedule', 'The schedule is invalid: unknown time '
            "zone 'Mars'"))
        error = self.assertRaises(
            client.HTTPError, self.run_command, policies.CreatePolicy, 'n',
            '--cron', '0 2 * * *', '--timezone', 'Mars', '--tag', 'x')
        self.assertIn("InvalidSchedule: The schedule is invalid: unknown "
                      "time zone 'Mars'", str(error))


class SetTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.http.get(POLICIES + '/p1', json={'policy': NIGHTLY})
        self.http.patch(POLICIES + '/p1', json={'policy': NIGHTLY})

    def patched(self, *argv):
        self.run_command(policies.SetPolicy, 'p1', *argv)
        return self.http.last_request.json()['policy']

    def test_only_what_is_given(self):
        self.assertEqual({'enabled': False}, self.patched('--disable'))
        self.assertEqual({'name': 'n2', 'keep_after_stack_delete': False},
                         self.patched('--name', 'n2',
                                      '--no-keep-after-stack-delete'))

    def test_the_schedule_keeps_its_other_half(self):
        self.assertEqual(
            {'schedule': {'cron': '0 4 * * *', 'timezone': 'Europe/Paris'}},
            self.patched('--cron', '0 4 * * *'))
        self.assertEqual(
            {'schedule': {'cron': '0 2 * * *', 'timezone': 'UTC'}},
            self.patched('--timezone', 'UTC'))

    def test_retention_rules_merge_or_clear(self):
        self.assertEqual(
            {'retention': {'keep_last': 3, 'keep_daily': 14,
                           'keep_monthly': 6}},
            self.patched('--keep-daily', '14', '--keep-monthly', '6'))
        self.assertEqual({'retention': {'keep_weekly': 4}},
                         self.patched('--clear-retention',
                                      '--keep-weekly', '4'))
        self.assertEqual({'retention': {}},
                         self.patched('--clear-retention'))

    def test_targets(self):
        self.assertEqual({'stacks': {'tags': ['prod']}},
                         self.patched('--tag', 'prod'))
        self.stack_lookup()
        self.assertEqual({'stacks': {'ids': [STACK_ID]}},
                         self.patched('--stack', 'web'))

    def test_nothing_to_change(self):
        self.assertRaises(exceptions.CommandError, self.run_command,
                          policies.SetPolicy, 'p1')
        self.assertEqual([], self.sent('PATCH'))


class ListShowDeleteTest(base.TestCase):

    def test_list(self):
        self.http.get(POLICIES, json={'policies': [
            NIGHTLY, {'id': 'p2', 'name': 'new', 'enabled': False,
                      'schedule': {'cron': '0 3 * * *', 'timezone': 'UTC'}}]})
        columns, rows = self.run_command(policies.ListPolicies)
        self.assertEqual(('id', 'name', 'enabled', 'schedule', 'next_run'),
                         columns)
        self.assertEqual(
            [('p1', 'nightly', True, '0 2 * * * (Europe/Paris)',
              '2026-12-01T01:00:00Z'),
             ('p2', 'new', False, '0 3 * * * (UTC)', None)], rows)

    def test_show_by_name(self):
        self.http.get(POLICIES + '/nightly', status_code=404,
                      json=base.heat_error(404, 'EntityNotFound', 'x'))
        self.http.get(POLICIES, json={'policies': [NIGHTLY]})
        self.http.get(POLICIES + '/p1', json={'policy': NIGHTLY})
        shown = _shown(self.run_command(policies.ShowPolicy, 'nightly'))
        self.assertEqual('p1', shown['id'])

    def test_delete_several_and_tell_the_failures(self):
        for name in ('p1', 'p2'):
            self.http.get(POLICIES + '/' + name,
                          json={'policy': {'id': name}})
        self.http.delete(POLICIES + '/p1', status_code=204)
        self.http.delete(POLICIES + '/p2', status_code=409,
                         json=base.heat_error(409, 'Conflict', 'running'))
        error = self.assertRaises(exceptions.CommandError, self.run_command,
                                  policies.DeletePolicy, 'p1', 'p2')
        self.assertEqual('Unable to delete 1 of 2 policies:\n'
                         'p2: HTTP 409 Conflict: running', str(error))
        self.assertEqual(2, len(self.sent('DELETE')))


class RunTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.http.get(POLICIES + '/p1', json={'policy': NIGHTLY})

    def test_run(self):
        self.http.post(POLICIES + '/p1/run', status_code=202, json={
            'run': {'id': 'r1', 'status': 'IN_PROGRESS', 'snapshots': [],
                    'pruned': [], 'reason': None}})
        shown = _shown(self.run_command(policies.RunPolicy, 'p1'))
        self.assertEqual(['id', 'status', 'snapshots', 'pruned', 'reason'],
                         list(shown))
        self.assertEqual('IN_PROGRESS', shown['status'])

    def test_run_list(self):
        self.http.get(POLICIES + '/p1/runs', json={'runs': [
            {'id': 'r2', 'status': 'SKIPPED', 'snapshots': [], 'pruned': [],
             'reason': 'stack busy'},
            {'id': 'r1', 'status': 'COMPLETE', 'snapshots': [
                {'stack_id': STACK_ID, 'snapshot_id': 's1'}],
             'pruned': ['s0'], 'reason': None, 'late': True}]})
        columns, rows = self.run_command(policies.ListRuns, 'p1')
        self.assertEqual(('id', 'status', 'snapshots', 'pruned', 'reason',
                          'late'), columns)
        self.assertEqual(['r2', 'r1'], [row[0] for row in rows])
        self.assertEqual(['s0'], rows[1][3].machine_readable())
        self.assertIsNone(rows[0][5])
