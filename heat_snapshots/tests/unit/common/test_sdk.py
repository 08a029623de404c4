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

"""openstacksdk (and keystonemiddleware) stay out of a process that does
not talk to the cloud (or to Keystone)."""

import subprocess
import sys

from heat_snapshots.common import sdk
from heat_snapshots.tests import base

# What heat-snapshots-all imports on the embedded default (noauth, the
# local stack driver), its resource plugins loaded as a walk loads them;
# then which of the heavy packages it holds.
_EMBEDDED = '''
import sys
import heat_snapshots.cmd.all
from heat_snapshots.engine import service
from heat_snapshots.engine.resources import registry
from heat_snapshots.localstack import driver
registry.plugins()
print(' '.join(sorted(name for name in ('openstack', 'keystonemiddleware')
                      if name in sys.modules)))
'''


class ImportFootprintTest(base.TestCase):

    def test_embedded_process_imports_neither_sdk_nor_auth_token(self):
        out = subprocess.run([sys.executable, '-c', _EMBEDDED],
                             capture_output=True, text=True, check=True,
                             timeout=120)
        self.assertEqual('', out.stdout.strip())

    def test_a_module_is_imported_when_first_named(self):
        import openstack.exceptions
        self.assertIs(openstack.exceptions.NotFoundException,
                      sdk.exceptions.NotFoundException)

    def test_an_unknown_name_is_an_attribute_error(self):
        self.assertRaises(AttributeError, getattr, sdk, 'identity')
