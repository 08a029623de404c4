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

"""heat-snapshots-status upgrade check."""

import fixtures
from oslo_upgradecheck import upgradecheck
from requests_mock.contrib import fixture as rm_fixture

from heat_snapshots.cmd import status
from heat_snapshots.db import migration
from heat_snapshots.tests import base
from heat_snapshots.tests.unit.api import auth_fixture

Code = upgradecheck.Code


class TestDatabaseCheck(base.TestCase):

    def test_synced_database_passes(self):
        self.useFixture(base.Database())
        result = status.Checks()._check_database()
        self.assertEqual(Code.SUCCESS, result.code)
        self.assertIn(migration.head(), result.details)

    def test_empty_database_fails_with_the_fix(self):
        self.useFixture(base.EmptyDatabase())
        result = status.Checks()._check_database()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertEqual(
            'Database schema is at None, head is %s: run '
            'heat-snapshots-manage db sync' % migration.head(),
            result.details)

    def test_unreadable_database_fails(self):
        self.useFixture(base.EmptyDatabase())
        self.useFixture(fixtures.MockPatchObject(
            migration, 'version', side_effect=RuntimeError('gone away')))
        result = status.Checks()._check_database()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('gone away', result.details)


class TestConfigurationChecks(base.TestCase):

    def test_keystone_passes(self):
        self.useFixture(auth_fixture.KeystoneAuthtoken(self.conf_fixture))
        self.assertEqual(Code.SUCCESS, status.Checks()._check_auth().code)

    def test_keystone_without_authtoken_fails(self):
        result = status.Checks()._check_auth()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('[keystone_authtoken] lacks www_authenticate_uri, '
                      'auth_type,', result.details)
        self.assertIn('refuse to start', result.details)

    def test_keystone_without_credentials_fails(self):
        self.useFixture(auth_fixture.KeystoneAuthtoken(
            self.conf_fixture, dict(auth_fixture.COMPLETE, password=None)))
        result = status.Checks()._check_auth()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('[keystone_authtoken] lacks password,', result.details)

    def test_noauth_on_loopback_warns(self):
        self.flags(auth_strategy='noauth', group='heat_snapshots_api')
        self.assertEqual(Code.WARNING, status.Checks()._check_auth().code)

    def test_noauth_on_any_address_fails(self):
        self.flags(auth_strategy='noauth', bind_host='0.0.0.0',
                   group='heat_snapshots_api')
        result = status.Checks()._check_auth()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('allow_noauth_on_any_address', result.details)

    def test_noauth_on_any_address_allowed_warns(self):
        self.flags(auth_strategy='noauth', bind_host='0.0.0.0',
                   allow_noauth_on_any_address=True,
                   group='heat_snapshots_api')
        self.assertEqual(Code.WARNING, status.Checks()._check_auth().code)

    def test_noauth_warns_of_the_other_entry_points_refusals(self):
        # The same rule as the entry points (auth_check.startup_problem).
        self.flags(auth_strategy='noauth', group='heat_snapshots_api')
        result = status.Checks()._check_auth()
        self.assertEqual(Code.WARNING, result.code)
        self.assertIn('heat_snapshots.wsgi.api: auth_strategy = noauth',
                      result.details)
        self.assertIn('allow_noauth_wsgi = true', result.details)
        self.assertIn('noauth is refused in heat-api', result.details)
        self.flags(allow_noauth_wsgi=True, group='heat_snapshots_api')
        result = status.Checks()._check_auth()
        self.assertNotIn('allow_noauth_wsgi = true', result.details)
        self.assertIn('noauth is refused in heat-api', result.details)

    def test_heat_api_warns_that_only_the_filter_can_use_it(self):
        self.flags(auth_strategy='heat_api', group='heat_snapshots_api')
        result = status.Checks()._check_auth()
        self.assertEqual(Code.WARNING, result.code)
        self.assertIn('heat-snapshots-api: [heat_snapshots_api] '
                      'auth_strategy = heat_api', result.details)
        self.assertNotIn("filter: ", result.details)

    def test_in_process_transport_warns(self):
        self.flags(transport_url='fake:/')
        result = status.Checks()._check_transport()
        self.assertEqual(Code.WARNING, result.code)
        self.assertIn('heat-snapshots-all', result.details)

    def test_broker_passes(self):
        self.flags(transport_url='rabbit://heat:secret@mq.example.com:5672/')
        self.assertEqual(Code.SUCCESS,
                         status.Checks()._check_transport().code)

    def test_local_stack_driver_loads(self):
        self.assertEqual(Code.SUCCESS,
                         status.Checks()._check_stack_driver().code)

    def test_unknown_stack_driver_fails(self):
        self.flags(stack_driver='no-such-driver', group='heat_snapshots')
        result = status.Checks()._check_stack_driver()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('no-such-driver', result.details)


class TestHeatEndpointCheck(base.TestCase):
    """The heat driver's Heat must not be the heat-api with our filter."""

    def setUp(self):
        super().setUp()
        self.http = self.useFixture(rm_fixture.Fixture())
        self.flags(stack_driver='heat', group='heat_snapshots')

    def check(self):
        return status.Checks()._check_heat_endpoint()

    def test_filtered_endpoint_warns(self):
        self.flags(endpoint_override='http://heat.test:8004/v1',
                   group='heat_snapshots_heat')
        self.http.get('http://heat.test:8004/', json={'versions': []},
                      headers={'X-Heat-Snapshots-Filter': '1'})
        result = self.check()
        self.assertEqual(Code.WARNING, result.code)
        self.assertIn('http://heat.test:8004/v1 is a heat-api with the '
                      'heat-snapshots filter', result.details)

    def test_endpoint_without_the_filter_passes(self):
        self.flags(endpoint_override='http://heat-internal.test:8004/v1/'
                                     '%(project_id)s',
                   group='heat_snapshots_heat')
        self.http.get('http://heat-internal.test:8004/',
                      json={'versions': []})
        self.assertEqual(Code.SUCCESS, self.check().code)

    def test_public_interface_warns(self):
        self.flags(interface='public', group='heat_snapshots_heat')
        result = self.check()
        self.assertEqual(Code.WARNING, result.code)
        self.assertIn('interface = internal', result.details)
        self.flags(interface='internal', group='heat_snapshots_heat')
        self.assertEqual(Code.SUCCESS, self.check().code)

    def test_other_stack_drivers_pass(self):
        self.flags(stack_driver='local', group='heat_snapshots')
        self.assertEqual(Code.SUCCESS, self.check().code)
        self.assertEqual([], self.http.request_history)
