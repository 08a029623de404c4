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

"""Per-resource progress of snapshot operations, and cancel requests.

``hs_operation_resources`` holds, for each snapshot, one row per resource
of the last operation run on it (its snapshot, a restore to it, or its
delete), written by the walk as each resource starts and ends.
``hs_stack_locks.cancel_requested`` asks the walk holding the stack, on
whichever engine it runs, to stop.

Revision ID: f1a7c3e9b2d4
Revises: f4b8d2e6a0c3
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa

revision = 'f1a7c3e9b2d4'
down_revision = 'f4b8d2e6a0c3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'hs_operation_resources',
        sa.Column('id', sa.Integer, autoincrement=True, nullable=False),
        sa.Column('snapshot_id', sa.String(36), nullable=False),
        sa.Column('resource_name', sa.Text, nullable=False),
        sa.Column('resource_key', sa.String(64), nullable=False),
        sa.Column('resource_type', sa.String(255)),
        sa.Column('action', sa.String(32), nullable=False),
        sa.Column('status', sa.String(32), nullable=False),
        sa.Column('status_reason', sa.Text),
        sa.Column('artifact_id', sa.String(255)),
        sa.Column('started_at', sa.DateTime),
        sa.Column('finished_at', sa.DateTime),
        sa.Column('created_at', sa.DateTime, nullable=False),
        sa.Column('updated_at', sa.DateTime),
        sa.PrimaryKeyConstraint('id', name='hs_operation_resources_pkey'),
        sa.ForeignKeyConstraint(
            ['snapshot_id'], ['hs_snapshots.id'], ondelete='CASCADE',
            name='hs_operation_resources_snapshot_id_fkey'),
        sa.UniqueConstraint('snapshot_id', 'resource_key',
                            name='hs_operation_resources_uniq_key'),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
    with op.batch_alter_table('hs_stack_locks') as batch:
        batch.add_column(sa.Column('cancel_requested', sa.Boolean,
                                   nullable=False, server_default=sa.false()))
