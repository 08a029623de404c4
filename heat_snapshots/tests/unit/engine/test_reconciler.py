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

from heat_snapshots.engine import reconciler
from heat_snapshots.localstack import db_api as store_db
from heat_snapshots.tests.unit.engine import test_manager as tm


class ReconcilerTest(tm.EngineTestCase):

    def test_only_artifacts_of_vanished_snapshots_are_deleted(self):
        identity = self.create_stack(tm.FIVE)
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
