"""Purging the journal: per organisation, before a date, in batches, and by the retention job."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ketenserver.exchange.journal import Exchange, Journal, JournalRetention
from ketenserver.exchange.storage import JournalEntry, purge_journal
from tests import factories

LONG_AGO = datetime(1999, 1, 1, tzinfo=UTC)
"""Before anything other tests journal, so purging up to a date near it touches only these entries."""


def _add(session: Session, *, arrived_at: datetime = LONG_AGO, organisation: str | None = None,
         tls: str | None = None, signer: str | None = None, count: int = 1) -> None:
    factories.journal_entries(session, count, arrived_at=arrived_at, organisation=organisation, tls=tls,
                              signer=signer)
    session.commit()  # as the journal does (a savepoint of the test's transaction)


def _count(session: Session, *conditions) -> int:
    return session.scalar(select(func.count()).select_from(JournalEntry).where(*conditions)) or 0


def _concerning(oin: str):
    return (JournalEntry.organisation_oin == oin) | (JournalEntry.tls_oin == oin) | (JournalEntry.signer_oin == oin)


def test_purge_by_organisation_takes_every_role_and_nothing_else(db_session: Session) -> None:
    school, other = factories.fresh_oin(), factories.fresh_oin()
    _add(db_session, organisation=school, tls=other, signer=other)  # a vendor acting for the school
    _add(db_session, organisation=other, tls=school, signer=school)
    _add(db_session, organisation=other, tls=other, signer=school)
    _add(db_session, organisation=other, tls=other, signer=other, count=2)
    assert purge_journal(db_session, oin=school) == 3
    assert _count(db_session, _concerning(school)) == 0
    assert _count(db_session, _concerning(other)) == 2


def test_purge_before_a_date_in_batches(db_session: Session) -> None:
    oin = factories.fresh_oin()
    _add(db_session, organisation=oin, arrived_at=LONG_AGO - timedelta(days=2), count=7)
    _add(db_session, organisation=oin, arrived_at=LONG_AGO + timedelta(days=2), count=2)
    assert purge_journal(db_session, before=LONG_AGO, batch_size=3) == 7
    assert purge_journal(db_session, before=LONG_AGO, batch_size=3) == 0
    assert _count(db_session, _concerning(oin)) == 2


def test_purge_by_organisation_and_date_needs_both(db_session: Session) -> None:
    oin, other = factories.fresh_oin(), factories.fresh_oin()
    _add(db_session, organisation=oin, arrived_at=LONG_AGO - timedelta(days=1))
    _add(db_session, organisation=oin, arrived_at=LONG_AGO + timedelta(days=1))
    _add(db_session, organisation=other, arrived_at=LONG_AGO - timedelta(days=1))
    assert purge_journal(db_session, oin=oin, before=LONG_AGO) == 1
    assert _count(db_session, _concerning(oin)) == 1 and _count(db_session, _concerning(other)) == 1


def test_purge_without_criteria_is_refused(db_session: Session) -> None:
    with pytest.raises(ValueError, match="needs"):
        purge_journal(db_session)


def test_batches_are_held_under_the_write_lock(db_session: Session) -> None:
    oin = factories.fresh_oin()
    _add(db_session, organisation=oin, count=5)
    held = []
    lock = threading.Lock()

    class Writes:
        def __enter__(self) -> None:
            lock.acquire()
            held.append(1)

        def __exit__(self, *exc: object) -> None:
            lock.release()

    assert purge_journal(db_session, oin=oin, batch_size=2, writes=Writes) == 5
    assert len(held) == 3  # 2 + 2 + the rest


def test_retention_job_removes_what_is_older_than_the_period(db_session: Session,
                                                             db_sessions: sessionmaker[Session]) -> None:
    oin = factories.fresh_oin()
    now = LONG_AGO + timedelta(days=30)
    _add(db_session, organisation=oin, arrived_at=now - timedelta(days=31), count=3)
    _add(db_session, organisation=oin, arrived_at=now - timedelta(days=29))
    job = JournalRetention(db_sessions, retention_days=30, clock=lambda: now, batch_size=2)
    assert job.run_once() == 3
    _add(db_session, organisation=oin, arrived_at=now - timedelta(days=40))
    assert job.run_once() == 0  # at most once every ``every`` seconds
    assert JournalRetention(db_sessions, retention_days=30, clock=lambda: now, every=0).run_once() == 1
    assert _count(db_session, _concerning(oin)) == 1
    job.close()


def test_retention_zero_keeps_everything(db_session: Session, db_sessions: sessionmaker[Session]) -> None:
    oin = factories.fresh_oin()
    _add(db_session, organisation=oin, count=2)
    assert JournalRetention(db_sessions, retention_days=0, clock=lambda: datetime.now(UTC)).run_once() == 0
    assert _count(db_session, _concerning(oin)) == 2


def test_entries_outside_a_request_still_get_a_request_id(db_session: Session,
                                                          db_sessions: sessionmaker[Session]) -> None:
    """Delivery attempts (the server as client) are journalled with an id of their own."""
    oin = factories.fresh_oin()
    journal = Journal(db_sessions, body_cap=1024)
    first = Exchange(arrived_at=LONG_AGO, endpoint="https://school.example/ontvanger", organisation_oin=oin)
    second = Exchange(arrived_at=LONG_AGO, endpoint="https://school.example/ontvanger", organisation_oin=oin)
    assert first.request_id != second.request_id
    journal.record(first, 1.0)
    stored = db_session.scalars(select(JournalEntry.request_id).where(_concerning(oin))).one()
    assert stored == first.request_id
