"""werkplekduaal: the counter's copy of KBO (enterprises, establishments) and the employer data

The Flemish dual-learning counter keeps KBO's enterprises and establishments (a stopped one keeps its row,
status ST) and, apart from them, each enterprise's joint committee (wpd_employers), which KBO updates
never touch.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('wpd_employers',
    sa.Column('enterprise_number', sa.String(length=10), nullable=False),
    sa.Column('joint_committee', sa.String(length=7), nullable=False),
    sa.PrimaryKeyConstraint('enterprise_number', name=op.f('pk_wpd_employers'))
    )
    op.create_table('wpd_kbo_enterprises',
    sa.Column('number', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=2), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('number', name=op.f('pk_wpd_kbo_enterprises'))
    )
    op.create_table('wpd_kbo_establishments',
    sa.Column('number', sa.String(length=10), nullable=False),
    sa.Column('enterprise_number', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('street', sa.String(length=100), nullable=False),
    sa.Column('house_number', sa.String(length=20), nullable=False),
    sa.Column('box', sa.String(length=20), nullable=True),
    sa.Column('postcode', sa.String(length=4), nullable=False),
    sa.Column('municipality', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=2), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('number', name=op.f('pk_wpd_kbo_establishments'))
    )
    op.create_index(op.f('ix_wpd_kbo_establishments_enterprise_number'), 'wpd_kbo_establishments', ['enterprise_number'], unique=False)
    op.create_index(op.f('ix_wpd_kbo_establishments_postcode'), 'wpd_kbo_establishments', ['postcode'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_wpd_kbo_establishments_postcode'), table_name='wpd_kbo_establishments')
    op.drop_index(op.f('ix_wpd_kbo_establishments_enterprise_number'), table_name='wpd_kbo_establishments')
    op.drop_table('wpd_kbo_establishments')
    op.drop_table('wpd_kbo_enterprises')
    op.drop_table('wpd_employers')
