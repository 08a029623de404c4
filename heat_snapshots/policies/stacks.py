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
LIST_RESOURCES = 'resource:index'

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
]


def list_rules():
    return rules
