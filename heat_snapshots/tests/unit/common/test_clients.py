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

"""Sessions for the cloud: who acts, in which project, for how long."""

from keystoneauth1 import fixture as ks_fixture
from keystoneauth1 import loading as ks_loading
from oslo_context import context as oslo_context
import requests
from requests_mock.contrib import fixture as rm_fixture

from heat_snapshots.common import clients
from heat_snapshots.common import context
from heat_snapshots.common import exception
from heat_snapshots.tests import base

KEYSTONE = 'http://keystone.test/v3'
CINDER = 'http://cinder.test/v3'
GROUP = 'heat_snapshots_service_auth'


class ServiceContextTest(base.TestCase):

    def test_engine_acting_in_a_project(self):
        ctx = context.service_context('project-a')
        self.assertEqual('project-a', ctx.project_id)
        self.assertTrue(ctx.is_admin)
        self.assertIsNone(ctx.auth_token)
        self.assertTrue(ctx.request_id.startswith('req-'))

    def test_request_id_kept(self):
        ctx = context.service_context('project-a', request_id='req-1234')
        self.assertEqual('req-1234', ctx.request_id)

    def test_does_not_replace_the_thread_context(self):
        caller = self.make_context(project_id='project-b')
        caller.update_store()
        context.service_context('project-a')
        self.assertIs(caller, oslo_context.get_current())


class ServiceUserTestCase(base.TestCase):
    """The service user of [heat_snapshots_service_auth] and a Keystone."""

    def setUp(self):
        super().setUp()
        self.http = self.useFixture(rm_fixture.Fixture())
        self.conf_fixture.register_opts(
            ks_loading.get_auth_plugin_conf_options('password'),
            group=GROUP)
        self.flags(group=GROUP, auth_type='password', auth_url=KEYSTONE,
                   username='heat-snapshots', password='secret',
                   user_domain_id='default', project_name='service',
                   project_domain_id='default')
        self.flags(group='heat_snapshots_clients',
                   block_storage_endpoint_override=CINDER +
                   '/%(project_id)s')
        self.http.get(KEYSTONE, json={
            'version': ks_fixture.V3Discovery(KEYSTONE)})

    def keystone_answers(self, project_id):
        token = ks_fixture.V3Token(project_id=project_id)
        self.http.post(KEYSTONE + '/auth/tokens', json=token,
                       headers={'X-Subject-Token': 'service-token'})

    def token_requests(self):
        return [r for r in self.http.request_history
                if r.method == 'POST' and r.url.endswith('/auth/tokens')]


class ScopeTest(ServiceUserTestCase):

    def test_service_context_scopes_the_service_user_to_its_project(self):
        self.keystone_answers('project-a')
        session = clients.get_session(context.service_context('project-a'))

        self.assertEqual('project-a', session.get_project_id())
        scope = self.token_requests()[0].json()['auth']['scope']
        self.assertEqual({'project': {'id': 'project-a'}}, scope)

    def test_context_without_project_or_token_is_refused(self):
        for ctx in (context.get_admin_context(),
                    context.service_context(None)):
            error = self.assertRaises(clients.NoProjectScope,
                                      clients.get_session, ctx)
            self.assertIn('no project id', error.message)
            self.assertIsInstance(error, exception.ServiceUnavailable)
        self.assertEqual([], self.http.request_history)

    def test_connection_without_project_is_refused(self):
        self.assertRaises(clients.NoProjectScope, clients.connection,
                          context.get_admin_context())
        self.assertEqual([], self.http.request_history)

    def test_plugin_that_cannot_be_scoped_is_refused(self):
        self.flags(group=GROUP, auth_type='none')
        error = self.assertRaises(clients.NoProjectScope,
                                  clients.get_session,
                                  context.service_context('project-a'))
        self.assertIn('cannot be scoped to project project-a',
                      error.message)

    def test_no_service_credentials(self):
        self.flags(group=GROUP, auth_type=None)
        error = self.assertRaises(exception.ServiceUnavailable,
                                  clients.get_session,
                                  context.service_context('project-a'))
        self.assertIn('no service credentials', error.message)

    def test_caller_token_needs_no_service_project(self):
        self.flags(group=GROUP, auth_type=None)
        ctx = self.make_context(auth_token='caller-token')
        session = clients.get_session(ctx)
        self.assertEqual('project-a', session.get_project_id())


class TimeoutTest(ServiceUserTestCase):

    def test_default_timeout_on_every_request(self):
        self.keystone_answers('project-a')
        self.http.get(CINDER + '/project-a/backups/b1',
                      json={'backup': {'id': 'b1', 'status': 'available'}})
        self.http.get(CINDER, json={'version': {
            'id': 'v3.0', 'status': 'CURRENT', 'version': '3.70',
            'min_version': '3.0', 'links': [
                {'rel': 'self', 'href': CINDER + '/'}]}})
        conn = clients.connection(context.service_context('project-a'))

        self.assertEqual(60, conn.session.timeout)
        conn.block_storage.get_backup('b1')
        self.assertTrue(self.http.request_history)
        for request in self.http.request_history:
            self.assertEqual(60, request.timeout, request.url)

    def test_configured_timeout(self):
        self.flags(group='heat_snapshots_clients', timeout=17)
        self.assertEqual(17, clients.get_session(
            context.service_context('project-a')).timeout)

    def test_group_timeout_takes_precedence(self):
        self.flags(group='heat_snapshots_clients', timeout=17)
        self.flags(group=GROUP, timeout=5)
        self.assertEqual(5, clients.get_session(
            context.service_context('project-a')).timeout)
        self.assertEqual(5, clients.session_timeout())

    def test_keystone_that_hangs_is_a_clear_error(self):
        def project_of_new_session():
            session = clients.get_session(
                context.service_context('project-a'))
            with clients.timeouts_as_errors('Keystone', session.timeout):
                return session.get_project_id()

        for exc in (requests.exceptions.ConnectTimeout,
                    requests.exceptions.ReadTimeout):
            self.http.post(KEYSTONE + '/auth/tokens', exc=exc)
            error = self.assertRaises(clients.CloudTimeout,
                                      project_of_new_session)
            self.assertIn('Keystone did not answer within 60 seconds',
                          error.message)
            self.assertIn(KEYSTONE + '/auth/tokens', error.message)
