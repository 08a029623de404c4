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

"""The rules of snapshot progress and cancel: readers look, members
cancel, each in its own project.
"""

from heat_snapshots.common import policy
from heat_snapshots.policies import snapshot_operations
from heat_snapshots.tests import base


class SnapshotOperationRulesTest(base.TestCase):

    def allowed(self, roles, rule, project='project-a'):
        return policy.authorize(self.make_context(roles=roles), rule,
                                {'project_id': project}, do_raise=False)

    def test_reader_sees_progress_but_cannot_cancel(self):
        self.assertTrue(self.allowed(['reader'],
                                     snapshot_operations.LIST_RESOURCES))
        self.assertFalse(self.allowed(['reader'],
                                      snapshot_operations.CANCEL))

    def test_member_cancels_in_its_own_project_only(self):
        for rule in (snapshot_operations.LIST_RESOURCES,
                     snapshot_operations.CANCEL):
            self.assertTrue(self.allowed(['member', 'reader'], rule))
            self.assertFalse(self.allowed(['member', 'reader'], rule,
                                          'project-b'))
