"""journal entries carry the request id their log lines carry

Entries written before this revision have none. On SQLite the column and index are added in place
(no copy of the journal table).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 12:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('journal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_journal_request_id'), ['request_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('journal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journal_request_id'))
        batch_op.drop_column('request_id')
