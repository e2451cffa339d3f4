"""the sandbox clock becomes the core's: one per organisation, for every feature

Until now only the Verzuimloket had a clock (verzuim_scholen.clock_offset_seconds). The offsets
move to sandbox_clocks, which the pipeline reads for every request's CallContext.now.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 02:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sandbox_clocks',
        sa.Column('organisation_oin', sa.String(length=20), nullable=False),
        sa.Column('offset_seconds', sa.BigInteger(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('organisation_oin', name=op.f('pk_sandbox_clocks')),
    )
    op.execute("INSERT INTO sandbox_clocks (organisation_oin, offset_seconds) "
               "SELECT organisation_oin, clock_offset_seconds FROM verzuim_scholen WHERE clock_offset_seconds <> 0")
    with op.batch_alter_table('verzuim_scholen', schema=None) as batch_op:
        batch_op.drop_column('clock_offset_seconds')


def downgrade() -> None:
    with op.batch_alter_table('verzuim_scholen', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clock_offset_seconds', sa.BigInteger(), server_default='0', nullable=False))
    op.execute("UPDATE verzuim_scholen SET clock_offset_seconds = (SELECT offset_seconds FROM sandbox_clocks "
               "WHERE sandbox_clocks.organisation_oin = verzuim_scholen.organisation_oin) "
               "WHERE organisation_oin IN (SELECT organisation_oin FROM sandbox_clocks)")
    op.drop_table('sandbox_clocks')
