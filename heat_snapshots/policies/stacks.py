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

"""Rules for the stack endpoints the local stack driver serves."""

from oslo_policy import policy

from heat_snapshots.policies import base

POLICY_ROOT = 'stacks:%s'
CREATE = POLICY_ROOT % 'create'
INDEX = POLICY_ROOT % 'index'
LOOKUP = POLICY_ROOT % 'lookup'
SHOW = POLICY_ROOT % 'show'
UPDATE = POLICY_ROOT % 'update'
UPDATE_PATCH = POLICY_ROOT % 'update_patch'
DELETE = POLICY_ROOT % 'delete'
TEMPLATE = POLICY_ROOT % 'template'
ENVIRONMENT = POLICY_ROOT % 'environment'
FILES = POLICY_ROOT % 'files'
LIST_OUTPUTS = POLICY_ROOT % 'list_outputs'
SHOW_OUTPUT = POLICY_ROOT % 'show_output'
LIST_RESOURCES = 'resource:index'
SHOW_RESOURCE = 'resource:show'
LIST_EVENTS = 'events:index'
SHOW_EVENT = 'events:show'

_STACKS = '/v1/{tenant_id}/stacks'
_STACK = _STACKS + '/{stack_name}/{stack_id}'


def _rule(name, check_str, description, path, method):
    return policy.DocumentedRuleDefault(
        name=name, check_str=check_str, scope_types=['project'],
        description=description,
        operations=[{'path': path, 'method': method}],
        deprecated_rule=policy.DeprecatedRule(
            name=name, check_str=base.RULE_DENY_STACK_USER,
            deprecated_reason='Heat moved its stack rules to secure RBAC '
                              'defaults.',
            deprecated_since='2023.2'))


rules = [
    _rule(CREATE, base.PROJECT_MEMBER, 'Create stack.', _STACKS, 'POST'),
    _rule(INDEX, base.PROJECT_READER, 'List stacks.', _STACKS, 'GET'),
    _rule(LOOKUP, base.PROJECT_READER, 'Find stack.',
          _STACKS + '/{stack_identity}', 'GET'),
    _rule(SHOW, base.PROJECT_READER, 'Show stack.', _STACK, 'GET'),
    _rule(UPDATE, base.PROJECT_MEMBER, 'Update stack.', _STACK, 'PUT'),
    _rule(UPDATE_PATCH, base.PROJECT_MEMBER, 'Update stack (PATCH).',
          _STACK, 'PATCH'),
    _rule(DELETE, base.PROJECT_MEMBER, 'Delete stack.', _STACK, 'DELETE'),
    _rule(TEMPLATE, base.PROJECT_READER, 'Get stack template.',
          _STACK + '/template', 'GET'),
    _rule(LIST_RESOURCES, base.PROJECT_READER, 'List resources.',
          _STACK + '/resources', 'GET'),
    _rule(SHOW_RESOURCE, base.PROJECT_READER, 'Show resource.',
          _STACK + '/resources/{resource_name}', 'GET'),
    _rule(LIST_EVENTS, base.PROJECT_READER, 'List events.',
          _STACK + '/events', 'GET'),
    _rule(SHOW_EVENT, base.PROJECT_READER, 'Show event.',
          _STACK + '/resources/{resource_name}/events/{event_id}', 'GET'),
    _rule(ENVIRONMENT, base.PROJECT_READER, 'Get stack environment.',
          _STACK + '/environment', 'GET'),
    _rule(FILES, base.PROJECT_READER, 'Get stack files.',
          _STACK + '/files', 'GET'),
    _rule(LIST_OUTPUTS, base.PROJECT_READER, 'List outputs.',
          _STACK + '/outputs', 'GET'),
    _rule(SHOW_OUTPUT, base.PROJECT_READER, 'Show outputs.',
          _STACK + '/outputs/{output_key}', 'GET'),
]


def list_rules():
    return rules
