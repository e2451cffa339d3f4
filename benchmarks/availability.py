"""Availability under slow and large clients: is a normal client still served, and how fast?

A normal client sends small signed requests (SBB VaststellenLeerbedrijf, a new mutual-TLS
connection each, so its handshake is measured too), one after another, while the server is under
one of these loads (loopback only, bounded in count and time):

- ``hello``: ``--connections`` TCP connections dripping a TLS ClientHello at one byte per second
  (no certificate needed); each reconnects when the server cuts it;
- ``headers``: as many mutual-TLS connections dripping a request head at one byte per second;
- ``body``: as many sending a complete head, then the body at one byte per second;
- ``large``: ``--large`` clients at once, each with a valid DUO IndienenVerzuimmelding of about
  3 MB (three 768 KiB PDF attachments; ``max_request_bytes`` 4 MiB), sent in 64 KiB pieces until
  sent or answered. The clients connect first and start sending together once all are connected:
  the load is 200 messages in flight, not a storm of 200 handshakes (the event loop does the TLS
  handshakes one after another, so such a storm delays a new connection by some 2-4 ms each).
  The server's peak resident memory (sampled every 20 ms, and VmHWM) is printed,
  and what the large clients got.

Each scenario gets a fresh ``ketenserver serve --workers N`` (``--workers``, default 1 as the server's
own default; with more, memory is summed over the serving processes) in a subprocess
on a scratch SQLite database. ``--src DIR`` serves the ketenserver package found in ``DIR``
instead of this checkout's (e.g. a git worktree of an older commit, for before/after figures).
Prints, per scenario, how many of the normal requests were answered 200 and their p50/p99/max
latency (a failure counts as its 10 s timeout).

    python benchmarks/availability.py [--src DIR] [--workers 1] [--connections 200] [--large 200] [--seconds 10]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import importlib.util
import multiprocessing
import os
import random
import re
import select
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from ketenserver.testing import free_port

SBB = "urn:ketenserver:sbb:whitelabel:erkenningen:2.1"
SBB_ACTION = f"{SBB}:VaststellenLeerbedrijf"
SBB_PATH = "/sbb-erkenningen/2W-be-S"
TIMEOUT = 10.0
"""Seconds the normal client waits for one answer."""
ATTACHMENT = 768 * 1024


def _verzuim_load() -> object:
    """benchmarks/verzuim_load.py, for its reports (loaded by path: benchmarks is no package)."""
    spec = importlib.util.spec_from_file_location("verzuim_load", Path(__file__).with_name("verzuim_load.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


# --- the server ----------------------------------------------------------------------------------
@contextlib.contextmanager
def serving(src: Path | None, url: str, workdir: Path, pki_dir: Path, label: str, workers: int
            ) -> Iterator[tuple[int, int]]:
    """``ketenserver serve`` on a free port; yields (port, pid)."""
    port = free_port()
    environment = {**os.environ, "KETENSERVER_LOG_LEVEL": "WARNING", "KETENSERVER_MAX_REQUEST_BYTES": str(4 << 20),
                   "KETENSERVER_CRL_REFRESH_INTERVAL": "0"}
    if src is not None:
        environment["PYTHONPATH"] = str(src)
    log = workdir / f"server-{label}.log"
    with log.open("wb") as stderr:
        server = subprocess.Popen(
            [sys.executable, "-m", "ketenserver", "--pki-dir", str(pki_dir), "--data-dir", str(workdir / "data"),
             "--database-url", url, "serve", "--port", str(port), "--workers", str(workers)],
            stdout=subprocess.DEVNULL, stderr=stderr, env=environment)
        try:
            deadline = time.monotonic() + 60
            while True:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start; see {log}")
                with contextlib.suppress(OSError):
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                time.sleep(0.2)
            yield port, server.pid
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _processes(pid: int) -> list[int]:
    """The server process and its workers (``--workers``: children of the serving process)."""
    found = [pid]
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                found += [int(child) for child in children.read().split()]
    return found


def _memory(pid: int, field: str) -> int:
    """``field`` of /proc/PID/status (VmRSS, VmHWM), summed over the server and its workers."""
    total = 0
    for process in _processes(pid):
        with contextlib.suppress(OSError), open(f"/proc/{process}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    total += int(line.split()[1]) * 1024
    return total


# --- the clients ---------------------------------------------------------------------------------
def _context(pki: object, party: str = "school-25LX") -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki.trust_bundle))  # type: ignore[attr-defined]
    files = pki.party(party)  # type: ignore[attr-defined]
    context.load_cert_chain(str(files.chain), str(files.key))
    return context


def _head(path: str, length: int) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml; charset=utf-8\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()


def _read_answer(tls: ssl.SSLSocket) -> bytes:
    data = getattr(tls, "pushed_back", b"")
    while True:
        match = re.search(rb"\r\nContent-Length: (\d+)\r\n.*?\r\n\r\n", data, re.S)
        if match and len(data) >= match.end() + int(match.group(1)):
            return data
        piece = tls.recv(65536)
        if not piece:
            return data
        data += piece


def _answered(stream: socket.socket) -> bool:
    """Whether the server has answered or closed (a TLS 1.3 session ticket alone does not count)."""
    if not select.select([stream], [], [], 0)[0]:
        return False
    stream.settimeout(0)
    try:
        data = stream.recv(1, socket.MSG_PEEK) if not isinstance(stream, ssl.SSLSocket) else stream.recv(1)
    except (ssl.SSLWantReadError, BlockingIOError):
        return False
    except OSError:
        return True
    finally:
        stream.settimeout(TIMEOUT)
    if data and isinstance(stream, ssl.SSLSocket):
        stream.pushed_back = data  # type: ignore[attr-defined]
    return True


def _exchange(port: int, context: ssl.SSLContext, data: bytes, path: str, *, piece: int = 0,
              connected: Callable[[], object] | None = None) -> bytes:
    """Connect, send (in pieces, stopping when the answer comes), read the answer; ``connected`` is
    called between the handshake and the request."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as raw, \
            context.wrap_socket(raw, server_hostname="localhost") as tls:
        if connected is not None:
            connected()
        message = _head(path, len(data)) + data
        if not piece:
            tls.sendall(message)
        else:
            for at in range(0, len(message), piece):
                if _answered(tls):
                    break
                tls.sendall(message[at:at + piece])
        return _read_answer(tls)


def _status(answer: bytes) -> str:
    match = re.match(rb"HTTP/1\.1 (\d{3})", answer)
    fault = re.search(rb"<faultstring>([^:<]+)", answer)
    return (match.group(1).decode() if match else "none") + (f"/{fault.group(1).decode()}" if fault else "")


class Drippers:
    """``count`` threads keeping a connection each that sends one byte per second, reconnecting when cut."""

    def __init__(self, kind: str, count: int, port: int, context: ssl.SSLContext, hello: bytes, small: bytes):
        self.stop = threading.Event()
        self.cut = 0
        self._lock = threading.Lock()
        payloads = {"hello": hello, "headers": _head(SBB_PATH, len(small)), "body": small}
        self._payload = payloads[kind]
        self._kind, self._port, self._context = kind, port, context
        self._small_head = _head(SBB_PATH, len(small))
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(count)]
        for thread in self._threads:
            thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", self._port), timeout=30) as raw:
                    stream: socket.socket = raw
                    if self._kind != "hello":
                        stream = self._context.wrap_socket(raw, server_hostname="localhost")
                        if self._kind == "body":
                            stream.sendall(self._small_head)
                    for byte in self._payload:
                        if self.stop.wait(1.0):
                            return
                        stream.sendall(bytes([byte]))
                        if _answered(stream):
                            break  # answered or closed: the server cut it
            except OSError:
                pass
            with self._lock:
                self.cut += 1
            self.stop.wait(0.1)

    def close(self) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout=5)


def normal_client(port: int, context: ssl.SSLContext, requests: list[bytes], until: Callable[[], bool]
                  ) -> tuple[list[float], Counter[str]]:
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    for data in requests:
        if until():
            break
        started = time.monotonic()
        try:
            status = _status(_exchange(port, context, data, SBB_PATH))
        except OSError as error:
            status = type(error).__name__
        elapsed = time.monotonic() - started
        outcomes[status] += 1
        latencies.append(elapsed if status == "200" else max(elapsed, TIMEOUT))
        time.sleep(0.1)
    return latencies, outcomes


def _percentiles(values: list[float]) -> str:
    if not values:
        return "no requests"
    ordered = sorted(values)

    def pick(q: float) -> float:  # nearest rank
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]

    return f"p50 {pick(0.5) * 1000:.0f} ms, p99 {pick(0.99) * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms"


def _large_message(module: object, builder: object, index: int, today: dt.date) -> bytes:
    from lxml import etree

    report = module.make_report(index, today, random.Random(index))  # type: ignore[attr-defined]
    element = etree.fromstring(report.payload)
    for old in element.findall(f"{{{module.NS}}}Bijlagen"):  # type: ignore[attr-defined]
        element.remove(old)
    maker = module.E  # type: ignore[attr-defined]
    rng = random.Random(index)
    element.append(maker.Bijlagen(*(maker.Bijlage(
        maker.Bestandsnaam(f"overzicht-{index}-{n}.pdf"),
        maker.Inhoud(base64.b64encode(b"%PDF-1.4\n" + rng.randbytes(ATTACHMENT - 9)).decode()))
        for n in range(3))))
    return builder.build(element, action=module.ACTION).bytes()  # type: ignore[attr-defined,no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", type=Path, help="serve the ketenserver package of this source directory")
    parser.add_argument("--workers", type=int, default=1, help="server processes sharing the port (serve --workers)")
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--large", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0, help="of normal requests per scenario")
    parser.add_argument("--scenarios", default="idle,hello,headers,body,large")
    args = parser.parse_args()

    from ketenserver.cli import prepare
    from ketenserver.pki import init_dev_pki
    from ketenserver.settings import Settings
    from ketenserver.testing import RequestBuilder, scratch_database

    workdir = Path(tempfile.mkdtemp(prefix="ketenserver-availability-"))
    pki = init_dev_pki(workdir / "certs")
    school = pki.party("school-25LX")
    context = _context(pki)
    probe = ssl.create_default_context(cafile=str(pki.trust_bundle)).wrap_bio(
        ssl.MemoryBIO(), outgoing := ssl.MemoryBIO(), server_hostname="localhost")
    with contextlib.suppress(ssl.SSLWantReadError):
        probe.do_handshake()
    hello = outgoing.read()
    print(f"server: {args.src or 'this checkout'}, {args.workers} worker(s); {args.connections} drippers; "
          f"{args.large} large clients; "
          f"normal requests for {args.seconds:g} s per scenario", flush=True)
    with scratch_database(None, "availability") as url:
        prepare(Settings(data_dir=workdir / "data", pki_dir=pki.directory, database_url=url), companies=200,
                say=lambda _: None)
        for scenario in args.scenarios.split(","):
            with serving(args.src, url, workdir, pki.directory, scenario, args.workers) as (port, pid):
                sbb = RequestBuilder.from_files(school.cert, school.key, f"https://localhost:{port}{SBB_PATH}",
                                                school.oin)

                def small(n: int, sbb: RequestBuilder = sbb) -> bytes:
                    return sbb.build((f'<s:VaststellenLeerbedrijf xmlns:s="{SBB}"><s:Naam>Bakkerij {n}</s:Naam>'
                                      "<s:Postcode>1012 AB</s:Postcode></s:VaststellenLeerbedrijf>").encode(),
                                     action=SBB_ACTION).bytes()

                requests = [small(n) for n in range(200)]
                normal_client(port, context, requests[:3], lambda: False)  # warm-up
                ends = time.monotonic()
                extra = ""
                if scenario in ("hello", "headers", "body"):
                    drippers = Drippers(scenario, args.connections, port, context, hello, requests[-1])
                    time.sleep(3)  # let them connect (and, before, take the threads)
                    ends = time.monotonic() + args.seconds
                    latencies, outcomes = normal_client(port, context, requests[3:],
                                                        lambda ends=ends: time.monotonic() > ends)
                    drippers.close()
                    extra = f"; drippers cut and reconnected {drippers.cut} times"
                elif scenario == "large":
                    latencies, outcomes, extra = _large(args, port, pid, pki, context, requests[3:])
                else:
                    ends = time.monotonic() + args.seconds
                    latencies, outcomes = normal_client(port, context, requests[3:],
                                                        lambda ends=ends: time.monotonic() > ends)
                served = outcomes.get("200", 0)
                print(f"{scenario:<8} normal client: {served}/{sum(outcomes.values())} served, "
                      f"{_percentiles(latencies)}{extra}", flush=True)
                if served != sum(outcomes.values()):
                    print(f"         other answers: {dict(outcomes)}", flush=True)
    return 0


CONNECT_WAIT = 30.0
"""Seconds the large clients wait for each other to be connected before they send anyway."""


def _all_connected(gate: threading.Barrier) -> None:
    """Wait until every large client is connected; a server that cannot take them all (one that
    handshakes on its request threads) breaks the wait, and the clients send as they are."""
    with contextlib.suppress(threading.BrokenBarrierError):
        gate.wait(timeout=CONNECT_WAIT)


def _large(args: argparse.Namespace, port: int, pid: int, pki: object, context: ssl.SSLContext,
           requests: list[bytes]) -> tuple[list[float], Counter[str], str]:
    from ketenserver.recognitions.domain import dutch_date
    from ketenserver.testing import RequestBuilder

    module = _verzuim_load()
    school = pki.party("school-25LX")  # type: ignore[attr-defined]
    builder = RequestBuilder.from_files(school.cert, school.key, f"https://localhost:{port}{module.PATH}",
                                        school.oin)
    today = dutch_date(dt.datetime.now(dt.UTC))
    messages = [_large_message(module, builder, 100_000 + i, today) for i in range(args.large)]
    size = sum(map(len, messages)) // len(messages)
    got: Counter[str] = Counter()
    lock = threading.Lock()
    gate = threading.Barrier(args.large + 1)  # in the senders' process

    def send(data: bytes) -> None:
        try:  # connected first: the 200 messages travel at once, not 200 handshakes
            status = _status(_exchange(port, context, data, module.PATH, piece=64 * 1024,
                                       connected=lambda: _all_connected(gate)))
        except OSError as error:
            status = type(error).__name__
        with lock:
            got[status] += 1

    baseline = _memory(pid, "VmRSS")
    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.02):
            peak = max(peak, _memory(pid, "VmRSS"))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    results = multiprocessing.get_context("fork").SimpleQueue()
    released = multiprocessing.get_context("fork").Event()

    def senders() -> None:  # in a process of its own: its threads do not slow the normal client down
        threads = [threading.Thread(target=send, args=(m,), daemon=True) for m in messages]
        for thread in threads:
            thread.start()
        _all_connected(gate)
        released.set()
        for thread in threads:
            thread.join(timeout=180)
        results.put(dict(got))

    child = multiprocessing.get_context("fork").Process(target=senders)
    child.start()
    started = time.monotonic()
    # The normal client starts with the burst, or after 2 s while a server still cannot take the
    # 200 connections (cheroot, which handshakes on its 16 request threads: that is the finding).
    released.wait(timeout=2.0)
    ends = time.monotonic() + args.seconds
    latencies, outcomes = normal_client(port, context, requests, lambda ends=ends: time.monotonic() > ends)
    got.update(results.get())
    child.join()
    took = time.monotonic() - started
    done.set()
    sampler.join()
    megabyte = 1024 * 1024
    extra = (f"\n         {args.large} x {size / megabyte:.2f} MiB at once: {dict(got)} in {took:.1f} s; server RSS "
             f"{baseline / megabyte:.0f} MiB before, peak {peak / megabyte:.0f} MiB sampled, "
             f"VmHWM {_memory(pid, 'VmHWM') / megabyte:.0f} MiB")
    return latencies, outcomes, extra


if __name__ == "__main__":
    sys.exit(main())
