"""The sandbox clock, a core service: each organisation's business time, for every feature.

A tester moves an organisation's clock forward to see what happens later (a municipality's
intake after 48 hours, a recognition that starts next week); real time goes on underneath, and
message security (Timestamps, certificates) always runs on it. The offset lives in the
``sandbox_clocks`` table (:class:`ketenserver.exchange.storage.SandboxClock`); the pipeline puts
the organisation's business time in every request's ``CallContext.now``, and background jobs read
it with :func:`ketenserver.exchange.storage.business_now`.

    ketenserver clock --oin OIN|BRIN                 show the organisation's sandbox clock
    ketenserver clock --oin OIN|BRIN --advance 3d    move it forward (a feature's jobs catch up on their next pass)
"""

from __future__ import annotations

import argparse
import datetime as dt
import re

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


def add_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    clock = sub.add_parser("clock", help="an organisation's sandbox clock (business time of every service)")
    clock.add_argument("--oin", required=True, type=organisation, help="the organisation's OIN, or a school's BRIN")
    clock.add_argument("--advance", type=parse_duration, help="move it forward by e.g. 3d, 12h, 1d12h")
    clock.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from ketenserver.cli import engine_for, settings_from
    from ketenserver.db import make_session_factory
    from ketenserver.exchange.storage import clock_offset, find_organisation, move_clock

    engine = engine_for(settings_from(args))
    try:
        with make_session_factory(engine).begin() as session:
            if find_organisation(session, args.oin) is None:
                raise ValueError(f"{args.oin} is not a registered organisation (ketenserver org list)")
            offset = move_clock(session, args.oin, args.advance) if args.advance else clock_offset(session, args.oin)
    finally:
        engine.dispose()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    print(f"{args.oin}: sandbox clock {(now + offset).isoformat(timespec='seconds')} "
          f"({describe(offset)} ahead of real time)")
    return 0
