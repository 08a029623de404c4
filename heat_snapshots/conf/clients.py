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

"""Options for talking to the cloud's services (Cinder, Nova, Glance).

``[heat_snapshots_clients]`` says where the services are;
``[heat_snapshots_service_auth]`` holds keystoneauth's options for our
service user, used when a caller's token is not available (the engine's
own work: the reconciler, Heat's notifications, a token that expired).
"""

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

GROUP = 'heat_snapshots_clients'
SERVICE_AUTH_GROUP = 'heat_snapshots_service_auth'

opts = [
    cfg.StrOpt('region_name',
               help='Region of the services in the Keystone catalog.'),
    cfg.StrOpt('interface',
               default='internal',
               choices=['public', 'internal', 'admin'],
               help='Catalog interface (endpoint type) of the services.'),
    cfg.BoolOpt('use_caller_token',
                default=True,
                help='Make backups with the token of the user who asked '
                     'for the snapshot, as long as the request carries '
                     'one. Otherwise, and for the engine\'s own work, the '
                     'service credentials of [%s] are used, scoped to the '
                     'stack\'s project.' % SERVICE_AUTH_GROUP),
    cfg.IntOpt('timeout',
               default=60,
               min=1,
               help='Seconds to wait for an answer from Keystone, Cinder, '
                    'Nova, Glance and Heat before a request fails (per '
                    'connection attempt and per read). A service that '
                    'hangs then fails the snapshot, restore or delete '
                    'with a clear error instead of blocking it, or the '
                    'engine\'s periodic work, for ever. The keystoneauth '
                    'option timeout of [%s] or [heat_snapshots_heat], when '
                    'set, takes precedence for the sessions of that '
                    'group.' % SERVICE_AUTH_GROUP),
    cfg.URIOpt('block_storage_endpoint_override',
               help='Cinder endpoint to use instead of the catalog\'s, '
                    'e.g. http://cinder:8776/v3/%(project_id)s.'),
    cfg.URIOpt('compute_endpoint_override',
               help='Nova endpoint to use instead of the catalog\'s.'),
    cfg.URIOpt('image_endpoint_override',
               help='Glance endpoint to use instead of the catalog\'s.'),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)
    ks_loading.register_auth_conf_options(conf, SERVICE_AUTH_GROUP)
    ks_loading.register_session_conf_options(conf, SERVICE_AUTH_GROUP)


def auth_options(plugin='password'):
    """keystoneauth's options as the sample configuration shows them."""
    options = ks_loading.get_auth_common_conf_options()
    options += ks_loading.get_session_conf_options()
    options += ks_loading.get_auth_plugin_conf_options(plugin)
    # One option per name: the plugin repeats some common ones.
    seen = set()
    unique = []
    for option in options:
        if option.dest not in seen:
            seen.add(option.dest)
            unique.append(option)
    return unique


def list_opts():
    return {GROUP: opts, SERVICE_AUTH_GROUP: auth_options()}
