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

"""Rules of heat-snapshots' extension to a stack's snapshots: the
progress of a snapshot's operation, per resource, and its cancel.

Heat has no such calls; the names are ours, beside Heat's ``stacks:``
snapshot rules.
"""

from oslo_policy import policy

from heat_snapshots.policies import base

POLICY_ROOT = 'snapshots:%s'
LIST_RESOURCES = POLICY_ROOT % 'list_resources'
CANCEL = POLICY_ROOT % 'cancel'

_PATH = ('/v1/{tenant_id}/stacks/{stack_name}/{stack_id}/snapshots/'
         '{snapshot_id}')

rules = [
    policy.DocumentedRuleDefault(
        name=LIST_RESOURCES,
        check_str=base.PROJECT_READER,
        scope_types=['project'],
        description='List the resources of the last snapshot, restore or '
                    'snapshot delete of a snapshot, with their progress.',
        operations=[{'path': _PATH + '/resources', 'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        name=CANCEL,
        check_str=base.PROJECT_MEMBER,
        scope_types=['project'],
        description='Cancel the snapshot, or the restore to it, in '
                    'progress.',
        operations=[{'path': _PATH + '/cancel', 'method': 'POST'}]),
]


def list_rules():
    return rules
