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

"""The caller's context: admin by policy, carried whole over RPC."""

from heat_snapshots.common import context
from heat_snapshots.tests import base


class RequestContextTest(base.TestCase):

    def test_admin_is_decided_by_the_policy(self):
        self.assertFalse(self.make_context().is_admin)
        self.assertTrue(self.make_context(
            roles=['admin'], is_admin_project=True).is_admin)

    def test_round_trip_over_rpc_keeps_admin_and_user_name(self):
        sent = self.make_context(roles=['admin'], is_admin_project=True,
                                 user_name='alice')
        received = context.RequestContext.from_dict(sent.to_dict())
        self.assertEqual((True, 'alice', 'project-a', ['admin']),
                         (received.is_admin, received.user_name,
                          received.project_id, received.roles))

    def test_can_checks_the_callers_own_project(self):
        reader = self.make_context(roles=['reader'])
        self.assertTrue(reader.can('stacks:list_snapshots'))
        self.assertFalse(reader.can('stacks:snapshot', fatal=False))


class EngineContextsTest(base.TestCase):

    def test_admin_context_has_no_project(self):
        ctx = context.get_admin_context()
        self.assertTrue(ctx.is_admin)
        self.assertIsNone(ctx.project_id)

    def test_service_context_acts_in_a_project_under_a_request_id(self):
        ctx = context.service_context('project-b', request_id='req-1')
        self.assertEqual((True, 'project-b', 'req-1', None),
                         (ctx.is_admin, ctx.project_id, ctx.request_id,
                          ctx.auth_token))
        self.assertTrue(context.service_context('p').request_id.startswith(
            'req-'))
