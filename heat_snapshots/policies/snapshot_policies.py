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

"""Rules of snapshot policies and of the project-wide snapshot list.

Not Heat's (Heat has neither); named in Heat's style,
``snapshot_policies:<action>`` and ``project_snapshots:<action>``.
"""

from oslo_policy import policy

from heat_snapshots.policies import base

POLICY_ROOT = 'snapshot_policies:%s'
CREATE = POLICY_ROOT % 'create'
INDEX = POLICY_ROOT % 'index'
SHOW = POLICY_ROOT % 'show'
UPDATE = POLICY_ROOT % 'update'
DELETE = POLICY_ROOT % 'delete'
RUN = POLICY_ROOT % 'run'
LIST_RUNS = POLICY_ROOT % 'list_runs'
PRUNE_PREVIEW = POLICY_ROOT % 'prune_preview'

SNAPSHOTS_ROOT = 'project_snapshots:%s'
SNAPSHOTS_INDEX = SNAPSHOTS_ROOT % 'index'
SNAPSHOTS_SHOW = SNAPSHOTS_ROOT % 'show'
SNAPSHOTS_DELETE = SNAPSHOTS_ROOT % 'delete'
SNAPSHOTS_CLONE = SNAPSHOTS_ROOT % 'clone'

_PATH = '/v1/{tenant_id}/snapshot_policies'
_ONE = _PATH + '/{policy_id}'
_SNAPSHOTS = '/v1/{tenant_id}/snapshots'


def _rule(name, check_str, description, path, method):
    return policy.DocumentedRuleDefault(
        name=name, check_str=check_str, scope_types=['project'],
        description=description,
        operations=[{'path': path, 'method': method}])


rules = [
    _rule(CREATE, base.PROJECT_MEMBER, 'Create a snapshot policy.', _PATH,
          'POST'),
    _rule(INDEX, base.PROJECT_READER, 'List snapshot policies.', _PATH,
          'GET'),
    _rule(SHOW, base.PROJECT_READER, 'Show a snapshot policy.', _ONE,
          'GET'),
    _rule(UPDATE, base.PROJECT_MEMBER, 'Update a snapshot policy.', _ONE,
          'PATCH'),
    _rule(DELETE, base.PROJECT_MEMBER, 'Delete a snapshot policy.', _ONE,
          'DELETE'),
    _rule(RUN, base.PROJECT_MEMBER, 'Run a snapshot policy now.',
          _ONE + '/run', 'POST'),
    _rule(LIST_RUNS, base.PROJECT_READER, 'List the runs of a snapshot '
          'policy.', _ONE + '/runs', 'GET'),
    _rule(PRUNE_PREVIEW, base.PROJECT_READER, 'Show what the next prune '
          'of a snapshot policy would delete.', _ONE + '/prune_preview',
          'GET'),
    _rule(SNAPSHOTS_INDEX, base.PROJECT_READER, 'List every snapshot of '
          'the project, those kept after their stack included.', _SNAPSHOTS,
          'GET'),
    _rule(SNAPSHOTS_SHOW, base.PROJECT_READER, 'Show a snapshot of the '
          'project.', _SNAPSHOTS + '/{snapshot_id}', 'GET'),
    _rule(SNAPSHOTS_DELETE, base.PROJECT_MEMBER, 'Delete a snapshot of the '
          'project.', _SNAPSHOTS + '/{snapshot_id}', 'DELETE'),
    _rule(SNAPSHOTS_CLONE, base.PROJECT_MEMBER, 'Create a new stack from '
          'a snapshot of the project, one kept after its stack included.',
          _SNAPSHOTS + '/{snapshot_id}/clone', 'POST'),
]


def list_rules():
    return rules
