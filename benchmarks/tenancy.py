"""Benchmark: how to isolate tenants (issue 13), measured on one PostgreSQL with 500 tenants.

Two mechanisms, on a scratch database of their own (created on ``--database-url``'s server and
dropped afterwards), with the tables the server really has (``Base.metadata``, every feature's):

* **schema per tenant**: each tenant a PostgreSQL schema holding all the tables; a request's
  transaction starts with ``SET LOCAL search_path`` to its tenant's schema, and every query of
  every feature runs unchanged;
* **tenant column**: one set of tables with a ``tenant`` column leading each primary key. Only
  the three tables every request reads are built this way (organisations, sandbox clocks, stored
  replies): enough to time the request path; the other 32 tables would need the same change.
  Read twice: with ``WHERE tenant = ?`` in every query (as the server's superuser connection),
  and **with row-level security** instead (``column+rls``): the queries name no tenant, a
  transaction starts with ``SET LOCAL ketenserver.tenant``, and a policy on each table lets a
  non-superuser role see only that tenant's rows (superusers bypass row-level security).

Each tenant holds the demo parties and ``--replies`` stored replies. For each mechanism, in one run:

1. the request path, with one tenant and with ``--tenants``: the three reads the pipeline makes
   per request (the organisation of the certificate, its sandbox clock, the stored reply of the
   MessageID), each round in a transaction of its own as a request is, for a random tenant;
   p50 and p95 in ms over ``--rounds`` rounds, alternated so both see the same machine;
2. making a tenant (schema: ``CREATE SCHEMA`` and all 35 tables; column: nothing to make);
3. resetting one tenant to empty (schema: ``DROP SCHEMA ... CASCADE`` and making it again;
   column: ``DELETE ... WHERE tenant = ?`` from the three tables).

    python benchmarks/tenancy.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
        [--tenants 500] [--rounds 3000] [--replies 200]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import BigInteger, Column, DateTime, LargeBinary, MetaData, String, Table, insert, select, text
from sqlalchemy.engine import Connection, Engine, make_url

from ketenserver.db import Base, make_engine
from ketenserver.exchange.storage import Organisation, SandboxClock, StoredReply
from ketenserver.features import FEATURES
from ketenserver.pki.parties import DEMO_PARTIES
from ketenserver.testing import scratch_database

PARTIES = [(party.oin, party.name) for party in DEMO_PARTIES]
SHARED_TABLES = cast(tuple[Table, Table, Table],
                     (Organisation.__table__, SandboxClock.__table__, StoredReply.__table__))


def _tables() -> None:
    for feature in FEATURES:
        if feature.tables is not None:
            feature.tables()


def _percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    return f"p50 {statistics.median(ordered):.3f} ms, p95 {ordered[int(0.95 * (len(ordered) - 1))]:.3f} ms"


def _replies(count: int) -> list[dict[str, object]]:
    now = datetime.now(UTC)
    return [{"organisation_oin": PARTIES[i % len(PARTIES)][0], "message_id": f"urn:uuid:{uuid.uuid4()}",
             "operation": "VaststellenLeerbedrijf", "body": b"<reply/>" * 40, "created_at": now}
            for i in range(count)]


# ------------------------------------------------------------------------------ schema per tenant
def _make_schema(engine: Engine, name: str, replies: int) -> list[str]:
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
        connection.execute(text(f'SET LOCAL search_path TO "{name}"'))
        Base.metadata.create_all(connection)
        connection.execute(insert(Organisation), [{"oin": oin, "name": n, "kind": "school"} for oin, n in PARTIES])
        rows = _replies(replies)
        if rows:
            connection.execute(insert(StoredReply), rows)
    return [str(row["message_id"]) for row in rows]


def _schema_round(engine: Engine, name: str, message_id: str, oin: str) -> None:
    with engine.begin() as connection:
        connection.execute(text(f'SET LOCAL search_path TO "{name}"'))
        _reads(connection, SHARED_TABLES, oin, message_id)


def _reads(connection: Connection, tables: tuple[Table, Table, Table], oin: str, message_id: str,
           tenant: int | None = None) -> None:
    organisations, clocks, replies = tables

    def mine(table: Table) -> list[Any]:
        return [] if tenant is None else [table.c.tenant == tenant]

    found = connection.execute(select(organisations.c.oin, organisations.c.kind)
                               .where(organisations.c.oin == oin, *mine(organisations))).first()
    assert found is not None
    connection.execute(select(clocks.c.offset_seconds)
                       .where(clocks.c.organisation_oin == oin, *mine(clocks))).first()
    connection.execute(select(replies.c.body).where(replies.c.organisation_oin == oin,
                                                    replies.c.message_id == message_id, *mine(replies))).first()


# -------------------------------------------------------------------------------- tenant column
def _column_tables() -> tuple[MetaData, tuple[Table, Table, Table]]:
    metadata = MetaData()
    organisations = Table("organisations", metadata, Column("tenant", BigInteger, primary_key=True),
                          Column("oin", String(20), primary_key=True), Column("name", String(200)),
                          Column("kind", String(20)))
    clocks = Table("sandbox_clocks", metadata, Column("tenant", BigInteger, primary_key=True),
                   Column("organisation_oin", String(20), primary_key=True), Column("offset_seconds", BigInteger))
    replies = Table("stored_replies", metadata, Column("tenant", BigInteger, primary_key=True),
                    Column("organisation_oin", String(20), primary_key=True),
                    Column("message_id", String(300), primary_key=True), Column("operation", String(100)),
                    Column("body", LargeBinary), Column("created_at", DateTime(timezone=True)))
    return metadata, (organisations, clocks, replies)


def _fill_column(engine: Engine, tables: tuple[Table, Table, Table], tenant: int, replies: int) -> list[str]:
    organisations, _clocks, stored = tables
    rows = [{**row, "tenant": tenant} for row in _replies(replies)]
    with engine.begin() as connection:
        connection.execute(insert(organisations),
                           [{"tenant": tenant, "oin": oin, "name": n, "kind": "school"} for oin, n in PARTIES])
        connection.execute(insert(stored), rows)
    return [str(row["message_id"]) for row in rows]


def _rounds(run: Callable[[int], None], tenants: int, rounds: int, rng: random.Random) -> list[float]:
    timings = []
    for _ in range(rounds):
        tenant = rng.randrange(tenants)
        begun = time.perf_counter()
        run(tenant)
        timings.append((time.perf_counter() - begun) * 1000)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL server URL")
    parser.add_argument("--tenants", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3000)
    parser.add_argument("--replies", type=int, default=200, help="stored replies per tenant")
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        print("this benchmark compares PostgreSQL mechanisms: give a postgresql+psycopg:// URL", file=sys.stderr)
        return 2
    _tables()
    rng = random.Random(13)
    with scratch_database(args.database_url, "bench_tenancy") as url:
        engine = make_engine(url)
        metadata, column_tables = _column_tables()
        metadata.create_all(engine)
        ids: dict[str, list[list[str]]] = {"schema": [], "column": []}
        role = f"ketenserver_bench_{uuid.uuid4().hex[:8]}"
        with engine.begin() as connection:
            connection.execute(text(f'CREATE ROLE "{role}" LOGIN'))
            for table in column_tables:
                connection.execute(text(f'GRANT SELECT ON "{table.name}" TO "{role}"'))
                connection.execute(text(f'ALTER TABLE "{table.name}" ENABLE ROW LEVEL SECURITY'))
                connection.execute(text(f'CREATE POLICY tenant_rows ON "{table.name}" '
                                        "USING (tenant = current_setting('ketenserver.tenant')::bigint)"))
        restricted = make_engine(make_url(url).set(username=role).render_as_string(hide_password=False))

        def schema_round(tenant: int) -> None:
            message_ids = ids["schema"][tenant]
            _schema_round(engine, f"tenant_{tenant}", rng.choice(message_ids), PARTIES[0][0])

        def column_round(tenant: int) -> None:
            message_ids = ids["column"][tenant]
            with engine.begin() as connection:
                _reads(connection, column_tables, PARTIES[0][0], rng.choice(message_ids), tenant=tenant)

        def rls_round(tenant: int) -> None:
            message_ids = ids["column"][tenant]
            with restricted.begin() as connection:
                connection.execute(text("SELECT set_config('ketenserver.tenant', :t, true)"), {"t": str(tenant)})
                _reads(connection, column_tables, PARTIES[0][0], rng.choice(message_ids))

        kinds = ("schema", "column", "column+rls")
        results: dict[str, dict[int, list[float]]] = {kind: {} for kind in kinds}
        makes: list[float] = []
        for count in (1, args.tenants):
            while len(ids["schema"]) < count:
                begun = time.perf_counter()
                ids["schema"].append(_make_schema(engine, f"tenant_{len(ids['schema'])}", args.replies))
                makes.append(time.perf_counter() - begun)
                ids["column"].append(_fill_column(engine, column_tables, len(ids["column"]), args.replies))
                if len(ids["schema"]) % 100 == 0:
                    print(f"  {len(ids['schema'])} tenants made", flush=True)
            for kind in kinds:
                results[kind][count] = []
            run = {"schema": schema_round, "column": column_round, "column+rls": rls_round}
            for _ in range(10):  # alternate, so every mechanism sees the same machine
                for kind in kinds:
                    _rounds(run[kind], count, 20, rng)  # warm the caches of this connection
                    results[kind][count] += _rounds(run[kind], count, args.rounds // 10, rng)
        print(f"request path (3 reads in one transaction, random tenant, {args.rounds} rounds each):")
        for kind in kinds:
            for count in (1, args.tenants):
                print(f"  {kind:10} {count:4} tenant(s): {_percentiles(results[kind][count])}")
        with restricted.begin() as connection:  # the policy really hides another tenant's rows
            connection.execute(text("SELECT set_config('ketenserver.tenant', '1', true)"))
            stored = column_tables[2]
            seen = connection.execute(select(stored.c.message_id).where(
                stored.c.message_id == ids["column"][0][0])).first()
            mine = connection.execute(select(stored.c.message_id).where(
                stored.c.message_id == ids["column"][1][0])).first()
        print(f"row-level security: tenant 1 sees tenant 0's reply: {seen is not None}; its own: {mine is not None}")
        print(f"making a tenant (schema, 35 tables, parties, {args.replies} replies): "
              f"p50 {statistics.median(makes) * 1000:.0f} ms, total {sum(makes):.1f} s for {len(makes)}")

        victim = args.tenants // 2
        begun = time.perf_counter()
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "tenant_{victim}" CASCADE'))
        _make_schema(engine, f"tenant_{victim}", 0)
        print(f"resetting a tenant, schema (drop cascade, make again): {(time.perf_counter() - begun) * 1000:.0f} ms")
        begun = time.perf_counter()
        with engine.begin() as connection:
            for table in reversed(column_tables):
                connection.execute(table.delete().where(table.c.tenant == victim))
        spent = (time.perf_counter() - begun) * 1000
        print(f"resetting a tenant, column (its rows out of 3 of 35 tables): {spent:.0f} ms")
        with engine.connect() as connection:
            relations = connection.execute(text("SELECT count(*) FROM pg_class")).scalar()
            size = connection.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))")).scalar()
        print(f"catalogue: {relations:,} relations; database size {size}")
        restricted.dispose()
        with engine.begin() as connection:
            for table in column_tables:
                connection.execute(text(f'DROP POLICY tenant_rows ON "{table.name}"'))
                connection.execute(text(f'REVOKE ALL ON "{table.name}" FROM "{role}"'))
            connection.execute(text(f'DROP ROLE "{role}"'))
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
