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

"""A snapshot policy by tags beside a real Heat (heat_fixture.py).

The stacks live in Heat (``stack_driver = heat``): the policy's run asks
Heat's own stack list for the project's stacks carrying the tag, and
snapshots each through heat-snapshots' engine. A stack tagged in Heat
later (a stack update) is covered by the next run; a stack of another
project carrying the tag never is.

Printed to fd 2 as one figures line: the stacks tagged and not, the
snapshots each run made of each, and whether the stack tagged later was
covered.
"""

import os
import uuid

from heat_snapshots.tests.functional import clients
from heat_snapshots.tests.functional import heat_base
from heat_snapshots.tests.functional import waiters

TIMEOUT = 240
TAG = 'prod'
TEMPLATE = {
    'heat_template_version': '2018-08-31',
    'resources': {
        'secret': {'type': 'OS::Heat::RandomString',
                   'properties': {'length': 8}},
        'placeholder': {'type': 'OS::Heat::None'},
    },
}


class RealHeatTagPolicyTest(heat_base.RealHeatTestCase):

    def assertStatus(self, expected, response):
        self.assertEqual(expected, response.status_code,
                         '%s %s: %s' % (response.request.method,
                                        response.url, response.text))

    # --- Heat -------------------------------------------------------------

    def heat_stack(self, caller, prefix, tags=None):
        """A stack created in Heat by ``caller``: 'name/id'."""
        name = '%s-%s' % (prefix, uuid.uuid4().hex[:8])
        body = {'stack_name': name, 'template': TEMPLATE, 'parameters': {}}
        if tags:
            body['tags'] = tags
        response = caller.post('/stacks', body)
        self.assertStatus(201, response)
        stack = '%s/%s' % (name, response.json()['stack']['id'])
        self.addCleanup(self.delete_in_heat, caller, stack)
        self.wait_in_heat(caller, stack, 'CREATE_COMPLETE')
        return stack

    def wait_in_heat(self, caller, stack, status):
        """Heat answers 201 before the stack can be read (404 a moment)."""
        def check():
            response = caller.get('/stacks/%s' % stack)
            if response.status_code == 404:
                return False, 'not found yet'
            self.assertStatus(200, response)
            body = response.json()['stack']
            if body['stack_status'].endswith('_FAILED'):
                raise waiters.UnexpectedStatus('stack %s is %s: %s' % (
                    stack, body['stack_status'],
                    body['stack_status_reason']))
            return body['stack_status'] == status, body
        return waiters.wait_for(check, 'stack %s %s' % (stack, status),
                                timeout=TIMEOUT)

    def delete_in_heat(self, caller, stack):
        response = caller.delete('/stacks/%s' % stack)
        if response.status_code != 404:
            waiters.wait_for_stack_deleted(caller, stack, timeout=TIMEOUT)

    # --- heat-snapshots ---------------------------------------------------

    def run_policy(self, policy):
        response = self.ours.post('/snapshot_policies/%s/run' % policy['id'])
        self.assertStatus(202, response)
        run_id = response.json()['run']['id']

        def ended():
            response = self.ours.get('/snapshot_policies/%s/runs'
                                     % policy['id'])
            self.assertStatus(200, response)
            run = {r['id']: r for r in response.json()['runs']}[run_id]
            return run['status'] != 'IN_PROGRESS', run
        return waiters.wait_for(ended, 'run %s of policy %s' % (
            run_id, policy['id']), timeout=TIMEOUT)

    def snapshots(self, stack):
        response = self.ours.get('/stacks/%s/snapshots' % stack)
        self.assertStatus(200, response)
        return response.json()['snapshots']

    # --- the test ---------------------------------------------------------

    def test_tag_policy_covers_the_stacks_tagged_in_heat(self):
        tagged = [self.heat_stack(self.in_heat, 'tagged', TAG),
                  self.heat_stack(self.in_heat, 'tagged-web', TAG + ',web')]
        untagged = self.heat_stack(self.in_heat, 'untagged')
        other_project = clients.noauth_caller(
            self.heat.endpoint, 'hsh-other-%s' % uuid.uuid4().hex[:12],
            user='user-other')
        theirs = self.heat_stack(other_project, 'theirs', TAG)
        ids = {stack: stack.split('/')[1] for stack in
               tagged + [untagged, theirs]}

        response = self.ours.post('/snapshot_policies', {'policy': {
            'name': 'prod-policy', 'stacks': {'tags': [TAG]},
            'schedule': {'cron': '0 3 * * *', 'timezone': 'UTC'},
            'retention': {'keep_last': 5}, 'enabled': False}})
        self.assertStatus(201, response)
        policy = response.json()['policy']
        self.addCleanup(self.ours.delete,
                        '/snapshot_policies/%s' % policy['id'])

        run = self.run_policy(policy)
        self.assertEqual('COMPLETE', run['status'], run['reason'])
        self.assertEqual(sorted(ids[s] for s in tagged),
                         sorted(run['stacks']))
        self.assertEqual(2, len(run['snapshots']))
        per_tagged = set()
        for stack in tagged:
            snapshots = self.snapshots(stack)
            self.assertEqual(['COMPLETE'], [s['status'] for s in snapshots])
            self.assertIn(snapshots[0]['id'], run['snapshots'])
            per_tagged.add(len(snapshots))
        untagged_snapshots = len(self.snapshots(untagged))
        self.assertEqual(0, untagged_snapshots)
        other_project_covered = int(ids[theirs] in run['stacks'])

        # Tag the third stack in Heat (a PATCH update keeps the rest).
        response = self.in_heat.request('PATCH', '/stacks/%s' % untagged,
                                        {'tags': TAG})
        self.assertStatus(202, response)
        body = self.wait_in_heat(self.in_heat, untagged, 'UPDATE_COMPLETE')
        self.assertEqual([TAG], body['tags'])
        run = self.run_policy(policy)
        self.assertEqual('COMPLETE', run['status'], run['reason'])
        self.assertEqual(sorted(ids[s] for s in tagged + [untagged]),
                         sorted(run['stacks']))
        after = self.snapshots(untagged)
        self.assertEqual(['COMPLETE'], [s['status'] for s in after])
        covered_after_tagging = int(ids[untagged] in run['stacks'])
        for stack in tagged:
            self.assertEqual(2, len(self.snapshots(stack)))
        other_project_covered += int(ids[theirs] in run['stacks'])
        self.assertEqual(0, other_project_covered)

        line = ('heat-snapshots heat tag policy: tagged=%d untagged=%d '
                'snapshots_per_tagged_stack=%s untagged_snapshots=%d '
                'covered_after_tagging=%d other_project_covered=%d' % (
                    len(tagged), len([untagged]), ','.join(
                        str(n) for n in sorted(per_tagged)),
                    untagged_snapshots, covered_after_tagging,
                    other_project_covered))
        os.write(2, (line + '\n').encode())
