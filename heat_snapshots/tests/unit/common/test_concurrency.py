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

"""Native threads: oslo.service's threading backend, unless a host chose."""

import os
import subprocess
import sys
import warnings

import fixtures
from oslo_service import backend

from heat_snapshots.common import concurrency
from heat_snapshots.tests import base


class InitTest(base.TestCase):

    def select(self, backend_type):
        """oslo.service as if backend_type had been selected (None:
        nothing yet); restored afterwards.
        """
        for name, value in (('_cached_backend_type', backend_type),
                            ('_cached_backend', None),
                            ('_cached_components', None)):
            self.useFixture(fixtures.MonkeyPatch(
                'oslo_service.backend.' + name, value))

    def test_selects_threading_when_nothing_was_selected(self):
        self.select(None)
        concurrency.init()
        self.assertEqual(backend.BackendType.THREADING,
                         backend.get_backend_type())

    def test_a_hosts_choice_stands_and_is_logged(self):
        self.select(backend.BackendType.EVENTLET)
        logger = self.useFixture(fixtures.FakeLogger())
        concurrency.init()
        self.assertEqual(backend.BackendType.EVENTLET,
                         backend.get_backend_type())
        self.assertIn('oslo.service backend eventlet was selected before '
                      'ours; keeping it', logger.output)

    def test_futurists_eventlet_deprecation_is_silenced_only(self):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            concurrency.init()
            for module in ('futurist._utils', 'somebody.else'):
                warnings.warn_explicit(
                    'Eventlet is deprecated. It is currently being '
                    'maintained in bugfix mode', DeprecationWarning,
                    'x.py', 1, module=module)
        self.assertEqual(1, len(caught))


# A new process as one of ours starts (heat_snapshots.cmd runs init), then
# futurist, which imports eventlet: is dnspython in it?
_STARTED = """
import sys
import heat_snapshots.cmd
import futurist
print('dns' in sys.modules)
"""


class GreenResolverTest(base.TestCase):

    def started(self, **environ):
        env = {key: value for key, value in os.environ.items()
               if key != concurrency.NO_GREENDNS}
        env.update(environ)
        return subprocess.run([sys.executable, '-c', _STARTED], env=env,
                              capture_output=True, text=True, check=True,
                              timeout=120).stdout.strip()

    def test_eventlets_green_resolver_is_not_imported(self):
        self.assertEqual('False', self.started())

    def test_an_operators_setting_stands(self):
        self.assertEqual('True', self.started(
            **{concurrency.NO_GREENDNS: 'no'}))
