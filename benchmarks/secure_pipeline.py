"""Benchmark: Vaststellen leerbedrijf through the whole secure pipeline vs bare spyne.

Secure: mutual TLS, WS-Security verification, XSD validation, the operation, the journal and a
signed response, served by ``ketenserver serve`` (cheroot, one process per core). Bare: the same
spyne service over plain HTTP with nothing in front of it. Both are driven by 8 concurrent
keep-alive clients sending pre-built requests (signing happens before the clock starts, so the
figures are the server's), in one run on this machine.

    python benchmarks/secure_pipeline.py [--requests 6000] [--clients 8] [--workers 2] [--rounds 3]
                                         [--database-url URL]

Prints requests per second, p50 and p99 latency for both, per round and overall, and their ratio.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ketenserver.testing import free_port, wait_for_port

SBB = "urn:ketenserver:sbb:whitelabel:erkenningen:2.1"
ACTION = f"{SBB}:VaststellenLeerbedrijf"
PATH = "/sbb-erkenningen/2W-be-S"
NAMES = [("Bakkerij De Vries", "1012 AB"), ("Onbekend Bedrijf", "3511 AA")]


def _bare_server(settings: Any, port: int) -> None:
    """spyne alone over plain HTTP (the baseline): a CallContext is injected, nothing else."""
    from cheroot import wsgi

    from ketenserver.app import _spyne_app
    from ketenserver.context import ENVIRON_KEY, CallContext
    from ketenserver.db import make_engine, make_session_factory
    from ketenserver.features import FEATURES
    from ketenserver.server import _interrupt

    sessions = make_session_factory(make_engine(settings.effective_database_url))
    spyne_app = _spyne_app(FEATURES[0])

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        with sessions() as session:
            environ[ENVIRON_KEY] = CallContext(session, "0000000700025LX00000", "bench", datetime.now(UTC), "bare")
            return list(spyne_app(environ, start_response))

    server = wsgi.Server(("127.0.0.1", port), app, numthreads=settings.threads, reuse_port=True)
    signal.signal(signal.SIGTERM, _interrupt)
    server.safe_start()


def _drive(port: int, bodies: list[bytes], clients: int, context: ssl.SSLContext | None, path: str
           ) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    chunks = [bodies[i::clients] for i in range(clients)]

    def worker(chunk: list[bytes]) -> None:
        if context is None:
            connection: http.client.HTTPConnection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        else:
            connection = http.client.HTTPSConnection("localhost", port, context=context, timeout=60)
        mine = []
        for body in chunk:
            started = time.perf_counter()
            connection.request("POST", path, body=body, headers={"Content-Type": "text/xml; charset=utf-8"})
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            if response.status != 200:
                with lock:
                    failures[0] += 1
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(chunk,)) for chunk in chunks]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, failures[0]


def _report(label: str, elapsed: float, latencies: list[float], failures: int) -> float:
    ordered = sorted(latencies)
    rps = len(ordered) / elapsed
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    print(f"{label:<10} {len(ordered):>6} requests  {rps:8.1f} req/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms"
          f"  failures {failures}")
    return rps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="alternating bare/secure rounds (default 3)")
    parser.add_argument("--workers", type=int, default=2, help="server processes (default: 2 = cores here)")
    parser.add_argument("--database-url", default="", help="default: a new SQLite file; e.g. an empty "
                        "PostgreSQL database postgresql+psycopg://postgres@127.0.0.1:5432/bench")
    args = parser.parse_args()
    from ketenserver.server import _interrupt

    signal.signal(signal.SIGTERM, _interrupt)  # stop the servers too when this script is stopped

    from ketenserver.cli import prepare
    from ketenserver.pki import init_dev_pki
    from ketenserver.settings import Settings
    from ketenserver.testing import RequestBuilder

    workdir = Path(tempfile.mkdtemp(prefix="ketenserver-bench-"))
    pki = init_dev_pki(workdir / "certs")
    settings = Settings(data_dir=workdir / "data", pki_dir=workdir / "certs", port=free_port(),
                        database_url=args.database_url,
                        workers=args.workers, threads=16, log_level="WARNING")
    print(f"preparing in {workdir} ...", flush=True)
    prepare(settings, companies=2000, say=lambda text: None)

    school = pki.party("school-25LX")
    builder = RequestBuilder.from_files(school.cert, school.key, f"https://localhost:{settings.port}{PATH}",
                                        school.oin)

    def payload(index: int) -> bytes:
        naam, postcode = NAMES[index % len(NAMES)]
        return (f'<sbb:VaststellenLeerbedrijf xmlns:sbb="{SBB}"><sbb:Naam>{naam}</sbb:Naam>'
                f"<sbb:Postcode>{postcode}</sbb:Postcode></sbb:VaststellenLeerbedrijf>").encode()

    print(f"signing {args.requests} requests (before the clock starts) ...", flush=True)
    signed = [builder.build(payload(i), action=ACTION).bytes() for i in range(args.requests)]
    bare_builder = replace(builder, signer=None)
    bare = [bare_builder.build(payload(i), action=ACTION).bytes() for i in range(args.requests)]

    spawn = multiprocessing.get_context("spawn")
    bare_port = free_port()
    bare_processes = [spawn.Process(target=_bare_server, args=(settings, bare_port), daemon=True)
                      for _ in range(args.workers)]
    for process in bare_processes:
        process.start()
    # The secure server is the real command, as a vendor would run it.
    secure = subprocess.Popen(
        [sys.executable, "-m", "ketenserver", "--pki-dir", str(settings.pki_dir), "--data-dir",
         str(settings.data_dir), "--database-url", settings.effective_database_url,
         "serve", "--port", str(settings.port), "--workers", str(args.workers)],
        stdout=subprocess.DEVNULL)
    try:
        wait_for_port(bare_port)
        wait_for_port(settings.port)
        context = ssl.create_default_context(cafile=str(pki.trust_bundle))
        context.load_cert_chain(str(school.chain), str(school.key))
        warmup = max(args.clients * 10, 100)
        _drive(bare_port, bare[:warmup], args.clients, None, PATH)
        _drive(settings.port, signed[:warmup], args.clients, context, PATH)
        # Alternate rounds, so that a noisy neighbour on this machine hits both sides alike.
        per_round = (args.requests - warmup) // args.rounds
        print(f"\n{args.clients} keep-alive clients, {args.workers} server process(es), {args.rounds} alternating "
              f"rounds of {per_round} requests each\n")
        totals: dict[str, list[float]] = {"bare": [], "secure": []}
        latencies: dict[str, list[float]] = {"bare": [], "secure": []}
        ratios = []
        for index in range(args.rounds):
            window = slice(warmup + index * per_round, warmup + (index + 1) * per_round)
            rates = {}
            sides = (("bare", bare_port, bare, None), ("secure", settings.port, signed, context))
            for label, port, bodies, tls in sides:
                elapsed, measured, failures = _drive(port, bodies[window], args.clients, tls, PATH)
                rates[label] = _report(f"{label} {index + 1}", elapsed, measured, failures)
                totals[label].append(rates[label])
                latencies[label].extend(measured)
            ratios.append(rates["secure"] / rates["bare"])
        print()
        for label in ("bare", "secure"):
            ordered = sorted(latencies[label])
            p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
            print(f"{label:<8} median {statistics.median(totals[label]):8.1f} req/s  "
                  f"p50 {statistics.median(ordered) * 1000:6.2f} ms  p99 {p99:6.2f} ms")
        print(f"\nsecure / bare per round: {', '.join(f'{r:.1%}' for r in ratios)}; "
              f"median {statistics.median(ratios):.1%} (target: at least 40%, p99 under 100 ms)")
    finally:
        secure.terminate()
        for process in bare_processes:
            process.terminate()
        for process in bare_processes:
            process.join(timeout=10)
        secure.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
