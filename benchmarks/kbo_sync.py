"""Benchmark: werkplekduaal's weekly KBO sync: seed the register, generate a week's changes, apply them.

On a scratch database of its own, with only the KBO tables (``wpd_kbo_enterprises``,
``wpd_kbo_establishments``, ``wpd_employers``, made by ``Base.metadata.create_all``):

1. :func:`kbo_seed.seed_kbo`: ``--enterprises`` enterprises (default 50,000) with their
   establishments, committed;
2. :func:`kbo_storage.generate_update`: a KBO update set of ``--changes`` changes (default 5,000)
   written as KBO's CSV files to a temporary directory;
3. :func:`kbo_storage.apply_update`: those files parsed and applied in one transaction, committed.

Each stage is timed on its own session, with its commit. Prints the seconds of each stage, the
number of MOVED and STOPPED establishments, and the targets: seeding well under a minute on
SQLite, applying 5,000 changes in at most 30 seconds.

    python benchmarks/kbo_sync.py [--enterprises 50000] [--changes 5000] [--seed 1] [--database-url URL]

``--database-url`` names a PostgreSQL server (for example
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``): a database of its own is created there
and dropped afterwards. Default: a new SQLite file, used as the server uses it.
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
from pathlib import Path

from sqlalchemy import Table

from ketenserver.db import Base, make_engine, make_session_factory
from ketenserver.testing import scratch_database
from ketenserver.werkplekduaal import kbo_seed, kbo_storage

SEED_SECONDS = 60.0
APPLY_SECONDS = 30.0
TABLES = (kbo_storage.EnterpriseRow, kbo_storage.EstablishmentRow, kbo_storage.EmployerRow)


def run(url: str, *, enterprises: int, changes: int, seed: int) -> int:
    engine = make_engine(url)
    try:
        tables: list[Table] = [model.__table__ for model in TABLES]  # type: ignore[misc]
        Base.metadata.create_all(engine, tables=tables)
        sessions = make_session_factory(engine)
        started = time.perf_counter()
        with sessions.begin() as session:
            added = kbo_seed.seed_kbo(session, seed, enterprises=enterprises)
        seeded = time.perf_counter() - started
        with tempfile.TemporaryDirectory(prefix="kbo-update-") as scratch:
            directory = Path(scratch)
            started = time.perf_counter()
            with sessions() as session:
                written = kbo_storage.generate_update(session, directory, changes=changes, seed=seed)
            generated = time.perf_counter() - started
            size = sum(p.stat().st_size for p in directory.iterdir())
            started = time.perf_counter()
            with sessions.begin() as session:
                applied = kbo_storage.apply_update(session, directory)
            applying = time.perf_counter() - started
    finally:
        engine.dispose()
    kinds = collections.Counter(change.kind for change in applied)
    print(f"database   {engine.dialect.name}")
    print(f"seed       {seeded:7.2f} s  {added:,} enterprises")
    print(f"generate   {generated:7.2f} s  {written:,} changes, {size / 1024:,.0f} KiB of KBO files")
    print(f"apply      {applying:7.2f} s  {len(applied):,} changes: MOVED {kinds['MOVED']:,}, "
          f"STOPPED {kinds['STOPPED']:,}")
    failures = []
    if enterprises >= 50_000 and engine.dialect.name == "sqlite" and seeded > SEED_SECONDS:
        failures.append(f"seeding took {seeded:.1f} s (target: under {SEED_SECONDS:.0f} s)")
    if applying > APPLY_SECONDS * max(1.0, changes / 5_000):
        failures.append(f"applying took {applying:.1f} s (target: {APPLY_SECONDS:.0f} s per 5,000 changes)")
    if len(applied) != written:
        failures.append(f"{written} changes generated but {len(applied)} reported")
    for failure in failures:
        print(f"FAIL       {failure}")
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--enterprises", type=int, default=50_000, help="enterprises seeded (default 50,000)")
    parser.add_argument("--changes", type=int, default=5_000, help="changes generated and applied (default 5,000)")
    parser.add_argument("--seed", type=int, default=1, help="seed number of the register and the changes")
    parser.add_argument("--database-url", default="", help="a PostgreSQL server URL; default: a SQLite file")
    args = parser.parse_args()
    with scratch_database(args.database_url or None, "bench_kbo") as url:
        return run(url, enterprises=args.enterprises, changes=args.changes, seed=args.seed)


if __name__ == "__main__":
    raise SystemExit(main())
