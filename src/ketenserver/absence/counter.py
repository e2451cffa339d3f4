"""DUO's counter: what each operation does, on the request's unit of work.

Each function takes the :class:`~ketenserver.context.CallContext` (calling school, arrival time,
settings), checks the rules of :mod:`~ketenserver.absence.domain`, and stores through the
:class:`~ketenserver.absence.ports.ReportBook` port, built over the request's session in one
place (:func:`_book`): the counter knows no SQL and no rows, so dependencies point one way. The
pipeline commits or rolls back; a refusal raised here leaves nothing behind. Every state change
first takes the school's next change number (the school's lock), so one school's changes are
serialised and numbered in commit order.

Dates are judged on the school's sandbox clock: real time plus the offset a tester moved it by
(``ketenserver duo klok``), so that municipalities' replies can be brought about in seconds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TypeVar

from ketenserver import identifiers
from ketenserver.absence import domain, handling, municipalities
from ketenserver.absence.errors import (
    BrinNotOfCaller,
    CloneOverlaps,
    CursorNotIssued,
    DuplicateReport,
    InvalidPostcode,
    UnknownReport,
    WrongStatus,
)
from ketenserver.absence.ports import DuplicateIdentity, ReportBook
from ketenserver.absence.settings import AbsenceSettings
from ketenserver.absence.storage import SqlReportBook
from ketenserver.context import CallContext
from ketenserver.dates import dutch_date
from ketenserver.settings import Settings

DEFAULT_PAGE_SIZE = 100
Item = TypeVar("Item")


def _book(call: CallContext) -> ReportBook:
    """The calling school's book over the request's unit of work: the one place the counter meets storage."""
    return SqlReportBook(call.session, call.organisation_oin)


def limits(settings: Settings) -> domain.Limits:
    own = settings.of(AbsenceSettings)
    return domain.Limits(own.attachment_max_bytes, own.report_attachments_max_bytes)


def _register(call: CallContext, book: ReportBook, report: domain.NewReport, *, previous: str | None = None,
              change: int | None = None) -> domain.Registration:
    """Check a new (or follow-up) report on the school's sandbox clock and store it once."""
    settings = call.settings
    at = call.now
    attachments = domain.check_report(report, dutch_date(at), limits(settings))
    if change is None:
        change = book.next_change()
    municipality = municipalities.municipality_for_postcode(report.student.address.postcode)
    try:
        meldingnummer = book.add_report(
            report, change=change, at=at, municipality=municipality, attachments=attachments, previous=previous,
            next_step_at=at + handling.Rules.from_settings(settings).intake,
        )
    except DuplicateIdentity as duplicate:
        raise DuplicateReport(duplicate.existing) from None
    return domain.Registration(meldingnummer, domain.Status.GEREGISTREERD, at, municipality, attachments, previous)


def _check_brin_of_caller(book: ReportBook, brin: str) -> None:
    """The report's BRIN is the calling school's, as written: a malformed BRIN is no school's (VZL-1004)."""
    try:
        identifiers.brin(brin)
    except identifiers.InvalidBrin:
        raise BrinNotOfCaller() from None
    if book.registered_brin() != brin:  # None: not a registered organisation
        raise BrinNotOfCaller()


def _stored_postcode(raw: str) -> str:
    """The student's postcode as stored (``1234AB``); the shared rule, the Verzuimloket's own code.

    The XSD type refuses these already (0004), so only a path around it (a direct call) gets here."""
    try:
        return identifiers.dutch_postcode(raw)
    except identifiers.InvalidPostcode as refused:
        raise InvalidPostcode(refused.message) from None


def submit(call: CallContext, report: domain.NewReport) -> domain.Registration:
    """IndienenVerzuimmelding."""
    book = _book(call)
    _check_brin_of_caller(book, report.brin)
    address = report.student.address
    report = dataclasses.replace(report, student=dataclasses.replace(
        report.student, address=dataclasses.replace(address, postcode=_stored_postcode(address.postcode))))
    return _register(call, book, report)


def _own_report(book: ReportBook, meldingnummer: str) -> domain.Report:
    report = book.report(meldingnummer)
    if report is None:
        raise UnknownReport()
    return report


def clone(call: CallContext, request: domain.CloneRequest) -> domain.Registration:
    """KlonenVerzuimmelding: a follow-up report with a new period, linked to the earlier one."""
    book = _book(call)
    change = book.next_change()  # before reading: no change in between
    earlier = _own_report(book, request.meldingnummer)
    if earlier.status == domain.Status.INGETROKKEN:
        raise WrongStatus(earlier.status, "cloned")
    content = earlier.content
    if request.period.start <= content.period.end:
        raise CloneOverlaps()
    follow_up = dataclasses.replace(
        content, period=request.period, attachments=request.attachments,
        presumed_reason=request.presumed_reason or content.presumed_reason,
        explanation=request.explanation or content.explanation,
        all_lessons_missed=(content.all_lessons_missed if request.all_lessons_missed is None
                            else request.all_lessons_missed),
    )
    return _register(call, book, follow_up, change=change, previous=earlier.meldingnummer)


def add_days(call: CallContext, meldingnummer: str, days: Sequence[domain.AbsenceDay]) -> domain.DaySpecification:
    """AanleverenVerzuimdagspecificatie: add days, or replace the entries of dates sent before."""
    book = _book(call)
    change = book.next_change()
    report = _own_report(book, meldingnummer)
    if report.status == domain.Status.INGETROKKEN:
        raise WrongStatus(report.status, "given a day specification")
    domain.check_days(days, report.content.period)
    count = book.merge_days(report.meldingnummer, days, change=change)
    return domain.DaySpecification(report.meldingnummer, count, count > 0)


def withdraw(call: CallContext, meldingnummer: str, reason: str) -> domain.StatusChange:
    """IntrekkenVerzuimmelding."""
    book = _book(call)
    change = book.next_change()
    report = _own_report(book, meldingnummer)
    if report.status not in domain.WITHDRAWABLE:
        raise WrongStatus(report.status, "withdrawn")
    at = call.now
    book.set_status(report.meldingnummer, domain.Status.INGETROKKEN, change=change, next_step_at=None,
                    closed_at=at, withdrawal=domain.Withdrawal(reason, at))
    return domain.StatusChange(report.meldingnummer, domain.Status.INGETROKKEN)


def read(call: CallContext, meldingnummer: str) -> domain.Report:
    """OpvragenVerzuimmelding."""
    return _own_report(_book(call), meldingnummer)


def _page(book: ReportBook, cursor: int | None, page_size: int | None,
          after: Callable[[int, int], Sequence[Item]], number: Callable[[Item], int]) -> domain.Page[Item]:
    """One page of items numbered after *cursor*, the cursor to send next, and whether more is waiting."""
    last = book.last_change()  # read before the items
    start, size = cursor or 0, page_size or DEFAULT_PAGE_SIZE
    if start > last:
        raise CursorNotIssued(last)
    items = after(start, size + 1)
    page = tuple(items[:size])
    # Nothing newer: hand out the last number read before the query, so the next call starts there.
    return domain.Page(page, number(page[-1]) if page else last, len(items) > size)


def synchronise(call: CallContext, cursor: int | None, page_size: int | None) -> domain.Page[domain.Report]:
    """SynchroniserenVerzuimmeldingen: reports changed after *cursor*, in change order."""
    book = _book(call)
    return _page(book, cursor, page_size, book.reports_after, lambda report: report.change_number)


def replies(call: CallContext, cursor: int | None, page_size: int | None) -> domain.Page[domain.Reply]:
    """OphalenTerugmeldingen: municipality replies after *cursor*, in order."""
    book = _book(call)
    return _page(book, cursor, page_size, book.replies_after, lambda reply: reply.sequence)
