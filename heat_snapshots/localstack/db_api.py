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

"""The embedded stack store's database access.

Its stacks, resources, events and test artifacts, in the transactions,
retries and fencing of ``heat_snapshots.db.api``.
"""

import collections

from oslo_db.sqlalchemy import utils as db_utils
from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa

from heat_snapshots.db import api as db_api
from heat_snapshots.db import models as db_models
from heat_snapshots.localstack import models


# --- the local stack driver's stacks and resources ----------------------

@db_api.writer
def local_stack_create(context, values):
    values = dict(values)
    values.setdefault('id', uuidutils.generate_uuid())
    stack = models.LocalStack(**values)
    context.session.add(stack)
    context.session.flush()
    return stack


@db_api.reader
def local_stack_get(context, stack_id, show_deleted=False):
    """:returns: the stack or None."""
    if not db_api.storable(stack_id):
        return None
    stack = context.session.get(models.LocalStack, stack_id)
    if stack is None or (stack.deleted_at is not None and not show_deleted):
        return None
    return stack


_SUMMARY = sa.select(
    models.LocalStack.id, models.LocalStack.name,
    models.LocalStack.project_id, models.LocalStack.action,
    models.LocalStack.status).where(
    models.LocalStack.id == sa.bindparam('id'),
    models.LocalStack.deleted_at.is_(None))


@db_api.reader.connection
def local_stack_summary(context, stack_id):
    """id, name, project_id, action, status of a live stack, or None.

    A Core statement on the connection: no ORM session.
    """
    if not db_api.storable(stack_id):
        return None
    return context.connection.execute(_SUMMARY, {'id': stack_id}).first()


# The summary's columns, then a snapshot's shown columns (prefixed), all
# NULL when there is no such snapshot.
_SUMMARY_AND_SNAPSHOT = _SUMMARY.add_columns(
    *[column.label('snapshot_' + column.key)
      for column in db_api.SHOWN_COLUMNS]).outerjoin_from(
    models.LocalStack, db_models.Snapshot,
    db_models.Snapshot.id == sa.bindparam('snapshot_id'))
_SHOWN = collections.namedtuple(
    'Shown', [column.key for column in db_api.SHOWN_COLUMNS])


@db_api.reader.connection
def local_stack_summary_and_snapshot(context, stack_id, snapshot_id):
    """local_stack_summary, and db.api.snapshot_get_shown's columns of a
    snapshot or None, in one query: (summary or None, snapshot or None).
    """
    if not db_api.storable(stack_id):
        return None, None
    if not db_api.storable(snapshot_id):
        return local_stack_summary(context, stack_id), None
    row = context.connection.execute(_SUMMARY_AND_SNAPSHOT, {
        'id': stack_id, 'snapshot_id': snapshot_id}).first()
    if row is None:
        return None, None
    snapshot = None
    if row.snapshot_id is not None:
        snapshot = _SHOWN(*row[len(_SUMMARY.selected_columns):])
    return row, snapshot


# The summary's columns, then each of the stack's snapshots' shown columns
# (prefixed; one row of NULLs when it has none), as db.api's list orders
# them.
_SUMMARY_AND_SNAPSHOTS = _SUMMARY.add_columns(
    *[column.label('snapshot_' + column.key)
      for column in db_api.SHOWN_COLUMNS]).outerjoin_from(
    models.LocalStack, db_models.Snapshot,
    db_models.Snapshot.stack_id == models.LocalStack.id).order_by(
    db_models.Snapshot.created_at, db_models.Snapshot.id)


@db_api.reader.connection
def local_stack_summary_and_snapshots(context, stack_id):
    """local_stack_summary, and db.api.snapshot_list_shown's rows of the
    stack, in one query: (summary or None, [snapshot]).
    """
    if not db_api.storable(stack_id):
        return None, []
    rows = context.connection.execute(_SUMMARY_AND_SNAPSHOTS,
                                      {'id': stack_id}).all()
    if not rows:
        return None, []
    first = len(_SUMMARY.selected_columns)
    return rows[0], [_SHOWN(*row[first:]) for row in rows
                     if row.snapshot_id is not None]


@db_api.reader
def local_stack_get_by_name(context, project_id, name):
    if not db_api.storable(project_id, name):
        return None
    query = sa.select(models.LocalStack).where(
        models.LocalStack.project_id == project_id,
        models.LocalStack.name == name,
        models.LocalStack.deleted_at.is_(None))
    return context.session.scalars(query).first()


@db_api.reader
def local_stack_list(context, project_id=None, limit=None, marker=None):
    query = sa.select(models.LocalStack).where(
        models.LocalStack.deleted_at.is_(None)).order_by(
        models.LocalStack.created_at.desc(), models.LocalStack.id)
    if project_id is not None:
        query = query.where(models.LocalStack.project_id == project_id)
    if limit is not None:
        query = query.limit(limit)
    return list(context.session.scalars(query))


@db_api.fenced_writer
def local_stack_update(context, stack_id, values, expected=None):
    """:returns: whether the stack was updated (with ``expected``: still
        matched).
    """
    return db_api.conditional_update(context, models.LocalStack,
                                     {'id': stack_id}, values, expected)


# Escapes LIKE's wildcards in a resource path (which may hold "_").
_LIKE_ESCAPE = '!'


def _resource_list_query(under_prefix):
    resource = models.LocalResource
    query = sa.select(*(getattr(resource, name).label(name) for name in
                        sa.inspect(resource).column_attrs.keys())).where(
        resource.stack_id == sa.bindparam('stack_id'))
    if under_prefix:
        query = query.where(resource.name.like(sa.bindparam('pattern'),
                                               escape=_LIKE_ESCAPE))
    return query.order_by(resource.id)


@db_api.reader
def local_resource_list(context, stack_id, prefix=None):
    """The resources of a stack, in the order they were first stored:
    read-only rows, each column by its model attribute's name.

    Rows, not ORM objects: a walk reads a stack of a thousand resources,
    and loading them as objects of the session was most of that read's
    time.

    :param prefix: only the resources whose path starts with it (those of
        a nested stack, ``group/``), found through the (stack_id, name)
        index.
    """
    params = {'stack_id': stack_id}
    if prefix is not None:
        params['pattern'] = ''.join(
            _LIKE_ESCAPE + c if c in (_LIKE_ESCAPE, '%', '_') else c
            for c in prefix) + '%'
    rows = context.session.connection().execute(db_api.prepared(
        ('local_resource_list', prefix is not None),
        lambda: _resource_list_query(prefix is not None)), params)
    # (LIKE ignores case under MariaDB's default collation.)
    return [row for row in rows
            if prefix is None or row.name.startswith(prefix)]


def local_resource_set(context, stack_id, name, values, new=False):
    """Create or update the resource ``name`` of a local stack.

    :param new: the resource is most likely not there yet (see
        db.api.upsert).
    """
    db_api.upsert(context, models.LocalResource,
                  {'stack_id': stack_id, 'name': name}, values, new=new)


def local_resources_create(context, stack_id, resources):
    """Insert the resources ((name, values) each) of a new local stack,
    with one multi-row statement per shape of row.

    Inserted, not upserted: on MariaDB an UPDATE that finds no row locks
    the gap where the row would go, and two stacks created at once whose
    resources fall in one gap then deadlocked on their INSERTs.

    :raises: DBDuplicateEntry when one is already there.
    """
    db_api.upsert_many(context, models.LocalResource, [
        ({'stack_id': stack_id, 'name': name}, values)
        for name, values in resources], new=True)


@db_api.fenced_writer
def local_resource_update(context, stack_id, name, values):
    """Update an existing resource of a local stack in one statement.

    Writing without reading first lets concurrent writers on SQLite wait
    for each other instead of failing with "database is locked".

    :returns: whether the resource exists.
    """
    return db_api.conditional_update(
        context, models.LocalResource, {'stack_id': stack_id, 'name': name},
        values)


def local_resource_update_many(context, rows):
    """Update existing resources of local stacks ((stack_id, name,
    values) each) as local_resource_update does each, with a multi-row
    statement per shape (db_api.upsert_many).

    :raises: RowsNotAsExpected when one does not exist.
    """
    db_api.upsert_many(context, models.LocalResource, [
        ({'stack_id': stack_id, 'name': name}, values)
        for stack_id, name, values in rows])


def _resources_update_statement(columns):
    resource = models.LocalResource
    return sa.update(resource).where(
        resource.stack_id == sa.bindparam('w_stack_id'),
        resource.name.in_(sa.bindparam('w_names', expanding=True))).values(
        {column: sa.bindparam('v_' + column,
                              type_=getattr(resource, column).type)
         for column in columns})


@db_api.fenced_writer
def local_resources_update(context, stack_id, names, values):
    """Update existing resources of a local stack alike, in one
    statement.

    :returns: the names of those that do not exist (none: all updated).
    """
    names = sorted(set(names))
    values = dict(values, updated_at=timeutils.utcnow())
    params = {'v_' + column: value for column, value in values.items()}
    params.update(w_stack_id=stack_id, w_names=names)
    statement = db_api.prepared(
        ('local_resources_update', tuple(values)),
        lambda: _resources_update_statement(tuple(values)))
    if db_api.core_execute(context, statement, params).rowcount == len(
            names):
        return []
    found = set(context.session.scalars(
        sa.select(models.LocalResource.name).where(
            models.LocalResource.stack_id == stack_id,
            models.LocalResource.name.in_(names))))
    return [name for name in names if name not in found]


@db_api.fenced_writer
def local_resources_delete(context, stack_id, names):
    """Delete the resources ``names`` of a local stack, in one statement.
    """
    context.session.execute(sa.delete(models.LocalResource).where(
        models.LocalResource.stack_id == stack_id,
        models.LocalResource.name.in_(names)))


# --- the local stack driver's events ------------------------------------

STACK_EVENT_TYPE = 'OS::Heat::Stack'

# Heat's event sort keys, by the names its API takes.
_EVENT_SORT_KEYS = {'event_time': 'created_at',
                    'resource_type': 'resource_type'}
_EVENT_FILTERS = ('resource_name', 'resource_action', 'resource_status',
                  'resource_type', 'uuid')


def _stack_event_insert():
    """INSERT ... SELECT of the stack's own event: the stack as it is in
    this transaction, its template and files never read into Python.
    """
    stack = models.LocalStack
    event = models.LocalEvent
    source = sa.select(
        sa.bindparam('e_uuid', type_=sa.String(36)), stack.id, stack.name,
        stack.id.label('physical_resource_id'),
        sa.literal(STACK_EVENT_TYPE, type_=sa.String(255)), stack.action,
        stack.status, stack.status_reason,
        sa.bindparam('e_created_at', type_=sa.DateTime)).where(
        stack.id == sa.bindparam('e_stack_id'))
    return sa.insert(event).from_select(
        [event.uuid, event.stack_id, event.resource_name,
         event.physical_resource_id, event.resource_type,
         event.resource_action, event.resource_status,
         event.resource_status_reason, event.created_at], source,
        include_defaults=False)


@db_api.fenced_writer
def local_stack_event_add(context, stack_id):
    """Record the state the stack is in now, in one statement (no ORM
    object: reading the stack's row as one decoded its whole template).

    :returns: whether there was such a stack.
    """
    return db_api.core_execute(context, db_api.prepared(
        'local_stack_event_add', _stack_event_insert), {
            'e_uuid': uuidutils.generate_uuid(), 'e_stack_id': stack_id,
            'e_created_at': timeutils.utcnow()}).rowcount > 0


def _resource_event_insert(shown=False):
    """INSERT ... SELECT of a resource's event; with ``shown``, its
    action, status and reason are bound (e_action, e_status, e_reason)
    instead of read from the resource.
    """
    resource = models.LocalResource
    if shown:
        state = (sa.bindparam('e_action', type_=sa.String(32)),
                 sa.bindparam('e_status', type_=sa.String(32)),
                 sa.bindparam('e_reason', type_=sa.Text))
    else:
        state = (resource.action, resource.status, resource.status_reason)
    source = sa.select(
        sa.bindparam('e_uuid', type_=sa.String(36)),
        resource.stack_id, resource.name, resource.physical_resource_id,
        resource.type, *state, resource.properties,
        sa.bindparam('e_created_at', type_=sa.DateTime)).where(
        resource.stack_id == sa.bindparam('e_stack_id'),
        resource.name == sa.bindparam('e_name'))
    event = models.LocalEvent
    return sa.insert(event).from_select(
        [event.uuid, event.stack_id, event.resource_name,
         event.physical_resource_id, event.resource_type,
         event.resource_action, event.resource_status,
         event.resource_status_reason, event.resource_properties,
         event.created_at], source, include_defaults=False)


def local_resource_event_add(context, stack_id, resource_name, shown=None):
    """Record the state a resource is in now (see
    local_resource_events_add).

    :returns: whether there was such a resource.
    """
    return local_resource_events_add(context, stack_id, [resource_name],
                                     shown=shown) > 0


def _resources_state_query():
    resource = models.LocalResource
    return sa.select(
        resource.name, resource.physical_resource_id, resource.type,
        resource.action, resource.status, resource.status_reason,
        # As stored: copied into the events, never parsed.
        sa.type_coerce(resource.properties, sa.Text)).where(
        resource.stack_id == sa.bindparam('stack_id'),
        resource.name.in_(sa.bindparam('names', expanding=True)))


def _events_insert():
    event = models.LocalEvent
    return sa.insert(event).values(
        {event.resource_properties: sa.bindparam('properties',
                                                 type_=sa.Text)})


@db_api.fenced_writer
def local_resource_events_add(context, stack_id, resource_names,
                              shown=None):
    """Record the state each resource is in now, with no ORM object: an
    INSERT ... SELECT per resource, run as one executemany; on a database
    server, for several resources, one SELECT of their states and one
    multi-row INSERT instead (there each INSERT ... SELECT is a round
    trip: 200 events took 51 ms and 19 ms of CPU on MariaDB, against
    12 ms and 7 ms; on SQLite the executemany is the cheaper, 3.6 ms
    against 4.5 ms).

    :param shown: (action, status, reason) recorded instead of the
        resources' own (a state they pass through in this transaction).
    :returns: how many resources there were.
    """
    now = timeutils.utcnow()
    connection = context.session.connection()
    if len(resource_names) == 1 or connection.dialect.name == 'sqlite':
        params = []
        for name in resource_names:
            row = {'e_uuid': uuidutils.generate_uuid(),
                   'e_stack_id': stack_id, 'e_name': name,
                   'e_created_at': now}
            if shown is not None:
                row['e_action'], row['e_status'], row['e_reason'] = shown
            params.append(row)
        return db_api.core_execute(context, db_api.prepared(
            ('local_resource_event_add', shown is not None),
            lambda: _resource_event_insert(shown is not None)),
            params[0] if len(params) == 1 else params).rowcount
    found = {row[0]: row for row in connection.execute(
        db_api.prepared('local_resources_state', _resources_state_query),
        {'stack_id': stack_id, 'names': sorted(set(resource_names))})}
    rows = []
    for name in resource_names:
        if name not in found:
            continue
        _name, physical_id, type_name, action, status, reason, properties = \
            found[name]
        if shown is not None:
            action, status, reason = shown
        rows.append({'uuid': uuidutils.generate_uuid(),
                     'stack_id': stack_id, 'resource_name': name,
                     'physical_resource_id': physical_id,
                     'resource_type': type_name, 'resource_action': action,
                     'resource_status': status,
                     'resource_status_reason': reason,
                     'properties': properties, 'created_at': now})
    if rows:
        db_api.core_execute(context, db_api.prepared(
            'local_events_insert', _events_insert), rows)
    return len(rows)


@db_api.reader
def local_event_list(context, stack_id, filters=None, limit=None,
                     marker=None, sort_keys=None, sort_dir=None):
    """A stack's events, paged as Heat pages them.

    :param filters: {column: value or list of values}; unknown keys are
        ignored.
    :param marker: the uuid of the event the page starts after; an
        unknown one is ignored.
    :param sort_keys: Heat's names (event_time, resource_type); others are
        ignored. By default the newest first, unless ``sort_dir`` says.
    :raises: ValueError for a sort direction other than asc or desc.
    """
    query = context.session.query(models.LocalEvent).filter(
        models.LocalEvent.stack_id == stack_id)
    for key, value in (filters or {}).items():
        if key not in _EVENT_FILTERS or value is None:
            continue
        column = getattr(models.LocalEvent, key)
        if isinstance(value, (list, tuple, set)):
            query = query.filter(column.in_(list(value)))
        else:
            query = query.filter(column == value)
    keys = [_EVENT_SORT_KEYS[k] for k in sort_keys or ()
            if k in _EVENT_SORT_KEYS]
    if not keys:
        keys = ['created_at']
        sort_dir = sort_dir or 'desc'
    keys.append('id')
    if sort_dir not in (None, 'asc', 'desc'):
        raise ValueError(sort_dir)
    marker_row = None
    if marker is not None and db_api.storable(marker):
        marker_row = context.session.query(models.LocalEvent).filter(
            models.LocalEvent.stack_id == stack_id,
            models.LocalEvent.uuid == marker).first()
    query = db_utils.paginate_query(query, models.LocalEvent, limit, keys,
                                    marker=marker_row,
                                    sort_dir=sort_dir or 'asc')
    return query.all()


# --- the local artifact store -------------------------------------------

@db_api.fenced_writer
def artifact_create(context, values):
    values = dict(values)
    values.setdefault('id', uuidutils.generate_uuid())
    artifact = models.Artifact(**values)
    context.session.add(artifact)
    context.session.flush()
    return artifact


_ARTIFACT_OF = sa.select(models.Artifact.id).where(
    models.Artifact.snapshot_id == sa.bindparam('snapshot_id'),
    models.Artifact.resource_name == sa.bindparam('resource_name')).order_by(
    models.Artifact.created_at).limit(1)
_ARTIFACT_INSERT = sa.insert(models.Artifact)


@db_api.reader.connection
def artifact_id_of(context, snapshot_id, resource_name):
    """The id of the resource's artifact of the snapshot, or None."""
    return context.connection.execute(_ARTIFACT_OF, {
        'snapshot_id': snapshot_id,
        'resource_name': resource_name}).scalar()


_ARTIFACTS_OF = sa.select(
    models.Artifact.resource_name, models.Artifact.id).where(
    models.Artifact.snapshot_id == sa.bindparam('snapshot_id'),
    models.Artifact.resource_name.in_(
        sa.bindparam('names', expanding=True))).order_by(
    models.Artifact.created_at)


@db_api.fenced_writer
def artifacts_ensure(context, entries):
    """The id of the artifact of each (snapshot_id, resource_name,
    content), made if there is none yet (a step run again after an engine
    restart finds its own), in one transaction: a read per snapshot and
    one INSERT of those missing.

    :returns: their ids, in order.
    """
    connection = context.session.connection()
    names = collections.OrderedDict()
    for snapshot_id, resource_name, _content in entries:
        names.setdefault(snapshot_id, []).append(resource_name)
    found = {}
    for snapshot_id, resource_names in names.items():
        for row in connection.execute(_ARTIFACTS_OF, {
                'snapshot_id': snapshot_id, 'names': resource_names}):
            # The first made, as artifact_id_of answers.
            found.setdefault((snapshot_id, row.resource_name), row.id)
    rows = []
    now = timeutils.utcnow()
    for snapshot_id, resource_name, content in entries:
        key = (snapshot_id, resource_name)
        if key not in found:
            found[key] = uuidutils.generate_uuid()
            rows.append({'id': found[key], 'snapshot_id': snapshot_id,
                         'resource_name': resource_name, 'content': content,
                         'created_at': now})
    if rows:
        db_api.core_execute(context, _ARTIFACT_INSERT, rows)
    return [found[(snapshot_id, resource_name)]
            for snapshot_id, resource_name, _content in entries]


@db_api.reader
def artifact_get(context, artifact_id):
    return context.session.get(models.Artifact, artifact_id)


@db_api.reader
def artifact_list(context, snapshot_id=None, resource_name=None):
    query = sa.select(models.Artifact).order_by(models.Artifact.created_at)
    if snapshot_id is not None:
        query = query.where(models.Artifact.snapshot_id == snapshot_id)
    if resource_name is not None:
        query = query.where(models.Artifact.resource_name == resource_name)
    return list(context.session.scalars(query))


@db_api.fenced_writer
def artifact_delete(context, artifact_id):
    """:returns: whether it existed."""
    result = context.session.execute(sa.delete(models.Artifact).where(
        models.Artifact.id == artifact_id))
    return result.rowcount > 0
