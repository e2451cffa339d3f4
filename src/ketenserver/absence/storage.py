"""The absence counter's tables, and the adapters that implement its ports over them.

The feature reaches storage through ports (:mod:`~ketenserver.absence.ports`), so that only this
module knows SQLAlchemy: :class:`SqlReportBook` is one school's :class:`~ports.ReportBook` over a
session, :class:`SqlReportBooks` every school's, :func:`units` the background job's units of work.
Rows never leave this module; the adapters answer with the values of
:mod:`~ketenserver.absence.domain`.

Every query of a book is narrowed to its school's OIN: a school never reads or changes another
school's reports. Each change of a school's data takes the school's next change number from its
row in ``verzuim_scholen`` with one ``UPDATE ... RETURNING``; that row lock is held until the
transaction ends, so a school's changes commit in the order of their numbers and a reader that
pages by number never skips one that commits later. The school's sandbox clock is the core's
(:func:`ketenserver.exchange.storage.business_now`).

One report per school, student, kind and period: the unique constraint
``uq_verzuim_meldingen_identity`` decides, not a look-up before the insert
(:meth:`SqlReportBook.add_report` turns its violation into :class:`~ports.DuplicateIdentity`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, selectinload, sessionmaker

from ketenserver.absence import domain
from ketenserver.absence.ports import DueStep, DuplicateIdentity
from ketenserver.dates import DUTCH_TIME
from ketenserver.db import Base
from ketenserver.exchange.storage import business_now, find_organisation

SERIAL_DIGITS = 6


class School(Base):
    """A school's state at the counter: its last change number (its clock is the core's sandbox clock)."""

    __tablename__ = "verzuim_scholen"

    organisation_oin: Mapped[str] = mapped_column(String(20), primary_key=True)
    last_change: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class ReportRow(Base):
    __tablename__ = "verzuim_meldingen"
    __table_args__ = (
        UniqueConstraint("organisation_oin", "student_key", "kind", "period_start", "period_end",
                         name="uq_verzuim_meldingen_identity"),
        UniqueConstraint("organisation_oin", "change_number", name="uq_verzuim_meldingen_change"),
        Index("ix_verzuim_meldingen_next_step", "organisation_oin", "next_step_at"),
        Index("ix_verzuim_meldingen_closed", "organisation_oin", "closed_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    registered_year: Mapped[int] = mapped_column(Integer)
    organisation_oin: Mapped[str] = mapped_column(String(20))
    student_key: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(40))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(30))
    registered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    change_number: Mapped[int] = mapped_column(BigInteger)
    previous: Mapped[str | None] = mapped_column(String(14))
    municipality_code: Mapped[str] = mapped_column(String(4))
    municipality_name: Mapped[str] = mapped_column(String(80))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    """What the school reported (student, school, reporter, texts), as :func:`_content` writes it."""
    withdrawal_reason: Mapped[str | None] = mapped_column(String(200))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    next_step_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    """When the municipality acts next (sandbox clock of the school); None once closed."""
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    """When the report reached a closed status (sandbox clock); clean-up counts from here."""

    attachments: Mapped[list[AttachmentRow]] = relationship(
        order_by="AttachmentRow.position", cascade="all, delete-orphan", passive_deletes=True)
    days: Mapped[list[DayRow]] = relationship(
        order_by="DayRow.day", cascade="all, delete-orphan", passive_deletes=True)
    replies: Mapped[list[ReplyRow]] = relationship(
        order_by="ReplyRow.sequence", cascade="all, delete-orphan", passive_deletes=True)

    @property
    def meldingnummer(self) -> str:
        return format_meldingnummer(self.registered_year, self.id)


class AttachmentRow(Base):
    __tablename__ = "verzuim_bijlagen"

    report_id: Mapped[int] = mapped_column(ForeignKey("verzuim_meldingen.id", ondelete="CASCADE"),
                                           primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class DayRow(Base):
    __tablename__ = "verzuim_dagen"

    report_id: Mapped[int] = mapped_column(ForeignKey("verzuim_meldingen.id", ondelete="CASCADE"),
                                           primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    whole_day: Mapped[bool] = mapped_column(Boolean)
    lesson_hours: Mapped[str] = mapped_column(String(30))
    """Comma-separated hours, empty for a whole day."""


class ReplyRow(Base):
    __tablename__ = "verzuim_terugmeldingen"
    __table_args__ = (
        UniqueConstraint("organisation_oin", "sequence", name="uq_verzuim_terugmeldingen_sequence"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("verzuim_meldingen.id", ondelete="CASCADE"), index=True)
    organisation_oin: Mapped[str] = mapped_column(String(20))
    sequence: Mapped[int] = mapped_column(BigInteger)
    meldingnummer: Mapped[str] = mapped_column(String(14))
    status: Mapped[str] = mapped_column(String(30))
    handler_name: Mapped[str] = mapped_column(String(200))
    handler_phone: Mapped[str] = mapped_column(String(20))
    handler_email: Mapped[str] = mapped_column(String(254))
    explanation: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


# --- Report numbers ------------------------------------------------------------------------------


def format_meldingnummer(year: int, serial: int) -> str:
    return f"{year:04d}{serial:0{SERIAL_DIGITS}d}"


def parse_meldingnummer(number: str) -> tuple[int, int] | None:
    if not (10 <= len(number) <= 14 and number.isdigit()):
        return None
    serial = number[4:]
    if len(serial) > SERIAL_DIGITS and serial.startswith("0"):
        return None  # one number per report: no zero-padding beyond six digits
    return int(number[:4]), int(serial)


def find_report_anywhere(session: Session, meldingnummer: str) -> ReportRow | None:
    """The row itself, of any school: for tests and tools that look at what is stored (the
    counter and the municipalities go through :class:`SqlReportBook`)."""
    parsed = parse_meldingnummer(meldingnummer)
    if parsed is None:
        return None
    row = session.get(ReportRow, parsed[1])
    return row if row is not None and row.registered_year == parsed[0] else None


# --- Report contents -----------------------------------------------------------------------------


def _content(report: domain.NewReport) -> dict[str, Any]:
    content = dataclasses.asdict(dataclasses.replace(report, attachments=()))
    content["student"]["birth_date"] = report.student.birth_date.isoformat()
    content["period"] = {"start": report.period.start.isoformat(), "end": report.period.end.isoformat()}
    del content["attachments"]
    return content


def _new_report(content: dict[str, Any]) -> domain.NewReport:
    student = dict(content["student"])
    student["birth_date"] = dt.date.fromisoformat(student["birth_date"])
    student["address"] = domain.Address(**student["address"])
    fields = dict(content)
    fields["student"] = domain.Student(**student)
    fields["reporter"] = domain.Reporter(**content["reporter"])
    fields["period"] = domain.Period(dt.date.fromisoformat(content["period"]["start"]),
                                     dt.date.fromisoformat(content["period"]["end"]))
    return domain.NewReport(**fields)


# --- One school's book ---------------------------------------------------------------------------


class SqlReportBook:
    """:class:`~ketenserver.absence.ports.ReportBook` over a session, for one organisation."""

    def __init__(self, session: Session, organisation_oin: str) -> None:
        self._session = session
        self._oin = organisation_oin

    def _advance(self, by: int) -> int:
        """Add *by* to the school's last change number and return it; the row stays locked until the
        transaction ends. The school's first change creates its row."""
        statement = (update(School).where(School.organisation_oin == self._oin)
                     .values(last_change=School.last_change + by).returning(School.last_change))
        number = self._session.execute(statement).scalar_one_or_none()
        if number is None:
            dialect = self._session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            self._session.execute(insert(School).values(organisation_oin=self._oin).on_conflict_do_nothing())
            number = self._session.execute(statement).scalar_one()
        return int(number)

    def next_change(self) -> int:
        return self._advance(1)

    def lock(self) -> None:
        self._advance(0)

    def last_change(self) -> int:
        value = self._session.scalar(select(School.last_change).where(School.organisation_oin == self._oin))
        return int(value or 0)

    def now(self, real: dt.datetime) -> dt.datetime:
        return business_now(self._session, self._oin, real)

    def registered_brin(self) -> str | None:
        organisation = find_organisation(self._session, self._oin)
        return None if organisation is None else organisation.brin

    def add_report(
        self, report: domain.NewReport, *, change: int, at: dt.datetime, municipality: domain.Municipality,
        attachments: Sequence[domain.AttachmentInfo], next_step_at: dt.datetime, previous: str | None = None,
    ) -> str:
        """The insert runs in a SAVEPOINT, so a duplicate undoes only the insert and the existing
        report's number is read in the same transaction (the caller's school lock came first, so the
        other report has committed)."""
        row = ReportRow(
            registered_year=at.astimezone(DUTCH_TIME).year, organisation_oin=self._oin,
            student_key=report.student.key, kind=report.kind, period_start=report.period.start,
            period_end=report.period.end, status=domain.Status.GEREGISTREERD, registered_at=at, change_number=change,
            previous=previous, municipality_code=municipality.code, municipality_name=municipality.name,
            content=_content(report), next_step_at=next_step_at,
        )
        row.attachments = [
            AttachmentRow(position=position, file_name=info.file_name, media_type=info.media_type, size=info.size,
                          sha256=info.sha256, content=attachment.content)
            for position, (info, attachment) in enumerate(zip(attachments, report.attachments, strict=True), start=1)
        ]
        try:
            with self._session.begin_nested():
                self._session.add(row)
        except IntegrityError:
            existing = self._session.scalars(select(ReportRow).where(
                ReportRow.organisation_oin == self._oin, ReportRow.student_key == report.student.key,
                ReportRow.kind == report.kind, ReportRow.period_start == report.period.start,
                ReportRow.period_end == report.period.end)).first()
            if existing is None:  # not the identity constraint: a real error
                raise
            raise DuplicateIdentity(existing.meldingnummer) from None
        return row.meldingnummer

    def report(self, meldingnummer: str) -> domain.Report | None:
        parsed = parse_meldingnummer(meldingnummer)
        if parsed is None:
            return None
        year, serial = parsed
        row = self._session.scalars(
            select(ReportRow).where(ReportRow.id == serial, ReportRow.registered_year == year,
                                    ReportRow.organisation_oin == self._oin)
            .options(selectinload(ReportRow.attachments), selectinload(ReportRow.days),
                     selectinload(ReportRow.replies))
        ).first()
        return None if row is None else _report(row)

    def _row(self, meldingnummer: str) -> ReportRow:
        """The school's row of a report the caller has found (from the session's identity map)."""
        parsed = parse_meldingnummer(meldingnummer)
        row = None if parsed is None else self._session.get(ReportRow, parsed[1])
        if parsed is None or row is None or row.registered_year != parsed[0] or row.organisation_oin != self._oin:
            raise LookupError(meldingnummer)
        return row

    def merge_days(self, meldingnummer: str, days: Iterable[domain.AbsenceDay], *, change: int) -> int:
        row = self._row(meldingnummer)
        row.change_number = change
        by_day = {day.day: day for day in days}
        self._session.execute(delete(DayRow).where(DayRow.report_id == row.id, DayRow.day.in_(list(by_day))))
        self._session.add_all(DayRow(report_id=row.id, day=day.day, whole_day=day.whole_day,
                                     lesson_hours=",".join(str(hour) for hour in day.lesson_hours))
                              for day in by_day.values())
        self._session.flush()
        self._session.expire(row, ["days"])
        count: int = self._session.scalar(
            select(func.count()).select_from(DayRow).where(DayRow.report_id == row.id)) or 0
        return count

    def set_status(
        self, meldingnummer: str, status: domain.Status, *, change: int, next_step_at: dt.datetime | None,
        closed_at: dt.datetime | None, withdrawal: domain.Withdrawal | None = None,
    ) -> None:
        row = self._row(meldingnummer)
        row.status, row.change_number = status, change
        row.next_step_at, row.closed_at = next_step_at, closed_at
        if withdrawal is not None:
            row.withdrawal_reason, row.withdrawn_at = withdrawal.reason, withdrawal.at

    def add_reply(self, reply: domain.Reply) -> None:
        row = self._row(reply.meldingnummer)
        handler = reply.handler
        self._session.add(ReplyRow(
            report_id=row.id, organisation_oin=row.organisation_oin, sequence=reply.sequence,
            meldingnummer=row.meldingnummer, status=reply.status, handler_name=handler.name,
            handler_phone=handler.phone, handler_email=handler.email, explanation=reply.explanation, at=reply.at))

    def reports_after(self, cursor: int, limit: int) -> list[domain.Report]:
        rows = self._session.scalars(
            select(ReportRow).where(ReportRow.organisation_oin == self._oin, ReportRow.change_number > cursor)
            .order_by(ReportRow.change_number).limit(limit)
            .options(selectinload(ReportRow.attachments), selectinload(ReportRow.days),
                     selectinload(ReportRow.replies))
        )
        return [_report(row) for row in rows]

    def replies_after(self, cursor: int, limit: int) -> list[domain.Reply]:
        rows = self._session.scalars(
            select(ReplyRow).where(ReplyRow.organisation_oin == self._oin, ReplyRow.sequence > cursor)
            .order_by(ReplyRow.sequence).limit(limit)
        )
        return [_reply(row) for row in rows]

    def due(self, now: dt.datetime, limit: int) -> list[DueStep]:
        # Whole rows, not columns: the steps that follow change them, from the identity map.
        rows = self._session.scalars(
            select(ReportRow).where(ReportRow.organisation_oin == self._oin, ReportRow.next_step_at <= now)
            .order_by(ReportRow.next_step_at, ReportRow.id).limit(limit)
        )
        return [DueStep(row.meldingnummer, row.kind, domain.Status(row.status),
                        domain.Municipality(row.municipality_code, row.municipality_name),
                        _aware(row.next_step_at or now))
                for row in rows]

    def has_closed_before(self, moment: dt.datetime) -> bool:
        return self._session.scalar(select(ReportRow.id).where(
            ReportRow.organisation_oin == self._oin, ReportRow.closed_at < moment).limit(1)) is not None

    def clean_up(self, closed_before: dt.datetime) -> int:
        ids = list(self._session.scalars(select(ReportRow.id).where(
            ReportRow.organisation_oin == self._oin, ReportRow.closed_at < closed_before)))
        if not ids:
            return 0
        for table in (AttachmentRow, DayRow, ReplyRow):  # explicit: SQLite may run without foreign keys
            self._session.execute(delete(table).where(table.report_id.in_(ids)))
        self._session.execute(delete(ReportRow).where(ReportRow.id.in_(ids)))
        return len(ids)


# --- Every school's books ------------------------------------------------------------------------


class SqlReportBooks:
    """:class:`~ketenserver.absence.ports.ReportBooks` over a session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def schools(self) -> list[str]:
        # A row per school that ever took a change number: few.
        return list(self._session.scalars(select(School.organisation_oin).order_by(School.organisation_oin)))

    def school_of(self, meldingnummer: str) -> str | None:
        parsed = parse_meldingnummer(meldingnummer)
        if parsed is None:
            return None
        year, serial = parsed
        # The OIN only: the row is read by the school's book once the caller holds the school's lock.
        return self._session.scalar(select(ReportRow.organisation_oin).where(
            ReportRow.id == serial, ReportRow.registered_year == year))

    def book(self, oin: str) -> SqlReportBook:
        return SqlReportBook(self._session, oin)


def units(sessions: sessionmaker[Session]) -> Callable[[], AbstractContextManager[SqlReportBooks]]:
    """:data:`~ketenserver.absence.ports.Units` of *sessions*: one session each, committed when the
    block ends normally (the session's close rolls back otherwise)."""

    @contextlib.contextmanager
    def unit() -> Iterator[SqlReportBooks]:
        with sessions() as session:
            yield SqlReportBooks(session)
            session.commit()

    return unit


# --- Rows to domain values --------------------------------------------------------------------------


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; every stored moment is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _day(row: DayRow) -> domain.AbsenceDay:
    hours = tuple(int(hour) for hour in row.lesson_hours.split(",") if hour)
    return domain.AbsenceDay(row.day, row.whole_day, hours)


def _reply(row: ReplyRow) -> domain.Reply:
    return domain.Reply(
        sequence=row.sequence, meldingnummer=row.meldingnummer, status=domain.Status(row.status),
        handler=domain.Handler(row.handler_name, row.handler_phone, row.handler_email),
        explanation=row.explanation, at=_aware(row.at),
    )


def _attachment_info(row: AttachmentRow) -> domain.AttachmentInfo:
    return domain.AttachmentInfo(row.file_name, row.media_type, row.size, row.sha256)


def _report(row: ReportRow) -> domain.Report:
    withdrawal = None
    if row.withdrawal_reason is not None and row.withdrawn_at is not None:
        withdrawal = domain.Withdrawal(row.withdrawal_reason, _aware(row.withdrawn_at))
    return domain.Report(
        meldingnummer=row.meldingnummer, change_number=row.change_number, status=domain.Status(row.status),
        registered_at=_aware(row.registered_at), previous=row.previous,
        municipality=domain.Municipality(row.municipality_code, row.municipality_name),
        content=_new_report(row.content), attachments=tuple(_attachment_info(a) for a in row.attachments),
        days=tuple(_day(d) for d in row.days), withdrawal=withdrawal,
        replies=tuple(_reply(r) for r in row.replies),
    )
