"""Benchmark: serving workers killed with SIGKILL under load, and what the supervisor and the journal make of it.

As an operator would try it (issue 14): ``ketenserver serve --workers N`` on a scratch database,
``--clients`` keep-alive mutual-TLS clients sending ``--reports`` distinct absence reports
(IndienenVerzuimmelding, as ``verzuim_load.py`` builds them), each client as careful as a school
system should be: on a dropped connection or a 0051 it retries the same MessageID with a fresh
signature until it has an answer. Meanwhile one worker, chosen at random, is killed every
``--every`` seconds. Afterwards the server is stopped with SIGTERM and the database is checked:

- exactly one report per report sent, each with the number its client was given;
- exactly one stored reply per MessageID;
- exactly one journal entry with outcome ``accepted`` per report (a retry of an exchange whose
  worker died after committing adds a ``retried`` entry; nothing else is journaled for it).

Printed: the kills, how long each took to be replaced (a new worker process, seen in /proc),
the requests that failed around each kill, the retries they cost, the exit code of the stop, and
the checks (exit status 1 when one fails).

    python benchmarks/worker_kills.py [--reports 2000] [--clients 8] [--workers 2] [--every 2.0]
                                      [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import random
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from verzuim_load import ACTION, NS, PATH, fresh_clock, make_report

from ketencore.wsse import new_message_id
from ketenserver.testing import RequestBuilder, fault_code, free_port, scratch_database, wait_for_port


@dataclass
class Run:
    numbers: dict[str, str] = field(default_factory=dict)
    """Meldingnummer by MessageID, for every report answered."""
    failures: list[float] = field(default_factory=list)
    """When each failed attempt (dropped connection, 0051) was seen to fail."""
    problems: list[str] = field(default_factory=list)
    kills: list[tuple[float, int, float | None]] = field(default_factory=list)
    """(when, pid killed, seconds until a new worker process was there)."""
    lock: threading.Lock = field(default_factory=threading.Lock)


def _workers(supervisor: int) -> set[int]:
    found: set[int] = set()
    for task in os.listdir(f"/proc/{supervisor}/task"):
        with open(f"/proc/{supervisor}/task/{task}/children") as children:
            found |= {int(pid) for pid in children.read().split()}
    return found


def _killer(supervisor: int, every: float, done: threading.Event, run: Run) -> None:
    rng = random.Random(7)
    while not done.wait(every):
        workers = sorted(_workers(supervisor))
        if not workers:
            continue
        victim = rng.choice(workers)
        killed = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        replaced = None
        while time.monotonic() - killed < 10 and not done.is_set():
            if len(_workers(supervisor) - {victim}) >= len(workers):
                replaced = time.monotonic() - killed
                break
            time.sleep(0.01)
        run.kills.append((killed, victim, replaced))


def _client(port: int, context: ssl.SSLContext, builder: RequestBuilder, payloads: list[bytes], run: Run) -> None:
    created = fresh_clock()
    connection: http.client.HTTPSConnection | None = None
    for payload in payloads:
        message_id = new_message_id()
        for _attempt in range(200):
            data = builder.build(payload, action=ACTION, message_id=message_id, created=created()).bytes()
            try:
                if connection is None:
                    connection = http.client.HTTPSConnection("localhost", port, context=context, timeout=30)
                connection.request("POST", PATH, data, {"Content-Type": "text/xml; charset=utf-8"})
                answer = connection.getresponse()
                body = answer.read()
            except (OSError, http.client.HTTPException) as error:
                body = b""
                if os.environ.get("WORKER_KILLS_DEBUG"):
                    print("attempt failed:", type(error).__name__, error, flush=True)
            code = fault_code(body) if body else None
            if body and code is None:
                number = etree.fromstring(body).findtext(f".//{{{NS}}}Meldingnummer")
                with run.lock:
                    run.numbers[message_id] = str(number)
                break
            if body and code == "0051" and os.environ.get("WORKER_KILLS_DEBUG"):
                print("attempt refused: 0051", flush=True)
            if body and code != "0051":
                with run.lock:
                    run.problems.append(f"{message_id}: fault {code}")
                break
            with run.lock:
                run.failures.append(time.monotonic())
            if connection is not None:
                connection.close()
                connection = None
            time.sleep(0.05)
    if connection is not None:
        connection.close()


def _check(url: str, run: Run, count: int) -> list[str]:
    from sqlalchemy import create_engine, func, select

    from ketenserver.absence.storage import ReportRow
    from ketenserver.exchange.storage import JournalEntry, StoredReply

    problems = []
    engine = create_engine(url)
    with engine.connect() as connection:
        reports = connection.scalar(select(func.count()).select_from(ReportRow))
        stored = Counter(connection.scalars(select(StoredReply.message_id)))
        journal = Counter(connection.execute(select(JournalEntry.message_id, JournalEntry.outcome)).all())
    engine.dispose()
    if reports != count:
        problems.append(f"{reports} reports stored for {count} sent")
    if len(set(run.numbers.values())) != len(run.numbers) or len(run.numbers) != count:
        problems.append(f"{len(set(run.numbers.values()))} distinct numbers for {len(run.numbers)} answered reports")
    for message_id in run.numbers:
        if stored[message_id] != 1:
            problems.append(f"{message_id}: {stored[message_id]} stored replies")
        if journal[(message_id, "accepted")] != 1:
            problems.append(f"{message_id}: {journal[(message_id, 'accepted')]} accepted journal entries")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--every", type=float, default=2.0, help="seconds between two kills")
    parser.add_argument("--database-url", help="a PostgreSQL server (default: a SQLite file)")
    args = parser.parse_args()

    from ketenserver.cli import prepare
    from ketenserver.dates import dutch_date
    from ketenserver.pki import init_dev_pki
    from ketenserver.settings import Settings

    work = Path(tempfile.mkdtemp(prefix="ketenserver-kills-"))
    pki = init_dev_pki(work / "certs")
    school = pki.party("school-25LX")
    today = dutch_date(dt.datetime.now(dt.UTC))
    rng = random.Random(4)
    payloads = [make_report(i, today, rng).payload for i in range(args.reports)]
    run = Run()
    with scratch_database(args.database_url, "worker_kills") as url:
        print(f"preparing {url.split('@')[-1]} ...", flush=True)
        prepare(Settings(data_dir=work / "data", pki_dir=pki.directory, database_url=url), companies=200,
                say=lambda _: None)
        port, log = free_port(), work / "server.log"
        with log.open("wb") as output:
            server = subprocess.Popen(
                [sys.executable, "-m", "ketenserver", "--pki-dir", str(pki.directory), "--data-dir",
                 str(work / "data"), "--database-url", url, "serve", "--port", str(port), "--workers",
                 str(args.workers)], stdout=output, stderr=subprocess.STDOUT,
                env={**os.environ, "KETENSERVER_LOG_LEVEL": "WARNING"})
        wait_for_port(port, process=server, timeout=90)
        context = ssl.create_default_context(cafile=str(pki.trust_bundle))
        context.load_cert_chain(str(school.chain), str(school.key))
        builder = RequestBuilder.from_files(school.cert, school.key, f"https://localhost:{port}{PATH}", school.oin)
        print(f"{args.reports} reports from {args.clients} clients, {args.workers} workers, a worker killed every "
              f"{args.every:g} s ...", flush=True)
        done = threading.Event()
        killer = threading.Thread(target=_killer, args=(server.pid, args.every, done, run), daemon=True)
        clients = [threading.Thread(target=_client, args=(port, context, builder, payloads[i::args.clients], run))
                   for i in range(args.clients)]
        started = time.monotonic()
        killer.start()
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        elapsed = time.monotonic() - started
        done.set()
        killer.join()
        server.send_signal(signal.SIGTERM)
        exit_code = server.wait(timeout=60)
        run.problems += _check(url, run, args.reports)

    replaced = [seconds for _, _, seconds in run.kills if seconds is not None]
    print(f"\n{len(run.numbers)} of {args.reports} reports answered in {elapsed:.1f} s; {len(run.kills)} kills, "
          f"{len(replaced)} workers replaced")
    if replaced:
        print(f"time to a new worker process: min {min(replaced):.2f} s, median {statistics.median(replaced):.2f} s, "
              f"max {max(replaced):.2f} s")
    starts = [killed for killed, _, _ in run.kills]
    around = [sum(1 for sent in run.failures if start <= sent < end)  # from one kill to the next
              for start, end in zip(starts, [*starts[1:], float("inf")], strict=True)]
    before = sum(1 for sent in run.failures if not starts or sent < starts[0])
    print(f"failed attempts (each retried with its MessageID): {len(run.failures)} in all, {before} before the "
          f"first kill; per kill: " + (", ".join(str(n) for n in around) or "-"))
    if around:
        print(f"  per kill: median {statistics.median(around):g}, max {max(around)}")
    print(f"SIGTERM: exit code {exit_code}; server log {log}")
    for problem in run.problems[:20]:
        print("PROBLEM", problem)
    print("checks: " + ("all passed (one report, one stored reply, one accepted journal entry per report)"
                        if not run.problems else f"{len(run.problems)} problems"))
    return 1 if run.problems or exit_code != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
