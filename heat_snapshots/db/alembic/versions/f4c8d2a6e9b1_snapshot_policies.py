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

"""Snapshot policies: schedules, retention and runs.

``hs_snapshot_policies`` holds a project's policies, ``hs_policy_runs``
their runs; a snapshot records the policy that made it (``policy_id``)
and, when kept after its stack, when the stack was deleted.

Revision ID: f4c8d2a6e9b1
Revises: f1a7c3e9b2d4
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa

from heat_snapshots.db import types

revision = 'f4c8d2a6e9b1'
down_revision = 'f1a7c3e9b2d4'
branch_labels = None
depends_on = None


def _timestamps():
    return (sa.Column('created_at', sa.DateTime, nullable=False),
            sa.Column('updated_at', sa.DateTime))


def upgrade():
    op.create_table(
        'hs_snapshot_policies',
        sa.Column('id', sa.String(36), nullable=False),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('user_id', sa.String(64)),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('stacks', types.Json, nullable=False),
        sa.Column('cron', sa.String(255), nullable=False),
        sa.Column('timezone', sa.String(64), nullable=False),
        sa.Column('retention', types.Json, nullable=False),
        sa.Column('keep_after_stack_delete', sa.Boolean, nullable=False,
                  server_default=sa.false()),
        sa.Column('enabled', sa.Boolean, nullable=False,
                  server_default=sa.true()),
        sa.Column('last_scheduled', sa.DateTime, nullable=False),
        sa.Column('next_due', sa.DateTime),
        *_timestamps(),
        sa.PrimaryKeyConstraint('id', name='hs_snapshot_policies_pkey'),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
    op.create_index('hs_snapshot_policies_project_id_idx',
                    'hs_snapshot_policies', ['project_id'])
    op.create_index('hs_snapshot_policies_enabled_next_due_idx',
                    'hs_snapshot_policies', ['enabled', 'next_due'])

    op.create_table(
        'hs_policy_runs',
        sa.Column('id', sa.String(36), nullable=False),
        sa.Column('policy_id', sa.String(36), nullable=False),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('scheduled_at', sa.DateTime),
        sa.Column('late', sa.Boolean, nullable=False,
                  server_default=sa.false()),
        sa.Column('status', sa.String(32), nullable=False),
        sa.Column('reason', sa.Text),
        sa.Column('engine_id', sa.String(36)),
        sa.Column('stacks', types.Json),
        sa.Column('snapshots', types.Json),
        sa.Column('pruned', types.Json),
        sa.Column('skipped', types.Json),
        sa.Column('failed', types.Json),
        sa.Column('ended_at', sa.DateTime),
        *_timestamps(),
        sa.PrimaryKeyConstraint('id', name='hs_policy_runs_pkey'),
        sa.UniqueConstraint('policy_id', 'scheduled_at',
                            name='hs_policy_runs_uniq_scheduled'),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
    op.create_index('hs_policy_runs_policy_id_created_at_idx',
                    'hs_policy_runs', ['policy_id', 'created_at'])
    op.create_index('hs_policy_runs_status_idx', 'hs_policy_runs',
                    ['status'])

    with op.batch_alter_table('hs_snapshots') as batch:
        batch.add_column(sa.Column('policy_id', sa.String(36)))
        batch.add_column(sa.Column('stack_deleted_at', sa.DateTime))
    op.create_index('hs_snapshots_policy_id_stack_id_idx', 'hs_snapshots',
                    ['policy_id', 'stack_id'])
