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

"""The snapshot policy endpoints, through the whole stack."""

import fixtures

from heat_snapshots.tests.unit.api import api_fixture
from heat_snapshots.tests.unit.api import base

PROJECT = api_fixture.PROJECT
POLICY_KEYS = {'id', 'name', 'stacks', 'schedule', 'retention',
               'keep_after_stack_delete', 'enabled', 'next_runs',
               'last_scheduled', 'created_at', 'updated_at'}


def definition(stack_ids=None, tags=None, **more):
    policy = {
        'name': 'nightly',
        'stacks': {'tags': tags} if tags else {'ids': stack_ids},
        'schedule': {'cron': '0 2 * * *', 'timezone': 'Europe/Paris'},
        'retention': {'keep_last': 3, 'keep_daily': 7, 'keep_weekly': 4},
        'keep_after_stack_delete': False,
        'enabled': True,
    }
    policy.update(more)
    return {'policy': policy}


class PolicyTestCase(base.APITestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.MonkeyPatch(
            'heat_snapshots.engine.policies.POLL_INTERVAL', 0.02))
        self.url = '/v1/%s/snapshot_policies' % PROJECT
        self.stack = self.create_stack()

    def create_policy(self, body=None, status=201, **kwargs):
        if body is None:
            body = definition([self.stack['id']])
        return self.post_json(self.url, body, status=status, **kwargs)

    def run_now(self, policy_id):
        run = self.post_json('%s/%s/run' % (self.url, policy_id), {},
                             status=202).json['run']

        def ended():
            runs = self.get('%s/%s/runs' % (self.url, policy_id)).json[
                'runs']
            found = [r for r in runs if r['id'] == run['id']]
            if found and found[0]['status'] != 'IN_PROGRESS':
                return found[0]
        return api_fixture.wait_for(ended, what='policy run')


class CreateTest(PolicyTestCase):

    def test_create_answers_201_with_the_policy_and_its_next_runs(self):
        body = self.create_policy().json
        policy = body['policy']
        self.assertEqual(POLICY_KEYS, set(policy))
        self.assertEqual('nightly', policy['name'])
        self.assertEqual({'ids': [self.stack['id']]}, policy['stacks'])
        self.assertEqual({'cron': '0 2 * * *', 'timezone': 'Europe/Paris'},
                         policy['schedule'])
        self.assertEqual({'keep_last': 3, 'keep_daily': 7, 'keep_weekly': 4},
                         policy['retention'])
        self.assertEqual(3, len(policy['next_runs']))
        # 02:00 in Paris is 01:00 or 00:00 UTC.
        for when in policy['next_runs']:
            self.assertRegex(when, r'^\d{4}-\d\d-\d\dT0[01]:00:00Z$')
        self.assertEqual(sorted(policy['next_runs']), policy['next_runs'])

    def test_shown_listed_and_isolated_by_project(self):
        policy = self.create_policy().json['policy']
        shown = self.get('%s/%s' % (self.url, policy['id'])).json['policy']
        self.assertEqual(policy['id'], shown['id'])
        listed = self.get(self.url).json['policies']
        self.assertEqual([policy['id']], [p['id'] for p in listed])
        other = api_fixture.headers(project='other-project')
        self.assertEqual([], self.get('/v1/other-project/snapshot_policies',
                                      headers=other).json['policies'])
        response = self.get('/v1/other-project/snapshot_policies/%s'
                            % policy['id'], status=None, headers=other)
        self.assertFault(response, 404, 'PolicyNotFound')
        # Another project's URL is refused outright.
        response = self.get('/v1/other-project/snapshot_policies',
                            status=None)
        self.assertEqual(403, response.status_int)

    def test_a_tag_policy(self):
        policy = self.create_policy(definition(tags=['prod'])).json['policy']
        self.assertEqual({'tags': ['prod']}, policy['stacks'])

    def test_bad_bodies_are_clean_400s(self):
        cases = [
            ({}, 'Invalid request body'),
            (definition([self.stack['id']], name=''),
             'Invalid policy name: shorter than 1 characters.'),
            ({'policy': {'name': 'x', 'stacks': {'ids': ['a'], 'tags': ['b']},
                         'schedule': {'cron': '* * * * *'}}},
             'Invalid policy stacks'),
            (definition([self.stack['id']], retention={'keep_last': -1}),
             'Invalid retention keep_last'),
            (definition([self.stack['id']], retention={'keep_forever': 1}),
             'Invalid policy retention'),
        ]
        for body, message in cases:
            response = self.create_policy(body, status=None)
            fault = self.assertFault(response, 400, 'HTTPBadRequest')
            self.assertIn(message, fault['error']['message'])

    def test_bad_schedule_is_a_400(self):
        for schedule in ({'cron': 'not a cron'},
                         {'cron': '0 2 * * *', 'timezone': 'Mars/Olympus'}):
            response = self.create_policy(
                definition([self.stack['id']], schedule=schedule),
                status=None)
            self.assertFault(response, 400, 'InvalidSchedule')

    def test_unknown_stack_is_a_404(self):
        response = self.create_policy(definition(['no-such-stack']),
                                      status=None)
        self.assertFault(response, 404, 'EntityNotFound',
                         'The Stack (no-such-stack) could not be found.')

    def test_quota_on_policies_per_project(self):
        self.flags(max_policies_per_project=2, group='snapshot_policies')
        self.create_policy()
        self.create_policy()
        response = self.create_policy(status=None)
        fault = self.assertFault(response, 400, 'RequestLimitExceeded')
        self.assertIn('maximum snapshot policies per project, 2',
                      fault['error']['message'])

    def test_reader_cannot_create(self):
        response = self.create_policy(
            status=None, headers=api_fixture.headers(roles=['reader']))
        self.assertFault(response, 403, 'Forbidden')


class UpdateDeleteTest(PolicyTestCase):

    def test_patch_changes_only_what_is_given(self):
        policy = self.create_policy().json['policy']
        url = '%s/%s' % (self.url, policy['id'])
        patched = self.post_json(url, {'policy': {
            'enabled': False, 'schedule': {'cron': '0 * * * *'}}},
            method='PATCH').json['policy']
        self.assertFalse(patched['enabled'])
        self.assertEqual([], patched['next_runs'])
        self.assertEqual({'cron': '0 * * * *', 'timezone': 'UTC'},
                         patched['schedule'])
        self.assertEqual(policy['retention'], patched['retention'])
        self.assertEqual(patched, self.get(url).json['policy'])
        response = self.post_json(url, {'policy': {}}, method='PATCH',
                                  status=None)
        self.assertFault(response, 400, 'HTTPBadRequest')

    def test_delete(self):
        policy = self.create_policy().json['policy']
        url = '%s/%s' % (self.url, policy['id'])
        self.request('DELETE', url, status=204)
        self.assertFault(self.get(url, status=None), 404, 'PolicyNotFound')
        self.assertFault(self.request('DELETE', url), 404, 'PolicyNotFound')


class RunTest(PolicyTestCase):

    def test_run_now_snapshots_the_stack_and_records_the_run(self):
        policy = self.create_policy().json['policy']
        run = self.run_now(policy['id'])
        self.assertEqual('COMPLETE', run['status'], run['reason'])
        self.assertEqual([self.stack['id']], run['stacks'])
        self.assertEqual(1, len(run['snapshots']))
        self.assertTrue(run['manual'])
        snapshot = self.show_snapshot(self.stack, run['snapshots'][0])
        self.assertEqual('COMPLETE', snapshot['status'])
        self.assertTrue(snapshot['name'].startswith('nightly '))
        # The project-wide list shows which policy made it.
        listed = self.get('/v1/%s/snapshots' % PROJECT).json['snapshots']
        self.assertEqual([(run['snapshots'][0], policy['id'], False)],
                         [(s['id'], s['policy_id'], s['stack_deleted'])
                          for s in listed])

    def test_runs_prune_only_their_own_snapshots_and_keep_the_newest(self):
        manual = self.snapshot(self.stack, name='manual')
        policy = self.create_policy(definition(
            [self.stack['id']], retention={'keep_last': 1})).json['policy']
        first = self.run_now(policy['id'])
        preview = self.get('%s/%s/prune_preview' % (self.url, policy['id']))
        self.assertEqual([{'stack_id': self.stack['id'], 'snapshots': []}],
                         preview.json['prune_preview'])
        second = self.run_now(policy['id'])
        self.assertEqual('COMPLETE', second['status'], second['reason'])
        self.assertEqual(first['snapshots'], second['pruned'])
        ids = [s['id'] for s in self.get(self.snapshots_url(
            self.stack)).json['snapshots']]
        self.assertEqual(sorted([manual['id']] + second['snapshots']),
                         sorted(ids))
        runs = self.get('%s/%s/runs' % (self.url, policy['id'])).json['runs']
        self.assertEqual([second['id'], first['id']],
                         [r['id'] for r in runs])

    def test_a_tag_policy_runs_on_the_stacks_tagged_when_it_runs(self):
        policy = self.create_policy(definition(tags=['prod'])).json['policy']
        run = self.run_now(policy['id'])
        self.assertEqual(('COMPLETE', [], 'No stack matches the policy'),
                         (run['status'], run['stacks'], run['reason']))
        tagged = []
        for name, tags in (('web', 'prod,web'), ('db', 'prod'),
                           ('dev', 'dev')):
            response = self.post_json(self.stacks_url(), {
                'stack_name': name, 'template': base.SIMPLE, 'tags': tags},
                status=201)
            stack = {'stack_name': name, 'id': response.json['stack']['id']}
            self.wait_for_stack(stack, 'CREATE_COMPLETE')
            if 'prod' in tags:
                tagged.append(stack['id'])
        run = self.run_now(policy['id'])
        self.assertEqual('COMPLETE', run['status'], run['reason'])
        self.assertEqual(sorted(tagged), sorted(run['stacks']))
        self.assertEqual(2, len(run['snapshots']))

    def test_a_busy_stack_is_skipped_with_the_reason(self):
        self.flags(busy_retry_interval=0.1, group='snapshot_policies')
        slow = self.create_stack('slow', base.slow_snapshot(3))
        self.snapshot(slow, wait=False)
        policy = self.create_policy(definition([slow['id']])).json['policy']
        self.useFixture(fixtures.MonkeyPatch(
            'heat_snapshots.engine.policies.PolicyScheduler.deadline',
            lambda *args: 0))
        run = self.run_now(policy['id'])
        self.assertEqual('SKIPPED', run['status'])
        self.assertEqual([slow['id']], [s['stack_id'] for s in run['skipped']])
        self.assertIn('already has an action (SNAPSHOT) in progress',
                      run['reason'])

    def test_at_the_snapshot_limit_without_prunable_it_fails(self):
        self.flags(max_snapshots_per_stack=1, group='heat_snapshots')
        self.snapshot(self.stack, name='manual')
        policy = self.create_policy().json['policy']
        run = self.run_now(policy['id'])
        self.assertEqual('FAILED', run['status'])
        self.assertIn('max_snapshots_per_stack (1)', run['reason'])
