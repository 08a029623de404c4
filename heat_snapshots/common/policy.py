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

"""Policy enforcement: Heat's rule names, defaults in code."""

import time

from oslo_config import cfg
from oslo_policy import policy

from heat_snapshots.common import exception
from heat_snapshots import policies

CONF = cfg.CONF
_ENFORCER = None

# How often, at most, the policy files are looked for and at (seconds).
# oslo.policy looks on every check: a search of the configuration
# directories for a policy file or policy.d that is not there, a stat of
# one that is; every API request checks twice.
FILES_CHECK_INTERVAL = 1.0


class _Enforcer(policy.Enforcer):
    """oslo.policy's Enforcer, but its rules are loaded once and its
    files looked at no more than once per FILES_CHECK_INTERVAL: an
    operator's change of the policy file still applies within a second.
    """

    _files_checked_at = None

    def load_rules(self, force_reload=False):
        now = time.monotonic()
        if force_reload or not self.rules or \
                self._files_checked_at is None or \
                now - self._files_checked_at >= FILES_CHECK_INTERVAL:
            super().load_rules(force_reload=force_reload)
            self._files_checked_at = now

    def clear(self):
        super().clear()
        self._files_checked_at = None


def reset():
    global _ENFORCER
    if _ENFORCER:
        _ENFORCER.clear()
        _ENFORCER = None


def init(conf=CONF, policy_file=None, rules=None,
         suppress_deprecation_warnings=False):
    global _ENFORCER
    if not _ENFORCER:
        _ENFORCER = _Enforcer(conf, policy_file=policy_file, rules=rules)
        _ENFORCER.suppress_deprecation_warnings = \
            suppress_deprecation_warnings
        _ENFORCER.register_defaults(policies.list_rules())
    return _ENFORCER


def get_enforcer():
    """The enforcer for oslopolicy-* tools (oslo.policy.enforcer)."""
    CONF([], project='heat')
    return init()


def authorize(context, action, target, do_raise=True):
    """Check ``action`` for the caller ``context`` on ``target``.

    :raises: PolicyNotAuthorized when ``do_raise`` and the check fails.
    """
    enforcer = init()
    credentials = context.to_policy_values()
    try:
        return enforcer.authorize(
            action, target, credentials, do_raise=do_raise,
            exc=exception.PolicyNotAuthorized, action=action)
    except policy.PolicyNotRegistered:
        raise exception.PolicyNotAuthorized(action=action)


def check_is_admin(context):
    enforcer = init()
    credentials = context.to_policy_values()
    target = {'project_id': context.project_id}
    return enforcer.authorize('context_is_admin', target, credentials)
