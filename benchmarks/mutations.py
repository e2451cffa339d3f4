"""Benchmark: Ophalen mutaties (and Bevestigen mutaties) at 1,000 and 1,000,000 mutations in history.

For each size a fresh database is prepared as ``ketenserver seed`` does
(:func:`ketenserver.sandbox.prepare_database`: schema, demo parties and a small seed of companies,
the same at every size), then ``sbb_mutations`` is filled by bulk inserts with a history of that
many mutations (timed), spread over 200 schools in sequence order, as ``ketenserver sbb
intrekken|beeindigen`` would have issued them over the years. The demo school 0000000700025LX00000
gets a fifth of them, so that even the smallest history gives it full pages; the other 199 share
the rest. Every mutation names a recognition of the seed (its leerbedrijf-id and crebo). Each
school has a running subscription.

Then the calls the spyne service makes for the demo school, in process: :func:`agreements.fetch`
and :func:`agreements.acknowledge` over a :class:`bpv_storage.SqlSchoolLedger` on a session of
their own per call, committed, exactly as ``ErkenningenService`` and the pipeline do per request
(parsing, WS-Security and serialisation are not in the figures). Every size gets the same
deterministic mix of cursors, drawn from the school's own sequence numbers:

    acknowledged cursor  OphalenMutaties without NaVolgnummer, page size 100; before each call (not
                         timed) the subscription's acknowledged cursor is set to a random point of
                         the history with at least a full page after it
    latest page          OphalenMutaties with NaVolgnummer near the end (0-99 mutations after it),
                         page size 100: the poll of a school that keeps up
    acknowledge          BevestigenMutaties up to a random sequence number at most a page ahead of
                         the acknowledged cursor (set before each call, not timed); includes the commit

All sizes are loaded first and stay open; the calls are then made in rounds (``--rounds``, each
a slice of every kind's calls) that take the sizes in turn, in the opposite order each round, so
that a machine whose load changes meanwhile (another job, a warming cache) weighs on every size
alike. Each kind starts each round with 30 untimed warm-up calls.

    python benchmarks/mutations.py [--sizes 1000,1000000] [--calls 600] [--rounds 3] [--database-url URL]

``--database-url`` names a PostgreSQL server (for example
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``): a database of its own is created
there for each size and dropped afterwards; after loading it gets VACUUM ANALYZE, as autovacuum
would give it shortly after a bulk load (statistics, and the visibility map index-only scans
need). Default: a new SQLite file per size, used as the server uses it.

Prints the loading time and p50/p95/mean per kind, then the issue's target: fetching mutations
costs per call at most 1.5 times as much with the largest history as with the smallest (mean;
p95 shown beside it). Acknowledging is shown for information.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ketenserver.db import make_engine, make_session_factory
from ketenserver.pki import school_oin
from ketenserver.recognitions import agreements, storage
from ketenserver.recognitions.bpv_storage import MutationModel, SqlSchoolLedger, SubscriptionModel
from ketenserver.sandbox import ProgressLine, prepare_database
from ketenserver.testing import scratch_database

SCHOOL = school_oin("25LX")
SCHOOLS = (SCHOOL, school_oin("30AB"), *(school_oin(f"{n:03d}M") for n in range(198)))
SCHOOL_SHARE = 0.2
COMPANIES = 2_000
PAGE = agreements.MAX_PAGE
BATCH = 50_000
"""Mutations per bulk insert (and per progress step)."""
FIRST_DAY = dt.date(2012, 1, 1)
REASONS = {
    agreements.MutationKind.INGETROKKEN: ("Niet meer voldaan aan de erkenningsvoorwaarden",
                                          "Op verzoek van het bedrijf", "Geen praktijkopleider meer beschikbaar"),
    agreements.MutationKind.BEEINDIGD: ("Bedrijf beëindigd", "Kwalificatie vervallen", "Fusie"),
}
FETCH_KINDS = ("acknowledged cursor", "latest page")
ACKNOWLEDGE = "acknowledge"
RATIO_TARGET = 1.5
Call = Callable[[Session], object]


@dataclass(frozen=True)
class Timed:
    """One call: *prepare* runs first in a session of its own (committed, not timed), then *call*."""

    call: Call
    prepare: Call | None = None


@dataclass(frozen=True)
class Figures:
    size: int
    seconds: float
    """Loading the mutation history (the bulk inserts)."""
    sessions: sessionmaker[Session]
    work: dict[str, list[Timed]]
    latencies: dict[str, list[float]] = field(default_factory=dict)
    rows: dict[str, list[int]] = field(default_factory=dict)
    """Mutations per reply (fetches)."""


def _database(server_url: str | None, size: int) -> contextlib.AbstractContextManager[str]:
    """A new, empty database for one size: a SQLite file, or a database on the PostgreSQL server."""
    return scratch_database(server_url, f"bench_mutations_{size}")


def _load(engine: Engine, size: int) -> float:
    """The mutation history and a subscription per school, by bulk inserts; returns the seconds taken."""
    rng = random.Random(size)
    started = time.perf_counter()
    with engine.begin() as connection:
        recognised = connection.execute(select(storage.RecognitionModel.leerbedrijf_id, storage.RecognitionModel.crebo)
                                        .distinct().order_by(storage.RecognitionModel.leerbedrijf_id,
                                                             storage.RecognitionModel.crebo)).all()
        connection.execute(insert(SubscriptionModel), [
            {"organisation_oin": oin, "started_on": FIRST_DAY, "acknowledged_up_to": 0} for oin in SCHOOLS])
    others = SCHOOLS[1:]
    days = (dt.date.today() - FIRST_DAY).days
    progress = ProgressLine("mutations", print, stream=sys.stdout if sys.stdout.isatty() else None)
    done = 0
    while done < size:
        rows = []
        for number in range(done, min(size, done + BATCH)):
            leerbedrijf_id, crebo = rng.choice(recognised)
            kind = rng.choice(tuple(agreements.MutationKind))
            rows.append({
                "organisation_oin": SCHOOL if rng.random() < SCHOOL_SHARE else rng.choice(others),
                "leerbedrijf_id": leerbedrijf_id, "crebo": crebo, "kind": kind.value,
                "reason": rng.choice(REASONS[kind]),
                "effective_date": FIRST_DAY + dt.timedelta(days=days * number // size + rng.randint(0, 30)),
            })
        with engine.begin() as connection:
            connection.execute(insert(MutationModel), rows)
        done += len(rows)
        progress(done, size)
    return time.perf_counter() - started


def _acknowledged(cursor: int) -> Call:
    """Set the school's acknowledged cursor (also backwards: the ledger does as it is told)."""
    return lambda session: SqlSchoolLedger(session, SCHOOL).acknowledge(cursor)


def _workload(session: Session, calls: int) -> dict[str, list[Timed]]:
    """The same mix of cursors for every size (one random stream), drawn from the school's sequence numbers."""
    rng, near_end = random.Random(2024), random.Random(2025)  # the latest pages: the same at every size
    sequences = session.scalars(select(MutationModel.sequence).where(MutationModel.organisation_oin == SCHOOL)
                                .order_by(MutationModel.sequence)).all()
    if len(sequences) <= PAGE:
        raise SystemExit(f"the school has {len(sequences)} mutations; a full page needs more than {PAGE}")
    cursors = [0, *sequences]

    def fetching(after: int | None) -> Call:
        return lambda session: agreements.fetch(ledger=SqlSchoolLedger(session, SCHOOL), after=after, page_size=PAGE)

    def acknowledging(up_to: int) -> Call:
        return lambda session: agreements.acknowledge(up_to, ledger=SqlSchoolLedger(session, SCHOOL))

    work: dict[str, list[Timed]] = {kind: [] for kind in (*FETCH_KINDS, ACKNOWLEDGE)}
    for _ in range(calls):
        cursor = rng.randrange(len(cursors) - PAGE)
        work["acknowledged cursor"].append(Timed(fetching(None), prepare=_acknowledged(cursors[cursor])))
        work["latest page"].append(Timed(fetching(cursors[-1 - near_end.randrange(PAGE)])))
        cursor = rng.randrange(len(cursors) - PAGE)
        up_to = cursors[cursor + rng.randint(1, PAGE)]
        work[ACKNOWLEDGE].append(Timed(acknowledging(up_to), prepare=_acknowledged(cursors[cursor])))
    return work


def _measure(sessions: sessionmaker[Session], calls: list[Timed], warmup: int) -> tuple[list[float], list[int]]:
    """Seconds per call (a session of its own each, committed, as per request), and the page lengths."""

    def run(timed: Timed) -> tuple[float, object]:
        if timed.prepare is not None:
            with sessions() as session:
                timed.prepare(session)
                session.commit()
        started = time.perf_counter()
        with sessions() as session:
            result = timed.call(session)
            session.commit()
        return time.perf_counter() - started, result

    for timed in calls[:warmup]:
        run(timed)
    latencies, rows = [], []
    for timed in calls:
        seconds, result = run(timed)
        latencies.append(seconds)
        if isinstance(result, agreements.MutationPage):
            rows.append(len(result.mutations))
    return latencies, rows


def _percentile(latencies: list[float], share: float) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000


def _mean(latencies: list[float]) -> float:
    return statistics.fmean(latencies) * 1000


def _prepare(stack: contextlib.ExitStack, server_url: str | None, size: int, calls: int, analyze: bool) -> Figures:
    """A database with a history of *size* mutations, kept open on *stack*, and its workload."""
    engine = make_engine(stack.enter_context(_database(server_url, size)))
    stack.callback(engine.dispose)
    print(f"\n{size:,} mutations ({engine.dialect.name})", flush=True)
    started = time.perf_counter()
    prepare_database(engine, companies=COMPANIES)
    print(f"  prepared in {time.perf_counter() - started:.1f} s (schema, demo parties, {COMPANIES:,} companies)",
          flush=True)
    seconds = _load(engine, size)
    print(f"  history loaded in {seconds:.1f} s ({size:,} mutations, {len(SCHOOLS)} schools)", flush=True)
    if analyze and engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    sessions = make_session_factory(engine)
    with sessions() as session:
        return Figures(size, seconds, sessions, _workload(session, calls))


def _round(runs: list[Figures], number: int, rounds: int) -> None:
    """Every size in turn, in the opposite order from the round before, each kind a slice of its calls."""
    order = runs if number % 2 == 0 else runs[::-1]
    print(f"  round {number + 1} of {rounds}: " + ", then ".join(f"{r.size:,}" for r in order), flush=True)
    for run in order:
        for kind, calls in run.work.items():
            share = len(calls) // rounds
            part = calls[number * share:(number + 1) * share if number < rounds - 1 else None]
            latencies, rows = _measure(run.sessions, part, warmup=min(30, len(part)))
            run.latencies.setdefault(kind, []).extend(latencies)
            run.rows.setdefault(kind, []).extend(rows)


def _report(run: Figures) -> None:
    print(f"\n{run.size:,} mutations: {len(run.latencies[ACKNOWLEDGE]):,} timed calls per kind")
    print(f"  {'kind':<20} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'mean rows':>10}")
    for kind, latencies in run.latencies.items():
        found = "" if kind == ACKNOWLEDGE else f"{statistics.fmean(run.rows[kind]):10.1f}"
        print(f"  {kind:<20} {_percentile(latencies, 0.5):8.2f} {_percentile(latencies, 0.95):8.2f}"
              f" {_mean(latencies):8.2f} {found}")


def _summary(runs: list[Figures]) -> None:
    base, last = runs[0], runs[-1]
    print(f"\nSummary (ms per call; ratio of {last.size:,} to {base.size:,} mutations)")
    print(f"  {'kind':<20}" + "".join(f" {f'mean {r.size:,}':>16}" for r in runs)
          + "".join(f" {f'p95 {r.size:,}':>15}" for r in runs) + "   target")
    for kind in (*FETCH_KINDS, ACKNOWLEDGE):
        means = [_mean(r.latencies[kind]) for r in runs]
        p95s = [_percentile(r.latencies[kind], 0.95) for r in runs]
        cells = "".join(f" {m:16.2f}" for m in means) + "".join(f" {p:15.2f}" for p in p95s)
        mean_ratio, p95_ratio = means[-1] / means[0], p95s[-1] / p95s[0]
        if kind == ACKNOWLEDGE:
            print(f"  {kind:<20}{cells}   (information) mean x{mean_ratio:.2f}, p95 x{p95_ratio:.2f}")
            continue
        verdict = "met" if mean_ratio <= RATIO_TARGET else "NOT met"
        p95_verdict = "within" if p95_ratio <= RATIO_TARGET else "beyond"
        print(f"  {kind:<20}{cells}   mean <= {RATIO_TARGET:g}x: x{mean_ratio:.2f} {verdict}"
              f" (p95 x{p95_ratio:.2f}, {p95_verdict})")
    for run in runs:
        print(f"  loading {run.size:,} mutations: {run.seconds:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,1000000", help="mutations in history per run, comma-separated")
    parser.add_argument("--calls", type=int, default=600, help="timed calls per kind and size (default 600)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds the calls are spread over (default 3)")
    parser.add_argument("--database-url", default="", help="a PostgreSQL server URL; default: SQLite files")
    parser.add_argument("--no-analyze", dest="analyze", action="store_false",
                        help="skip VACUUM ANALYZE on PostgreSQL after loading")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    with contextlib.ExitStack() as stack:
        runs = [_prepare(stack, args.database_url or None, size, args.calls, args.analyze) for size in sizes]
        # The workloads (closures over hundreds of thousands of cursors) would make every full
        # collection of the garbage collector scan them, tens of milliseconds landing on one
        # call or another; a server holds no such heap, so they are set aside.
        gc.collect()
        gc.freeze()
        print("\nMeasuring", flush=True)
        for number in range(args.rounds):
            _round(runs, number, args.rounds)
    for run in runs:
        _report(run)
    _summary(runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
