"""The counter's own work on its clock: one KBO sync per week passed, due decisions, the commands."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ketenserver.werkplekduaal import sync
from ketenserver.werkplekduaal.settings import WerkplekduaalSettings
from ketenserver.werkplekduaal.sync import SyncRow

SETTINGS = replace(WerkplekduaalSettings(), kbo_weekly_changes=3)
MONDAY = dt.date(2026, 11, 30)


def _fresh(session: Session, first: dt.date) -> None:
    session.execute(delete(SyncRow))
    sync.start_syncs(session, first)
    session.flush()


def test_no_week_is_skipped_or_applied_twice(db_session: Session) -> None:
    _fresh(db_session, MONDAY)
    assert sync.weeks_due(db_session, MONDAY + dt.timedelta(days=6)) == []
    later = MONDAY + dt.timedelta(days=7 * 3 + 2)
    assert sync.weeks_due(db_session, later) == [MONDAY + dt.timedelta(days=7 * n) for n in (1, 2, 3)]
    done = sync.run_pass(db_session, later, SETTINGS)
    assert done.syncs == 3
    weeks = db_session.scalars(select(SyncRow.week).order_by(SyncRow.week)).all()
    assert weeks == [MONDAY + dt.timedelta(days=7 * n) for n in range(4)]
    assert sync.run_pass(db_session, later, SETTINGS).syncs == 0  # nothing done twice
    moved = db_session.scalar(select(func.sum(SyncRow.moved)).where(SyncRow.source == "generated")) or 0
    stopped = db_session.scalar(select(func.sum(SyncRow.stopped)).where(SyncRow.source == "generated")) or 0
    assert moved + stopped >= 3 * SETTINGS.kbo_weekly_changes


def test_the_seed_counts_as_this_weeks_sync_and_a_week_later_the_next_follows(db_session: Session) -> None:
    _fresh(db_session, MONDAY + dt.timedelta(days=3))
    assert sync.weeks_due(db_session, MONDAY + dt.timedelta(days=6)) == []
    assert sync.weeks_due(db_session, MONDAY + dt.timedelta(days=7)) == [MONDAY + dt.timedelta(days=7)]


def test_a_monday_is_the_week_of_any_of_its_days() -> None:
    assert {sync.monday(MONDAY + dt.timedelta(days=n)) for n in range(7)} == {MONDAY}
