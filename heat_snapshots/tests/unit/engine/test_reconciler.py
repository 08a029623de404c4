from heat_snapshots.db import api as db_api
from heat_snapshots.engine import reconciler
from heat_snapshots.tests.unit.engine import test_manager as tm


class ReconcilerTest(tm.EngineTestCase):

    def test_only_artifacts_of_vanished_snapshots_are_deleted(self):
        identity = self.create_stack(tm.FIVE)
        snap = self.snapshot(identity)
        kept = db_api.artifact_list(self.ctx, snap['id'])
        # As if an engine died after making it, before recording it, and
        # its snapshot was deleted since.
        orphan = db_api.artifact_create(self.ctx, {
            'snapshot_id': 'gone-snapshot', 'resource_name': 'test'})

        self.assertEqual(1, reconciler.reconcile(self.ctx))

        self.assertIsNone(db_api.artifact_get(self.ctx, orphan.id))
        self.assertEqual([a.id for a in kept],
                         [a.id for a in db_api.artifact_list(self.ctx)])
        self.assertEqual(0, reconciler.reconcile(self.ctx))
