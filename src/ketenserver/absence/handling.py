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

from sqlalchemy.orm import Session, sessionmaker

from ketenserver.absence import domain, storage
from ketenserver.absence.errors import UnknownReport, WrongStatus
from ketenserver.absence.settings import AbsenceSettings
from ketenserver.settings import Settings

if TYPE_CHECKING:
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


def give_reply(session: Session, row: storage.ReportRow, status: domain.Status, at: dt.datetime, rules: Rules,
               explanation: str | None = None) -> domain.Reply:
    """The municipality replies: a new status for the report, a reply row, and the next step."""
    sequence = storage.next_change(session, row.organisation_oin)
    handler = handler_for(row.municipality_code, row.municipality_name)
    text = explanation or EXPLANATIONS[status]
    storage.add_reply(session, row, sequence=sequence, status=status, handler=handler, explanation=text, at=at)
    row.status, row.change_number = status, sequence
    if status == domain.Status.IN_BEHANDELING:
        row.next_step_at, row.closed_at = at + rules.close, None
    else:
        row.next_step_at, row.closed_at = None, at
    return domain.Reply(sequence, row.meldingnummer, status, handler, text, at)


def _next_status(row: storage.ReportRow) -> domain.Status:
    if row.status == domain.Status.GEREGISTREERD:
        return domain.Status.TER_KENNISGEVING if row.kind == "OVERIG" else domain.Status.IN_BEHANDELING
    return domain.Status.AFGESLOTEN


@dataclass(frozen=True)
class Pass:
    replies: int
    cleaned: int


class Municipalities:
    """The background job: due municipality steps and clean-up, school by school."""

    def __init__(self, sessions: sessionmaker[Session], *, rules: Rules, clock: Callable[[], dt.datetime],
                 writes: Callable[[], AbstractContextManager[object]]) -> None:
        self._sessions = sessions
        self._rules = rules
        self._clock = clock
        self._writes = writes

    def run_once(self, only: str | None = None) -> Pass:
        """One pass over every school with work (or over *only*)."""
        replies = cleaned = 0
        with self._sessions() as session:
            schools = storage.schools(session) if only is None else [only]
        for oin in schools:
            r, c = self._school(oin)
            replies, cleaned = replies + r, cleaned + c
        if replies or cleaned:
            log.info("municipalities: %d replies, %d reports cleaned up", replies, cleaned)
        return Pass(replies, cleaned)

    def _school(self, oin: str) -> tuple[int, int]:
        with self._sessions() as session:  # most passes find nothing: look before taking the lock
            now = storage.sandbox_now(session, oin, self._clock())
            idle = (not storage.due_reports(session, oin, now, 1)
                    and not storage.has_closed_before(session, oin, now - self._rules.cleanup))
        if idle:
            return 0, 0
        replies = 0
        while True:
            with self._writes(), self._sessions() as session:
                storage.lock_school(session, oin)  # then read: another process may have acted already
                now = storage.sandbox_now(session, oin, self._clock())
                due = storage.due_reports(session, oin, now, BATCH)
                for row in due:
                    # A step is due at next_step_at, which may lie well before the clock: reply then.
                    at = storage.aware(row.next_step_at) if row.next_step_at is not None else now
                    give_reply(session, row, _next_status(row), at, self._rules)
                session.commit()
            replies += len(due)
            if not due:  # a report taken up may be due to close at once when the clock moved far
                break
        with self._writes(), self._sessions() as session:
            now = storage.sandbox_now(session, oin, self._clock())
            cleaned = storage.clean_up(session, oin, now - self._rules.cleanup)
            session.commit()
        return replies, cleaned

    def close(self) -> None:
        return None


def make_municipalities(context: BackgroundContext) -> Municipalities:
    return Municipalities(context.sessions, rules=Rules.from_settings(context.settings), clock=context.clock,
                          writes=context.writes)


def force_reply(session: Session, meldingnummer: str, status: domain.Status, *, now: dt.datetime, rules: Rules,
                explanation: str | None = None) -> domain.Reply:
    """A tester makes the municipality reply now (``ketenserver duo terugmelden``); the caller commits."""
    row = storage.find_report_anywhere(session, meldingnummer)
    if row is None:
        raise UnknownReport()
    storage.lock_school(session, row.organisation_oin)
    session.refresh(row)
    if row.status == domain.Status.INGETROKKEN:
        raise WrongStatus(row.status, "replied to")
    at = storage.sandbox_now(session, row.organisation_oin, now)
    return give_reply(session, row, status, at, rules, explanation)
