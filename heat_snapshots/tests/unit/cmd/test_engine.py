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

"""heat-snapshots-engine's start-up, in this process."""

import fixtures

from heat_snapshots.cmd import engine as engine_cmd
from heat_snapshots.common import service
from heat_snapshots.tests import base


class MainTest(base.TestCase):

    def setUp(self):
        super().setUp()
        # heat.conf is read by prepare_service (common/test_service.py);
        # the flags below stand for it. Serving starts processes: the
        # functional tests do that.
        self.useFixture(fixtures.MockPatchObject(service, 'prepare_service'))
        self.serve = self.useFixture(fixtures.MockPatchObject(
            service, 'serve')).mock

    def test_in_process_transport_is_refused_naming_the_fix(self):
        self.flags(transport_url='fake:/')
        error = self.assertRaises(SystemExit, engine_cmd.main,
                                  ['heat-snapshots-engine'])
        self.assertIn('[DEFAULT] transport_url', error.code)
        self.assertIn('heat-snapshots-all', error.code)
        self.serve.assert_not_called()

    def test_each_worker_builds_its_own_engine(self):
        self.flags(transport_url='rabbit://guest:guest@127.0.0.1:1/')
        self.flags(workers=3, group='heat_snapshots')
        engine_cmd.main(['heat-snapshots-engine'])
        served, = self.serve.call_args.args
        self.assertIsInstance(served, service.PerProcess)
        self.assertEqual(3, self.serve.call_args.kwargs['workers'])
        # Nothing is built before the worker starts it.
        self.assertIsNone(served.service)
