"""The tables of recognition requests and recognitions, the adapters implementing their ports, and
the partnership's commands (decide, decide what fell due, withdraw, appeal) and the seed.

- ``wpd_requests`` (one row per request, the filing organisation's KBO number in ``sender``),
  ``wpd_request_mentors`` and ``wpd_documents`` (the PDFs with their name, size and SHA-256);
- ``wpd_recognitions`` and ``wpd_recognition_mentors``: public information, read by every area.

Business numbers derive from the integer keys: ``EA{id:08d}`` (requests), ``ER{id:08d}``
(recognitions). One assigned request per workplace: the partial unique index
``uq_wpd_requests_assigned`` decides between two coaches filing at once, not a look-up.
Adapters never commit; the pipeline (or the command's caller) does.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    exists,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from ketenserver.db import Base
from ketenserver.werkplekduaal import catalogue, errors, requests
from ketenserver.werkplekduaal.requests import Decision, NewRecognition, Recognition, RequestStatus
from ketenserver.werkplekduaal.settings import WerkplekduaalSettings

_ID = BigInteger().with_variant(Integer, "sqlite")
_CHUNK = 1000


class RequestRow(Base):
    __tablename__ = "wpd_requests"
    __table_args__ = (
        Index("ix_wpd_requests_sender", "sender", "id"),
        Index("ix_wpd_requests_due", "status", "decide_by"),
        Index("ix_wpd_requests_workplace", "establishment_number", "opleiding"),
        Index("uq_wpd_requests_assigned", "establishment_number", "opleiding", unique=True,
              sqlite_where=text("status = 'TOEGEWEZEN'"), postgresql_where=text("status = 'TOEGEWEZEN'")),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    sender: Mapped[str] = mapped_column(String(10))
    """The KBO enterprise number of the organisation that filed it."""
    enterprise_number: Mapped[str] = mapped_column(String(10))
    establishment_number: Mapped[str] = mapped_column(String(10))
    opleiding: Mapped[str] = mapped_column(String(40))
    partnership: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12))
    filed: Mapped[dt.date] = mapped_column(Date)
    decide_by: Mapped[dt.date] = mapped_column(Date)
    declaration_version: Mapped[str] = mapped_column(String(10))
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    recognition_id: Mapped[int | None] = mapped_column(ForeignKey("wpd_recognitions.id"))


class RequestMentorRow(Base):
    __tablename__ = "wpd_request_mentors"

    request_id: Mapped[int] = mapped_column(ForeignKey("wpd_requests.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    rijksregisternummer: Mapped[str] = mapped_column(String(11))
    given_name: Mapped[str] = mapped_column(String(100))
    surname: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    years_experience: Mapped[int] = mapped_column(Integer)
    relevant_prior_education: Mapped[bool] = mapped_column(Boolean)
    commits_to_training: Mapped[bool] = mapped_column(Boolean)
    extract_model: Mapped[str | None] = mapped_column(String(5))
    extract_issued: Mapped[dt.date | None] = mapped_column(Date)


class DocumentRow(Base):
    __tablename__ = "wpd_documents"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("wpd_requests.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    """MACHTIGING, VERKLARING or UITTREKSEL."""
    mentor: Mapped[str | None] = mapped_column(String(11))
    """An extract's mentor (rijksregisternummer)."""
    name: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class RecognitionRow(Base):
    __tablename__ = "wpd_recognitions"
    __table_args__ = (
        Index("ix_wpd_recognitions_workplace", "establishment_number", "opleiding"),
        Index("ix_wpd_recognitions_search", "opleiding", "status", "postcode", "establishment_number"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    establishment_number: Mapped[str] = mapped_column(String(10))
    enterprise_number: Mapped[str] = mapped_column(String(10))
    opleiding: Mapped[str] = mapped_column(String(40))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12))
    """LOPEND, IN_BEROEP or INGETROKKEN (VERLOPEN is read from the day)."""
    places: Mapped[int] = mapped_column(Integer)
    status_since: Mapped[dt.date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(500))
    """Why it was withdrawn."""
    postcode: Mapped[str | None] = mapped_column(String(4))
    """The establishment's postcode, copied from KBO (and kept in step by the weekly sync) so that the
    search for available workplaces reads one index in its own order (``storage.SqlWorkplaceIndex``)."""


class RecognitionMentorRow(Base):
    __tablename__ = "wpd_recognition_mentors"

    recognition_id: Mapped[int] = mapped_column(ForeignKey("wpd_recognitions.id", ondelete="CASCADE"),
                                                primary_key=True)
    rijksregisternummer: Mapped[str] = mapped_column(String(11), primary_key=True)


TABLES: tuple[Table, ...] = tuple(Base.metadata.tables[row.__tablename__] for row in (
    RecognitionRow, RecognitionMentorRow, RequestRow, RequestMentorRow, DocumentRow))
"""This area's tables, in the order they can be created."""


def _key(number: str, prefix: str) -> int | None:
    """The row key a business number names, or None when it is not ``prefix`` + 8 digits."""
    digits = number[len(prefix):] if number.startswith(prefix) else ""
    return int(digits) if len(digits) == 8 and digits.isdigit() else None


# -------------------------------------------------------------------------------- recognitions
class SqlRecognitionRegister:
    """:class:`requests.RecognitionBook` (and so :class:`requests.RecognitionRegister`) over the tables.

    ``today``, when given, is the day :meth:`of_establishment` and :meth:`get` read the status on
    (VERLOPEN past GeldigTot); without it they give the stored status."""

    def __init__(self, session: Session, *, today: dt.date | None = None) -> None:
        self._session = session
        self._today = today

    def _values(self, rows: Sequence[RecognitionRow]) -> list[Recognition]:
        mentors: dict[int, set[str]] = {row.id: set() for row in rows}
        ids = list(mentors)
        for start in range(0, len(ids), _CHUNK):
            for recognition_id, number in self._session.execute(
                    select(RecognitionMentorRow.recognition_id, RecognitionMentorRow.rijksregisternummer).where(
                        RecognitionMentorRow.recognition_id.in_(ids[start:start + _CHUNK]))):
                mentors[recognition_id].add(number)
        found = [Recognition(f"ER{row.id:08d}", row.establishment_number, row.enterprise_number, row.opleiding,
                             row.valid_from, row.valid_until, row.status, row.places, frozenset(mentors[row.id]))
                 for row in rows]
        return found if self._today is None else [r.on(self._today) for r in found]

    def running(self, establishment_number: str, opleiding: str, day: dt.date) -> Recognition | None:
        row = self._session.scalars(select(RecognitionRow).where(
            RecognitionRow.establishment_number == establishment_number, RecognitionRow.opleiding == opleiding,
            RecognitionRow.status == requests.RUNNING, RecognitionRow.valid_from <= day,
            RecognitionRow.valid_until >= day).order_by(RecognitionRow.valid_until.desc()).limit(1)).first()
        return None if row is None else self._values([row])[0].on(day)

    def of_establishment(self, establishment_number: str) -> list[Recognition]:
        return self._values(self._session.scalars(select(RecognitionRow).where(
            RecognitionRow.establishment_number == establishment_number).order_by(RecognitionRow.id)).all())

    def get(self, number: str) -> Recognition | None:
        key = _key(number, "ER")
        row = None if key is None else self._session.get(RecognitionRow, key)
        return None if row is None else self._values([row])[0]

    def withdraw(self, number: str, reason: str, day: dt.date) -> Recognition:
        return requests.withdraw(number, reason, day, register=self)

    def add(self, new: NewRecognition) -> Recognition:
        row = RecognitionRow(establishment_number=new.establishment_number, enterprise_number=new.enterprise_number,
                             opleiding=new.opleiding, valid_from=new.valid_from, valid_until=new.valid_until,
                             status=requests.RUNNING, places=new.places, status_since=new.valid_from,
                             postcode=_postcode(self._session, new.establishment_number))
        self._session.add(row)
        self._session.flush()
        if new.mentors:
            self._session.execute(insert(RecognitionMentorRow), [
                {"recognition_id": row.id, "rijksregisternummer": m} for m in sorted(new.mentors)])
        return self._values([row])[0]

    def set_status(self, number: str, status: str, day: dt.date, reason: str | None) -> Recognition:
        key = _key(number, "ER")
        row = None if key is None else self._session.get(RecognitionRow, key)
        if row is None:
            raise errors.RecognitionNotActive("No recognition has this Erkenningsnummer.", field="Erkenningsnummer")
        row.status, row.status_since = status, day
        if reason is not None:
            row.reason = reason
        self._session.flush()
        return self._values([row])[0]


def _postcode(session: Session, establishment_number: str) -> str | None:
    from ketenserver.werkplekduaal.kbo_storage import EstablishmentRow

    return session.scalar(select(EstablishmentRow.postcode).where(EstablishmentRow.number == establishment_number))


def copy_postcodes(session: Session, establishments: Iterable[str] | None = None) -> None:
    """Copy the establishments' postcodes onto their recognitions (all, or of the given establishments)."""
    from ketenserver.werkplekduaal.kbo_storage import EstablishmentRow

    current = (select(EstablishmentRow.postcode).where(
        EstablishmentRow.number == RecognitionRow.establishment_number).scalar_subquery())
    statement = update(RecognitionRow).values(postcode=current).execution_options(synchronize_session=False)
    if establishments is None:
        session.execute(statement)
        return
    numbers = sorted(set(establishments))
    for start in range(0, len(numbers), 500):
        session.execute(statement.where(RecognitionRow.establishment_number.in_(numbers[start:start + 500])))


def add_recognition(session: Session, *, establishment_number: str, enterprise_number: str, opleiding: str,
                    valid_from: dt.date, valid_until: dt.date, places: int, mentors: Iterable[str]) -> Recognition:
    """A running recognition made directly (seeding, tests), not through a request."""
    return SqlRecognitionRegister(session).add(NewRecognition(
        establishment_number, enterprise_number, opleiding, valid_from, valid_until, places, frozenset(mentors)))


# ------------------------------------------------------------------------------------ requests
class _Requests:
    def __init__(self, session: Session, sender: str | None) -> None:
        self._session = session
        self._sender = sender

    def _row(self, number: str) -> RequestRow | None:
        key = _key(number, "EA")
        row = None if key is None else self._session.get(RequestRow, key)
        if row is None or (self._sender is not None and row.sender != self._sender):
            return None
        return row

    def _status(self, row: RequestRow) -> RequestStatus:
        mentors = tuple(self._session.scalars(select(RequestMentorRow.rijksregisternummer).where(
            RequestMentorRow.request_id == row.id).order_by(RequestMentorRow.position)))
        partnership = catalogue.PARTNERSHIPS.get(row.partnership) or catalogue.Partnership(
            row.partnership, row.partnership, frozenset())
        decision = None if row.decided_on is None else Decision(row.status, row.decided_on, row.decision_reason)
        recognition = None if row.recognition_id is None else SqlRecognitionRegister(self._session).get(
            f"ER{row.recognition_id:08d}")
        return RequestStatus(f"EA{row.id:08d}", row.status, row.sender, row.enterprise_number,
                             row.establishment_number, row.opleiding, partnership, row.filed, row.decide_by,
                             mentors, decision, recognition)

    def get(self, number: str) -> RequestStatus | None:
        row = self._row(number)
        return None if row is None else self._status(row)


class SqlRequestBook(_Requests):
    """:class:`requests.RequestBook`: the requests organisation ``sender`` (a KBO number) filed."""

    def __init__(self, session: Session, sender: str) -> None:
        super().__init__(session, sender)

    def assigned(self, establishment_number: str, opleiding: str) -> bool:
        return bool(self._session.scalar(select(exists().where(
            RequestRow.establishment_number == establishment_number, RequestRow.opleiding == opleiding,
            RequestRow.status == requests.ASSIGNED))))

    def add(self, filed: requests.FiledRequest) -> RequestStatus:
        row = RequestRow(sender=filed.sender, enterprise_number=filed.enterprise_number,
                         establishment_number=filed.establishment_number, opleiding=filed.opleiding,
                         partnership=filed.partnership, status=requests.ASSIGNED, filed=filed.filed,
                         decide_by=filed.decide_by, declaration_version=filed.declaration_version)
        try:
            with self._session.begin_nested():
                self._session.add(row)
                self._session.flush()
        except IntegrityError:
            raise errors.RequestPending("A request for this establishment and opleiding awaits its decision.",
                                        field="Vestigingsnummer") from None
        mentors = [
            {"request_id": row.id, "position": position, "rijksregisternummer": m.rijksregisternummer,
             "given_name": m.given_name, "surname": m.surname, "birth_date": m.birth_date,
             "years_experience": m.years_experience, "relevant_prior_education": m.relevant_prior_education,
             "commits_to_training": m.commits_to_training,
             "extract_model": None if m.extract is None else m.extract.model,
             "extract_issued": None if m.extract is None else m.extract.issued}
            for position, m in enumerate(filed.mentors, start=1)]
        documents = [{"request_id": row.id, "kind": d.kind, "mentor": d.mentor, "name": d.name, "size": d.size,
                      "sha256": d.sha256, "content": d.content} for d in filed.documents]
        for table, values in ((RequestMentorRow, mentors), (DocumentRow, documents)):
            if values:  # an empty executemany would insert one row of defaults
                self._session.execute(insert(table), values)
        return self._status(row)


class SqlRequestDesk(_Requests):
    """:class:`requests.RequestDesk`: every organisation's requests, as the partnerships decide them."""

    def __init__(self, session: Session) -> None:
        super().__init__(session, None)

    def due(self, day: dt.date) -> list[str]:
        return [f"EA{key:08d}" for key in self._session.scalars(select(RequestRow.id).where(
            RequestRow.status == requests.ASSIGNED, RequestRow.decide_by <= day).order_by(RequestRow.id))]

    def record(self, number: str, decision: Decision) -> bool:
        key = _key(number, "EA")
        if key is None:
            return False
        done = self._session.execute(update(RequestRow).where(
            RequestRow.id == key, RequestRow.status == requests.ASSIGNED).values(
            status=decision.outcome, decided_on=decision.day, decision_reason=decision.reason).execution_options(
            synchronize_session="fetch"))
        return bool(getattr(done, "rowcount", 0) == 1)

    def link(self, number: str, recognition_number: str) -> None:
        key, recognition = _key(number, "EA"), _key(recognition_number, "ER")
        self._session.execute(update(RequestRow).where(RequestRow.id == key).values(
            recognition_id=recognition).execution_options(synchronize_session="fetch"))


# ------------------------------------------------------------------------- the partnership's commands
def _settings(settings: WerkplekduaalSettings | None) -> WerkplekduaalSettings:
    return settings or WerkplekduaalSettings()


def decide(session: Session, number: str, outcome: str, reason: str | None = None, *, today: dt.date,
           settings: WerkplekduaalSettings | None = None) -> RequestStatus:
    """The partnership decides request ``number`` at once (``ketenserver werkplekduaal decide``)."""
    return requests.decide(number, outcome, reason=reason, day=today, desk=SqlRequestDesk(session),
                           register=SqlRecognitionRegister(session), settings=_settings(settings))


def decide_due(session: Session, today: dt.date, *,
               settings: WerkplekduaalSettings | None = None) -> list[RequestStatus]:
    """Decide every request whose BeslissingUiterlijk is ``today`` or earlier (the job's pass)."""
    return requests.decide_due(today, desk=SqlRequestDesk(session), register=SqlRecognitionRegister(session),
                               settings=_settings(settings))


def withdraw_recognition(session: Session, number: str, reason: str, *, today: dt.date) -> tuple[Recognition, int]:
    """Withdraw recognition ``number``; every agreement running under it gets an OPHEFFING task.
    Returns the recognition and how many tasks that made."""
    from ketenserver.werkplekduaal.agreements_storage import tasks_for_withdrawal

    withdrawn = requests.withdraw(number, reason, today, register=SqlRecognitionRegister(session))
    return withdrawn, tasks_for_withdrawal(session, withdrawn, today)


def appeal_withdrawal(session: Session, number: str, *, today: dt.date) -> Recognition:
    return requests.appeal(number, today, register=SqlRecognitionRegister(session))


def decide_appeal(session: Session, number: str, *, granted: bool, today: dt.date) -> Recognition:
    return requests.decide_appeal(number, granted=granted, day=today, register=SqlRecognitionRegister(session))


# ------------------------------------------------------------------------------------------ seed
def test_person_number(birth: dt.date, serial: int) -> str:
    """A rijksregisternummer of the Flemish test range (month + 60, no real person holds one) for
    someone born on ``birth``; ``serial`` 1 to 997."""
    nine = f"{birth:%y}{birth.month + 60:02d}{birth:%d}{serial:03d}"
    base = int(nine) + (2_000_000_000 if birth.year >= 2000 else 0)
    return f"{nine}{97 - base % 97:02d}"


_BIRTH_DAYS = 30 * 365


def _mentor(index: int) -> str:
    """The ``index``-th seeded mentor, born 1960 to 1989: distinct for every index below 997 × 10,950."""
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=index % _BIRTH_DAYS)
    return test_person_number(birth, index // _BIRTH_DAYS % 997 + 1)


def seed_recognitions(session: Session, seed_number: int, *, establishments: Sequence[tuple[str, str]],
                      progress: Callable[[int, int], None] | None = None, today: dt.date | None = None,
                      share: float = 0.3, students_per_mentor: int = WerkplekduaalSettings.students_per_mentor,
                      recognition_years: int = WerkplekduaalSettings.recognition_years) -> int:
    """Recognise a ``share`` of the (establishment, enterprise) pairs, deterministically per seed
    number: 1 or 2 opleidingen each, 1 to 3 mentors per recognition, all running on ``today`` (the
    counter's day the seed is for; by default the real Belgian today). Bulk inserts; returns how
    many recognitions it made."""
    from ketenserver.dates import belgian_date

    day = today or belgian_date(dt.datetime.now(dt.UTC))
    rng = random.Random(seed_number)  # noqa: S311 (demo data, not secrets)
    codes = sorted(catalogue.OPLEIDINGEN)
    say = progress or (lambda _done, _total: None)
    rows: list[dict[str, object]] = []
    mentor_counts: list[int] = []
    for establishment, enterprise in establishments:
        if rng.random() >= share:
            continue
        for opleiding in rng.sample(codes, rng.randint(1, 2)):
            valid_from, valid_until = requests.validity(day - dt.timedelta(days=rng.randint(30, 4 * 365)),
                                                        recognition_years)
            count = rng.randint(1, 3)
            mentor_counts.append(count)
            rows.append({"establishment_number": establishment, "enterprise_number": enterprise,
                         "opleiding": opleiding, "valid_from": valid_from, "valid_until": valid_until,
                         "status": requests.RUNNING, "places": students_per_mentor * count,
                         "status_since": valid_from})
    statement = insert(RecognitionRow).returning(RecognitionRow.id, sort_by_parameter_order=True)
    mentor_index = 0  # a mentor is distinct within a recognition; across them a number may recur
    for start in range(0, len(rows), _CHUNK):
        ids = list(session.scalars(statement, rows[start:start + _CHUNK]))
        mentors = []
        for key, count in zip(ids, mentor_counts[start:start + _CHUNK], strict=True):
            for _ in range(count):
                mentors.append({"recognition_id": key, "rijksregisternummer": _mentor(mentor_index)})
                mentor_index += 1
        if mentors:
            session.execute(insert(RecognitionMentorRow), mentors)
        say(min(start + _CHUNK, len(rows)), len(rows))
    copy_postcodes(session)
    return len(rows)

