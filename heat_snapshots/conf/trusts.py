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

"""Options of delegated authentication: how long work outlives a token.

Heat's own names and meaning: ``[DEFAULT] deferred_auth_method`` and
``trusts_delegated_roles``, and the ``[trustee]`` group holding
keystoneauth's options for the user trusts are delegated to (Heat's
service user). Heat's deployments set them once in heat.conf for both.
"""

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

TRUSTS = 'trusts'
TOKEN = 'token'
TRUSTEE_GROUP = 'trustee'
# Read for the trustee when [trustee] has no auth_type, as Heat did.
FALLBACK_GROUP = 'keystone_authtoken'

opts = [
    cfg.StrOpt('deferred_auth_method',
               default=TRUSTS,
               choices=[(TRUSTS, 'A snapshot, restore or snapshot delete '
                                 'request creates a Keystone trust from '
                                 'the caller to the trustee user of '
                                 '[trustee]; the engine works on tokens '
                                 'of that trust, refreshed as needed, and '
                                 'deletes the trust when the operation '
                                 'ends.'),
                        (TOKEN, 'The engine works with the caller\'s '
                                'token, which may expire before a long '
                                'operation ends (Keystone\'s default '
                                'lifetime is one hour).')],
               help='How the engine acts for a caller after the request '
                    'returned, as Heat\'s option of the same name. Only '
                    'used with [heat_snapshots_api] auth_strategy = '
                    'keystone: with noauth there is no Keystone.'),
    cfg.ListOpt('trusts_delegated_roles',
                default=[],
                help='The roles a trust delegates. Empty: every role of '
                     'the caller\'s token in its project, as Heat does by '
                     'default. A caller who does not hold one of these '
                     'roles cannot start a snapshot, restore or snapshot '
                     'delete (HTTP 400, MissingCredentialError).'),
]


def register_opts(conf):
    for opt in opts:
        try:
            conf.register_opt(opt)
        except cfg.DuplicateOptError:
            # Inside heat-api (the paste filter), Heat registered its own
            # options of these names in the same heat.conf: they are read.
            pass
    ks_loading.register_auth_conf_options(conf, TRUSTEE_GROUP)


def list_opts():
    # keystoneauth's options of [trustee]: its auth, no session.
    trustee = ks_loading.get_auth_common_conf_options()
    names = {opt.dest for opt in trustee}
    trustee += [opt for opt in
                ks_loading.get_auth_plugin_conf_options('password')
                if opt.dest not in names]
    return {'DEFAULT': opts, TRUSTEE_GROUP: trustee}
