"""Test data for agreements, trajectories and tasks: domain values, a fake recognition register, MAGDA contents.

The numbers come from :mod:`tests.werkplekduaal.factories` (computed from their published rules);
KBO companies are rows of the counter's KBO tables (``factories.kbo_company``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal

from lxml import etree
from sqlalchemy.orm import Session

from ketenserver.werkplekduaal import agreements, requests_storage
from ketenserver.werkplekduaal.agreements_storage import SqlAgreementBook, SqlTaskBoard, SqlTrajectoryBook
from ketenserver.werkplekduaal.kbo_storage import SqlKboRegister
from ketenserver.werkplekduaal.requests import Recognition
from tests.werkplekduaal import factories
from tests.werkplekduaal.factories import element, leaf

PROVIDER, OTHER_PROVIDER = "0987654394", "0987654493"  # only these tests write as them
TODAY = dt.date(2026, 3, 9)
START, END = dt.date(2026, 3, 16), dt.date(2027, 6, 30)


def person(age: int = 17, on: dt.date = TODAY) -> tuple[str, dt.date]:
    birth = factories.born(age, on, days_later=-10)
    return factories.test_rijksregisternummer(birth, factories.serial()), birth


def student() -> agreements.Student:
    number, birth = person()
    return agreements.Student(number, "Lotte", "Janssens", birth)


def week(hours: Decimal | int, days: tuple[str, ...] = ("MAANDAG", "DINSDAG", "WOENSDAG", "DONDERDAG")
         ) -> tuple[agreements.Lesday, ...]:
    """``hours`` spread over ``days`` (the last day takes the rest)."""
    total = Decimal(hours)
    each = (total / len(days)).quantize(Decimal("0.5"), rounding="ROUND_DOWN")
    spread = [each] * (len(days) - 1)
    return tuple(agreements.Lesday(d, h) for d, h in zip(days, [*spread, total - sum(spread)], strict=True))


@dataclass
class FakeRegister:
    """A recognition register in memory: ``requests.RecognitionRegister``."""

    recognitions: list[Recognition] = field(default_factory=list)
    withdrawn: list[tuple[str, str, dt.date]] = field(default_factory=list)

    def running(self, establishment_number: str, opleiding: str, day: dt.date) -> Recognition | None:
        return next((r for r in self.recognitions if r.establishment_number == establishment_number
                     and r.opleiding == opleiding and r.runs_on(day)), None)

    def of_establishment(self, establishment_number: str) -> list[Recognition]:
        return [r for r in self.recognitions if r.establishment_number == establishment_number]

    def withdraw(self, number: str, reason: str, day: dt.date) -> Recognition:
        self.withdrawn.append((number, reason, day))
        found = next(r for r in self.recognitions if r.number == number)
        self.recognitions[self.recognitions.index(found)] = replace(found, status="INGETROKKEN")
        return replace(found, status="INGETROKKEN")


@dataclass
class Workplace:
    """A company in KBO whose establishment is recognised for an opleiding, with its mentors."""

    company: factories.Company
    opleiding: str
    mentors: tuple[str, ...]

    @property
    def establishment(self) -> str:
        return self.company.establishments[0]


def workplace(session: Session, register: FakeRegister | None = None, *, opleiding: str = "BAKKER",
              joint_committee: str | None = "118", establishments: int = 1, valid_from: dt.date = dt.date(2025, 1, 1),
              valid_until: dt.date = dt.date(2029, 12, 31)) -> Workplace:
    """A recognised workplace: in ``register`` when given, else in the recognition tables."""
    company = factories.kbo_company(session, joint_committee=joint_committee, establishments=establishments)
    mentors = (person(40)[0], person(45)[0])
    if register is None:
        requests_storage.add_recognition(session, establishment_number=company.establishments[0],
                                         enterprise_number=company.enterprise, opleiding=opleiding,
                                         valid_from=valid_from, valid_until=valid_until, places=4, mentors=mentors)
    else:
        register.recognitions.append(Recognition(
            f"ER{len(register.recognitions) + 1:08d}", company.establishments[0], company.enterprise, opleiding,
            valid_from, valid_until, "LOPEND", 4, frozenset(mentors)))
    return Workplace(company, opleiding, mentors)


def terms(place: Workplace, *, kind: str = agreements.ALTERNATING, hours: Decimal | int = 24,
          allowance: Decimal | int | None = 400, start: dt.date = START, end: dt.date = END,
          who: agreements.Student | None = None) -> agreements.Terms:
    return agreements.Terms(
        kind=kind, student=who or student(), enterprise_number=place.company.enterprise,
        establishment_number=place.establishment, opleiding=place.opleiding, mentor=place.mentors[0], start=start,
        end=end, hours_per_week=Decimal(hours), allowance=None if allowance is None else Decimal(allowance),
        timetable=week(hours))


@dataclass
class Desk:
    """One provider's ports over a session, with a recognition register."""

    session: Session
    register: FakeRegister | requests_storage.SqlRecognitionRegister
    provider: str = PROVIDER

    @property
    def kbo(self) -> SqlKboRegister:
        return SqlKboRegister(self.session)

    @property
    def book(self) -> SqlAgreementBook:
        return SqlAgreementBook(self.session, self.provider)

    @property
    def board(self) -> SqlTaskBoard:
        return SqlTaskBoard(self.session, self.provider)

    @property
    def trajectories(self) -> SqlTrajectoryBook:
        return SqlTrajectoryBook(self.session, self.provider)

    def register_agreement(self, new: agreements.Terms, today: dt.date = TODAY) -> agreements.Agreement:
        return agreements.register(new, today=today, kbo=self.kbo, register=self.register, book=self.book,
                                   board=self.board, trajectories=self.trajectories)

    def amend(self, amendment: agreements.Amendment, today: dt.date = TODAY) -> agreements.Agreement:
        return agreements.amend(amendment, today=today, kbo=self.kbo, register=self.register, book=self.book,
                                board=self.board)

    def terminate(self, number: str, end: dt.date, reason: str = "De leerling stopt.",
                  today: dt.date = TODAY) -> agreements.Agreement:
        return agreements.terminate(number, end, reason, today=today, book=self.book, board=self.board,
                                    trajectories=self.trajectories)

    def other(self, provider: str = OTHER_PROVIDER) -> Desk:
        return Desk(self.session, self.register, provider)


# ------------------------------------------------------------------------------------ MAGDA
def _money(value: Decimal | int) -> str:
    return f"{Decimal(value):f}"


def uurrooster(days: tuple[agreements.Lesday, ...]) -> etree._Element:
    return element("Uurrooster", *[element("Lesdag", leaf("Weekdag", d.weekday), leaf("Uren", _money(d.hours)))
                                   for d in days])


def leerling(who: agreements.Student) -> etree._Element:
    return element("Leerling", leaf("Rijksregisternummer", who.rijksregisternummer), leaf("Voornaam", who.given_name),
                   leaf("Naam", who.surname), leaf("Geboortedatum", who.birth_date))


def overeenkomst_gegevens(new: agreements.Terms) -> etree._Element:
    return element(
        "OvereenkomstGegevens", leaf("Soort", new.kind), leerling(new.student),
        element("Werkplaats", leaf("Ondernemingsnummer", new.enterprise_number),
                leaf("Vestigingsnummer", new.establishment_number)),
        leaf("Opleiding", new.opleiding), leaf("Mentor", new.mentor), leaf("Startdatum", new.start),
        leaf("Einddatum", new.end), leaf("UrenPerWeek", _money(new.hours_per_week)),
        None if new.allowance is None else leaf("Leervergoeding", _money(new.allowance)),
        uurrooster(new.timetable))
