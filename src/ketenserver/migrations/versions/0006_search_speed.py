"""search speed: recognitions carry their company's country; search words carry all of a company's words

``sbb_company_words`` is derived from the companies' names and places, so it is built anew here by
today's rule (:func:`ketenserver.recognitions.storage.word_rows`), as a table without rowid on
SQLite (the rows are the primary key's index) and with ``names`` and ``places`` included in the
primary key's index on PostgreSQL. Recognitions get their company's country copied in.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 11:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_OLD_INDEXES = {
    'ix_sbb_recognitions_crebo_current': ['crebo', 'leerbedrijf_id', 'start_date', 'end_date', 'withdrawn_on'],
    'ix_sbb_recognitions_company_current': ['leerbedrijf_id', 'start_date', 'end_date', 'withdrawn_on'],
}
_NEW_INDEXES = {
    'ix_sbb_recognitions_crebo_current': ['crebo', 'country_code', 'leerbedrijf_id', 'start_date', 'end_date',
                                          'withdrawn_on'],
    'ix_sbb_recognitions_company_current': ['leerbedrijf_id', 'start_date', 'end_date', 'withdrawn_on', 'crebo',
                                            'country_code'],
}
_BATCH = 10_000


def upgrade() -> None:
    with op.batch_alter_table('sbb_recognitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('country_code', sa.String(length=2), nullable=True))
    op.execute("UPDATE sbb_recognitions SET country_code = (SELECT c.country_code FROM sbb_companies c"
               " WHERE c.leerbedrijf_id = sbb_recognitions.leerbedrijf_id)")
    with op.batch_alter_table('sbb_recognitions', schema=None) as batch_op:
        batch_op.alter_column('country_code', existing_type=sa.String(length=2), nullable=False)
        for name, columns in _NEW_INDEXES.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, columns, unique=False)

    op.drop_table('sbb_company_words')
    op.create_table('sbb_company_words',
    sa.Column('kind', sa.String(length=1), nullable=False),
    sa.Column('word', sa.String(length=40), nullable=False),
    sa.Column('leerbedrijf_id', sa.String(length=9), nullable=False),
    sa.Column('names', sa.String(length=500), nullable=False),
    sa.Column('places', sa.String(length=200), nullable=False),
    sa.CheckConstraint("kind IN ('n', 'p')", name=op.f('ck_sbb_company_words_kind_name_or_place')),
    sa.ForeignKeyConstraint(['leerbedrijf_id'], ['sbb_companies.leerbedrijf_id'], name=op.f('fk_sbb_company_words_leerbedrijf_id_sbb_companies')),
    sa.PrimaryKeyConstraint('kind', 'word', 'leerbedrijf_id', name=op.f('pk_sbb_company_words'),
                            postgresql_include=['names', 'places']),
    sqlite_with_rowid=False,
    )
    op.create_index('ix_sbb_company_words_company', 'sbb_company_words', ['kind', 'leerbedrijf_id', 'word'],
                    unique=False)
    _index_companies('kind', 'word', 'leerbedrijf_id', 'names', 'places')


def downgrade() -> None:
    op.drop_index('ix_sbb_company_words_company', table_name='sbb_company_words')
    op.drop_table('sbb_company_words')
    op.create_table('sbb_company_words',
    sa.Column('kind', sa.String(length=1), nullable=False),
    sa.Column('word', sa.String(length=40), nullable=False),
    sa.Column('leerbedrijf_id', sa.String(length=9), nullable=False),
    sa.CheckConstraint("kind IN ('n', 'p')", name=op.f('ck_sbb_company_words_kind_name_or_place')),
    sa.ForeignKeyConstraint(['leerbedrijf_id'], ['sbb_companies.leerbedrijf_id'], name=op.f('fk_sbb_company_words_leerbedrijf_id_sbb_companies')),
    sa.PrimaryKeyConstraint('kind', 'word', 'leerbedrijf_id', name=op.f('pk_sbb_company_words'))
    )
    _index_companies('kind', 'word', 'leerbedrijf_id')

    with op.batch_alter_table('sbb_recognitions', schema=None) as batch_op:
        for name, columns in _OLD_INDEXES.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, columns, unique=False)
        batch_op.drop_column('country_code')


def _index_companies(*columns: str) -> None:
    """The search words of every company (only *columns* of each row), by the rule of today."""
    from ketenserver.recognitions.storage import word_rows

    companies = sa.table("sbb_companies", sa.column("leerbedrijf_id"), sa.column("name"), sa.column("place"))
    words = sa.table("sbb_company_words", *(sa.column(name) for name in columns))
    found = op.get_bind().execute(sa.select(companies)).all()
    for start in range(0, len(found), _BATCH):
        rows = [{name: row[name] for name in columns}
                for company in found[start:start + _BATCH] for row in word_rows(*company)]
        if rows:
            op.bulk_insert(words, rows)
