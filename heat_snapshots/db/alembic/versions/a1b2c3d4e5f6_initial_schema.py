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

"""Initial schema.

Revision ID: a1b2c3d4e5f6
Revises:
Create Date: 2026-11-27
"""

from alembic import op
import sqlalchemy as sa

from heat_snapshots.db import types

revision = 'a1b2c3d4e5f6'
down_revision = None
branch_labels = None
depends_on = None


def _timestamps():
    return [sa.Column('created_at', sa.DateTime, nullable=False),
            sa.Column('updated_at', sa.DateTime)]


def upgrade():
    op.create_table(
        'hs_snapshots',
        sa.Column('id', sa.String(36), nullable=False),
        sa.Column('name', sa.String(255)),
        sa.Column('stack_id', sa.String(36), nullable=False),
        sa.Column('stack_name', sa.String(255), nullable=False),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('action', sa.String(32), nullable=False),
        sa.Column('status', sa.String(32), nullable=False),
        sa.Column('status_reason', sa.Text),
        sa.Column('data', types.Json),
        sa.Column('engine_id', sa.String(255)),
        *_timestamps(),
        sa.PrimaryKeyConstraint('id', name='hs_snapshots_pkey'),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
    op.create_index('hs_snapshots_stack_id_created_at_idx', 'hs_snapshots',
                    ['stack_id', 'created_at'])
    op.create_index('hs_snapshots_project_id_idx', 'hs_snapshots',
                    ['project_id'])
    op.create_index('hs_snapshots_status_idx', 'hs_snapshots', ['status'])

    op.create_table(
        'hs_resource_snapshots',
        sa.Column('id', sa.Integer, autoincrement=True, nullable=False),
        sa.Column('snapshot_id', sa.String(36), nullable=False),
        sa.Column('resource_name', sa.String(255), nullable=False),
        sa.Column('resource_type', sa.String(255), nullable=False),
        sa.Column('physical_resource_id', sa.String(255)),
        sa.Column('action', sa.String(32), nullable=False),
        sa.Column('status', sa.String(32), nullable=False),
        sa.Column('status_reason', sa.Text),
        sa.Column('data', types.Json),
        *_timestamps(),
        sa.PrimaryKeyConstraint('id', name='hs_resource_snapshots_pkey'),
        sa.ForeignKeyConstraint(
            ['snapshot_id'], ['hs_snapshots.id'], ondelete='CASCADE',
            name='hs_resource_snapshots_snapshot_id_fkey'),
        sa.UniqueConstraint('snapshot_id', 'resource_name',
                            name='hs_resource_snapshots_uniq_name'),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')

    op.create_table(
        'hs_stack_locks',
        sa.Column('stack_id', sa.String(36), nullable=False),
        sa.Column('engine_id', sa.String(36), nullable=False),
        sa.Column('action', sa.String(32), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint('stack_id', name='hs_stack_locks_pkey'),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')

    op.create_table(
        'hs_engines',
        sa.Column('id', sa.String(36), nullable=False),
        sa.Column('host', sa.String(255), nullable=False),
        sa.Column('pid', sa.Integer),
        sa.Column('heartbeat_at', sa.DateTime, nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint('id', name='hs_engines_pkey'),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')

    op.create_table(
        'hs_local_stacks',
        sa.Column('id', sa.String(36), nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('user_id', sa.String(64)),
        sa.Column('action', sa.String(32), nullable=False),
        sa.Column('status', sa.String(32), nullable=False),
        sa.Column('status_reason', sa.Text),
        sa.Column('template', types.Json, nullable=False),
        sa.Column('environment', types.Json, nullable=False),
        sa.Column('files', types.Json, nullable=False),
        sa.Column('tags', types.Json),
        sa.Column('timeout_mins', sa.Integer),
        sa.Column('disable_rollback', sa.Boolean, nullable=False),
        sa.Column('outputs', types.Json),
        sa.Column('deleted_at', sa.DateTime),
        *_timestamps(),
        sa.PrimaryKeyConstraint('id', name='hs_local_stacks_pkey'),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
    op.create_index('hs_local_stacks_project_id_name_idx', 'hs_local_stacks',
                    ['project_id', 'name'])

    op.create_table(
        'hs_local_resources',
        sa.Column('id', sa.Integer, autoincrement=True, nullable=False),
        sa.Column('stack_id', sa.String(36), nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('type', sa.String(255), nullable=False),
        sa.Column('physical_resource_id', sa.String(255)),
        sa.Column('action', sa.String(32), nullable=False),
        sa.Column('status', sa.String(32), nullable=False),
        sa.Column('status_reason', sa.Text),
        sa.Column('properties', types.Json),
        sa.Column('depends_on', types.Json),
        sa.Column('data', types.Json),
        sa.Column('attributes', types.Json),
        sa.Column('metadata', types.Json),
        *_timestamps(),
        sa.PrimaryKeyConstraint('id', name='hs_local_resources_pkey'),
        sa.ForeignKeyConstraint(
            ['stack_id'], ['hs_local_stacks.id'], ondelete='CASCADE',
            name='hs_local_resources_stack_id_fkey'),
        sa.UniqueConstraint('stack_id', 'name',
                            name='hs_local_resources_uniq_name'),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')

    op.create_table(
        'hs_artifacts',
        sa.Column('id', sa.String(36), nullable=False),
        sa.Column('snapshot_id', sa.String(36), nullable=False),
        sa.Column('resource_name', sa.String(255), nullable=False),
        sa.Column('content', types.Json),
        *_timestamps(),
        sa.PrimaryKeyConstraint('id', name='hs_artifacts_pkey'),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
    op.create_index('hs_artifacts_snapshot_id_idx', 'hs_artifacts',
                    ['snapshot_id'])
