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

"""Events of a stack, as Heat's API serves them.

``/stacks/{name}/{id}/events`` lists every event of the stack (its own,
named after the stack, and its resources'); ``.../resources/{resource}/
events`` those of one resource (404 when it has none), and
``.../resources/{resource}/events/{event_id}`` shows one with its type and
the resource's properties. Lists take Heat's paging (``limit``, ``marker``,
``sort_keys``, ``sort_dir``) and filters.
"""

import pecan
import webob.exc

from heat_snapshots.api.controllers import base
from heat_snapshots.api.controllers.v1 import utils
from heat_snapshots.api import fault
from heat_snapshots.common import exception
from heat_snapshots.policies import stacks as policies

# Heat's filters of an event list; each may be given several times.
_FILTERS = ('resource_status', 'resource_action', 'resource_name',
            'resource_type')
_SORT_DIRS = ('asc', 'desc')


def _single(params, name):
    values = params.getall(name)
    return values[-1] if values else None


def _list_args(resource_name=None):
    """(filters, paging) of the request's query, checked."""
    params = pecan.request.GET
    paging = {}
    limit = _single(params, 'limit')
    if limit is not None:
        paging['limit'] = utils.int_arg('limit', limit, clamp=True)
    nested_depth = _single(params, 'nested_depth')
    if nested_depth is not None:
        # The local store has no nested stacks to descend into.
        utils.int_arg('nested_depth', nested_depth, clamp=True)
    marker = _single(params, 'marker')
    if marker is not None:
        paging['marker'] = marker
    sort_dir = _single(params, 'sort_dir')
    if sort_dir is not None:
        if sort_dir not in _SORT_DIRS:
            raise exception.BadRequest(
                'Unknown sort direction \'%s\', must be one of: %s'
                % (sort_dir, ', '.join(_SORT_DIRS)))
        paging['sort_dir'] = sort_dir
    sort_keys = params.getall('sort_keys')
    if sort_keys:
        paging['sort_keys'] = [k for key in sort_keys
                               for k in key.split(',') if k]
    filters = {}
    for name in _FILTERS:
        values = params.getall(name)
        if values:
            filters[name] = values if len(values) > 1 else values[0]
    if resource_name is not None:
        filters['resource_name'] = resource_name
    return filters or None, paging


def format_event(event):
    """An engine event with Heat's links: itself, its resource, its stack.
    """
    identity = event['stack_identity']
    result = {k: v for k, v in event.items() if k != 'stack_identity'}
    resource = ('resources', event['resource_name'])
    result['links'] = [
        utils.link(utils.stack_url(identity, *resource, 'events',
                                   event['id'])),
        utils.link(utils.stack_url(identity, *resource), rel='resource'),
        utils.link(utils.stack_url(identity), rel='stack'),
    ]
    return result


class EventsController(base.RestController):
    """/stacks/{name}/{id}/events"""

    def __init__(self, identity):
        self.identity = identity

    @fault.expose()
    def get_all(self):
        utils.authorize(policies.LIST_EVENTS)
        filters, paging = _list_args()
        events = utils.stacks().list_events(utils.context(), self.identity,
                                            filters=filters, **paging)
        return {'events': [format_event(e) for e in events]}


class ResourceEventsController(base.RestController):
    """/stacks/{name}/{id}/resources/{resource}/events"""

    def __init__(self, identity, resource_name):
        self.identity = identity
        self.resource_name = resource_name

    @fault.expose()
    def get_all(self):
        utils.authorize(policies.LIST_EVENTS)
        filters, paging = _list_args(self.resource_name)
        events = utils.stacks().list_events(utils.context(), self.identity,
                                            filters=filters, **paging)
        if not events:
            raise webob.exc.HTTPNotFound(
                'No events found for resource %s' % self.resource_name)
        return {'events': [format_event(e) for e in events]}

    @pecan.expose()
    def _lookup(self, event_id, *remainder):
        return (EventController(self.identity, self.resource_name,
                                event_id), remainder)


class EventController(base.RestController):
    """/stacks/{name}/{id}/resources/{resource}/events/{event_id}"""

    def __init__(self, identity, resource_name, event_id):
        self.identity = identity
        self.resource_name = resource_name
        self.event_id = event_id

    @fault.expose()
    def get_all(self):
        utils.authorize(policies.SHOW_EVENT)
        events = utils.stacks().list_events(
            utils.context(), self.identity,
            filters={'resource_name': self.resource_name,
                     'uuid': self.event_id}, detail=True)
        if not events:
            raise webob.exc.HTTPNotFound('No event %s found'
                                         % self.event_id)
        return {'event': format_event(events[0])}
