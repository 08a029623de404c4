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

"""[keystone_authtoken] as a deployment sets it, for the start-up checks."""

import fixtures
from keystoneauth1 import loading
from keystonemiddleware import auth_token

from heat_snapshots.api import auth_check

# A complete set-up (Heat's, as DevStack writes it); nothing is contacted.
COMPLETE = {
    'www_authenticate_uri': 'http://127.0.0.1:9/identity',
    'auth_url': 'http://127.0.0.1:9/identity',
    'auth_type': 'password',
    'username': 'heat-snapshots',
    'password': 'service-password',
    'project_name': 'service',
    'user_domain_name': 'Default',
    'project_domain_name': 'Default',
}


class KeystoneAuthtoken(fixtures.Fixture):
    """``[keystone_authtoken]`` registered, then set to ``options``.

    :param options: the values; None options are left unset. COMPLETE
        when omitted.
    :param plugins: the keystoneauth plugins whose options to register
        (their options can be set only then).
    """

    def __init__(self, conf_fixture, options=None, plugins=('password',),
                 group=auth_check.GROUP):
        super().__init__()
        self.conf_fixture = conf_fixture
        self.options = COMPLETE if options is None else options
        self.plugins = plugins
        self.group = group

    def _setUp(self):
        # Through the config fixture, which unregisters them afterwards: a
        # plugin's required options (auth_url) left registered would fail
        # every later parse of the configuration.
        register = self.conf_fixture.register_opts
        for group, options in auth_token.list_opts():
            register(options, group=group)
        if self.group != auth_check.GROUP:
            register(loading.get_auth_common_conf_options(), group=self.group)
        for plugin in self.plugins:
            register(loading.get_auth_plugin_conf_options(plugin),
                     group=self.group)
        for name, value in self.options.items():
            if value is not None:
                self.conf_fixture.config(group=self.group, **{name: value})
