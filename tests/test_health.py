"""The health endpoints (``/livez``, ``/readyz``) and the readiness they report.

Here in this process: the HTTP answers, the database check (against the test database and one
out of reach), readiness as the supervisor judges it from its workers' reports, and as a server
alone judges it. ``tests/test_supervision.py`` polls them on a real ``ketenserver serve``.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from ketenserver.app import KetenApp
from ketenserver.db import make_engine
from ketenserver.health import STALE_AFTER, DatabaseProbe, HealthServer, ServerReadiness, database_verdict, ping
from ketenserver.server import serve_in_thread
from ketenserver.settings import Settings
from ketenserver.supervisor import Supervisor


class Switch:
    """A readiness to set by hand."""

    def __init__(self) -> None:
        self.reason: str | None = "starting: not yet"

    def __call__(self) -> str | None:
        return self.reason


@pytest.fixture
def health() -> Iterator[tuple[HealthServer, Switch]]:
    switch = Switch()
    server = HealthServer("127.0.0.1", 0, switch)
    server.start()
    yield server, switch
    server.stop()


def _ask(port: int, path: str, method: str = "GET") -> tuple[int, str, dict[str, str]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(method, path)
        answer = connection.getresponse()
        return answer.status, answer.read().decode(), dict(answer.getheaders())
    finally:
        connection.close()


def test_livez_says_ok_whatever_the_readiness(health: tuple[HealthServer, Switch]) -> None:
    server, switch = health
    for reason in ("starting: not yet", "database: OperationalError", None):
        switch.reason = reason
        status, body, headers = _ask(server.port, "/livez")
        assert (status, body) == (200, "ok\n")
    assert headers["Content-Type"] == "text/plain; charset=utf-8" and headers["Cache-Control"] == "no-store"


def test_readyz_answers_503_with_the_reason_then_200_ready(health: tuple[HealthServer, Switch]) -> None:
    server, switch = health
    assert _ask(server.port, "/readyz")[:2] == (503, "not ready: starting: not yet\n")
    switch.reason = None
    assert _ask(server.port, "/readyz")[:2] == (200, "ready\n")
    assert _ask(server.port, "/readyz?verbose")[:2] == (200, "ready\n")
    switch.reason = "draining: the server is stopping"
    assert _ask(server.port, "/readyz")[:2] == (503, "not ready: draining: the server is stopping\n")


def test_head_other_paths_and_other_methods(health: tuple[HealthServer, Switch]) -> None:
    server, _ = health
    status, body, headers = _ask(server.port, "/livez", "HEAD")
    assert (status, body, headers["Content-Length"]) == (200, "", "3")
    assert _ask(server.port, "/")[0] == 404
    assert _ask(server.port, "/sbb-erkenningen/2W-be-S")[0] == 404
    status, _, headers = _ask(server.port, "/readyz", "POST")
    assert status == 405 and headers["Allow"] == "GET, HEAD"


def test_a_readiness_that_fails_is_no_readiness() -> None:
    def failing() -> str | None:
        raise RuntimeError("a bug")

    broken = HealthServer("127.0.0.1", 0, failing)
    broken.start()
    try:
        assert _ask(broken.port, "/readyz")[:2] == (503, "not ready: unknown: the check failed\n")
    finally:
        broken.stop()


def test_the_verdict_of_the_last_database_check() -> None:
    assert database_verdict(None, 10.0) == "database: not checked yet"
    assert database_verdict((9.0, None), 10.0) is None
    assert database_verdict((9.0, "OperationalError"), 10.0) == "database: OperationalError"
    assert database_verdict((10.0 - STALE_AFTER - 2, None), 10.0) == "database: no answer for 5 s"


def test_the_probe_checks_the_real_database_and_names_a_failure_by_its_class_only(
        engine: Engine, tmp_path: Path) -> None:
    reports: list[str | None] = []
    assert DatabaseProbe(partial(ping, engine), report=reports.append).check_once() is None
    unreachable = make_engine(f"sqlite:///{tmp_path / 'no-such-directory' / 'x.sqlite3'}")
    try:
        probe = DatabaseProbe(partial(ping, unreachable), report=reports.append)
        assert probe.check_once() == "OperationalError"  # not the driver's text, nor the path
        assert probe.verdict() == "database: OperationalError"
    finally:
        unreachable.dispose()
    assert reports == [None, "OperationalError"]


def test_a_check_that_hangs_goes_stale() -> None:
    now = [100.0]
    probe = DatabaseProbe(lambda: None, clock=lambda: now[0])
    probe.check_once()
    assert probe.verdict() is None
    now[0] += STALE_AFTER + 1  # no check came back since
    assert probe.verdict() == "database: no answer for 4 s"


@dataclass
class Reported:
    """A worker as the supervisor sees it, with what it reported."""

    pid: int
    serving: bool = False
    database: tuple[float, str | None] | None = None

    def poll(self) -> int | None:
        return None

    def send_signal(self, signum: int) -> None:
        pass


def test_the_supervisor_is_ready_once_a_worker_serves_and_its_database_answers() -> None:
    now = [50.0]
    workers = [Reported(1), Reported(2)]
    supervisor = Supervisor(2, lambda index: workers[index], grace=1, clock=lambda: now[0])
    supervisor._start(supervisor._slots[0])
    supervisor._start(supervisor._slots[1])

    assert supervisor.readiness() == "starting: no worker serves yet"
    workers[0].serving = True
    assert supervisor.readiness() == "database: not checked yet"
    workers[0].database = (49.5, "OperationalError")
    assert supervisor.readiness() == "database: OperationalError"
    workers[0].database = (49.5, None)
    assert supervisor.readiness() is None
    now[0] += STALE_AFTER + 1
    assert supervisor.readiness() == "database: no answer for 4 s"
    workers[1].serving, workers[1].database = True, (now[0], None)
    assert supervisor.readiness() is None  # one worker with an answer is enough
    supervisor.request_stop(15)
    assert supervisor.readiness() == "draining: the server is stopping"


def test_a_server_alone_is_ready_while_it_serves_and_not_once_it_stops(
        settings: Settings, app: KetenApp) -> None:
    readiness = ServerReadiness()
    assert readiness() == "starting: not serving yet"
    running = serve_in_thread(replace(settings, port=0), app)
    try:
        probe = DatabaseProbe(partial(ping, app.engine))
        readiness.server, readiness.probe = running.server, probe
        assert readiness() == "database: not checked yet"
        probe.check_once()
        assert readiness() is None
        running.server.stop(grace=5)
        running.thread.join(timeout=10)
        assert readiness() == "draining: the server is stopping"
    finally:
        running.stop()
