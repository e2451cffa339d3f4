"""What every database test relies on: its writes through ``db_session``, even committed ones, are
seen by nobody else and gone when it ends (:func:`ketenserver.testing.rolled_back_sessions`).

On SQLite this holds only because the driver's own transaction control is taken over: without
that, a "committed" savepoint stays in the database after the rollback, and these tests fail.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ketenserver.exchange.storage import Organisation
from ketenserver.recognitions.storage import CompanyModel, CompanyWordModel
from ketenserver.testing import rolled_back_sessions
from tests import factories


def _stored(engine: Engine, oin: str) -> bool:
    """Whether a connection of its own (as the server's) finds the organisation."""
    with engine.connect() as connection:
        return connection.scalar(select(Organisation.oin).where(Organisation.oin == oin)) is not None


def test_a_commit_in_the_block_is_seen_inside_only_and_undone_at_its_end(engine: Engine) -> None:
    with rolled_back_sessions(engine) as sessions:
        with sessions() as session:
            made = factories.school(session)
            session.commit()
        with sessions() as later:  # another session of the test: the commit holds within it
            assert later.get(Organisation, made.oin) is not None
        assert not _stored(engine, made.oin)  # never committed for real
    assert not _stored(engine, made.oin)


def test_a_rollback_in_the_test_goes_back_to_its_last_commit(db_session: Session) -> None:
    kept = factories.school(db_session)
    db_session.commit()
    dropped = factories.school(db_session)
    db_session.rollback()
    assert db_session.get(Organisation, kept.oin) is not None
    assert db_session.get(Organisation, dropped.oin) is None
    factories.school(db_session)  # and the session goes on working
    db_session.commit()


_WRITTEN: dict[str, tuple[str, str]] = {}
"""What the first of the two tests below committed, per database: (OIN, leerbedrijf-id)."""


def test_first_a_test_commits_rows_through_the_fixture(db_session: Session, database_url: str) -> None:
    organisation = factories.school(db_session)
    made = factories.company(db_session, recognised_for=[factories.qualification(db_session)])
    db_session.commit()
    _WRITTEN[database_url] = (organisation.oin, made.leerbedrijf_id)


def test_then_those_rows_are_gone_for_the_next_test(engine: Engine, database_url: str) -> None:
    assert database_url in _WRITTEN, "run with the test above it (they go in file order)"
    oin, leerbedrijf_id = _WRITTEN[database_url]
    assert not _stored(engine, oin)
    with engine.connect() as connection:
        assert connection.scalar(select(CompanyModel.leerbedrijf_id)
                                 .where(CompanyModel.leerbedrijf_id == leerbedrijf_id)) is None
        assert connection.scalar(select(CompanyWordModel.word)
                                 .where(CompanyWordModel.leerbedrijf_id == leerbedrijf_id)) is None
