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
