"""What the counter and the municipalities need from storage: ports, in the counter's own terms.

:mod:`~ketenserver.absence.counter` and :mod:`~ketenserver.absence.handling` depend on these
Protocols only, and :mod:`~ketenserver.absence.storage` implements them over SQLAlchemy, so that
dependencies point one way (service → domain ← storage) and rows never leave storage. Values go
in and come out as the frozen dataclasses of :mod:`~ketenserver.absence.domain`; a report is
named by its meldingnummer.

A :class:`ReportBook` is one school's part of the counter within one unit of work: it never shows
or changes another school's report (that one does not exist for it), and it never commits. Who
opens the unit of work commits or rolls it back: the pipeline for a request, a :data:`Units` for
the background job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from ketenserver.absence import domain


class DuplicateIdentity(Exception):
    """The same report (school, student, kind, period) is stored already."""

    def __init__(self, existing: str) -> None:
        super().__init__(existing)
        self.existing = existing
        """The meldingnummer of the report stored first."""


@dataclass(frozen=True)
class DueStep:
    """A report whose municipality is due to act: what the step needs to know of it."""

    meldingnummer: str
    kind: str
    status: domain.Status
    municipality: domain.Municipality
    due_at: dt.datetime
    """When the step fell due (sandbox clock), which may lie well before the clock."""


class ReportBook(Protocol):
    """One school's reports at the counter, in the caller's unit of work (the database, or a fake)."""

    def next_change(self) -> int:
        """Take the school's next change number. Holds the school's lock until the unit of work
        ends, so that one school's changes are serialised and numbered in commit order: take it
        before reading what the change depends on."""
        ...

    def lock(self) -> None:
        """Hold the school's lock, as :meth:`next_change` does, without taking a number."""
        ...

    def last_change(self) -> int:
        """The last change number the school has taken (0 before its first change)."""
        ...

    def now(self, real: dt.datetime) -> dt.datetime:
        """The school's sandbox clock at real time *real* (``ketenserver duo klok`` moves it)."""
        ...

    def registered_brin(self) -> str | None:
        """The BRIN the school is registered with; None when it is no registered organisation."""
        ...

    def add_report(
        self, report: domain.NewReport, *, change: int, at: dt.datetime, municipality: domain.Municipality,
        attachments: Sequence[domain.AttachmentInfo], next_step_at: dt.datetime, previous: str | None = None,
    ) -> str:
        """Store a new report (status Geregistreerd) with its attachments; returns its meldingnummer.

        Raises :class:`DuplicateIdentity` when the school holds a report of the same student,
        kind and period already; then nothing of this one is kept, and the unit of work goes on."""
        ...

    def report(self, meldingnummer: str) -> domain.Report | None:
        """The school's report with everything the counter holds of it; None if there is none."""
        ...

    def merge_days(self, meldingnummer: str, days: Iterable[domain.AbsenceDay], *, change: int) -> int:
        """Add days to the report or replace its earlier entries for the same dates, as change
        *change*; returns the number of days it holds."""
        ...

    def set_status(
        self, meldingnummer: str, status: domain.Status, *, change: int, next_step_at: dt.datetime | None,
        closed_at: dt.datetime | None, withdrawal: domain.Withdrawal | None = None,
    ) -> None:
        """Give the report a new status as change *change*: when the municipality acts next
        (None: never) and when it closed (None: open); a withdrawal keeps its reason and time."""
        ...

    def add_reply(self, reply: domain.Reply) -> None:
        """Keep a municipality's reply to the report ``reply.meldingnummer``."""
        ...

    def reports_after(self, cursor: int, limit: int) -> Sequence[domain.Report]:
        """At most *limit* reports whose change number is after *cursor*, in change order."""
        ...

    def replies_after(self, cursor: int, limit: int) -> Sequence[domain.Reply]:
        """At most *limit* replies whose sequence number is after *cursor*, in order."""
        ...

    def due(self, now: dt.datetime, limit: int) -> Sequence[DueStep]:
        """At most *limit* reports whose municipality's next step is due at *now*, earliest first."""
        ...

    def has_closed_before(self, moment: dt.datetime) -> bool:
        """Whether a report of the school closed before *moment* (clean-up has work)."""
        ...

    def clean_up(self, closed_before: dt.datetime) -> int:
        """Schoning: remove the reports closed before *closed_before* with all they hold; how many."""
        ...


class ReportBooks(Protocol):
    """Every school's :class:`ReportBook` in one unit of work: the municipalities and a tester act
    across schools."""

    def schools(self) -> Sequence[str]:
        """The OIN of every school that ever used the counter."""
        ...

    def school_of(self, meldingnummer: str) -> str | None:
        """The OIN of the school whose report this is; None if the counter holds no such report."""
        ...

    def book(self, oin: str) -> ReportBook:
        """The school's book, in this unit of work."""
        ...


Units = Callable[[], AbstractContextManager[ReportBooks]]
"""Opens a unit of work: committed when the ``with`` block ends normally, rolled back when it raises."""
