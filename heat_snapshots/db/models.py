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

from oslo_db.sqlalchemy import models
from oslo_utils import timeutils
import sqlalchemy as sa
from sqlalchemy import orm

from heat_snapshots.db import types

TABLE_PREFIX = 'hs_'


class Base(orm.DeclarativeBase):
    pass


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

    resources = orm.relationship(
        'ResourceSnapshot', back_populates='snapshot',
        cascade='all, delete-orphan', passive_deletes=True,
        order_by='ResourceSnapshot.id')


class ResourceSnapshot(HasTimestamps, Base):
    """One resource's part of a snapshot, written as soon as it exists."""

    __tablename__ = TABLE_PREFIX + 'resource_snapshots'
    __table_args__ = (
        sa.UniqueConstraint('snapshot_id', 'resource_name',
                            name='hs_resource_snapshots_uniq_name'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    snapshot_id = sa.Column(
        sa.String(36),
        sa.ForeignKey(TABLE_PREFIX + 'snapshots.id', ondelete='CASCADE',
                      name='hs_resource_snapshots_snapshot_id_fkey'),
        nullable=False)
    resource_name = sa.Column(sa.String(255), nullable=False)
    resource_type = sa.Column(sa.String(255), nullable=False)
    physical_resource_id = sa.Column(sa.String(255))
    action = sa.Column(sa.String(32), nullable=False)
    status = sa.Column(sa.String(32), nullable=False)
    status_reason = sa.Column(sa.Text)
    data = sa.Column(types.Json)

    snapshot = orm.relationship('Snapshot', back_populates='resources')


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


class Engine(HasTimestamps, Base):
    """A running engine and the last time it said it was alive."""

    __tablename__ = TABLE_PREFIX + 'engines'

    id = sa.Column(sa.String(36), primary_key=True)
    host = sa.Column(sa.String(255), nullable=False)
    pid = sa.Column(sa.Integer)
    heartbeat_at = sa.Column(sa.DateTime, nullable=False)
