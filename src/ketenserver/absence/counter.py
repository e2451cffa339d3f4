"""DUO's counter: what each operation does, on the request's unit of work.

Each function takes the :class:`~ketenserver.context.CallContext` (session, calling school,
arrival time), checks the rules of :mod:`~ketenserver.absence.domain`, and stores through
:mod:`~ketenserver.absence.storage`. The pipeline commits or rolls back; a refusal raised here
leaves nothing behind. Every state change first takes the school's next change number (the
school's row lock), so one school's changes are serialised and numbered in commit order.

Dates are judged on the school's sandbox clock: real time plus the offset a tester moved it by
(``ketenserver duo klok``), so that municipalities' replies can be brought about in seconds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy.orm import Session

from ketenserver import identifiers
from ketenserver.absence import domain, handling, municipalities, storage
from ketenserver.absence.errors import (
    BrinNotOfCaller,
    CloneOverlaps,
    CursorNotIssued,
    DuplicateReport,
    InvalidPostcode,
    UnknownReport,
    WrongStatus,
)
from ketenserver.absence.settings import AbsenceSettings
from ketenserver.context import CallContext
from ketenserver.exchange.storage import find_organisation
from ketenserver.recognitions.domain import dutch_date
from ketenserver.settings import Settings

DEFAULT_PAGE_SIZE = 100
Row = TypeVar("Row")


def _settings(call: CallContext) -> Settings:
    return call.settings


def limits(settings: Settings) -> domain.Limits:
    own = settings.of(AbsenceSettings)
    return domain.Limits(own.attachment_max_bytes, own.report_attachments_max_bytes)


def _register(call: CallContext, report: domain.NewReport, *, previous: str | None = None,
              change: int | None = None) -> domain.Registration:
    """Check a new (or follow-up) report on the school's sandbox clock and store it once."""
    settings = _settings(call)
    at = call.now
    attachments = domain.check_report(report, dutch_date(at), limits(settings))
    if change is None:
        change = storage.next_change(call.session, call.organisation_oin)
    municipality = municipalities.municipality_for_postcode(report.student.address.postcode)
    try:
        row = storage.insert_report(
            call.session, call.organisation_oin, report, change=change, at=at, municipality=municipality,
            attachments=attachments, previous=previous,
            next_step_at=at + handling.Rules.from_settings(settings).intake,
        )
    except storage.DuplicateIdentity as duplicate:
        raise DuplicateReport(duplicate.existing) from None
    return domain.Registration(row.meldingnummer, domain.Status.GEREGISTREERD, at, municipality, attachments,
                               previous)


def _check_brin_of_caller(call: CallContext, brin: str) -> None:
    """The report's BRIN is the calling school's, as written: a malformed BRIN is no school's (VZL-1004)."""
    try:
        identifiers.brin(brin)
    except identifiers.InvalidBrin:
        raise BrinNotOfCaller() from None
    organisation = find_organisation(call.session, call.organisation_oin)
    if organisation is None or organisation.brin != brin:
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
    _check_brin_of_caller(call, report.brin)
    address = report.student.address
    report = dataclasses.replace(report, student=dataclasses.replace(
        report.student, address=dataclasses.replace(address, postcode=_stored_postcode(address.postcode))))
    return _register(call, report)


def _own_report(call: CallContext, meldingnummer: str) -> storage.ReportRow:
    row = storage.find_report(call.session, call.organisation_oin, meldingnummer)
    if row is None:
        raise UnknownReport()
    return row


def clone(call: CallContext, request: domain.CloneRequest) -> domain.Registration:
    """KlonenVerzuimmelding: a follow-up report with a new period, linked to the earlier one."""
    change = storage.next_change(call.session, call.organisation_oin)  # before reading: no change in between
    earlier = _own_report(call, request.meldingnummer)
    if earlier.status == domain.Status.INGETROKKEN:
        raise WrongStatus(earlier.status, "cloned")
    if request.period.start <= earlier.period_end:
        raise CloneOverlaps()
    content = storage.content_of(earlier)
    follow_up = dataclasses.replace(
        content, period=request.period, attachments=request.attachments,
        presumed_reason=request.presumed_reason or content.presumed_reason,
        explanation=request.explanation or content.explanation,
        all_lessons_missed=(content.all_lessons_missed if request.all_lessons_missed is None
                            else request.all_lessons_missed),
    )
    return _register(call, follow_up, change=change, previous=earlier.meldingnummer)


def add_days(call: CallContext, meldingnummer: str, days: Sequence[domain.AbsenceDay]) -> domain.DaySpecification:
    """AanleverenVerzuimdagspecificatie: add days, or replace the entries of dates sent before."""
    change = storage.next_change(call.session, call.organisation_oin)
    row = _own_report(call, meldingnummer)
    if row.status == domain.Status.INGETROKKEN:
        raise WrongStatus(row.status, "given a day specification")
    domain.check_days(days, domain.Period(row.period_start, row.period_end))
    row.change_number = change
    count = storage.merge_days(call.session, row, days)
    return domain.DaySpecification(row.meldingnummer, count, count > 0)


def withdraw(call: CallContext, meldingnummer: str, reason: str) -> domain.StatusChange:
    """IntrekkenVerzuimmelding."""
    change = storage.next_change(call.session, call.organisation_oin)
    row = _own_report(call, meldingnummer)
    if row.status not in domain.WITHDRAWABLE:
        raise WrongStatus(row.status, "withdrawn")
    at = call.now
    row.change_number = change
    row.status = domain.Status.INGETROKKEN
    row.withdrawal_reason, row.withdrawn_at = reason, at
    row.next_step_at, row.closed_at = None, at
    return domain.StatusChange(row.meldingnummer, domain.Status.INGETROKKEN)


def read(call: CallContext, meldingnummer: str) -> domain.Report:
    """OpvragenVerzuimmelding."""
    return storage.report(_own_report(call, meldingnummer))


def _page(call: CallContext, cursor: int | None, page_size: int | None,
          after: Callable[[Session, str, int, int], Sequence[Row]], number: Callable[[Row], int]
          ) -> tuple[Sequence[Row], int, bool]:
    """One page of rows numbered after *cursor*: the rows, the cursor to send next, more waiting."""
    last = storage.last_change(call.session, call.organisation_oin)  # read before the rows
    start, size = cursor or 0, page_size or DEFAULT_PAGE_SIZE
    if start > last:
        raise CursorNotIssued(last)
    rows = after(call.session, call.organisation_oin, start, size + 1)
    page = rows[:size]
    # Nothing newer: hand out the last number read before the query, so the next call starts there.
    return page, number(page[-1]) if page else last, len(rows) > size


def synchronise(call: CallContext, cursor: int | None, page_size: int | None) -> domain.Page[domain.Report]:
    """SynchroniserenVerzuimmeldingen: reports changed after *cursor*, in change order."""
    rows, next_cursor, more = _page(call, cursor, page_size, storage.reports_after, lambda row: row.change_number)
    return domain.Page(tuple(storage.report(row) for row in rows), next_cursor, more)


def replies(call: CallContext, cursor: int | None, page_size: int | None) -> domain.Page[domain.Reply]:
    """OphalenTerugmeldingen: municipality replies after *cursor*, in order."""
    rows, next_cursor, more = _page(call, cursor, page_size, storage.replies_after, lambda row: row.sequence)
    return domain.Page(tuple(storage.reply(row) for row in rows), next_cursor, more)
