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

"""An operation's Keystone trust: stored while it runs, deleted at its end.

Keystone answers at the HTTP level (requests_mock).
"""

import datetime

import fixtures
from oslo_utils import timeutils

from heat_snapshots.common import exception
from heat_snapshots.common import states
from heat_snapshots.db import api as db_api
from heat_snapshots.db import models
from heat_snapshots.engine import locks
from heat_snapshots.engine import manager
from heat_snapshots.engine import operations
from heat_snapshots.engine.stacks import base as stacks_base
from heat_snapshots.tests import engine_fixture as ef
from heat_snapshots.tests.unit.common import base as common_base
from heat_snapshots.tests.unit.engine import base as engine_base

STACK = stacks_base.Stack(id='stack-1', name='web', project_id='project-a',
                          action=states.CREATE, status=states.COMPLETE)
TRUST = common_base.TRUSTS + '/trust-1'


class StackStates:
    """The driver's side of a stack's state: remembered only."""

    def __init__(self):
        self.states = []

    def set_stack_state(self, context, stack_id, action, status, reason):
        self.states.append((action, status))

    def get_stack(self, *args, **kwargs):
        return STACK

    def operation_ending(self, context, stack, action):
        pass


class TrustDbTestCase(common_base.TrustTestCase):
    use_db = True

    def setUp(self):
        super().setUp()
        self.http.delete(TRUST, status_code=204)
        self.driver = StackStates()
        self.ctx = self.make_context(trust_id='trust-1')

    def trust_deletes(self):
        return self.requests('DELETE', TRUST)

    def lock_trust(self):
        return db_api.stack_lock_get(self.ctx, STACK.id).trust_id

    def start(self, action=states.SNAPSHOT):
        task = locks.acquire(self.ctx, STACK, 'e1', action)
        db_api.run_in_transaction(
            task.context, lambda: operations.stack_started(task,
                                                           self.driver))
        return task


class OperationTrustTest(TrustDbTestCase):

    def test_stack_operation_keeps_its_trust_until_it_ends(self):
        task = self.start()
        self.assertEqual('trust-1', self.lock_trust())
        self.assertEqual([], self.trust_deletes())

        operations.stack_ended(task, self.driver, states.COMPLETE, 'done')
        self.assertIsNone(self.lock_trust())
        delete, = self.trust_deletes()
        # With a token of the trust itself, as the trustor.
        self.assertEqual([{'OS-TRUST:trust': {'id': 'trust-1'}}],
                         self.token_scopes())

    def test_failed_operation_deletes_its_trust_too(self):
        task = self.start(states.RESTORE)
        operations.stack_ended(task, self.driver, states.FAILED, 'broke')
        self.assertEqual(1, len(self.trust_deletes()))

    def test_operation_taken_over_leaves_the_trust_to_its_new_holder(self):
        task = self.start()
        lock = db_api.stack_lock_get(self.ctx, STACK.id)
        taken = locks.take_over(self.ctx, STACK, lock, 'e2')
        self.assertRaises(exception.OperationFenced, operations.stack_ended,
                          task, self.driver, states.COMPLETE, 'done')
        self.assertEqual([], self.trust_deletes())
        self.assertEqual('trust-1', self.lock_trust())
        # Recovery ends it on the stored trust.
        operations.stack_operation_abandoned(taken, self.driver, STACK,
                                             'engine went down')
        self.assertEqual(1, len(self.trust_deletes()))
        self.assertIsNone(self.lock_trust())

    def test_operation_without_trust_deletes_none(self):
        self.ctx.trust_id = None
        task = self.start()
        operations.stack_ended(task, self.driver, states.COMPLETE, 'done')
        self.assertIsNone(self.lock_trust())
        self.assertEqual([], self.http.request_history)


class SnapshotDeleteTrustTest(TrustDbTestCase):

    def setUp(self):
        super().setUp()
        task = locks.acquire(self.make_context(), STACK, 'e1',
                             states.SNAPSHOT)
        snapshot = operations.snapshot_created(task, 'n', {})
        operations.snapshot_ended(task.context, snapshot.id,
                                  {'status': states.COMPLETE})
        task.release()
        self.snapshot = db_api.snapshot_get(self.ctx, snapshot.id)

    def snapshot_trust(self):
        return db_api.snapshot_get(self.ctx, self.snapshot.id).trust_id

    def test_snapshot_delete_keeps_its_trust_until_it_ends(self):
        self.assertTrue(operations.snapshot_claimed(self.ctx, self.snapshot,
                                                    'e1'))
        self.assertEqual('trust-1', self.snapshot_trust())
        operations.snapshot_deleted(self.ctx, self.snapshot.id)
        self.assertEqual(1, len(self.trust_deletes()))

    def test_failed_snapshot_delete_lets_go_of_its_trust(self):
        operations.snapshot_claimed(self.ctx, self.snapshot, 'e1')
        operations.snapshot_delete_failed(self.ctx, self.snapshot.id, 'x')
        self.assertIsNone(self.snapshot_trust())
        self.assertEqual(1, len(self.trust_deletes()))

    def test_stack_delete_keeps_its_trust_on_the_stack(self):
        task = self.start(states.DELETE)
        operations.snapshot_claimed(task.context, self.snapshot, 'e1')
        self.assertIsNone(self.snapshot_trust())
        operations.snapshot_deleted(task.context, self.snapshot.id)
        # Still needed by the stack delete.
        self.assertEqual([], self.trust_deletes())
        self.assertEqual('trust-1', self.lock_trust())

    def test_stack_delete_taking_over_a_snapshot_delete_ends_its_trust(self):
        # A user's delete of the snapshot, on its own trust, by an engine
        # that went down; then the stack's delete takes the snapshot.
        trust_2 = common_base.TRUSTS + '/trust-2'
        self.http.delete(trust_2, status_code=204)
        self.assertTrue(operations.snapshot_claimed(
            self.make_context(trust_id='trust-2'), self.snapshot, 'dead'))
        self.assertEqual('trust-2', self.snapshot_trust())
        task = self.start(states.DELETE)
        claimed = db_api.snapshot_get(self.ctx, self.snapshot.id)
        self.assertTrue(operations.snapshot_claimed(task.context, claimed,
                                                    'e1'))
        self.assertIsNone(self.snapshot_trust())
        self.assertEqual(1, len(self.requests('DELETE', trust_2)))
        # The stack delete's own trust stays on the stack until it ends.
        self.assertEqual([], self.trust_deletes())
        operations.snapshot_deleted(task.context, self.snapshot.id)
        operations.stack_ended(task, self.driver, states.COMPLETE, 'done')
        self.assertEqual(1, len(self.trust_deletes()))
        self.assertEqual(1, len(self.requests('DELETE', trust_2)))


class EngineTrustTest(common_base.KeystoneTrusts, engine_base.EngineTestCase):
    """Operations of the engine on the trusts their requests made."""

    def setUp(self):
        super().setUp()
        self.use_keystone()
        self.http.delete(TRUST, status_code=204)
        self.identity = self.create_stack(engine_base.FIVE)
        self.ctx = self.make_context(trust_id='trust-1')

    def test_snapshot_and_restore_delete_their_trust_when_done(self):
        snap = self.snapshot(self.identity)
        ef.wait_for(lambda: len(self.requests('DELETE', TRUST)) == 1)
        self.engine.stack_restore(self.ctx, self.identity, snap['id'])
        ef.wait_for_stack(self.engine, self.ctx, self.identity,
                          'RESTORE_COMPLETE')
        ef.wait_for(lambda: len(self.requests('DELETE', TRUST)) == 2)
        lock = db_api.stack_lock_get(self.ctx, self.identity['stack_id'])
        self.assertIsNone(lock.trust_id)

    def test_stack_delete_runs_on_its_trust_and_deletes_it(self):
        snap = self.snapshot(self.identity)
        ef.wait_for(lambda: len(self.requests('DELETE', TRUST)) == 1)
        scopes = len(self.token_scopes())
        self.engine.delete_stack(self.ctx, self.identity)
        ef.wait_for(lambda: len(self.requests('DELETE', TRUST)) == 2)
        self.assertEqual('DELETE_COMPLETE', self.engine.show_stack(
            self.make_context(), self.identity)['stack_status'])
        self.assertRaises(exception.SnapshotIdNotFound, db_api.snapshot_get,
                          self.ctx, snap['id'])
        # Its work (the snapshot's artifacts) and the trust's delete ran
        # on tokens of the trust.
        self.assertIn({'OS-TRUST:trust': {'id': 'trust-1'}},
                      self.token_scopes()[scopes:])

    def test_delete_of_a_deleting_stack_ends_the_requests_trust(self):
        self.engine.delete_stack(self.make_context(), self.identity)
        stack = self.engine.driver.get_stack(self.ctx,
                                             self.identity['stack_id'],
                                             show_deleted=True)
        stack.action, stack.status = states.DELETE, states.IN_PROGRESS
        self.engine.start_stack_delete(self.ctx, stack)
        self.assertEqual(1, len(self.requests('DELETE', TRUST)))

    def test_recovery_ends_a_dead_engines_operation_on_its_trust(self):
        dead = 'dead-engine'
        stack_id = self.identity['stack_id']
        db_api.engine_heartbeat(self.ctx, dead, 'elsewhere', 1)
        with db_api.writer.using(self.ctx) as session:
            session.get(models.Engine, dead).heartbeat_at = (
                timeutils.utcnow() - datetime.timedelta(hours=1))
        self.useFixture(fixtures.MockPatchObject(
            manager.EngineManager, 'can_judge_others', return_value=True))
        generation = db_api.stack_lock_acquire(self.ctx, stack_id, dead,
                                               states.SNAPSHOT)
        db_api.stack_lock_set_trust(self.ctx, stack_id, dead, generation,
                                    'trust-1')
        self.engine.recover()
        self.assertEqual(1, len(self.requests('DELETE', TRUST)))
        self.assertEqual([{'OS-TRUST:trust': {'id': 'trust-1'}}],
                         self.token_scopes())
        self.assertIsNone(db_api.stack_lock_get(self.ctx,
                                                stack_id).engine_id)
