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

"""Keystone trusts: made at request time, worked on, deleted at the end.

Keystone answers at the HTTP level (requests_mock), in its API's shapes.
"""

import fixtures
from oslo_config import cfg
import requests

from heat_snapshots.common import clients
from heat_snapshots.common import context
from heat_snapshots.common import exception
from heat_snapshots.common import trusts
from heat_snapshots.conf import trusts as trusts_conf
from heat_snapshots.tests import base
from heat_snapshots.tests.unit.common import base as common_base

# The trusts' test base (base.py), under the names used here.
KEYSTONE = common_base.KEYSTONE
CINDER = common_base.CINDER
TRUSTS = common_base.TRUSTS
TRUSTEE_ID = common_base.TRUSTEE_ID
KeystoneTrusts = common_base.KeystoneTrusts
TrustTestCase = common_base.TrustTestCase


class EnabledTest(TrustTestCase):

    def test_keystone_and_trusts(self):
        self.assertTrue(trusts.enabled())

    def test_token_method_or_noauth_makes_none(self):
        self.flags(deferred_auth_method='token')
        self.assertFalse(trusts.enabled())
        self.flags(deferred_auth_method='trusts')
        self.flags(group='heat_snapshots_api', auth_strategy='noauth')
        self.assertFalse(trusts.enabled())
        with trusts.delegated(self.caller) as ctx:
            self.assertIsNone(ctx.trust_id)
        self.assertEqual([], self.http.request_history)


class HeatOptionsTest(base.TestCase):

    def test_heat_api_registered_its_own_options_first(self):
        # The paste filter runs in heat-api, whose heat.conf options of
        # the same names are Heat's.
        conf = cfg.ConfigOpts()
        conf.register_opt(cfg.StrOpt('deferred_auth_method',
                                     choices=['password', 'trusts'],
                                     default='trusts', help='Heat'))
        trusts_conf.register_opts(conf)
        conf([], default_config_files=[])
        self.assertEqual('trusts', conf.deferred_auth_method)
        self.assertEqual([], conf.trusts_delegated_roles)
        self.assertIsNone(conf.trustee.auth_type)


class CreateTest(TrustTestCase):

    def test_caller_delegates_its_roles_to_the_trustee(self):
        self.trust_created()
        with trusts.delegated(self.caller) as ctx:
            self.assertEqual('trust-1', ctx.trust_id)
        post, = self.requests('POST', TRUSTS)
        self.assertEqual('caller-token', post.headers['X-Auth-Token'])
        self.assertEqual({'trust': {
            'trustor_user_id': 'user-a', 'trustee_user_id': TRUSTEE_ID,
            'project_id': 'project-a', 'impersonation': True,
            'roles': [{'name': 'member'}, {'name': 'reader'}]}},
            post.json())
        # The trust stays: the operation the block started owns it.
        self.assertEqual([], self.requests('DELETE', TRUSTS + '/trust-1'))

    def test_configured_roles_are_delegated(self):
        self.flags(trusts_delegated_roles=['heat_stack_owner'])
        self.trust_created()
        with trusts.delegated(self.caller):
            pass
        post, = self.requests('POST', TRUSTS)
        self.assertEqual([{'name': 'heat_stack_owner'}],
                         post.json()['trust']['roles'])

    def test_roles_keystone_refuses_are_a_400_and_nothing_starts(self):
        self.http.post(TRUSTS, status_code=404, json={'error': {
            'code': 404, 'message': 'Could not find role: member.'}})
        started = []
        error = self.assertRaises(trusts.MissingCredentialError,
                                  self._start, started)
        self.assertEqual(400, error.code)
        self.assertEqual('MissingCredentialError', error.type_name)
        self.assertEqual('Missing required credential: roles member, '
                         'reader (Keystone refused to delegate them to '
                         'heat-snapshots: Could not find role: member.)',
                         error.message)
        self.assertEqual([], started)

    def _start(self, started):
        with trusts.delegated(self.caller):
            started.append(True)

    def test_keystone_down_is_a_503(self):
        self.http.post(TRUSTS, status_code=500, text='boom')
        error = self.assertRaises(trusts.TrustUnavailable,
                                  trusts.create, self.caller)
        self.assertIsInstance(error, exception.ServiceUnavailable)
        self.assertIn('Keystone answered 500', error.message)

    def test_keystone_unreachable_is_a_503_without_its_address(self):
        self.http.post(KEYSTONE + '/auth/tokens',
                       exc=requests.exceptions.ConnectionError(
                           'cannot reach http://keystone.test/v3'))
        error = self.assertRaises(trusts.TrustUnavailable,
                                  trusts.create, self.caller)
        self.assertIn('Keystone could not be asked', error.message)
        self.assertIn('req-1', error.message)
        self.assertNotIn('keystone.test', error.message)

    def test_no_trustee_configured_is_named(self):
        self.flags(group='trustee', auth_type=None)
        error = self.assertRaises(trusts.TrustUnavailable,
                                  trusts.create, self.caller)
        self.assertIn('[trustee]', error.message)

    def test_failed_request_deletes_its_unused_trust(self):
        self.trust_created()
        self.http.delete(TRUSTS + '/trust-1', status_code=204)

        def refused():
            with trusts.delegated(self.caller):
                raise exception.ActionInProgress(stack_name='s',
                                                 action='SNAPSHOT')
        self.assertRaises(exception.ActionInProgress, refused)
        delete, = self.requests('DELETE', TRUSTS + '/trust-1')
        self.assertEqual('caller-token', delete.headers['X-Auth-Token'])


class WorkOnTrustTest(TrustTestCase):

    def trust_context(self):
        return context.service_context('project-a', trust_id='trust-1')

    def test_walk_has_one_trust_scoped_session(self):
        self.http.get(CINDER + '/project-a/backups/b1',
                      json={'backup': {'id': 'b1', 'status': 'creating'}})
        ctx = self.trust_context()
        for _resource in range(3):
            # What each resource's plugin does.
            conn = clients.connection(ctx)
            conn.session.get(CINDER + '/project-a/backups/b1')
        # One token for the walk, on the trust, not project-scoped.
        self.assertEqual([{'OS-TRUST:trust': {'id': 'trust-1'}}],
                         self.token_scopes())
        self.assertEqual(3, len(self.requests(
            'GET', CINDER + '/project-a/backups/b1')))
        # Another walk, another session.
        clients.get_session(self.trust_context()).get_token()
        self.assertEqual(2, len(self.token_scopes()))

    def test_trust_survives_the_rpc_context(self):
        ctx = context.RequestContext.from_dict(
            self.trust_context().to_dict())
        self.assertEqual('trust-1', ctx.trust_id)

    def test_delete_uses_a_token_of_the_trust(self):
        self.http.delete(TRUSTS + '/trust-1', status_code=204)
        self.assertTrue(trusts.delete('trust-1'))
        self.assertEqual([{'OS-TRUST:trust': {'id': 'trust-1'}}],
                         self.token_scopes())
        self.assertEqual(1, len(self.requests('DELETE',
                                              TRUSTS + '/trust-1')))

    def test_trust_already_gone_is_fine(self):
        self.http.delete(TRUSTS + '/trust-1', status_code=404)
        self.assertTrue(trusts.delete('trust-1'))

    def test_delete_that_fails_is_logged_not_raised(self):
        self.http.delete(TRUSTS + '/trust-1', status_code=500, json={
            'error': {'message': 'boom'}})
        log = self.useFixture(fixtures.FakeLogger())
        self.assertFalse(trusts.delete('trust-1'))
        self.assertIn('openstack trust delete trust-1', log.output)
