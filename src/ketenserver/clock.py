"""The sandbox clock, a core service: each organisation's business time, for every feature.

A tester moves an organisation's clock forward to see what happens later (a municipality's
intake after 48 hours, a recognition that starts next week); real time goes on underneath, and
message security (Timestamps, certificates) always runs on it. The offset lives in the
``sandbox_clocks`` table (:class:`ketenserver.exchange.storage.SandboxClock`); the pipeline puts
the organisation's business time in every request's ``CallContext.now``, and background jobs read
it with :func:`ketenserver.exchange.storage.business_now`.

    ketenserver clock --oin OIN|BRIN                 show the organisation's sandbox clock
    ketenserver clock --oin OIN|BRIN --advance 3d    move it forward (a feature's jobs catch up on their next pass)
    ketenserver clock --oin OIN|BRIN --to 2027-06-01 set it ahead to a date (or a date and time, UTC); never back
    ketenserver clock --oin OIN|BRIN --freeze        stop it where it stands (business time stands still)
    ketenserver clock --oin OIN|BRIN --resume        let it run on from there

A feature's jobs catch up in order on their next pass: what fell due between the old and the new
time happens at its own moment (a municipality's intake, then its close), once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ketenserver.exchange.storage import ClockState

DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_duration(text: str) -> dt.timedelta:
    """``3d``, ``12h``, ``90m``, ``30s`` or combinations (``1d12h``); positive only."""
    parts = DURATION.fullmatch(text.strip())
    if not text.strip() or parts is None:
        raise ValueError(f"not a duration: {text!r} (e.g. 3d, 12h, 90m, 1d12h)")
    days, hours, minutes, seconds = (int(p or 0) for p in parts.groups())
    duration = dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if duration <= dt.timedelta(0):
        raise ValueError("the sandbox clock only moves forward")
    return duration


def describe(offset: dt.timedelta) -> str:
    days, rest = divmod(int(offset.total_seconds()), 86400)
    hours, rest = divmod(rest, 3600)
    return f"{days}d{hours}h{rest // 60}m"


def organisation(value: str) -> str:
    """An OIN, or a school's BRIN (four characters) for the OIN of its certificate."""
    from ketenserver.pki import school_oin, validate_oin

    return school_oin(value) if len(value.strip()) == 4 else validate_oin(value.strip())


organisation.__name__ = "OIN or BRIN"  # argparse names the type in its error message


def moment(text: str) -> dt.datetime:
    """``2027-06-01`` (midnight UTC) or ``2027-06-01T09:30`` (UTC unless an offset is given)."""
    try:
        parsed = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not a date: {text!r} (e.g. 2027-06-01 or 2027-06-01T09:30)") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


moment.__name__ = "date"


def add_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    clock = sub.add_parser("clock", help="an organisation's sandbox clock (business time of every service)")
    clock.add_argument("--oin", required=True, type=organisation, help="the organisation's OIN, or a school's BRIN")
    change = clock.add_mutually_exclusive_group()
    change.add_argument("--advance", type=parse_duration, help="move it forward by e.g. 3d, 12h, 1d12h")
    change.add_argument("--to", type=moment, help="set it ahead to a date (2027-06-01) or date and time, UTC")
    change.add_argument("--freeze", action="store_true", help="stop it where it stands")
    change.add_argument("--resume", action="store_true", help="let a frozen clock run on from where it stands")
    clock.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from ketenserver.cli import engine_for, settings_from
    from ketenserver.db import make_session_factory
    from ketenserver.exchange import storage

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    engine = engine_for(settings_from(args))
    try:
        with make_session_factory(engine).begin() as session:
            if storage.find_organisation(session, args.oin) is None:
                raise ValueError(f"{args.oin} is not a registered organisation (ketenserver org list)")
            if args.advance:
                storage.move_clock(session, args.oin, args.advance, now=now)
            elif args.to:
                storage.set_clock(session, args.oin, args.to, now=now)
            elif args.freeze:
                storage.freeze_clock(session, args.oin, now=now)
            elif args.resume:
                storage.resume_clock(session, args.oin, now=now)
            state = storage.clock_state(session, args.oin)
    finally:
        engine.dispose()
    print(show(args.oin, state, now))
    return 0


def show(oin: str, state: ClockState, now: dt.datetime) -> str:
    """``OIN: sandbox clock 2026-12-05T10:00:00+00:00 (3d0h0m ahead of real time[, frozen])``."""
    current = state.at(now)
    ahead = current - now
    where = (f"{describe(ahead)} ahead of real time" if ahead >= dt.timedelta(0)
             else f"{describe(-ahead)} behind real time")
    frozen = ", frozen" if state.frozen_at is not None else ""
    return f"{oin}: sandbox clock {current.isoformat(timespec='seconds')} ({where}{frozen})"
