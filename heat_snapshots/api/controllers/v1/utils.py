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

"""Helpers shared by the v1 controllers: identities, links, checks."""

from urllib import parse

import pecan

from heat_snapshots.common import exception

STACK_NAME = 'stack_name'
STACK_ID = 'stack_id'
TENANT = 'tenant'
PATH = 'path'

# Keys the engine sends for the API's use only.
_INTERNAL_KEYS = ('stack_identity', 'nested_identity')


def stack_identity(tenant_id, stack_name, stack_id):
    """The identity the engine checks: the URL's tenant, name and id."""
    return {TENANT: tenant_id, STACK_NAME: stack_name, STACK_ID: stack_id,
            PATH: ''}


def stack_url(identity, *path):
    """Absolute URL of a stack (or a path below it), as Heat links it."""
    parts = ['v1', identity[TENANT], 'stacks', identity[STACK_NAME],
             identity[STACK_ID]]
    parts.extend(path)
    return '%s/%s' % (pecan.request.application_url,
                      '/'.join(parse.quote(str(p), safe='') for p in parts))


def link(href, rel='self'):
    return {'href': href, 'rel': rel}


def format_stack(stack):
    """An engine stack as Heat's API shows it: links, no internal keys.

    ``project`` is only shown to admins, who may see other projects'
    stacks; for everyone else it is the URL's tenant anyway.
    """
    identity = stack['stack_identity']
    result = {k: v for k, v in stack.items() if k not in _INTERNAL_KEYS}
    if not pecan.request.context.is_admin:
        result.pop('project', None)
    result['links'] = [link(stack_url(identity))]
    return result


def format_resource(resource):
    identity = resource['stack_identity']
    result = {k: v for k, v in resource.items() if k not in _INTERNAL_KEYS}
    result['links'] = [
        link(stack_url(identity, 'resources', resource['resource_name'])),
        link(stack_url(identity), rel='stack'),
    ]
    if resource.get('nested_identity'):
        result['links'].append(link(stack_url(resource['nested_identity']),
                                    rel='nested'))
    return result


def authorize(rule):
    """The policy check every handler starts with.

    The target is the caller's own project: the URL's tenant has already
    been checked against it (controllers/v1/__init__.py), and admins, who
    may name another tenant, are judged on their own project as in Heat.

    :raises: PolicyNotAuthorized (403).
    """
    pecan.request.context.can(rule)


def engine():
    return pecan.request.engine_api


def stacks():
    """The client of the stack driver's CRUD endpoint."""
    return pecan.request.stack_api


def context():
    return pecan.request.context


# The largest integer the database's INTEGER columns (and LIMIT) take.
_MAX_INT = 2 ** 31 - 1


def int_arg(name, value, clamp=False):
    """A non-negative integer argument, at most _MAX_INT.

    :param clamp: answer _MAX_INT for larger values instead of a 400.
    """
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise exception.BadRequest(
                'Only integer is acceptable by \'%s\'.' % name)
    if value < 0:
        raise exception.BadRequest(
            'Value \'%s\' is invalid for \'%s\' which only accepts '
            'non-negative integer.' % (value, name))
    if value > _MAX_INT and clamp:
        return _MAX_INT
    if value > _MAX_INT:
        raise exception.BadRequest(
            'Value \'%s\' is invalid for \'%s\': larger than %d.'
            % (value, name, _MAX_INT))
    return value
