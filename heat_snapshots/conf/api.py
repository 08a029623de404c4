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

from oslo_config import cfg

GROUP = 'heat_snapshots_api'

opts = [
    cfg.HostAddressOpt('bind_host',
                       default='127.0.0.1',
                       help='Address the API listens on.'),
    cfg.PortOpt('bind_port',
                default=8044,
                help='Port the API listens on. Heat uses 8004 and 8000, so '
                     'the default does not clash with a Heat on the same '
                     'host.'),
    cfg.IntOpt('workers',
               default=1,
               min=1,
               help='Number of API processes heat-snapshots-api starts.'),
    cfg.IntOpt('threads',
               default=32,
               min=1,
               help='Number of request threads in each API process.'),
    cfg.StrOpt('auth_strategy',
               default='keystone',
               choices=[('keystone', 'Validate tokens with '
                                     'keystonemiddleware auth_token.'),
                        ('noauth', 'Take the identity from the X-Auth-User '
                                   'and X-Auth-Project headers, as Heat\'s '
                                   'noauth pipeline does. For development '
                                   'and the embedded mode only.'),
                        ('heat_api', 'Only for the paste filter inside '
                                     'heat-api, placed after heat-api\'s '
                                     'own authentication and context '
                                     'middleware: the caller is the one '
                                     'heat-api authenticated.')],
               help='How API callers are authenticated. The paste filter '
                    'inside heat-api refuses noauth; heat-snapshots-api and '
                    'heat-snapshots-all refuse heat_api.'),
    cfg.BoolOpt('allow_noauth_on_any_address',
                default=False,
                help='Let the API listen on a non-loopback address with '
                     'auth_strategy = noauth. Anyone who reaches the port '
                     'can then act as any project: only for isolated test '
                     'networks.'),
    cfg.BoolOpt('allow_noauth_wsgi',
                default=False,
                help='Let the WSGI entry point (heat_snapshots.wsgi.api, '
                     'under uWSGI or mod_wsgi) run with auth_strategy = '
                     'noauth. The entry point cannot see the address the '
                     'web server listens on: set this only when that '
                     'server listens on loopback alone. Anyone who reaches '
                     'it can act as any project. Even then, noauth answers '
                     'only requests from a loopback peer with a loopback '
                     'Host header.'),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
