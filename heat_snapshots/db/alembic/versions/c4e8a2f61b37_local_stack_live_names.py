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

"""Local stacks: names unique per project among live stacks.

``live`` is true while a stack exists and NULL once it is deleted; the
unique (project_id, name, live) constraint lets any number of deleted
stacks share a name (NULLs never collide on MySQL, PostgreSQL and SQLite)
and refuses a second live one, also when two creates race.

Of live stacks that already share a name, the newest keeps it live for
the constraint; the others stay as they are otherwise.

Revision ID: c4e8a2f61b37
Revises: d2e8a4c6b1f3
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa

revision = 'c4e8a2f61b37'
down_revision = 'd2e8a4c6b1f3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('hs_local_stacks') as batch:
        batch.add_column(sa.Column('live', sa.Boolean))
    stacks = sa.table('hs_local_stacks',
                      sa.column('id', sa.String(36)),
                      sa.column('project_id', sa.String(64)),
                      sa.column('name', sa.String(255)),
                      sa.column('created_at', sa.DateTime),
                      sa.column('deleted_at', sa.DateTime),
                      sa.column('live', sa.Boolean))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(stacks.c.id, stacks.c.project_id, stacks.c.name).where(
            stacks.c.deleted_at.is_(None)).order_by(
            stacks.c.created_at.desc(), stacks.c.id))
    seen = set()
    live = []
    for stack_id, project_id, name in rows:
        if (project_id, name) not in seen:
            seen.add((project_id, name))
            live.append(stack_id)
    for start in range(0, len(live), 500):
        connection.execute(stacks.update().where(
            stacks.c.id.in_(live[start:start + 500])).values(live=True))
    with op.batch_alter_table('hs_local_stacks') as batch:
        batch.create_unique_constraint('hs_local_stacks_uniq_live_name',
                                       ['project_id', 'name', 'live'])
