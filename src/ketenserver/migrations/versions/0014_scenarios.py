"""scenarios: scenario_rules, and journal.injected marking what a scenario answered

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 15:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'scenario_rules',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('tenant', sa.String(length=40), nullable=False),
        sa.Column('scenario', sa.String(length=100), nullable=False),
        sa.Column('operation', sa.String(length=100), nullable=False),
        sa.Column('match', sa.Text(), nullable=True),
        sa.Column('remaining', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('params', sa.Text(), nullable=False),
        sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_scenario_rules')),
    )
    with op.batch_alter_table('scenario_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scenario_rules_tenant'), ['tenant'], unique=False)
    with op.batch_alter_table('journal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('injected', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('journal', schema=None) as batch_op:
        batch_op.drop_column('injected')
    with op.batch_alter_table('scenario_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scenario_rules_tenant'))
    op.drop_table('scenario_rules')
