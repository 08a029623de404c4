import datetime

from oslo_utils import timeutils

from heat_snapshots.db import api as db_api
from heat_snapshots.db import models
from heat_snapshots.tests import engine_fixture as ef
from heat_snapshots.tests.unit.engine import test_manager as tm

DEAD = 'dead-engine'


class DeadEngineTest(tm.EngineTestCase):
    """Work a killed engine left behind is failed or finished."""

    def setUp(self):
        super().setUp()
        self.identity = self.create_stack(tm.FIVE)
        self.stack_id = self.identity['stack_id']
        long_ago = timeutils.utcnow() - datetime.timedelta(hours=1)
        db_api.engine_heartbeat(self.ctx, DEAD, 'elsewhere', 1)
        with db_api.writer.using(self.ctx) as session:
            session.get(models.Engine, DEAD).heartbeat_at = long_ago

    def _left_in_progress(self, action):
        return db_api.snapshot_create(self.ctx, {
            'stack_id': self.stack_id, 'stack_name': 'stack',
            'project_id': self.ctx.project_id, 'action': action,
            'status': 'IN_PROGRESS', 'engine_id': DEAD, 'data': {}})

    def test_snapshot_of_dead_engine_fails_and_stack_is_freed(self):
        snap = self._left_in_progress('CREATE')
        db_api.stack_lock_create(self.ctx, self.stack_id, DEAD, 'SNAPSHOT')
        self.engine.driver.set_stack_state(self.ctx, self.stack_id,
                                           'SNAPSHOT', 'IN_PROGRESS',
                                           'Stack SNAPSHOT started')
        self.engine._recover()
        snap = self.engine.show_snapshot(self.ctx, self.identity, snap.id)
        self.assertEqual(('FAILED', 'Engine went down during snapshot'),
                         (snap['status'], snap['status_reason']))
        stack = self.engine.show_stack(self.ctx, self.identity)
        self.assertEqual('SNAPSHOT_FAILED', stack['stack_status'])
        self.assertIsNone(db_api.stack_lock_holder(self.ctx, self.stack_id))
        # The stack is usable again and the failed snapshot deletable.
        self.snapshot(self.identity)
        self.engine.delete_snapshot(self.ctx, self.identity, snap['id'])
        ef.wait_for_snapshot_gone(self.engine, self.ctx, self.identity,
                                  snap['id'])

    def test_delete_of_dead_engine_is_resumed(self):
        snap = self.snapshot(self.identity)
        db_api.snapshot_update(self.ctx, snap['id'],
                               {'action': 'DELETE', 'engine_id': DEAD,
                                'status': 'IN_PROGRESS'})
        self.assertEqual(1, len(db_api.artifact_list(self.ctx)))
        self.engine._recover()
        ef.wait_for_snapshot_gone(self.engine, self.ctx, self.identity,
                                  snap['id'])
        self.assertEqual([], db_api.artifact_list(self.ctx))

    def test_lock_of_dead_engine_is_taken_over(self):
        db_api.stack_lock_create(self.ctx, self.stack_id, DEAD, 'SNAPSHOT')
        self.snapshot(self.identity)
        self.assertIsNone(db_api.stack_lock_holder(self.ctx, self.stack_id))

    def test_live_engines_lock_is_respected(self):
        db_api.engine_heartbeat(self.ctx, 'alive', 'elsewhere', 2)
        db_api.stack_lock_create(self.ctx, self.stack_id, 'alive',
                                 'RESTORE')
        self.engine._recover()
        error = self.assertRaises(tm.exception.ActionInProgress,
                                  self.engine.stack_snapshot, self.ctx,
                                  self.identity, 'x')
        self.assertIn('(RESTORE)', error.message)
