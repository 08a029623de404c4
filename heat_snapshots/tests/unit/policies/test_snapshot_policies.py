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

"""The snapshot policy and project snapshot rules: readers read, members
change, in their own project.
"""

from heat_snapshots.common import policy
from heat_snapshots.policies import snapshot_policies as rules
from heat_snapshots.tests import base

READ = (rules.INDEX, rules.SHOW, rules.LIST_RUNS, rules.PRUNE_PREVIEW,
        rules.SNAPSHOTS_INDEX, rules.SNAPSHOTS_SHOW)
WRITE = (rules.CREATE, rules.UPDATE, rules.DELETE, rules.RUN,
         rules.SNAPSHOTS_DELETE, rules.SNAPSHOTS_CLONE)


class SnapshotPolicyRulesTest(base.TestCase):

    def allowed(self, roles, rule, project='project-a'):
        return policy.authorize(self.make_context(roles=roles), rule,
                                {'project_id': project}, do_raise=False)

    def test_reader_reads_only(self):
        for rule in READ:
            self.assertTrue(self.allowed(['reader'], rule), rule)
        for rule in WRITE:
            self.assertFalse(self.allowed(['reader'], rule), rule)

    def test_member_does_everything_in_its_project_only(self):
        for rule in READ + WRITE:
            self.assertTrue(self.allowed(['member', 'reader'], rule), rule)
            self.assertFalse(self.allowed(['member', 'reader'], rule,
                                          'project-b'), rule)

    def test_heat_style_names_and_documented_paths(self):
        self.assertEqual(
            {'snapshot_policies:create', 'snapshot_policies:index',
             'snapshot_policies:show', 'snapshot_policies:update',
             'snapshot_policies:delete', 'snapshot_policies:run',
             'snapshot_policies:list_runs',
             'snapshot_policies:prune_preview', 'project_snapshots:index',
             'project_snapshots:show', 'project_snapshots:delete',
             'project_snapshots:clone'},
            {rule.name for rule in rules.list_rules()})
        for rule in rules.list_rules():
            for operation in rule.operations:
                self.assertRegex(operation['path'],
                                 r'^/v1/\{tenant_id\}/(snapshot_policies|'
                                 r'snapshots)')
