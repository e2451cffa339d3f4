"""a stored reply keeps the digest of the request it answered

A retry (same MessageID) gets the stored reply only when its Body is the same; another message
under a used MessageID is refused (issue 10). Replies stored before this revision have no
digest and are answered as before.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 23:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stored_replies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_digest', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('stored_replies', schema=None) as batch_op:
        batch_op.drop_column('request_digest')
