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

"""The base of the tests that run beside a real Heat 27 (heat_fixture)."""

import logging
import os
import uuid

import fixtures
from oslotest import base as oslotest_base

from heat_snapshots.tests.functional import base
from heat_snapshots.tests.functional import clients
from heat_snapshots.tests.functional import config
from heat_snapshots.tests.functional import heat_fixture
from heat_snapshots.tests.functional import service_lock


class RealHeatTestCase(oslotest_base.BaseTestCase):
    """A test with a real Heat (``self.heat``) and heat-snapshots
    (``self.service``) beside it, and a caller of a new project at each.
    """

    #: The test's own timeout, in seconds.
    test_timeout = 900
    #: What the captured log keeps when OS_LOG_CAPTURE is not set.
    log_level = logging.DEBUG
    #: Whether heat-api with the heat-snapshots filter must be up.
    needs_filter = False

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(self.test_timeout, gentle=True))
        if 'OS_LOG_CAPTURE' not in os.environ:
            self.useFixture(fixtures.FakeLogger(level=self.log_level))
        self.lock = self.useFixture(service_lock.ServerLock())
        try:
            self.env = heat_fixture.get()
        except heat_fixture.HeatUnavailable as error:
            if config.in_ci():
                self.fail('a real Heat is needed in CI (CI=true): %s'
                          % error)
            self.skipTest('no real Heat to test with: %s' % error)
        self.heat = self.env.heat
        self.service = self.env.service
        seen = getattr(self.env, 'servers_generation', None)
        if seen is not None and seen != self.lock.generation:
            # MariaDB or RabbitMQ restarted since: wait for Heat and for
            # heat-snapshots to answer again.
            self.heat.wait_ready()
            self.service.wait_ready()
        self.env.servers_generation = self.lock.generation
        if self.needs_filter and self.heat.filter_error:
            self.fail('heat-api with the heat-snapshots filter did not '
                      'start: %s' % self.heat.filter_error)
        paths = dict(self.service.log_files())
        paths.update(self.heat.log_files())
        base.attach_log_tails(self, paths)
        project = 'hsh-%s' % uuid.uuid4().hex[:12]
        # The same identity at Heat and at heat-snapshots.
        self.in_heat = clients.noauth_caller(self.heat.endpoint, project,
                                             user='user-' + project)
        self.ours = clients.noauth_caller(self.service.endpoint, project,
                                          user='user-' + project)
