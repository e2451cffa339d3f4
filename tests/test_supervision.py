"""A server that survives its own workers (issue 14): supervision, orderly stop, a light parent.

The supervisor's rules run against fake workers on a fake clock (replacement, backoff, give-up,
stop, forced stop); the drain of one serving process runs in this process (a request in flight
is answered, an idle kept-alive connection ends, the grace period cuts off a late one); and
``ketenserver serve`` runs as a real command: workers killed with SIGKILL under load, a worker
that cannot start, the database out of reach, SIGTERM in the middle of a request.
"""

from __future__ import annotations

import http.client
import itertools
import json
import logging
import os
import pickle
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketenserver.app import KetenApp
from ketenserver.exchange.storage import JournalEntry
from ketenserver.pki import DevPki
from ketenserver.server import serve_in_thread
from ketenserver.settings import ENV_PREFIX, Settings, load_settings
from ketenserver.supervisor import STOP_MARGIN, RestartPolicy, Supervisor, describe_exit
from ketenserver.testing import RequestBuilder, free_port, log_tail

SCHOOL = "school-25LX"
SIGNED_PATH = "/sbb-erkenningen/2W-be-S"
WSDL_HEAD = f"GET {SIGNED_PATH}?wsdl HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
"""A request head without its final empty line: a request in flight until the line comes."""
SBB_NS = "urn:ketenserver:sbb:whitelabel:erkenningen:2.1"
VASTSTELLEN = (f'<sbb:VaststellenLeerbedrijf xmlns:sbb="{SBB_NS}"><sbb:Naam>Bakkerij De Vries</sbb:Naam>'
               f"<sbb:Postcode>1012 AB</sbb:Postcode></sbb:VaststellenLeerbedrijf>").encode()


# -- the supervisor's rules, on a fake clock -----------------------------------------------------


class FakeTime:
    """A clock that moves only when the supervisor sleeps; things scheduled at a time happen then."""

    def __init__(self) -> None:
        self.now = 0.0
        self._due: list[tuple[float, Callable[[], object]]] = []

    def clock(self) -> float:
        return self.now

    def at(self, when: float, action: Callable[[], object]) -> None:
        self._due.append((when, action))

    def sleep(self, seconds: float) -> None:
        self.now = round(self.now + seconds, 6)  # ticks that add up exactly
        assert self.now < 600, "the supervisor never ended"
        for item in [item for item in self._due if item[0] <= self.now]:
            self._due.remove(item)
            item[1]()


@dataclass
class FakeWorker:
    time: FakeTime
    pid: int
    started: float
    serves_after: float | None = 0.5
    """None: it never serves."""
    exit_at: float | None = None
    exit_code: int = 1
    ignores_sigterm: bool = False
    signals: list[int] = field(default_factory=list)
    database: tuple[float, str | None] | None = None

    @property
    def serving(self) -> bool:
        return self.serves_after is not None and self.time.now >= self.started + self.serves_after

    def poll(self) -> int | None:
        return self.exit_code if self.exit_at is not None and self.time.now >= self.exit_at else None

    def send_signal(self, signum: int) -> None:
        self.signals.append(signum)
        if self.poll() is not None:
            return
        if signum == signal.SIGKILL:
            self.exit_at, self.exit_code = self.time.now, -signal.SIGKILL
        elif not self.ignores_sigterm:
            self.exit_at, self.exit_code = self.time.now + 0.3, 0

    def die(self, code: int = -signal.SIGKILL) -> None:
        self.exit_at, self.exit_code = self.time.now, code


class Fleet:
    """The worker factory: ``behaviour(index, nth)`` gives each new worker's keyword arguments."""

    def __init__(self, time: FakeTime, behaviour: Callable[[int, int], dict[str, Any]] | None = None) -> None:
        self.time = time
        self.behaviour = behaviour or (lambda index, nth: {})
        self.started: list[tuple[float, int, FakeWorker]] = []

    def start(self, index: int) -> FakeWorker:
        nth = sum(1 for _, i, _ in self.started if i == index)
        worker = FakeWorker(self.time, 1000 + len(self.started), self.time.now, **self.behaviour(index, nth))
        self.started.append((self.time.now, index, worker))
        return worker

    def of(self, index: int) -> list[tuple[float, FakeWorker]]:
        return [(when, worker) for when, i, worker in self.started if i == index]

    def current(self, index: int) -> FakeWorker:
        return self.of(index)[-1][1]


def _supervisor(time: FakeTime, fleet: Fleet, workers: int = 2, grace: float = 10.0,
                policy: RestartPolicy | None = None) -> Supervisor:
    return Supervisor(workers, fleet.start, grace=grace, policy=policy or RestartPolicy(), clock=time.clock,
                      sleep=time.sleep)


def _messages(caplog: pytest.LogCaptureFixture, level: int = logging.DEBUG) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "ketenserver.supervisor" and r.levelno >= level]


def test_the_pause_after_early_deaths_in_a_row_doubles_from_half_a_second_up_to_four() -> None:
    policy = RestartPolicy()
    assert [policy.delay(n) for n in range(8)] == [0.0, 0.0, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_exits_are_described_by_signal_name_or_code() -> None:
    assert describe_exit(-signal.SIGKILL) == "killed by SIGKILL"
    assert describe_exit(-signal.SIGSEGV) == "killed by SIGSEGV"
    assert describe_exit(3) == "exited with code 3"


def test_a_killed_worker_is_replaced_at_once_and_the_kill_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    time = FakeTime()
    fleet = Fleet(time)
    supervisor = _supervisor(time, fleet)
    time.at(10.0, lambda: fleet.current(1).die())
    time.at(20.0, lambda: fleet.current(1).die(code=-signal.SIGSEGV))
    time.at(30.0, lambda: supervisor.request_stop(signal.SIGTERM))

    assert supervisor.run() == 0

    starts = fleet.of(1)
    assert len(starts) == 3 and len(fleet.of(0)) == 1
    assert starts[1][0] - 10.0 <= 0.2 and starts[2][0] - 20.0 <= 0.2  # within a tick or two, no pause
    messages = _messages(caplog)
    first, second = starts[0][1].pid, starts[1][1].pid
    assert f"worker 1 (pid {first}) killed by SIGKILL" in messages
    assert f"worker 1 (pid {second}) killed by SIGSEGV" in messages
    assert any(m.startswith(f"worker 1 replaced: pid {second} started in place of pid {first}") for m in messages)
    assert all(worker.signals == [signal.SIGTERM] for _, _, worker in fleet.started if worker.poll() == 0)


def test_a_worker_dying_at_start_backs_off_then_the_supervisor_gives_up(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    time = FakeTime()
    fleet = Fleet(time, lambda index, nth: {"serves_after": None, "exit_at": time.now + 0.2} if index == 0 else {})
    supervisor = _supervisor(time, fleet)

    assert supervisor.run() == 1

    starts = [when for when, _ in fleet.of(0)]
    pauses = [round(start - before - 0.2, 6) for before, start in itertools.pairwise(starts)]
    assert len(pauses) == 5  # six starts, no seventh
    for pause, expected in zip(pauses, (0.0, 0.5, 1.0, 2.0, 4.0), strict=True):
        assert expected <= pause <= expected + 0.25  # to the tick
    errors = _messages(caplog, logging.ERROR)
    assert len(errors) == 1
    assert errors[0].startswith("giving up: worker 0 died 6 times in a row before it served")
    healthy = fleet.current(1)
    assert healthy.signals == [signal.SIGTERM] and healthy.poll() == 0  # the other one stopped in order
    assert supervisor.readiness() is not None


def test_a_worker_that_served_a_while_starts_its_count_of_early_deaths_anew() -> None:
    time = FakeTime()
    fleet = Fleet(time, lambda index, nth: {"exit_at": time.now + (1.0 if nth % 4 < 3 else 7.0)})
    supervisor = _supervisor(time, fleet, workers=1, policy=RestartPolicy(early_within=5.0))
    time.at(60.0, lambda: supervisor.request_stop(signal.SIGTERM))

    # Three early deaths, then one after 7 s (6.5 s of serving): the count starts over, never six.
    assert supervisor.run() == 0
    assert len(fleet.of(0)) > 8


def test_a_worker_killed_again_and_again_after_it_served_is_always_replaced_at_once() -> None:
    """As an operator's kill every few seconds: each worker served, so none of it counts as early."""
    time = FakeTime()
    # Twenty workers in a row serve, then are killed 1 s after their start; the 21st is left alone.
    fleet = Fleet(time, lambda index, nth: {"exit_at": time.now + 1.0, "exit_code": -signal.SIGKILL}
                  if nth < 20 else {})
    supervisor = _supervisor(time, fleet, workers=1)
    time.at(60.0, lambda: supervisor.request_stop(signal.SIGTERM))

    assert supervisor.run() == 0
    starts = [when for when, _ in fleet.of(0)]
    assert len(starts) == 21  # never given up
    assert all(later - earlier <= 1.0 + 0.25 for earlier, later in itertools.pairwise(starts))  # never paused


def test_sigterm_stops_every_worker_in_order_and_exits_0(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    time = FakeTime()
    fleet = Fleet(time)
    supervisor = _supervisor(time, fleet, workers=3)
    time.at(2.0, lambda: supervisor.request_stop(signal.SIGTERM))

    assert supervisor.run() == 0
    assert [worker.signals for _, _, worker in fleet.started] == [[signal.SIGTERM]] * 3
    assert all(worker.poll() == 0 for _, _, worker in fleet.started)
    assert supervisor.readiness() == "draining: the server is stopping"
    assert _messages(caplog)[-1] == "stopped"


def test_a_second_signal_kills_the_workers_at_once() -> None:
    time = FakeTime()
    fleet = Fleet(time, lambda index, nth: {"ignores_sigterm": True})
    supervisor = _supervisor(time, fleet)
    time.at(2.0, lambda: supervisor.request_stop(signal.SIGTERM))
    time.at(3.0, lambda: supervisor.request_stop(signal.SIGINT))

    assert supervisor.run() == 128 + signal.SIGINT
    assert time.now < 3.5
    assert all(worker.signals == [signal.SIGTERM, signal.SIGKILL] for _, _, worker in fleet.started)


def test_a_worker_that_does_not_stop_in_time_is_killed_and_the_exit_code_says_so() -> None:
    time = FakeTime()
    fleet = Fleet(time, lambda index, nth: {"ignores_sigterm": index == 1})
    supervisor = _supervisor(time, fleet, grace=5.0)
    time.at(2.0, lambda: supervisor.request_stop(signal.SIGTERM))

    assert supervisor.run() == 1
    assert 2.0 + 5.0 + STOP_MARGIN <= time.now < 2.0 + 5.0 + STOP_MARGIN + 1
    assert fleet.current(1).poll() == -signal.SIGKILL and fleet.current(0).poll() == 0


def test_no_worker_is_started_again_once_stopping() -> None:
    time = FakeTime()
    fleet = Fleet(time, lambda index, nth: {"exit_at": time.now + 0.2, "serves_after": None})
    supervisor = _supervisor(time, fleet, workers=1)
    time.at(0.6, lambda: supervisor.request_stop(signal.SIGTERM))  # while it waits out its first pause

    assert supervisor.run() == 0
    assert len(fleet.of(0)) == 2  # started, restarted at once, then no more


def test_the_supervisor_imports_none_of_the_app() -> None:
    settings = pickle.dumps(load_settings(environ={}))  # with every feature's section, as the supervisor gets them
    code = ("import pickle, sys\nimport ketenserver.supervisor\npickle.loads(sys.stdin.buffer.read())\n"
            "print(*sys.modules)")
    loaded = subprocess.run([sys.executable, "-P", "-c", code], input=settings, capture_output=True, check=True,
                            timeout=60).stdout.decode().split()
    assert "ketenserver.health" in loaded and "ketenserver.recognitions.settings" in loaded
    heavy = {"spyne", "sqlalchemy", "lxml", "cryptography", "zeep", "xmlsec", "h11", "requests"}
    assert [name for name in loaded if name.split(".")[0] in heavy
            or name in ("ketenserver.app", "ketenserver.server", "ketenserver.db", "ketenserver.features")] == []


# -- the drain of one serving process, in this process -------------------------------------------


def _tls_context(pki: DevPki) -> ssl.SSLContext:
    files = pki.party(SCHOOL)
    context = ssl.create_default_context(cafile=str(pki.trust_bundle))
    context.load_cert_chain(str(files.chain), str(files.key))
    return context


def _tls_socket(pki: DevPki, port: int) -> ssl.SSLSocket:
    return _tls_context(pki).wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                                         server_hostname="127.0.0.1")


def _read_to_end(sock: socket.socket) -> bytes:
    data = b""
    while piece := sock.recv(65536):
        data += piece
    return data


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def _wait(condition: Callable[[], bool], what: str, *, timeout: float = 20, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{log_tail(log, 60)}")
        time.sleep(0.05)


def test_a_draining_server_answers_the_request_in_flight_and_ends_the_idle_ones(
        settings: Settings, app: KetenApp, pki: DevPki) -> None:
    running = serve_in_thread(replace(settings, port=0), app)
    idle = http.client.HTTPSConnection("127.0.0.1", running.port, context=_tls_context(pki), timeout=10)
    try:
        idle.request("GET", f"{SIGNED_PATH}?wsdl")
        assert idle.getresponse().read().startswith(b"<?xml")  # kept alive, between two requests now
        with _tls_socket(pki, running.port) as held:
            held.sendall(WSDL_HEAD)
            # (private, but the one sure sign that the server holds both connections past their handshakes)
            _wait(lambda: len(running.server._connections) == 2, "both connections to be served")

            running.server.stop(grace=30)

            assert idle.sock is not None
            assert idle.sock.recv(1) == b""  # ended at once, not after the grace period
            _wait(lambda: _refused(running.port), "the port to refuse connections")
            assert running.server.draining and running.thread.is_alive()
            held.sendall(b"\r\n")
            answer = _read_to_end(held)
        assert answer.startswith(b"HTTP/1.1 200 ") and b"definitions" in answer
        running.thread.join(timeout=10)
        assert not running.thread.is_alive()
    finally:
        idle.close()
        running.stop()


def test_the_grace_period_cuts_off_a_request_that_does_not_finish(
        settings: Settings, app: KetenApp, pki: DevPki, caplog: pytest.LogCaptureFixture) -> None:
    running = serve_in_thread(replace(settings, port=0), app)
    try:
        with _tls_socket(pki, running.port) as held:
            held.sendall(WSDL_HEAD)
            _wait(lambda: len(running.server._connections) == 1, "the connection to be served")

            running.server.stop(grace=0.5)

            running.thread.join(timeout=10)
            assert not running.thread.is_alive()
            assert _read_to_end(held) == b""  # closed without an answer
        assert "1 connection(s) still in flight after 0.5 s: cut off" in caplog.text
    finally:
        running.stop()


# -- ketenserver serve as a command --------------------------------------------------------------


@dataclass
class Served:
    """A ``ketenserver serve`` process and what it logged (one JSON object per line)."""

    process: subprocess.Popen[bytes]
    log: Path
    port: int
    health_port: int

    def records(self) -> list[dict[str, Any]]:
        found = []
        for line in self.log.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True):
            if line.startswith("{") and line.endswith("\n"):
                record = json.loads(line)
                record["at"] = datetime.fromisoformat(record["time"]).timestamp()
                found.append(record)
        return found

    def supervisor(self, contains: str = "") -> list[dict[str, Any]]:
        return [r for r in self.records() if r["logger"] == "ketenserver.supervisor" and contains in r["message"]]

    def health(self, path: str = "/readyz") -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.health_port, timeout=5)
        try:
            connection.request("GET", path)
            answer = connection.getresponse()
            return answer.status, answer.read().decode()
        finally:
            connection.close()

    def health_or_none(self) -> tuple[int, str] | None:
        try:
            return self.health()
        except OSError:
            return None

    def wait(self, condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
        def checked() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited with {self.process.returncode}\n{log_tail(self.log, 60)}")
            return condition()

        _wait(checked, what, timeout=timeout, log=self.log)

    def wait_ready(self) -> None:
        self.wait(lambda: self.health_or_none() == (200, "ready\n"), "/readyz to say ready")

    def exit_code(self, timeout: float = 40) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"serve did not end within {timeout} s\n{log_tail(self.log, 60)}") from None


@contextmanager
def serving(settings: Settings, tmp_path: Path, *, workers: int, database_url: str | None = None,
            pki_dir: Path | None = None, environment: dict[str, str] | None = None) -> Iterator[Served]:
    """``ketenserver serve --workers N`` with a health port; always gone when the block is left."""
    port, health_port = free_port(), free_port()
    log = tmp_path / f"serve-{port}.log"
    command = [sys.executable, "-m", "ketenserver.cli",
               "--database-url", database_url or settings.effective_database_url,
               "--pki-dir", str(pki_dir or settings.pki_dir), "--data-dir", str(tmp_path),
               "serve", "--port", str(port), "--workers", str(workers)]
    ignored = {f"{ENV_PREFIX}CONFIG"} | {ENV_PREFIX + f.name.upper() for f in fields(Settings)}
    env = {name: value for name, value in os.environ.items() if name not in ignored}
    env.update(KETENSERVER_LOG_LEVEL="INFO", KETENSERVER_LOG_FORMAT="json", KETENSERVER_HEALTH_PORT=str(health_port),
               KETENSERVER_RECOGNITIONS_DELIVERY_INTERVAL="0", KETENSERVER_ABSENCE_MUNICIPALITY_INTERVAL="0",
               **(environment or {}))
    with log.open("ab") as output:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT, env=env,
                                   cwd=tmp_path)
    try:
        yield Served(process, log, port, health_port)
    finally:
        if process.poll() is None:
            process.kill()  # the supervisor only: its workers see their stdin end and stop
        process.wait(timeout=10)


def _memory_of(pid: int) -> tuple[int, str]:
    """(resident KiB, mapped files) of a process."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(status.split("VmRSS:")[1].split()[0])
    return rss, Path(f"/proc/{pid}/maps").read_text()


@dataclass
class Load:
    """A few client threads sending signed VaststellenLeerbedrijf requests: (sent, done, status | error, MessageID)."""

    url: str
    pki: DevPki
    results: list[tuple[float, float, int | BaseException, str]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        files = self.pki.party(SCHOOL)
        builder = RequestBuilder.from_files(files.cert, files.key, self.url, files.oin)
        with requests.Session() as session:
            session.trust_env = False
            session.verify = str(self.pki.trust_bundle)
            session.cert = (str(files.chain), str(files.key))
            while not self.stop.is_set():
                built = builder.build(VASTSTELLEN, action=f"{SBB_NS}:VaststellenLeerbedrijf")
                data = built.bytes()
                sent = time.time()
                try:
                    answer: int | BaseException = session.post(
                        self.url, data=data, headers={"Content-Type": "text/xml; charset=utf-8"},
                        timeout=10).status_code
                except requests.RequestException as error:
                    answer = error
                self.results.append((sent, time.time(), answer, built.message_id))
                time.sleep(0.02)

    def answered(self, after: float = 0.0, before: float = float("inf")) -> int:
        return sum(1 for _, done, answer, _ in list(self.results) if answer == 200 and after < done < before)


def _current_pids(served: Served) -> dict[int, int]:
    pids: dict[int, int] = {}
    for record in served.supervisor():
        if "started" in record["message"]:
            pids[record["worker"]] = record["pid"]
    return pids


def _serving_pids(served: Served) -> set[int]:
    return {record["pid"] for record in served.supervisor(" serving: ")}


@pytest.mark.slow
def test_killed_workers_are_replaced_while_the_server_keeps_answering(
        engine: object, settings: Settings, pki: DevPki, tmp_path: Path) -> None:
    kills = 3
    with serving(settings, tmp_path, workers=2) as served:
        served.wait_ready()
        load = Load(f"https://127.0.0.1:{served.port}{SIGNED_PATH}", pki)
        clients = [threading.Thread(target=load.run, daemon=True) for _ in range(3)]
        for client in clients:
            client.start()
        rounds = []
        try:
            for round_ in range(kills):
                before = load.answered()
                served.wait(lambda: load.answered() >= before + 5, "answers under load")  # noqa: B023
                victim = _current_pids(served)[round_ % 2]
                killed_at = time.time()
                os.kill(victim, signal.SIGKILL)
                served.wait(lambda: served.supervisor(f"in place of pid {victim},"), f"pid {victim} to be replaced")  # noqa: B023
                replaced = served.supervisor(f"in place of pid {victim},")[0]
                served.wait(lambda: replaced["pid"] in _serving_pids(served), "the new worker to serve")  # noqa: B023
                serving_at = served.supervisor(f"serving: pid {replaced['pid']},")[0]["at"]
                died = served.supervisor(f"(pid {victim}) killed by SIGKILL")
                assert len(died) == 1 and died[0]["worker"] == round_ % 2
                rounds.append((killed_at, replaced["at"] - killed_at, serving_at - killed_at,
                               load.answered(killed_at, serving_at)))
            last_served = killed_at + rounds[-1][2]
            served.wait(lambda: load.answered(after=last_served) >= 10, "answers after the last replacement")
            rss, maps = _memory_of(served.process.pid)
        finally:
            load.stop.set()
            for client in clients:
                client.join(timeout=15)
        served.process.send_signal(signal.SIGTERM)
        assert served.exit_code() == 0

    failures = [(sent, answer) for sent, _, answer, _ in load.results if answer != 200]
    assert all(isinstance(answer, requests.RequestException) for _, answer in failures), failures[:3]
    starts = [killed_at for killed_at, *_ in rounds] + [float("inf")]
    per_kill = [sum(1 for sent, _ in failures if starts[i] - 1 <= sent < starts[i + 1]) for i in range(kills)]
    for _, to_replace, _, answered_meanwhile in rounds:
        assert to_replace < 2.0, rounds  # the requirement; measured 0.04-0.1 s
        assert answered_meanwhile > 0, rounds  # the other worker kept answering alone
    # The parent imported none of the app: no lxml, cryptography, SQLAlchemy or xmlsec mapped in.
    assert not [lib for lib in ("lxml", "cryptography", "sqlalchemy", "xmlsec") if f"/{lib}/" in maps]
    assert rss < 48 * 1024, f"the supervisor takes {rss} KiB"
    text = served.log.read_text()
    assert "Traceback" not in text and served.supervisor("stopped")
    # The journal tells the truth: one entry for every answered exchange, at most one for the others
    # (a worker killed after its commit journaled an exchange whose reply it never sent).
    with Session(engine) as session:
        journaled = Counter(session.scalars(select(JournalEntry.message_id).where(
            JournalEntry.message_id.in_([message_id for *_, message_id in load.results]))))
    assert all(journaled[message_id] == 1 for _, _, answer, message_id in load.results if answer == 200)
    assert all(journaled[message_id] <= 1 for *_, message_id in load.results)
    print(f"\nsupervision: parent {rss / 1024:.1f} MiB; {len(load.results)} requests, "
          + "; ".join(f"kill {i + 1}: replaced after {r[1]:.2f} s, serving after {r[2]:.2f} s, "
                      f"{r[3]} answered meanwhile, {per_kill[i]} failed" for i, r in enumerate(rounds)))


@pytest.mark.slow
def test_sigterm_in_the_middle_of_a_request_drains_and_exits_0(
        engine: object, settings: Settings, pki: DevPki, tmp_path: Path) -> None:
    with serving(settings, tmp_path, workers=2, environment={"KETENSERVER_SHUTDOWN_GRACE_SECONDS": "20"}) as served:
        answers: list[tuple[int, str] | None] = []

        def ready() -> bool:
            answers.append(served.health_or_none())
            return answers[-1] == (200, "ready\n")

        served.wait(ready, "/readyz to say ready")
        assert served.health("/livez") == (200, "ok\n")
        served.wait(lambda: len(_serving_pids(served)) == 2, "both workers to serve")
        with _tls_socket(pki, served.port) as held:
            held.sendall(WSDL_HEAD)  # accepted and past its handshake: in flight

            served.process.send_signal(signal.SIGTERM)

            served.wait(lambda: served.health_or_none() == (503, "not ready: draining: the server is stopping\n"),
                        "/readyz to say draining")
            assert served.health("/livez") == (200, "ok\n")
            served.wait(lambda: _refused(served.port), "the port to refuse new connections")
            held.sendall(b"\r\n")
            answer = _read_to_end(held)
        assert answer.startswith(b"HTTP/1.1 200 ") and b"definitions" in answer
        assert served.exit_code() == 0
    text = served.log.read_text()
    assert "Traceback" not in text
    assert served.supervisor("SIGTERM: stopping 2 worker(s); the requests in flight have 20 s to finish")
    starting = [a for a in answers if a is not None and a[0] == 503]
    print(f"\nreadiness while starting: {starting[:1]} ({len(starting)} polls)")


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_readiness_fails_while_the_database_is_out_of_reach(
        engine: object, settings: Settings, tmp_path: Path, workers: int) -> None:
    unreachable = f"sqlite:///{tmp_path / 'no-such-directory' / 'ketenserver.sqlite3'}"
    with serving(settings, tmp_path, workers=workers, database_url=unreachable,
                 environment={"KETENSERVER_JOURNAL_RETENTION_DAYS": "0"}) as served:
        served.wait(lambda: served.health_or_none() == (503, "not ready: database: OperationalError\n"),
                    "/readyz to name the database")
        assert served.health("/livez") == (200, "ok\n")
        served.process.send_signal(signal.SIGTERM)
        assert served.exit_code() == 0
    assert "Traceback" not in served.log.read_text()


@pytest.mark.slow
def test_a_worker_that_cannot_start_makes_the_server_give_up(
        engine: object, settings: Settings, tmp_path: Path) -> None:
    with serving(settings, tmp_path, workers=2, pki_dir=tmp_path / "no-pki") as served:
        assert served.exit_code(timeout=60) == 1
    given_up = [r for r in served.records() if "giving up" in r["message"]]
    assert len(given_up) == 1 and given_up[0]["level"] == "ERROR"
    assert given_up[0]["message"].startswith("giving up: worker ")
    assert "died 6 times in a row before it served" in given_up[0]["message"]
    reasons = [r["message"] for r in served.records() if "could not start" in r["message"]]
    assert reasons and all("FileNotFoundError" in reason for reason in reasons)
    pauses = [r["message"] for r in served.supervisor("restarting it in ")]
    assert any("restarting it in 4 s (5 early death(s) in a row)" in pause for pause in pauses)


def test_the_default_is_supervised_even_on_one_core_and_only_an_explicit_single_worker_is_not(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    import ketenserver.server as server_module
    import ketenserver.supervisor as supervisor_module

    supervised: list[int] = []
    served_here: list[int] = []
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    monkeypatch.setattr(supervisor_module, "exec_supervisor", lambda s: supervised.append(s.worker_count))
    monkeypatch.setattr(server_module, "serve_worker", lambda s, **_: served_here.append(s.worker_count) or 0)
    server_module.serve_forever(replace(settings, workers=0))
    server_module.serve_forever(replace(settings, workers=1))
    assert supervised == [1] and served_here == [1]
