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

"""Snapshot policies in the engine: claims, late runs, retention."""

import datetime
import threading
from urllib import parse

import fixtures
from oslo_messaging import conffixture
from oslo_messaging.notify import _impl_test
from requests_mock.contrib import fixture as rm_fixture

from heat_snapshots.common import context as hs_context
from heat_snapshots.common import exception
from heat_snapshots.common import notifications
from heat_snapshots.common import states
from heat_snapshots import conf
from heat_snapshots.db import api as db_api
from heat_snapshots.engine import manager
from heat_snapshots.engine import policies
from heat_snapshots.localstack import db_api as store_db
from heat_snapshots.tests import base
from heat_snapshots.tests import engine_fixture as ef
from heat_snapshots.tests.unit.engine import base as engine_base

CONF = conf.CONF

STACK = engine_base.template({
    'first': {'type': 'OS::Heat::TestResource'},
    'random': {'type': 'OS::Heat::RandomString'},
})


def definition(stack_ids, cron='* * * * *', **more):
    policy = {'name': 'every-minute', 'stacks': {'ids': stack_ids},
              'schedule': {'cron': cron, 'timezone': 'UTC'},
              'retention': {'keep_last': 2}}
    policy.update(more)
    return policy


class PolicyEngineTestCase(engine_base.EngineTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.MonkeyPatch(
            'heat_snapshots.engine.policies.POLL_INTERVAL', 0.02))
        self.admin = hs_context.get_admin_context()
        self.identity = self.create_stack(STACK)
        self.stack_id = self.identity['stack_id']

    def create_policy(self, **more):
        return self.engine.create_snapshot_policy(
            self.ctx, self.ctx.project_id,
            definition([self.stack_id], **more))

    def missed(self, policy_id, minutes):
        """Make as if the policy's last run was ``minutes`` ago."""
        now = db_api.db_utcnow(self.admin).replace(second=0, microsecond=0)
        db_api.policy_update(self.admin, policy_id, {
            'last_scheduled': now - datetime.timedelta(minutes=minutes),
            'next_due': now - datetime.timedelta(minutes=minutes - 1)})
        return now

    def wait_runs_ended(self, policy_id):
        def ended():
            runs = db_api.run_list(self.admin, policy_id)
            if all(r.status != states.IN_PROGRESS for r in runs):
                return runs
        return ef.wait_for(ended, what='policy runs')


class ClaimTest(PolicyEngineTestCase):

    def test_three_engines_claim_a_due_run_exactly_once(self):
        policy = self.create_policy()
        self.missed(policy['id'], 1)
        others = [manager.EngineManager(CONF) for _ in range(2)]
        self.addCleanup(lambda: [o.policies.stop() for o in others])
        schedulers = [self.engine._target.policies] + [
            o.policies for o in others]
        claimed = []
        barrier = threading.Barrier(len(schedulers))

        def tick(scheduler):
            barrier.wait()
            claimed.extend(scheduler.tick())
        threads = [threading.Thread(target=tick, args=(s,))
                   for s in schedulers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(1, len(claimed))
        runs = self.wait_runs_ended(policy['id'])
        self.assertEqual([states.COMPLETE], [r.status for r in runs])
        self.assertFalse(runs[0].late)
        self.assertEqual(1, len(db_api.snapshot_list_by_policy(
            self.admin, policy['id'])))
        # Claimed: nothing is due any more, on any engine.
        self.assertEqual([], [r for s in schedulers for r in s.tick()])

    def test_runs_missed_while_engines_were_down_run_once_late(self):
        policy = self.create_policy()
        now = self.missed(policy['id'], 3)
        scheduler = self.engine._target.policies
        runs = scheduler.tick()
        self.assertEqual(1, len(runs))
        self.assertTrue(runs[0].late)
        self.assertLessEqual(now, runs[0].scheduled_at)
        self.assertEqual([], scheduler.tick())
        ended = self.wait_runs_ended(policy['id'])
        self.assertEqual(1, len(ended))
        shown = self.engine.list_policy_runs(self.ctx, self.ctx.project_id,
                                             policy['id'])
        self.assertTrue(shown[0]['late'])
        self.assertFalse(shown[0]['manual'])

    def test_a_disabled_policy_is_not_run(self):
        policy = self.create_policy(enabled=False)
        self.missed(policy['id'], 2)
        self.assertEqual([], self.engine._target.policies.tick())

    def test_runs_of_a_dead_engine_end_failed(self):
        policy = self.create_policy()
        run = db_api.run_create(self.admin, {
            'policy_id': policy['id'], 'project_id': self.ctx.project_id,
            'status': states.IN_PROGRESS, 'engine_id': 'dead-engine'})
        self.engine._target.policies.end_runs_of_dead_engines()
        run = db_api.run_get(self.admin, run.id)
        self.assertEqual((states.FAILED, states.RUN_ENGINE_DOWN_REASON),
                         (run.status, run.reason))


class RetentionTest(PolicyEngineTestCase):

    def run_now(self, policy):
        run = self.engine.run_snapshot_policy(self.ctx, self.ctx.project_id,
                                              policy['id'])
        self.wait_runs_ended(policy['id'])
        return db_api.run_get(self.admin, run['id'])

    def retain(self, policy, rules):
        return self.engine.update_snapshot_policy(
            self.ctx, self.ctx.project_id, policy['id'],
            {'retention': rules})

    def test_at_the_limit_the_policy_prunes_before_it_snapshots(self):
        self.flags(max_snapshots_per_stack=3, group='heat_snapshots')
        policy = self.create_policy(retention={'keep_last': 5})
        manual = self.snapshot(self.identity, 'manual')
        first = self.run_now(policy)
        second = self.run_now(policy)
        self.retain(policy, {'keep_last': 1})
        third = self.run_now(policy)
        self.assertEqual(states.COMPLETE, third.status, third.reason)
        # The first before the snapshot (at the limit), the second after.
        self.assertEqual(first.snapshots + second.snapshots, third.pruned)
        left = {s.id for s in db_api.snapshot_list_by_stack(
            self.admin, self.stack_id)}
        self.assertEqual({manual['id']} | set(third.snapshots), left)

    def test_at_the_limit_with_nothing_prunable_the_run_fails(self):
        self.flags(max_snapshots_per_stack=2, group='heat_snapshots')
        policy = self.create_policy(retention={'keep_last': 1})
        self.snapshot(self.identity, 'manual')
        first = self.run_now(policy)
        second = self.run_now(policy)
        self.assertEqual(states.COMPLETE, first.status, first.reason)
        # Its one snapshot is the newest COMPLETE: never pruned.
        self.assertEqual(states.FAILED, second.status)
        self.assertIn('max_snapshots_per_stack (2)', second.reason)
        self.assertEqual([{'stack_id': self.stack_id,
                           'reason': second.failed[0]['reason']}],
                         second.failed)

    def test_another_policys_snapshots_are_never_pruned(self):
        mine = self.create_policy(retention={'keep_last': 1})
        other = self.create_policy(retention={'keep_last': 5})
        theirs = self.run_now(other)
        self.run_now(mine)
        last = self.run_now(mine)
        ids = {s.id for s in db_api.snapshot_list_by_stack(
            self.admin, self.stack_id)}
        self.assertEqual(set(theirs.snapshots) | set(last.snapshots), ids)

    def test_a_snapshot_read_by_a_restore_is_not_pruned(self):
        policy = self.create_policy(retention={'keep_last': 5})
        first = self.run_now(policy)
        self.run_now(policy)
        self.retain(policy, {'keep_last': 1})
        scheduler = self.engine._target.policies
        stored = db_api.policy_get(self.admin, policy['id'])
        # A restore of the first snapshot holds the stack meanwhile.
        generation = db_api.stack_lock_acquire(
            self.admin, self.stack_id, 'another-engine', states.RESTORE,
            snapshot_id=first.snapshots[0],
            project_id=self.ctx.project_id)
        self.assertEqual([], scheduler.prune(self.ctx, stored,
                                             self.stack_id))
        self.assertIsNotNone(db_api.snapshot_get(self.admin,
                                                 first.snapshots[0]))
        db_api.stack_lock_release(self.admin, self.stack_id,
                                  'another-engine', generation)
        self.assertEqual(first.snapshots, scheduler.prune(
            self.ctx, stored, self.stack_id))


def tag_definition(tags, **more):
    policy = definition([], **more)
    policy['stacks'] = {'tags': tags}
    return policy


class TagPolicyTest(engine_base.EngineTestCase):
    """A policy by tags with the local stack driver."""

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.MonkeyPatch(
            'heat_snapshots.engine.policies.POLL_INTERVAL', 0.02))
        self.admin = hs_context.get_admin_context()

    def tagged_stack(self, name, tags, ctx=None):
        ctx = ctx or self.ctx
        identity = self.engine.create_stack(ctx, name, STACK, {}, {}, {},
                                            {'tags': tags})
        ef.wait_for_stack(self.engine, ctx, identity, 'CREATE_COMPLETE')
        return identity['stack_id']

    def run_now(self, policy):
        run = self.engine.run_snapshot_policy(self.ctx, self.ctx.project_id,
                                              policy['id'])

        def ended():
            found = db_api.run_get(self.admin, run['id'])
            if found.status != states.IN_PROGRESS:
                return found
        return ef.wait_for(ended, what='policy run')

    def test_the_stacks_carrying_a_tag_when_the_policy_runs(self):
        web = self.tagged_stack('web', ['prod', 'web'])
        db = self.tagged_stack('db', ['db'])
        self.tagged_stack('dev', ['dev'])
        self.tagged_stack('bare', None)
        other = self.make_context(project_id='project-b')
        self.tagged_stack('theirs', ['prod'], ctx=other)
        policy = self.engine.create_snapshot_policy(
            self.ctx, self.ctx.project_id, tag_definition(['prod', 'db']))
        run = self.run_now(policy)
        self.assertEqual(states.COMPLETE, run.status, run.reason)
        self.assertEqual(sorted([web, db]), sorted(run.stacks))
        made = {s.stack_id for s in db_api.snapshot_list_by_policy(
            self.admin, policy['id'])}
        self.assertEqual({web, db}, made)
        # A stack tagged later is covered from the next run on.
        later = self.tagged_stack('later', ['prod'])
        run = self.run_now(policy)
        self.assertEqual(sorted([web, db, later]), sorted(run.stacks))
        self.assertEqual(3, len(run.snapshots))

    def test_no_stack_with_the_tag_is_a_complete_run(self):
        self.tagged_stack('dev', ['dev'])
        policy = self.engine.create_snapshot_policy(
            self.ctx, self.ctx.project_id, tag_definition(['prod']))
        run = self.run_now(policy)
        self.assertEqual((states.COMPLETE, 'No stack matches the policy',
                          []), (run.status, run.reason, run.stacks))


HEAT = 'http://heat.test:8004/v1'
HEAT_STACKS = HEAT + '/project-a/stacks'
HTML_404 = ('<html><body><h1>404 Not Found</h1>The requested URL was not '
            'found on this server.</body></html>')
NONE_TEMPLATE = {'heat_template_version': '2018-08-31',
                 'resources': {'none': {'type': 'OS::Heat::None'}}}


def heat_stack(number, tags, project='project-a', status='CREATE_COMPLETE'):
    """A stack as Heat's list shows it (its show has these keys too)."""
    stack_id = '%08d-0000-4000-8000-000000000000' % number
    name = 'stack-%d' % number
    return {
        'id': stack_id, 'stack_name': name, 'description': '',
        'links': [{'rel': 'self', 'href': '%s/%s/stacks/%s/%s' % (
            HEAT, project, name, stack_id)}],
        'stack_status': status, 'stack_status_reason': 'done',
        'creation_time': '2026-11-30T10:00:0%dZ' % number,
        'updated_time': None, 'deletion_time': None, 'stack_owner': None,
        'parent': None, 'stack_user_project_id': 'supid',
        'tags': list(tags) or None}


class HeatTagPolicyTest(base.TestCase):
    """A policy by tags with the heat stack driver, Heat at the HTTP
    level: Heat lists the stacks; whatever else it answers fails the run.
    """

    use_db = True

    def setUp(self):
        super().setUp()
        self.http = self.useFixture(rm_fixture.Fixture())
        self.flags(stack_driver='heat', group='heat_snapshots')
        self.flags(group='heat_snapshots_heat', auth_type='none',
                   endpoint_override=HEAT)
        self.useFixture(fixtures.MonkeyPatch(
            'heat_snapshots.engine.policies.POLL_INTERVAL', 0.02))
        self.engine = self.useFixture(ef.Engine()).manager
        self.ctx = self.make_context()
        self.admin = hs_context.get_admin_context()
        self.policy = self.engine.create_snapshot_policy(
            self.ctx, 'project-a', tag_definition(['prod']))
        self.list_queries = []

    def heat_has(self, stacks):
        """Heat's list (tags_any, tenant, limit, marker) and each stack."""
        def stack_list(request, context):
            query = parse.parse_qs(parse.urlsplit(request.url).query)
            self.list_queries.append(query)
            wanted = set(query['tags_any'][0].split(','))
            listed = [s for s in stacks if wanted & set(s['tags'] or ())]
            context.headers['Content-Type'] = 'application/json'
            return {'stacks': listed}
        self.http.get(HEAT_STACKS, json=stack_list)
        for stack in stacks:
            path = '%s/%s/%s' % (HEAT_STACKS, stack['stack_name'],
                                 stack['id'])
            self.http.get(HEAT_STACKS + '/' + stack['id'], status_code=302,
                          headers={'Location': path})
            self.http.get(path, json={'stack': dict(
                stack, parameters={}, outputs=[], timeout_mins=None,
                disable_rollback=True)})
            self.http.get(path + '/template', json=NONE_TEMPLATE)
            self.http.get(path + '/environment', json={})
            self.http.get(path + '/files', json={})
            self.http.get(path + '/resources', json={'resources': [{
                'resource_name': 'none', 'logical_resource_id': 'none',
                'resource_type': 'OS::Heat::None',
                'physical_resource_id': 'none-1',
                'resource_status': 'CREATE_COMPLETE',
                'resource_status_reason': 'state changed',
                'required_by': [], 'links': [],
                'creation_time': stack['creation_time'],
                'updated_time': None}]})
            self.http.get(path + '/events', json={'events': []})

    def run_now(self):
        run = self.engine.run_snapshot_policy(self.ctx, 'project-a',
                                              self.policy['id'])

        def ended():
            found = db_api.run_get(self.admin, run['id'])
            if found.status != states.IN_PROGRESS:
                return found
        return ef.wait_for(ended, what='policy run')

    def test_heat_lists_the_stacks_each_tagged_one_is_snapshotted(self):
        stacks = [heat_stack(1, ['prod']), heat_stack(2, ['prod', 'web']),
                  heat_stack(3, []), heat_stack(4, ['dev']),
                  heat_stack(5, ['prod'], status='DELETE_IN_PROGRESS'),
                  heat_stack(6, ['prod'], project='project-b')]
        self.heat_has(stacks)
        run = self.run_now()
        self.assertEqual(states.COMPLETE, run.status, run.reason)
        covered = [stacks[0]['id'], stacks[1]['id']]
        self.assertEqual(sorted(covered), sorted(run.stacks))
        made = db_api.snapshot_list_by_policy(self.admin, self.policy['id'])
        self.assertEqual(sorted(covered), sorted(s.stack_id for s in made))
        self.assertEqual({states.COMPLETE}, {s.status for s in made})
        # Heat was asked for the policy's tags in the policy's project.
        self.assertEqual([['prod']], [q['tags_any'] for q in
                                      self.list_queries])
        self.assertEqual([['project-a']], [q['tenant'] for q in
                                           self.list_queries])

    def test_anything_but_heat_s_list_fails_the_run_saying_so(self):
        for answer, expected in (
                ({'status_code': 503, 'reason': 'Service Unavailable',
                  'text': 'busy'}, '503 Service Unavailable'),
                ({'status_code': 404, 'reason': 'Not Found',
                  'text': HTML_404,
                  'headers': {'Content-Type': 'text/html'}},
                 '404 Not Found'),
                ({'status_code': 401, 'json': {'error': {
                    'code': 401, 'title': 'Unauthorized',
                    'message': 'The request you have made requires '
                               'authentication.'}}},
                 'requires authentication'),
                ({'text': '<html>Welcome</html>',
                  'headers': {'Content-Type': 'text/html'}},
                 'not its stack list')):
            self.http.get(HEAT_STACKS, **answer)
            run = self.run_now()
            self.assertEqual(states.FAILED, run.status, run.reason)
            self.assertTrue(run.reason.startswith(
                'Could not list the stacks of the policy: '), run.reason)
            self.assertIn(expected, run.reason)
            self.assertEqual(([], []), (run.stacks or [], run.snapshots))
        self.assertEqual([], db_api.snapshot_list_by_policy(
            self.admin, self.policy['id']))


class ClockTest(engine_base.EngineTestCase):

    def test_a_test_minute_of_five_seconds(self):
        self.flags(minute_seconds=5, group='snapshot_policies')
        clock = policies.Clock(CONF)
        start = datetime.datetime(2026, 11, 30, 10, 0, 2)
        runs = clock.next_runs('* * * * *', 'UTC', start)
        self.assertEqual([datetime.datetime(2026, 11, 30, 10, 0, s)
                          for s in (5, 10, 15)], runs)
        scheduled, late = clock.due_run(
            '* * * * *', 'UTC', runs[0], runs[2] +
            datetime.timedelta(seconds=1))
        self.assertEqual((runs[2], True), (scheduled, late))

    def test_the_real_clock_by_default(self):
        clock = policies.Clock(CONF)
        start = datetime.datetime(2026, 11, 30, 10, 0, 2)
        self.assertEqual([datetime.datetime(2026, 11, 30, 10, 1)],
                         clock.next_runs('* * * * *', 'UTC', start, 1))


class NotificationTest(PolicyEngineTestCase):

    def setUp(self):
        self.useFixture(conffixture.ConfFixture(CONF))
        notifications.cleanup()
        _impl_test.reset()
        self.addCleanup(_impl_test.reset)
        self.addCleanup(notifications.cleanup)
        super().setUp()
        self.flags(driver=['test'], group='oslo_messaging_notifications')

    def test_a_run_sends_start_and_end(self):
        policy = self.create_policy()
        run = self.engine.run_snapshot_policy(self.ctx, self.ctx.project_id,
                                              policy['id'])
        self.wait_runs_ended(policy['id'])

        def runs_sent():
            found = [(m['event_type'], m['payload']) for _c, m, _p, _r
                     in _impl_test.NOTIFICATIONS
                     if m['event_type'].startswith(
                         'orchestration.snapshot_policy.run.')]
            if len(found) >= 2:
                return found
        found = ef.wait_for(runs_sent, what='run notifications')
        self.assertEqual(['orchestration.snapshot_policy.run.start',
                          'orchestration.snapshot_policy.run.end'],
                         [event for event, _payload in found])
        self.assertEqual((run['id'], states.COMPLETE),
                         (found[1][1]['run_id'], found[1][1]['status']))


class KeptSnapshotCloneTest(PolicyEngineTestCase):
    """POST /v1/{tenant}/snapshots/{id}/clone (clone_snapshot with
    ``project_id``): a snapshot kept after its stack makes a new stack
    from its stored template, environment, files and resource data.
    """

    def setUp(self):
        super().setUp()
        self.source = self.create_stack(engine_base.FIVE, name='source',
                                        params={'length': 12})
        self.value = self.random_value(self.source)
        policy = self.engine.create_snapshot_policy(
            self.ctx, self.ctx.project_id, definition(
                [self.source['stack_id']], enabled=False,
                keep_after_stack_delete=True))
        run = self.engine.run_snapshot_policy(self.ctx, self.ctx.project_id,
                                              policy['id'])
        self.wait_runs_ended(policy['id'])
        run = db_api.run_get(self.admin, run['id'])
        self.assertEqual(states.COMPLETE, run.status, run.reason)
        self.snapshot_id = run.snapshots[0]
        self.engine.delete_stack(self.ctx, self.source)
        ef.wait_for_stack(self.engine, self.ctx, self.source,
                          'DELETE_COMPLETE')
        self.assertTrue(self.engine.show_project_snapshot(
            self.ctx, self.ctx.project_id, self.snapshot_id)[
                'stack_deleted'])

    def clone(self, name='copy', ctx=None, project_id=None, **kwargs):
        ctx = ctx or self.ctx
        return self.engine.clone_snapshot(
            ctx, self.snapshot_id, name,
            project_id=project_id or ctx.project_id, **kwargs)

    def test_the_new_stack_is_the_snapshots_with_its_data(self):
        new = self.clone()
        ef.wait_for_stack(self.engine, self.ctx, new, 'CREATE_COMPLETE')
        self.assertEqual('copy', new['stack_name'])
        self.assertEqual(engine_base.FIVE,
                         self.engine.get_template(self.ctx, new))
        # The snapshot's parameters, and each resource's data put back.
        self.assertEqual('12', self.engine.show_stack(self.ctx, new)[
            'parameters']['length'])
        self.assertEqual(self.value, self.random_value(new))
        self.assertEqual(12, len(self.random_value(new)))
        # Overrides: a parameter; the kept snapshot is still there.
        other = self.clone('copy2', parameters={'length': 20})
        ef.wait_for_stack(self.engine, self.ctx, other, 'CREATE_COMPLETE')
        self.assertEqual('20', self.engine.show_stack(self.ctx, other)[
            'parameters']['length'])
        self.assertEqual('COMPLETE', self.engine.show_project_snapshot(
            self.ctx, self.ctx.project_id, self.snapshot_id)['status'])

    def test_only_the_tenants_snapshot_is_found(self):
        stranger = self.make_context(project_id='project-b')
        error = self.assertRaises(exception.SnapshotIdNotFound, self.clone,
                                  ctx=stranger)
        self.assertEqual(404, error.code)
        # An admin names the snapshot's tenant, as for a show.
        admin = self.make_context(project_id='project-b', roles=['admin'],
                                  is_admin=True)
        self.assertRaises(exception.SnapshotIdNotFound, self.clone,
                          ctx=admin, project_id='project-b')
        new = self.clone(ctx=admin, project_id=self.ctx.project_id)
        ef.wait_for_stack(self.engine, admin, new, 'CREATE_COMPLETE')
        stack = self.engine.driver.get_stack(admin, new['stack_id'])
        self.assertEqual(self.value, {r.name: r for r in stack.resources}[
            'random'].data['value'])

    def test_refusals_make_nothing(self):
        self.create_stack(engine_base.FIVE, name='taken')
        before = len(self.engine.list_stacks(self.ctx))
        error = self.assertRaises(exception.StackExists, self.clone,
                                  'taken')
        self.assertEqual(409, error.code)
        error = self.assertRaises(exception.InvalidParameter, self.clone,
                                  parameters={'length': 'long'})
        self.assertEqual(400, error.code)
        snap = db_api.snapshot_get(self.admin, self.snapshot_id)
        artifact = snap.data['resources']['test']['resource_data'][
            'artifact_id']
        store_db.artifact_delete(self.admin, artifact)
        error = self.assertRaises(exception.ArtifactNotFound, self.clone)
        self.assertEqual(404, error.code)
        self.assertIn(artifact, error.message)
        db_api.snapshot_update(self.admin, self.snapshot_id,
                               {'status': states.FAILED})
        error = self.assertRaises(exception.NotSupported, self.clone)
        self.assertEqual(400, error.code)
        self.assertEqual(before, len(self.engine.list_stacks(self.ctx)))
