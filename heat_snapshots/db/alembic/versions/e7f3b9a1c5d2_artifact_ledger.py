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

"""The artifact ledger, the installation id, and resource paths of any
length.

``hs_artifact_ledger`` records each artifact before it is asked of the
cloud; ``hs_installation`` holds this deployment's id, the marker put on
every artifact. A resource snapshot's ``resource_name`` (the path of a
nested resource from the top stack) becomes TEXT; its uniqueness per
snapshot moves to ``resource_key``, the path's SHA-256, as an index cannot
hold a TEXT column on MySQL.

Revision ID: e7f3b9a1c5d2
Revises: c4e8a2f61b37
Create Date: 2026-12-02
"""

import hashlib

from alembic import op
import sqlalchemy as sa

revision = 'e7f3b9a1c5d2'
down_revision = 'c4e8a2f61b37'
branch_labels = None
depends_on = None


def _timestamps():
    return (sa.Column('created_at', sa.DateTime, nullable=False),
            sa.Column('updated_at', sa.DateTime))


def _path_key(path):
    # The same as models.path_key, frozen here with the migration.
    return hashlib.sha256(path.encode('utf-8')).hexdigest()


def upgrade():
    op.create_table(
        'hs_installation',
        sa.Column('id', sa.Integer, autoincrement=False, nullable=False),
        sa.Column('installation_id', sa.String(36), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint('id', name='hs_installation_pkey'),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')

    op.create_table(
        'hs_artifact_ledger',
        sa.Column('id', sa.String(36), nullable=False),
        sa.Column('plugin', sa.String(255), nullable=False),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('snapshot_id', sa.String(36), nullable=False),
        sa.Column('resource_name', sa.Text, nullable=False),
        sa.Column('installation_id', sa.String(36), nullable=False),
        sa.Column('artifact_id', sa.String(255)),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('deleted_at', sa.DateTime),
        *_timestamps(),
        sa.PrimaryKeyConstraint('id', name='hs_artifact_ledger_pkey'),
        sa.UniqueConstraint('name', name='hs_artifact_ledger_uniq_name'),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
    op.create_index('hs_artifact_ledger_snapshot_id_idx',
                    'hs_artifact_ledger', ['snapshot_id'])
    op.create_index('hs_artifact_ledger_state_created_at_idx',
                    'hs_artifact_ledger', ['state', 'created_at'])
    op.create_index('hs_artifact_ledger_artifact_idx', 'hs_artifact_ledger',
                    ['plugin', 'project_id', 'artifact_id'])

    with op.batch_alter_table('hs_resource_snapshots') as batch:
        batch.add_column(sa.Column('resource_key', sa.String(64)))
    rows = sa.table('hs_resource_snapshots',
                    sa.column('id', sa.Integer),
                    sa.column('resource_name', sa.String(255)),
                    sa.column('resource_key', sa.String(64)))
    connection = op.get_bind()
    # The servers hash every row in one statement (the column is UTF-8 on
    # both); SQLite, one row at a time.
    in_sql = {
        'mysql': sa.func.sha2(rows.c.resource_name, 256),
        'postgresql': sa.func.encode(sa.func.sha256(sa.func.convert_to(
            rows.c.resource_name, 'UTF8')), 'hex'),
    }.get(connection.dialect.name)
    if in_sql is not None:
        connection.execute(rows.update().values(resource_key=in_sql))
    else:
        for row_id, name in connection.execute(
                sa.select(rows.c.id, rows.c.resource_name)).fetchall():
            connection.execute(rows.update().where(
                rows.c.id == row_id).values(resource_key=_path_key(name)))
    # The new unique key first: on MySQL the foreign key of snapshot_id
    # needs an index starting with it at every step.
    with op.batch_alter_table('hs_resource_snapshots') as batch:
        batch.alter_column('resource_key', existing_type=sa.String(64),
                           nullable=False)
        batch.create_unique_constraint('hs_resource_snapshots_uniq_key',
                                       ['snapshot_id', 'resource_key'])
        batch.drop_constraint('hs_resource_snapshots_uniq_name',
                              type_='unique')
        batch.alter_column('resource_name', existing_type=sa.String(255),
                           type_=sa.Text, existing_nullable=False)
