"""Purging the journal: per organisation, before a date, in batches, and by the retention job."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ketenserver.exchange.journal import Exchange, Journal, JournalRetention
from ketenserver.exchange.storage import JournalEntry, add_journal_entry, purge_journal

LONG_AGO = datetime(1999, 1, 1, tzinfo=UTC)
"""Before anything other tests journal, so purging up to a date near it touches only these entries."""


@pytest.fixture
def new_oin(engine):
    """``new_oin()``: an OIN no other entry names; the test's entries are purged afterwards."""
    made: list[str] = []

    def make() -> str:
        made.append(f"9{uuid.uuid4().int % 10**19:019d}")
        return made[-1]

    yield make
    with Session(engine) as session:
        for oin in made:
            purge_journal(session, oin=oin)


def _add(engine, *, arrived_at: datetime = LONG_AGO, organisation: str | None = None, tls: str | None = None,
         signer: str | None = None, count: int = 1) -> None:
    with Session(engine) as session:
        for _ in range(count):
            add_journal_entry(session, {
                "request_id": uuid.uuid4().hex, "arrived_at": arrived_at, "duration_ms": 1.0, "endpoint": "/t",
                "profile": "2W-be-S", "tls_oin": tls, "tls_subject": None, "signer_oin": signer,
                "signer_subject": None, "organisation_oin": organisation, "operation": "Test", "message_id": None,
                "outcome": "accepted", "verdict": "test", "fault_code": None, "request_size": 4,
                "request": b"<x/>", "response_size": 4, "response": b"<y/>", "body_cap": 4})
        session.commit()


def _count(engine, *conditions) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(JournalEntry).where(*conditions)) or 0


def _concerning(oin: str):
    return (JournalEntry.organisation_oin == oin) | (JournalEntry.tls_oin == oin) | (JournalEntry.signer_oin == oin)


def test_purge_by_organisation_takes_every_role_and_nothing_else(engine, new_oin):
    school, other = new_oin(), new_oin()
    _add(engine, organisation=school, tls=other, signer=other)  # a vendor acting for the school
    _add(engine, organisation=other, tls=school, signer=school)
    _add(engine, organisation=other, tls=other, signer=school)
    _add(engine, organisation=other, tls=other, signer=other, count=2)
    with Session(engine) as session:
        assert purge_journal(session, oin=school) == 3
    assert _count(engine, _concerning(school)) == 0
    assert _count(engine, _concerning(other)) == 2


def test_purge_before_a_date_in_batches(engine, new_oin):
    oin = new_oin()
    _add(engine, organisation=oin, arrived_at=LONG_AGO - timedelta(days=2), count=7)
    _add(engine, organisation=oin, arrived_at=LONG_AGO + timedelta(days=2), count=2)
    with Session(engine) as session:
        assert purge_journal(session, before=LONG_AGO, batch_size=3) == 7
        assert purge_journal(session, before=LONG_AGO, batch_size=3) == 0
    assert _count(engine, _concerning(oin)) == 2


def test_purge_by_organisation_and_date_needs_both(engine, new_oin):
    oin, other = new_oin(), new_oin()
    _add(engine, organisation=oin, arrived_at=LONG_AGO - timedelta(days=1))
    _add(engine, organisation=oin, arrived_at=LONG_AGO + timedelta(days=1))
    _add(engine, organisation=other, arrived_at=LONG_AGO - timedelta(days=1))
    with Session(engine) as session:
        assert purge_journal(session, oin=oin, before=LONG_AGO) == 1
    assert _count(engine, _concerning(oin)) == 1 and _count(engine, _concerning(other)) == 1


def test_purge_without_criteria_is_refused(engine):
    with Session(engine) as session, pytest.raises(ValueError, match="needs"):
        purge_journal(session)


def test_batches_are_held_under_the_write_lock(engine, new_oin):
    oin = new_oin()
    _add(engine, organisation=oin, count=5)
    held = []
    lock = threading.Lock()

    class Writes:
        def __enter__(self) -> None:
            lock.acquire()
            held.append(1)

        def __exit__(self, *exc: object) -> None:
            lock.release()

    with Session(engine) as session:
        assert purge_journal(session, oin=oin, batch_size=2, writes=Writes) == 5
    assert len(held) == 3  # 2 + 2 + the rest


def test_retention_job_removes_what_is_older_than_the_period(engine, new_oin):
    oin = new_oin()
    now = LONG_AGO + timedelta(days=30)
    _add(engine, organisation=oin, arrived_at=now - timedelta(days=31), count=3)
    _add(engine, organisation=oin, arrived_at=now - timedelta(days=29))
    sessions = sessionmaker(engine)
    job = JournalRetention(sessions, retention_days=30, clock=lambda: now, batch_size=2)
    assert job.run_once() == 3
    _add(engine, organisation=oin, arrived_at=now - timedelta(days=40))
    assert job.run_once() == 0  # at most once every ``every`` seconds
    assert JournalRetention(sessions, retention_days=30, clock=lambda: now, every=0).run_once() == 1
    assert _count(engine, _concerning(oin)) == 1
    job.close()


def test_retention_zero_keeps_everything(engine, new_oin):
    oin = new_oin()
    _add(engine, organisation=oin, count=2)
    assert JournalRetention(sessionmaker(engine), retention_days=0, clock=lambda: datetime.now(UTC)).run_once() == 0
    assert _count(engine, _concerning(oin)) == 2


def test_entries_outside_a_request_still_get_a_request_id(engine, new_oin):
    """Delivery attempts (the server as client) are journalled with an id of their own."""
    oin = new_oin()
    journal = Journal(sessionmaker(engine), body_cap=1024)
    first = Exchange(arrived_at=LONG_AGO, endpoint="https://school.example/ontvanger", organisation_oin=oin)
    second = Exchange(arrived_at=LONG_AGO, endpoint="https://school.example/ontvanger", organisation_oin=oin)
    assert first.request_id != second.request_id
    journal.record(first, 1.0)
    with Session(engine) as session:
        stored = session.scalars(select(JournalEntry.request_id).where(_concerning(oin))).one()
    assert stored == first.request_id
