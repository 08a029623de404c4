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

"""SQLAlchemy models.

Every table name starts with ``hs_`` so the schema can live in Heat's own
database next to Heat's tables.
"""

import hashlib

from oslo_db.sqlalchemy import models
from oslo_utils import timeutils
import sqlalchemy as sa
from sqlalchemy import orm

from heat_snapshots.db import types

TABLE_PREFIX = 'hs_'


class Base(orm.DeclarativeBase):
    pass


def path_key(path):
    """The fixed-size key of a resource path, for unique indexes.

    A path of nested resources has no length bound in Heat; indexes on
    MySQL and PostgreSQL have one, so they hold this hash instead.
    """
    return hashlib.sha256(path.encode('utf-8')).hexdigest()


def _path_key_default(context):
    return path_key(context.get_current_parameters()['resource_name'])


class HasTimestamps(models.ModelBase):
    """Created and updated times, in UTC, without tzinfo."""

    created_at = sa.Column(sa.DateTime, default=timeutils.utcnow,
                           nullable=False)
    updated_at = sa.Column(sa.DateTime, onupdate=timeutils.utcnow)


class Snapshot(HasTimestamps, Base):
    __tablename__ = TABLE_PREFIX + 'snapshots'
    __table_args__ = (
        sa.Index('hs_snapshots_stack_id_created_at_idx',
                 'stack_id', 'created_at'),
        sa.Index('hs_snapshots_project_id_idx', 'project_id'),
        sa.Index('hs_snapshots_status_idx', 'status'),
        sa.Index('hs_snapshots_policy_id_stack_id_idx',
                 'policy_id', 'stack_id'),
    )

    id = sa.Column(sa.String(36), primary_key=True)
    name = sa.Column(sa.String(255))
    stack_id = sa.Column(sa.String(36), nullable=False)
    stack_name = sa.Column(sa.String(255), nullable=False)
    project_id = sa.Column(sa.String(64), nullable=False)
    action = sa.Column(sa.String(32), nullable=False)
    status = sa.Column(sa.String(32), nullable=False)
    status_reason = sa.Column(sa.Text)
    data = sa.Column(types.Json)
    engine_id = sa.Column(sa.String(255))
    # The Keystone trust of the snapshot's own delete (common/trusts.py).
    trust_id = sa.Column(sa.String(64))
    # What a list sorted by name sorts on: a snapshot without a name
    # sorts as the empty name, on every database (NULLs sort first on
    # some, last on others, and cannot be compared with a page marker).
    sort_name = orm.column_property(sa.func.coalesce(name, ''))

    # The snapshot policy that made it (None: a user's snapshot).
    policy_id = sa.Column(sa.String(36))
    # When its stack was deleted: kept by a policy's
    # keep_after_stack_delete (None while the stack lives).
    stack_deleted_at = sa.Column(sa.DateTime)

    resources = orm.relationship(
        'ResourceSnapshot', back_populates='snapshot',
        cascade='all, delete-orphan', passive_deletes=True,
        order_by='ResourceSnapshot.id')


class ResourceSnapshot(HasTimestamps, Base):
    """One resource's part of a snapshot, written as soon as it exists."""

    __tablename__ = TABLE_PREFIX + 'resource_snapshots'
    __table_args__ = (
        sa.UniqueConstraint('snapshot_id', 'resource_key',
                            name='hs_resource_snapshots_uniq_key'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    snapshot_id = sa.Column(
        sa.String(36),
        sa.ForeignKey(TABLE_PREFIX + 'snapshots.id', ondelete='CASCADE',
                      name='hs_resource_snapshots_snapshot_id_fkey'),
        nullable=False)
    # The path from the top stack (``group/0/server``): as long as Heat's
    # nesting makes it.
    resource_name = sa.Column(sa.Text, nullable=False)
    resource_key = sa.Column(sa.String(64), nullable=False,
                             default=_path_key_default)
    resource_type = sa.Column(sa.String(255), nullable=False)
    physical_resource_id = sa.Column(sa.String(255))
    action = sa.Column(sa.String(32), nullable=False)
    status = sa.Column(sa.String(32), nullable=False)
    status_reason = sa.Column(sa.Text)
    data = sa.Column(types.Json)

    snapshot = orm.relationship('Snapshot', back_populates='resources')


class OperationResource(HasTimestamps, Base):
    """One resource of the last operation run on a snapshot (its snapshot,
    a restore to it, its delete): written by the walk as the resource
    starts and ends, shown by ``.../snapshots/{id}/resources``.
    """

    __tablename__ = TABLE_PREFIX + 'operation_resources'
    __table_args__ = (
        sa.UniqueConstraint('snapshot_id', 'resource_key',
                            name='hs_operation_resources_uniq_key'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    snapshot_id = sa.Column(
        sa.String(36),
        sa.ForeignKey(TABLE_PREFIX + 'snapshots.id', ondelete='CASCADE',
                      name='hs_operation_resources_snapshot_id_fkey'),
        nullable=False)
    # The path from the top stack, as in ResourceSnapshot.
    resource_name = sa.Column(sa.Text, nullable=False)
    resource_key = sa.Column(sa.String(64), nullable=False,
                             default=_path_key_default)
    resource_type = sa.Column(sa.String(255))
    # SNAPSHOT, RESTORE or DELETE_SNAPSHOT.
    action = sa.Column(sa.String(32), nullable=False)
    status = sa.Column(sa.String(32), nullable=False)
    status_reason = sa.Column(sa.Text)
    # The id of what the resource's plugin made (a backup, an image).
    artifact_id = sa.Column(sa.String(255))
    started_at = sa.Column(sa.DateTime)
    finished_at = sa.Column(sa.DateTime)


class Installation(HasTimestamps, Base):
    """This deployment's id, made by the first engine that needs it.

    Marks every artifact made in the cloud, so that a second deployment
    on the same cloud (staging beside production) never takes another's
    artifacts for its own. It lives in the database, not in the
    configuration, so copying a configuration file never shares it.
    """

    __tablename__ = TABLE_PREFIX + 'installation'

    # One row: this fixed key.
    id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    installation_id = sa.Column(sa.String(36), nullable=False)


# A ledger entry's states: asked of the cloud (its id not known yet),
# made (the cloud's id recorded), proven gone.
LEDGER_PENDING = 'PENDING'
LEDGER_CREATED = 'CREATED'
LEDGER_DELETED = 'DELETED'


class LedgerEntry(HasTimestamps, Base):
    """An artifact asked of the cloud, recorded before it is asked for.

    The reconciler and every delete act only on artifacts with an entry,
    found in the entry's project by the entry's exact name or cloud id and
    carrying its markers (the installation id and the snapshot id).
    """

    __tablename__ = TABLE_PREFIX + 'artifact_ledger'
    __table_args__ = (
        sa.UniqueConstraint('name', name='hs_artifact_ledger_uniq_name'),
        sa.Index('hs_artifact_ledger_snapshot_id_idx', 'snapshot_id'),
        sa.Index('hs_artifact_ledger_state_created_at_idx',
                 'state', 'created_at'),
        sa.Index('hs_artifact_ledger_artifact_idx', 'plugin',
                 'project_id', 'artifact_id'),
    )

    id = sa.Column(sa.String(36), primary_key=True)
    # The resource type whose plugin made it.
    plugin = sa.Column(sa.String(255), nullable=False)
    project_id = sa.Column(sa.String(64), nullable=False)
    # The artifact's name in the cloud, unique to the request.
    name = sa.Column(sa.String(255), nullable=False)
    snapshot_id = sa.Column(sa.String(36), nullable=False)
    resource_name = sa.Column(sa.Text, nullable=False)
    installation_id = sa.Column(sa.String(36), nullable=False)
    # The cloud's id, once it answered.
    artifact_id = sa.Column(sa.String(255))
    state = sa.Column(sa.String(16), nullable=False)
    deleted_at = sa.Column(sa.DateTime)


class StackLock(HasTimestamps, Base):
    """Keeps two operations off one stack; names the engine holding it.

    The row stays when the stack is free (``engine_id`` empty) so that its
    ``generation`` only ever grows: each acquisition takes the next one,
    and every write of the operation is made only while it still holds.
    """

    __tablename__ = TABLE_PREFIX + 'stack_locks'
    __table_args__ = (
        sa.Index('hs_stack_locks_engine_id_idx', 'engine_id'),
        sa.Index('hs_stack_locks_snapshot_id_idx', 'snapshot_id'),
    )

    stack_id = sa.Column(sa.String(36), primary_key=True)
    engine_id = sa.Column(sa.String(36))
    action = sa.Column(sa.String(32))
    generation = sa.Column(sa.BigInteger, nullable=False, default=0,
                           server_default='0')
    # The stack's project, in which recovery takes the work over.
    project_id = sa.Column(sa.String(64))
    # The snapshot the operation reads or writes (a restore's source).
    snapshot_id = sa.Column(sa.String(36))
    # A stack DELETE came while the stack was busy: run it on release.
    delete_pending = sa.Column(sa.Boolean, nullable=False, default=False,
                               server_default=sa.false())
    # The Keystone trust the holding operation works on.
    trust_id = sa.Column(sa.String(64))
    # A user asked the holding snapshot or restore to stop; its walk, on
    # whichever engine, reads this between resources.
    cancel_requested = sa.Column(sa.Boolean, nullable=False, default=False,
                                 server_default=sa.false())


class Engine(HasTimestamps, Base):
    """A running engine and the last time it said it was alive."""

    __tablename__ = TABLE_PREFIX + 'engines'

    id = sa.Column(sa.String(36), primary_key=True)
    host = sa.Column(sa.String(255), nullable=False)
    pid = sa.Column(sa.Integer)
    heartbeat_at = sa.Column(sa.DateTime, nullable=False)


class StackState(HasTimestamps, Base):
    """The last snapshot or restore of a stack of another service (Heat).

    What Heat itself would show on the stack while and after the
    operation: the heat-api filter shows it in place of Heat's own status
    until the stack's next action in Heat (``heat_updated_time`` no longer
    Heat's ``updated_time``).
    """

    __tablename__ = TABLE_PREFIX + 'stack_states'

    stack_id = sa.Column(sa.String(36), primary_key=True)
    stack_name = sa.Column(sa.String(255))
    project_id = sa.Column(sa.String(64))
    action = sa.Column(sa.String(32), nullable=False)
    status = sa.Column(sa.String(32), nullable=False)
    status_reason = sa.Column(sa.Text)
    # The snapshot the operation made (SNAPSHOT) or read (RESTORE).
    snapshot_id = sa.Column(sa.String(36))
    # The stack's last snapshot: its resources show SNAPSHOT_* until Heat
    # changes them.
    last_snapshot_id = sa.Column(sa.String(36))
    # Heat's updated_time and stack_status the operation belongs to: as
    # they were when a snapshot started; after Heat accepted a restore's
    # update (None until then).
    heat_updated_time = sa.Column(sa.String(64))
    heat_status = sa.Column(sa.String(64))
    # The id of Heat's "Stack UPDATE started" event of a restore's update:
    # Heat's times have whole seconds, this tells two updates apart.
    heat_event_id = sa.Column(sa.String(36))
    # Heat's own stack_status and updated_time as our operation ended:
    # any other state Heat shows is its next action (its times have whole
    # seconds: an action in the same second keeps updated_time).
    heat_end_status = sa.Column(sa.String(64))
    heat_end_updated_time = sa.Column(sa.String(64))
    # JSON {resource name: [status, time, physical id]} of Heat's top-level
    # resources as our last snapshot ended: a resource shows our
    # SNAPSHOT_* while Heat shows it so.
    heat_resources = sa.Column(sa.Text)
    # Heat's newest event of the stack as our operation ended: our events
    # of it come after that one in Heat's order.
    heat_last_event_id = sa.Column(sa.String(36))
    started_at = sa.Column(sa.DateTime)
    ended_at = sa.Column(sa.DateTime)


class StackEvent(HasTimestamps, Base):
    """An event Heat would have recorded for our snapshot or restore of a
    stack of another service (Heat), shown by the heat-api filter among
    Heat's own.

    A row with ``heat_event_id`` restates that event of Heat's (the stack
    update of a restore, which Heat records as UPDATE) instead of adding
    one.
    """

    __tablename__ = TABLE_PREFIX + 'stack_events'
    __table_args__ = (
        sa.UniqueConstraint('uuid', name='hs_stack_events_uniq_uuid'),
        sa.Index('hs_stack_events_stack_id_created_at_idx',
                 'stack_id', 'created_at'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    uuid = sa.Column(sa.String(36), nullable=False)
    stack_id = sa.Column(sa.String(36), nullable=False)
    resource_name = sa.Column(sa.String(255), nullable=False)
    physical_resource_id = sa.Column(sa.String(255))
    resource_type = sa.Column(sa.String(255))
    resource_action = sa.Column(sa.String(32), nullable=False)
    resource_status = sa.Column(sa.String(32), nullable=False)
    resource_status_reason = sa.Column(sa.Text)
    heat_event_id = sa.Column(sa.String(36))
    # Heat's newest event when the operation ended: this one comes after
    # it (None: placed by time).
    heat_after_event_id = sa.Column(sa.String(36))


class SnapshotPolicy(HasTimestamps, Base):
    """A project's schedule and retention of snapshots of its stacks.

    ``last_scheduled`` is the scheduled time of the last run claimed (or
    when the schedule last changed); ``next_due`` the next scheduled time
    after it. An engine claims a due run by moving both with one
    conditional UPDATE on the old ``last_scheduled``: one engine wins.
    """

    __tablename__ = TABLE_PREFIX + 'snapshot_policies'
    __table_args__ = (
        sa.Index('hs_snapshot_policies_project_id_idx', 'project_id'),
        sa.Index('hs_snapshot_policies_enabled_next_due_idx',
                 'enabled', 'next_due'),
    )

    id = sa.Column(sa.String(36), primary_key=True)
    project_id = sa.Column(sa.String(64), nullable=False)
    user_id = sa.Column(sa.String(64))
    name = sa.Column(sa.String(255), nullable=False)
    # {"ids": [...]} or {"tags": [...]}
    stacks = sa.Column(types.Json, nullable=False)
    cron = sa.Column(sa.String(255), nullable=False)
    timezone = sa.Column(sa.String(64), nullable=False)
    retention = sa.Column(types.Json, nullable=False)
    keep_after_stack_delete = sa.Column(sa.Boolean, nullable=False,
                                        default=False,
                                        server_default=sa.false())
    enabled = sa.Column(sa.Boolean, nullable=False, default=True,
                        server_default=sa.true())
    last_scheduled = sa.Column(sa.DateTime, nullable=False)
    next_due = sa.Column(sa.DateTime)


class PolicyRun(HasTimestamps, Base):
    """One run of a snapshot policy: scheduled (claimed once) or asked for.
    """

    __tablename__ = TABLE_PREFIX + 'policy_runs'
    __table_args__ = (
        # A scheduled time is run once, whichever engine claims it.
        sa.UniqueConstraint('policy_id', 'scheduled_at',
                            name='hs_policy_runs_uniq_scheduled'),
        sa.Index('hs_policy_runs_policy_id_created_at_idx',
                 'policy_id', 'created_at'),
        sa.Index('hs_policy_runs_status_idx', 'status'),
    )

    id = sa.Column(sa.String(36), primary_key=True)
    policy_id = sa.Column(sa.String(36), nullable=False)
    project_id = sa.Column(sa.String(64), nullable=False)
    # The schedule's time for a scheduled run; None for a run asked for.
    scheduled_at = sa.Column(sa.DateTime)
    late = sa.Column(sa.Boolean, nullable=False, default=False,
                     server_default=sa.false())
    status = sa.Column(sa.String(32), nullable=False)
    reason = sa.Column(sa.Text)
    engine_id = sa.Column(sa.String(36))
    stacks = sa.Column(types.Json)
    snapshots = sa.Column(types.Json)
    pruned = sa.Column(types.Json)
    skipped = sa.Column(types.Json)
    failed = sa.Column(types.Json)
    ended_at = sa.Column(sa.DateTime)
