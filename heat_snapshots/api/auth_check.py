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

"""Whether the API's keystone set-up can work, known before it serves.

keystonemiddleware's auth_token reads ``[keystone_authtoken]`` lazily: with
no ``auth_type`` (or a plugin without its URL or credentials) the API
starts, then answers every request with a 500 (``MissingAuthPlugin``).
heat-snapshots-api, the WSGI entry point and heat-snapshots-status check
the same options with keystonemiddleware's and keystoneauth's own
definitions, and name every missing one in a single line.
"""

from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import loading
from keystonemiddleware import auth_token

GROUP = 'keystone_authtoken'

# The credentials a plugin needs beside its required options (keystoneauth
# marks only auth_url required): (option present in the plugin, what must
# be set, alternatives of which one must be set).
_CREDENTIALS = (
    ('password', ['password'], ['username', 'user_id']),
    ('application_credential_secret', ['application_credential_secret'],
     ['application_credential_id', 'application_credential_name']),
    ('token', ['token'], []),
)

EXAMPLE = ('www_authenticate_uri and auth_type = password with auth_url, '
           'username, password, project_name, user_domain_name and '
           'project_domain_name')


def register_opts(conf):
    """Register what auth_token registers when it is built."""
    for group, options in auth_token.list_opts():
        conf.register_opts(options, group=group)


def _plugin_problems(conf, section, plugin):
    """The missing options of ``plugin`` in ``[section]``."""
    try:
        loader = loading.get_plugin_loader(plugin)
    except ks_exceptions.NoMatchingPlugin:
        return ['auth_type (%s is not a keystoneauth plugin)' % plugin]
    conf.register_opts(loading.get_auth_plugin_conf_options(loader),
                       group=section)
    values = {opt.dest: conf[section][opt.dest]
              for opt in loader.get_options()}
    missing = [opt.dest for opt in loader.get_options()
               if opt.required and not values[opt.dest]]
    for present, needed, alternatives in _CREDENTIALS:
        if present not in values:
            continue
        missing.extend(name for name in needed if not values.get(name))
        if alternatives and not any(values.get(n) for n in alternatives):
            missing.append(' or '.join(alternatives))
    return missing


def keystone_problem(conf, prog):
    """One line naming what auth_token lacks to validate tokens, or None.

    ``www_authenticate_uri`` (sent to clients that have no token) and an
    ``auth_type`` with its URL and credentials (the middleware's own
    session with Keystone) must be set, in ``[keystone_authtoken]`` or in
    the group its ``auth_section`` names.
    """
    register_opts(conf)
    ksa = conf[GROUP]
    missing = {}
    if not ksa.www_authenticate_uri:
        missing.setdefault(GROUP, []).append('www_authenticate_uri')
    section = ksa.auth_section or GROUP
    if section != GROUP:
        loading.register_auth_conf_options(conf, section)
    plugin = conf[section].auth_type
    if not plugin:
        missing.setdefault(section, []).append('auth_type')
    else:
        names = _plugin_problems(conf, section, plugin)
        if names:
            missing.setdefault(section, []).extend(names)
    if not missing:
        return None
    lacks = '; '.join('[%s] lacks %s' % (group, ', '.join(names))
                      for group, names in missing.items())
    return ('%s: auth_strategy = keystone, but %s, so keystonemiddleware '
            'cannot validate tokens (set them as in Heat\'s '
            '[keystone_authtoken], e.g. %s).' % (prog, lacks, EXAMPLE))
