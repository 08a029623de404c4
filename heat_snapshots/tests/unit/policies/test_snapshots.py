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

"""The five snapshot rules (and heat-snapshots' own two): readers read,
members change.
"""

from heat_snapshots.common import policy
from heat_snapshots.policies import snapshots
from heat_snapshots.tests import base

READ = (snapshots.SHOW_SNAPSHOT, snapshots.LIST_SNAPSHOTS,
        snapshots.PREVIEW_RESTORE_SNAPSHOT)
WRITE = (snapshots.SNAPSHOT, snapshots.DELETE_SNAPSHOT,
         snapshots.RESTORE_SNAPSHOT, snapshots.CLONE_SNAPSHOT)
HEATS = {'stacks:snapshot', 'stacks:show_snapshot', 'stacks:list_snapshots',
         'stacks:delete_snapshot', 'stacks:restore_snapshot'}
OURS = {'stacks:preview_restore_snapshot', 'stacks:clone_snapshot'}
TARGET = {'project_id': 'project-a'}


class SnapshotRulesTest(base.TestCase):

    def allowed(self, roles, rule, project='project-a'):
        return policy.authorize(self.make_context(roles=roles), rule,
                                {'project_id': project}, do_raise=False)

    def test_reader_reads_only(self):
        for rule in READ:
            self.assertTrue(self.allowed(['reader'], rule), rule)
        for rule in WRITE:
            self.assertFalse(self.allowed(['reader'], rule), rule)

    def test_member_does_everything_in_its_project_only(self):
        # Keystone's tokens carry the implied roles: a member is a reader.
        for rule in READ + WRITE:
            self.assertTrue(self.allowed(['member', 'reader'], rule), rule)
            self.assertFalse(self.allowed(['member', 'reader'], rule,
                                          'project-b'), rule)

    def test_heats_rule_names_and_paths(self):
        self.assertEqual(HEATS | OURS,
                         {rule.name for rule in snapshots.list_rules()})
        for rule in snapshots.list_rules():
            for operation in rule.operations:
                self.assertTrue(operation['path'].startswith(
                    '/v1/{tenant_id}/stacks/{stack_name}/{stack_id}/'
                    'snapshots'), rule.name)

    def test_old_rule_names_are_deprecated_for_heats_reason(self):
        for rule in snapshots.list_rules():
            if rule.name in OURS:
                # New rules: nothing to deprecate.
                self.assertIsNone(rule.deprecated_rule)
                continue
            self.assertEqual(rule.name, rule.deprecated_rule.name)
            self.assertEqual('rule:deny_stack_user',
                             rule.deprecated_rule.check_str)
