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

"""Snapshot policies on MariaDB and RabbitMQ with three engines.

The schedule runs every ten seconds: ``[snapshot_policies]
minute_seconds = 10`` (a testing-only option) makes each minute of the
cron clock ten real seconds, so ``* * * * *`` runs every ten seconds.

Asserted, and printed to fd 2 as one figures line: each scheduled run is
claimed by one engine and makes exactly one snapshot of each stack (no
duplicates across the three engines' logs); the policy's retention leaves
what ``retention.select_prunable`` predicts, the newest COMPLETE snapshot
and the manual snapshot; with every engine stopped for three periods, one
engine started again makes exactly one late run; snapshots of a policy
with ``keep_after_stack_delete`` outlive their stack, others do not.
"""

import collections
import datetime
import os
import re
import time

import fixtures

from heat_snapshots.common import retention
from heat_snapshots.tests.functional import base
from heat_snapshots.tests.functional import config
from heat_snapshots.tests.functional import deployment as hs_deployment
from heat_snapshots.tests.functional import faults
from heat_snapshots.tests.functional import waiters

NAME = 'mysql-policies'
ENGINES = 3
# Real seconds per minute of the schedule: the period of '* * * * *'.
PERIOD = 10
RUNS = 6
KEEP_LAST = 3

CLAIMED = re.compile(
    r'Engine (?P<engine>\S+) claimed run (?P<run>\S+) of snapshot policy '
    r'(?P<policy>\S+), scheduled at (?P<at>[^\n(]+?)( \(late\))?$', re.M)
MADE = re.compile(
    r'Run (?P<run>\S+) of snapshot policy (?P<policy>\S+): snapshot '
    r'(?P<snapshot>[0-9a-f-]{36}) of stack (?P<stack>[0-9a-f-]{36})')
TEMPLATE = base.template({
    'none': {'type': 'OS::Heat::None'},
    'value': {'type': 'OS::Heat::Value', 'properties': {'value': 'v'}},
})


# The whole test, seconds.
TEST_TIMEOUT = 900


class PolicyDeployment(faults.FaultDeployment):
    """Three engines whose schedules run every ten seconds."""

    name = NAME
    engines = ENGINES

    def _conf(self):
        conf = super()._conf()
        # Room for the retention to act before the per-stack limit does.
        conf['heat_snapshots']['max_snapshots_per_stack'] = 20
        # No engine is killed here: a loaded host must not make one look
        # dead to the others.
        conf['heat_snapshots'].update({'heartbeat_interval': 10,
                                       'engine_down_time': 60})
        conf['snapshot_policies'] = {
            'minute_seconds': PERIOD,
            'scheduler_interval': 0.5,
            'busy_retry_interval': 1,
        }
        return conf


hs_deployment.CLASSES.setdefault(NAME, PolicyDeployment)


def _time(text):
    return datetime.datetime.strptime(text, '%Y-%m-%dT%H:%M:%SZ').replace(
        tzinfo=datetime.timezone.utc)


class SnapshotPoliciesTest(base.FunctionalTest):

    deployment_name = NAME

    def setUp(self):
        if config.endpoint() or config.MYSQL not in config.deployments():
            self.skipTest('the policy tests run on a mysql deployment of '
                          'their own; HS_FUNCTIONAL_ENDPOINT or '
                          'HS_FUNCTIONAL_DEPLOYMENTS leaves mysql out')
        super().setUp()
        # Several scheduled periods, three periods of downtime and the
        # engines' restarts: longer than tox's OS_TEST_TIMEOUT.
        self.useFixture(fixtures.Timeout(TEST_TIMEOUT, gentle=True))
        self.deployment.start_engines()
        self.addCleanup(self.deployment.start_engines)
        self.figures = collections.OrderedDict()

    # --- the API ----------------------------------------------------------

    def create_policy(self, stacks, **more):
        body = {'name': self.unique_name('policy'),
                'stacks': {'ids': [s.split('/')[1] for s in stacks]},
                'schedule': {'cron': '* * * * *', 'timezone': 'UTC'},
                'retention': {'keep_last': KEEP_LAST},
                'enabled': True}
        body.update(more)
        response = self.caller.post('/snapshot_policies', {'policy': body})
        self.assertStatus(201, response)
        policy = response.json()['policy']
        self.addCleanup(self.caller.delete,
                        '/snapshot_policies/%s' % policy['id'])
        return policy

    def patch(self, policy, **changes):
        response = self.caller.request(
            'PATCH', '/snapshot_policies/%s' % policy['id'],
            {'policy': changes})
        self.assertStatus(200, response)
        return response.json()['policy']

    def runs(self, policy):
        response = self.caller.get('/snapshot_policies/%s/runs'
                                   % policy['id'])
        self.assertStatus(200, response)
        return response.json()['runs']

    def wait_runs(self, policy, check, what, timeout=120):
        def done():
            runs = self.runs(policy)
            return (check(runs) and all(r['status'] != 'IN_PROGRESS'
                                        for r in runs)), runs
        return waiters.wait_for(done, what, timeout=timeout)

    def project_snapshots(self, **query):
        path = '/snapshots'
        if query:
            path += '?' + '&'.join('%s=%s' % kv for kv in query.items())
        response = self.caller.get(path)
        self.assertStatus(200, response)
        return response.json()['snapshots']

    def engine_logs(self):
        text = []
        for process in self.deployment.engine_processes():
            with open(process.log_path, errors='replace') as f:
                text.append(f.read())
        return '\n'.join(text)

    # --- the scenario -----------------------------------------------------

    def test_scheduled_runs_retention_downtime_and_kept_snapshots(self):
        stacks = [self.create_stack(TEMPLATE) for _ in range(2)]
        manual = self.snapshot(stacks[0], name='manual')
        policy = self.create_policy(stacks)
        self.assertEqual(3, len(policy['next_runs']))
        first, second = (_time(t) for t in policy['next_runs'][:2])
        self.assertEqual(PERIOD, (second - first).total_seconds())

        runs = self.wait_runs(
            policy, lambda runs: len([r for r in runs
                                      if r['status'] == 'COMPLETE'])
            >= RUNS, '%d scheduled runs' % RUNS,
            timeout=RUNS * PERIOD * 4)
        self.patch(policy, enabled=False)
        runs = self.wait_runs(policy, lambda runs: True, 'runs ended')
        self.check_runs(policy, stacks, runs)
        self.check_retention(policy, stacks, runs, manual)
        self.check_downtime(policy)
        self.check_kept_after_stack_delete()
        # A figure whose value is None is a statement (a==b).
        line = 'policy-suite: ' + ' '.join(
            key if value is None else '%s=%s' % (key, value)
            for key, value in self.figures.items())
        os.write(2, (line + '\n').encode())

    def check_runs(self, policy, stacks, runs):
        scheduled = [r for r in runs if not r['manual']]
        self.assertGreaterEqual(len(scheduled), RUNS)
        self.assertEqual({'COMPLETE'}, {r['status'] for r in scheduled},
                         [r['reason'] for r in scheduled])
        logs = self.engine_logs()
        claims = collections.Counter(
            m.group('at') for m in CLAIMED.finditer(logs)
            if m.group('policy') == policy['id'])
        self.assertEqual(len(scheduled), len(claims))
        self.assertEqual({1}, set(claims.values()), claims)
        engines = {m.group('engine') for m in CLAIMED.finditer(logs)
                   if m.group('policy') == policy['id']}
        made = collections.Counter(
            (m.group('run'), m.group('stack')) for m in MADE.finditer(logs)
            if m.group('policy') == policy['id'])
        stack_ids = {s.split('/')[1] for s in stacks}
        expected = {(r['id'], s) for r in scheduled for s in stack_ids}
        self.assertEqual(expected, set(made))
        self.assertEqual({1}, set(made.values()), made)
        for run in scheduled:
            self.assertEqual(sorted(stack_ids), sorted(run['stacks']))
            self.assertEqual(len(stack_ids), len(run['snapshots']))
        self.figures['scheduled_runs'] = len(scheduled)
        self.figures['engines_claiming'] = len(engines)
        self.figures['snapshots_per_run_per_stack'] = max(made.values())
        self.figures['duplicates'] = sum(n - 1 for n in made.values())

    def check_retention(self, policy, stacks, runs, manual):
        """What is left equals select_prunable's prediction."""
        now = datetime.datetime.now(datetime.timezone.utc)
        left = {s['id']: s for s in self.project_snapshots()}
        run_times = {r['id']: _time(r['created_at']) for r in runs}
        made = [(m.group('snapshot'), m.group('run'), m.group('stack'))
                for m in MADE.finditer(self.engine_logs())
                if m.group('policy') == policy['id']]
        ok = True
        newest_lost = 0
        for stack in stacks:
            stack_id = stack.split('/')[1]
            # Every snapshot the policy made of the stack, pruned or not.
            mine = [retention.Snapshot(snapshot_id, run_times[run_id],
                                       'COMPLETE')
                    for snapshot_id, run_id, made_of in made
                    if made_of == stack_id]
            pruned = set(retention.select_prunable(
                mine, policy['retention'], now))
            predicted = {s.id for s in mine} - pruned
            actual = {i for i, s in left.items()
                      if s['policy_id'] == policy['id'] and
                      s['stack_id'] == stack_id}
            ok = ok and predicted == actual
            self.assertEqual(predicted, actual)
            self.assertEqual(KEEP_LAST, len(actual))
            newest = max(mine, key=lambda s: s.created_at)
            if newest.id not in left:
                newest_lost += 1
        self.assertIn(manual['id'], left)
        self.assertEqual('COMPLETE', left[manual['id']]['status'])
        self.assertIsNone(left[manual['id']]['policy_id'])
        self.figures['retained_predicted%sactual' % (
            '==' if ok else '!=')] = None
        self.figures['newest_complete_lost'] = newest_lost
        self.figures['manual_untouched'] = 1

    def check_downtime(self, policy):
        """Every engine down for three periods: one late run on return."""
        self.patch(policy, enabled=True)
        for process in self.deployment.engine_processes():
            self.deployment.stop_engine(process.name)
        # Runs that were going on ended with the graceful stops; with no
        # engine the API answers nothing. Runs created from now on are
        # the returning engine's (times are whole seconds).
        stopped_at = datetime.datetime.now(datetime.timezone.utc)
        time.sleep(3.5 * PERIOD + 1)
        name = self.deployment.engine_processes()[0].name
        self.deployment.start_engine(name)

        def after(runs):
            return [r for r in runs if _time(r['created_at']) > stopped_at]
        self.wait_runs(policy, lambda runs: bool(after(runs)),
                       'the run after the downtime', timeout=90)
        self.patch(policy, enabled=False)
        new = after(self.wait_runs(policy, lambda runs: True, 'runs ended'))
        late_runs = [r for r in new if r['late']]
        self.assertEqual(1, len(late_runs), new)
        # The first run after the downtime is the late one.
        self.assertEqual(late_runs[0]['id'], new[-1]['id'])
        self.assertEqual('COMPLETE', late_runs[0]['status'],
                         late_runs[0]['reason'])
        self.figures['late_runs'] = len(late_runs)
        self.deployment.start_engines()

    def check_kept_after_stack_delete(self):
        kept_stack, plain_stack = (self.create_stack(TEMPLATE)
                                   for _ in range(2))
        kept = self.create_policy([kept_stack], enabled=False,
                                  keep_after_stack_delete=True)
        plain = self.create_policy([plain_stack], enabled=False)
        made = {}
        for policy in (kept, plain):
            response = self.caller.post('/snapshot_policies/%s/run'
                                        % policy['id'])
            self.assertStatus(202, response)
            self.assertEqual('IN_PROGRESS',
                             response.json()['run']['status'])
            runs = self.wait_runs(policy, lambda runs: bool(runs),
                                  'the run asked for')
            self.assertEqual('COMPLETE', runs[0]['status'],
                             runs[0]['reason'])
            made[policy['id']] = runs[0]['snapshots'][0]
        self.delete_stack(kept_stack)
        self.delete_stack(plain_stack)
        left = {s['id']: s for s in self.project_snapshots()}
        self.assertIn(made[kept['id']], left)
        self.assertTrue(left[made[kept['id']]]['stack_deleted'])
        self.assertNotIn(made[plain['id']], left)
        self.figures['kept_after_stack_delete'] = 1
        self.figures['default_deleted_with_stack'] = 1
        response = self.caller.delete('/snapshots/%s' % made[kept['id']])
        self.assertStatus(204, response)
        waiters.wait_for(lambda: (made[kept['id']] not in {
            s['id'] for s in self.project_snapshots()}, None), 'kept delete')
