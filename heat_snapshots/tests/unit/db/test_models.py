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

"""Resource paths of any length under a fixed-size unique key."""

from heat_snapshots.db import api as db_api
from heat_snapshots.db import models
from heat_snapshots.tests import base


class PathKeyTest(base.TestCase):
    use_db = True

    def test_fixed_size_and_one_per_path(self):
        short, deep = models.path_key('a'), models.path_key('g/0/' * 1000)
        self.assertEqual((64, 64), (len(short), len(deep)))
        self.assertNotEqual(short, models.path_key('b'))
        self.assertEqual(short, models.path_key('a'))
        # Not ASCII: encoded, not refused.
        self.assertEqual(64, len(models.path_key('serveur-é')))

    def test_a_row_gets_the_key_of_its_path(self):
        ctx = self.make_context()
        snapshot = db_api.snapshot_create(ctx, {
            'stack_id': 's', 'stack_name': 's', 'project_id': 'project-a',
            'action': 'CREATE', 'status': 'IN_PROGRESS'})
        path = 'group/0/server'
        with db_api.main_context_manager.writer.using(ctx) as session:
            session.add(models.ResourceSnapshot(
                snapshot_id=snapshot.id, resource_name=path,
                resource_type='T', action='SNAPSHOT', status='COMPLETE'))
        row, = db_api.resource_snapshot_list(ctx, snapshot.id)
        self.assertEqual(models.path_key(path), row.resource_key)
