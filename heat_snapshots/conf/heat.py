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

"""Options of the ``heat`` stack driver and of following Heat's stacks.

``[heat_snapshots_heat]`` takes keystoneauth's auth options too: with
``auth_type = none`` and ``endpoint_override`` the driver talks to a Heat
running its noauth pipeline; with no ``auth_type`` it uses the caller's
token or the service credentials of ``[heat_snapshots_service_auth]``.
"""

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

GROUP = 'heat_snapshots_heat'

opts = [
    cfg.StrOpt('endpoint_override',
               help='Heat endpoint to use instead of the catalog\'s, '
                    'e.g. http://heat:8004/v1/%(project_id)s. An endpoint '
                    'ending in /v1 gets the project id appended.'),
    cfg.StrOpt('region_name',
               help='Region of Heat in the Keystone catalog.'),
    cfg.StrOpt('interface',
               default='internal',
               choices=['public', 'internal', 'admin'],
               help='Catalog interface (endpoint type) of Heat.'),
    cfg.StrOpt('noauth_user',
               help='With auth_type = none: the X-Auth-User sent to a '
                    'noauth Heat. Default: the caller\'s user id.'),
    cfg.IntOpt('nested_depth',
               default=5,
               min=0,
               help='How deep to follow nested stacks (template '
                    'resources, ResourceGroup and AutoScalingGroup members, '
                    'OS::Heat::Stack) when taking a snapshot: each nested '
                    'resource gets its own snapshot, named by its path '
                    '(group/0/server). 0: the top stack only, as Heat '
                    'does.'),
    cfg.BoolOpt('listen_notifications',
                default=True,
                help='Listen to Heat\'s notifications and delete the '
                     'snapshots of a stack (with their backups) once Heat '
                     'has deleted it. Needs Heat\'s notifications enabled '
                     '([oslo_messaging_notifications] driver = messaging '
                     'in heat.conf).'),
    cfg.ListOpt('notification_topics',
                default=['notifications'],
                help='Topics Heat sends its notifications on (Heat\'s '
                     '[oslo_messaging_notifications] topics).'),
    cfg.StrOpt('notification_exchange',
               default='heat',
               help='Exchange of Heat\'s notifications (Heat\'s '
                    'control_exchange).'),
    cfg.StrOpt('notification_pool',
               default='heat-snapshots',
               help='Listener pool name, so that our listener gets its own '
                    'copy of each notification beside other consumers '
                    '(e.g. Ceilometer) and one engine of ours handles it.'),
    cfg.IntOpt('stack_check_interval',
               default=600,
               min=0,
               help='Seconds between two checks that the stacks with '
                    'snapshots still exist in Heat; the snapshots of a '
                    'stack that is gone are deleted with their backups. '
                    '0 disables the check. A stack counts as gone only '
                    'when Heat shows it DELETE_COMPLETE, or answers its '
                    'own "stack not found" fault twice, '
                    'deleted_stack_grace seconds apart; any other answer '
                    '(an HTML 404 of a proxy, 401, 403, 5xx, a timeout) '
                    'keeps the snapshots.'),
    cfg.IntOpt('deleted_stack_grace',
               default=300,
               min=0,
               help='Seconds between the first time Heat answers that a '
                    'stack with snapshots does not exist (its own '
                    'EntityNotFound fault body for a lookup by id in the '
                    'stack\'s project) and the later stack check that must '
                    'find it missing again before its snapshots and their '
                    'backups are deleted. A second look is always needed, '
                    'even with 0. The first sighting is kept in memory by '
                    'each engine: restarting an engine restarts the '
                    'grace. A stack Heat shows DELETE_COMPLETE, or a '
                    'notification of its delete, needs no grace.'),
    cfg.FloatOpt('max_deleted_share',
                 default=0.5,
                 min=0.0,
                 max=1.0,
                 help='Circuit breaker of the stack check: when one check '
                      'finds more than this share of the stacks with '
                      'snapshots gone from Heat at once (and at least '
                      'max_deleted_share_min_count of them), it deletes '
                      'nothing and logs an ERROR starting with "ALARM": '
                      'a wrong endpoint or a broken Heat looks like every '
                      'stack deleted. 1 disables the breaker.'),
    cfg.IntOpt('max_deleted_share_min_count',
               default=3,
               min=1,
               help='The circuit breaker (max_deleted_share) only stops a '
                    'check that finds at least this many stacks gone, so '
                    'that a cloud with few stacks can lose one (one stack '
                    'of one is fine).'),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)
    ks_loading.register_auth_conf_options(conf, GROUP)
    ks_loading.register_session_conf_options(conf, GROUP)


def list_opts():
    auth = ks_loading.get_auth_common_conf_options()
    auth += ks_loading.get_session_conf_options()
    return {GROUP: opts + auth}
