"""DUO Verzuimloket: reports, attachments, day specifications, municipality replies, and per school
its change numbers and sandbox clock

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 12:20:53.520868
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('verzuim_meldingen',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('registered_year', sa.Integer(), nullable=False),
    sa.Column('organisation_oin', sa.String(length=20), nullable=False),
    sa.Column('student_key', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('change_number', sa.BigInteger(), nullable=False),
    sa.Column('previous', sa.String(length=14), nullable=True),
    sa.Column('municipality_code', sa.String(length=4), nullable=False),
    sa.Column('municipality_name', sa.String(length=80), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('withdrawal_reason', sa.String(length=200), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_step_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verzuim_meldingen')),
    sa.UniqueConstraint('organisation_oin', 'change_number', name='uq_verzuim_meldingen_change'),
    sa.UniqueConstraint('organisation_oin', 'student_key', 'kind', 'period_start', 'period_end', name='uq_verzuim_meldingen_identity')
    )
    with op.batch_alter_table('verzuim_meldingen', schema=None) as batch_op:
        batch_op.create_index('ix_verzuim_meldingen_closed', ['organisation_oin', 'closed_at'], unique=False)
        batch_op.create_index('ix_verzuim_meldingen_next_step', ['organisation_oin', 'next_step_at'],
                              unique=False)

    op.create_table('verzuim_scholen',
    sa.Column('organisation_oin', sa.String(length=20), nullable=False),
    sa.Column('last_change', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('clock_offset_seconds', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('organisation_oin', name=op.f('pk_verzuim_scholen'))
    )
    op.create_table('verzuim_bijlagen',
    sa.Column('report_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('media_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['verzuim_meldingen.id'], name=op.f('fk_verzuim_bijlagen_report_id_verzuim_meldingen'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('report_id', 'position', name=op.f('pk_verzuim_bijlagen'))
    )
    op.create_table('verzuim_dagen',
    sa.Column('report_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('whole_day', sa.Boolean(), nullable=False),
    sa.Column('lesson_hours', sa.String(length=30), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['verzuim_meldingen.id'], name=op.f('fk_verzuim_dagen_report_id_verzuim_meldingen'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('report_id', 'day', name=op.f('pk_verzuim_dagen'))
    )
    op.create_table('verzuim_terugmeldingen',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('report_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('organisation_oin', sa.String(length=20), nullable=False),
    sa.Column('sequence', sa.BigInteger(), nullable=False),
    sa.Column('meldingnummer', sa.String(length=14), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('handler_name', sa.String(length=200), nullable=False),
    sa.Column('handler_phone', sa.String(length=20), nullable=False),
    sa.Column('handler_email', sa.String(length=254), nullable=False),
    sa.Column('explanation', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['verzuim_meldingen.id'], name=op.f('fk_verzuim_terugmeldingen_report_id_verzuim_meldingen'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verzuim_terugmeldingen')),
    sa.UniqueConstraint('organisation_oin', 'sequence', name='uq_verzuim_terugmeldingen_sequence')
    )
    with op.batch_alter_table('verzuim_terugmeldingen', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verzuim_terugmeldingen_report_id'), ['report_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('verzuim_terugmeldingen', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_verzuim_terugmeldingen_report_id'))

    op.drop_table('verzuim_terugmeldingen')
    op.drop_table('verzuim_dagen')
    op.drop_table('verzuim_bijlagen')
    op.drop_table('verzuim_scholen')
    with op.batch_alter_table('verzuim_meldingen', schema=None) as batch_op:
        batch_op.drop_index('ix_verzuim_meldingen_next_step')
        batch_op.drop_index('ix_verzuim_meldingen_closed')

    op.drop_table('verzuim_meldingen')
