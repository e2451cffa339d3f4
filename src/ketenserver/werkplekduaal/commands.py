"""``ketenserver werkplekduaal ...``: a tester acts as the sector partnerships and as KBO.

    ketenserver werkplekduaal beslis EA00000001 --erkend            the partnership recognises now
    ketenserver werkplekduaal beslis EA00000001 --geweigerd --reden R     ... or refuses, with a reason
    ketenserver werkplekduaal intrekken ER00000001 --reden R        withdraw a running recognition
    ketenserver werkplekduaal beroep ER00000001 [--toegekend | --afgewezen]
                                                                    appeal a withdrawal, or decide the appeal
    ketenserver werkplekduaal kbo apply DIR                         apply KBO update files (and the tasks)
    ketenserver werkplekduaal kbo sync [--changes N]                the weekly sync now, with generated changes
    ketenserver werkplekduaal kbo verhuis VESTIGING --straat S --huisnummer N --postcode P --gemeente G
                                                                    one establishment moves (a KBO update of one
                                                                    address, applied with the partnerships' tasks)
    ketenserver werkplekduaal kbo genereer DIR [--changes N] [--seed S]   write KBO update files
    ketenserver werkplekduaal taken                                 the counter's pass now: decisions due,
                                                                    syncs due, missing agreements
    ketenserver werkplekduaal opleidingen                           the opleidingen and partnerships

Everything is dated on the counter's sandbox clock (``ketenserver clock --oin 0316200006``).
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ketencore.errors import KetenError
from ketenserver.settings import Settings

if TYPE_CHECKING:
    from ketenserver.werkplekduaal.sync import SyncResult


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    wpd = sub.add_parser("werkplekduaal", help="act as the Flemish sector partnerships and KBO (werkplekduaal)")
    wpd.set_defaults(func=_run)
    cmd = wpd.add_subparsers(dest="wpd_command", required=True)
    decide = cmd.add_parser("beslis", help="the partnership decides a recognition request now")
    decide.add_argument("aanvraag", help="Aanvraagnummer, e.g. EA00000001")
    outcome = decide.add_mutually_exclusive_group(required=True)
    outcome.add_argument("--erkend", dest="outcome", action="store_const", const="ERKEND")
    outcome.add_argument("--geweigerd", dest="outcome", action="store_const", const="GEWEIGERD")
    decide.add_argument("--reden", help="the reason (required for --geweigerd)")
    withdraw = cmd.add_parser("intrekken", help="the partnership withdraws a running recognition")
    withdraw.add_argument("erkenning", help="Erkenningsnummer, e.g. ER00000001")
    withdraw.add_argument("--reden", required=True)
    appeal = cmd.add_parser("beroep", help="appeal a withdrawal; with --toegekend/--afgewezen decide the appeal")
    appeal.add_argument("erkenning")
    verdict = appeal.add_mutually_exclusive_group()
    verdict.add_argument("--toegekend", dest="granted", action="store_const", const=True)
    verdict.add_argument("--afgewezen", dest="granted", action="store_const", const=False)
    kbo = cmd.add_parser("kbo", help="the counter's KBO: apply update files, sync now, generate files")
    kbo_cmd = kbo.add_subparsers(dest="kbo_command", required=True)
    apply = kbo_cmd.add_parser("apply", help="apply a KBO update set (<entity>_delete.csv and _insert.csv)")
    apply.add_argument("directory", type=Path)
    now = kbo_cmd.add_parser("sync", help="the weekly sync now, with generated changes")
    now.add_argument("--changes", type=int, help="how many changes (default: the kbo_weekly_changes setting)")
    move = kbo_cmd.add_parser("verhuis", help="an establishment moves: a one-address KBO update, applied")
    move.add_argument("vestiging", help="Vestigingsnummer, e.g. 2147812701")
    move.add_argument("--straat", required=True)
    move.add_argument("--huisnummer", required=True)
    move.add_argument("--postcode", required=True)
    move.add_argument("--gemeente", required=True)
    generate = kbo_cmd.add_parser("genereer", help="write a KBO update set of generated changes")
    generate.add_argument("directory", type=Path)
    generate.add_argument("--changes", type=int, default=25)
    generate.add_argument("--seed", type=int, default=1)
    cmd.add_parser("taken", help="run the counter's pass now (decisions due, KBO syncs due, missing agreements)")
    cmd.add_parser("opleidingen", help="list the opleidingen and the partnerships")


def _move(session: Session, args: argparse.Namespace, today: dt.date) -> SyncResult:
    """Write the KBO update set of one establishment's new address and apply it (``sync.apply_changes``)."""
    import tempfile

    from ketenserver.werkplekduaal import kbo, sync

    if not (args.postcode.isdigit() and len(args.postcode) == 4):
        raise ValueError("--postcode is a Belgian postcode: 4 digits")
    writer = kbo.UpdateWriter()
    writer.delete("address", args.vestiging)
    writer.address(args.vestiging, kbo.Address(args.straat, args.huisnummer, None, args.postcode, args.gemeente))
    with tempfile.TemporaryDirectory(prefix="ketenserver-kbo-") as directory:
        writer.write(Path(directory))
        return sync.apply_changes(session, Path(directory), today, source="command")


def _run(args: argparse.Namespace) -> int:
    from ketenserver.cli import engine_for, settings_from

    return run(args, settings_from(args), engine_for)


def run(args: argparse.Namespace, settings: Settings, engine_for: Callable[[Settings], Engine]) -> int:
    from dataclasses import replace

    from ketenserver.dates import belgian_date
    from ketenserver.db import make_session_factory
    from ketenserver.exchange.storage import business_now
    from ketenserver.werkplekduaal import catalogue, kbo, kbo_storage, requests_storage, sync
    from ketenserver.werkplekduaal.magda import COUNTER_KBO
    from ketenserver.werkplekduaal.settings import WerkplekduaalSettings

    if args.wpd_command == "opleidingen":
        for code, opleiding in sorted(catalogue.OPLEIDINGEN.items()):
            print(f"{code:22} {opleiding.name}")
        for partnership in catalogue.PARTNERSHIPS.values():
            sectors = ", ".join(sorted(partnership.joint_committees)) or "every other sector"
            print(f"{partnership.code:22} {partnership.name} (PC {sectors})")
        return 0
    own = settings.of(WerkplekduaalSettings)
    engine = engine_for(settings)
    sessions = make_session_factory(engine)
    try:
        with sessions.begin() as session:
            today = belgian_date(business_now(session, COUNTER_KBO, dt.datetime.now(dt.UTC)))
            try:
                if args.wpd_command == "beslis":
                    status = requests_storage.decide(session, args.aanvraag, args.outcome, args.reden, today=today,
                                                     settings=own)
                    recognition = f", erkenning {status.recognition.number} tot {status.recognition.valid_until}" \
                        if status.recognition else ""
                    print(f"{status.number}: {status.status} ({status.partnership.name}){recognition}")
                elif args.wpd_command == "intrekken":
                    found, made = requests_storage.withdraw_recognition(session, args.erkenning, args.reden,
                                                                       today=today)
                    print(f"{found.number}: {found.status}; {made} OPHEFFING tasks")
                elif args.wpd_command == "beroep":
                    if args.granted is None:
                        found = requests_storage.appeal_withdrawal(session, args.erkenning, today=today)
                    else:
                        found = requests_storage.decide_appeal(session, args.erkenning, granted=args.granted,
                                                               today=today)
                    print(f"{found.number}: {found.status}")
                elif args.wpd_command == "taken":
                    done = sync.run_pass(session, today, own)
                    print(f"{done.decided} decisions, {done.syncs} KBO syncs, {done.missing} missing-agreement tasks")
                elif args.kbo_command == "apply":
                    result = sync.apply_changes(session, args.directory, today)
                    print(f"KBO: {result.moved} establishments moved, {result.stopped} stopped; {result.tasks} tasks")
                elif args.kbo_command == "verhuis":
                    result = _move(session, args, today)
                    print(f"KBO: {result.moved} establishments moved, {result.stopped} stopped; {result.tasks} tasks")
                elif args.kbo_command == "sync":
                    chosen = own if args.changes is None else replace(own, kbo_weekly_changes=args.changes)
                    result = sync.weekly_sync(session, today, chosen)
                    print(f"KBO: {result.moved} establishments moved, {result.stopped} stopped; {result.tasks} tasks")
                else:
                    written = kbo_storage.generate_update(session, args.directory, changes=args.changes,
                                                          seed=args.seed)
                    session.rollback()  # generating reads only
                    print(f"{args.directory}: {written} changes in KBO's update format")
            except KetenError as error:
                raise ValueError(f"{error.code}: {error.message}") from None
            except kbo.KboFileError as error:
                raise ValueError(str(error)) from None
        return 0
    finally:
        engine.dispose()
