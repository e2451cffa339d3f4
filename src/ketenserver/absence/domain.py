"""The rules of DUO's absence counter (Verzuimloket), as a school's administration meets them.

Typed, and free of spyne and SQL: :mod:`~ketenserver.absence.counter` hands in plain values,
these functions check them and raise the errors of :mod:`~ketenserver.absence.errors`; the
values the counter answers with are the frozen dataclasses here. The XSD refuses most shapes
first; the checks here are the authority for the rules the XSD cannot express (check digits,
dates against the counter's clock, ages, file contents). What the counter needs from storage is
written in these values too, as the ports of :mod:`~ketenserver.absence.ports`, so that storage
depends on the domain and never the other way round.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from ketenserver import identifiers
from ketenserver.absence.errors import (
    AttachmentsTooLarge,
    AttachmentTooLarge,
    AttachmentTypeRefused,
    DayOutsidePeriod,
    InvalidAbsenceDay,
    InvalidBsn,
    InvalidOnderwijsnummer,
    InvalidPeriod,
    InvalidSchoolYear,
    PeriodInFuture,
    StudentAgeOutOfRange,
    StudentIdentification,
    UnknownAbsenceKind,
    WrongAgeForKind,
)
from ketenserver.absence.municipalities import Municipality


class Status(StrEnum):
    GEREGISTREERD = "Geregistreerd"
    IN_BEHANDELING = "In behandeling"
    AFGESLOTEN = "Afgesloten"
    TER_KENNISGEVING = "Ter kennisgeving aangenomen"
    INGETROKKEN = "Ingetrokken"


CLOSED = frozenset({Status.AFGESLOTEN, Status.TER_KENNISGEVING, Status.INGETROKKEN})
"""Statuses after which the municipality does nothing more; clean-up counts from them."""
WITHDRAWABLE = frozenset({Status.GEREGISTREERD, Status.IN_BEHANDELING})

ABSENCE_KINDS: dict[str, str] = {
    "DRIE_DAGEN": "Drie aaneengesloten schooldagen",
    "EENACHTSTE": "1/8 van de onderwijstijd in vier weken",
    "ZESTIEN_UUR_O18": "16 uur in vier weken, jonger dan 18",
    "ZESTIEN_UUR_18P": "16 uur in vier weken, 18 jaar of ouder",
    "RMC": "Voortijdig schoolverlaten (RMC)",
    "LUXEVERZUIM": "Luxeverzuim",
    "LANGDURIG_RELATIEF": "Langdurig relatief verzuim",
    "OVERIG": "Overig verzuim",
}
"""DUO's code table of kinds of absence (verzuimsoort)."""

MIN_AGE, MAX_AGE = 5, 23
"""Compulsory education starts at 5; RMC reports of early school leavers reach to 23."""
FIRST_LESSON_HOUR, LAST_LESSON_HOUR = 1, 12


@dataclass(frozen=True)
class Limits:
    """Attachment limits (settings ``attachment_max_bytes``, ``report_attachments_max_bytes``)."""

    attachment_max_bytes: int = 1024 * 1024
    report_attachments_max_bytes: int = 5 * 512 * 1024


@dataclass(frozen=True)
class Address:
    street: str
    house_number: int
    house_number_suffix: str | None
    postcode: str
    place: str


@dataclass(frozen=True)
class Student:
    bsn: str | None
    onderwijsnummer: str | None
    given_names: str
    prefix: str | None
    surname: str
    birth_date: dt.date
    address: Address

    @property
    def key(self) -> str:
        """The student's identity in the register: ``B<bsn>`` or ``O<onderwijsnummer>``."""
        return f"B{self.bsn}" if self.bsn else f"O{self.onderwijsnummer}"


@dataclass(frozen=True)
class Reporter:
    email: str
    role: str
    contact: str
    phone: str | None


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class Attachment:
    file_name: str
    content: bytes

    @property
    def media_type(self) -> str | None:
        return sniff_media_type(self.content)


@dataclass(frozen=True)
class AttachmentInfo:
    file_name: str
    media_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class NewReport:
    student: Student
    brin: str
    establishment: str
    school_year: str
    level: str
    learning_path: str
    full_time: bool
    kind: str
    period: Period
    presumed_reason: str | None
    explanation: str | None
    action_taken: str | None
    action_explanation: str | None
    reporter: Reporter
    all_lessons_missed: bool
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class CloneRequest:
    meldingnummer: str
    period: Period
    presumed_reason: str | None = None
    explanation: str | None = None
    all_lessons_missed: bool | None = None
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class AbsenceDay:
    day: dt.date
    whole_day: bool
    lesson_hours: tuple[int, ...] = ()


@dataclass(frozen=True)
class Handler:
    name: str
    phone: str
    email: str


@dataclass(frozen=True)
class Reply:
    """A municipality's reply (terugmelding)."""

    sequence: int
    meldingnummer: str
    status: Status
    handler: Handler
    explanation: str
    at: dt.datetime


@dataclass(frozen=True)
class Withdrawal:
    reason: str
    at: dt.datetime


@dataclass(frozen=True)
class Registration:
    """The answer to a submitted or cloned report."""

    meldingnummer: str
    status: Status
    registered_at: dt.datetime
    municipality: Municipality
    attachments: tuple[AttachmentInfo, ...]
    previous: str | None = None


@dataclass(frozen=True)
class Report:
    """A report as the counter holds it."""

    meldingnummer: str
    change_number: int
    status: Status
    registered_at: dt.datetime
    previous: str | None
    municipality: Municipality
    content: NewReport
    """What the school reported (attachments without content: see :attr:`attachments`)."""
    attachments: tuple[AttachmentInfo, ...]
    days: tuple[AbsenceDay, ...]
    withdrawal: Withdrawal | None
    replies: tuple[Reply, ...]

    @property
    def visible_to_municipality(self) -> bool:
        """The municipality sees the day specification only once it holds a day."""
        return bool(self.days)


@dataclass(frozen=True)
class DaySpecification:
    meldingnummer: str
    day_count: int
    visible_to_municipality: bool


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page after a cursor: the items, the cursor to send next, and whether more is waiting."""

    items: tuple[T, ...]
    cursor: int
    more: bool


@dataclass(frozen=True)
class StatusChange:
    meldingnummer: str
    status: Status


# --- Identifiers -------------------------------------------------------------------------------


def _passes(check: Callable[[str], str], value: str) -> bool:
    try:
        check(value)
    except identifiers.InvalidIdentifier:
        return False
    return True


def is_valid_bsn(value: str) -> bool:
    """The 11-test: 9·d1 + 8·d2 + … + 2·d8 − 1·d9 ≡ 0 (mod 11); 000000000 is not a BSN
    (:func:`ketenserver.identifiers.bsn`)."""
    return _passes(identifiers.bsn, value)


def is_valid_onderwijsnummer(value: str) -> bool:
    """9 digits starting with 10; the BSN's weighted sum ≡ 5 (mod 11)
    (:func:`ketenserver.identifiers.onderwijsnummer`)."""
    return _passes(identifiers.onderwijsnummer, value)


def check_student(student: Student) -> None:
    if (student.bsn is None) == (student.onderwijsnummer is None):
        raise StudentIdentification()
    if student.bsn is not None and not is_valid_bsn(student.bsn):
        raise InvalidBsn()
    if student.onderwijsnummer is not None and not is_valid_onderwijsnummer(student.onderwijsnummer):
        raise InvalidOnderwijsnummer()


# --- Dates -----------------------------------------------------------------------------------


def age_on(birth: dt.date, day: dt.date) -> int:
    """Completed years on *day* (someone born on 29 February turns a year older on 1 March)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def check_period(period: Period, today: dt.date) -> None:
    if period.start > today:
        raise PeriodInFuture("Begindatum")
    if period.end < period.start:
        raise InvalidPeriod()
    if period.end > today:
        raise PeriodInFuture("Einddatum")


def check_school_year(school_year: str) -> None:
    first, _, second = school_year.partition("-")
    if not (first.isdigit() and second.isdigit() and int(second) == int(first) + 1):
        raise InvalidSchoolYear()


def check_kind_and_age(kind: str, birth: dt.date, period: Period) -> None:
    if kind not in ABSENCE_KINDS:
        raise UnknownAbsenceKind(tuple(ABSENCE_KINDS))
    age = age_on(birth, period.start)
    if not MIN_AGE <= age <= MAX_AGE:
        raise StudentAgeOutOfRange(MIN_AGE, MAX_AGE)
    if kind == "ZESTIEN_UUR_O18" and age >= 18:
        raise WrongAgeForKind(kind, "jonger dan 18")
    if kind == "ZESTIEN_UUR_18P" and age < 18:
        raise WrongAgeForKind(kind, "18 jaar of ouder")


def check_report(report: NewReport, today: dt.date, limits: Limits) -> tuple[AttachmentInfo, ...]:
    """Every rule of a new report, in the order a vendor reads the message; what is kept of each
    attachment."""
    check_student(report.student)
    check_school_year(report.school_year)
    check_period(report.period, today)
    check_kind_and_age(report.kind, report.student.birth_date, report.period)
    return check_attachments(report.attachments, limits)


# --- Attachments -------------------------------------------------------------------------------

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def sniff_media_type(content: bytes) -> str | None:
    """The media type a file's first bytes prove (PDF, PNG, JPEG), else None; the name is ignored."""
    for magic, media_type in _SIGNATURES:
        if content.startswith(magic):
            return media_type
    return None


def check_attachments(attachments: Sequence[Attachment], limits: Limits) -> tuple[AttachmentInfo, ...]:
    total = 0
    infos = []
    for position, attachment in enumerate(attachments, start=1):
        media_type = attachment.media_type
        if media_type is None:
            raise AttachmentTypeRefused(position)
        size = len(attachment.content)
        if size > limits.attachment_max_bytes:
            raise AttachmentTooLarge(position, limits.attachment_max_bytes)
        total += size
        infos.append(AttachmentInfo(attachment.file_name, media_type, size,
                                    hashlib.sha256(attachment.content).hexdigest()))
    if total > limits.report_attachments_max_bytes:
        raise AttachmentsTooLarge(limits.report_attachments_max_bytes)
    return tuple(infos)


# --- Day specification ---------------------------------------------------------------------------


def check_days(days: Sequence[AbsenceDay], period: Period) -> None:
    seen: set[dt.date] = set()
    for day in days:
        if day.day in seen:
            raise InvalidAbsenceDay("Datum", "each date at most once per message")
        seen.add(day.day)
        if not period.start <= day.day <= period.end:
            raise DayOutsidePeriod()
        if day.whole_day == bool(day.lesson_hours):
            raise InvalidAbsenceDay("Lesuur", "either HeleDag true or one or more lesson hours")
        if len(set(day.lesson_hours)) != len(day.lesson_hours):
            raise InvalidAbsenceDay("Lesuur", "each lesson hour at most once per day")
        if any(not FIRST_LESSON_HOUR <= hour <= LAST_LESSON_HOUR for hour in day.lesson_hours):
            raise InvalidAbsenceDay("Lesuur", "lesson hours 1 to 12")
