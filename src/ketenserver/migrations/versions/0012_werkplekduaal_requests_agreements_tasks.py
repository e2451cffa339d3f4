"""werkplekduaal: recognition requests, recognitions, agreements, addenda, trajectories, tasks and KBO syncs

The counter's own records: what a coach filed (wpd_requests with its mentors and documents), what a
partnership recognised (wpd_recognitions with their mentors; each carries its establishment's postcode for
the workplace search), what a provider registered (wpd_agreements, wpd_addenda, wpd_trajectories), its
dashboard (wpd_tasks and the per-provider task cursor) and the weekly KBO syncs applied (wpd_kbo_syncs,
one row per week).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('wpd_agreements',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('provider', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('student', sa.String(length=11), nullable=False),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('surname', sa.String(length=100), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('enterprise_number', sa.String(length=10), nullable=False),
    sa.Column('establishment_number', sa.String(length=10), nullable=False),
    sa.Column('opleiding', sa.String(length=40), nullable=False),
    sa.Column('mentor', sa.String(length=11), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('hours_per_week', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('allowance', sa.Numeric(precision=9, scale=2), nullable=True),
    sa.Column('timetable', sa.JSON(), nullable=False),
    sa.Column('registered', sa.Date(), nullable=False),
    sa.Column('end_reason', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wpd_agreements'))
    )
    op.create_index('ix_wpd_agreements_provider', 'wpd_agreements', ['provider', 'student'], unique=False)
    op.create_index('ix_wpd_agreements_student', 'wpd_agreements', ['student', 'opleiding'], unique=False)
    op.create_index('ix_wpd_agreements_workplace', 'wpd_agreements', ['establishment_number', 'opleiding', 'status'], unique=False)
    op.create_table('wpd_kbo_syncs',
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('ran_on', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('moved', sa.Integer(), nullable=False),
    sa.Column('stopped', sa.Integer(), nullable=False),
    sa.Column('tasks', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('week', name=op.f('pk_wpd_kbo_syncs'))
    )
    op.create_table('wpd_recognitions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('establishment_number', sa.String(length=10), nullable=False),
    sa.Column('enterprise_number', sa.String(length=10), nullable=False),
    sa.Column('opleiding', sa.String(length=40), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('places', sa.Integer(), nullable=False),
    sa.Column('status_since', sa.Date(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('postcode', sa.String(length=4), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wpd_recognitions'))
    )
    op.create_index('ix_wpd_recognitions_search', 'wpd_recognitions', ['opleiding', 'status', 'postcode', 'establishment_number'], unique=False)
    op.create_index('ix_wpd_recognitions_workplace', 'wpd_recognitions', ['establishment_number', 'opleiding'], unique=False)
    op.create_table('wpd_task_cursors',
    sa.Column('provider', sa.String(length=10), nullable=False),
    sa.Column('last_sequence', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('provider', name=op.f('pk_wpd_task_cursors'))
    )
    op.create_table('wpd_trajectories',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('provider', sa.String(length=10), nullable=False),
    sa.Column('student', sa.String(length=11), nullable=False),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('surname', sa.String(length=100), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('opleiding', sa.String(length=40), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('occasion', sa.Integer(), nullable=False),
    sa.Column('stop_reason', sa.String(length=500), nullable=True),
    sa.Column('stopped', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wpd_trajectories'))
    )
    op.create_index('ix_wpd_trajectories_due', 'wpd_trajectories', ['deadline'], unique=False)
    op.create_index('ix_wpd_trajectories_student', 'wpd_trajectories', ['provider', 'student', 'opleiding'], unique=False)
    op.create_table('wpd_addenda',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('agreement_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('provider', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created', sa.Date(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('registered', sa.Date(), nullable=True),
    sa.Column('document_name', sa.String(length=200), nullable=True),
    sa.Column('document_size', sa.Integer(), nullable=True),
    sa.Column('document_sha256', sa.String(length=64), nullable=True),
    sa.Column('document', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['agreement_id'], ['wpd_agreements.id'], name=op.f('fk_wpd_addenda_agreement_id_wpd_agreements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wpd_addenda'))
    )
    op.create_index(op.f('ix_wpd_addenda_agreement_id'), 'wpd_addenda', ['agreement_id'], unique=False)
    op.create_table('wpd_recognition_mentors',
    sa.Column('recognition_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('rijksregisternummer', sa.String(length=11), nullable=False),
    sa.ForeignKeyConstraint(['recognition_id'], ['wpd_recognitions.id'], name=op.f('fk_wpd_recognition_mentors_recognition_id_wpd_recognitions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('recognition_id', 'rijksregisternummer', name=op.f('pk_wpd_recognition_mentors'))
    )
    op.create_table('wpd_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('sender', sa.String(length=10), nullable=False),
    sa.Column('enterprise_number', sa.String(length=10), nullable=False),
    sa.Column('establishment_number', sa.String(length=10), nullable=False),
    sa.Column('opleiding', sa.String(length=40), nullable=False),
    sa.Column('partnership', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('filed', sa.Date(), nullable=False),
    sa.Column('decide_by', sa.Date(), nullable=False),
    sa.Column('declaration_version', sa.String(length=10), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('decision_reason', sa.String(length=500), nullable=True),
    sa.Column('recognition_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['recognition_id'], ['wpd_recognitions.id'], name=op.f('fk_wpd_requests_recognition_id_wpd_recognitions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wpd_requests'))
    )
    op.create_index('ix_wpd_requests_due', 'wpd_requests', ['status', 'decide_by'], unique=False)
    op.create_index('ix_wpd_requests_sender', 'wpd_requests', ['sender', 'id'], unique=False)
    op.create_index('ix_wpd_requests_workplace', 'wpd_requests', ['establishment_number', 'opleiding'], unique=False)
    op.create_index('uq_wpd_requests_assigned', 'wpd_requests', ['establishment_number', 'opleiding'], unique=True, sqlite_where=sa.text("status = 'TOEGEWEZEN'"), postgresql_where=sa.text("status = 'TOEGEWEZEN'"))
    op.create_table('wpd_documents',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('request_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('mentor', sa.String(length=11), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['wpd_requests.id'], name=op.f('fk_wpd_documents_request_id_wpd_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wpd_documents'))
    )
    op.create_index(op.f('ix_wpd_documents_request_id'), 'wpd_documents', ['request_id'], unique=False)
    op.create_table('wpd_request_mentors',
    sa.Column('request_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('rijksregisternummer', sa.String(length=11), nullable=False),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('surname', sa.String(length=100), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('years_experience', sa.Integer(), nullable=False),
    sa.Column('relevant_prior_education', sa.Boolean(), nullable=False),
    sa.Column('commits_to_training', sa.Boolean(), nullable=False),
    sa.Column('extract_model', sa.String(length=5), nullable=True),
    sa.Column('extract_issued', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['wpd_requests.id'], name=op.f('fk_wpd_request_mentors_request_id_wpd_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('request_id', 'position', name=op.f('pk_wpd_request_mentors'))
    )
    op.create_table('wpd_tasks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('provider', sa.String(length=10), nullable=False),
    sa.Column('sequence', sa.BigInteger(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created', sa.Date(), nullable=False),
    sa.Column('agreement_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('trajectory_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('addendum_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('new_address', sa.JSON(), nullable=True),
    sa.Column('old_address', sa.JSON(), nullable=True),
    sa.Column('handled_option', sa.String(length=12), nullable=True),
    sa.Column('handled', sa.Date(), nullable=True),
    sa.Column('handled_reason', sa.String(length=500), nullable=True),
    sa.Column('handled_end', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['addendum_id'], ['wpd_addenda.id'], name=op.f('fk_wpd_tasks_addendum_id_wpd_addenda'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['agreement_id'], ['wpd_agreements.id'], name=op.f('fk_wpd_tasks_agreement_id_wpd_agreements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['trajectory_id'], ['wpd_trajectories.id'], name=op.f('fk_wpd_tasks_trajectory_id_wpd_trajectories'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wpd_tasks')),
    sa.UniqueConstraint('provider', 'key', name='uq_wpd_tasks_key'),
    sa.UniqueConstraint('provider', 'sequence', name='uq_wpd_tasks_sequence')
    )
    op.create_index('ix_wpd_tasks_agreement', 'wpd_tasks', ['agreement_id', 'status'], unique=False)
    op.create_index('ix_wpd_tasks_trajectory', 'wpd_tasks', ['trajectory_id', 'status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_wpd_tasks_trajectory', table_name='wpd_tasks')
    op.drop_index('ix_wpd_tasks_agreement', table_name='wpd_tasks')
    op.drop_table('wpd_tasks')
    op.drop_table('wpd_request_mentors')
    op.drop_index(op.f('ix_wpd_documents_request_id'), table_name='wpd_documents')
    op.drop_table('wpd_documents')
    op.drop_index('uq_wpd_requests_assigned', table_name='wpd_requests', sqlite_where=sa.text("status = 'TOEGEWEZEN'"), postgresql_where=sa.text("status = 'TOEGEWEZEN'"))
    op.drop_index('ix_wpd_requests_workplace', table_name='wpd_requests')
    op.drop_index('ix_wpd_requests_sender', table_name='wpd_requests')
    op.drop_index('ix_wpd_requests_due', table_name='wpd_requests')
    op.drop_table('wpd_requests')
    op.drop_table('wpd_recognition_mentors')
    op.drop_index(op.f('ix_wpd_addenda_agreement_id'), table_name='wpd_addenda')
    op.drop_table('wpd_addenda')
    op.drop_index('ix_wpd_trajectories_student', table_name='wpd_trajectories')
    op.drop_index('ix_wpd_trajectories_due', table_name='wpd_trajectories')
    op.drop_table('wpd_trajectories')
    op.drop_table('wpd_task_cursors')
    op.drop_index('ix_wpd_recognitions_workplace', table_name='wpd_recognitions')
    op.drop_index('ix_wpd_recognitions_search', table_name='wpd_recognitions')
    op.drop_table('wpd_recognitions')
    op.drop_table('wpd_kbo_syncs')
    op.drop_index('ix_wpd_agreements_workplace', table_name='wpd_agreements')
    op.drop_index('ix_wpd_agreements_student', table_name='wpd_agreements')
    op.drop_index('ix_wpd_agreements_provider', table_name='wpd_agreements')
    op.drop_table('wpd_agreements')
