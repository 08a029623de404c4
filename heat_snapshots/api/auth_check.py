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

"""Whether the API's auth set-up may serve, known before it serves.

One rule for every place the API runs (``startup_problem``), used by
heat-snapshots-api, heat-snapshots-all, the WSGI entry point, the paste
filter inside heat-api and heat-snapshots-status:

* noauth trusts the caller to name itself, so it runs only where nobody
  but the host's own users can call: heat-snapshots-api and
  heat-snapshots-all bound to loopback (or told otherwise with
  ``allow_noauth_on_any_address``); the WSGI entry point, which cannot see
  the web server's socket, only with ``allow_noauth_wsgi``; never inside
  heat-api, which has an authentication of its own and listens for the
  whole cloud.
* heat_api takes the caller heat-api authenticated, which exists only
  inside heat-api.
* keystone: keystonemiddleware's auth_token reads ``[keystone_authtoken]``
  lazily: with no ``auth_type`` (or a plugin without its URL or
  credentials) the API starts, then answers every request with a 500
  (``MissingAuthPlugin``). The same options are checked with
  keystonemiddleware's and keystoneauth's own definitions, and every
  missing one is named in a single line.
"""

from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import loading

from heat_snapshots.api import server

KEYSTONE = 'keystone'
NOAUTH = 'noauth'
HEAT_API = 'heat_api'

# Where the API runs.
SERVER = 'server'  # heat-snapshots-api, heat-snapshots-all: bind_host
WSGI = 'wsgi'  # heat_snapshots.wsgi.api under a web server
FILTER = 'filter'  # heat_snapshots.api.paste inside heat-api
WHERE = (SERVER, WSGI, FILTER)

NOAUTH_ANY_ADDRESS = (
    '%(prog)s: auth_strategy = noauth lets anyone who reaches the port act '
    'as any project, and bind_host %(host)s is not a loopback address. Set '
    '[heat_snapshots_api] bind_host = 127.0.0.1, or auth_strategy = '
    'keystone, or (isolated test networks only) '
    'allow_noauth_on_any_address = true.')

NOAUTH_WSGI = (
    '%(prog)s: auth_strategy = noauth lets anyone who reaches the web '
    'server act as any project, and the WSGI entry point cannot see where '
    'the web server listens. Set [heat_snapshots_api] auth_strategy = '
    'keystone, or, with a web server listening on loopback only, '
    'allow_noauth_wsgi = true.')

NOAUTH_FILTER = (
    '%(prog)s: [heat_snapshots_api] auth_strategy = noauth is refused in '
    'heat-api\'s paste filter: it would let anyone who reaches heat-api act '
    'as any project on the snapshot routes, around heat-api\'s own '
    'authentication. Set auth_strategy = keystone (the filter before '
    'authtoken) or heat_api (the filter after heat-api\'s authentication '
    'and context middleware).')

HEAT_API_OUTSIDE = (
    '%(prog)s: [heat_snapshots_api] auth_strategy = heat_api takes the '
    'caller heat-api authenticated: only the paste filter inside heat-api '
    'can use it. Set auth_strategy = keystone.')

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
    # Imported only with auth_strategy = keystone: see api/app.py.
    from keystonemiddleware import auth_token
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


def noauth_problem(conf, prog, where):
    """One line saying why noauth may not run ``where``, or None.

    :param where: SERVER, WSGI or FILTER.
    """
    api = conf.heat_snapshots_api
    values = {'prog': prog, 'host': api.bind_host}
    if where == FILTER:
        return NOAUTH_FILTER % values
    if where == WSGI:
        return None if api.allow_noauth_wsgi else NOAUTH_WSGI % values
    if api.allow_noauth_on_any_address or server.is_loopback(api.bind_host):
        return None
    return NOAUTH_ANY_ADDRESS % values


def startup_problem(conf, prog, where):
    """One line saying why the API may not serve ``where``, or None.

    :param where: SERVER, WSGI or FILTER.
    """
    if where not in WHERE:
        raise ValueError('where must be one of %s' % ', '.join(WHERE))
    strategy = conf.heat_snapshots_api.auth_strategy
    if strategy == NOAUTH:
        return noauth_problem(conf, prog, where)
    if strategy == HEAT_API:
        return None if where == FILTER else HEAT_API_OUTSIDE % {
            'prog': prog}
    return keystone_problem(conf, prog)
