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

"""The transport defaults: in-process, on Heat's exchange."""

from oslo_config import cfg
import oslo_messaging

from heat_snapshots.conf import messaging
from heat_snapshots.tests import base


class MessagingDefaultsTest(base.TestCase):

    def setUp(self):
        super().setUp()
        self.conf = cfg.ConfigOpts()
        messaging.register_opts(self.conf)
        self.conf([], default_config_files=[])

    def test_unconfigured_transport_is_in_process(self):
        self.assertEqual(messaging.IN_PROCESS_TRANSPORT_URL,
                         self.conf.transport_url)

    def test_exchange_is_heats(self):
        self.assertEqual('heat', self.conf.control_exchange)
        transport = oslo_messaging.get_rpc_transport(self.conf)
        self.addCleanup(transport.cleanup)
        self.assertEqual('heat', transport.conf.control_exchange)

    def test_a_configured_transport_wins(self):
        self.conf.set_override('transport_url', 'rabbit://h:5672/')
        messaging.set_defaults(self.conf)
        self.assertEqual('rabbit://h:5672/', self.conf.transport_url)
