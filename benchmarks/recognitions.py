"""Benchmark: Opvragen erkenningen and Natrekken erkenning at 10,000 and 250,000 companies.

For each size a fresh database is prepared as ``ketenserver seed --companies N`` does
(:func:`ketenserver.sandbox.prepare_database`: schema, demo parties, the seed; timed). Then the
calls the spyne service makes, in process: :func:`search.search` and :func:`domain.verify` over a
:class:`storage.SqlCompanyDirectory` on a session of their own per call, exactly as
``ErkenningenService`` does per request (parsing, WS-Security and serialisation are not in the
figures). Every size gets the same deterministic mix of inputs, drawn from its seeded companies:

    crebo               Crebo, one of the seeded sectors' qualifications
    qualification name  Kwalificatienaam, a word prefix of such a qualification's name
    leerbedrijf-id      LeerbedrijfId of a seeded company (recognised or not)
    name word prefix    Bedrijfsnaam, a prefix (3 letters or more) of a word of a company's name
    name + place        the same, with Plaats, the company's place
    crebo + country     Crebo with Land NL, BE or DE

Each search asks the first page (25) with its total, as a school's first request does.

    python benchmarks/recognitions.py [--sizes 10000,250000] [--calls 300] [--database-url URL]

``--database-url`` names a PostgreSQL server (for example
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``): a database of its own is created
there for each size and dropped afterwards; after seeding it gets VACUUM ANALYZE, as autovacuum
would give it shortly after a bulk load (statistics, and the visibility map index-only scans
need). Default: a new SQLite file per size, used as the server uses it.

Prints the seeding time and p50/p95 per kind, then the issue's targets: search p95 at most 20 ms
per kind and at most twice its p95 at the smallest size, Natrekken p95 at most 5 ms, seeding
250,000 companies in under 2 minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import random
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from ketenserver.db import make_engine, make_session_factory
from ketenserver.recognitions import domain, search, seed, storage
from ketenserver.sandbox import prepare_database

TOKEN_KEY = b"benchmark token key"
KINDS = ("crebo", "qualification name", "leerbedrijf-id", "name word prefix", "name + place", "crebo + country")
NATREKKEN = "natrekken"
SEARCH_P95_MS = 20.0
NATREKKEN_P95_MS = 5.0
SEED_SECONDS = 120.0
Call = Callable[[Session], object]


@dataclass(frozen=True)
class Figures:
    size: int
    seconds: float
    """prepare_database: schema, demo parties and the seed."""
    latencies: dict[str, list[float]]
    totals: dict[str, float]
    """Mean number of companies found per search (the Totaal of the reply)."""


@contextlib.contextmanager
def _database(server_url: str | None, size: int) -> Iterator[str]:
    """A new, empty database for one size: a SQLite file, or a database on the PostgreSQL server."""
    if not server_url:
        directory = Path(tempfile.mkdtemp(prefix="ketenserver-bench-"))
        try:
            yield f"sqlite:///{directory / 'recognitions.sqlite3'}"
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return
    name = f"ketenserver_bench_{size}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _prefix(rng: random.Random, name: str) -> str:
    words = search.search_words(name, company_name=True)
    word = rng.choice(words)
    return word if len(word) <= 3 else word[: rng.randint(3, len(word))]


def _workload(session: Session, calls: int, today: dt.date) -> dict[str, list[Call]]:
    """The same mix of inputs for every size (one random stream), drawn from the seeded companies."""
    rng = random.Random(2024)
    companies = session.execute(select(storage.CompanyModel.leerbedrijf_id, storage.CompanyModel.name,
                                       storage.CompanyModel.place).order_by(storage.CompanyModel.leerbedrijf_id)).all()
    crebos = sorted({c for sector in seed.SECTORS for c in sector.crebos})
    names = {q.crebo: q.name for q in seed.load_qualifications()}
    qualification_words = sorted({w[:max(4, len(w) - 2)] for c in crebos for w in search.search_words(names[c])
                                  if len(w) >= 4})

    def searching(**criteria: str) -> Call:
        query = search.SearchQuery(**criteria)
        return lambda session: search.search(query, index=storage.SqlCompanyDirectory(session), on=today,
                                             token_key=TOKEN_KEY)

    def verifying(leerbedrijf_id: str, crebo: str, day: dt.date) -> Call:
        return lambda session: domain.verify(leerbedrijf_id, crebo, day,
                                             directory=storage.SqlCompanyDirectory(session), today=today)

    work: dict[str, list[Call]] = {kind: [] for kind in (*KINDS, NATREKKEN)}
    for _ in range(calls):
        leerbedrijf_id, name, place = rng.choice(companies)
        work["crebo"].append(searching(crebo=rng.choice(crebos)))
        work["qualification name"].append(searching(qualification_name=rng.choice(qualification_words)))
        work["leerbedrijf-id"].append(searching(leerbedrijf_id=leerbedrijf_id))
        work["name word prefix"].append(searching(company_name=_prefix(rng, name)))
        work["name + place"].append(searching(company_name=_prefix(rng, name), place=place))
        work["crebo + country"].append(searching(crebo=rng.choice(crebos), country=rng.choice(("NL", "BE", "DE"))))
        day = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randint(0, (today - dt.date(2015, 1, 1)).days + 365))
        work[NATREKKEN].append(verifying(leerbedrijf_id, rng.choice(crebos), day))
    return work


def _measure(sessions: sessionmaker[Session], calls: list[Call], warmup: int) -> tuple[list[float], float]:
    """Seconds per call (a session of its own each, as per request), and the mean Totaal of searches."""
    for call in calls[:warmup]:
        with sessions() as session:
            call(session)
    latencies, totals = [], []
    for call in calls:
        started = time.perf_counter()
        with sessions() as session:
            result = call(session)
        latencies.append(time.perf_counter() - started)
        if isinstance(result, search.SearchResult):
            totals.append(result.total)
    return latencies, statistics.fmean(totals) if totals else 0.0


def _percentile(latencies: list[float], share: float) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000


def _run(server_url: str | None, size: int, calls: int, analyze: bool) -> Figures:
    with _database(server_url, size) as url:
        engine = make_engine(url)
        try:
            print(f"\n{size:,} companies ({engine.dialect.name})", flush=True)
            started = time.perf_counter()
            prepare_database(engine, companies=size, say=print)
            seconds = time.perf_counter() - started
            print(f"  prepared in {seconds:.1f} s (schema, demo parties, seed)", flush=True)
            if analyze and engine.dialect.name == "postgresql":
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.execute(text("VACUUM ANALYZE"))
            sessions = make_session_factory(engine)
            today = domain.dutch_date(dt.datetime.now(dt.UTC))
            with sessions() as session:
                work = _workload(session, calls, today)
            latencies, totals = {}, {}
            print(f"  {'kind':<20} {'p50 ms':>8} {'p95 ms':>8} {'mean Totaal':>12}")
            for kind, kind_calls in work.items():
                latencies[kind], totals[kind] = _measure(sessions, kind_calls, warmup=min(30, calls))
                found = "" if kind == NATREKKEN else f"{totals[kind]:12.0f}"
                print(f"  {kind:<20} {_percentile(latencies[kind], 0.5):8.2f} "
                      f"{_percentile(latencies[kind], 0.95):8.2f} {found}", flush=True)
            return Figures(size, seconds, latencies, totals)
        finally:
            engine.dispose()


def _summary(runs: list[Figures]) -> None:
    base = runs[0]
    print(f"\nSummary (p95 in ms; ratio to {base.size:,} companies)")
    print(f"  {'kind':<20}" + "".join(f" {f'{r.size:,}':>10}" for r in runs) + "   target")
    for kind in (*KINDS, NATREKKEN):
        p95s = [_percentile(r.latencies[kind], 0.95) for r in runs]
        cells = "".join(f" {p:10.2f}" for p in p95s)
        if kind == NATREKKEN:
            verdict = "met" if max(p95s) <= NATREKKEN_P95_MS else "NOT met"
            print(f"  {kind:<20}{cells}   p95 <= {NATREKKEN_P95_MS:g} ms: {verdict}")
            continue
        ratio = p95s[-1] / p95s[0]
        verdict = "met" if max(p95s) <= SEARCH_P95_MS and ratio <= 2 else "NOT met"
        print(f"  {kind:<20}{cells}   p95 <= {SEARCH_P95_MS:g} ms and <= 2x: x{ratio:.2f} {verdict}")
    for run in runs:
        verdict = "" if run.size < 250_000 else (" (target < 2 min: met)" if run.seconds < SEED_SECONDS
                                                 else " (target < 2 min: NOT met)")
        print(f"  seeding {run.size:,} companies: {run.seconds:.1f} s{verdict}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,250000", help="companies per run, comma-separated")
    parser.add_argument("--calls", type=int, default=300, help="timed calls per kind and size (default 300)")
    parser.add_argument("--database-url", default="", help="a PostgreSQL server URL; default: SQLite files")
    parser.add_argument("--no-analyze", dest="analyze", action="store_false",
                        help="skip VACUUM ANALYZE on PostgreSQL after seeding")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    runs = [_run(args.database_url or None, size, args.calls, args.analyze) for size in sizes]
    _summary(runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
