"""The counter's own work on the sandbox clock: partnership decisions due, the weekly KBO sync, and
the 20-training-day check.

All of it runs on the counter's sandbox clock (the organisation ``0316200006``:
``ketenserver clock --oin 0316200006 --advance 7d``); each pass is one transaction, so two server
processes never apply the same week twice (the week's row in ``wpd_kbo_syncs`` is its claim) and a
failed pass leaves nothing half-done. The weekly sync applies change files when given
(``ketenserver werkplekduaal kbo apply DIR``) or generates ``kbo_weekly_changes`` changes itself,
then lets the partnerships react: a moved establishment keeps its recognitions (an
ADRESWIJZIGING_VESTIGING task per running agreement there), a stopped one loses them (an OPHEFFING
task per running agreement).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Date, Integer, String, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from ketenserver.db import Base
from ketenserver.werkplekduaal import agreements_storage, kbo_storage, requests_storage
from ketenserver.werkplekduaal.settings import WerkplekduaalSettings

WEEK = dt.timedelta(days=7)


class SyncRow(Base):
    """One applied KBO sync: the week it belongs to (its Monday) claims the week."""

    __tablename__ = "wpd_kbo_syncs"

    week: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    ran_on: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(20))
    moved: Mapped[int] = mapped_column(Integer)
    stopped: Mapped[int] = mapped_column(Integer)
    tasks: Mapped[int] = mapped_column(Integer)


@dataclass(frozen=True)
class SyncResult:
    moved: int
    stopped: int
    tasks: int


@dataclass(frozen=True)
class PassResult:
    decided: int
    syncs: int
    missing: int


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def apply_changes(session: Session, directory: Path, today: dt.date, *, source: str = "files") -> SyncResult:
    """Apply a KBO update set and the partnerships' reaction, recorded as this week's sync when none
    ran this week yet (an extra ``kbo apply`` in the same week is applied, and not recorded twice)."""
    changes = kbo_storage.apply_update(session, directory)
    requests_storage.copy_postcodes(session, (c.establishment_number for c in changes if c.kind == "MOVED"))
    made = agreements_storage.tasks_for_changes(session, changes, today)
    moved = sum(c.kind == "MOVED" for c in changes)
    result = SyncResult(moved, len(changes) - moved, made)
    week = monday(today)
    if session.get(SyncRow, week) is None:
        session.add(SyncRow(week=week, ran_on=today, source=source, moved=result.moved, stopped=result.stopped,
                            tasks=made))
        session.flush()
    return result


def weekly_sync(session: Session, today: dt.date, settings: WerkplekduaalSettings, *,
                seed: int | None = None) -> SyncResult:
    """Generate this week's KBO changes and apply them (the sync when no change files are given)."""
    with tempfile.TemporaryDirectory(prefix="ketenserver-kbo-") as directory:
        kbo_storage.generate_update(session, Path(directory), changes=settings.kbo_weekly_changes,
                                    seed=seed if seed is not None else today.toordinal())
        return apply_changes(session, Path(directory), today, source="generated")


def weeks_due(session: Session, today: dt.date) -> list[dt.date]:
    """The Mondays of the weeks since the last sync, up to this week's, in order (none before the first)."""
    last = session.scalar(select(func.max(SyncRow.week)))
    if last is None:
        return []
    weeks, week = [], last + WEEK
    while week <= monday(today):
        weeks.append(week)
        week += WEEK
    return weeks


def start_syncs(session: Session, today: dt.date) -> None:
    """Mark this week as synced (the seed's data is current): the first sync follows next week."""
    if session.get(SyncRow, monday(today)) is None and session.scalar(select(func.count()).select_from(SyncRow)) == 0:
        session.add(SyncRow(week=monday(today), ran_on=today, source="seed", moved=0, stopped=0, tasks=0))


def run_pass(session: Session, today: dt.date, settings: WerkplekduaalSettings) -> PassResult:
    """One pass of the counter's work for ``today`` (its sandbox day): decisions that fell due, one
    sync per week that passed (each on its own week's Monday, so no week is skipped or applied
    twice), then the missing-agreement check."""
    decided = len(requests_storage.decide_due(session, today, settings=settings))
    syncs = 0
    for week in weeks_due(session, today):
        try:
            with session.begin_nested():
                weekly_sync(session, week, settings, seed=week.toordinal())
            syncs += 1
        except IntegrityError:  # another process claimed that week first
            continue
    missing = agreements_storage.check_missing_agreements(session, today)
    return PassResult(decided, syncs, missing)
