"""The counter's operations on a real database (SQLite, or PostgreSQL when configured).

Each test calls :mod:`ketenserver.absence.counter` as the service does, with a CallContext on a
session it commits itself, as the pipeline would. Students are new per test (their BSN comes from
a per-test seed), so tests on the shared database never see each other's reports.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ketencore.errors import BusinessError
from ketenserver.absence import counter, domain, handling, storage
from ketenserver.absence.ports import DuplicateIdentity
from ketenserver.absence.settings import AbsenceSettings
from ketenserver.context import CallContext
from ketenserver.db import make_session_factory
from ketenserver.exchange.storage import Organisation, business_now, move_clock
from ketenserver.pki import school_oin
from ketenserver.settings import Settings
from ketenserver.testing import valid_bsn, valid_onderwijsnummer

SCHOOL, OTHER = school_oin("25LX"), school_oin("30AB")
NOW = dt.datetime.now(dt.UTC)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)
_seeds = itertools.count(random.SystemRandom().randrange(1_000_000, 9_000_000, 10_000))


def _today() -> dt.date:
    from ketenserver.recognitions.domain import dutch_date

    return dutch_date(NOW)


def new_report(**changes: Any) -> domain.NewReport:
    """A valid report of school 25LX for a new student living in Utrecht (15 years old)."""
    today = _today()
    student = domain.Student(
        bsn=valid_bsn(next(_seeds)), onderwijsnummer=None, given_names="Sanne Maria", prefix="van der",
        surname="Berg", birth_date=today.replace(year=today.year - 15) - dt.timedelta(days=30),
        address=domain.Address("Oudegracht", 12, "bis", "3511 AB", "Utrecht"),
    )
    report = domain.NewReport(
        student=student, brin="25LX", establishment="01", school_year=f"{today.year - 1}-{today.year}",
        level="MBO niveau 2", learning_path="BOL", full_time=True, kind="DRIE_DAGEN",
        period=domain.Period(today - dt.timedelta(days=10), today - dt.timedelta(days=3)),
        presumed_reason="Spijbelen", explanation="Niet bereikbaar", action_taken="Gebeld",
        action_explanation="Ouders gebeld, geen gehoor", reporter=domain.Reporter(
            "verzuim@rocdemonoord.example", "Verzuimcoördinator", "J. de Groot", "030-1234567"),
        all_lessons_missed=True, attachments=(domain.Attachment("brief.pdf", PDF),),
    )
    return dataclasses.replace(report, **changes)


def student(report: domain.NewReport, **changes: Any) -> domain.Student:
    return dataclasses.replace(report.student, **changes)


@pytest.fixture(scope="module")
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


Call = Callable[..., Any]


@pytest.fixture
def call(sessions: sessionmaker[Session]) -> Iterator[Call]:
    """``call(operation, *args, oin=SCHOOL, settings=Settings())``: one committed unit of work, as the
    pipeline runs it; a refusal rolls back."""

    def run(operation: Callable[..., Any], *args: Any, oin: str = SCHOOL, settings: Settings | None = None) -> Any:
        settings = settings or Settings()
        with sessions() as session:
            context = CallContext(session=session, organisation_oin=oin, message_id="urn:uuid:test",
                                  now=business_now(session, oin, dt.datetime.now(dt.UTC)), profile="2W-be-S",
                                  settings=settings)
            try:
                result = operation(context, *args)
            except BaseException:
                session.rollback()
                raise
            session.commit()
            return result

    yield run


def refused(code: str, field: str | None, operation: Callable[..., Any], *args: Any, **kwargs: Any) -> BusinessError:
    with pytest.raises(BusinessError) as caught:
        operation(*args, **kwargs)
    assert (caught.value.code, caught.value.field) == (code, field), caught.value.message
    return caught.value


def count_reports(sessions: sessionmaker[Session], report: domain.NewReport) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(storage.ReportRow)
                              .where(storage.ReportRow.student_key == report.student.key)) or 0


# --- Submitting ---------------------------------------------------------------------------------


def test_a_report_is_registered_for_the_municipality_of_the_students_postcode(call: Call) -> None:
    report = new_report()
    registration = call(counter.submit, report)
    assert registration.status is domain.Status.GEREGISTREERD
    assert registration.municipality == domain.Municipality("0344", "Utrecht")
    assert registration.meldingnummer.startswith(str(registration.registered_at.year))
    assert [(a.file_name, a.media_type, a.size) for a in registration.attachments] == [
        ("brief.pdf", "application/pdf", len(PDF))]
    held = call(counter.read, registration.meldingnummer)
    as_held = dataclasses.replace(report.student.address, postcode="3511AB")  # normalised, as SBB does
    assert held.content == dataclasses.replace(report, attachments=(),
                                               student=student(report, address=as_held))
    assert held.status is domain.Status.GEREGISTREERD and held.days == () and held.replies == ()


def test_the_same_report_twice_is_refused_naming_the_first_and_stored_once(
        call: Call, sessions: sessionmaker[Session]) -> None:
    report = new_report()
    first = call(counter.submit, report)
    error = refused("VZL-1015", "Periode", call, counter.submit, dataclasses.replace(report, explanation="Opnieuw"))
    assert first.meldingnummer in error.message
    assert count_reports(sessions, report) == 1
    # another period, kind or student is another report
    call(counter.submit, dataclasses.replace(report, kind="EENACHTSTE"))
    assert count_reports(sessions, report) == 2


def test_the_database_refuses_a_second_identical_row_by_itself(sessions: sessionmaker[Session]) -> None:
    """The unique constraint decides, not a look-up: two inserts past any check still give one row."""
    report = new_report(attachments=())
    municipality = domain.Municipality("0344", "Utrecht")
    with sessions() as session:
        book = storage.SqlReportBook(session, SCHOOL)
        book.add_report(report, change=book.next_change(), at=NOW, municipality=municipality, attachments=(),
                        next_step_at=NOW)
        session.commit()
    with sessions() as session, pytest.raises(DuplicateIdentity):
        book = storage.SqlReportBook(session, SCHOOL)
        book.add_report(report, change=book.next_change(), at=NOW, municipality=municipality, attachments=(),
                        next_step_at=NOW)
    assert count_reports(sessions, report) == 1


@pytest.mark.parametrize(("code", "field", "change"), [
    ("VZL-1001", "Bsn", lambda r: {"student": student(r, bsn="123456789")}),
    ("VZL-1002", "Onderwijsnummer", lambda r: {"student": student(r, bsn=None, onderwijsnummer="100000005")}),
    ("VZL-1003", "Leerling", lambda r: {"student": student(r, onderwijsnummer=valid_onderwijsnummer(7))}),
    ("VZL-1003", "Leerling", lambda r: {"student": student(r, bsn=None)}),
    ("VZL-1004", "Brin", lambda r: {"brin": "30AB"}),
    ("VZL-1005", "Verzuimsoort", lambda r: {"kind": "SPIJBELEN"}),
    ("VZL-1006", "Begindatum", lambda r: {"period": domain.Period(_today() + dt.timedelta(days=1),
                                                                  _today() + dt.timedelta(days=2))}),
    ("VZL-1006", "Einddatum", lambda r: {"period": domain.Period(_today(), _today() + dt.timedelta(days=1))}),
    ("VZL-1007", "Einddatum", lambda r: {"period": domain.Period(_today(), _today() - dt.timedelta(days=1))}),
    ("VZL-1008", "Verzuimsoort", lambda r: {"kind": "ZESTIEN_UUR_18P"}),
    ("VZL-1008", "Verzuimsoort", lambda r: {"kind": "ZESTIEN_UUR_O18", "student": student(
        r, birth_date=r.period.start.replace(year=r.period.start.year - 18))}),
    ("VZL-1020", "Geboortedatum", lambda r: {"student": student(
        r, birth_date=r.period.start.replace(year=r.period.start.year - 24))}),
    ("VZL-1020", "Geboortedatum", lambda r: {"student": student(r, birth_date=r.period.start)}),
    ("VZL-1019", "Schooljaar", lambda r: {"school_year": "2025-2027"}),
    ("VZL-1009", "Inhoud", lambda r: {"attachments": (domain.Attachment("brief.pdf", b"just text"),)}),
], ids=lambda value: value if isinstance(value, str) else "")
def test_each_rule_refuses_with_its_code_and_field_and_stores_nothing(
        call: Call, sessions: sessionmaker[Session], code: str, field: str, change: Callable[..., Any]) -> None:
    report = new_report()
    bad = dataclasses.replace(report, **change(report))
    refused(code, field, call, counter.submit, bad)
    assert count_reports(sessions, bad) == 0


def test_age_rules_of_the_16_hours_kinds_hold_on_the_periods_first_day(call: Call) -> None:
    report = new_report()
    start = report.period.start
    turns_18_next_day = start.replace(year=start.year - 18) + dt.timedelta(days=1)
    young = dataclasses.replace(report, kind="ZESTIEN_UUR_O18", student=student(report, birth_date=turns_18_next_day))
    assert call(counter.submit, young).status is domain.Status.GEREGISTREERD
    adult = new_report(kind="ZESTIEN_UUR_18P")
    adult = dataclasses.replace(adult, student=student(adult, birth_date=start.replace(year=start.year - 18)))
    assert call(counter.submit, adult).status is domain.Status.GEREGISTREERD


def test_attachments_are_judged_by_content_and_size_not_name(call: Call) -> None:
    named_wrong = new_report(attachments=(domain.Attachment("scan.txt", PNG), domain.Attachment("x.png", PDF)))
    registration = call(counter.submit, named_wrong)
    assert [a.media_type for a in registration.attachments] == ["image/png", "application/pdf"]
    small = Settings(sections={"absence": AbsenceSettings(attachment_max_bytes=len(PDF),
                                                          report_attachments_max_bytes=len(PDF) + 10)})
    too_big = new_report(attachments=(domain.Attachment("a.pdf", PDF + b" "),))
    assert "larger than" in refused("VZL-1010", "Inhoud", call, counter.submit, too_big, settings=small).message
    together = new_report(attachments=(domain.Attachment("a.pdf", PDF), domain.Attachment("b.pdf", PDF)))
    refused("VZL-1011", "Bijlagen", call, counter.submit, together, settings=small)


# --- Day specification, withdrawal, clone, isolation --------------------------------------------------


def test_day_specification_fills_within_the_period_and_is_completed_later(call: Call) -> None:
    report = new_report()
    number = call(counter.submit, report).meldingnummer
    start = report.period.start
    first = call(counter.add_days, number, [domain.AbsenceDay(start, True),
                                            domain.AbsenceDay(start + dt.timedelta(days=1), False, (1, 2, 3))])
    assert (first.day_count, first.visible_to_municipality) == (2, True)
    later = call(counter.add_days, number, [domain.AbsenceDay(start + dt.timedelta(days=1), False, (5,)),
                                            domain.AbsenceDay(report.period.end, True)])
    assert later.day_count == 3
    days = call(counter.read, number).days
    assert [(d.day, d.whole_day, d.lesson_hours) for d in days] == [
        (start, True, ()), (start + dt.timedelta(days=1), False, (5,)), (report.period.end, True, ())]
    outside = [domain.AbsenceDay(report.period.end + dt.timedelta(days=1), True)]
    refused("VZL-1013", "Datum", call, counter.add_days, number, outside)
    refused("VZL-1014", "Lesuur", call, counter.add_days, number, [domain.AbsenceDay(start, True, (1,))])
    refused("VZL-1014", "Lesuur", call, counter.add_days, number, [domain.AbsenceDay(start, False, ())])
    refused("VZL-1014", "Lesuur", call, counter.add_days, number, [domain.AbsenceDay(start, False, (13,))])
    refused("VZL-1014", "Datum", call, counter.add_days, number,
            [domain.AbsenceDay(start, True), domain.AbsenceDay(start, True)])
    assert len(call(counter.read, number).days) == 3  # refusals changed nothing


def test_a_report_without_days_is_not_visible_to_the_municipality(call: Call) -> None:
    number = call(counter.submit, new_report()).meldingnummer
    assert call(counter.read, number).visible_to_municipality is False


def test_withdrawing_closes_the_report_once(call: Call) -> None:
    number = call(counter.submit, new_report()).meldingnummer
    assert call(counter.withdraw, number, "Leerling was ziek gemeld") == domain.StatusChange(
        number, domain.Status.INGETROKKEN)
    held = call(counter.read, number)
    assert held.withdrawal is not None and held.withdrawal.reason == "Leerling was ziek gemeld"
    refused("VZL-1016", "Meldingnummer", call, counter.withdraw, number, "Nogmaals")
    refused("VZL-1016", "Meldingnummer", call, counter.add_days, number,
            [domain.AbsenceDay(held.content.period.start, True)])


def test_a_follow_up_report_copies_the_earlier_one_with_a_new_period(call: Call) -> None:
    today = _today()
    report = new_report(period=domain.Period(today - dt.timedelta(days=30), today - dt.timedelta(days=20)))
    earlier = call(counter.submit, report).meldingnummer
    period = domain.Period(today - dt.timedelta(days=19), today - dt.timedelta(days=5))
    refused("VZL-1017", "Begindatum", call, counter.clone,
            domain.CloneRequest(earlier, domain.Period(report.period.end, today)))
    follow_up = call(counter.clone, domain.CloneRequest(earlier, period, presumed_reason="Aanhoudend spijbelen"))
    assert follow_up.previous == earlier and follow_up.meldingnummer != earlier
    held = call(counter.read, follow_up.meldingnummer)
    assert held.previous == earlier and held.content.period == period
    assert held.content.presumed_reason == "Aanhoudend spijbelen"
    assert held.content.student.bsn == report.student.bsn and held.content.explanation == report.explanation
    assert held.attachments == ()


def test_another_school_cannot_see_or_touch_a_report(call: Call) -> None:
    report = new_report()
    number = call(counter.submit, report).meldingnummer
    for operation, args in ((counter.read, (number,)), (counter.withdraw, (number, "weg")),
                            (counter.add_days, (number, [domain.AbsenceDay(report.period.start, True)])),
                            (counter.clone, (domain.CloneRequest(number, report.period),))):
        refused("VZL-1012", "Meldingnummer", call, operation, *args, oin=OTHER)
    assert number not in {r.meldingnummer for r in call(counter.synchronise, 0, 500, oin=OTHER).items}
    assert call(counter.read, number).status is domain.Status.GEREGISTREERD


# --- Synchronising and the municipalities ----------------------------------------------------------


def _all_changes(call: Call, cursor: int, page_size: int) -> tuple[list[domain.Report], int]:
    reports: list[domain.Report] = []
    while True:
        page = call(counter.synchronise, cursor, page_size)
        reports.extend(page.items)
        cursor = page.cursor
        if not page.more:
            return reports, cursor


def test_synchronising_pages_every_change_after_the_cursor_in_order(call: Call) -> None:
    start = call(counter.synchronise, None, 1).cursor
    start = _all_changes(call, start, 50)[1]
    numbers = [call(counter.submit, new_report()).meldingnummer for _ in range(5)]
    call(counter.withdraw, numbers[1], "Vergissing")
    changed, cursor = _all_changes(call, start, 2)
    assert [r.meldingnummer for r in changed] == [numbers[0], *numbers[2:], numbers[1]]
    assert [r.change_number for r in changed] == sorted(r.change_number for r in changed)
    assert changed[-1].status is domain.Status.INGETROKKEN
    assert _all_changes(call, cursor, 2)[0] == []
    refused("VZL-1018", "Cursor", call, counter.synchronise, cursor + 1000, None)


def _municipalities(sessions: sessionmaker[Session], clock: list[dt.datetime]) -> handling.Municipalities:
    import contextlib

    return handling.Municipalities(storage.units(sessions), rules=handling.Rules.from_settings(Settings()),
                                   clock=lambda: clock[0], writes=contextlib.nullcontext)


def test_the_municipality_takes_up_replies_closes_and_the_counter_cleans_up_on_the_sandbox_clock(
        call: Call, sessions: sessionmaker[Session]) -> None:
    school = school_oin("77TK")  # a school of its own: its clock moves without disturbing others
    with sessions.begin() as session:
        if session.get(Organisation, school) is None:
            session.add(Organisation(oin=school, name="Klokschool", kind="school", brin="77TK"))
    report = new_report(brin="77TK")
    overig = new_report(brin="77TK", kind="OVERIG")
    number = call(counter.submit, report, oin=school).meldingnummer
    noted = call(counter.submit, overig, oin=school).meldingnummer
    replies_from = call(counter.replies, None, None, oin=school).cursor
    clock = [dt.datetime.now(dt.UTC)]
    municipalities = _municipalities(sessions, clock)
    municipalities.run_once(only=school)
    assert call(counter.read, number, oin=school).status is domain.Status.GEREGISTREERD
    with sessions.begin() as session:
        move_clock(session, school, dt.timedelta(hours=49))
    assert municipalities.run_once(only=school).replies == 2
    taken_up = call(counter.read, number, oin=school)
    assert taken_up.status is domain.Status.IN_BEHANDELING
    assert call(counter.read, noted, oin=school).status is domain.Status.TER_KENNISGEVING
    reply = taken_up.replies[0]
    assert reply.handler.email.startswith("leerplicht@utrecht") and reply.handler.name
    assert municipalities.run_once(only=school).replies == 0  # nothing more is due yet
    with sessions.begin() as session:
        move_clock(session, school, dt.timedelta(days=15))
    municipalities.run_once(only=school)
    closed = call(counter.read, number, oin=school)
    assert [r.status for r in closed.replies] == [domain.Status.IN_BEHANDELING, domain.Status.AFGESLOTEN]
    page = call(counter.replies, replies_from, None, oin=school)
    assert [(r.meldingnummer, r.status) for r in page.items] == [
        (number, domain.Status.IN_BEHANDELING), (noted, domain.Status.TER_KENNISGEVING),
        (number, domain.Status.AFGESLOTEN)]
    with sessions.begin() as session:
        move_clock(session, school, dt.timedelta(days=181))
    assert municipalities.run_once(only=school).cleaned == 2
    refused("VZL-1012", "Meldingnummer", call, counter.read, number, oin=school)


def test_a_tester_forces_a_reply_now(call: Call, sessions: sessionmaker[Session]) -> None:
    number = call(counter.submit, new_report()).meldingnummer
    with sessions.begin() as session:
        given = handling.force_reply(session, number, domain.Status.AFGESLOTEN, now=dt.datetime.now(dt.UTC),
                                     rules=handling.Rules.from_settings(Settings()), explanation="Direct gesloten")
    held = call(counter.read, number)
    assert held.status is domain.Status.AFGESLOTEN and held.replies == (given,)
    assert given.explanation == "Direct gesloten"


def test_a_forced_reply_to_a_withdrawn_or_unknown_report_is_refused(
        call: Call, sessions: sessionmaker[Session]) -> None:
    number = call(counter.submit, new_report()).meldingnummer
    call(counter.withdraw, number, "Vergissing")
    rules = handling.Rules.from_settings(Settings())
    for meldingnummer, code in ((number, "VZL-1016"), ("2026999999", "VZL-1012")):
        with sessions() as session:
            refused(code, "Meldingnummer", handling.force_reply, session, meldingnummer, domain.Status.AFGESLOTEN,
                    now=dt.datetime.now(dt.UTC), rules=rules)
    held = call(counter.read, number)
    assert held.status is domain.Status.INGETROKKEN and held.replies == ()
