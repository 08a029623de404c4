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

"""Engine objects as the dictionaries Heat's API returns.

The engine sends these over RPC; the API only adds links, which need the
request's URL.
"""

import json

from oslo_utils import timeutils

from heat_snapshots.engine import hidden_parameters


def format_time(value):
    """ISO 8601 in UTC with a Z, as Heat prints it: 2015-09-01T20:57:55Z."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = timeutils.normalize_time(value)
    return value.replace(microsecond=0).isoformat() + 'Z'


def stack_identity(stack):
    return {'tenant': stack.project_id, 'stack_name': stack.name,
            'stack_id': stack.id, 'path': ''}


def format_stack(stack, detail=True):
    info = {
        'id': stack.id,
        'stack_name': stack.name,
        'description': stack.description,
        'creation_time': format_time(stack.created_at),
        'updated_time': format_time(stack.updated_at),
        'deletion_time': format_time(stack.deleted_at),
        'stack_status': '%s_%s' % (stack.action, stack.status),
        'stack_status_reason': stack.status_reason,
        'stack_owner': stack.username,
        'parent': None,
        'stack_user_project_id': stack.stack_user_project_id,
        'tags': list(stack.tags or []),
        'project': stack.project_id,
        'stack_identity': stack_identity(stack),
    }
    if detail:
        info.update({
            'capabilities': [],
            'notification_topics': [],
            'disable_rollback': stack.disable_rollback,
            'timeout_mins': stack.timeout_mins,
            'template_description': stack.description,
            'parameters': dict(stack.parameters or {}),
            'outputs': list(stack.outputs or []),
        })
    return info


def format_resource(stack, resource, required_by=(), detail=False):
    info = {
        'resource_name': resource.name,
        'logical_resource_id': resource.name,
        'physical_resource_id': resource.physical_resource_id or '',
        'resource_type': resource.type,
        'resource_status': '%s_%s' % (resource.action, resource.status),
        'resource_status_reason': resource.status_reason or '',
        'creation_time': format_time(resource.created_at),
        'updated_time': format_time(resource.updated_at
                                    or resource.created_at),
        'required_by': sorted(required_by),
        'stack_identity': stack_identity(stack),
    }
    if detail:
        # Heat's resource show adds these; metadata has its own call.
        info['description'] = ''
        attributes = dict(resource.attributes or {})
        show = attributes.get('show')
        info['attributes'] = (show if isinstance(show, dict)
                              else attributes)
    return info


# A nested resource is named by its path from the top stack (Heat forbids
# "/" in resource names): how every stack driver names them.
SEPARATOR = '/'


def short_id(physical_id):
    """The 12-character suffix of a nested stack's name."""
    return (physical_id or '').replace('-', '')[:12]


def nested_stack_name(stack_name, resource_name, physical_id):
    """A nested stack's name as Heat makes it: parent-resource-suffix; its
    id is the physical id of the resource owning it.
    """
    return '%s-%s-%s' % (stack_name, resource_name, short_id(physical_id))


def format_resources(stack, nested_depth=0):
    """The stack's resources as Heat lists them: the top stack's, and
    those of nested stacks down to ``nested_depth`` levels.

    A nested resource (named by its path, ``group/0/server``) is listed
    under its own name, with ``parent_resource`` naming the resource that
    owns its stack and the ``stack_identity`` of that nested stack; a
    resource owning a nested stack has its ``nested_identity``;
    ``required_by`` names siblings only, as in Heat.
    """
    resources = stack.resources or []
    owners = {r.name.rpartition(SEPARATOR)[0] for r in resources}
    stacks = {'': stack_identity(stack)}
    for resource in sorted(resources, key=lambda r: r.name.count(SEPARATOR)):
        parent, _, name = resource.name.rpartition(SEPARATOR)
        above = stacks.get(parent + SEPARATOR if parent else '')
        if above is None or resource.name not in owners or \
                not resource.physical_resource_id:
            continue
        stacks[resource.name + SEPARATOR] = dict(
            above, stack_name=nested_stack_name(
                above['stack_name'], name, resource.physical_resource_id),
            stack_id=resource.physical_resource_id)
    required_by = {r.name: set() for r in resources}
    for resource in resources:
        parent, _, name = resource.name.rpartition(SEPARATOR)
        for required in resource.requires:
            if required in required_by and \
                    required.rpartition(SEPARATOR)[0] == parent:
                required_by[required].add(name)
    listed = []
    for resource in resources:
        parent, _, name = resource.name.rpartition(SEPARATOR)
        prefix = parent + SEPARATOR if parent else ''
        if resource.name.count(SEPARATOR) > nested_depth or \
                prefix not in stacks:
            continue
        info = format_resource(stack, resource, required_by[resource.name])
        info.update(resource_name=name, logical_resource_id=name,
                    stack_identity=stacks[prefix])
        if parent:
            info['parent_resource'] = parent.rpartition(SEPARATOR)[2]
        if resource.name + SEPARATOR in stacks:
            info['nested_identity'] = stacks[resource.name + SEPARATOR]
        listed.append(info)
    return listed


def format_event(stack, event, detail=False):
    """An event as Heat's API shows it, but for the links.

    The summary (event list) has Heat's summary keys; ``detail`` (event
    show) adds the type and the resource's properties.
    """
    info = {
        'id': event.id,
        'event_time': format_time(event.created_at),
        'resource_name': event.resource_name,
        'logical_resource_id': event.resource_name,
        'physical_resource_id': event.physical_resource_id,
        'resource_status': '%s_%s' % (event.action, event.status),
        'resource_status_reason': event.status_reason,
        'stack_identity': stack_identity(stack),
    }
    if detail:
        info['resource_type'] = event.resource_type
        info['resource_properties'] = event.properties or {}
    return info


def format_environment(stack):
    """The stack's environment as Heat's environment show gives it.

    Hidden parameters' values are ``******``.
    """
    return hidden_parameters.mask_environment(
        stack.environment, stack.template, stack.files)


def format_snapshot(snapshot):
    """The seven keys of Heat's snapshot object, in Heat's wire order.

    ``data`` is shown with hidden parameters masked, as Heat shows the
    stack; the stored data keeps their values for restore.
    """
    return {
        'id': snapshot.id,
        'name': snapshot.name,
        'action': snapshot.action,
        'status': snapshot.status,
        'status_reason': snapshot.status_reason,
        'data': hidden_parameters.mask_stack_data(snapshot.data),
        'creation_time': format_time(snapshot.created_at),
    }


def snapshot_json(row):
    """``format_snapshot`` as the JSON text the API sends (json.dumps').

    ``row`` has the columns of db.api.snapshot_get_shown, ``data`` as its
    stored JSON text, which is spliced in undecoded (masked if need be).
    """
    dumps = json.dumps
    return ('{"id": %s, "name": %s, "action": %s, "status": %s, '
            '"status_reason": %s, "data": %s, "creation_time": %s}' % (
                dumps(row.id), dumps(row.name), dumps(row.action),
                dumps(row.status), dumps(row.status_reason),
                hidden_parameters.mask_stack_data_json(row.data),
                dumps(format_time(row.created_at))))


def snapshots_json(rows):
    """A list of ``snapshot_json``, as one JSON array's text."""
    return '[%s]' % ', '.join(snapshot_json(row) for row in rows)


def format_operation_resource(row):
    """One resource of the last operation run on a snapshot."""
    info = {
        'name': row.resource_name,
        'action': row.action,
        'status': row.status,
        'status_reason': row.status_reason,
        'artifact_id': row.artifact_id,
        'started_at': format_time(row.started_at),
        'finished_at': format_time(row.finished_at),
    }
    if row.resource_type:
        info['type'] = row.resource_type
    return info
