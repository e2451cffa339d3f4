"""``ketenserver sbb ...``: a tester acts as SBB.

    ketenserver sbb voordracht --referentie EV-000001 --status erkend     move a nomination on
    ketenserver sbb intrekken|beeindigen --leerbedrijf-id ID --crebo C --reden R [--datum D]
                                                                          withdraw or end a recognition
    ketenserver sbb bezorgen                                              push due mutations now (one pass)
"""

from __future__ import annotations

import argparse

from ketenserver.cli import engine_for, settings_from
from ketenserver.settings import Settings


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sbb = sub.add_parser("sbb", help="act as SBB: nominations and recognitions (triggers mutations)")
    sbb_sub = sbb.add_subparsers(dest="sbb_command", required=True)
    nomination = sbb_sub.add_parser("voordracht", help="move an erkenningsvoordracht on")
    nomination.add_argument("--referentie", required=True, help="EV-000001")
    nomination.add_argument("--status", required=True, choices=("in-behandeling", "erkend", "afgewezen"),
                            help="erkend creates the company and a recognition for the crebo from today")
    for name, text in (("intrekken", "withdraw a recognition"), ("beeindigen", "end a recognition")):
        lapse = sbb_sub.add_parser(name, help=f"{text}; a mutation for each school with a running agreement")
        lapse.add_argument("--leerbedrijf-id", dest="leerbedrijf_id", required=True)
        lapse.add_argument("--crebo", required=True)
        lapse.add_argument("--reden", required=True)
        lapse.add_argument("--datum", help="first day without the recognition, YYYY-MM-DD (default today)")
    sbb_sub.add_parser("bezorgen", help="push each due mutation to its school's delivery address now (one pass)")
    sbb.set_defaults(func=cmd_sbb)


def cmd_sbb(args: argparse.Namespace) -> int:
    """Act as SBB: move a nomination on, or withdraw or end a recognition (one transaction)."""
    import datetime as dt

    from ketenserver.db import make_session_factory
    from ketenserver.recognitions import agreements, bpv_storage, domain

    if args.sbb_command == "bezorgen":
        return _deliver(settings_from(args))
    today = domain.dutch_date(dt.datetime.now(dt.UTC))
    engine = engine_for(settings_from(args))
    try:
        with make_session_factory(engine).begin() as session:
            if args.sbb_command == "voordracht":
                status = agreements.NominationStatus(args.status.replace("-", " ").capitalize())
                nomination = bpv_storage.move_nomination(session, args.referentie, status, today=today)
                extra = f", leerbedrijf-id {nomination.leerbedrijf_id}" if nomination.leerbedrijf_id else ""
                print(f"{nomination.reference}: {nomination.status.value}{extra}")
                return 0
            kind = (agreements.MutationKind.INGETROKKEN if args.sbb_command == "intrekken"
                    else agreements.MutationKind.BEEINDIGD)
            effective = dt.date.fromisoformat(args.datum) if args.datum else today
            schools = bpv_storage.lapse_recognition(session, args.leerbedrijf_id, args.crebo, kind, args.reden,
                                                    effective=effective, today=today)
            print(f"recognition of {args.leerbedrijf_id} for {args.crebo} {kind.value} from {effective}; "
                  f"mutations for {len(schools)} school(s): {', '.join(schools) or '-'}")
    finally:
        engine.dispose()
    return 0


def _deliver(settings: Settings) -> int:
    """One delivery pass, as a serving process runs every ``delivery_interval`` seconds."""
    from ketenserver.app import create_app
    from ketenserver.recognitions.delivery import MutationDeliverer

    app = create_app(settings, engine=engine_for(settings))
    try:
        job = app.jobs["sbb-erkenningen"]
        assert isinstance(job, MutationDeliverer)
        attempts = job.run_once()
    finally:
        app.close()
    for attempt in attempts:
        print(f"{attempt.organisation_oin}: {attempt.reason}")
    if not attempts:
        print("no mutations due for delivery")
    return 0
