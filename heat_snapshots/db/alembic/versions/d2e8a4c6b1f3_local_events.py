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

"""The local stack store's events, and the owner's user name of a stack.

``hs_local_events`` keeps one row per state a local stack or one of its
resources reached, as Heat's event table does, so that ``openstack stack
event list`` and ``--wait`` (which polls the events) work on the embedded
store. ``hs_local_stacks.username`` is Heat's ``stack_owner``.

Revision ID: d2e8a4c6b1f3
Revises: b7c1f0e2d9a4
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa

from heat_snapshots.db import types

revision = 'd2e8a4c6b1f3'
down_revision = 'b7c1f0e2d9a4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'hs_local_events',
        sa.Column('id', sa.Integer, autoincrement=True, nullable=False),
        sa.Column('uuid', sa.String(36), nullable=False),
        sa.Column('stack_id', sa.String(36), nullable=False),
        sa.Column('resource_name', sa.String(255), nullable=False),
        sa.Column('physical_resource_id', sa.String(255)),
        sa.Column('resource_type', sa.String(255)),
        sa.Column('resource_action', sa.String(32), nullable=False),
        sa.Column('resource_status', sa.String(32), nullable=False),
        sa.Column('resource_status_reason', sa.Text),
        sa.Column('resource_properties', types.Json),
        sa.Column('created_at', sa.DateTime, nullable=False),
        sa.Column('updated_at', sa.DateTime),
        sa.PrimaryKeyConstraint('id', name='hs_local_events_pkey'),
        sa.ForeignKeyConstraint(
            ['stack_id'], ['hs_local_stacks.id'], ondelete='CASCADE',
            name='hs_local_events_stack_id_fkey'),
        sa.UniqueConstraint('uuid', name='hs_local_events_uniq_uuid'),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
    op.create_index('hs_local_events_stack_id_created_at_idx',
                    'hs_local_events', ['stack_id', 'created_at'])
    with op.batch_alter_table('hs_local_stacks') as batch:
        batch.add_column(sa.Column('username', sa.String(255)))
