"""the sandbox clock can be frozen: sandbox_clocks.frozen_at

While set, business time stands still at that moment whatever real time does
(``ketenserver clock --freeze``); resuming turns it back into an offset from real time.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 15:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sandbox_clocks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('frozen_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sandbox_clocks', schema=None) as batch_op:
        batch_op.drop_column('frozen_at')
