"""Tables of the exchange core: organisations, replay memory, stored replies and the journal."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    bindparam,
    delete,
    insert,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from ketenserver.db import Base

ORGANISATION_KINDS = ("school", "company", "vendor", "government", "provider", "coach")


class Organisation(Base):
    """Who may call: one row per OIN, as in the sector's certificate administration."""

    __tablename__ = "organisations"

    oin: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    brin: Mapped[str | None] = mapped_column(String(4), unique=True)
    kvk_number: Mapped[str | None] = mapped_column(String(8))


class Mandate(Base):
    """An intermediary (a hosting vendor) registered to act for an organisation."""

    __tablename__ = "mandates"

    intermediary_oin: Mapped[str] = mapped_column(ForeignKey("organisations.oin"), primary_key=True)
    organisation_oin: Mapped[str] = mapped_column(ForeignKey("organisations.oin"), primary_key=True)


class SeenSignature(Base):
    """Replay memory: the digest of every accepted SignatureValue until its Timestamp expires.

    It lives in the database so that every server process shares it; the primary key decides a
    race between two processes receiving the same bytes at once.
    """

    __tablename__ = "seen_signatures"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class StoredReply(Base):
    """The reply to a state-changing request, kept so a retry (same MessageID) gets it again."""

    __tablename__ = "stored_replies"

    organisation_oin: Mapped[str] = mapped_column(String(20), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    operation: Mapped[str] = mapped_column(String(100))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    """The response's Body child, serialised; headers and signature are made fresh per reply."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    request_digest: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 (hex) of the request's Body child in exclusive c14n: a retry must match it. None
    for replies stored before migration 0009."""


class SandboxClock(Base):
    """An organisation's sandbox clock: business time runs this far ahead of real time, or stands
    still at ``frozen_at``.

    Every feature's time-dependent rule runs on it (the pipeline puts it in ``CallContext.now``);
    message security never does (Timestamps are checked against real time). It is moved forward
    only (``ketenserver clock --advance|--to``); frozen (``--freeze``) it stands still until
    ``--resume``, after which it runs on from where it stood."""

    __tablename__ = "sandbox_clocks"

    organisation_oin: Mapped[str] = mapped_column(String(20), primary_key=True)
    offset_seconds: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    frozen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class JournalEntry(Base):
    """One exchange, accepted or refused. Never holds key material."""

    __tablename__ = "journal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str | None] = mapped_column(String(32), index=True)
    """The id every log line about this exchange carries (:mod:`ketenserver.logs`); none before 0007."""
    arrived_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    duration_ms: Mapped[float]
    endpoint: Mapped[str] = mapped_column(String(200))
    profile: Mapped[str | None] = mapped_column(String(10))
    tls_oin: Mapped[str | None] = mapped_column(String(20), index=True)
    tls_subject: Mapped[str | None] = mapped_column(String(500))
    signer_oin: Mapped[str | None] = mapped_column(String(20))
    signer_subject: Mapped[str | None] = mapped_column(String(500))
    organisation_oin: Mapped[str | None] = mapped_column(String(20), index=True)
    operation: Mapped[str | None] = mapped_column(String(100), index=True)
    message_id: Mapped[str | None] = mapped_column(String(300))
    outcome: Mapped[str] = mapped_column(String(10), index=True)
    """accepted, refused or retried (a retry answered from the stored reply)."""
    verdict: Mapped[str] = mapped_column(String(500))
    fault_code: Mapped[str | None] = mapped_column(String(20))
    injected: Mapped[str | None] = mapped_column(String(100))
    """``scenario:kind`` when a loaded scenario chose the answer (:mod:`ketenserver.scenarios`)."""
    request_size: Mapped[int]
    request: Mapped[bytes] = mapped_column(LargeBinary)
    response_size: Mapped[int]
    response: Mapped[bytes] = mapped_column(LargeBinary)
    body_cap: Mapped[int]
    """The cap in force when the entry was written: request/response beyond it were cut off."""


_INSERT_SEEN = insert(SeenSignature.__table__)  # type: ignore[arg-type]  # a Table, typed as FromClause
_INSERT_JOURNAL = insert(JournalEntry.__table__)  # type: ignore[arg-type]
_SELECT_CLOCK = select(SandboxClock.offset_seconds, SandboxClock.frozen_at).where(
    SandboxClock.organisation_oin == bindparam("oin"))
"""On every request's path: one compiled statement, run on the connection (no ORM round)."""


# --- queries -------------------------------------------------------------------------------


def find_organisation(session: Session, oin: str) -> Organisation | None:
    return session.get(Organisation, oin)


def may_act_for(session: Session, intermediary_oin: str, organisation_oin: str) -> bool:
    return session.get(Mandate, (intermediary_oin, organisation_oin)) is not None


def remember_signature(session: Session, digest: str, expires_at: datetime) -> bool:
    """Record a signature; False when it was already seen (a replay). Commits on its own.

    Runs in its own short transaction before the request's work, so that two processes racing
    with the same bytes are decided by the primary key and only one proceeds. A Core insert:
    this runs on every request and needs no unit of work.
    """
    try:
        add_seen_signature(session, digest, expires_at)
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def add_seen_signature(session: Session, digest: str, expires_at: datetime) -> None:
    """Insert into the replay memory; raises IntegrityError when the signature was seen."""
    # Parameters passed apart from the statement: one cached compiled insert for all calls.
    session.connection().execute(_INSERT_SEEN, {"digest": digest, "expires_at": expires_at})


def forget_expired_signatures(session: Session, now: datetime) -> None:
    """Drop replay memory whose Timestamp window has passed (a replay would be stale anyway)."""
    session.execute(delete(SeenSignature).where(SeenSignature.expires_at < now))
    session.commit()


@dataclass(frozen=True)
class ClockState:
    """An organisation's sandbox clock as stored: its offset from real time, or where it stands frozen."""

    offset: timedelta
    frozen_at: datetime | None

    def at(self, now: datetime) -> datetime:
        """Business time at real time ``now``, in whole seconds."""
        if self.frozen_at is not None:
            return self.frozen_at
        return now.replace(microsecond=0) + self.offset


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # SQLite keeps no zone


def clock_state(session: Session, oin: str) -> ClockState:
    """The organisation's sandbox clock (running at real time until moved)."""
    return _state(session.connection().execute(_SELECT_CLOCK, {"oin": oin}).first())


def _state(row: Any) -> ClockState:
    if row is None:
        return ClockState(timedelta(0), None)
    return ClockState(timedelta(seconds=int(row[0] or 0)), None if row[1] is None else _aware(row[1]))


def clock_offset(session: Session, oin: str) -> timedelta:
    """How far the organisation's sandbox clock runs ahead of real time (zero until moved)."""
    return clock_state(session, oin).offset


def business_now(session: Session, oin: str, now: datetime) -> datetime:
    """The organisation's sandbox clock at real time *now*, in whole seconds (or where it stands frozen)."""
    return clock_state(session, oin).at(now)


def _upsert(session: Session) -> Any:
    """The dialect's INSERT with ON CONFLICT (PostgreSQL or SQLite)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _set_clock(session: Session, oin: str, offset: timedelta, frozen_at: datetime | None) -> ClockState:
    upsert = _upsert(session)
    seconds = int(offset.total_seconds())
    values = {"offset_seconds": seconds, "frozen_at": frozen_at}
    session.execute(upsert(SandboxClock).values(organisation_oin=oin, **values)
                    .on_conflict_do_update(index_elements=[SandboxClock.organisation_oin], set_=values))
    return ClockState(timedelta(seconds=seconds), frozen_at)


def _locked_state(session: Session, oin: str) -> ClockState:
    """The clock read for a change: its row made if missing, then locked, so that two changes at
    once are applied one after the other (SQLite writes one transaction at a time anyway)."""
    upsert = _upsert(session)
    session.execute(upsert(SandboxClock).values(organisation_oin=oin, offset_seconds=0).on_conflict_do_nothing())
    return _state(session.execute(select(SandboxClock.offset_seconds, SandboxClock.frozen_at)
                                  .where(SandboxClock.organisation_oin == oin).with_for_update()).first())


def move_clock(session: Session, oin: str, by: timedelta, *, now: datetime | None = None) -> timedelta:
    """Move an organisation's sandbox clock forward by *by* (a frozen one stays frozen, that much
    later); returns the new offset."""
    if by < timedelta(0):
        raise ValueError("the sandbox clock only moves forward")
    state = _locked_state(session, oin)
    if state.frozen_at is not None:
        moment = state.frozen_at + by
        return _set_clock(session, oin, moment - (now or datetime.now(UTC)).replace(microsecond=0), moment).offset
    return _set_clock(session, oin, state.offset + by, None).offset


def set_clock(session: Session, oin: str, to: datetime, *, now: datetime) -> ClockState:
    """Set the clock ahead to *to* (never back: ValueError); a frozen clock stays frozen there."""
    state = _locked_state(session, oin)
    current = state.at(now)
    if to < current:
        raise ValueError(f"the sandbox clock only moves forward: it reads {current.isoformat()} already")
    return _set_clock(session, oin, to - now.replace(microsecond=0), to if state.frozen_at is not None else None)


def freeze_clock(session: Session, oin: str, *, now: datetime) -> ClockState:
    """Stop the clock where it stands (frozen already: unchanged)."""
    state = _locked_state(session, oin)
    if state.frozen_at is not None:
        return state
    return _set_clock(session, oin, state.offset, state.at(now))


def resume_clock(session: Session, oin: str, *, now: datetime) -> ClockState:
    """Let a frozen clock run again from where it stands (running already: unchanged)."""
    state = _locked_state(session, oin)
    if state.frozen_at is None:
        return state
    return _set_clock(session, oin, state.frozen_at - now.replace(microsecond=0), None)


def stored_reply(session: Session, organisation_oin: str, message_id: str) -> StoredReply | None:
    return session.get(StoredReply, (organisation_oin, message_id))


def add_journal_entry(session: Session, values: dict[str, object]) -> None:
    session.connection().execute(_INSERT_JOURNAL, values)


def journal_page(
    session: Session,
    *,
    oin: str | None = None,
    operation: str | None = None,
    outcome: str | None = None,
    limit: int = 50,
) -> Sequence[JournalEntry]:
    query = select(JournalEntry).order_by(JournalEntry.id.desc()).limit(limit)
    if oin:
        query = query.where((JournalEntry.organisation_oin == oin) | (JournalEntry.tls_oin == oin))
    if operation:
        query = query.where(JournalEntry.operation == operation)
    if outcome:
        query = query.where(JournalEntry.outcome == outcome)
    return session.scalars(query).all()


def journal_entry_for_request(session: Session, request_id: str) -> JournalEntry | None:
    """The journal entry a log line's ``request_id`` names."""
    query = select(JournalEntry).where(JournalEntry.request_id == request_id).order_by(JournalEntry.id).limit(1)
    return session.scalars(query).first()


def purge_journal(
    session: Session,
    *,
    before: datetime | None = None,
    oin: str | None = None,
    batch_size: int = 1000,
    writes: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext,
) -> int:
    """Delete the journal entries that arrived before *before* and/or concern organisation *oin*.

    An entry concerns an organisation when it is the organisation, the TLS client or the signer.
    Both given: only that organisation's entries older than *before*. Works in batches of
    *batch_size* entries in id order, each its own short transaction (held under *writes*), so a
    large journal is never locked for long and the requests being journalled meanwhile wait at most
    one batch. Commits on its own; returns how many entries were removed.
    """
    if before is None and oin is None:
        raise ValueError("purging the journal needs a date, an organisation or both")
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    conditions = []
    if before is not None:
        conditions.append(JournalEntry.arrived_at < before)
    if oin is not None:
        conditions.append(or_(JournalEntry.organisation_oin == oin, JournalEntry.tls_oin == oin,
                              JournalEntry.signer_oin == oin))
    removed, after = 0, 0
    while True:
        with writes():
            # The id of the batch's last entry bounds the delete: no IN list of ids, and each
            # batch goes on from where the last one stopped instead of scanning from the start.
            last = session.scalar(select(JournalEntry.id).where(*conditions, JournalEntry.id > after)
                                  .order_by(JournalEntry.id).offset(batch_size - 1).limit(1))
            statement = delete(JournalEntry).where(*conditions, JournalEntry.id > after)
            if last is not None:
                statement = statement.where(JournalEntry.id <= last)
            removed += session.connection().execute(statement).rowcount
            session.commit()
        if last is None:
            return removed
        after = last


def register_organisation(
    session: Session, *, oin: str, name: str, kind: str, brin: str | None = None, kvk_number: str | None = None
) -> Organisation:
    """Add or update an organisation (idempotent)."""
    if kind not in ORGANISATION_KINDS:
        raise ValueError(f"kind must be one of {', '.join(ORGANISATION_KINDS)}")
    organisation = session.get(Organisation, oin) or Organisation(oin=oin)
    organisation.name, organisation.kind = name, kind
    organisation.brin, organisation.kvk_number = brin, kvk_number
    session.add(organisation)
    return organisation


def grant_mandate(session: Session, *, intermediary_oin: str, organisation_oin: str) -> None:
    if session.get(Mandate, (intermediary_oin, organisation_oin)) is None:
        session.add(Mandate(intermediary_oin=intermediary_oin, organisation_oin=organisation_oin))


def organisations(session: Session) -> Sequence[Organisation]:
    return session.scalars(select(Organisation).order_by(Organisation.kind, Organisation.oin)).all()


def mandates(session: Session) -> Sequence[Mandate]:
    return session.scalars(select(Mandate)).all()
