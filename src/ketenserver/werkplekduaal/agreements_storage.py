"""Agreements, addenda, trajectories and the dashboard's tasks over the tables; the counter's two jobs.

Every row carries the provider's KBO number and every adapter is built over one provider: another
provider's agreement, trajectory or task is not found (WPD-1047/1060). Only
:meth:`SqlAgreementBook.overlaps` (one agreement per student and opleiding, whoever registered it)
and the jobs (:func:`tasks_for_changes`, :func:`check_missing_agreements`) look across providers.

A provider's task Volgnummer is taken from its row in ``wpd_task_cursors`` with one
``UPDATE ... RETURNING``, as the absence feature issues change numbers: the row lock is held until
the transaction ends, so the provider's task changes commit in the order of their numbers and a
reader paging by Volgnummer never skips one that commits later.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    UniqueConstraint,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from ketenserver.db import Base
from ketenserver.werkplekduaal import agreements, tasks
from ketenserver.werkplekduaal.agreements import (
    DONE,
    OPEN,
    OPTIONS,
    Addendum,
    Agreement,
    Change,
    Document,
    Ending,
    Handling,
    Lesday,
    NewTask,
    Student,
    Task,
    Terms,
    Trajectory,
)
from ketenserver.werkplekduaal.kbo import Address, EstablishmentChange
from ketenserver.werkplekduaal.requests import Recognition

_ID = BigInteger().with_variant(Integer, "sqlite")
_RUNNING, _STOPPED = "LOPEND", "GESTOPT"
"""A trajectory's states."""


class AgreementRow(Base):
    __tablename__ = "wpd_agreements"
    __table_args__ = (
        Index("ix_wpd_agreements_student", "student", "opleiding"),
        Index("ix_wpd_agreements_provider", "provider", "student"),
        Index("ix_wpd_agreements_workplace", "establishment_number", "opleiding", "status"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(24))
    kind: Mapped[str] = mapped_column(String(40))
    student: Mapped[str] = mapped_column(String(11))
    given_name: Mapped[str] = mapped_column(String(100))
    surname: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    enterprise_number: Mapped[str] = mapped_column(String(10))
    establishment_number: Mapped[str] = mapped_column(String(10))
    opleiding: Mapped[str] = mapped_column(String(40))
    mentor: Mapped[str] = mapped_column(String(11))
    start: Mapped[dt.date] = mapped_column(Date)
    end: Mapped[dt.date] = mapped_column(Date)
    last_day: Mapped[dt.date] = mapped_column(Date)
    """The agreed end, or the early end: what overlap and "running" are judged on."""
    hours_per_week: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    allowance: Mapped[Decimal | None] = mapped_column(Numeric(9, 2))
    timetable: Mapped[list[list[str]]] = mapped_column(JSON)
    """[[weekday, hours], ...] in the order sent."""
    registered: Mapped[dt.date] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(500))


class AddendumRow(Base):
    __tablename__ = "wpd_addenda"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("wpd_agreements.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(16))
    created: Mapped[dt.date] = mapped_column(Date)
    changes: Mapped[list[list[str]]] = mapped_column(JSON)
    """[[Veld, Oud, Nieuw], ...]."""
    registered: Mapped[dt.date | None] = mapped_column(Date)
    document_name: Mapped[str | None] = mapped_column(String(200))
    document_size: Mapped[int | None] = mapped_column(Integer)
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    document: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)


class TrajectoryRow(Base):
    __tablename__ = "wpd_trajectories"
    __table_args__ = (
        Index("ix_wpd_trajectories_student", "provider", "student", "opleiding"),
        Index("ix_wpd_trajectories_due", "deadline"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(10))
    student: Mapped[str] = mapped_column(String(11))
    given_name: Mapped[str] = mapped_column(String(100))
    surname: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    opleiding: Mapped[str] = mapped_column(String(40))
    start: Mapped[dt.date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(10))
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    """The current occasion's RegistratieUiterlijk; None while no agreement is awaited."""
    occasion: Mapped[int] = mapped_column(Integer, default=1)
    stop_reason: Mapped[str | None] = mapped_column(String(500))
    stopped: Mapped[dt.date | None] = mapped_column(Date)


class TaskRow(Base):
    __tablename__ = "wpd_tasks"
    __table_args__ = (
        UniqueConstraint("provider", "sequence", name="uq_wpd_tasks_sequence"),
        UniqueConstraint("provider", "key", name="uq_wpd_tasks_key"),
        Index("ix_wpd_tasks_agreement", "agreement_id", "status"),
        Index("ix_wpd_tasks_trajectory", "trajectory_id", "status"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(10))
    sequence: Mapped[int] = mapped_column(BigInteger)
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(12))
    created: Mapped[dt.date] = mapped_column(Date)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("wpd_agreements.id", ondelete="CASCADE"))
    trajectory_id: Mapped[int | None] = mapped_column(ForeignKey("wpd_trajectories.id", ondelete="CASCADE"))
    addendum_id: Mapped[int | None] = mapped_column(ForeignKey("wpd_addenda.id", ondelete="CASCADE"))
    new_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    old_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    handled_option: Mapped[str | None] = mapped_column(String(12))
    handled: Mapped[dt.date | None] = mapped_column(Date)
    handled_reason: Mapped[str | None] = mapped_column(String(500))
    handled_end: Mapped[dt.date | None] = mapped_column(Date)


class TaskCursorRow(Base):
    """A provider's last task Volgnummer."""

    __tablename__ = "wpd_task_cursors"

    provider: Mapped[str] = mapped_column(String(10), primary_key=True)
    last_sequence: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


TABLES: tuple[Table, ...] = tuple(cast(Table, row.__table__) for row in (
    AgreementRow, AddendumRow, TrajectoryRow, TaskRow, TaskCursorRow))
"""This area's tables, in the order they can be created."""


def _key(number: str | None, prefix: str) -> int | None:
    digits = number[len(prefix):] if number is not None and number.startswith(prefix) else ""
    return int(digits) if len(digits) == 8 and digits.isdigit() else None


def _number(prefix: str, key: int | None) -> str | None:
    return None if key is None else f"{prefix}{key:08d}"


# ---------------------------------------------------------------------------------- agreements
def _addendum(row: AddendumRow) -> Addendum:
    return Addendum(f"AD{row.id:08d}", f"OV{row.agreement_id:08d}", row.status, row.created,
                    tuple(Change(*each) for each in row.changes), row.registered)


def _terms(row: AgreementRow) -> Terms:
    return Terms(kind=row.kind, student=Student(row.student, row.given_name, row.surname, row.birth_date),
                 enterprise_number=row.enterprise_number, establishment_number=row.establishment_number,
                 opleiding=row.opleiding, mentor=row.mentor, start=row.start, end=row.end,
                 hours_per_week=Decimal(row.hours_per_week), allowance=None if row.allowance is None
                 else Decimal(row.allowance), timetable=tuple(Lesday(d, Decimal(h)) for d, h in row.timetable))


def _agreements(session: Session, rows: Iterable[AgreementRow]) -> list[Agreement]:
    rows = list(rows)
    addenda: dict[int, list[Addendum]] = {row.id: [] for row in rows}
    if rows:
        for found in session.scalars(select(AddendumRow).where(AddendumRow.agreement_id.in_(list(addenda)))
                                     .order_by(AddendumRow.id)):
            addenda[found.agreement_id].append(_addendum(found))
    return [Agreement(f"OV{row.id:08d}", row.provider, row.status, _terms(row),
                      None if row.end_reason is None else Ending(row.last_day, row.end_reason),
                      tuple(addenda[row.id])) for row in rows]


def _write_terms(row: AgreementRow, terms: Terms) -> None:
    row.kind, row.student = terms.kind, terms.student.rijksregisternummer
    row.given_name, row.surname, row.birth_date = (terms.student.given_name, terms.student.surname,
                                                   terms.student.birth_date)
    row.enterprise_number, row.establishment_number = terms.enterprise_number, terms.establishment_number
    row.opleiding, row.mentor, row.start, row.end = terms.opleiding, terms.mentor, terms.start, terms.end
    row.hours_per_week, row.allowance = terms.hours_per_week, terms.allowance
    row.timetable = [[d.weekday, f"{d.hours.normalize():f}"] for d in terms.timetable]
    if row.end_reason is None:
        row.last_day = terms.end


class SqlAgreementBook:
    """:class:`agreements.AgreementBook` for one provider."""

    def __init__(self, session: Session, provider: str) -> None:
        self._session = session
        self._provider = provider

    def _row(self, number: str) -> AgreementRow | None:
        key = _key(number, "OV")
        row = None if key is None else self._session.get(AgreementRow, key)
        return row if row is not None and row.provider == self._provider else None

    def _own(self, number: str) -> AgreementRow:
        row = self._row(number)
        if row is None:
            raise LookupError(number)
        return row

    def add(self, terms: Terms, *, registered: dt.date) -> Agreement:
        row = AgreementRow(provider=self._provider, status=agreements.REGISTERED, registered=registered)
        _write_terms(row, terms)
        self._session.add(row)
        self._session.flush()
        return _agreements(self._session, [row])[0]

    def get(self, number: str) -> Agreement | None:
        row = self._row(number)
        return None if row is None else _agreements(self._session, [row])[0]

    def select(self, *, student: str | None = None, status: str | None = None) -> list[Agreement]:
        query = select(AgreementRow).where(AgreementRow.provider == self._provider)
        if student is not None:
            query = query.where(AgreementRow.student == student)
        if status is not None:
            query = query.where(AgreementRow.status == status)
        return _agreements(self._session, self._session.scalars(query.order_by(AgreementRow.id).limit(1000)))

    def overlaps(self, student: str, opleiding: str, start: dt.date, end: dt.date, *,
                 excluding: str | None = None) -> bool:
        query = select(AgreementRow.id).where(AgreementRow.student == student, AgreementRow.opleiding == opleiding,
                                              AgreementRow.start <= end, AgreementRow.last_day >= start)
        key = _key(excluding, "OV")
        if key is not None:
            query = query.where(AgreementRow.id != key)
        return self._session.scalar(query.limit(1)) is not None

    def save(self, number: str, terms: Terms) -> None:
        _write_terms(self._own(number), terms)
        self._session.flush()

    def end(self, number: str, ending: Ending) -> None:
        row = self._own(number)
        row.status, row.last_day, row.end_reason = agreements.ENDED_EARLY, ending.end, ending.reason
        self._session.flush()

    def add_addendum(self, number: str, changes: tuple[Change, ...], created: dt.date) -> Addendum:
        row = AddendumRow(agreement_id=self._own(number).id, provider=self._provider, status=agreements.TO_REGISTER,
                          created=created, changes=[[c.field, c.old, c.new] for c in changes])
        self._session.add(row)
        self._session.flush()
        return _addendum(row)

    def register_addendum(self, addendum_number: str, document: Document, day: dt.date) -> None:
        key = _key(addendum_number, "AD")
        row = None if key is None else self._session.get(AddendumRow, key)
        if row is None or row.provider != self._provider:
            raise LookupError(addendum_number)
        row.status, row.registered = agreements.REGISTERED, day
        row.document_name, row.document, row.document_size = document.name, document.content, len(document.content)
        row.document_sha256 = hashlib.sha256(document.content).hexdigest()
        self._session.flush()


class SqlRunningAgreements:
    """:class:`tasks.RunningAgreements` over every provider's agreements."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def running_at(self, establishment_number: str, day: dt.date) -> list[Agreement]:
        return _agreements(self._session, self._session.scalars(select(AgreementRow).where(
            AgreementRow.establishment_number == establishment_number, AgreementRow.status == agreements.REGISTERED,
            AgreementRow.last_day >= day).order_by(AgreementRow.id)))


# -------------------------------------------------------------------------------- trajectories
def _trajectory(row: TrajectoryRow) -> Trajectory:
    return Trajectory(f"LT{row.id:08d}", row.provider, Student(row.student, row.given_name, row.surname,
                                                               row.birth_date),
                      row.opleiding, row.start, row.deadline, row.occasion)


class SqlTrajectoryBook:
    """:class:`agreements.TrajectoryBook` for one provider."""

    def __init__(self, session: Session, provider: str) -> None:
        self._session = session
        self._provider = provider

    def _row(self, number: str) -> TrajectoryRow | None:
        key = _key(number, "LT")
        row = None if key is None else self._session.get(TrajectoryRow, key)
        return row if row is not None and row.provider == self._provider else None

    def add(self, student: Student, opleiding: str, start: dt.date, deadline: dt.date | None) -> Trajectory:
        row = TrajectoryRow(provider=self._provider, student=student.rijksregisternummer,
                            given_name=student.given_name, surname=student.surname, birth_date=student.birth_date,
                            opleiding=opleiding, start=start, state=_RUNNING, deadline=deadline, occasion=1)
        self._session.add(row)
        self._session.flush()
        return _trajectory(row)

    def get(self, number: str) -> Trajectory | None:
        row = self._row(number)
        return None if row is None else _trajectory(row)

    def latest(self, student: str, opleiding: str) -> Trajectory | None:
        row = self._session.scalars(select(TrajectoryRow).where(
            TrajectoryRow.provider == self._provider, TrajectoryRow.student == student,
            TrajectoryRow.opleiding == opleiding, TrajectoryRow.state == _RUNNING)
            .order_by(TrajectoryRow.id.desc()).limit(1)).first()
        return None if row is None else _trajectory(row)

    def watch(self, number: str, deadline: dt.date) -> None:
        row = self._row(number)
        if row is None:
            raise LookupError(number)
        row.deadline, row.occasion = deadline, row.occasion + 1
        self._session.flush()

    def satisfy(self, student: str, opleiding: str) -> None:
        self._session.execute(update(TrajectoryRow).where(
            TrajectoryRow.provider == self._provider, TrajectoryRow.student == student,
            TrajectoryRow.opleiding == opleiding).values(deadline=None).execution_options(synchronize_session="fetch"))

    def stop(self, number: str, reason: str, day: dt.date) -> None:
        row = self._row(number)
        if row is None:
            raise LookupError(number)
        row.state, row.deadline, row.stop_reason, row.stopped = _STOPPED, None, reason, day
        self._session.flush()


# ---------------------------------------------------------------------------------------- tasks
def _address_value(address: Address | None) -> dict[str, Any] | None:
    if address is None:
        return None
    return {"street": address.street, "house_number": address.house_number, "box": address.box,
            "postcode": address.postcode, "municipality": address.municipality}


def _address(value: dict[str, Any] | None) -> Address | None:
    return None if value is None else Address(**value)


class SqlTaskBoard:
    """:class:`agreements.TaskBoard` for one provider."""

    def __init__(self, session: Session, provider: str) -> None:
        self._session = session
        self._provider = provider

    def _advance(self, by: int) -> int:
        statement = (update(TaskCursorRow).where(TaskCursorRow.provider == self._provider)
                     .values(last_sequence=TaskCursorRow.last_sequence + by).returning(TaskCursorRow.last_sequence))
        number = self._session.execute(statement).scalar_one_or_none()
        if number is None:
            dialect = self._session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            self._session.execute(insert(TaskCursorRow).values(provider=self._provider, last_sequence=0)
                                  .on_conflict_do_nothing())
            number = self._session.execute(statement).scalar_one()
        return int(number)

    def _task(self, row: TaskRow) -> Task:
        addendum = None
        if row.addendum_id is not None:
            found = self._session.get(AddendumRow, row.addendum_id)
            addendum = None if found is None else _addendum(found)
        handling = None if row.handled_option is None or row.handled is None else Handling(
            row.handled_option, row.handled, row.handled_reason, row.handled_end)
        return Task(f"TK{row.id:08d}", row.sequence, row.kind, row.status, row.created, OPTIONS[row.kind],
                    _number("OV", row.agreement_id), _number("LT", row.trajectory_id), addendum,
                    _address(row.new_address), _address(row.old_address), handling)

    def _row(self, number: str) -> TaskRow | None:
        key = _key(number, "TK")
        row = None if key is None else self._session.get(TaskRow, key)
        return row if row is not None and row.provider == self._provider else None

    def add(self, new: NewTask) -> Task | None:
        self._advance(0)  # the provider's lock first: two makers of one key meet here
        if self._session.scalar(select(TaskRow.id).where(TaskRow.provider == self._provider,
                                                         TaskRow.key == new.key)) is not None:
            return None
        row = TaskRow(provider=self._provider, sequence=self._advance(1), key=new.key[:200], kind=new.kind,
                      status=OPEN, created=new.created, agreement_id=_key(new.agreement, "OV"),
                      trajectory_id=_key(new.trajectory, "LT"), addendum_id=_key(new.addendum, "AD"),
                      new_address=_address_value(new.new_address), old_address=_address_value(new.old_address))
        self._session.add(row)
        self._session.flush()
        return self._task(row)

    def get(self, number: str) -> Task | None:
        row = self._row(number)
        return None if row is None else self._task(row)

    def open_tasks(self, kinds: frozenset[str], *, agreement: str | None = None,
                   trajectory: str | None = None) -> list[Task]:
        query = select(TaskRow).where(TaskRow.provider == self._provider, TaskRow.status == OPEN,
                                      TaskRow.kind.in_(sorted(kinds)))
        if agreement is not None:
            query = query.where(TaskRow.agreement_id == _key(agreement, "OV"))
        if trajectory is not None:
            query = query.where(TaskRow.trajectory_id == _key(trajectory, "LT"))
        return [self._task(row) for row in self._session.scalars(query.order_by(TaskRow.id))]

    def close(self, number: str, handling: Handling) -> Task:
        row = self._row(number)
        if row is None:
            raise LookupError(number)
        row.status, row.sequence = DONE, self._advance(1)
        row.handled_option, row.handled = handling.option, handling.day
        row.handled_reason, row.handled_end = handling.reason, handling.end
        self._session.flush()
        return self._task(row)

    def after(self, cursor: int, limit: int) -> list[Task]:
        rows = self._session.scalars(select(TaskRow).where(TaskRow.provider == self._provider,
                                                           TaskRow.sequence > cursor)
                                     .order_by(TaskRow.sequence).limit(limit))
        return [self._task(row) for row in rows]

    def last(self) -> int:
        value = self._session.scalar(select(TaskCursorRow.last_sequence).where(
            TaskCursorRow.provider == self._provider))
        return int(value or 0)


# ------------------------------------------------------------------------------------ the jobs
def tasks_for_changes(session: Session, changes: Iterable[EstablishmentChange], today: dt.date) -> int:
    """The tasks (and withdrawals) of a KBO update's establishment changes (``kbo_storage.apply_update``);
    in the caller's transaction; returns how many tasks it made. Idempotent per change."""
    from ketenserver.werkplekduaal.requests_storage import SqlRecognitionRegister

    return tasks.for_changes(changes, today, running=SqlRunningAgreements(session),
                             register=SqlRecognitionRegister(session),
                             board_of=lambda provider: SqlTaskBoard(session, provider))


def tasks_for_withdrawal(session: Session, recognition: Recognition, today: dt.date) -> int:
    """The OPHEFFING tasks of a recognition the partnership withdrew (:func:`tasks.for_withdrawal`);
    in the caller's transaction; returns how many it made."""
    return tasks.for_withdrawal(recognition, today, running=SqlRunningAgreements(session),
                                board_of=lambda provider: SqlTaskBoard(session, provider))


def check_missing_agreements(session: Session, today: dt.date) -> int:
    """The OVEREENKOMST_ONTBREEKT tasks of trajectories whose RegistratieUiterlijk passed before
    ``today`` without an agreement; once per trajectory and occasion. Returns how many it made."""
    rows = session.scalars(select(TrajectoryRow).where(
        TrajectoryRow.state == _RUNNING, TrajectoryRow.deadline.is_not(None), TrajectoryRow.deadline < today)
        .order_by(TrajectoryRow.provider, TrajectoryRow.id)).all()
    return sum(tasks.missing_agreement(_trajectory(row), today=today, board=SqlTaskBoard(session, row.provider))
               for row in rows)


def running_count(session: Session, establishment_number: str, opleiding: str, day: dt.date) -> int:
    """How many agreements run at the establishment for the opleiding on ``day`` (the places taken)."""
    return len(session.scalars(select(AgreementRow.id).where(
        AgreementRow.establishment_number == establishment_number, AgreementRow.opleiding == opleiding,
        AgreementRow.start <= day, AgreementRow.last_day >= day)).all())
