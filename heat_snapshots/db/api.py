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

"""Every database access of heat-snapshots.

Functions take the request context first and run in a reader or writer
transaction of the one enginefacade context manager. Rows are returned as
detached model objects; callers never hold a session.
"""

import contextvars
import datetime
import functools
import os

from oslo_db import api as oslo_db_api
from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import enginefacade
from oslo_db.sqlalchemy import utils as db_utils
from oslo_log import log as logging
from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa

from heat_snapshots.common import exception
from heat_snapshots.common import states
from heat_snapshots.db import models

LOG = logging.getLogger(__name__)

main_context_manager = enginefacade.transaction_context()

# Whether the transaction the current thread begins only reads: set by
# ``reader`` and ``writer`` below, read by _sqlite_on_begin. Unset (any
# other way in, such as migrations) counts as writing.
_READ_ONLY = contextvars.ContextVar('heat_snapshots_read_only',
                                    default=False)


class _Mode:
    """enginefacade's ``reader`` or ``writer`` (as decorators, with
    ``.connection``), noting for the SQLite BEGIN which one a new
    transaction is.

    A function joining a transaction already open leaves the note alone:
    a reader called inside a writer must not make the writer's (lazy)
    BEGIN a read-only one.
    """

    def __init__(self, manager, read_only):
        self._manager = manager
        self._read_only = read_only

    def __call__(self, function):
        wrapped = self._manager(function)
        read_only = self._read_only

        @functools.wraps(function)
        def run(context, *args, **kwargs):
            if in_transaction(context):
                return wrapped(context, *args, **kwargs)
            token = _READ_ONLY.set(read_only)
            try:
                return wrapped(context, *args, **kwargs)
            finally:
                _READ_ONLY.reset(token)
        return run

    @property
    def connection(self):
        return _Mode(self._manager.connection, self._read_only)

    def __getattr__(self, name):
        return getattr(self._manager, name)


reader = _Mode(main_context_manager.reader, True)
writer = _Mode(main_context_manager.writer, False)

_CONFIGURED = False


# SQLite only: set by configure() from [heat_snapshots_database] and
# [database], read when an engine is made.
_SQLITE = {'synchronous': 'NORMAL', 'pool_size': 20, 'max_overflow': 50,
           'pool_timeout': 30}
# Milliseconds a transaction waits for SQLite's one writer before failing
# with "database is locked": SQLite waits, no retry loop of ours does.
SQLITE_BUSY_TIMEOUT_MS = 30000


def _sqlite_on_connect(dbapi_conn, connection_record):
    # Per connection, and once: connections are pooled. busy_timeout makes
    # a writer wait for another instead of failing; synchronous is not kept
    # in the file (the WAL journal mode is: set once, in setup_engine).
    cursor = dbapi_conn.cursor()
    cursor.execute('PRAGMA busy_timeout=%d' % SQLITE_BUSY_TIMEOUT_MS)
    cursor.execute('PRAGMA synchronous=%s' % _SQLITE['synchronous'])
    cursor.close()


def _sqlite_on_begin(connection):
    # oslo.db begins SQLite transactions with a plain BEGIN; one that reads
    # and then writes cannot wait for another writer and fails at once with
    # "database is locked". Taking the write lock up front waits under
    # busy_timeout instead. oslo.db's own listener sees the marker it uses
    # and emits nothing more. A reader's transaction keeps oslo.db's plain
    # BEGIN: it never writes, and in WAL mode it reads the last commit
    # without waiting for (nor holding up) the one writer.
    if 'in_transaction' not in connection.info and not _READ_ONLY.get():
        connection.exec_driver_sql('BEGIN IMMEDIATE')
        connection.info['in_transaction'] = True


def _sqlite_pool(engine):
    """A pool keeping SQLite connections (oslo.db gives file databases a
    NullPool: a new connection, its file opened and its pragmas set, for
    every transaction). Threads check a connection out per transaction and
    back in, as on MySQL; check_same_thread is off for file databases.
    """
    old = engine.pool
    # As Pool.recreate() makes its copy: the same creator and the
    # listeners already registered (oslo.db's and ours).
    return sa.pool.QueuePool(
        old._creator, pool_size=_SQLITE['pool_size'],
        max_overflow=_SQLITE['max_overflow'],
        timeout=_SQLITE['pool_timeout'], recycle=old._recycle,
        echo=old.echo, logging_name=old._orig_logging_name,
        reset_on_return=old._reset_on_return,
        # A local file has no connection to lose: no ping per checkout.
        pre_ping=False, _dispatch=old.dispatch, dialect=old._dialect)


def _sqlite_wal(engine):
    # The journal mode is kept in the database file: set once. Outside a
    # transaction (a raw connection: no BEGIN from the listeners). The
    # driver's own error is not translated by oslo.db there: it is here,
    # so that a file that cannot be opened is a DBConnectionError.
    try:
        raw = engine.raw_connection()
    except engine.dialect.loaded_dbapi.Error as error:
        raise db_exc.DBConnectionError(error)
    try:
        cursor = raw.cursor()
        cursor.execute('PRAGMA journal_mode=WAL')
        cursor.close()
    finally:
        raw.close()


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
    if isinstance(engine.pool, sa.pool.NullPool):
        engine.pool = _sqlite_pool(engine)
    _sqlite_wal(engine)


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
    _SQLITE.update(
        synchronous=conf.heat_snapshots_database.sqlite_synchronous,
        pool_size=conf.database.max_pool_size or _SQLITE['pool_size'],
        max_overflow=(conf.database.max_overflow
                      if conf.database.max_overflow is not None
                      else _SQLITE['max_overflow']),
        pool_timeout=conf.database.pool_timeout or _SQLITE['pool_timeout'])
    # thread_checkin: oslo.db's sleep(0) at every connection check-in is
    # for eventlet; our threads are real threads, and it only made the
    # walk threads give the GIL away after every transaction.
    main_context_manager.configure(sqlite_fk=True, thread_checkin=False,
                                   **dict(conf.database.items()))
    _CONFIGURED = True


def get_engine():
    return main_context_manager.writer.get_engine()


def storable(*values):
    """Whether a database can hold these keys: PostgreSQL stores no NUL.

    A key holding one names nothing, so lookups answer "not found" on every
    database instead of failing on PostgreSQL alone.
    """
    return not any(isinstance(v, str) and '\x00' in v for v in values)


# --- retries and fencing -------------------------------------------------

def in_transaction(context):
    """Whether ``context`` has a transaction open (its writes join it)."""
    try:
        context.transaction_ctx
    except db_exc.NoEngineContextEstablished:
        return False
    return True


_RETRY = oslo_db_api.wrap_db_retry(max_retries=5, retry_interval=0.1,
                                   inc_retry_interval=True,
                                   max_retry_interval=2,
                                   retry_on_deadlock=True,
                                   retry_on_disconnect=True, jitter=True)


def retry_on_db_error(function):
    """Run ``function`` again after a deadlock or a lost connection.

    Only the outermost transaction is repeated: inside one that is already
    open, the database has rolled the whole of it back, so repeating one
    statement would be wrong. Every function so decorated is safe to
    repeat.
    """
    retrying = _RETRY(function)

    @functools.wraps(function)
    def wrapper(context, *args, **kwargs):
        if in_transaction(context):
            return function(context, *args, **kwargs)
        return retrying(context, *args, **kwargs)
    return wrapper


def _fence_stack_query():
    return sa.select(models.StackLock.generation).where(
        models.StackLock.stack_id == sa.bindparam('f_stack_id'),
        models.StackLock.engine_id == sa.bindparam('f_engine_id')
    ).with_for_update(read=True)


def _fence_delete_query():
    return sa.select(models.Snapshot.id).where(
        models.Snapshot.id == sa.bindparam('f_snapshot_id'),
        models.Snapshot.action == states.DELETE,
        models.Snapshot.engine_id == sa.bindparam('f_engine_id')
    ).with_for_update(read=True)


def check_fence(context):
    """Raise OperationFenced unless the context's operation still holds.

    A context handed to an operation's worker carries its ``fence``: the
    stack's lock at a generation, or, for a snapshot delete that holds no
    stack, the snapshot's delete owned by one engine. The row is read with
    a shared lock, so a takeover (which updates it) waits for this
    transaction, and every write after the takeover sees the new holder.

    Read once per fence and transaction: a fence found holding holds
    until the transaction ends (on SQLite, the transaction is the only
    writer), unless the transaction itself moves a lock or a snapshot's
    delete (see _fences_moved), after which each fence is read again.
    """
    fence = getattr(context, 'fence', None)
    if fence is None:
        return
    held = context.session.info.setdefault(_FENCES_HELD, set())
    if fence in held:
        return
    connection = context.session.connection()
    if fence.stack_id is not None:
        holds = connection.execute(
            prepared('fence_stack', _fence_stack_query),
            {'f_stack_id': fence.stack_id,
             'f_engine_id': fence.engine_id}).scalar() == fence.generation
    else:
        holds = connection.execute(
            prepared('fence_delete', _fence_delete_query),
            {'f_snapshot_id': fence.snapshot_id,
             'f_engine_id': fence.engine_id}).first() is not None
    if not holds:
        raise exception.OperationFenced(
            stack_id=fence.stack_id or fence.snapshot_id,
            generation=fence.generation)
    held.add(fence)


# session.info key: the fences found holding in this transaction.
_FENCES_HELD = 'heat_snapshots_fences_held'


def _fences_moved(context):
    """The context's transaction changes what a fence reads (a stack's
    lock, a snapshot's delete owner): the fences found holding in it are
    read again.
    """
    context.session.info.pop(_FENCES_HELD, None)


def fenced_writer(function):
    """A writer that writes only while the context's operation holds."""

    @functools.wraps(function)
    def checked(context, *args, **kwargs):
        check_fence(context)
        return function(context, *args, **kwargs)
    return retry_on_db_error(writer(checked))


def run_in_transaction(context, function):
    """``function()`` in one fenced writer transaction, repeated as a whole
    on a deadlock or a lost connection.

    Writes made by the functions it calls with ``context`` join it.
    """

    return _run_fenced(context, function)


@fenced_writer
def _run_fenced(context, function):
    return function()


@reader.connection
def read_together(context, function):
    """``function()``, its reads with ``context`` on one connection: one
    checkout (and its ping, and its rollback on return) for them all.
    """
    return function()


# --- snapshots ------------------------------------------------------------

@fenced_writer
def snapshot_create(context, values, limit=None):
    """Record a new snapshot.

    :param limit: most snapshots the stack may have, counted in the same
        transaction; the caller holds the stack's lock, so no other
        snapshot of it can be created meanwhile.
    :raises: RequestLimitExceeded.
    """
    values = dict(values)
    values.setdefault('id', uuidutils.generate_uuid())
    if limit is not None:
        count = context.session.scalar(
            sa.select(sa.func.count(models.Snapshot.id)).where(
                models.Snapshot.stack_id == values['stack_id']))
        if count >= limit:
            raise exception.RequestLimitExceeded(
                message='You have reached the maximum snapshots per stack, '
                        '%d. Please delete some snapshots.' % limit)
    snapshot = models.Snapshot(**values)
    context.session.add(snapshot)
    context.session.flush()
    return snapshot


@reader
def snapshot_get(context, snapshot_id):
    """:raises: SnapshotIdNotFound."""
    snapshot = None
    if storable(snapshot_id):
        snapshot = context.session.get(models.Snapshot, snapshot_id)
    if snapshot is None:
        raise exception.SnapshotIdNotFound(snapshot_id=snapshot_id)
    return snapshot


def _kept_after_stack(query):
    """``query`` without the snapshots that outlive their stack: those of
    a policy with keep_after_stack_delete.
    """
    kept = sa.select(models.SnapshotPolicy.id).where(
        models.SnapshotPolicy.keep_after_stack_delete)
    return query.where(sa.or_(models.Snapshot.policy_id.is_(None),
                              models.Snapshot.policy_id.not_in(kept)))


@reader
def snapshot_list_by_stack(context, stack_id, dying_with_stack=False):
    """The stack's snapshots, oldest first.

    :param dying_with_stack: only those a stack delete deletes (not those
        kept by their policy's keep_after_stack_delete).
    """
    query = sa.select(models.Snapshot).where(
        models.Snapshot.stack_id == stack_id).order_by(
        models.Snapshot.created_at, models.Snapshot.id)
    if dying_with_stack:
        query = _kept_after_stack(query)
    return list(context.session.scalars(query))


# What the API shows of a snapshot, its stored data as the JSON text it
# was written as (types.Json writes json.dumps' text): a read passes it
# through, never decoding and encoding it again (formatters.snapshot_json).
SHOWN_COLUMNS = (
    models.Snapshot.id, models.Snapshot.name, models.Snapshot.stack_id,
    models.Snapshot.action, models.Snapshot.status,
    models.Snapshot.status_reason,
    sa.type_coerce(models.Snapshot.data, sa.Text).label('data'),
    models.Snapshot.created_at)
# Built once: SQLAlchemy compiles each once too (its statement cache).
_SHOW = sa.select(*SHOWN_COLUMNS).where(
    models.Snapshot.id == sa.bindparam('id'))
_LIST = sa.select(*SHOWN_COLUMNS).where(
    models.Snapshot.stack_id == sa.bindparam('stack_id')).order_by(
    models.Snapshot.created_at, models.Snapshot.id)


@reader.connection
def snapshot_get_shown(context, snapshot_id):
    """The shown columns of a snapshot; ``data`` is its JSON text.

    A Core statement on the connection: no ORM session for a read of
    plain columns.

    :raises: SnapshotIdNotFound.
    """
    row = None
    if storable(snapshot_id):
        row = context.connection.execute(_SHOW, {'id': snapshot_id}).first()
    if row is None:
        raise exception.SnapshotIdNotFound(snapshot_id=snapshot_id)
    return row


@reader.connection
def snapshot_list_shown(context, stack_id):
    """The shown columns of the stack's snapshots, oldest first."""
    return list(context.connection.execute(_LIST, {'stack_id': stack_id}))


# The columns a snapshot list sorts on (the API's names): a snapshot
# without a name sorts as the empty name.
SNAPSHOT_SORT_KEYS = {'created_at': 'created_at', 'name': 'sort_name',
                      'status': 'status'}


def _snapshot_page(context, where, limit, marker, sort_keys, sort_dir,
                   filters, default_dir):
    """A page of the snapshots matching ``where`` (a list of clauses).

    :param marker: the id of the snapshot after which the page starts.
    :param sort_keys: keys of SNAPSHOT_SORT_KEYS; ``created_at`` and the
        id always come last, so that pages are stable.
    :param sort_dir: 'asc' or 'desc', for every key.
    :param filters: {'status' or 'name': a value or a list of values}.
    :raises: SnapshotIdNotFound for a marker that ``where`` does not
        match; Invalid for a bad sort key or direction.
    """
    unknown = [key for key in sort_keys or () if key not in
               SNAPSHOT_SORT_KEYS]
    if unknown:
        raise exception.Invalid(
            reason='sort key %s is not one of %s' % (
                ', '.join(unknown), ', '.join(SNAPSHOT_SORT_KEYS)))
    if sort_dir not in (None, 'asc', 'desc'):
        raise exception.Invalid(
            reason='sort direction %s is not asc or desc' % sort_dir)
    query = sa.select(models.Snapshot).where(*where)
    for key, values in (filters or {}).items():
        if not isinstance(values, (list, tuple)):
            values = [values]
        query = query.where(getattr(models.Snapshot, key).in_(values))
    keys = [SNAPSHOT_SORT_KEYS[k] for k in sort_keys or ()]
    for tie in ('created_at', 'id'):
        if tie not in keys:
            keys.append(tie)
    marker_row = None
    if marker is not None:
        if storable(marker):
            marker_row = context.session.scalars(
                sa.select(models.Snapshot).where(
                    *where, models.Snapshot.id == marker)).first()
        if marker_row is None:
            raise exception.SnapshotIdNotFound(snapshot_id=marker)
    query = db_utils.paginate_query(query, models.Snapshot, limit, keys,
                                    marker=marker_row,
                                    sort_dir=sort_dir or default_dir)
    return list(context.session.scalars(query))


@reader
def snapshot_list_paged(context, stack_id, limit=None, marker=None,
                        sort_keys=None, sort_dir=None, filters=None):
    """A page of the stack's snapshots, oldest first by default (see
    _snapshot_page).
    """
    return _snapshot_page(context, [models.Snapshot.stack_id == stack_id],
                          limit, marker, sort_keys, sort_dir, filters, 'asc')


@reader
def snapshot_stacks(context):
    """{(stack id, project id)} of every stack that has snapshots (those
    that would go with it).
    """
    query = _kept_after_stack(sa.select(
        models.Snapshot.stack_id, models.Snapshot.project_id).where(
        models.Snapshot.stack_deleted_at.is_(None)).distinct())
    return {tuple(row) for row in context.session.execute(query)}


@retry_on_db_error
@writer
def snapshot_mark_stack_deleted(context, stack_id):
    """Record on the snapshots kept after it that the stack is deleted."""
    context.session.execute(sa.update(models.Snapshot).where(
        models.Snapshot.stack_id == stack_id,
        models.Snapshot.stack_deleted_at.is_(None)).values(
        stack_deleted_at=timeutils.utcnow()))


@reader
def snapshot_list_by_policy(context, policy_id, stack_id=None):
    """The snapshots a policy made (of one stack), oldest first."""
    query = sa.select(models.Snapshot).where(
        models.Snapshot.policy_id == policy_id).order_by(
        models.Snapshot.created_at, models.Snapshot.id)
    if stack_id is not None:
        query = query.where(models.Snapshot.stack_id == stack_id)
    return list(context.session.scalars(query))


@reader
def snapshot_count_by_stack(context, stack_id):
    return context.session.scalar(
        sa.select(sa.func.count(models.Snapshot.id)).where(
            models.Snapshot.stack_id == stack_id))


@reader
def snapshot_list_by_project(context, project_id, limit=None, marker=None,
                             sort_keys=None, sort_dir=None, filters=None):
    """A page of the project's snapshots, of live and deleted stacks,
    newest first by default (see _snapshot_page).
    """
    return _snapshot_page(context,
                          [models.Snapshot.project_id == project_id],
                          limit, marker, sort_keys, sort_dir, filters,
                          'desc')


@reader
def snapshot_list_by_status(context, status, engine_ids=None):
    query = sa.select(models.Snapshot).where(
        models.Snapshot.status == status)
    if engine_ids is not None:
        query = query.where(models.Snapshot.engine_id.in_(engine_ids))
    return list(context.session.scalars(query))


# --- one conditional update, one upsert ---------------------------------

def _matching(model, key, expected=None):
    """The WHERE clauses of the rows of ``model`` whose columns hold the
    values of ``key`` and, when given, of ``expected``.
    """
    return [getattr(model, column) == value for column, value in
            dict(key, **(expected or {})).items()]


# Statements of the hot writes, built once per shape (model and the
# columns it names) with bind parameters, and run with each call's values:
# building an UPDATE or INSERT and computing its cache key took longer
# than running it (a reused statement keeps its cache key).
_PREPARED = {}
# Shapes kept at most (they come from our own call sites: a few dozen).
_PREPARED_MAX = 512


def prepared(key, build):
    """The statement ``build()`` makes, built once for ``key``."""
    statement = _PREPARED.get(key)
    if statement is None:
        statement = build()
        if len(_PREPARED) < _PREPARED_MAX:
            _PREPARED[key] = statement
    return statement


def _where_bound(model, where):
    """WHERE clauses of ``model`` for the columns of ``where`` ({column:
    value}), each bound to the parameter ``w_<column>`` (IS NULL for a
    None value, which binds nothing).
    """
    clauses = []
    for column, value in where.items():
        attribute = getattr(model, column)
        if value is None:
            clauses.append(attribute.is_(None))
        else:
            clauses.append(attribute == sa.bindparam(
                'w_' + column, type_=attribute.type))
    return clauses


def _update_statement(model, where, columns):
    def build():
        return sa.update(model).where(*_where_bound(model, where)).values(
            {column: sa.bindparam('v_' + column,
                                  type_=getattr(model, column).type)
             for column in columns})
    return prepared(('update', model, tuple(
        (column, value is None) for column, value in where.items()),
        columns), build)


# A multi-row UPDATE as one statement: on a database server an
# executemany is a round trip per row (MariaDB through PyMySQL; psycopg2
# counts no rows of one, so each was run alone), the most of a batch of
# walk ends. SQLite, in the process, runs its executemany as cheaply.
_JOINED_UPDATES = ('mysql', 'postgresql')
# The sizes of the joined UPDATEs a call's rows are written in (the rest
# one by one): a statement of each size is compiled once, where a size per
# count of rows recompiled for most batches (0.2 ms per row).
_JOINED_SIZES = (64, 32, 16, 8, 4, 2)


def _joined_chunks(rows):
    """``rows`` in chunks of _JOINED_SIZES, largest first, and of one."""
    start = 0
    for size in _JOINED_SIZES + (1,):
        while len(rows) - start >= size:
            yield rows[start:start + size]
            start += size


def _joined_update_statement(model, where, columns, count, dialect):
    """One UPDATE of ``count`` rows of ``model`` of one shape (as
    ``_update_statement``'s): the rows' keys and values are a derived
    table, a SELECT of bound parameters per row (UNION ALL), that the
    table is joined to on the key (MySQL's multi-table UPDATE, PostgreSQL's
    UPDATE ... FROM). Row ``i``'s parameters are ``_update_statement``'s
    names prefixed ``r<i>_``; its rowcount is the rows of ``model``
    matched.
    """
    keyed = [column for column, value in where.items() if value is not None]

    def build():
        def bound(index, name, column):
            # (PostgreSQL's dialect casts each parameter to its type.)
            return sa.bindparam('r%d_%s' % (index, name),
                                type_=getattr(model, column).type).label(name)

        rows = sa.union_all(*[
            sa.select(*([bound(index, 'w_' + column, column)
                         for column in keyed] +
                        [bound(index, 'v_' + column, column)
                         for column in columns]))
            for index in range(count)]).subquery('rows')
        clauses = [getattr(model, column) == rows.c['w_' + column]
                   for column in keyed]
        clauses.extend(getattr(model, column).is_(None)
                       for column, value in where.items() if value is None)
        return sa.update(model).where(*clauses).values(
            {column: rows.c['v_' + column] for column in columns})
    return prepared(('joined update', model, tuple(
        (column, value is None) for column, value in where.items()),
        columns, count, dialect), build)


def conditional_update(context, model, key, values, expected=None):
    """One UPDATE of the rows of ``model`` that ``key`` names, stamping
    ``updated_at``; with ``expected`` ({column: value}), only while those
    columns still hold those values: an update if unchanged, which another
    writer's change makes find nothing. Inside the caller's transaction.

    :returns: whether a row was updated.
    """
    where = dict(key, **(expected or {}))
    values = dict(values, updated_at=timeutils.utcnow())
    params = {'w_' + column: value for column, value in where.items()
              if value is not None}
    for column, value in values.items():
        params['v_' + column] = value
    statement = _update_statement(model, where, tuple(values))
    return core_execute(context, statement, params).rowcount > 0


def core_execute(context, statement, params=None):
    """Run a Core INSERT, UPDATE or DELETE in the context's transaction.

    On the session's connection, not through the session: no ORM object
    is ever in a session of ours, and the ORM's handling of a DML
    statement (compile state, synchronising the identity map) was a third
    of the time of the walks' many small writes.
    """
    return context.session.connection().execute(statement, params)


@fenced_writer
def _update_row(context, model, key, values):
    return conditional_update(context, model, key, values)


def _column_keys(model):
    """{attribute name: column key} of ``model`` (the parameters of a
    Core INSERT are named by column keys; ours by attributes).
    """
    return prepared(('columns', model), lambda: {
        attribute.key: attribute.columns[0].key
        for attribute in sa.inspect(model).column_attrs})


@fenced_writer
def _insert_row(context, model, key, values):
    columns = _column_keys(model)
    params = {columns[name]: value for name, value in values.items()}
    for name, value in key.items():
        params[columns[name]] = value
    params['created_at'] = timeutils.utcnow()
    core_execute(context, prepared(('insert', model),
                                   lambda: sa.insert(model)), params)


def upsert(context, model, key, values, new=False):
    """Write the row of ``model`` that ``key`` names, creating it if needed.

    Core statements, no ORM object: an UPDATE, then an INSERT when it
    found no row; an INSERT that meets the row a concurrent writer just
    made (DBDuplicateEntry) is followed by the UPDATE. Each statement in a
    transaction of its own, unless the caller holds one.

    :param new: the row is most likely not there yet (its first write):
        insert first. An UPDATE that finds no row takes a gap lock on
        MySQL, and two writers inserting into the same gap then deadlock.
    """
    if not new and _update_row(context, model, key, values):
        return
    try:
        _insert_row(context, model, key, values)
    except db_exc.DBDuplicateEntry:
        _update_row(context, model, key, values)


class RowsNotAsExpected(Exception):
    """A multi-row write found a row missing that it was to update."""


def _shapes(rows, shape_of):
    """{shape: [row, ...]} in the order each shape came first."""
    shapes = {}
    for row in rows:
        shapes.setdefault(shape_of(row), []).append(row)
    return shapes


def _update_shape(context, model, key, columns, params, distinct):
    """UPDATE the rows of one shape (``key``'s, see _update_statement),
    one parameter set each, the cheapest way the database allows.

    :param distinct: no row is named twice (a join would match it once;
        one by one, it is updated twice, in order, as an executemany does).
    :returns: the rows matched.
    """
    dialect = context.session.connection().dialect
    statement = _update_statement(model, key, columns)
    if dialect.name in _JOINED_UPDATES and distinct:
        found = 0
        for chunk in _joined_chunks(params):
            if len(chunk) == 1:
                found += core_execute(context, statement, chunk[0]).rowcount
                continue
            found += core_execute(context, _joined_update_statement(
                model, key, columns, len(chunk), dialect.name), {
                'r%d_%s' % (index, name): value
                for index, row in enumerate(chunk)
                for name, value in row.items()}).rowcount
        return found
    if dialect.supports_sane_multi_rowcount:
        return core_execute(context, statement, params).rowcount
    # (The driver counts no rows of a multi-row UPDATE.)
    return sum(core_execute(context, statement, row).rowcount
               for row in params)


@fenced_writer
def upsert_many(context, model, rows, new=False):
    """Write ``rows`` ((key, values) of rows of ``model``) as ``upsert``
    writes each, with one multi-row statement per shape of row: all
    inserted (``new``) or all updated.

    For a caller that can write each alone with ``upsert`` when this
    fails (group commit): a row already there fails the INSERT
    (DBDuplicateEntry), a row missing fails the UPDATE
    (RowsNotAsExpected).
    """
    now = timeutils.utcnow()
    if new:
        columns = _column_keys(model)
        statement = prepared(('insert', model), lambda: sa.insert(model))
        for same in _shapes(rows, lambda row: (tuple(row[0]),
                                               tuple(row[1]))).values():
            params = []
            for key, values in same:
                row = {columns[name]: value for name, value in
                       values.items()}
                for name, value in key.items():
                    row[columns[name]] = value
                row['created_at'] = now
                params.append(row)
            core_execute(context, statement, params)
        return
    found = 0
    for same in _shapes(rows, lambda row: (
            tuple((column, value is None) for column, value in
                  row[0].items()), tuple(row[1]))).values():
        key, values = same[0]
        params = []
        for row_key, row_values in same:
            row = {'w_' + column: value for column, value in row_key.items()
                   if value is not None}
            for column, value in row_values.items():
                row['v_' + column] = value
            row['v_updated_at'] = now
            params.append(row)
        named = {tuple(row_key.values()) for row_key, _values in same}
        found += _update_shape(context, model, key,
                               tuple(values) + ('updated_at',), params,
                               distinct=len(named) == len(same))
    if found != len(rows):
        raise RowsNotAsExpected('%d of %d %s rows found' % (
            found, len(rows), model.__tablename__))


# The columns of a snapshot that its delete's fence reads.
_DELETE_FENCE = frozenset(('action', 'engine_id'))


@fenced_writer
def snapshot_update(context, snapshot_id, values, expected=None):
    """Update a snapshot; with ``expected`` only if its columns still match.

    :returns: whether a row was updated.
    """
    if _DELETE_FENCE.intersection(values):
        _fences_moved(context)
    return conditional_update(context, models.Snapshot, {'id': snapshot_id},
                              values, expected)


@fenced_writer
def snapshot_claim(context, snapshot_id, values, expected):
    """Take the snapshot for a delete unless a running restore reads it.

    :returns: whether it was claimed (False: it changed meanwhile).
    :raises: SnapshotInUse naming the restore.
    """
    user = context.session.execute(
        sa.select(models.StackLock).where(
            models.StackLock.snapshot_id == snapshot_id,
            models.StackLock.engine_id.is_not(None)).with_for_update(
            read=True)).scalars().first()
    if user is not None:
        snapshot = context.session.get(models.Snapshot, snapshot_id)
        raise exception.SnapshotInUse(
            snapshot_id=snapshot_id, action=user.action,
            stack_name=snapshot.stack_name if snapshot else user.stack_id)
    _fences_moved(context)
    return conditional_update(context, models.Snapshot, {'id': snapshot_id},
                              values, expected)


@fenced_writer
def snapshot_delete(context, snapshot_id, expected=None):
    """Remove the snapshot and its resources' rows.

    :returns: whether it was there (and, with ``expected``, matched).
    """
    query = sa.select(models.Snapshot.id).where(*_matching(
        models.Snapshot, {'id': snapshot_id}, expected))
    if context.session.execute(query.with_for_update()).first() is None:
        return False
    _fences_moved(context)
    context.session.execute(sa.delete(models.ResourceSnapshot).where(
        models.ResourceSnapshot.snapshot_id == snapshot_id))
    context.session.execute(sa.delete(models.OperationResource).where(
        models.OperationResource.snapshot_id == snapshot_id))
    context.session.execute(sa.delete(models.Snapshot).where(
        models.Snapshot.id == snapshot_id))
    return True


# --- resource snapshots -------------------------------------------------

# A walk writes each resource's row several times (started, its data,
# its outcome): one INSERT, then single UPDATEs of the existing row
# (upsert), with Core statements and no ORM objects (reading the row and
# flushing an ORM object was a third of a 1000-resource snapshot's time).

def _resource_path(snapshot_id, resource_name):
    # The key finds the row by the unique index; the path itself rules
    # out a hash collision.
    return {'snapshot_id': snapshot_id,
            'resource_key': models.path_key(resource_name),
            'resource_name': resource_name}


def resource_snapshot_set(context, snapshot_id, resource_name, values,
                          new=False):
    """Write one resource's row of a snapshot, creating it if needed.

    :param new: the row is most likely not there yet (its first write).
    """
    upsert(context, models.ResourceSnapshot,
           _resource_path(snapshot_id, resource_name), values, new=new)


def resource_snapshot_set_many(context, rows, new=False):
    """Write several resources' rows ((snapshot_id, resource_name,
    values)) as ``upsert_many`` writes rows.
    """
    upsert_many(context, models.ResourceSnapshot, [
        (_resource_path(snapshot_id, name), values)
        for snapshot_id, name, values in rows], new=new)


def _resource_snapshot_list_query():
    table = models.ResourceSnapshot.__table__
    return sa.select(*table.columns).where(
        table.c.snapshot_id == sa.bindparam('snapshot_id')).order_by(
        table.c.id)


@reader
def resource_snapshot_list(context, snapshot_id):
    """The resources' rows of a snapshot, in the order they were first
    written: read-only rows, each column by its model attribute's name.

    Rows, not ORM objects: every snapshot's end reads them all for its
    data, and loading a thousand as objects of the session took twice as
    long (30 against 16 ms on MariaDB, 18 against 8 ms on SQLite).
    """
    return list(context.session.connection().execute(
        prepared('resource_snapshot_list', _resource_snapshot_list_query),
        {'snapshot_id': snapshot_id}))


@fenced_writer
def resource_snapshot_fail_in_progress(context, snapshot_id, reason):
    """Fail every row of the snapshot still IN_PROGRESS."""
    conditional_update(context, models.ResourceSnapshot,
                       {'snapshot_id': snapshot_id},
                       {'status': states.FAILED, 'status_reason': reason},
                       expected={'status': states.IN_PROGRESS})


@fenced_writer
def resource_snapshot_delete(context, snapshot_id, resource_name):
    context.session.execute(sa.delete(models.ResourceSnapshot).where(
        *_matching(models.ResourceSnapshot,
                   _resource_path(snapshot_id, resource_name))))


# Names per DELETE ... IN: well under SQLite's limit of bound parameters.
_DELETE_CHUNK = 400


@fenced_writer
def resource_snapshot_delete_many(context, snapshot_id, resource_names):
    """Delete several resources' rows of a snapshot, a statement per
    chunk of names (each found by its key, as by the unique index).
    """
    rows = models.ResourceSnapshot
    names = sorted(set(resource_names))
    for start in range(0, len(names), _DELETE_CHUNK):
        chunk = names[start:start + _DELETE_CHUNK]
        context.session.execute(sa.delete(rows).where(
            rows.snapshot_id == snapshot_id,
            rows.resource_key.in_([models.path_key(n) for n in chunk]),
            rows.resource_name.in_(chunk)))


# --- progress of the last operation on a snapshot ---------------------

def operation_resource_set(context, snapshot_id, resource_name, values,
                           new=False):
    """Write one resource's row of the snapshot's current operation.

    :param new: the row is most likely not there yet (its first write).
    """
    upsert(context, models.OperationResource,
           _resource_path(snapshot_id, resource_name), values, new=new)


def operation_resource_set_many(context, rows, new=False):
    """Write several resources' rows ((snapshot_id, resource_name,
    values)) as ``upsert_many`` writes rows.
    """
    upsert_many(context, models.OperationResource, [
        (_resource_path(snapshot_id, name), values)
        for snapshot_id, name, values in rows], new=new)


@fenced_writer
def operation_resources_reset(context, snapshot_id):
    """Forget the rows of the snapshot's previous operation."""
    context.session.execute(sa.delete(models.OperationResource).where(
        models.OperationResource.snapshot_id == snapshot_id))


@reader
def operation_resource_list(context, snapshot_id):
    query = sa.select(models.OperationResource).where(
        models.OperationResource.snapshot_id == snapshot_id).order_by(
        models.OperationResource.id)
    return list(context.session.scalars(query))


@fenced_writer
def operation_resource_end_in_progress(context, snapshot_id, status,
                                       reason):
    """End every row of the operation still IN_PROGRESS."""
    conditional_update(context, models.OperationResource,
                       {'snapshot_id': snapshot_id},
                       {'status': status, 'status_reason': reason,
                        'finished_at': timeutils.utcnow()},
                       expected={'status': states.IN_PROGRESS})


# --- stack locks --------------------------------------------------------

# A stack's lock row is made by its first operation and kept (empty while
# the stack is free) so that its generation only grows; it goes with the
# stack.

def _lock_update(context, stack_id, where, values):
    table = models.StackLock.__table__
    query = sa.update(table).where(table.c.stack_id == stack_id, *where)
    values = dict(values, updated_at=timeutils.utcnow())
    _fences_moved(context)
    return context.session.execute(query.values(
        generation=table.c.generation + 1, **values)).rowcount > 0


#: What _stack_lock_take answers for a stack without a lock row.
NO_LOCK_ROW = object()


def _lock_generation(context, stack_id):
    return context.session.execute(
        sa.select(models.StackLock.generation).where(
            models.StackLock.stack_id == stack_id)).scalar()


@retry_on_db_error
@writer
def _stack_lock_take(context, stack_id, values):
    """:returns: the new generation; None when another operation holds
    the lock; NO_LOCK_ROW when the stack has none yet.
    """
    # Read before the UPDATE, in its transaction: one where no row matches
    # would take a gap lock on MySQL, and two first operations of
    # different stacks would then deadlock on their inserts.
    if _lock_generation(context, stack_id) is None:
        return NO_LOCK_ROW
    table = models.StackLock.__table__
    if _lock_update(context, stack_id, [table.c.engine_id.is_(None)],
                    values):
        return _lock_generation(context, stack_id)
    return None


@retry_on_db_error
@writer
def _stack_lock_create(context, stack_id, values):
    _fences_moved(context)
    context.session.execute(sa.insert(models.StackLock.__table__).values(
        stack_id=stack_id, generation=1, created_at=timeutils.utcnow(),
        **values))
    return 1


def stack_lock_acquire(context, stack_id, engine_id, action,
                       snapshot_id=None, project_id=None):
    """Take the stack's lock if it is free: one transaction once the
    stack has a lock row (made by its first operation, then kept).

    :returns: the new generation, or None when another operation holds it.
    """
    values = {'engine_id': engine_id, 'action': action,
              'snapshot_id': snapshot_id, 'delete_pending': False,
              'project_id': project_id, 'cancel_requested': False}
    generation = _stack_lock_take(context, stack_id, values)
    if generation is not NO_LOCK_ROW:
        return generation
    try:
        return _stack_lock_create(context, stack_id, values)
    except db_exc.DBDuplicateEntry:
        # Made meanwhile by another first operation.
        generation = _stack_lock_take(context, stack_id, values)
        return None if generation is NO_LOCK_ROW else generation


@retry_on_db_error
@writer
def stack_lock_steal(context, stack_id, engine_id, generation,
                     new_engine_id, action=None, snapshot_id=None):
    """Take over the lock from ``engine_id`` at ``generation``.

    :param action, snapshot_id: of a new operation superseding the one
        that held it (None: the same operation goes on).
    :returns: the new generation, or None when it changed meanwhile.
    """
    table = models.StackLock.__table__
    values = {'engine_id': new_engine_id}
    if action is not None:
        values['action'] = action
        values['snapshot_id'] = snapshot_id
        values['cancel_requested'] = False
    if not _lock_update(context, stack_id,
                        [table.c.engine_id == engine_id,
                         table.c.generation == generation], values):
        return None
    return _lock_generation(context, stack_id)


@retry_on_db_error
@writer
def stack_lock_release(context, stack_id, engine_id, generation,
                       forget=False):
    """Let go of the stack, or hand it to a stack delete that waits.

    :param forget: the stack is gone: remove its lock row.
    :returns: None when the lock was no longer held at ``generation``;
        False when the stack is free; the new generation when a waiting
        stack delete now holds the stack (for the same engine).
    """
    table = models.StackLock.__table__
    held = [table.c.engine_id == engine_id,
            table.c.generation == generation]
    _fences_moved(context)
    if forget:
        result = context.session.execute(
            sa.delete(table).where(table.c.stack_id == stack_id, *held))
        return False if result.rowcount else None
    # Freed first: no stack delete waits for the stack at most operations'
    # ends, which then run this one statement.
    query = sa.update(table).where(table.c.stack_id == stack_id,
                                   table.c.delete_pending.is_(False), *held)
    if context.session.execute(query.values(
            engine_id=None, action=None, snapshot_id=None, trust_id=None,
            cancel_requested=False,
            updated_at=timeutils.utcnow())).rowcount:
        return False
    if _lock_update(context, stack_id, held + [table.c.delete_pending],
                    {'action': states.DELETE, 'snapshot_id': None,
                     'delete_pending': False, 'trust_id': None,
                     'cancel_requested': False}):
        return _lock_generation(context, stack_id)
    return None


@fenced_writer
def stack_lock_set_trust(context, stack_id, engine_id, generation,
                         trust_id):
    """Record the trust the operation holding the stack works on.

    :returns: whether the lock is still held at ``generation``.
    """
    table = models.StackLock.__table__
    return context.session.execute(sa.update(table).where(
        table.c.stack_id == stack_id, table.c.engine_id == engine_id,
        table.c.generation == generation).values(
        trust_id=trust_id)).rowcount > 0


@retry_on_db_error
@writer
def stack_lock_request_delete(context, stack_id):
    """Ask the holder of the stack to delete it when it lets go.

    :returns: the holding lock row (with delete_pending set), or None when
        the stack is free.
    """
    table = models.StackLock.__table__
    result = context.session.execute(
        sa.update(table).where(table.c.stack_id == stack_id,
                               table.c.engine_id.is_not(None)).values(
            delete_pending=True))
    if result.rowcount == 0:
        return None
    return context.session.get(models.StackLock, stack_id)


@retry_on_db_error
@writer
def stack_lock_request_cancel(context, stack_id, engine_id, generation):
    """Ask the operation holding the stack at ``generation`` to stop.

    :returns: whether it still held the stack (and is now asked).
    """
    table = models.StackLock.__table__
    return context.session.execute(sa.update(table).where(
        table.c.stack_id == stack_id, table.c.engine_id == engine_id,
        table.c.generation == generation).values(
        cancel_requested=True)).rowcount > 0


@reader
def stack_lock_cancel_requested(context, stack_id, generation):
    """Whether the operation holding the stack at ``generation`` was
    asked to stop (a hold that moved on is not).
    """
    return bool(context.session.execute(
        sa.select(models.StackLock.cancel_requested).where(
            models.StackLock.stack_id == stack_id,
            models.StackLock.generation == generation)).scalar())


@reader
def stack_lock_get(context, stack_id):
    if not storable(stack_id):
        return None
    return context.session.get(models.StackLock, stack_id)


@reader
def stack_lock_list(context, engine_ids=None):
    """The locks held, by any engine or by ``engine_ids``."""
    query = sa.select(models.StackLock).where(
        models.StackLock.engine_id.is_not(None))
    if engine_ids is not None:
        query = query.where(models.StackLock.engine_id.in_(engine_ids))
    return list(context.session.scalars(query))


# --- engines ------------------------------------------------------------

def _db_utcnow(session):
    """The database server's current UTC time, naive."""
    dialect = session.get_bind().dialect.name
    if dialect == 'mysql':
        query = sa.text('SELECT UTC_TIMESTAMP(6)')
    elif dialect == 'postgresql':
        query = sa.text("SELECT now() AT TIME ZONE 'utc'")
    else:
        # An SQLite file is on this host: its clock is this host's.
        return timeutils.utcnow()
    return session.execute(query).scalar_one().replace(tzinfo=None)


@reader
def db_utcnow(context):
    """The database server's current UTC time, as a naive datetime.

    Liveness is judged on this one clock, never on an engine host's.
    """
    return _db_utcnow(context.session)


@writer
def engine_heartbeat(context, engine_id, host, pid):
    """Record that the engine is alive, at the database's time."""
    now = _db_utcnow(context.session)
    engine = context.session.get(models.Engine, engine_id)
    if engine is None:
        context.session.add(models.Engine(id=engine_id, host=host, pid=pid,
                                          heartbeat_at=now))
    else:
        engine.heartbeat_at = now


@reader
def engine_list(context):
    return list(context.session.scalars(sa.select(models.Engine)))


@reader
def engine_list_alive(context, down_time):
    """Ids of the engines that beat less than ``down_time`` s ago.

    Both sides of the comparison are the database's clock.
    """
    now = _db_utcnow(context.session)
    query = sa.select(models.Engine.id, models.Engine.heartbeat_at)
    return {engine_id for engine_id, heartbeat_at in
            context.session.execute(query)
            if timeutils.delta_seconds(heartbeat_at, now) < down_time}


@retry_on_db_error
@writer
def engine_purge_dead(context, down_time):
    """Forget the engines that beat ``down_time`` s ago or more.

    Conditional on the heartbeat, by the database's clock, so an engine
    that beats meanwhile is kept.
    """
    cutoff = _db_utcnow(context.session) - datetime.timedelta(
        seconds=down_time)
    context.session.execute(sa.delete(models.Engine).where(
        models.Engine.heartbeat_at <= cutoff))


@writer
def engine_delete(context, engine_id):
    context.session.execute(sa.delete(models.Engine).where(
        models.Engine.id == engine_id))


# --- what Heat would show on a stack we operated on -------------------

@fenced_writer
def stack_state_set(context, stack_id, values):
    """Record the stack's last snapshot or restore (create or update)."""
    row = context.session.get(models.StackState, stack_id)
    if row is None:
        row = models.StackState(stack_id=stack_id)
        context.session.add(row)
    for key, value in values.items():
        setattr(row, key, value)
    context.session.flush()
    return row


@fenced_writer
def stack_state_ending(context, stack_id, values, last_event_id):
    """Note Heat's own state of the stack as our operation ends: ``values``
    on its row, and Heat's newest event then as the place of the
    operation's events so far (and of those to come) among Heat's.
    """
    row = context.session.get(models.StackState, stack_id)
    if row is None:
        return None
    for key, value in values.items():
        setattr(row, key, value)
    row.heat_last_event_id = last_event_id
    query = sa.update(models.StackEvent).where(
        models.StackEvent.stack_id == stack_id,
        models.StackEvent.heat_event_id.is_(None),
        models.StackEvent.heat_after_event_id.is_(None))
    if row.started_at is not None:
        query = query.where(models.StackEvent.created_at >= row.started_at)
    context.session.execute(query.values(heat_after_event_id=last_event_id),
                            execution_options={'synchronize_session': False})
    context.session.flush()
    return row


@writer
def stack_state_set_if(context, stack_id, started_at, values):
    """``values`` on the stack's row if its operation is still the one
    started at ``started_at`` (nothing when another operation of ours
    took the stack meanwhile); the number of rows changed.
    """
    query = sa.update(models.StackState).where(
        models.StackState.stack_id == stack_id,
        models.StackState.started_at == started_at)
    return context.session.execute(
        query.values(**values),
        execution_options={'synchronize_session': False}).rowcount


@reader
def stack_state_get_all(context, stack_ids):
    """{stack id: its last snapshot or restore} for those we operated on:
    one read by primary key, for the heat-api filter.
    """
    stack_ids = [s for s in stack_ids if isinstance(s, str) and
                 storable(s)]
    if not stack_ids:
        return {}
    query = sa.select(models.StackState).where(
        models.StackState.stack_id.in_(stack_ids))
    return {row.stack_id: row for row in context.session.scalars(query)}


@fenced_writer
def stack_event_add(context, stack_id, values):
    """Record an event Heat would have recorded for our operation."""
    row = models.StackEvent(stack_id=stack_id,
                            uuid=uuidutils.generate_uuid(), **values)
    context.session.add(row)
    context.session.flush()
    return row


@reader
def stack_event_list(context, stack_id):
    """Our events of the stack, oldest first."""
    query = sa.select(models.StackEvent).where(
        models.StackEvent.stack_id == stack_id).order_by(
        models.StackEvent.created_at, models.StackEvent.id)
    return list(context.session.scalars(query))


# --- the installation id -------------------------------------------------

_INSTALLATION_ROW = 1


@reader
def _installation_get(context):
    row = context.session.get(models.Installation, _INSTALLATION_ROW)
    return row.installation_id if row is not None else None


@retry_on_db_error
@writer
def _installation_create(context):
    context.session.add(models.Installation(
        id=_INSTALLATION_ROW, installation_id=uuidutils.generate_uuid()))


def installation_id(context):
    """This deployment's id: a random UUID made on first use.

    Two engines asking at once for the first time agree: the one row has
    a fixed key, so the second insert fails and reads the first's.
    """
    found = _installation_get(context)
    if found is None:
        try:
            _installation_create(context)
        except db_exc.DBDuplicateEntry:
            pass
        found = _installation_get(context)
    return found


# --- the artifact ledger --------------------------------------------------

@fenced_writer
def ledger_create(context, values):
    """Record an artifact about to be asked of the cloud (PENDING).

    Fenced like every write of the operation: work that lost its stack
    asks for nothing.
    """
    values = dict(values)
    values.setdefault('id', uuidutils.generate_uuid())
    values.setdefault('state', models.LEDGER_PENDING)
    # The database's clock, as the reconciler's minimum age is judged on.
    values.setdefault('created_at', _db_utcnow(context.session))
    entry = models.LedgerEntry(**values)
    context.session.add(entry)
    context.session.flush()
    return entry


@fenced_writer
def ledger_set_artifact_id(context, entry_id, artifact_id):
    """The cloud's id of an entry's artifact, once it answered."""
    table = models.LedgerEntry.__table__
    context.session.execute(sa.update(table).where(
        table.c.id == entry_id,
        table.c.state == models.LEDGER_PENDING).values(
        artifact_id=artifact_id, state=models.LEDGER_CREATED,
        updated_at=timeutils.utcnow()))


@fenced_writer
def ledger_mark_deleted(context, entry_id):
    """The entry's artifact is proven gone (or was never made)."""
    table = models.LedgerEntry.__table__
    now = timeutils.utcnow()
    context.session.execute(sa.update(table).where(
        table.c.id == entry_id).values(
        state=models.LEDGER_DELETED, deleted_at=now, updated_at=now))


@reader
def ledger_get(context, entry_id):
    if not storable(entry_id):
        return None
    return context.session.get(models.LedgerEntry, entry_id)


@reader
def ledger_find_artifact(context, plugin, project_id, artifact_id):
    """The live entry of a cloud artifact in its project, or None."""
    if not storable(plugin, project_id, artifact_id):
        return None
    query = sa.select(models.LedgerEntry).where(
        models.LedgerEntry.plugin == plugin,
        models.LedgerEntry.project_id == project_id,
        models.LedgerEntry.artifact_id == artifact_id,
        models.LedgerEntry.state != models.LEDGER_DELETED)
    return context.session.scalars(query).first()


@reader
def ledger_list_live(context, min_age=None, snapshot_id=None):
    """Entries whose artifact is not proven gone, oldest first.

    :param min_age: only those recorded at least this many seconds ago,
        by the database's clock.
    """
    query = sa.select(models.LedgerEntry).where(
        models.LedgerEntry.state != models.LEDGER_DELETED).order_by(
        models.LedgerEntry.created_at, models.LedgerEntry.id)
    if min_age is not None:
        cutoff = _db_utcnow(context.session) - datetime.timedelta(
            seconds=min_age)
        query = query.where(models.LedgerEntry.created_at <= cutoff)
    if snapshot_id is not None:
        query = query.where(models.LedgerEntry.snapshot_id == snapshot_id)
    return list(context.session.scalars(query))


# --- snapshot policies and their runs ------------------------------------

@reader
def policy_get(context, policy_id, project_id=None):
    """:raises: PolicyNotFound (also when of another project)."""
    policy = None
    if storable(policy_id):
        policy = context.session.get(models.SnapshotPolicy, policy_id)
    if policy is None or (project_id is not None and
                          policy.project_id != project_id):
        raise exception.PolicyNotFound(policy_id)
    return policy


@reader
def policy_list(context, project_id=None):
    """The project's policies (every project's: None), oldest first."""
    query = sa.select(models.SnapshotPolicy).order_by(
        models.SnapshotPolicy.created_at, models.SnapshotPolicy.id)
    if project_id is not None:
        query = query.where(models.SnapshotPolicy.project_id == project_id)
    return list(context.session.scalars(query))


@retry_on_db_error
@writer
def policy_create(context, values, limit=None):
    """Record a new policy.

    :param limit: most policies the project may have, counted in the same
        transaction.
    :raises: RequestLimitExceeded.
    """
    values = dict(values)
    values.setdefault('id', uuidutils.generate_uuid())
    if limit is not None:
        count = context.session.scalar(
            sa.select(sa.func.count(models.SnapshotPolicy.id)).where(
                models.SnapshotPolicy.project_id == values['project_id']))
        if count >= limit:
            raise exception.RequestLimitExceeded(
                message='You have reached the maximum snapshot policies '
                        'per project, %d. Please delete some policies.'
                        % limit)
    policy = models.SnapshotPolicy(**values)
    context.session.add(policy)
    context.session.flush()
    return policy


@retry_on_db_error
@writer
def policy_update(context, policy_id, values):
    """:raises: PolicyNotFound."""
    if not conditional_update(context, models.SnapshotPolicy,
                              {'id': policy_id}, values):
        raise exception.PolicyNotFound(policy_id)
    return context.session.get(models.SnapshotPolicy, policy_id)


@retry_on_db_error
@writer
def policy_delete(context, policy_id):
    """Remove the policy and its runs; its snapshots stay (as manual).

    :returns: whether it was there.
    """
    context.session.execute(sa.delete(models.PolicyRun).where(
        models.PolicyRun.policy_id == policy_id))
    return context.session.execute(sa.delete(models.SnapshotPolicy).where(
        models.SnapshotPolicy.id == policy_id)).rowcount > 0


@reader
def policy_list_due(context, now):
    """The enabled policies whose next scheduled time has come."""
    query = sa.select(models.SnapshotPolicy).where(
        models.SnapshotPolicy.enabled,
        models.SnapshotPolicy.next_due <= now).order_by(
        models.SnapshotPolicy.next_due)
    return list(context.session.scalars(query))


@retry_on_db_error
@writer
def policy_claim_run(context, policy, scheduled_at, next_due, values):
    """Claim the policy's run of ``scheduled_at`` and record it.

    One conditional UPDATE moves the policy's ``last_scheduled`` from the
    value the caller read to ``scheduled_at``; of the engines that read
    the same value, only one updates a row. The run is inserted in the
    same transaction (its (policy, scheduled time) is unique as well).

    :returns: the run, or None when another engine claimed it (or the
        policy changed meanwhile).
    """
    claimed = conditional_update(
        context, models.SnapshotPolicy, {'id': policy.id},
        {'last_scheduled': scheduled_at, 'next_due': next_due},
        expected={'last_scheduled': policy.last_scheduled, 'enabled': True})
    if not claimed:
        return None
    run = models.PolicyRun(id=uuidutils.generate_uuid(),
                           policy_id=policy.id,
                           project_id=policy.project_id,
                           scheduled_at=scheduled_at, **values)
    context.session.add(run)
    context.session.flush()
    return run


@retry_on_db_error
@writer
def run_create(context, values):
    values = dict(values)
    values.setdefault('id', uuidutils.generate_uuid())
    run = models.PolicyRun(**values)
    context.session.add(run)
    context.session.flush()
    return run


@retry_on_db_error
@writer
def run_update(context, run_id, values, expected=None):
    """:returns: whether the run was updated."""
    return conditional_update(context, models.PolicyRun, {'id': run_id},
                              values, expected)


@reader
def run_get(context, run_id):
    return context.session.get(models.PolicyRun, run_id) \
        if storable(run_id) else None


@reader
def run_list(context, policy_id, limit=None):
    """The policy's runs, newest first."""
    query = sa.select(models.PolicyRun).where(
        models.PolicyRun.policy_id == policy_id).order_by(
        models.PolicyRun.created_at.desc(), models.PolicyRun.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list(context.session.scalars(query))


@reader
def run_list_in_progress(context):
    query = sa.select(models.PolicyRun).where(
        models.PolicyRun.status == states.IN_PROGRESS)
    return list(context.session.scalars(query))
