"""Liveness and readiness on a plain-HTTP port of their own, for a load balancer or an orchestrator.

Off by default; ``health_port`` opens it on ``host``. It answers two questions, to anyone who
reaches the port and without a client certificate, so it says nothing else (no version, no
address, no error text: a database failure is named by its exception class only):

- ``GET /livez``: ``200 ok`` while the serving process runs (the supervisor, with several workers;
  it replaces dead workers itself, so restarting it from outside would not help more);
- ``GET /readyz``: ``200 ready``, or ``503`` with ``not ready: <reason>``, the reason starting with
  ``starting`` (no worker serves yet), ``draining`` (SIGTERM or SIGINT came: the server stops) or
  ``database`` (its last check failed, or gave no answer for ``STALE_AFTER`` seconds).

``HEAD`` answers the same without a body; another path gets 404, another method 405. The HTTP is
the standard library's (:class:`http.server.ThreadingHTTPServer`). This module imports neither the
app nor SQLAlchemy: the supervisor serves the port, and it stays small (:mod:`ketenserver.supervisor`).
"""

from __future__ import annotations

import logging
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

log = logging.getLogger(__name__)

PROBE_INTERVAL = 1.0
"""Seconds between two checks of the database."""
STALE_AFTER = 3.0
"""A database check older than this counts as no answer (a check that hangs, e.g. on a lost network)."""

Readiness = Callable[[], "str | None"]
"""None when ready, else why not (``starting ...``, ``draining ...``, ``database ...``)."""


class Report(Protocol):
    """What a serving process tells whoever judges its readiness (the supervisor, or itself)."""

    def serving(self) -> None:
        """It accepts connections now."""

    def database(self, reason: str | None) -> None:
        """The database answered (None), or why not."""


def database_verdict(last: tuple[float, str | None] | None, now: float) -> str | None:
    """Readiness as the last database check says it: ``last`` is (when, reason or None)."""
    if last is None:
        return "database: not checked yet"
    when, reason = last
    if now - when > STALE_AFTER:
        return f"database: no answer for {now - when:.0f} s"
    return None if reason is None else f"database: {reason}"


def ping(engine: Any) -> None:
    """The check of a database: ``SELECT 1`` through the engine's pool (as the requests reach it)."""
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")


class _Serving(Protocol):
    started: threading.Event
    draining: bool
    terminated: bool


@dataclass
class ServerReadiness:
    """Readiness of a server that is the whole of it (one worker, no supervisor)."""

    server: _Serving | None = None
    """A :class:`ketenserver.server.Server`, once made."""
    probe: DatabaseProbe | None = None

    def __call__(self) -> str | None:
        if self.server is None or not self.server.started.is_set():
            return "starting: not serving yet"
        if self.server.draining or self.server.terminated:
            return "draining: the server is stopping"
        return self.probe.verdict() if self.probe is not None else None


class DatabaseProbe:
    """Runs ``check`` every ``interval`` seconds on a daemon thread and keeps what it said.

    One check at a time: one that hangs makes the last answer stale instead of piling up threads.
    """

    def __init__(self, check: Callable[[], object], *, report: Callable[[str | None], None] | None = None,
                 interval: float = PROBE_INTERVAL, clock: Callable[[], float] = time.monotonic) -> None:
        self._check = check
        self._report = report
        self._interval = interval
        self._clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ketenserver-health-probe", daemon=True)
        self.last: tuple[float, str | None] | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def check_once(self) -> str | None:
        try:
            self._check()
            reason = None
        except Exception as error:  # any failure means "not ready"; the class alone leaks nothing
            reason = type(error).__name__
        self.last = (self._clock(), reason)
        if self._report is not None:
            self._report(reason)
        return reason

    def verdict(self) -> str | None:
        return database_verdict(self.last, self._clock())

    def _run(self) -> None:
        while not self._stop.is_set():
            self.check_once()
            self._stop.wait(self._interval)


class _Handler(BaseHTTPRequestHandler):
    server_version = "ketenserver"
    sys_version = ""
    timeout = 5  # a silent client holds a thread this long at most
    server: _Httpd

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_POST(self) -> None:
        self._send(HTTPStatus.METHOD_NOT_ALLOWED, "Use GET.", body=True, allow="GET, HEAD")

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_POST

    def _answer(self, *, body: bool) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/livez":
            self._send(HTTPStatus.OK, "ok", body=body)
        elif path == "/readyz":
            try:
                reason = self.server.readiness()
            except Exception:
                log.exception("the readiness check failed")
                reason = "unknown: the check failed"
            if reason is None:
                self._send(HTTPStatus.OK, "ready", body=body)
            else:
                self._send(HTTPStatus.SERVICE_UNAVAILABLE, f"not ready: {reason}", body=body)
        else:
            self._send(HTTPStatus.NOT_FOUND, "GET /livez or /readyz.", body=body)

    def _send(self, status: HTTPStatus, text: str, *, body: bool, allow: str | None = None) -> None:
        data = (text + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        if allow is not None:
            self.send_header("Allow", allow)
        self.end_headers()
        if body:
            self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("health %s: " + format, self.address_string(), *args)


class _Httpd(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, port: int, readiness: Readiness) -> None:
        self.address_family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
        self.readiness = readiness
        super().__init__((host, port), _Handler)

    def server_bind(self) -> None:
        # HTTPServer's own looks the host's name up (getfqdn): a DNS round trip that can hang.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])


class HealthServer:
    """``/livez`` and ``/readyz`` over plain HTTP on ``host``:``port``, on a daemon thread; bound at once."""

    def __init__(self, host: str, port: int, readiness: Readiness) -> None:
        self._httpd = _Httpd(host, port, readiness)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="ketenserver-health", daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def start(self) -> None:
        self._thread.start()
        log.info("health endpoints on http://%s:%d/livez and /readyz", self._httpd.server_name, self.port)

    def stop(self) -> None:
        if self._thread.is_alive():
            self._httpd.shutdown()
        self._httpd.server_close()
