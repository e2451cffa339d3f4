"""The municipalities behind the counter, and the counter's clean-up, on each school's sandbox clock.

By default a municipality (its attendance officer, leerplichtambtenaar) acts on a report in two
steps, each a reply (terugmelding) to the school:

1. ``municipality_intake_hours`` (48) after registration it takes the report up: status
   In behandeling, or Ter kennisgeving aangenomen for kind OVERIG, which it only notes;
2. ``municipality_close_days`` (14) after taking it up it closes it: Afgesloten.

A withdrawn report gets no further step. Clean-up (schoning) removes a report closed longer than
``cleanup_days`` (180) ago. All of it runs on the school's sandbox clock, which
``ketenserver duo klok --oin OIN --verzet 3d`` moves forward for that school only; a tester forces
any reply at once with ``ketenserver duo terugmelden``. The serving process runs
:meth:`Municipalities.run_once` every ``municipality_interval`` seconds; each step is one
conditional change in its own transaction, so several processes may run it at once.

Like the counter, this module reaches storage only through the ports of
:mod:`~ketenserver.absence.ports` (the job is handed its units of work by ``feature.py``), so that
its rules stay free of SQL and rows and dependencies point one way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import unicodedata
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ketenserver.absence import domain
from ketenserver.absence.errors import UnknownReport, WrongStatus
from ketenserver.absence.ports import DueStep, ReportBook, ReportBooks, Units
from ketenserver.absence.settings import AbsenceSettings
from ketenserver.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session  # only force_reply's parameter: this module uses no SQLAlchemy

    from ketenserver.background import BackgroundContext

log = logging.getLogger(__name__)

BATCH = 200
GIVEN_NAMES = ("Anouk", "Bram", "Chantal", "Dennis", "Esther", "Frank", "Gerda", "Hakan", "Ilse", "Jan",
               "Karin", "Lars", "Miriam", "Nadia", "Olaf", "Petra", "Rachid", "Saskia", "Tom", "Wendy")
SURNAMES = ("Vermeer", "de Ruiter", "Kramer", "Bosman", "van Wijk", "Hermans", "Aydın", "Koopman", "Veenstra",
            "Schipper", "Lambregts", "Bouzid", "Timmermans", "van Rijn", "Wouters", "Claassen")
EXPLANATIONS = {
    domain.Status.IN_BEHANDELING: "Melding in behandeling genomen; de leerplichtambtenaar neemt contact op met "
                                  "de leerling en ouders.",
    domain.Status.TER_KENNISGEVING: "Melding ter kennisgeving aangenomen; geen verdere actie van de gemeente.",
    domain.Status.AFGESLOTEN: "Melding afgesloten na gesprek met leerling en ouders; het verzuim is gestopt.",
}


def handler_for(municipality_code: str, municipality_name: str) -> domain.Handler:
    """The municipality's attendance officer: the same person for every report of that municipality."""
    digest = hashlib.sha256(municipality_code.encode()).digest()
    given, surname = GIVEN_NAMES[digest[0] % len(GIVEN_NAMES)], SURNAMES[digest[1] % len(SURNAMES)]
    slug = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", municipality_name).encode("ascii", "ignore")
                  .decode().lower()).strip("-")
    phone = f"14 0{int(municipality_code) % 1000:03d}"[:20]
    return domain.Handler(f"{given} {surname}", phone, f"leerplicht@{slug}.gemeente.example")


@dataclass(frozen=True)
class Rules:
    intake: dt.timedelta
    close: dt.timedelta
    cleanup: dt.timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        own = settings.of(AbsenceSettings)
        return cls(dt.timedelta(hours=own.municipality_intake_hours), dt.timedelta(days=own.municipality_close_days),
                   dt.timedelta(days=own.cleanup_days))


def give_reply(book: ReportBook, meldingnummer: str, municipality: domain.Municipality, status: domain.Status,
               at: dt.datetime, rules: Rules, explanation: str | None = None) -> domain.Reply:
    """The municipality replies: a new status for the report, a reply to the school, and the next step."""
    sequence = book.next_change()
    reply = domain.Reply(sequence, meldingnummer, status, handler_for(municipality.code, municipality.name),
                         explanation or EXPLANATIONS[status], at)
    book.add_reply(reply)
    if status == domain.Status.IN_BEHANDELING:
        book.set_status(meldingnummer, status, change=sequence, next_step_at=at + rules.close, closed_at=None)
    else:
        book.set_status(meldingnummer, status, change=sequence, next_step_at=None, closed_at=at)
    return reply


def _next_status(step: DueStep) -> domain.Status:
    if step.status == domain.Status.GEREGISTREERD:
        return domain.Status.TER_KENNISGEVING if step.kind == "OVERIG" else domain.Status.IN_BEHANDELING
    return domain.Status.AFGESLOTEN


@dataclass(frozen=True)
class Pass:
    replies: int
    cleaned: int


class Municipalities:
    """The background job: due municipality steps and clean-up, school by school, in units of work
    that *units* opens and commits (see :mod:`~ketenserver.absence.ports`)."""

    def __init__(self, units: Units, *, rules: Rules, clock: Callable[[], dt.datetime],
                 writes: Callable[[], AbstractContextManager[object]]) -> None:
        self._units = units
        self._rules = rules
        self._clock = clock
        self._writes = writes

    def run_once(self, only: str | None = None) -> Pass:
        """One pass over every school with work (or over *only*)."""
        replies = cleaned = 0
        with self._units() as books:
            schools = books.schools() if only is None else [only]
        for oin in schools:
            r, c = self._school(oin)
            replies, cleaned = replies + r, cleaned + c
        if replies or cleaned:
            log.info("municipalities: %d replies, %d reports cleaned up", replies, cleaned)
        return Pass(replies, cleaned)

    def _school(self, oin: str) -> tuple[int, int]:
        with self._units() as books:  # most passes find nothing: look before taking the lock
            book = books.book(oin)
            now = book.now(self._clock())
            idle = not book.due(now, 1) and not book.has_closed_before(now - self._rules.cleanup)
        if idle:
            return 0, 0
        replies = 0
        while True:
            with self._writes(), self._units() as books:
                book = books.book(oin)
                book.lock()  # then read: another process may have acted already
                due = book.due(book.now(self._clock()), BATCH)
                for step in due:
                    # A step is due at its own time, which may lie well before the clock: reply then.
                    give_reply(book, step.meldingnummer, step.municipality, _next_status(step), step.due_at,
                               self._rules)
            replies += len(due)
            if not due:  # a report taken up may be due to close at once when the clock moved far
                break
        with self._writes(), self._units() as books:
            book = books.book(oin)
            cleaned = book.clean_up(book.now(self._clock()) - self._rules.cleanup)
        return replies, cleaned

    def close(self) -> None:
        return None


def make_municipalities(context: BackgroundContext, units: Units) -> Municipalities:
    """The feature's background job, on *units* over the server's sessions (see ``feature.py``)."""
    return Municipalities(units, rules=Rules.from_settings(context.settings), clock=context.clock,
                          writes=context.writes)


def reply_now(books: ReportBooks, meldingnummer: str, status: domain.Status, *, now: dt.datetime, rules: Rules,
              explanation: str | None = None) -> domain.Reply:
    """A tester makes the municipality reply now, in the caller's unit of work (the caller commits)."""
    oin = books.school_of(meldingnummer)
    if oin is None:
        raise UnknownReport()
    book = books.book(oin)
    book.lock()  # then read: the school or the municipality may have acted already
    report = book.report(meldingnummer)
    if report is None:  # cleaned up meanwhile
        raise UnknownReport()
    if report.status == domain.Status.INGETROKKEN:
        raise WrongStatus(report.status, "replied to")
    return give_reply(book, report.meldingnummer, report.municipality, status, book.now(now), rules, explanation)


def force_reply(session: Session, meldingnummer: str, status: domain.Status, *, now: dt.datetime, rules: Rules,
                explanation: str | None = None) -> domain.Reply:
    """:func:`reply_now` in *session*, the caller's unit of work (``ketenserver duo terugmelden``, tests).

    The one place this module meets storage: it builds the port over the caller's session."""
    from ketenserver.absence.storage import SqlReportBooks

    return reply_now(SqlReportBooks(session), meldingnummer, status, now=now, rules=rules, explanation=explanation)
