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

"""The stack rules: readers read, members change, as in Heat."""

from heat_snapshots.common import policy
from heat_snapshots.policies import stacks
from heat_snapshots.tests import base

WRITE = (stacks.CREATE, stacks.UPDATE, stacks.UPDATE_PATCH, stacks.DELETE)


class StackRulesTest(base.TestCase):

    def allowed(self, roles, rule, project='project-a'):
        return policy.authorize(self.make_context(roles=roles), rule,
                                {'project_id': project}, do_raise=False)

    def test_reader_reads_only(self):
        for rule in stacks.list_rules():
            expected = rule.name not in WRITE
            self.assertEqual(expected, self.allowed(['reader'], rule.name),
                             rule.name)

    def test_member_changes_its_own_projects_stacks_only(self):
        for rule in WRITE:
            self.assertTrue(self.allowed(['member'], rule), rule)
            self.assertFalse(self.allowed(['member'], rule, 'project-b'),
                             rule)

    def test_each_rule_documents_one_stack_path(self):
        names = [rule.name for rule in stacks.list_rules()]
        self.assertEqual(sorted(set(names)), sorted(names))
        for rule in stacks.list_rules():
            self.assertEqual(1, len(rule.operations), rule.name)
            self.assertTrue(rule.operations[0]['path'].startswith(
                '/v1/{tenant_id}/stacks'), rule.name)
            self.assertEqual(['project'], rule.scope_types)
