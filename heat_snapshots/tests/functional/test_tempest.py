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

"""``tempest run`` of the heat-snapshots tempest plugin, as an operator
validates a deployed cloud.

The cloud is tempest_fixture.py's: a real Keystone with the
``stack-snapshots`` endpoint in its catalog, heat-snapshots-api and two
engines on MariaDB and RabbitMQ. The run's Totals block is printed (on
stderr, which stestr passes on) and every test of the plugin must pass:
none failed, none skipped.

Under CI=true, a tempest that cannot be installed, or a Keystone, MariaDB
or RabbitMQ that is missing, fails the test; elsewhere it skips, naming
why.
"""

import os
import sys
import time

import fixtures
import testtools
from testtools import content

from heat_snapshots.tests.functional import config
from heat_snapshots.tests.functional import deployment
from heat_snapshots.tests.functional import service_lock
from heat_snapshots.tests.functional import tempest_fixture
from heat_snapshots.tests.functional import venvs

# The first build of the virtualenvs (tempest's, Keystone's) included.
TIMEOUT = (venvs.INSTALL_TIMEOUT + tempest_fixture.RUN_TIMEOUT
           + 600)


class TempestRunTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(TIMEOUT, gentle=True))

    def _unavailable(self, error):
        if config.in_ci():
            self.fail('tempest needs to run in CI (CI=true): %s' % error)
        self.skipTest('cannot run tempest: %s' % error)

    def _attach(self, name, path):
        self.addDetail(name, content.text_content(
            deployment.tail(path, 400)))

    def test_tempest_run_passes_every_plugin_test(self):
        started = time.monotonic()
        try:
            venv = tempest_fixture.Virtualenv().ensure()
        except tempest_fixture.TempestUnavailable as error:
            self._unavailable(error)
        # MariaDB and RabbitMQ are shared: no fault test restarts them
        # while this deployment uses them (service_lock.py).
        self.useFixture(service_lock.ServerLock())
        cloud = tempest_fixture.Cloud()
        self.addCleanup(cloud.stop)
        try:
            cloud.start()
        except (tempest_fixture.TempestUnavailable,
                deployment.ServiceUnavailable) as error:
            self._unavailable(error)
        ready = time.monotonic()
        run = tempest_fixture.Run(venv, cloud)
        try:
            run.prepare()
        except tempest_fixture.TempestUnavailable as error:
            self._unavailable(error)
        run.run()

        def attach_logs(exc_info):
            self._attach('tempest run', run.output_path)
            self._attach('tempest.log', run.workspace + '/tempest.log')
            for name, path in cloud.log_files().items():
                self._attach('log:' + name, path)
        self.addOnException(attach_logs)

        try:
            block, counts = tempest_fixture.parse_totals(run.output)
        except ValueError as error:
            self.fail('%s (exit %s):\n%s' % (
                error, run.returncode, run.output[-4000:]))
        summary = ('\nheat-snapshots tempest plugin, tempest %s: virtualenv '
                   'install %.1f s (0: cached), cloud up in %.1f s, tempest '
                   'run %.1f s\n%s\n'
                   % (tempest_fixture.TEMPEST_VERSION, venv.install_seconds,
                      ready - started, run.seconds, block))
        # One write: the block stays whole among the other workers' output
        # (stestr passes the workers' stderr on).
        sys.stderr.flush()
        os.write(2, summary.encode())

        expected = tempest_fixture.expected_tests()
        self.assertGreater(expected, 0)
        self.assertEqual(0, run.returncode, 'tempest run failed:\n%s'
                         % block)
        self.assertEqual(0, counts.get('Failed', 0), block)
        self.assertEqual(0, counts.get('Skipped', 0), block)
        self.assertEqual(0, counts.get('Unexpected Success', 0), block)
        self.assertEqual(expected, counts['Ran'], block)
        self.assertEqual(expected, counts.get('Passed'), block)
        run.remove()
