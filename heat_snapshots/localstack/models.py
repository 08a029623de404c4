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

"""The tables of the embedded stack store.

They share the schema's declarative base, so one alembic chain (in
``heat_snapshots/db/alembic``) creates them with the snapshot tables.
"""

import sqlalchemy as sa
from sqlalchemy import orm

from heat_snapshots.db import models
from heat_snapshots.db import types

STACK_ID = models.TABLE_PREFIX + 'local_stacks.id'


class LocalStack(models.HasTimestamps, models.Base):
    """A stack of the ``local`` stack driver."""

    __tablename__ = models.TABLE_PREFIX + 'local_stacks'
    __table_args__ = (
        sa.Index('hs_local_stacks_project_id_name_idx', 'project_id', 'name'),
        # A name is unique per project among live stacks: "live" is true
        # while the stack exists, NULL once deleted (NULLs never collide).
        sa.UniqueConstraint('project_id', 'name', 'live',
                            name='hs_local_stacks_uniq_live_name'),
    )

    id = sa.Column(sa.String(36), primary_key=True)
    name = sa.Column(sa.String(255), nullable=False)
    project_id = sa.Column(sa.String(64), nullable=False)
    user_id = sa.Column(sa.String(64))
    # The owner's user name: Heat's stack_owner.
    username = sa.Column(sa.String(255))
    action = sa.Column(sa.String(32), nullable=False)
    status = sa.Column(sa.String(32), nullable=False)
    status_reason = sa.Column(sa.Text)
    template = sa.Column(types.Json, nullable=False)
    environment = sa.Column(types.Json, nullable=False)
    files = sa.Column(types.Json, nullable=False)
    tags = sa.Column(types.Json)
    timeout_mins = sa.Column(sa.Integer)
    disable_rollback = sa.Column(sa.Boolean, nullable=False, default=True)
    outputs = sa.Column(types.Json)
    deleted_at = sa.Column(sa.DateTime)
    live = sa.Column(sa.Boolean, default=True)

    resources = orm.relationship(
        'LocalResource', back_populates='stack',
        cascade='all, delete-orphan', passive_deletes=True,
        order_by='LocalResource.id')


class LocalResource(models.HasTimestamps, models.Base):
    """A resource of a ``local`` stack."""

    __tablename__ = models.TABLE_PREFIX + 'local_resources'
    __table_args__ = (
        sa.UniqueConstraint('stack_id', 'name',
                            name='hs_local_resources_uniq_name'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    stack_id = sa.Column(
        sa.String(36),
        sa.ForeignKey(STACK_ID, ondelete='CASCADE',
                      name='hs_local_resources_stack_id_fkey'),
        nullable=False)
    name = sa.Column(sa.String(255), nullable=False)
    type = sa.Column(sa.String(255), nullable=False)
    physical_resource_id = sa.Column(sa.String(255))
    action = sa.Column(sa.String(32), nullable=False)
    status = sa.Column(sa.String(32), nullable=False)
    status_reason = sa.Column(sa.Text)
    # The definition as resolved at the last create or update.
    properties = sa.Column(types.Json)
    depends_on = sa.Column(types.Json)
    # The resource's own data (resource_data in Heat's abandon format).
    data = sa.Column(types.Json)
    attributes = sa.Column(types.Json)
    rsrc_metadata = sa.Column('metadata', types.Json)

    stack = orm.relationship('LocalStack', back_populates='resources')


class LocalEvent(models.HasTimestamps, models.Base):
    """A state a ``local`` stack or one of its resources reached.

    The stack's own events name the stack (``resource_name``) and its id
    (``physical_resource_id``), as Heat's do. ``uuid`` is the event id the
    API shows; ``id`` orders events written in the same instant.
    """

    __tablename__ = models.TABLE_PREFIX + 'local_events'
    __table_args__ = (
        sa.UniqueConstraint('uuid', name='hs_local_events_uniq_uuid'),
        sa.Index('hs_local_events_stack_id_created_at_idx',
                 'stack_id', 'created_at'),
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    uuid = sa.Column(sa.String(36), nullable=False)
    stack_id = sa.Column(
        sa.String(36),
        sa.ForeignKey(STACK_ID, ondelete='CASCADE',
                      name='hs_local_events_stack_id_fkey'),
        nullable=False)
    resource_name = sa.Column(sa.String(255), nullable=False)
    physical_resource_id = sa.Column(sa.String(255))
    resource_type = sa.Column(sa.String(255))
    resource_action = sa.Column(sa.String(32), nullable=False)
    resource_status = sa.Column(sa.String(32), nullable=False)
    resource_status_reason = sa.Column(sa.Text)
    resource_properties = sa.Column(types.Json)


class Artifact(models.HasTimestamps, models.Base):
    """A physical artifact made by a snapshot in the local artifact store.

    Stands in for a Cinder backup or a Glance image when there is no cloud,
    so the bookkeeping that must never orphan one can be tested.
    """

    __tablename__ = models.TABLE_PREFIX + 'artifacts'
    __table_args__ = (
        sa.Index('hs_artifacts_snapshot_id_idx', 'snapshot_id'),
    )

    id = sa.Column(sa.String(36), primary_key=True)
    snapshot_id = sa.Column(sa.String(36), nullable=False)
    resource_name = sa.Column(sa.String(255), nullable=False)
    content = sa.Column(types.Json)
