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

"""What oslo-config-generator lists."""

from oslo_config import cfg

from heat_snapshots.conf import clients
from heat_snapshots.conf import opts
from heat_snapshots.tests import base


class ListOptsTest(base.TestCase):

    def test_groups_sorted_and_each_once(self):
        groups = [group for group, _options in opts.list_opts()]
        self.assertEqual(sorted(set(groups)), groups)
        self.assertIn('heat_snapshots', groups)

    def test_every_option_has_help(self):
        for group, options in opts.list_opts():
            for option in options:
                self.assertTrue(option.help, '%s.%s' % (group, option.name))

    def test_every_listed_option_is_registered(self):
        for group, options in opts.list_opts():
            if group in (clients.SERVICE_AUTH_GROUP, 'trustee'):
                # keystoneauth registers a plugin's options when it loads
                # the plugin.
                continue
            section = (base.CONF if group == 'DEFAULT'
                       else getattr(base.CONF, group))
            for option in options:
                # Reading it does not raise NoSuchOptError.
                getattr(section, option.dest)


class SetDefaultsTest(base.TestCase):

    def test_sets_the_in_process_transport(self):
        conf = cfg.ConfigOpts()
        conf.register_opt(cfg.StrOpt('transport_url'))
        conf.register_opt(cfg.StrOpt('control_exchange'))
        opts.set_defaults(conf)
        conf([], default_config_files=[])
        self.assertEqual('fake:/', conf.transport_url)
