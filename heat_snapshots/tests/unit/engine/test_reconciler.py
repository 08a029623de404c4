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

from heat_snapshots.common import exception
from heat_snapshots.db import api as db_api
from heat_snapshots.db import models
from heat_snapshots.engine import locks
from heat_snapshots.engine import reconciler
from heat_snapshots.engine.resources import cinder
from heat_snapshots.engine.stacks import base as stacks_base
from heat_snapshots.localstack import db_api as store_db
from heat_snapshots.tests.unit.engine import base as engine_base
from heat_snapshots.tests.unit.engine.resources import fakes


class ReconcilerTest(engine_base.EngineTestCase):

    def test_only_artifacts_of_vanished_snapshots_are_deleted(self):
        identity = self.create_stack(engine_base.FIVE)
        snap = self.snapshot(identity)
        kept = store_db.artifact_list(self.ctx, snap['id'])
        # As if an engine died after making it, before recording it, and
        # its snapshot was deleted since.
        orphan = store_db.artifact_create(self.ctx, {
            'snapshot_id': 'gone-snapshot', 'resource_name': 'test'})

        self.assertEqual(1, reconciler.reconcile(self.ctx))

        self.assertIsNone(store_db.artifact_get(self.ctx, orphan.id))
        self.assertEqual([a.id for a in kept],
                         [a.id for a in store_db.artifact_list(self.ctx)])
        self.assertEqual(0, reconciler.reconcile(self.ctx))


class LedgerReconcilerTest(fakes.LedgerTestCase):
    """Issue 13 item 2: only artifacts the ledger proves ours are deleted.

    Cinder, Nova and Glance are faked at the HTTP level with state; the
    reconciler acts with the service user scoped to each entry's project.
    """

    def test_foreign_artifacts_survive_and_our_orphans_go(self):
        self.use_service_user()
        snapshot_id, backup_id, image_id = self.our_orphans()
        foreign = self.foreign(snapshot_id)
        self.age_all()
        # Recorded a moment ago: left alone by the minimum age.
        young = self.snapshot()
        young_backup = self.make(young.id, stacks_base.Resource(
            name='vol', type='OS::Cinder::Volume',
            physical_resource_id='vol-1'))
        db_api.snapshot_delete(self.ctx, young.id)
        before = len(self.http.request_history)

        deleted = reconciler.reconcile(self.admin)

        foreign_deleted = [a for a in self.deleted() if a in foreign]
        print('foreign artifacts deleted: %d' % len(foreign_deleted))
        self.assertEqual([], foreign_deleted)
        self.assertEqual(2, deleted)
        self.assertEqual({backup_id, image_id}, set(self.deleted()))
        self.assertIn(young_backup, self.cinder.backups)
        for artifact_id in foreign:
            self.assertTrue(artifact_id in self.cinder.backups or
                            artifact_id in self.glance.images)
        # Only the entries' own project, never a listing of every one.
        requests = self.http.request_history[before:]
        self.assertEqual([], [r.url for r in requests
                              if 'all_tenants' in r.url or
                              'project-b' in r.url])
        self.assertEqual({'token-of-%s' % fakes.PROJECT}, {
            r.headers.get('X-Auth-Token') for r in requests
            if '/auth/tokens' not in r.url and 'X-Auth-Token' in r.headers})
        # Our orphans' entries are closed; the others stay to be looked at.
        live = {e.name for e in db_api.ledger_list_live(self.ctx)}
        self.assertEqual({'heat-snapshots-shared',
                          'heat-snapshots-staging-vol'},
                         live - {e.name for e in db_api.ledger_list_live(
                             self.ctx, snapshot_id=young.id)})
        self.assertEqual(0, reconciler.reconcile(self.admin))

    def test_intent_without_id_is_found_by_its_name(self):
        # The walk loses its stack (another engine takes it over) while
        # Cinder makes the backup: the id is never recorded, the intent
        # was, and names the backup.
        self.use_service_user()
        snapshot = self.snapshot()
        generation = db_api.stack_lock_acquire(self.ctx, fakes.STACK_ID,
                                               'engine-1', 'SNAPSHOT')
        walk_context = locks.fenced_context(self.ctx, locks.Fence(
            'engine-1', generation, fakes.STACK_ID, None))

        def backup_then_taken_over(request, context):
            answer = self.cinder._create(request, context)
            db_api.stack_lock_steal(self.admin, fakes.STACK_ID, 'engine-1',
                                    generation, 'engine-2')
            return answer

        self.http.post(fakes.CINDER + '/' + fakes.PROJECT + '/backups',
                       status_code=202, json=backup_then_taken_over)
        resource = stacks_base.Resource(name='vol',
                                        type='OS::Cinder::Volume',
                                        physical_resource_id='vol-1')
        plugin = cinder.CinderVolumePlugin(
            walk_context, fakes.stack([resource]), resource, snapshot.id)
        self.assertRaises(exception.OperationFenced, plugin.handle_snapshot)
        [entry] = db_api.ledger_list_live(self.ctx)
        self.assertIsNone(entry.artifact_id)
        [backup_id] = self.cinder.backups
        db_api.snapshot_delete(self.ctx, snapshot.id)
        self.age_all()

        self.assertEqual(1, reconciler.reconcile(self.admin))
        self.assertEqual([backup_id], self.cinder.deleted)
        self.assertEqual([], db_api.ledger_list_live(self.ctx))

    def test_snapshot_that_moved_on_keeps_only_what_it_references(self):
        # A walk retried after a takeover asked twice: the snapshot
        # references the second backup; the first is an orphan once the
        # snapshot no longer runs, never while it runs.
        self.use_service_user()
        snapshot = self.snapshot(status='IN_PROGRESS')
        vol = stacks_base.Resource(name='vol', type='OS::Cinder::Volume',
                                   physical_resource_id='vol-1')
        first = self.make(snapshot.id, vol)
        # The first attempt's id was never recorded.
        table = models.LedgerEntry.__table__
        with db_api.get_engine().begin() as connection:
            connection.execute(table.update().where(
                table.c.artifact_id == first).values(
                artifact_id=None, state=models.LEDGER_PENDING))
        second = self.make(snapshot.id, vol)
        db_api.resource_snapshot_set(self.ctx, snapshot.id, 'vol', {
            'resource_type': 'OS::Cinder::Volume', 'action': 'SNAPSHOT',
            'status': 'COMPLETE', 'data': {'backup_id': second}})
        # A volume that was never made: its row names no backup.
        db_api.resource_snapshot_set(self.ctx, snapshot.id, 'spare', {
            'resource_type': 'OS::Cinder::Volume', 'action': 'SNAPSHOT',
            'status': 'COMPLETE', 'data': {}})
        self.age_all()

        self.assertEqual(0, reconciler.reconcile(self.admin))
        self.assertEqual([], self.cinder.deleted)

        db_api.snapshot_update(self.ctx, snapshot.id,
                               {'status': 'COMPLETE'})
        self.assertEqual(1, reconciler.reconcile(self.admin))
        self.assertEqual([first], self.cinder.deleted)
        self.assertIn(second, self.cinder.backups)
        self.assertEqual([second], [e.artifact_id for e in
                                    db_api.ledger_list_live(self.ctx)])

    def test_report_only_deletes_nothing(self):
        self.use_service_user()
        self.flags(group='heat_snapshots', reconcile_report_only=True)
        snapshot_id, backup_id, image_id = self.our_orphans()
        self.age_all()
        self.assertEqual(0, reconciler.reconcile(self.admin))
        self.assertEqual([], self.deleted())
        self.assertEqual(2, len(db_api.ledger_list_live(self.ctx)))

    def test_no_service_credentials_no_calls(self):
        self.our_orphans()
        self.age_all()
        before = len(self.http.request_history)
        self.assertEqual(0, reconciler.reconcile(self.admin))
        self.assertEqual(before, len(self.http.request_history))
