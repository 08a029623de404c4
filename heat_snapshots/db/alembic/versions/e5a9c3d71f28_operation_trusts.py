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

"""The Keystone trust an operation works on.

``hs_stack_locks.trust_id``: the trust of the operation holding the stack
(a snapshot, a restore, a stack delete); ``hs_snapshots.trust_id``: the
trust of a snapshot's own delete. Recovery resumes or ends the operation
on it, and the trust is deleted when the operation ends.

Revision ID: e5a9c3d71f28
Revises: e7f3b9a1c5d2
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa

revision = 'e5a9c3d71f28'
down_revision = 'e7f3b9a1c5d2'
branch_labels = None
depends_on = None


def upgrade():
    # Keystone's ids are 32 hex digits; 64 as for project ids.
    for table in ('hs_stack_locks', 'hs_snapshots'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('trust_id', sa.String(64)))
