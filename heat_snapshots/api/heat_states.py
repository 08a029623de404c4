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

"""What Heat would show of a stack we snapshot or restore, in heat-api.

With the ``heat`` stack driver our operations do not pass through Heat's
engine, so Heat's own answers say nothing of them. The heat-api filter
(api/paste.py) rewrites Heat's JSON answers about a stack from our record
of the stack's last snapshot or restore (``hs_stack_states``, written by
the heat driver), as Heat's own snapshot and restore would have left them:

* stack show and list: ``SNAPSHOT_IN_PROGRESS`` "Stack SNAPSHOT started",
  ``SNAPSHOT_COMPLETE`` "Stack SNAPSHOT completed successfully",
  ``SNAPSHOT_FAILED`` with our reason; ``RESTORE_*`` for the stack update
  of a restore. Only while Heat's ``updated_time`` and action are still
  those the operation belongs to: the stack's next action in Heat shows as
  Heat shows it.
* resources (list and show): a top-level resource snapshotted by the
  stack's last snapshot shows ``SNAPSHOT_*`` "state changed" until Heat
  changes it (its ``updated_time`` after the snapshot took it).
* events: the events Heat would have recorded for our snapshots (stack
  and top-level resources) are added (``hs_stack_events``), and Heat's
  events of a restore's stack update say ``RESTORE``.

Heat's times have whole seconds: an action of Heat's that starts in the
second our operation ended keeps them. So the driver notes Heat's own
state as our operation ends (the stack's status and time, each top-level
resource's status, time and physical id, Heat's newest event): any other
state Heat shows is its next action (and the stack stays Heat's from
then on), and our events come after that newest event of Heat's.

One read by primary key per request, and only for stacks named in the URL
(or listed); a stack we never operated on costs that read only.
"""

import collections
import datetime
import json

from oslo_log import log as logging
from oslo_utils import timeutils

from heat_snapshots.common import context as hs_context
from heat_snapshots.common import states
from heat_snapshots.db import api as db_api

LOG = logging.getLogger(__name__)

# A restore's row once a client's update or delete passed the filter:
# Heat's state is the client's action from then on.
SUPERSEDED = 'SUPERSEDED'
STARTED = 'Stack %s started'
COMPLETED = 'Stack %s completed successfully'
# Event list parameters under which our events are not merged (Heat pages
# and sorts in its database).
PAGING = ('limit', 'marker', 'sort_keys')


def _context():
    return hs_context.get_admin_context()


def records(stack_ids):
    """{stack id: our record} of these stacks (one read)."""
    return db_api.stack_state_get_all(_context(), list(stack_ids))


def record(stack_id):
    return records([stack_id]).get(stack_id)


def _heat_time(body, prefix=''):
    return body.get(prefix + 'updated_time') or \
        body.get(prefix + 'creation_time')


def _format_time(value):
    """Heat's time format, 2015-09-01T20:57:55Z (stored times are UTC).

    Not engine.formatters': inside heat-api the filter imports no more of
    the engine than it needs.
    """
    return value.replace(microsecond=0).isoformat() + 'Z'


def _parse_time(text):
    try:
        return timeutils.normalize_time(timeutils.parse_isotime(text))
    except (ValueError, TypeError):
        return None


def _moved_on(row, stack):
    """Whether Heat shows the stack otherwise than when our operation
    ended: Heat's next action (its times have whole seconds, an action
    in the same second keeps them). From then on the stack is Heat's to
    show, whatever state it comes back to.
    """
    if row.heat_end_status is None:
        return False
    if states.heat_stack_mark(stack) == [row.heat_end_status,
                                         row.heat_end_updated_time]:
        return False
    try:
        db_api.stack_state_set_if(_context(), row.stack_id, row.started_at,
                                  {'heat_status': SUPERSEDED})
    except Exception:
        # Shown as Heat's now; the next answer asks again.
        LOG.exception('Could not record that stack %s moved on in Heat',
                      row.stack_id)
    return True


def applies(row, stack):
    """Whether ``row`` is what the stack Heat shows (a stack body) is at:
    no action of Heat's since our operation took it.
    """
    if row is None or row.heat_status == SUPERSEDED:
        return False
    if _heat_time(stack) != row.heat_updated_time:
        return False
    if _moved_on(row, stack):
        return False
    heat_action = states.split_stack_status(stack.get('stack_status'))[0]
    expected = states.split_stack_status(row.heat_status)[0]
    if row.action == states.RESTORE and row.heat_event_id:
        # Heat runs our update: UPDATE, or its rollback.
        return heat_action in (states.UPDATE, states.ROLLBACK)
    return heat_action == expected


def stack_state(row, stack):
    """(stack_status, reason) Heat would show, or None for Heat's own."""
    if not applies(row, stack):
        return None
    heat_action, heat_status = states.split_stack_status(
        stack.get('stack_status'))
    if row.action == states.RESTORE and row.heat_event_id:
        if heat_action == states.ROLLBACK:
            return None
        if heat_status == states.IN_PROGRESS:
            return (states.stack_status(states.RESTORE, heat_status),
                    STARTED % states.RESTORE)
        if heat_status == states.COMPLETE:
            return (states.stack_status(states.RESTORE, heat_status),
                    COMPLETED % states.RESTORE)
        return (states.stack_status(states.RESTORE, heat_status),
                stack.get('stack_status_reason'))
    return (states.stack_status(row.action, row.status), row.status_reason)


def rewrite_stack(row, stack):
    """Rewrite a stack body of Heat's in place; whether it changed."""
    shown = stack_state(row, stack)
    if shown is None:
        return False
    stack['stack_status'], stack['stack_status_reason'] = shown
    return True


def busy(row):
    """The action of ours that a stack update or delete must wait for,
    or None.

    A snapshot copies the stack's resources: nothing may change them
    meanwhile. A restore's update, once Heat took it, is Heat's: a later
    update or delete supersedes it, as in Heat.
    """
    if row is None or row.status != states.IN_PROGRESS:
        return None
    if row.action == states.SNAPSHOT:
        return row.action
    if row.action == states.RESTORE and not row.heat_event_id and \
            row.heat_status != SUPERSEDED:
        return row.action
    return None


def superseded(stack_id):
    """A client's update or delete passed: Heat shows its action now."""
    db_api.stack_state_set(_context(), stack_id,
                           {'heat_status': SUPERSEDED})


# --- resources --------------------------------------------------------------

def _snapshot_rows(row):
    if row is None or not row.last_snapshot_id:
        return {}
    return {r.resource_name: r for r in db_api.resource_snapshot_list(
        _context(), row.last_snapshot_id) if '/' not in r.resource_name}


def _taken_after_change(resource, snap_row):
    """Whether our snapshot took the resource after Heat last changed it."""
    changed = _parse_time(_heat_time(resource))
    taken = snap_row.created_at
    return changed is not None and taken is not None and \
        changed <= taken.replace(microsecond=0)


def _resource_state(snap_row):
    reason = snap_row.status_reason
    if snap_row.status != states.FAILED:
        reason = states.RESOURCE_STATE_CHANGED
    return states.stack_status(snap_row.action, snap_row.status), reason


def _marks(row):
    """{resource name: Heat's mark of it} as our last snapshot ended."""
    try:
        marks = json.loads(row.heat_resources) if row.heat_resources \
            else None
    except ValueError:
        marks = None
    return marks if isinstance(marks, dict) else {}


def _unchanged(resource, snap_row, marks):
    """Whether Heat has not changed the resource since our snapshot took
    it: Heat shows it as it did at the snapshot's end; before the end (or
    from an older record), by Heat's time of it.
    """
    mark = marks.get(resource.get('resource_name'))
    if mark is not None:
        return states.heat_resource_mark(resource) == mark
    return _taken_after_change(resource, snap_row)


def rewrite_resources(row, resources):
    """Rewrite Heat's resource bodies (top-level ones) in place."""
    rows = _snapshot_rows(row)
    marks = _marks(row) if rows else {}
    changed = False
    for resource in resources:
        if resource.get('parent_resource'):
            # A nested stack's: Heat snapshots the top stack's only.
            continue
        snap_row = rows.get(resource.get('resource_name'))
        if snap_row is None or not _unchanged(resource, snap_row, marks):
            continue
        resource['resource_status'], resource['resource_status_reason'] = \
            _resource_state(snap_row)
        changed = True
    return changed


# --- events -----------------------------------------------------------------

def _event(event, stack_url):
    """One of our events (a StackEvent row) as Heat's API shows events."""
    resource_url = '%s/resources/%s' % (stack_url, event.resource_name)
    return {
        'id': event.uuid,
        'event_time': _format_time(event.created_at),
        'resource_name': event.resource_name,
        'logical_resource_id': event.resource_name,
        'physical_resource_id': event.physical_resource_id,
        'resource_status': states.stack_status(event.resource_action,
                                               event.resource_status),
        'resource_status_reason': event.resource_status_reason,
        'links': [
            {'href': '%s/events/%s' % (resource_url, event.uuid),
             'rel': 'self'},
            {'href': resource_url, 'rel': 'resource'},
            {'href': stack_url, 'rel': 'stack'}],
        '_type': event.resource_type,
        '_after': event.heat_after_event_id,
    }


def our_events(row, stack_url):
    """(events to add, {Heat's event id: (status, reason) to show})."""
    added, restated = [], {}
    if row is None:
        return added, restated
    for event in db_api.stack_event_list(_context(), row.stack_id):
        if event.heat_event_id:
            restated[event.heat_event_id] = (
                states.stack_status(event.resource_action,
                                    event.resource_status),
                event.resource_status_reason)
        else:
            added.append(_event(event, stack_url))
    return added, restated


def _is_stack_event(event, row):
    return event.get('physical_resource_id') == row.stack_id and \
        event.get('resource_name') == row.stack_name


def _matches(event, query):
    for key, field in (('resource_name', 'resource_name'),
                       ('resource_status', None),
                       ('resource_action', None),
                       ('resource_type', '_type')):
        wanted = query.get(key)
        if not wanted:
            continue
        action, status = states.split_stack_status(event['resource_status'])
        value = {'resource_status': status,
                 'resource_action': action}.get(key, event.get(field))
        if value not in wanted:
            return False
    return True


def merge_events(row, events, stack_url, query, resource_name=None):
    """Heat's event list with our operations' events, in Heat's order.

    :param query: {parameter: [values]} of the request.
    :param resource_name: the resource of a resource's event list.
    """
    ours, restated = our_events(row, stack_url)
    for event in events:
        if event.get('id') in restated:
            event['resource_status'], event['resource_status_reason'] = \
                restated[event['id']]
    if any(query.get(key) for key in PAGING):
        return events
    if resource_name is not None:
        ours = [e for e in ours if e['resource_name'] == resource_name and
                not _is_stack_event(e, row)]
    ours = [e for e in ours if _matches(e, query)]
    for event in ours:
        event.pop('_type', None)
    if not ours:
        return events
    # Heat's order without sort keys: newest first, unless asked.
    descending = (query.get('sort_dir') or ['desc'])[0] == 'desc'
    heat = list(reversed(events)) if descending else list(events)
    merged = _placed(heat, ours)
    return list(reversed(merged)) if descending else merged


def _placed(heat, ours):
    """Heat's events (oldest first) with ours among them.

    Ours come after Heat's newest event when our operation ended (Heat's
    times have whole seconds: an event of Heat's next action may have our
    end's second); without it in the list (an older record, a filtered
    list), by time.
    """
    ids = {e.get('id') for e in heat}
    after, loose = collections.defaultdict(list), []
    for event in ours:
        anchor = event.pop('_after', None)
        if anchor is not None and anchor in ids:
            after[anchor].append(event)
        else:
            loose.append(event)
    merged = []
    for event in heat:
        merged.append(event)
        merged.extend(after.get(event.get('id'), ()))
    epoch = datetime.datetime(1970, 1, 1)

    def when(e):
        return _parse_time(e.get('event_time')) or epoch
    for event in loose:
        # After every event of its second or before, in place.
        index = len(merged)
        while index and when(merged[index - 1]) > when(event):
            index -= 1
        merged.insert(index, event)
    return merged


def dumps(body):
    return json.dumps(body).encode('utf-8')
