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

"""Heat's own state of a stack as our snapshot or restore ends.

Heat's times have whole seconds: the heat-api filter tells Heat's next
action from ours by Heat's whole state as our operation ended
(``hs_stack_states.heat_end_status``, ``heat_end_updated_time``, the
top-level resources' ``heat_resources`` after a snapshot) and places our
events after Heat's newest event then (``heat_last_event_id``, copied to
each of our events as ``heat_after_event_id``).

Revision ID: f4b8d2e6a0c3
Revises: e6f2a9c4d8b1
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa

revision = 'f4b8d2e6a0c3'
down_revision = 'e6f2a9c4d8b1'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('hs_stack_states',
                  sa.Column('heat_end_status', sa.String(64)))
    op.add_column('hs_stack_states',
                  sa.Column('heat_end_updated_time', sa.String(64)))
    op.add_column('hs_stack_states',
                  sa.Column('heat_resources', sa.Text))
    op.add_column('hs_stack_states',
                  sa.Column('heat_last_event_id', sa.String(36)))
    op.add_column('hs_stack_events',
                  sa.Column('heat_after_event_id', sa.String(36)))
