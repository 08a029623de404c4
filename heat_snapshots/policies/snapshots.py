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

from oslo_policy import policy

from heat_snapshots.policies import base

POLICY_ROOT = 'stacks:%s'
SNAPSHOT = POLICY_ROOT % 'snapshot'
SHOW_SNAPSHOT = POLICY_ROOT % 'show_snapshot'
LIST_SNAPSHOTS = POLICY_ROOT % 'list_snapshots'
DELETE_SNAPSHOT = POLICY_ROOT % 'delete_snapshot'
RESTORE_SNAPSHOT = POLICY_ROOT % 'restore_snapshot'
# heat-snapshots' own.
PREVIEW_RESTORE_SNAPSHOT = POLICY_ROOT % 'preview_restore_snapshot'
CLONE_SNAPSHOT = POLICY_ROOT % 'clone_snapshot'

_PATH = '/v1/{tenant_id}/stacks/{stack_name}/{stack_id}/snapshots'
_DEPRECATED_REASON = 'Heat moved its snapshot rules to secure RBAC defaults.'


def _deprecated(name):
    return policy.DeprecatedRule(
        name=name, check_str=base.RULE_DENY_STACK_USER,
        deprecated_reason=_DEPRECATED_REASON, deprecated_since='2023.2')


rules = [
    policy.DocumentedRuleDefault(
        name=SNAPSHOT,
        check_str=base.PROJECT_MEMBER,
        scope_types=['project'],
        description='Snapshot stack.',
        operations=[{'path': _PATH, 'method': 'POST'}],
        deprecated_rule=_deprecated(SNAPSHOT)),
    policy.DocumentedRuleDefault(
        name=SHOW_SNAPSHOT,
        check_str=base.PROJECT_READER,
        scope_types=['project'],
        description='Show snapshot.',
        operations=[{'path': _PATH + '/{snapshot_id}', 'method': 'GET'}],
        deprecated_rule=_deprecated(SHOW_SNAPSHOT)),
    policy.DocumentedRuleDefault(
        name=DELETE_SNAPSHOT,
        check_str=base.PROJECT_MEMBER,
        scope_types=['project'],
        description='Delete stack snapshot.',
        operations=[{'path': _PATH + '/{snapshot_id}', 'method': 'DELETE'}],
        deprecated_rule=_deprecated(DELETE_SNAPSHOT)),
    policy.DocumentedRuleDefault(
        name=LIST_SNAPSHOTS,
        check_str=base.PROJECT_READER,
        scope_types=['project'],
        description='List stack snapshots.',
        operations=[{'path': _PATH, 'method': 'GET'}],
        deprecated_rule=_deprecated(LIST_SNAPSHOTS)),
    policy.DocumentedRuleDefault(
        name=RESTORE_SNAPSHOT,
        check_str=base.PROJECT_MEMBER,
        scope_types=['project'],
        description='Restore stack snapshot.',
        operations=[{'path': _PATH + '/{snapshot_id}/restore',
                     'method': 'POST'}],
        deprecated_rule=_deprecated(RESTORE_SNAPSHOT)),
    policy.DocumentedRuleDefault(
        name=PREVIEW_RESTORE_SNAPSHOT,
        check_str=base.PROJECT_READER,
        scope_types=['project'],
        description='Preview what restoring a stack snapshot would change '
                    '(heat-snapshots).',
        operations=[{'path': _PATH + '/{snapshot_id}/restore_preview',
                     'method': 'POST'}]),
    policy.DocumentedRuleDefault(
        name=CLONE_SNAPSHOT,
        check_str=base.PROJECT_MEMBER,
        scope_types=['project'],
        description='Create a new stack from a stack snapshot '
                    '(heat-snapshots).',
        operations=[{'path': _PATH + '/{snapshot_id}/clone',
                     'method': 'POST'}]),
]


def list_rules():
    return rules
