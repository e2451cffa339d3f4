"""Agreements (overeenkomsten), their addenda and the dual trajectories: values, ports and rules.

A provider (OPLEIDINGSVERSTREKKER) registers the agreement of one of its students with a
recognised workplace, in one of three kinds (:data:`KINDS`, rules in :func:`check_kind`):

- STAGEOVEREENKOMST: under 20 hours a week, no Leervergoeding (or 0);
- ALTERNERENDE_OPLEIDING: 20 to 38 hours, a Leervergoeding of at most 520 euro a month;
- DEELTIJDSE_ARBEIDSOVEREENKOMST: 20 to 38 hours, no Leervergoeding (a wage, outside this
  field), only where the company's sector (joint committee) allows it.

The establishment holds a running recognition for the opleiding on the start date, the mentor is
one of that recognition's mentors, and a student has one agreement per opleiding at a time.

An amendment (:func:`amend`) changes the mentor and the timetable (same total) at once. The
terms the parties confirm (Einddatum, UrenPerWeek, Leervergoeding, Vestigingsnummer) also change
at once: **the agreement shows the new values from the amendment on**, and an :class:`Addendum`
(TE_REGISTREREN) records each change (Veld, Oud, Nieuw) with an ADDENDUM task until the signed
addendum is registered. While an addendum is open the agreement is not amended again (WPD-1052).

A trajectory (:func:`start_trajectory`) watches for the agreement: without one registered by the
20th training day after its start (or after an early end with no other agreement running), the
job of :mod:`~ketenserver.werkplekduaal.tasks` puts an OVEREENKOMST_ONTBREEKT task on the
provider's dashboard. Everything here belongs to the sending provider: another's is unknown.

The recognitions are read through ``requests.RecognitionRegister``. The task values and the
dashboard's port live here too (:class:`Task`, :class:`TaskBoard`), as
registering and amending make and close tasks; what the dashboard does is in ``tasks``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Protocol

from ketenserver import identifiers
from ketenserver.werkplekduaal import catalogue, errors, trainingdays
from ketenserver.werkplekduaal.kbo import ACTIVE, Address, KboRegister
from ketenserver.werkplekduaal.requests import RecognitionRegister

STAGE, ALTERNATING, PART_TIME = "STAGEOVEREENKOMST", "ALTERNERENDE_OPLEIDING", "DEELTIJDSE_ARBEIDSOVEREENKOMST"
KINDS = frozenset({STAGE, ALTERNATING, PART_TIME})
REGISTERED, ENDED_EARLY = "GEREGISTREERD", "VROEGTIJDIG_BEEINDIGD"
"""An agreement's statuses (Overeenkomststatus)."""
TO_REGISTER = "TE_REGISTREREN"
"""An addendum's status until the signed addendum is registered (then :data:`REGISTERED`)."""
MIN_HOURS, MAX_HOURS, MAX_DAY_HOURS = Decimal(20), Decimal(38), Decimal(10)
MAX_ALLOWANCE = Decimal(520)
WEEKDAYS = ("MAANDAG", "DINSDAG", "WOENSDAG", "DONDERDAG", "VRIJDAG", "ZATERDAG", "ZONDAG")

# The dashboard's task kinds, options and statuses (Taaksoort, Taakoptie, Taakstatus).
ADDRESS_CHANGE, DISSOLUTION, ADDENDUM, AGREEMENT_MISSING = (
    "ADRESWIJZIGING_VESTIGING", "OPHEFFING", "ADDENDUM", "OVEREENKOMST_ONTBREEKT")
ADJUST, END, REGISTER, STOP = "AANPASSEN", "BEEINDIGEN", "REGISTREREN", "STOPZETTEN"
OPTIONS: dict[str, tuple[str, ...]] = {ADDRESS_CHANGE: (ADJUST, END), DISSOLUTION: (END,), ADDENDUM: (REGISTER,),
                                       AGREEMENT_MISSING: (STOP,)}
OPEN, DONE = "OPEN", "AFGEHANDELD"


# ------------------------------------------------------------------------------------ values
@dataclass(frozen=True)
class Student:
    rijksregisternummer: str
    given_name: str
    surname: str
    birth_date: dt.date


@dataclass(frozen=True)
class Lesday:
    weekday: str
    hours: Decimal


@dataclass(frozen=True)
class Terms:
    """An agreement's data (OvereenkomstGegevens)."""

    kind: str
    student: Student
    enterprise_number: str
    establishment_number: str
    opleiding: str
    mentor: str
    start: dt.date
    end: dt.date
    hours_per_week: Decimal
    allowance: Decimal | None
    """Leervergoeding, euro a month."""
    timetable: tuple[Lesday, ...]


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class Document:
    name: str
    content: bytes


@dataclass(frozen=True)
class Addendum:
    number: str
    """AD + 8 digits."""
    agreement_number: str
    status: str
    created: dt.date
    changes: tuple[Change, ...]
    registered: dt.date | None = None


@dataclass(frozen=True)
class Ending:
    end: dt.date
    reason: str


@dataclass(frozen=True)
class Agreement:
    number: str
    """OV + 8 digits."""
    provider: str
    status: str
    terms: Terms
    ending: Ending | None = None
    addenda: tuple[Addendum, ...] = ()

    @property
    def last_day(self) -> dt.date:
        """The day it ends: the early end, else the agreed Einddatum."""
        return self.terms.end if self.ending is None else self.ending.end

    def open_addendum(self) -> Addendum | None:
        return next((a for a in self.addenda if a.status == TO_REGISTER), None)


@dataclass(frozen=True)
class Amendment:
    """OvereenkomstWijziging: the values to change (None: unchanged)."""

    number: str
    establishment_number: str | None = None
    mentor: str | None = None
    end: dt.date | None = None
    hours_per_week: Decimal | None = None
    allowance: Decimal | None = None
    timetable: tuple[Lesday, ...] | None = None


@dataclass(frozen=True)
class Trajectory:
    number: str
    """LT + 8 digits."""
    provider: str
    student: Student
    opleiding: str
    start: dt.date
    deadline: dt.date | None
    """RegistratieUiterlijk of the current occasion; None once an agreement came (or it stopped)."""
    occasion: int = 1
    """1 for the start, one more for every early end that restarted the 20-training-day rule."""


@dataclass(frozen=True)
class Handling:
    option: str
    day: dt.date
    reason: str | None = None
    end: dt.date | None = None


@dataclass(frozen=True)
class NewTask:
    kind: str
    created: dt.date
    key: str
    """What made it (e.g. ``MOVED:<establishment>:<address>:<agreement>``): a second task with the
    same key is not made, so each occasion makes one task."""
    agreement: str | None = None
    trajectory: str | None = None
    addendum: str | None = None
    new_address: Address | None = None
    old_address: Address | None = None

    @property
    def options(self) -> tuple[str, ...]:
        return OPTIONS[self.kind]


@dataclass(frozen=True)
class Task:
    number: str
    """TK + 8 digits."""
    sequence: int
    """Volgnummer: the provider's change number of its last creation or change."""
    kind: str
    status: str
    created: dt.date
    options: tuple[str, ...]
    agreement: str | None = None
    trajectory: str | None = None
    addendum: Addendum | None = None
    new_address: Address | None = None
    old_address: Address | None = None
    handling: Handling | None = None


# ------------------------------------------------------------------------------------- ports
class AgreementBook(Protocol):
    """One provider's agreements (built over its KBO number); :meth:`overlaps` looks at every provider's."""

    def add(self, terms: Terms, *, registered: dt.date) -> Agreement: ...

    def get(self, number: str) -> Agreement | None: ...

    def select(self, *, student: str | None = None, status: str | None = None) -> list[Agreement]: ...

    def overlaps(self, student: str, opleiding: str, start: dt.date, end: dt.date, *,
                 excluding: str | None = None) -> bool:
        """Whether any provider's agreement of ``student`` for ``opleiding`` runs on a day of [start, end]."""
        ...

    def save(self, number: str, terms: Terms) -> None: ...

    def end(self, number: str, ending: Ending) -> None: ...

    def add_addendum(self, number: str, changes: tuple[Change, ...], created: dt.date) -> Addendum: ...

    def register_addendum(self, addendum_number: str, document: Document, day: dt.date) -> None: ...


class TrajectoryBook(Protocol):
    """One provider's trajectories."""

    def add(self, student: Student, opleiding: str, start: dt.date, deadline: dt.date | None) -> Trajectory: ...

    def get(self, number: str) -> Trajectory | None: ...

    def latest(self, student: str, opleiding: str) -> Trajectory | None: ...

    def watch(self, number: str, deadline: dt.date) -> None:
        """Start a new occasion of the 20-training-day rule with ``deadline``."""
        ...

    def satisfy(self, student: str, opleiding: str) -> None:
        """An agreement came: the trajectories of ``student`` and ``opleiding`` stop watching."""
        ...

    def stop(self, number: str, reason: str, day: dt.date) -> None: ...


class TaskBoard(Protocol):
    """One provider's dashboard; every creation or change takes the provider's next Volgnummer."""

    def add(self, new: NewTask) -> Task | None:
        """The task made, or None when one with ``new.key`` exists."""
        ...

    def get(self, number: str) -> Task | None: ...

    def open_tasks(self, kinds: frozenset[str], *, agreement: str | None = None,
                   trajectory: str | None = None) -> list[Task]: ...

    def close(self, number: str, handling: Handling) -> Task: ...

    def after(self, cursor: int, limit: int) -> list[Task]: ...

    def last(self) -> int:
        """The last Volgnummer issued to the provider (0 before the first)."""
        ...


# ------------------------------------------------------------------------------ identifiers
def _person(number: str, field: str, birth_date: dt.date | None = None) -> str:
    try:
        checked = identifiers.rijksregisternummer(number)
    except identifiers.InvalidRijksregisternummer as error:
        raise errors.InvalidRijksregisternummer(str(error), field=field) from None
    encoded = checked.birth_date()
    if birth_date is not None and encoded is not None and encoded != birth_date:
        raise errors.InvalidRijksregisternummer("The rijksregisternummer encodes another birth date than "
                                                "Geboortedatum.", field=field)
    return checked.number


def _student(student: Student) -> Student:
    number = _person(student.rijksregisternummer, "Leerling/Rijksregisternummer", student.birth_date)
    return replace(student, rijksregisternummer=number)


def _opleiding(code: str) -> None:
    if catalogue.opleiding(code) is None:
        raise errors.UnknownOpleiding("Opleiding is not a code of the counter's table of dual opleidingen.",
                                      field="Opleiding")


def _establishment_number(number: str) -> str:
    try:
        return identifiers.kbo_establishment_number(number)
    except identifiers.InvalidKboEstablishmentNumber as error:
        raise errors.InvalidEstablishmentNumber(str(error), field="Vestigingsnummer") from None


def _workplace(enterprise_number: str, establishment_number: str, kbo: KboRegister) -> tuple[str, str, str | None]:
    """The numbers checked (WPD-1011/1012) and found active in KBO (WPD-1013/1014); the joint committee."""
    try:
        enterprise_number = identifiers.kbo_enterprise_number(enterprise_number)
    except identifiers.InvalidKboEnterpriseNumber as error:
        raise errors.InvalidEnterpriseNumber(str(error), field="Ondernemingsnummer") from None
    establishment_number = _establishment_number(establishment_number)
    enterprise = kbo.enterprise(enterprise_number)
    if enterprise is None or enterprise.status != ACTIVE:
        raise errors.UnknownEnterprise("Ondernemingsnummer names no active enterprise in KBO.",
                                       field="Ondernemingsnummer")
    _establishment_of(enterprise_number, establishment_number, kbo)
    return enterprise_number, establishment_number, enterprise.joint_committee


def _establishment_of(enterprise_number: str, establishment_number: str, kbo: KboRegister) -> None:
    establishment = kbo.establishment(establishment_number)
    if establishment is None or establishment.status != ACTIVE or establishment.enterprise_number != enterprise_number:
        raise errors.UnknownEstablishment("Vestigingsnummer names no active establishment of this enterprise in KBO.",
                                          field="Vestigingsnummer")


# ------------------------------------------------------------------------------- kind rules
def check_kind(kind: str, hours: Decimal, allowance: Decimal | None, joint_committee: str | None) -> None:
    """The rules of the kind of agreement (WPD-1040, WPD-1041, WPD-1042)."""
    if hours > MAX_HOURS:
        raise errors.HoursForKind(f"UrenPerWeek is at most {MAX_HOURS} for every kind of agreement.")
    if kind == STAGE:
        if hours >= MIN_HOURS:
            raise errors.HoursForKind(f"A stageovereenkomst has under {MIN_HOURS} hours a week.")
        if allowance:
            raise errors.AllowanceForKind("A stageovereenkomst has no Leervergoeding.")
        return
    if hours < MIN_HOURS:
        raise errors.HoursForKind(f"This kind of agreement has at least {MIN_HOURS} hours a week.")
    if kind == ALTERNATING:
        if allowance is not None and allowance > MAX_ALLOWANCE:
            raise errors.AllowanceForKind(f"The Leervergoeding of an overeenkomst alternerende opleiding is at most "
                                          f"{MAX_ALLOWANCE} euro a month.")
        return
    if allowance is not None:
        raise errors.AllowanceForKind("A deeltijdse arbeidsovereenkomst pays a wage, not a Leervergoeding: leave "
                                      "Leervergoeding out.")
    if not catalogue.allows_part_time_employment(joint_committee):
        raise errors.KindNotInSector("The company's sector (joint committee) does not allow a deeltijdse "
                                     "arbeidsovereenkomst.")


def check_timetable(timetable: tuple[Lesday, ...], hours: Decimal) -> None:
    """Each weekday once, 0 to 10 hours a day, adding up to ``hours`` (WPD-1050)."""
    days = [day.weekday for day in timetable]
    if len(set(days)) != len(days) or not set(days) <= set(WEEKDAYS):
        raise errors.TimetableHours("Uurrooster names each weekday at most once.")
    if any(not Decimal(0) <= day.hours <= MAX_DAY_HOURS for day in timetable):
        raise errors.TimetableHours(f"Uurrooster: 0 to {MAX_DAY_HOURS} hours a day.")
    if sum((day.hours for day in timetable), Decimal(0)) != hours:
        raise errors.TimetableHours("The days of Uurrooster add up to UrenPerWeek.")


def _recognition(register: RecognitionRegister, establishment: str, opleiding: str, day: dt.date,
                 mentor: str) -> None:
    recognition = register.running(establishment, opleiding, day)
    if recognition is None:
        raise errors.NoRecognition("The establishment holds no running recognition for the opleiding on that day.")
    if mentor not in recognition.mentors:
        raise errors.MentorNotOfRecognition("Mentor is not a mentor of the establishment's recognition for the "
                                            "opleiding.", field="Mentor")


def _period(start: dt.date, end: dt.date) -> None:
    if end <= start:
        raise errors.InvalidPeriod("Einddatum is after Startdatum.")


# ------------------------------------------------------------------------------ operations
def register(terms: Terms, *, today: dt.date, kbo: KboRegister, register: RecognitionRegister,
             book: AgreementBook, board: TaskBoard, trajectories: TrajectoryBook) -> Agreement:
    """RegistreerOvereenkomst: every rule, in the order the data reads; the first broken one raises.
    Closes the student's OVEREENKOMST_ONTBREEKT tasks for the opleiding."""
    student = _student(terms.student)
    enterprise, establishment, joint_committee = _workplace(terms.enterprise_number, terms.establishment_number, kbo)
    _opleiding(terms.opleiding)
    mentor = _person(terms.mentor, "Mentor")
    if terms.kind not in KINDS:
        raise errors.HoursForKind("Soort is not a kind of agreement.", field="Soort")
    _period(terms.start, terms.end)
    check_kind(terms.kind, terms.hours_per_week, terms.allowance, joint_committee)
    check_timetable(terms.timetable, terms.hours_per_week)
    _recognition(register, establishment, terms.opleiding, terms.start, mentor)
    if book.overlaps(student.rijksregisternummer, terms.opleiding, terms.start, terms.end):
        raise errors.AgreementOverlaps("The student has an agreement for this opleiding in this period.",
                                       field="Leerling/Rijksregisternummer")
    agreement = book.add(replace(terms, student=student, enterprise_number=enterprise,
                                 establishment_number=establishment, mentor=mentor), registered=today)
    trajectories.satisfy(student.rijksregisternummer, terms.opleiding)
    for trajectory in _trajectories_of(trajectories, student.rijksregisternummer, terms.opleiding):
        for task in board.open_tasks(frozenset({AGREEMENT_MISSING}), trajectory=trajectory):
            board.close(task.number, Handling(REGISTER, today))
    return agreement


def _trajectories_of(trajectories: TrajectoryBook, student: str, opleiding: str) -> list[str]:
    latest = trajectories.latest(student, opleiding)
    return [] if latest is None else [latest.number]


def own(number: str, book: AgreementBook) -> Agreement:
    found = book.get(number)
    if found is None:
        raise errors.UnknownAgreement("The sender has no agreement with this Overeenkomstnummer.")
    return found


def _running(agreement: Agreement) -> Agreement:
    if agreement.status != REGISTERED:
        raise errors.AgreementEnded("The agreement was ended; it is not amended or ended again.")
    return agreement


def _text(value: object) -> str:
    if value is None:
        return "geen"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def amend(amendment: Amendment, *, today: dt.date, kbo: KboRegister, register: RecognitionRegister,
          book: AgreementBook, board: TaskBoard) -> Agreement:
    """WijzigOvereenkomst: the new values apply at once; a change of terms makes an addendum and an
    ADDENDUM task (see the module's docstring)."""
    agreement = _running(own(amendment.number, book))
    if agreement.open_addendum() is not None:
        raise errors.AddendumOpen("The agreement's addendum awaits its registration; amend it after that.")
    old = agreement.terms
    given: dict[str, Any] = {name: value for name, value in (
        ("mentor", None if amendment.mentor is None else _person(amendment.mentor, "Mentor")),
        ("establishment_number", None if amendment.establishment_number is None
         else _establishment_number(amendment.establishment_number)),
        ("end", amendment.end), ("hours_per_week", amendment.hours_per_week),
        ("allowance", amendment.allowance), ("timetable", amendment.timetable)) if value is not None}
    new = replace(old, **given)
    if new == old:
        raise errors.NothingToAmend("The amendment holds no value that differs from the agreement's.")
    changes = tuple(Change(label, _text(getattr(old, name)), _text(getattr(new, name))) for name, label in (
        ("establishment_number", "Vestigingsnummer"), ("end", "Einddatum"), ("hours_per_week", "UrenPerWeek"),
        ("allowance", "Leervergoeding")) if getattr(old, name) != getattr(new, name))
    verify(new, agreement.number, today=today, kbo=kbo, register=register, book=book,
           workplace_moved=new.establishment_number != old.establishment_number)
    book.save(agreement.number, new)
    if changes:
        make_addendum(agreement.number, changes, today=today, book=book, board=board)
    return own(agreement.number, book)


def verify(new: Terms, number: str, *, today: dt.date, kbo: KboRegister, register: RecognitionRegister,
           book: AgreementBook, workplace_moved: bool) -> None:
    """Every rule re-checked on an amended agreement (the recognition on the later of its start and today)."""
    enterprise = kbo.enterprise(new.enterprise_number)
    if workplace_moved:
        _establishment_of(new.enterprise_number, new.establishment_number, kbo)
    _period(new.start, new.end)
    check_kind(new.kind, new.hours_per_week, new.allowance, None if enterprise is None else enterprise.joint_committee)
    check_timetable(new.timetable, new.hours_per_week)
    _recognition(register, new.establishment_number, new.opleiding, max(new.start, today), new.mentor)
    if book.overlaps(new.student.rijksregisternummer, new.opleiding, new.start, new.end, excluding=number):
        raise errors.AgreementOverlaps("The student has another agreement for this opleiding in this period.",
                                       field="Einddatum")


def make_addendum(number: str, changes: tuple[Change, ...], *, today: dt.date, book: AgreementBook,
                  board: TaskBoard) -> Addendum:
    """An addendum TE_REGISTREREN and its ADDENDUM task."""
    addendum = book.add_addendum(number, changes, today)
    board.add(NewTask(ADDENDUM, today, key=f"ADDENDUM:{addendum.number}", agreement=number,
                      addendum=addendum.number))
    return addendum


def terminate(number: str, end: dt.date, reason: str, *, today: dt.date, book: AgreementBook, board: TaskBoard,
              trajectories: TrajectoryBook) -> Agreement:
    """BeeindigOvereenkomst: an early end (WPD-1048, WPD-1049). The agreement's open address and
    dissolution tasks close; without another agreement running for the student and opleiding, the
    20-training-day rule starts again from ``end``."""
    agreement = _running(own(number, book))
    if not agreement.terms.start <= end < agreement.terms.end:
        raise errors.EndDateOutsidePeriod("Einddatum of an early end lies on or after Startdatum and before the "
                                          "agreed Einddatum.")
    if not reason.strip():
        raise errors.ReasonMissing("An early end names its reason.", field="Reden")
    book.end(number, Ending(end, reason))
    for task in board.open_tasks(frozenset({ADDRESS_CHANGE, DISSOLUTION}), agreement=number):
        board.close(task.number, Handling(END, today, reason, end))
    terms = agreement.terms
    others = [a for a in book.select(student=terms.student.rijksregisternummer, status=REGISTERED)
              if a.number != number and a.terms.opleiding == terms.opleiding and a.terms.end > end]
    if not others:
        trajectory = trajectories.latest(terms.student.rijksregisternummer, terms.opleiding)
        deadline = trainingdays.registration_deadline(end)
        if trajectory is None:
            trajectories.add(terms.student, terms.opleiding, terms.start, deadline)
        else:
            trajectories.watch(trajectory.number, deadline)
    return own(number, book)


def select(book: AgreementBook, *, student: str | None, status: str | None) -> list[Agreement]:
    """GeefOvereenkomsten: the sender's agreements, of one student and/or in one status."""
    if student is not None:
        student = _person(student, "Rijksregisternummer")
    return book.select(student=student, status=status)


def start_trajectory(student: Student, opleiding: str, start: dt.date, *, book: AgreementBook,
                     trajectories: TrajectoryBook) -> Trajectory:
    """RegistreerLeertraject: the trajectory and its RegistratieUiterlijk. Sent again for the same
    student, opleiding and start, it answers the trajectory registered then. An agreement that runs
    already satisfies it at once."""
    student = _student(student)
    _opleiding(opleiding)
    latest = trajectories.latest(student.rijksregisternummer, opleiding)
    deadline = trainingdays.registration_deadline(start)
    if latest is not None and latest.start == start:
        return replace(latest, deadline=deadline)
    covered = any(a.terms.opleiding == opleiding and a.last_day >= start
                  for a in book.select(student=student.rijksregisternummer, status=None))
    made = trajectories.add(student, opleiding, start, None if covered else deadline)
    return replace(made, deadline=deadline)
