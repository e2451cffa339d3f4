"""push delivery of SBB mutations: delivery address and schedule per subscription

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 10:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sbb_subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivery_address', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('delivery_attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('next_delivery_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('delivery_lease_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint('delivery_attempts_not_negative', 'delivery_attempts >= 0')


def downgrade() -> None:
    with op.batch_alter_table('sbb_subscriptions', schema=None) as batch_op:
        batch_op.drop_constraint('delivery_attempts_not_negative', type_='check')
        batch_op.drop_column('delivery_lease_until')
        batch_op.drop_column('next_delivery_at')
        batch_op.drop_column('delivery_attempts')
        batch_op.drop_column('delivery_address')
