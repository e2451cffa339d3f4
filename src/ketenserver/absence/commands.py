"""``ketenserver duo ...``: a tester acts as the municipalities and moves a school's sandbox clock.

    ketenserver duo klok --oin OIN|BRIN [--verzet 3d]     show (or move forward) a school's sandbox clock
                                                          (the core's, ``ketenserver clock``); moving it
                                                          runs the municipalities' rules at once
    ketenserver duo terugmelden --melding NR --status S [--toelichting T]
                                                          the municipality replies now (any status)
    ketenserver duo gemeenten                             run the municipalities' rules and clean-up once
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
from collections.abc import Callable

from sqlalchemy.engine import Engine

from ketencore.errors import KetenError
from ketenserver.absence import domain, handling
from ketenserver.clock import organisation, parse_duration, show
from ketenserver.exchange.storage import clock_state, find_organisation, move_clock
from ketenserver.settings import Settings

STATUSES = {"in-behandeling": domain.Status.IN_BEHANDELING, "afgesloten": domain.Status.AFGESLOTEN,
            "ter-kennisgeving": domain.Status.TER_KENNISGEVING}


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    duo = sub.add_parser("duo", help="act as the municipalities behind DUO's Verzuimloket; sandbox clocks")
    duo.set_defaults(func=_run)
    duo_sub = duo.add_subparsers(dest="duo_command", required=True)
    clock = duo_sub.add_parser("klok", help="a school's sandbox clock; --verzet moves it forward")
    clock.add_argument("--oin", required=True, type=organisation, help="the school's OIN or BRIN (e.g. 25LX)")
    clock.add_argument("--verzet", type=parse_duration, help="move forward by e.g. 3d, 12h, 1d12h")
    reply = duo_sub.add_parser("terugmelden", help="the municipality replies to a report now")
    reply.add_argument("--melding", required=True, help="Meldingnummer, e.g. 2026000001")
    reply.add_argument("--status", required=True, choices=tuple(STATUSES))
    reply.add_argument("--toelichting", help="the explanation (max 200 characters; default a standard text)")
    duo_sub.add_parser("gemeenten", help="run the municipalities' rules and the clean-up once, for every school")


def _run(args: argparse.Namespace) -> int:
    from ketenserver.cli import engine_for, settings_from

    return run(args, settings_from(args), engine_for)


def run(args: argparse.Namespace, settings: Settings, engine_for: Callable[[Settings], Engine]) -> int:
    from ketenserver.absence import storage
    from ketenserver.db import make_session_factory

    engine = engine_for(settings)
    sessions = make_session_factory(engine)
    now = dt.datetime.now(dt.UTC)
    municipalities = handling.Municipalities(storage.units(sessions), rules=handling.Rules.from_settings(settings),
                                             clock=lambda: dt.datetime.now(dt.UTC),
                                             writes=contextlib.nullcontext)  # the only writer here
    try:
        if args.duo_command == "klok":
            with sessions.begin() as session:
                if find_organisation(session, args.oin) is None:
                    raise ValueError(f"{args.oin} is not a registered organisation (ketenserver org list)")
                if args.verzet:
                    move_clock(session, args.oin, args.verzet, now=now)
                state = clock_state(session, args.oin)
            print(show(args.oin, state, now.replace(microsecond=0)))
            if args.verzet:
                done = municipalities.run_once(only=args.oin)
                print(f"municipalities: {done.replies} replies, {done.cleaned} reports cleaned up")
            return 0
        if args.duo_command == "terugmelden":
            if args.toelichting is not None and not 1 <= len(args.toelichting) <= 200:
                raise ValueError("--toelichting holds 1 to 200 characters")
            with sessions.begin() as session:
                try:
                    given = handling.force_reply(session, args.melding, STATUSES[args.status], now=now,
                                                 rules=handling.Rules.from_settings(settings),
                                                 explanation=args.toelichting)
                except KetenError as error:
                    raise ValueError(error.message) from None
            print(f"{given.meldingnummer}: {given.status.value} (reply {given.sequence}, {given.handler.name})")
            return 0
        done = municipalities.run_once()
        print(f"municipalities: {done.replies} replies, {done.cleaned} reports cleaned up")
        return 0
    finally:
        engine.dispose()
