"""The ``ketenserver`` command.

    ketenserver sandbox                 certificates, database, demo data, serve on :8443
    ketenserver serve [--config F]      serve from settings (TOML and/or KETENSERVER_* variables)
    ketenserver certs init|issue        the development PKI
    ketenserver db upgrade              create or upgrade the schema
    ketenserver seed                    demo data
    ketenserver org list|add|mandate    the organisation registry
    ketenserver journal [--show ID]     what was exchanged (--request-id ID: the entry a log line names)
    ketenserver journal purge           remove entries of an organisation (--oin) or older than --older-than DAYS
    ketenserver faults                  the fault catalogue
    ketenserver clock --oin OIN [--advance 3d]   an organisation's sandbox clock (business time)
    ketenserver sbb voordracht|intrekken|beeindigen   act as SBB (nominations, recognitions)
    ketenserver sbb bezorgen            push due mutations to schools' delivery addresses now
    ketenserver duo klok|terugmelden|gemeenten   act as the municipalities; a school's sandbox clock
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ketenserver.settings import Settings, load_settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


def settings_from(args: argparse.Namespace) -> Settings:
    """The settings a command runs with: the file and variables, then the command line."""
    settings = load_settings(getattr(args, "config", None))
    overrides = {}
    for name in ("database_url", "pki_dir", "data_dir", "port", "host", "workers"):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = value
    return replace(settings, **overrides)


def engine_for(settings: Settings) -> Engine:
    """An engine on the configured database (the SQLite file's directory created when missing)."""
    from ketenserver.db import make_engine

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return make_engine(settings.effective_database_url)


def prepare(settings: Settings, *, companies: int | None = None,
            say: Callable[[str], object] = print) -> None:
    """Certificates if missing, then schema, demo organisations and demo data."""
    from ketenserver.pki import init_dev_pki
    from ketenserver.sandbox import prepare_database

    def certs_progress(text: str) -> None:
        say(f"  certs: {text}")

    if settings.server_cert is None:
        init_dev_pki(settings.pki_dir, progress=certs_progress)
    engine = engine_for(settings)
    try:
        prepare_database(engine, companies=companies or settings.seed_companies, say=say)
    finally:
        engine.dispose()


def cmd_sandbox(args: argparse.Namespace) -> int:
    from ketenserver.server import serve_forever

    settings = settings_from(args)
    print("ketenserver sandbox: preparing (development use only)")
    prepare(settings, companies=args.companies)
    print(sandbox_banner(settings))
    return serve_forever(settings)


def sandbox_banner(settings: Settings) -> str:
    from ketenserver.features import FEATURES
    from ketenserver.pki import DEMO_PARTIES

    base = f"https://{settings.host}:{settings.port}"
    pki = settings.pki_dir
    school = DEMO_PARTIES[0]
    lines = ["", f"Serving on {base}  (Ctrl+C stops)", "", "Services (WSDL):"]
    for feature in FEATURES:
        for profile in feature.profiles:
            lines.append(f"  {feature.title} [{profile.name}]: {base}/{feature.key}/{profile.name}?wsdl")
    lines += ["", f"Trust anchor:  {pki / 'DEV-ONLY-trust-bundle.pem'}", "Client certificates:"]
    for party in DEMO_PARTIES:
        identifier = f"KBO {party.oin}" if party.kbo else f"OIN {party.oin}"
        lines.append(f"  {party.name} ({identifier}): {pki / f'DEV-ONLY-{party.key}.crt.pem'} + .key.pem / .p12")
    lines += ["", "Try it (Python, in this virtualenv):", "",
              "  from ketenclient import Credentials, SbbErkenningenClient",
              f"  creds = Credentials.from_pem('{pki}/DEV-ONLY-{school.key}.chain.pem',",
              f"                               '{pki}/DEV-ONLY-{school.key}.key.pem',",
              f"                               trust='{pki}/DEV-ONLY-trust-bundle.pem',",
              f"                               crls=['{pki}/DEV-ONLY-private-services-ca.crl.pem'])",
              f"  with SbbErkenningenClient('{base}/sbb-erkenningen/2W-be-S', creds) as sbb:",
              "      print(sbb.vaststellen_leerbedrijf('Bakkerij De Vries', '1012 AB'))", ""]
    return "\n".join(lines)


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve until SIGTERM or SIGINT (exit code 0 after an orderly stop). With several workers this
    process becomes their supervisor (:mod:`ketenserver.supervisor`), shedding what the command imported."""
    from ketenserver.server import serve_forever

    settings = settings_from(args)
    print(f"ketenserver: serving on https://{settings.host}:{settings.port} "
          f"with {settings.worker_count} process(es)", flush=True)
    return serve_forever(settings)


def cmd_certs(args: argparse.Namespace) -> int:
    from ketenserver.pki import init_dev_pki, issue_test_certificate

    settings = settings_from(args)
    if args.certs_command == "check":
        return _certs_check(settings, args.warn_days)
    if args.certs_command == "init":
        pki = init_dev_pki(settings.pki_dir, force=args.force, progress=print)
        print(f"Development PKI in {settings.pki_dir} (development use only; see its README.md).")
        print(f"Trust bundle: {pki.trust_bundle}")
        return 0
    files = issue_test_certificate(settings.pki_dir, oin=args.oin, name=args.name,
                                   out_dir=Path(args.out) if args.out else None, days=args.days)
    print(f"Temporary test certificate for {args.name} (OIN {files.oin}), valid {args.days} days:")
    for label, path in (("certificate", files.cert), ("key", files.key), ("chain", files.chain),
                        ("PKCS#12", files.p12)):
        print(f"  {label:<12} {path}")
    if args.register:
        from ketenserver.db import make_session_factory
        from ketenserver.exchange import storage
        from ketenserver.migrate import upgrade

        engine = engine_for(settings)
        upgrade(engine)
        with make_session_factory(engine).begin() as session:
            storage.register_organisation(session, oin=files.oin, name=args.name, kind=args.kind,
                                          brin=args.brin)
        engine.dispose()
        print(f"Registered {files.oin} as a {args.kind} in {settings.effective_database_url}")
    return 0


def _certs_check(settings: Settings, warn_days: int) -> int:
    """Exit 1 when the server certificate, a CA certificate or a CRL is expired or expires soon."""
    import datetime as dt

    from ketencore.trust import TrustStore
    from ketenserver.certcheck import inspect_certificates, inspect_crls, report

    now = dt.datetime.now(dt.UTC)
    store = TrustStore.from_files(settings.trust_bundle_path, settings.crl_paths)
    essential = [settings.server_cert_path, settings.trust_bundle_path]
    others = sorted(p for p in settings.pki_dir.glob("*.crt.pem") if p not in essential)
    essential_states = inspect_certificates(store, essential, now=now, warn_days=warn_days)
    essential_states += inspect_crls(settings.crl_paths, now=now, warn_days=warn_days)
    states = essential_states + inspect_certificates(store, others, now=now, warn_days=warn_days)
    print(report(states, now))
    broken = [s for s in essential_states if not s.healthy]
    for state in broken:
        print(f"WARNING: {state.path.name} is {state.verdict} ({state.expires:%Y-%m-%d})", file=sys.stderr)
    return 1 if broken else 0


def cmd_db(args: argparse.Namespace) -> int:
    from ketenserver.migrate import upgrade

    settings = settings_from(args)
    engine = engine_for(settings)
    upgrade(engine)
    engine.dispose()
    print(f"Database at {engine.url.render_as_string(hide_password=True)} is up to date.")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    prepare(settings, companies=args.companies)
    return 0


def cmd_org(args: argparse.Namespace) -> int:
    from ketenserver.db import make_session_factory
    from ketenserver.exchange import storage

    engine = engine_for(settings_from(args))
    try:
        with make_session_factory(engine).begin() as session:
            if args.org_command == "add":
                storage.register_organisation(session, oin=args.oin, name=args.name, kind=args.kind,
                                              brin=args.brin, kvk_number=args.kvk)
                print(f"registered {args.oin}")
            elif args.org_command == "mandate":
                storage.grant_mandate(session, intermediary_oin=args.intermediary, organisation_oin=args.organisation)
                print(f"{args.intermediary} may now act for {args.organisation}")
            else:
                acting: dict[str, list[str]] = {}
                for mandate in storage.mandates(session):
                    acting.setdefault(mandate.organisation_oin, []).append(mandate.intermediary_oin)
                for org in storage.organisations(session):
                    via = ", ".join(acting.get(org.oin, [])) or "-"
                    print(f"{org.oin}  {org.kind:<10} {org.brin or org.kvk_number or '':<8} {org.name}"
                          f"  (intermediaries: {via})")
    finally:
        engine.dispose()
    return 0


def cmd_journal(args: argparse.Namespace) -> int:
    from ketenserver.db import make_session_factory
    from ketenserver.exchange import storage

    if args.journal_command == "purge":
        return _purge_journal(args)
    engine = engine_for(settings_from(args))
    try:
        with make_session_factory(engine)() as session:
            if args.show is not None or args.request_id is not None:
                if args.show is not None:
                    entry, wanted = session.get(storage.JournalEntry, args.show), str(args.show)
                else:
                    entry = storage.journal_entry_for_request(session, args.request_id)
                    wanted = f"for request {args.request_id}"
                if entry is None:
                    print(f"no journal entry {wanted}", file=sys.stderr)
                    return 1
                for name in ("id", "request_id", "arrived_at", "duration_ms", "endpoint", "profile", "outcome",
                             "verdict",
                             "fault_code", "injected", "operation", "message_id", "organisation_oin", "tls_oin",
                             "tls_subject", "signer_oin", "signer_subject", "request_size", "response_size",
                             "body_cap"):
                    print(f"{name:>17}: {getattr(entry, name)}")
                print("\n--- request ---")
                print(entry.request.decode("utf-8", "replace"))
                print("\n--- response ---")
                print(entry.response.decode("utf-8", "replace"))
                return 0
            entries = storage.journal_page(session, oin=args.oin, operation=args.operation,
                                           outcome=args.outcome, limit=args.limit)
            for e in entries:
                print(f"{e.id:>6} {e.arrived_at:%Y-%m-%d %H:%M:%S} {e.outcome:<8} {e.fault_code or '':<9} "
                      f"{e.organisation_oin or e.tls_oin or '-':<20} {e.operation or '-':<28} "
                      f"{e.duration_ms:7.1f} ms  {'[injected: ' + e.injected + '] ' if e.injected else ''}"
                      f"{e.verdict[:60]}")
            if not entries:
                print("no journal entries match")
    finally:
        engine.dispose()
    return 0


def _purge_journal(args: argparse.Namespace) -> int:
    """Remove an organisation's entries, entries older than some days, or both (in batches)."""
    import datetime as dt

    from ketenserver.db import make_session_factory
    from ketenserver.exchange import storage

    if args.purge_oin is None and args.older_than is None:
        raise ValueError("journal purge needs --oin OIN, --older-than DAYS or both")
    if args.older_than is not None and args.older_than < 0:
        raise ValueError("--older-than takes a number of days, 0 or more")
    before = None if args.older_than is None else dt.datetime.now(dt.UTC) - dt.timedelta(days=args.older_than)
    engine = engine_for(settings_from(args))
    try:
        with make_session_factory(engine)() as session:
            removed = storage.purge_journal(session, before=before, oin=args.purge_oin)
    finally:
        engine.dispose()
    which = [f"of {args.purge_oin}"] if args.purge_oin else []
    which += [f"older than {args.older_than:g} days"] if before is not None else []
    print(f"removed {removed} journal {'entry' if removed == 1 else 'entries'} {' and '.join(which)}")
    return 0


def cmd_faults(args: argparse.Namespace) -> int:
    from ketenserver.faults import catalogue_table
    from ketenserver.features import FEATURES

    print(catalogue_table(FEATURES))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from ketenserver.exchange.storage import ORGANISATION_KINDS

    parser = argparse.ArgumentParser(prog="ketenserver", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, help="TOML settings file (section [ketenserver])")
    parser.add_argument("--database-url", dest="database_url", help="SQLAlchemy URL (default: SQLite file)")
    parser.add_argument("--pki-dir", dest="pki_dir", type=Path, help="development PKI directory (certs-dev)")
    parser.add_argument("--data-dir", dest="data_dir", type=Path, help="where the SQLite file lives")
    sub = parser.add_subparsers(dest="command", required=True)

    sandbox = sub.add_parser("sandbox", help="certificates, database, demo data; serve on https://127.0.0.1:8443")
    sandbox.add_argument("--port", type=int)
    sandbox.add_argument("--companies", type=int, help="demo companies to seed (default 3000)")
    sandbox.set_defaults(func=cmd_sandbox)

    serve = sub.add_parser("serve", help="serve from settings")
    serve.add_argument("--port", type=int)
    serve.add_argument("--host")
    serve.add_argument("--workers", type=int, help="processes; 0 = one per core")
    serve.set_defaults(func=cmd_serve)

    certs = sub.add_parser("certs", help="development PKI")
    certs_sub = certs.add_subparsers(dest="certs_command", required=True)
    check = certs_sub.add_parser("check", help="expiry and revocation of every configured certificate and CRL")
    check.add_argument("--warn-days", type=int, default=30, help="flag what expires within this many days")
    init = certs_sub.add_parser("init", help="create certs-dev/ (root, intermediate, server, demo parties, CRL)")
    init.add_argument("--force", action="store_true", help="regenerate everything")
    issue = certs_sub.add_parser("issue", help="a temporary test certificate for a vendor, as DUO issues")
    issue.add_argument("--oin", required=True)
    issue.add_argument("--name", required=True)
    issue.add_argument("--days", type=int, default=30)
    issue.add_argument("--out", help="directory for the files (default: the PKI directory)")
    issue.add_argument("--kind", default="vendor", choices=ORGANISATION_KINDS)
    issue.add_argument("--brin")
    issue.add_argument("--no-register", dest="register", action="store_false",
                       help="do not register the OIN in the database")
    certs.set_defaults(func=cmd_certs)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="create or upgrade the schema (Alembic)")
    db.set_defaults(func=cmd_db)

    seed = sub.add_parser("seed", help="demo organisations and data")
    seed.add_argument("--companies", type=int)
    seed.set_defaults(func=cmd_seed)

    org = sub.add_parser("org", help="the organisation registry")
    org_sub = org.add_subparsers(dest="org_command", required=True)
    org_sub.add_parser("list")
    add = org_sub.add_parser("add")
    add.add_argument("--oin", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--kind", required=True, choices=ORGANISATION_KINDS)
    add.add_argument("--brin")
    add.add_argument("--kvk")
    mandate = org_sub.add_parser("mandate", help="let an intermediary act for an organisation")
    mandate.add_argument("--intermediary", required=True)
    mandate.add_argument("--organisation", required=True)
    org.set_defaults(func=cmd_org)

    journal = sub.add_parser("journal", help="list or show exchanges")
    journal.add_argument("--oin")
    journal.add_argument("--operation")
    journal.add_argument("--outcome", choices=("accepted", "refused", "retried", "delivered", "failed"),
                         help="delivered/failed: attempts to push a mutation to a school")
    journal.add_argument("--limit", type=int, default=50)
    journal.add_argument("--show", type=int, metavar="ID", help="show one entry in full, with its raw messages")
    journal.add_argument("--request-id", dest="request_id", metavar="ID",
                         help="show the entry of the request a log line names (its request_id)")
    journal_sub = journal.add_subparsers(dest="journal_command")
    purge = journal_sub.add_parser("purge", help="remove entries of an organisation and/or older than some days")
    purge.add_argument("--oin", dest="purge_oin", metavar="OIN",
                       help="entries where the organisation, the TLS client or the signer is this OIN")
    purge.add_argument("--older-than", dest="older_than", type=float, metavar="DAYS",
                       help="entries that arrived more than this many days ago")
    journal.set_defaults(func=cmd_journal)

    faults = sub.add_parser("faults", help="print the fault catalogue")
    faults.set_defaults(func=cmd_faults)

    from ketenserver import clock, scenarios
    from ketenserver.features import FEATURES

    clock.add_command(sub)
    scenarios.add_command(sub)
    for feature in FEATURES:
        if feature.commands is not None:
            feature.commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except (ValueError, FileNotFoundError) as error:
        print(f"ketenserver: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
