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

"""The paste filter that puts our snapshot API into heat-api."""

import webob
import webtest

from heat_snapshots.api import paste
from heat_snapshots.tests import base
from heat_snapshots.tests.unit.api import api_fixture

STACK_ID = '5f2c9a4e-7b1d-4c3e-9f8a-6b5d4c3e2f1a'


class DownstreamApp:
    """Heat's pipeline below the filter: records what reaches it."""

    def __init__(self, name):
        self.name = name
        self.calls = []

    def __call__(self, environ, start_response):
        self.calls.append((environ['SCRIPT_NAME'], environ['PATH_INFO'],
                           environ['REQUEST_METHOD']))
        return webob.Response(json={'served_by': self.name})(
            environ, start_response)


class RoutingTest(base.TestCase):

    use_db = True

    def setUp(self):
        super().setUp()
        self.heat = DownstreamApp('heat')
        self.ours = DownstreamApp('heat-snapshots')
        self.routes = paste.SnapshotRoutes(self.heat, lambda: self.ours)

    def served_by(self, path, method='GET', script_name=''):
        request = webob.Request.blank(path, environ={
            'REQUEST_METHOD': method, 'SCRIPT_NAME': script_name})
        return request.get_response(self.routes).json['served_by']

    def test_snapshot_routes_are_ours(self):
        base_path = '/v1/t1/stacks/web/%s/snapshots' % STACK_ID
        for path, method in ((base_path, 'GET'), (base_path, 'POST'),
                             (base_path + '/s1', 'GET'),
                             (base_path + '/s1', 'DELETE'),
                             (base_path + '/s1/restore', 'POST')):
            self.assertEqual('heat-snapshots',
                             self.served_by(path, method), path)
        self.assertEqual([], self.heat.calls)

    def test_every_other_route_is_heats_untouched(self):
        for path, method in (
                ('/', 'GET'), ('/v1/t1/stacks', 'GET'),
                ('/v1/t1/stacks', 'POST'),
                ('/v1/t1/stacks/web', 'GET'),
                ('/v1/t1/stacks/web/%s' % STACK_ID, 'DELETE'),
                ('/v1/t1/stacks/web/%s/resources' % STACK_ID, 'GET'),
                # Not a lookup route in Heat either: Heat's 404.
                ('/v1/t1/stacks/web/snapshots', 'GET'),
                ('/v1/t1/stacks/web/%s/snapshotsx' % STACK_ID, 'GET')):
            self.assertEqual('heat', self.served_by(path, method), path)
        self.assertEqual([], self.ours.calls)
        self.assertIn(('', '/v1/t1/stacks', 'POST'), self.heat.calls)

    def test_after_heats_version_negotiation(self):
        path = '/t1/stacks/web/%s/snapshots' % STACK_ID
        self.assertEqual('heat-snapshots',
                         self.served_by(path, script_name='/v1'))
        self.assertEqual([('', '/v1' + path, 'GET')], self.ours.calls)

    def test_filter_factory(self):
        self.flags(auth_strategy='heat_api', group='heat_snapshots_api')
        make_filter = paste.filter_factory({'__file__': 'api-paste.ini'})
        routes = make_filter(self.heat)
        self.assertIsInstance(routes, paste.SnapshotRoutes)
        self.assertIs(self.heat, routes.application)

    def test_noauth_is_refused_outright(self):
        # Whatever heat-api listens on: it has an authentication of its
        # own, which noauth on the snapshot routes would go around.
        for host in ('127.0.0.1', '0.0.0.0'):
            self.flags(auth_strategy='noauth', bind_host=host,
                       allow_noauth_on_any_address=True,
                       allow_noauth_wsgi=True, group='heat_snapshots_api')
            error = self.assertRaises(RuntimeError, paste.filter_factory,
                                      {'__file__': 'api-paste.ini'})
            self.assertIn('auth_strategy = noauth is refused in heat-api',
                          str(error))


class HeatContext:
    """What heat-api's context middleware leaves on the request."""

    def __init__(self, project_id, user_id, roles):
        self.project_id = project_id
        self.user_id = user_id
        self.roles = roles
        self.user_domain_id = self.project_domain_id = 'default'
        self.auth_token = None


class HeatAuthentication:
    """heat-api's authentication and context middleware, above the filter.
    """

    def __init__(self, application, context):
        self.application = application
        self.context = context

    def __call__(self, environ, start_response):
        if self.context is not None:
            webob.Request(environ).context = self.context
        return self.application(environ, start_response)


class ThroughOurAPITest(base.TestCase):
    """Our real application and engine behind the filter."""

    use_db = True

    def setUp(self):
        super().setUp()
        self.api = self.useFixture(api_fixture.API(auth_strategy='heat_api'))
        self.heat = DownstreamApp('heat')
        self.context = HeatContext(api_fixture.PROJECT, api_fixture.USER,
                                   ['member'])
        self.app = webtest.TestApp(HeatAuthentication(
            paste.filter_factory({})(self.heat), self.context))

    def test_snapshots_listed_by_our_engine(self):
        ctx = self.make_context(project_id=api_fixture.PROJECT,
                                user_id=api_fixture.USER)
        identity = self.api.engine.manager.stack_endpoint.create_stack(
            ctx, 'web', {'heat_template_version': '2018-08-31',
                         'resources': {'n': {'type': 'OS::Heat::None'}}},
            {}, {}, {}, {})
        path = '/v1/%s/stacks/web/%s/snapshots' % (api_fixture.PROJECT,
                                                   identity['stack_id'])
        response = self.app.get(path, headers=api_fixture.headers())
        self.assertEqual({'snapshots': []}, response.json)
        self.assertIn('X-OpenStack-Request-Id', response.headers)

        response = self.app.get('/v1/%s/stacks' % api_fixture.PROJECT,
                                headers=api_fixture.headers())
        self.assertEqual({'served_by': 'heat'}, response.json)
        self.assertEqual(1, len(self.heat.calls))

    def test_caller_is_the_one_heat_authenticated_not_the_headers(self):
        # Headers naming another project change nothing: heat-api's
        # context says who the caller is.
        path = '/v1/%s/stacks/web/%s/snapshots' % ('project-b', STACK_ID)
        response = self.app.get(path, headers=api_fixture.headers(
            project='project-b', roles=['admin']), expect_errors=True)
        self.assertEqual(403, response.status_int)
        self.assertEqual('HTTPForbidden', response.json['error']['type'])

    def test_filter_before_heats_authentication_is_401(self):
        self.context = None
        app = webtest.TestApp(HeatAuthentication(
            paste.filter_factory({})(self.heat), None))
        path = '/v1/%s/stacks/web/%s/snapshots' % (api_fixture.PROJECT,
                                                   STACK_ID)
        response = app.get(path, headers=api_fixture.headers(),
                           expect_errors=True)
        self.assertEqual(401, response.status_int)
        self.assertEqual('HTTPUnauthorized', response.json['error']['type'])
        self.assertEqual([], self.heat.calls)
