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

"""Policy enforcement: defaults in code, an operator's file over them."""

import os
from unittest import mock

import fixtures

from heat_snapshots.common import exception
from heat_snapshots.common import policy
from heat_snapshots.policies import snapshots
from heat_snapshots.tests import base

TARGET = {'project_id': 'project-a'}


class AuthorizeTest(base.TestCase):

    def test_allowed_returns_true(self):
        self.assertTrue(policy.authorize(self.make_context(),
                                         snapshots.SNAPSHOT, TARGET))

    def test_refused_raises_heats_forbidden_naming_the_action(self):
        reader = self.make_context(roles=['reader'])
        error = self.assertRaises(exception.PolicyNotAuthorized,
                                  policy.authorize, reader,
                                  snapshots.SNAPSHOT, TARGET)
        self.assertEqual('Policy doesn\'t allow stacks:snapshot to be '
                         'performed.', error.message)
        self.assertEqual(403, error.code)

    def test_refused_without_raise_is_false(self):
        reader = self.make_context(roles=['reader'])
        self.assertFalse(policy.authorize(reader, snapshots.SNAPSHOT,
                                          TARGET, do_raise=False))

    def test_another_projects_target_is_refused(self):
        self.assertFalse(policy.authorize(
            self.make_context(), snapshots.SNAPSHOT,
            {'project_id': 'project-b'}, do_raise=False))

    def test_unknown_rule_is_refused_not_a_500(self):
        self.assertRaises(exception.PolicyNotAuthorized, policy.authorize,
                          self.make_context(), 'stacks:nope', TARGET)


class AdminTest(base.TestCase):

    def test_admin_role_in_the_admin_project(self):
        ctx = self.make_context(roles=['admin'], is_admin_project=True)
        self.assertTrue(policy.check_is_admin(ctx))
        self.assertTrue(ctx.is_admin)

    def test_member_is_not_admin(self):
        self.assertFalse(policy.check_is_admin(self.make_context()))


class PolicyFileTest(base.TestCase):

    def test_operators_file_overrides_a_default(self):
        path = os.path.join(self.state_path, 'policy.yaml')
        with open(path, 'w') as f:
            f.write('"stacks:snapshot": "role:snapshotter"\n')
        self.flags(policy_file=path, group='oslo_policy')
        policy.reset()
        member = self.make_context()
        self.assertFalse(policy.authorize(member, snapshots.SNAPSHOT,
                                          TARGET, do_raise=False))
        snapshotter = self.make_context(roles=['snapshotter'])
        self.assertTrue(policy.authorize(snapshotter, snapshots.SNAPSHOT,
                                         TARGET))
        # The other rules keep their defaults.
        self.assertTrue(policy.authorize(member, snapshots.LIST_SNAPSHOTS,
                                         TARGET))

    def test_reset_forgets_the_rules(self):
        enforcer = policy.init()
        self.assertIs(enforcer, policy.init())
        policy.reset()
        self.assertIsNot(enforcer, policy.init())

    def test_a_changed_file_applies_once_the_files_are_looked_at_again(self):
        path = os.path.join(self.state_path, 'policy.yaml')
        with open(path, 'w') as f:
            f.write('"stacks:snapshot": "role:member"\n')
        now = [1000.0]
        self.useFixture(fixtures.MockPatchObject(
            policy.time, 'monotonic', side_effect=lambda: now[0]))
        self.flags(policy_file=path, group='oslo_policy')
        policy.reset()
        member = self.make_context()
        self.assertTrue(policy.authorize(member, snapshots.SNAPSHOT, TARGET,
                                         do_raise=False))
        with open(path, 'w') as f:
            f.write('"stacks:snapshot": "role:snapshotter"\n')
        # oslo.policy sees a change by the file's mtime.
        stat = os.stat(path)
        os.utime(path, (stat.st_atime, stat.st_mtime + 10))
        # Not looked at within the interval: the rules loaded stand.
        now[0] += policy.FILES_CHECK_INTERVAL / 2
        self.assertTrue(policy.authorize(member, snapshots.SNAPSHOT, TARGET,
                                         do_raise=False))
        now[0] += policy.FILES_CHECK_INTERVAL
        self.assertFalse(policy.authorize(member, snapshots.SNAPSHOT,
                                          TARGET, do_raise=False))

    def test_files_are_not_searched_on_every_check(self):
        enforcer = policy.init()
        now = [1000.0]
        self.useFixture(fixtures.MockPatchObject(
            policy.time, 'monotonic', side_effect=lambda: now[0]))
        policy.authorize(self.make_context(), snapshots.SNAPSHOT, TARGET)
        with mock.patch.object(enforcer, '_get_policy_path',
                               side_effect=enforcer._get_policy_path) as look:
            for _ in range(5):
                policy.authorize(self.make_context(), snapshots.SNAPSHOT,
                                 TARGET)
            self.assertEqual(0, look.call_count)
            now[0] += policy.FILES_CHECK_INTERVAL
            policy.authorize(self.make_context(), snapshots.SNAPSHOT, TARGET)
            self.assertGreater(look.call_count, 0)
