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

import datetime

import fixtures
from oslo_utils import timeutils

from heat_snapshots.common import exception
from heat_snapshots.db import api as db_api
from heat_snapshots.db import models
from heat_snapshots.engine import manager
from heat_snapshots.localstack import db_api as store_db
from heat_snapshots.tests import engine_fixture as ef
from heat_snapshots.tests.unit.engine import base as engine_base

DEAD = 'dead-engine'


class DeadEngineTest(engine_base.EngineTestCase):
    """Work a killed engine left behind is failed or finished."""

    def setUp(self):
        super().setUp()
        self.identity = self.create_stack(engine_base.FIVE)
        self.stack_id = self.identity['stack_id']
        long_ago = timeutils.utcnow() - datetime.timedelta(hours=1)
        db_api.engine_heartbeat(self.ctx, DEAD, 'elsewhere', 1)
        with db_api.writer.using(self.ctx) as session:
            session.get(models.Engine, DEAD).heartbeat_at = long_ago
        # As once this engine has beaten for engine_down_time itself.
        self.judging = self.useFixture(fixtures.MockPatchObject(
            manager.EngineManager, 'can_judge_others',
            return_value=True)).mock

    def _holder(self):
        lock = db_api.stack_lock_get(self.ctx, self.stack_id)
        return lock.engine_id if lock is not None else None

    def _lock_for_dead_engine(self, action):
        # The create lets go of the stack as it shows COMPLETE.
        self.assertIsNone(self._holder())
        self.assertIsNotNone(db_api.stack_lock_acquire(
            self.ctx, self.stack_id, DEAD, action))

    def _left_in_progress(self, action):
        return db_api.snapshot_create(self.ctx, {
            'stack_id': self.stack_id, 'stack_name': 'stack',
            'project_id': self.ctx.project_id, 'action': action,
            'status': 'IN_PROGRESS', 'engine_id': DEAD, 'data': {}})

    def test_snapshot_of_dead_engine_fails_and_stack_is_freed(self):
        snap = self._left_in_progress('CREATE')
        self._lock_for_dead_engine('SNAPSHOT')
        self.engine.driver.set_stack_state(self.ctx, self.stack_id,
                                           'SNAPSHOT', 'IN_PROGRESS',
                                           'Stack SNAPSHOT started')
        self.engine.recover()
        snap = self.engine.show_snapshot(self.ctx, self.identity, snap.id)
        self.assertEqual(('FAILED', 'Engine went down during snapshot'),
                         (snap['status'], snap['status_reason']))
        stack = self.engine.show_stack(self.ctx, self.identity)
        self.assertEqual('SNAPSHOT_FAILED', stack['stack_status'])
        self.assertIsNone(self._holder())
        # The stack is usable again and the failed snapshot deletable.
        self.snapshot(self.identity)
        self.engine.delete_snapshot(self.ctx, self.identity, snap['id'])
        ef.wait_for_snapshot_gone(self.engine, self.ctx, self.identity,
                                  snap['id'])

    def test_resources_of_dead_engines_work_are_failed_too(self):
        snap = self._left_in_progress('CREATE')
        db_api.resource_snapshot_set(self.ctx, snap.id, 'test', {
            'resource_type': 'OS::Heat::TestResource', 'action': 'SNAPSHOT',
            'status': 'IN_PROGRESS'})
        db_api.resource_snapshot_set(self.ctx, snap.id, 'none', {
            'resource_type': 'OS::Heat::None', 'action': 'SNAPSHOT',
            'status': 'COMPLETE'})
        self._lock_for_dead_engine('SNAPSHOT')
        driver = self.engine.driver
        driver.set_stack_state(self.ctx, self.stack_id, 'SNAPSHOT',
                               'IN_PROGRESS', 'Stack SNAPSHOT started')
        driver.set_resource_state(self.ctx, self.stack_id, 'test',
                                  'SNAPSHOT', 'IN_PROGRESS', 'state changed')
        self.engine.recover()
        rows = {row.resource_name: row for row in
                db_api.resource_snapshot_list(self.ctx, snap.id)}
        self.assertEqual(('FAILED', 'Engine went down during snapshot'),
                         (rows['test'].status, rows['test'].status_reason))
        self.assertEqual('COMPLETE', rows['none'].status)
        resources = self.resources(self.identity)
        self.assertEqual('SNAPSHOT_FAILED',
                         resources['test']['resource_status'])
        self.assertEqual('Engine went down during snapshot',
                         resources['test']['resource_status_reason'])
        self.assertEqual('CREATE_COMPLETE',
                         resources['none']['resource_status'])

    def test_delete_of_dead_engine_is_resumed(self):
        snap = self.snapshot(self.identity)
        db_api.snapshot_update(self.ctx, snap['id'],
                               {'action': 'DELETE', 'engine_id': DEAD,
                                'status': 'IN_PROGRESS'})
        self.assertEqual(1, len(store_db.artifact_list(self.ctx)))
        self.engine.recover()
        ef.wait_for_snapshot_gone(self.engine, self.ctx, self.identity,
                                  snap['id'])
        self.assertEqual([], store_db.artifact_list(self.ctx))

    def test_lock_of_dead_engine_is_taken_over(self):
        self._lock_for_dead_engine('SNAPSHOT')
        before = db_api.stack_lock_get(self.ctx, self.stack_id).generation
        self.engine.recover()
        self.assertIsNone(self._holder())
        # Taken over at a new generation: the dead engine is fenced.
        self.assertGreater(
            db_api.stack_lock_get(self.ctx, self.stack_id).generation,
            before)
        self.snapshot(self.identity)

    def test_engine_that_cannot_judge_yet_takes_over_no_lock(self):
        # The other engine may only have missed its heartbeats while the
        # database was away: an engine that just started, or is back
        # from an outage, cannot tell.
        self.judging.return_value = False
        self._lock_for_dead_engine('SNAPSHOT')
        self.engine.recover()
        self.assertEqual(DEAD, self._holder())
        error = self.assertRaises(exception.ActionInProgress,
                                  self.engine.stack_snapshot, self.ctx,
                                  self.identity, 'x')
        self.assertIn('(SNAPSHOT)', error.message)

    def test_dead_engines_are_forgotten_live_ones_kept(self):
        db_api.engine_heartbeat(self.ctx, 'alive', 'elsewhere', 2)
        self.engine.recover()
        ids = {engine.id for engine in db_api.engine_list(self.ctx)}
        self.assertNotIn(DEAD, ids)
        self.assertIn('alive', ids)
        self.assertIn(self.engine.engine_id, ids)

    def test_live_engines_lock_is_respected(self):
        db_api.engine_heartbeat(self.ctx, 'alive', 'elsewhere', 2)
        self.assertIsNone(self._holder())
        db_api.stack_lock_acquire(self.ctx, self.stack_id, 'alive',
                                  'RESTORE')
        self.engine.recover()
        error = self.assertRaises(exception.ActionInProgress,
                                  self.engine.stack_snapshot, self.ctx,
                                  self.identity, 'x')
        self.assertIn('(RESTORE)', error.message)
