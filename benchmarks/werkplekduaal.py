"""Benchmark: werkplekduaal at the sandbox's scale: the workplace search and the weekly sync with its tasks.

On a scratch database of its own (SQLite file, or ``--database-url`` a PostgreSQL server: a
database is created there and dropped afterwards), migrated as the server migrates it and seeded
as the sandbox seeds it (50,000 enterprises at the default 3,000 companies, about 30% of their
establishments recognised). Then, in one run:

1. ``--searches`` searches of available workplaces (``ZoekWerkplekken``: random opleiding, with a
   province, a postcode or neither; a fifth of them follow the page token once), each through
   :func:`workplaces.search` on :class:`storage.SqlWorkplaceIndex` as the service calls it; prints
   p50, p95 and p99 in ms (target: p95 at most 20 ms);
2. the weekly sync of ``--changes`` generated KBO changes (:func:`sync.weekly_sync`: files written,
   parsed, applied, the recognitions' postcodes kept in step, the partnerships' tasks made), in one
   committed transaction; prints its seconds (target: at most 30 s for 5,000 changes).

    python benchmarks/werkplekduaal.py [--searches 2000] [--changes 5000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time
from dataclasses import replace

from ketenserver.db import make_engine, make_session_factory
from ketenserver.migrate import upgrade
from ketenserver.testing import scratch_database
from ketenserver.werkplekduaal import catalogue, seed, sync, workplaces
from ketenserver.werkplekduaal.kbo import FLEMISH_PLACES
from ketenserver.werkplekduaal.settings import WerkplekduaalSettings
from ketenserver.werkplekduaal.storage import SqlWorkplaceIndex

SEARCH_P95_MS = 20.0
SYNC_SECONDS = 30.0


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--searches", type=int, default=2000)
    parser.add_argument("--changes", type=int, default=5000)
    parser.add_argument("--companies", type=int, default=3000,
                        help="the sandbox's seed size (3000: 50,000 enterprises)")
    parser.add_argument("--database-url", help="a PostgreSQL server URL (default: a SQLite file)")
    args = parser.parse_args()
    failed = False
    with scratch_database(args.database_url, "bench_wpd") as url:
        engine = make_engine(url)
        upgrade(engine)
        sessions = make_session_factory(engine)
        started = time.perf_counter()
        with sessions.begin() as session:
            added = seed.seed(session, 0, companies=args.companies)
        print(f"seed: {added:,} records in {time.perf_counter() - started:.1f} s ({engine.dialect.name})")

        rng = random.Random(7)
        codes, provinces = sorted(catalogue.OPLEIDINGEN), sorted(workplaces.POSTCODE_RANGES)
        today, key = dt.date.today(), b"benchmark-token-key-of-32-bytes!"
        timings: list[float] = []
        with sessions() as session:
            index = SqlWorkplaceIndex(session)
            for _ in range(args.searches):
                pick = rng.random()
                query = workplaces.WorkplaceQuery(
                    rng.choice(codes), province=rng.choice(provinces) if pick < 0.5 else None,
                    postcode=rng.choice(FLEMISH_PLACES)[0] if 0.5 <= pick < 0.75 else None)
                begun = time.perf_counter()
                page = workplaces.search(query, index=index, on=today, token_key=key)
                timings.append((time.perf_counter() - begun) * 1000)
                if page.token and rng.random() < 0.2:
                    begun = time.perf_counter()
                    workplaces.search(replace(query, token=page.token), index=index, on=today, token_key=key)
                    timings.append((time.perf_counter() - begun) * 1000)
        p95 = _percentile(timings, 0.95)
        print(f"search: {len(timings)} searches, p50 {statistics.median(timings):.2f} ms, p95 {p95:.2f} ms, "
              f"p99 {_percentile(timings, 0.99):.2f} ms (target p95 <= {SEARCH_P95_MS:.0f} ms)")
        if p95 > SEARCH_P95_MS:
            print("FAIL: search p95 above its target")
            failed = True

        settings = replace(WerkplekduaalSettings(), kbo_weekly_changes=args.changes)
        started = time.perf_counter()
        with sessions.begin() as session:
            result = sync.weekly_sync(session, today, settings, seed=11)
        seconds = time.perf_counter() - started
        print(f"weekly sync: {args.changes:,} changes ({result.moved:,} moved, {result.stopped:,} stopped, "
              f"{result.tasks} tasks) in {seconds:.2f} s (target <= {SYNC_SECONDS:.0f} s)")
        if seconds > SYNC_SECONDS:
            print("FAIL: weekly sync above its target")
            failed = True
        engine.dispose()
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
