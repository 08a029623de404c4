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

"""The last snapshot or restore of each Heat stack, as Heat would show it.

``hs_stack_states`` has one row per stack of the ``heat`` driver that a
snapshot or restore ran on: the heat-api filter reads it (by primary key)
to show ``SNAPSHOT_*`` / ``RESTORE_*`` on the stack, as Heat does.
``hs_stack_events`` keeps the events Heat would have recorded for them,
shown among Heat's own.

Revision ID: e6f2a9c4d8b1
Revises: e5a9c3d71f28
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa

revision = 'e6f2a9c4d8b1'
down_revision = 'e5a9c3d71f28'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'hs_stack_states',
        sa.Column('stack_id', sa.String(36), nullable=False),
        sa.Column('stack_name', sa.String(255)),
        sa.Column('project_id', sa.String(64)),
        sa.Column('action', sa.String(32), nullable=False),
        sa.Column('status', sa.String(32), nullable=False),
        sa.Column('status_reason', sa.Text),
        sa.Column('snapshot_id', sa.String(36)),
        sa.Column('last_snapshot_id', sa.String(36)),
        sa.Column('heat_updated_time', sa.String(64)),
        sa.Column('heat_status', sa.String(64)),
        sa.Column('heat_event_id', sa.String(36)),
        sa.Column('started_at', sa.DateTime),
        sa.Column('ended_at', sa.DateTime),
        sa.Column('created_at', sa.DateTime, nullable=False),
        sa.Column('updated_at', sa.DateTime),
        sa.PrimaryKeyConstraint('stack_id', name='hs_stack_states_pkey'),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
    op.create_table(
        'hs_stack_events',
        sa.Column('id', sa.Integer, autoincrement=True, nullable=False),
        sa.Column('uuid', sa.String(36), nullable=False),
        sa.Column('stack_id', sa.String(36), nullable=False),
        sa.Column('resource_name', sa.String(255), nullable=False),
        sa.Column('physical_resource_id', sa.String(255)),
        sa.Column('resource_type', sa.String(255)),
        sa.Column('resource_action', sa.String(32), nullable=False),
        sa.Column('resource_status', sa.String(32), nullable=False),
        sa.Column('resource_status_reason', sa.Text),
        sa.Column('heat_event_id', sa.String(36)),
        sa.Column('created_at', sa.DateTime, nullable=False),
        sa.Column('updated_at', sa.DateTime),
        sa.PrimaryKeyConstraint('id', name='hs_stack_events_pkey'),
        sa.UniqueConstraint('uuid', name='hs_stack_events_uniq_uuid'),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
    op.create_index('hs_stack_events_stack_id_created_at_idx',
                    'hs_stack_events', ['stack_id', 'created_at'])
