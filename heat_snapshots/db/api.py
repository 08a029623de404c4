"""Every database access of heat-snapshots.

Functions take the request context first and run in a reader or writer
transaction of the one enginefacade context manager. Rows are returned as
detached model objects; callers never hold a session.
"""

import os

from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import enginefacade
from oslo_log import log as logging
from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa

from heat_snapshots.common import exception
from heat_snapshots.db import models

LOG = logging.getLogger(__name__)

main_context_manager = enginefacade.transaction_context()
reader = main_context_manager.reader
writer = main_context_manager.writer

_CONFIGURED = False


def _sqlite_on_connect(dbapi_conn, connection_record):
    # WAL lets readers carry on during a write; busy_timeout makes a writer
    # wait for another instead of failing.
    cursor = dbapi_conn.cursor()
    cursor.execute('PRAGMA journal_mode=WAL')
    cursor.execute('PRAGMA busy_timeout=30000')
    cursor.close()


def _sqlite_on_begin(connection):
    # oslo.db begins SQLite transactions with a plain BEGIN; one that reads
    # and then writes cannot wait for another writer and fails at once with
    # "database is locked". Taking the write lock up front waits under
    # busy_timeout instead. oslo.db's own listener sees the marker it uses
    # and emits nothing more.
    if 'in_transaction' not in connection.info:
        connection.exec_driver_sql('BEGIN IMMEDIATE')
        connection.info['in_transaction'] = True


def setup_engine(engine):
    """Make an engine of ours safe for many threads on SQLite."""
    if engine.dialect.name != 'sqlite':
        return
    sa.event.listen(engine, 'connect', _sqlite_on_connect)
    # Ours must run before oslo.db's plain BEGIN: re-add the others after.
    others = list(engine.dispatch.begin)
    for listener in others:
        sa.event.remove(engine, 'begin', listener)
    sa.event.listen(engine, 'begin', _sqlite_on_begin)
    for listener in others:
        sa.event.listen(engine, 'begin', listener)
    # Connections made before the listeners (oslo.db tries one) go away.
    engine.dispose()


main_context_manager.append_on_engine_create(setup_engine)


def configure(conf):
    """Point the context manager at ``[database]``; once per process."""
    global _CONFIGURED
    if _CONFIGURED:
        return
    connection = conf.database.connection
    if connection.startswith('sqlite:///') and ':memory:' not in connection:
        path = connection[len('sqlite:///'):]
        os.makedirs(os.path.dirname(os.path.abspath(path)) or '.',
                    exist_ok=True)
    main_context_manager.configure(sqlite_fk=True,
                                   **dict(conf.database.items()))
    _CONFIGURED = True


def get_engine():
    return main_context_manager.writer.get_engine()


def _storable(*values):
    """Whether a database can hold these keys: PostgreSQL stores no NUL.

    A key holding one names nothing, so lookups answer "not found" on every
    database instead of failing on PostgreSQL alone.
    """
    return not any(isinstance(v, str) and '\x00' in v for v in values)


# --- snapshots ------------------------------------------------------------

@writer
def snapshot_create(context, values):
    values = dict(values)
    values.setdefault('id', uuidutils.generate_uuid())
    snapshot = models.Snapshot(**values)
    context.session.add(snapshot)
    context.session.flush()
    return snapshot


@reader
def snapshot_get(context, snapshot_id):
    """:raises: SnapshotIdNotFound."""
    snapshot = None
    if _storable(snapshot_id):
        snapshot = context.session.get(models.Snapshot, snapshot_id)
    if snapshot is None:
        raise exception.SnapshotIdNotFound(snapshot_id=snapshot_id)
    return snapshot


@reader
def snapshot_list_by_stack(context, stack_id):
    query = sa.select(models.Snapshot).where(
        models.Snapshot.stack_id == stack_id).order_by(
        models.Snapshot.created_at, models.Snapshot.id)
    return list(context.session.scalars(query))


@reader
def snapshot_count_by_stack(context, stack_id):
    query = sa.select(sa.func.count(models.Snapshot.id)).where(
        models.Snapshot.stack_id == stack_id)
    return context.session.scalar(query)


@reader
def snapshot_list_by_status(context, status, engine_ids=None):
    query = sa.select(models.Snapshot).where(
        models.Snapshot.status == status)
    if engine_ids is not None:
        query = query.where(models.Snapshot.engine_id.in_(engine_ids))
    return list(context.session.scalars(query))


@writer
def snapshot_update(context, snapshot_id, values, expected=None):
    """Update a snapshot; with ``expected`` only if its columns still match.

    :returns: whether a row was updated.
    """
    query = sa.update(models.Snapshot).where(
        models.Snapshot.id == snapshot_id)
    for column, value in (expected or {}).items():
        query = query.where(getattr(models.Snapshot, column) == value)
    values = dict(values, updated_at=timeutils.utcnow())
    return context.session.execute(query.values(**values)).rowcount > 0


@writer
def snapshot_delete(context, snapshot_id):
    context.session.execute(sa.delete(models.ResourceSnapshot).where(
        models.ResourceSnapshot.snapshot_id == snapshot_id))
    context.session.execute(sa.delete(models.Snapshot).where(
        models.Snapshot.id == snapshot_id))


# --- resource snapshots -------------------------------------------------

# A walk writes each resource's row several times (started, its data,
# its outcome): one INSERT, then single UPDATEs of the existing row, with
# Core statements and no ORM objects (reading the row and flushing an ORM
# object was a third of a 1000-resource snapshot's time). An UPDATE that
# finds no row is avoided: on MySQL it takes a gap lock, and two walk
# threads inserting into the same gap then deadlock.

def _resource_snapshots():
    return models.ResourceSnapshot.__table__


@writer
def _resource_snapshot_insert(context, snapshot_id, resource_name, values):
    context.session.execute(sa.insert(_resource_snapshots()).values(
        dict(values, snapshot_id=snapshot_id, resource_name=resource_name,
             created_at=timeutils.utcnow())))


def resource_snapshot_add(context, snapshot_id, resource_name, values):
    """Create one resource's row of a snapshot (update it if it exists)."""
    try:
        _resource_snapshot_insert(context, snapshot_id, resource_name,
                                  values)
    except db_exc.DBDuplicateEntry:
        resource_snapshot_set(context, snapshot_id, resource_name, values)


@writer
def resource_snapshot_update(context, snapshot_id, resource_name, values):
    """Update an existing row in one statement.

    :returns: whether it existed.
    """
    table = _resource_snapshots()
    result = context.session.execute(
        sa.update(table).where(
            table.c.snapshot_id == snapshot_id,
            table.c.resource_name == resource_name).values(
            dict(values, updated_at=timeutils.utcnow())))
    return result.rowcount > 0


@writer
def resource_snapshot_set(context, snapshot_id, resource_name, values):
    """Create or update one resource's row of a snapshot."""
    table = _resource_snapshots()
    row_id = context.session.execute(
        sa.select(table.c.id).where(
            table.c.snapshot_id == snapshot_id,
            table.c.resource_name == resource_name)).scalar()
    if row_id is None:
        _resource_snapshot_insert(context, snapshot_id, resource_name,
                                  values)
    else:
        context.session.execute(sa.update(table).where(
            table.c.id == row_id).values(
            dict(values, updated_at=timeutils.utcnow())))


@reader
def resource_snapshot_list(context, snapshot_id):
    query = sa.select(models.ResourceSnapshot).where(
        models.ResourceSnapshot.snapshot_id == snapshot_id).order_by(
        models.ResourceSnapshot.id)
    return list(context.session.scalars(query))


@writer
def resource_snapshot_delete(context, snapshot_id, resource_name):
    context.session.execute(sa.delete(models.ResourceSnapshot).where(
        models.ResourceSnapshot.snapshot_id == snapshot_id,
        models.ResourceSnapshot.resource_name == resource_name))


# --- stack locks --------------------------------------------------------

@writer
def _stack_lock_insert(context, stack_id, engine_id, action):
    context.session.add(models.StackLock(stack_id=stack_id,
                                         engine_id=engine_id, action=action))


def stack_lock_create(context, stack_id, engine_id, action):
    """Take the stack's lock.

    :returns: None when taken, else the engine id of the holder.
    """
    try:
        _stack_lock_insert(context, stack_id, engine_id, action)
    except db_exc.DBDuplicateEntry:
        return stack_lock_holder(context, stack_id) or 'unknown'
    return None


@reader
def stack_lock_holder(context, stack_id):
    lock = context.session.get(models.StackLock, stack_id)
    return lock.engine_id if lock else None


@reader
def stack_lock_get(context, stack_id):
    return context.session.get(models.StackLock, stack_id)


@writer
def stack_lock_steal(context, stack_id, old_engine_id, new_engine_id,
                     action):
    """Take over a lock held by ``old_engine_id``; False if it moved."""
    result = context.session.execute(
        sa.update(models.StackLock).where(
            models.StackLock.stack_id == stack_id,
            models.StackLock.engine_id == old_engine_id).values(
            engine_id=new_engine_id, action=action,
            updated_at=timeutils.utcnow()))
    return result.rowcount > 0


@writer
def stack_lock_release(context, stack_id, engine_id):
    """:returns: whether this engine held the lock."""
    result = context.session.execute(
        sa.delete(models.StackLock).where(
            models.StackLock.stack_id == stack_id,
            models.StackLock.engine_id == engine_id))
    return result.rowcount > 0


@reader
def stack_lock_list(context, engine_ids=None):
    query = sa.select(models.StackLock)
    if engine_ids is not None:
        query = query.where(models.StackLock.engine_id.in_(engine_ids))
    return list(context.session.scalars(query))


# --- engines ------------------------------------------------------------

@writer
def engine_heartbeat(context, engine_id, host, pid):
    now = timeutils.utcnow()
    engine = context.session.get(models.Engine, engine_id)
    if engine is None:
        context.session.add(models.Engine(id=engine_id, host=host, pid=pid,
                                          heartbeat_at=now))
    else:
        engine.heartbeat_at = now


@reader
def engine_list(context):
    return list(context.session.scalars(sa.select(models.Engine)))


@writer
def engine_delete(context, engine_id):
    context.session.execute(sa.delete(models.Engine).where(
        models.Engine.id == engine_id))


# --- the local stack driver's stacks and resources ----------------------

@writer
def local_stack_create(context, values):
    values = dict(values)
    values.setdefault('id', uuidutils.generate_uuid())
    stack = models.LocalStack(**values)
    context.session.add(stack)
    context.session.flush()
    return stack


@reader
def local_stack_get(context, stack_id, show_deleted=False):
    """:returns: the stack or None."""
    if not _storable(stack_id):
        return None
    stack = context.session.get(models.LocalStack, stack_id)
    if stack is None or (stack.deleted_at is not None and not show_deleted):
        return None
    return stack


@reader
def local_stack_get_by_name(context, project_id, name):
    if not _storable(project_id, name):
        return None
    query = sa.select(models.LocalStack).where(
        models.LocalStack.project_id == project_id,
        models.LocalStack.name == name,
        models.LocalStack.deleted_at.is_(None))
    return context.session.scalars(query).first()


@reader
def local_stack_list(context, project_id=None, limit=None, marker=None):
    query = sa.select(models.LocalStack).where(
        models.LocalStack.deleted_at.is_(None)).order_by(
        models.LocalStack.created_at.desc(), models.LocalStack.id)
    if project_id is not None:
        query = query.where(models.LocalStack.project_id == project_id)
    if limit is not None:
        query = query.limit(limit)
    return list(context.session.scalars(query))


@writer
def local_stack_update(context, stack_id, values, expected=None):
    query = sa.update(models.LocalStack).where(
        models.LocalStack.id == stack_id)
    for column, value in (expected or {}).items():
        query = query.where(getattr(models.LocalStack, column) == value)
    values = dict(values, updated_at=timeutils.utcnow())
    return context.session.execute(query.values(**values)).rowcount > 0


@reader
def local_resource_list(context, stack_id):
    query = sa.select(models.LocalResource).where(
        models.LocalResource.stack_id == stack_id).order_by(
        models.LocalResource.id)
    return list(context.session.scalars(query))


@writer
def local_resource_set(context, stack_id, name, values):
    """Create or update the resource ``name`` of a local stack."""
    query = sa.select(models.LocalResource).where(
        models.LocalResource.stack_id == stack_id,
        models.LocalResource.name == name)
    row = context.session.scalars(query).first()
    if row is None:
        row = models.LocalResource(stack_id=stack_id, name=name)
        context.session.add(row)
    for key, value in values.items():
        setattr(row, key, value)
    context.session.flush()
    return row


@writer
def local_resource_update(context, stack_id, name, values):
    """Update an existing resource of a local stack in one statement.

    Writing without reading first lets concurrent writers on SQLite wait
    for each other instead of failing with "database is locked".

    :returns: whether the resource exists.
    """
    query = sa.update(models.LocalResource).where(
        models.LocalResource.stack_id == stack_id,
        models.LocalResource.name == name)
    values = dict(values, updated_at=timeutils.utcnow())
    return context.session.execute(query.values(**values)).rowcount > 0


@writer
def local_resource_delete(context, stack_id, name):
    context.session.execute(sa.delete(models.LocalResource).where(
        models.LocalResource.stack_id == stack_id,
        models.LocalResource.name == name))


# --- the local artifact store -------------------------------------------

@writer
def artifact_create(context, values):
    values = dict(values)
    values.setdefault('id', uuidutils.generate_uuid())
    artifact = models.Artifact(**values)
    context.session.add(artifact)
    context.session.flush()
    return artifact


@reader
def artifact_get(context, artifact_id):
    return context.session.get(models.Artifact, artifact_id)


@reader
def artifact_list(context, snapshot_id=None, resource_name=None):
    query = sa.select(models.Artifact).order_by(models.Artifact.created_at)
    if snapshot_id is not None:
        query = query.where(models.Artifact.snapshot_id == snapshot_id)
    if resource_name is not None:
        query = query.where(models.Artifact.resource_name == resource_name)
    return list(context.session.scalars(query))


@writer
def artifact_delete(context, artifact_id):
    """:returns: whether it existed."""
    result = context.session.execute(sa.delete(models.Artifact).where(
        models.Artifact.id == artifact_id))
    return result.rowcount > 0
