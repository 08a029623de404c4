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

"""Fenced stack locks: a generation per stack, kept across operations.

A lock row now outlives the operation that held it: release empties its
holder, and the next acquisition raises its generation, the fencing token
every write of an operation is checked against. The row also names the
stack's project (recovery works in it), the snapshot the operation works
on (a restore's source cannot be deleted) and whether a stack delete waits
for the stack to be free.

Revision ID: b7c1f0e2d9a4
Revises: a1b2c3d4e5f6
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa

revision = 'b7c1f0e2d9a4'
down_revision = 'a1b2c3d4e5f6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('hs_stack_locks') as batch:
        batch.alter_column('engine_id', existing_type=sa.String(36),
                           nullable=True)
        batch.alter_column('action', existing_type=sa.String(32),
                           nullable=True)
        batch.add_column(sa.Column('generation', sa.BigInteger,
                                   nullable=False, server_default='0'))
        batch.add_column(sa.Column('snapshot_id', sa.String(36)))
        batch.add_column(sa.Column('project_id', sa.String(64)))
        batch.add_column(sa.Column('delete_pending', sa.Boolean,
                                   nullable=False,
                                   server_default=sa.false()))
        batch.create_index('hs_stack_locks_engine_id_idx', ['engine_id'])
        batch.create_index('hs_stack_locks_snapshot_id_idx',
                           ['snapshot_id'])
