"""Serving over mutual TLS: an asyncio front that reads requests, a few threads that answer them.

The TLS context comes from :func:`ketencore.trust.server_ssl_context`: TLS 1.2 or newer, a
client certificate required and chained to the trust bundle, CRLs checked. A client without a
certificate, or with one from another CA, an expired or a revoked one, fails the handshake and
never reaches the application. :class:`ketencore.crls.CrlRefresher` keeps the CRLs current:
a change installs a new context for the next handshakes, and a kept-alive connection whose
certificate the new CRLs list is closed before its next request.

One event loop per process accepts connections, performs the TLS handshakes (asyncio's) and reads
every request in full (:mod:`ketenserver.front`, with h11 for HTTP/1.1); only then does the WSGI
application (:class:`ketenserver.app.KetenApp`) run, on one of ``threads`` request threads, with
the body in memory. What a slow or lying client can hold:

- a connection that is slow or silent in its handshake costs a file descriptor and a little
  memory on the event loop, never a thread, and is closed after ``handshake_timeout`` seconds
  from its accept; plain HTTP on this port gets a plain-text HTTP 400 saying so;
- a request must arrive within ``request_read_timeout`` (from the end of the handshake for the
  first request of a connection, from its first byte for the next): slow headers get HTTP 408,
  a slow body fault 0001, whatever the pace of the drip; until then the client holds no thread;
- the head is capped at 64 KiB (HTTP 431); a declared Content-Length over ``max_request_bytes``
  gets fault 0101 unread, and a chunked body is refused (0101) as soon as the bytes that came
  pass the limit: a chunk size of a terabyte allocates nothing;
- a body over ``large_request_bytes`` must fit, with its size, in ``large_body_budget`` (bytes of
  large bodies read and processed at once) when its head arrives, or it is refused at once and
  unread with fault 0051 (HTTP 503, retry later); large requests are answered on threads of their
  own (``large_request_threads``), so a small request never queues behind them. Memory in flight
  is therefore bounded by the budget, and a client dripping a large body holds a share of it only
  until its deadline; the signed 0051 refusals are made ahead (:class:`Refusals`), so that a flood
  of them costs the process next to nothing;
- a request whose body was refused before it was read to the end closes its connection after
  the answer, after reading and dropping for at most two seconds what the client still sends
  (closing on unread data resets the connection, and the client would lose the answer).

``--workers`` runs several such processes sharing the port (SO_REUSEPORT): few threads per
process keep the GIL from eating the CPU; :mod:`ketenserver.supervisor` starts them and replaces
one that dies. With one worker the server runs in the command's own process.

SIGTERM or SIGINT stops a serving process in order: it stops accepting, ends each kept-alive
connection between two requests, lets the requests in flight finish (a connection accepted before
the signal gets its first request answered) for at most ``shutdown_grace_seconds``, cuts off what
still runs, stops the background jobs after their current pass and exits 0. A second signal exits
at once with 128 + its number.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from cryptography import x509

from ketencore.crls import CrlRefresher
from ketencore.errors import KetenError
from ketencore.trust import TrustStore, server_ssl_context
from ketenserver.background import BackgroundRunner
from ketenserver.front import HEADER_LIMIT, LINGER, PIECE, Admission, DrainableConnection, Peer, Services
from ketenserver.settings import Settings

if TYPE_CHECKING:
    from ketenserver.health import Report

__all__ = [
    "HEADER_LIMIT",
    "MutualTls",
    "Refusals",
    "RunningServer",
    "Server",
    "make_server",
    "serve_forever",
    "serve_in_thread",
    "serve_worker",
]

log = logging.getLogger(__name__)

BACKLOG = 1024
_PLAIN_HTTP = b"This server speaks HTTPS only, with a client certificate (mutual TLS).\n"
_PLAIN_HTTP_ANSWER = (b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                      b"Content-Length: %d\r\n\r\n%s" % (len(_PLAIN_HTTP), _PLAIN_HTTP))
_BUSY = ("The service is busy with other large messages; this one was not read and nothing was stored. "
         "Retry later with the same MessageID.")

Answer = tuple[str, list[tuple[str, str]], bytes]


class MutualTls:
    """The server's TLS context, which CRL refreshes replace, and the checks of kept-alive peers.

    ``crls.refresh_once()`` runs once here: a server without a valid CRL does not start.
    """

    def __init__(self, settings: Settings, trust: TrustStore | None = None) -> None:
        self._settings = settings
        self.context: ssl.SSLContext | None = None
        store = trust or TrustStore.from_files(settings.trust_bundle_path, ())
        self.crls = CrlRefresher(store, files=settings.crl_paths, urls=settings.crl_urls, on_change=self.install)
        first = self.crls.refresh_once()
        if self.context is None:
            reasons = "; ".join(f"{source}: {reason}" for source, reason in first.refused) or "none configured"
            raise ValueError(f"mutual TLS needs a valid CRL of every client-issuing CA (WT004); none could "
                             f"be installed ({reasons})")

    def install(self, crls: tuple[x509.CertificateRevocationList, ...]) -> None:
        """Build a context with these CRLs; handshakes from now on use it."""
        settings = self._settings
        self.context = server_ssl_context(cert=settings.server_cert_path, key=settings.server_key_path,
                                          client_trust_bundle=settings.trust_bundle_path, crls=crls)

    def peer(self, address: tuple[str, int], tls: ssl.SSLObject) -> Peer:
        der = tls.getpeercert(binary_form=True) or b""
        cipher = tls.cipher()
        return Peer(address, der, ssl.DER_cert_to_PEM_cert(der) if der else "", tls.version() or "",
                    cipher[0] if cipher else "", checked_under=tls.context)

    def still_trusted(self, peer: Peer) -> bool:
        """After a CRL refresh: False when the new CRLs list the peer's certificate."""
        context = self.context
        if peer.checked_under is context:
            return True
        if peer.certificate_der and self.crls.revokes(x509.load_der_x509_certificate(peer.certificate_der)):
            return False
        peer.checked_under = context
        return True


STOCK = 128
"""Signed refusals (fault 0051) each signed endpoint keeps ready; see :class:`Refusals`."""
STOCK_AGE = 60.0
"""Seconds a ready refusal may wait; an older one is made anew (its Timestamp stays fresh)."""
RESTOCK_EVERY = 0.5
RESTOCK_MOST = 64
"""Refusals made at most per restock: the stock fills in seconds without hogging the process."""


class Refusals:
    """The answers to requests refused for want of capacity: fault 0051, HTTP 503 with
    ``Retry-After``, signed on a signed endpoint; plain text off the SOAP endpoints.

    Refusals come in floods (hundreds of large messages at once), when the process is busiest.
    Signing one costs about a millisecond of CPU, but under the GIL, next to the threads that
    process the admitted messages, making hundreds of them one after another slowed every other
    request for seconds (benchmarks/availability.py). So each signed endpoint keeps a stock of
    refusals signed ahead in quiet moments, each with its own MessageID and Timestamp, and a
    refusal takes one; an empty stock, or a refusal older than ``STOCK_AGE``, is signed on the spot.
    Both :meth:`answer` and :meth:`restock` run on the one refusals thread.
    """

    def __init__(self, app: Callable[..., Any], settings: Settings, *, stock: int = STOCK,
                 clock: Callable[[], float] = time.monotonic) -> None:
        from ketencore.wsse import MessageSigner

        endpoints = getattr(app, "endpoints", {})
        self._endpoints = endpoints
        self._signer = MessageSigner.from_pem(settings.server_key_path.read_bytes(),
                                              settings.server_cert_path.read_bytes())
        self._ready: dict[str, deque[tuple[float, Answer]]] = {
            path: deque() for path, endpoint in endpoints.items() if endpoint.profile.signed}
        self._stock = stock
        self._clock = clock
        self._last_refusal = -STOCK_AGE

    def answer(self, path: str) -> Answer:
        path = path.rstrip("/")
        now = self._last_refusal = self._clock()
        ready = self._ready.get(path)
        while ready:
            made, answer = ready.popleft()
            if now - made < STOCK_AGE:
                return answer
        return self._make(path)

    def restock(self, most: int = RESTOCK_MOST) -> int:
        """Sign up to ``most`` refusals ahead, unless refusals are being given right now; how many."""
        now = self._clock()
        if now - self._last_refusal < RESTOCK_EVERY * 2:
            return 0
        made = 0
        for path, ready in self._ready.items():
            while ready and now - ready[0][0] >= STOCK_AGE - 5:
                ready.popleft()
            while len(ready) < self._stock and made < most:
                ready.append((self._clock(), self._make(path)))
                made += 1
        return made

    def _make(self, path: str) -> Answer:
        from ketencore.envelope import write_reply
        from ketencore.faults import fault_body, fault_for

        headers = [("Retry-After", "1")]
        endpoint = self._endpoints.get(path)
        if endpoint is None:
            return "503 Service Unavailable", [*headers, ("Content-Type", "text/plain; charset=utf-8")], (
                _BUSY.encode() + b"\n")
        signer = (endpoint.signer or self._signer) if endpoint.profile.signed else None
        body = write_reply(fault_body(fault_for(KetenError("0051", _BUSY))), action=None, relates_to=None,
                           signer=signer, now=datetime.now(UTC), profile=endpoint.profile)
        return "503 Service Unavailable", [*headers, ("Content-Type", "text/xml; charset=utf-8")], body


def _listen(host: str, port: int, reuse_port: bool) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                         flags=socket.AI_PASSIVE)[0]
    listener = socket.socket(family, kind, proto)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listener.bind(address)
        listener.listen(BACKLOG)
        listener.setblocking(False)
    except OSError:
        listener.close()
        raise
    return listener


async def _readable(sock: socket.socket, timeout: float) -> bool:
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(sock.fileno(), wake)
    try:
        async with asyncio.timeout(timeout):
            await ready
        return True
    except TimeoutError:
        return False
    finally:
        loop.remove_reader(sock.fileno())


def _tell_plain_http(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.recv(PIECE)  # what came, so that the close does not reset the connection before it is read
        sock.send(_PLAIN_HTTP_ANSWER)
        sock.shutdown(socket.SHUT_WR)


class Server:
    """The listening socket (bound at once, so the port is known) and the event loop serving it."""

    def __init__(self, settings: Settings, app: Callable[..., Any], *, port: int | None = None,
                 reuse_port: bool = False, trust: TrustStore | None = None) -> None:
        self.settings = settings
        self.app = app
        self.tls = MutualTls(settings, trust)
        self.refusals = Refusals(app, settings)
        self.socket = _listen(settings.host, settings.port if port is None else port, reuse_port)
        self.port = int(self.socket.getsockname()[1])
        self.reuse_port = reuse_port
        self.started = threading.Event()
        self.terminated = False
        """Whether SIGTERM or SIGINT stopped it."""
        self.draining = False
        """Stopping: no longer accepting, the requests in flight finishing."""
        self.second_signal_exits = True
        """Whether a second SIGTERM or SIGINT exits at once. A supervisor's worker leaves that to the
        supervisor: it may get SIGTERM twice for one stop (from the supervisor, and from systemd when
        its KillMode sends the signal to every process of the unit)."""
        self._grace = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._draining = asyncio.Event()
        self._connections: dict[asyncio.Task[None], DrainableConnection] = {}

    def run(self, *, handle_signals: bool = False, on_started: Callable[[], object] | None = None) -> None:
        """Serve on this thread until :meth:`stop` (or SIGTERM or SIGINT, with ``handle_signals``);
        ``on_started`` is called once it accepts connections."""
        asyncio.run(self.serve(handle_signals=handle_signals, on_started=on_started))

    def stop(self, grace: float = 0.0) -> None:
        """From any thread: stop accepting, let the requests in flight finish for up to ``grace``
        seconds (kept-alive connections end between requests), then end the connections; the
        requests still running on a thread finish, their answers are not sent."""
        self._grace = grace
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has ended already
                self._loop.call_soon_threadsafe(self._stop.set)

    def _terminate(self, signum: int) -> None:
        name = signal.Signals(signum).name
        if self.terminated:
            if not self.second_signal_exits:
                return
            log.warning("second %s: stopping at once", name)
            logging.shutdown()
            os._exit(128 + signum)
        self.terminated = True
        self._grace = self.settings.shutdown_grace_seconds
        log.info("%s: stopping; the requests in flight have %g s to finish", name, self._grace)
        assert self._stop is not None
        self._stop.set()

    async def serve(self, *, handle_signals: bool = False, on_started: Callable[[], object] | None = None) -> None:
        loop = self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._draining = asyncio.Event()
        settings = self.settings
        executor = ThreadPoolExecutor(settings.threads, thread_name_prefix="ketenserver-request")
        services = Services(settings, self.app, executor, Admission(settings), self.refusals.answer,
                            self.tls.still_trusted, self.port, self.reuse_port)
        if handle_signals:
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, self._terminate, signum)
        loop.add_reader(self.socket.fileno(), self._accept, services)
        restocking = loop.create_task(self._restock(services.admission.refusals))
        self.started.set()
        if on_started is not None:
            on_started()
        try:
            await self._stop.wait()
        finally:
            restocking.cancel()
            with contextlib.suppress(ValueError, OSError):
                loop.remove_reader(self.socket.fileno())
            self.socket.close()
            if self._grace > 0:
                await self._drain(services)
            for task in list(services.tasks):
                task.cancel()
            if services.tasks:
                await asyncio.wait(list(services.tasks), timeout=5)
            admission = services.admission
            for pool in (executor, admission.executor, admission.refusals):  # the running requests finish
                await loop.run_in_executor(None, pool.shutdown)

    async def _drain(self, services: Services) -> None:
        """Wait, at most ``_grace`` seconds, for the connections in flight; idle ones end at once."""
        self.draining = True
        self._draining.set()
        idle = [task for task, connection in self._connections.items() if connection.between_requests]
        for task in idle:
            task.cancel()
        if not services.tasks:
            return
        if len(services.tasks) > len(idle):
            log.info("waiting for %d connection(s) in flight, at most %g s", len(services.tasks) - len(idle),
                     self._grace)
        _, late = await asyncio.wait(list(services.tasks), timeout=self._grace)
        if late:
            log.warning("%d connection(s) still in flight after %g s: cut off", len(late), self._grace)

    async def _restock(self, refusals: ThreadPoolExecutor) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(RESTOCK_EVERY)
            try:
                await loop.run_in_executor(refusals, self.refusals.restock)
            except RuntimeError:  # the pool shut down: the server stops
                return

    def _accept(self, services: Services) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(BACKLOG):
            try:
                sock, address = self.socket.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:  # e.g. out of file descriptors: try again shortly
                log.warning("accepting a connection failed: %s", error)
                loop.remove_reader(self.socket.fileno())
                loop.call_later(0.1, loop.add_reader, self.socket.fileno(), self._accept, services)
                return
            sock.setblocking(False)
            task = loop.create_task(self._connection(sock, address, services))
            services.tasks.add(task)
            task.add_done_callback(services.tasks.discard)

    async def _connection(self, sock: socket.socket, address: Any, services: Services) -> None:
        loop = asyncio.get_running_loop()
        given_up = loop.time() + self.settings.handshake_timeout
        owned = False  # once the transport has the socket, it closes it
        try:
            if not await _readable(sock, self.settings.handshake_timeout):
                return
            first = sock.recv(1, socket.MSG_PEEK)
            if first != b"\x16":  # not a TLS handshake record
                if first.isalpha():
                    _tell_plain_http(sock)
                return
            reader = asyncio.StreamReader(limit=PIECE)
            protocol = asyncio.StreamReaderProtocol(reader)
            context = self.tls.context
            assert context is not None
            owned = True
            try:
                transport, _ = await loop.connect_accepted_socket(
                    lambda: protocol, sock, ssl=context, ssl_handshake_timeout=max(0.01, given_up - loop.time()),
                    ssl_shutdown_timeout=LINGER)
            except (OSError, ssl.SSLError) as error:  # ConnectionAbortedError when it took too long
                reason = getattr(error, "verify_message", None) or getattr(error, "reason", None) or str(error)
                log.info("TLS handshake with %s refused or failed: %s", address[0], reason)
                return
            writer = asyncio.StreamWriter(transport, protocol, reader, loop)
            peer = self.tls.peer(address, transport.get_extra_info("ssl_object"))
            connection = DrainableConnection(services, reader, writer, peer, self._draining)
            task = asyncio.current_task()
            assert task is not None
            self._connections[task] = connection
            try:
                await connection.serve()
            finally:
                del self._connections[task]
        except OSError as error:
            log.info("connection with %s failed: %s", address[0], error)
        except Exception:
            log.exception("connection with %s failed", address[0])
        finally:
            if not owned:
                sock.close()


def make_server(settings: Settings, app: Callable[..., Any], *, port: int | None = None,
                reuse_port: bool = False, trust: TrustStore | None = None) -> Server:
    """A server over mutual TLS; ``trust`` is the store whose CRLs the refreshes replace too."""
    return Server(settings, app, port=port, reuse_port=reuse_port, trust=trust)


def _trust_of(app: Callable[..., Any]) -> TrustStore | None:
    from ketenserver.app import KetenApp

    return app.background_context.trust if isinstance(app, KetenApp) else None


def _crl_runner(settings: Settings, server: Server) -> BackgroundRunner | None:
    if settings.crl_refresh_interval <= 0:
        return None
    runner = BackgroundRunner(server.tls.crls.refresh_once, settings.crl_refresh_interval, "crl-refresh")
    runner.start()
    return runner


@dataclass
class RunningServer:
    """A server on a background thread (tests, the benchmark)."""

    server: Server
    thread: threading.Thread
    crl_runner: BackgroundRunner | None = None

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def app(self) -> Callable[..., Any]:
        return self.server.app

    @property
    def crls(self) -> CrlRefresher:
        """The server's CRL refresher (``refresh_once()`` applies a new CRL now)."""
        return self.server.tls.crls

    def stop(self) -> None:
        if self.crl_runner is not None:
            self.crl_runner.stop()
        self.server.stop()
        self.thread.join(timeout=10)


def serve_in_thread(settings: Settings, app: Callable[..., Any], *, port: int = 0) -> RunningServer:
    server = make_server(settings, app, port=port, trust=_trust_of(app))
    thread = threading.Thread(target=server.run, name="ketenserver", daemon=True)
    thread.start()
    server.started.wait(10)
    return RunningServer(server, thread, _crl_runner(settings, server))


def _interrupt(*_: object) -> None:
    """SIGTERM stops a server like Ctrl+C (benchmarks/secure_pipeline.py's baseline uses it too)."""
    raise KeyboardInterrupt


def serve_worker(settings: Settings, *, reuse_port: bool = False, report: Report | None = None) -> int:
    """Serve in this process until SIGTERM or SIGINT, then stop in order; the exit code (0).

    ``report`` is the supervisor's channel when this is one of its workers; without one this
    process is the whole server, and answers on ``health_port`` itself when that is set."""
    from ketenserver.app import create_app
    from ketenserver.health import DatabaseProbe, HealthServer, ServerReadiness, ping
    from ketenserver.logs import configure_logging

    configure_logging(settings.log_format, settings.log_level)
    with contextlib.ExitStack() as running:  # undone in reverse: background jobs, then the app
        readiness = ServerReadiness()
        if report is None and settings.health_port:
            try:
                health = HealthServer(settings.host, settings.health_port, readiness)
            except OSError as error:  # the command reports it as a bad setting
                raise ValueError(f"cannot open the health port {settings.host}:{settings.health_port}: "
                                 f"{error}") from error
            running.callback(health.stop)
            health.start()
        app = create_app(settings)
        running.callback(app.close)  # stops the background jobs after their current pass
        server = make_server(settings, app, reuse_port=reuse_port, trust=app.background_context.trust)
        readiness.server = server
        server.second_signal_exits = report is None
        app.start_background()
        crl_runner = _crl_runner(settings, server)
        if crl_runner is not None:
            running.callback(crl_runner.stop)
        if settings.health_port:
            probe = readiness.probe = DatabaseProbe(partial(ping, app.engine),
                                                    report=report.database if report is not None else None)
            running.callback(probe.stop)
            probe.start()
        server.run(handle_signals=True, on_started=report.serving if report is not None else None)
        log.info("connections drained; stopping the background jobs")
    return 0


def serve_forever(settings: Settings) -> int:
    """Serve until stopped; the exit code.

    ``workers = 1``, asked for explicitly, serves in this process. Otherwise (the default of one per
    core included, also on a single core) this process becomes the workers' supervisor and does not
    return: it replaces itself (``exec``, the same process id) by :mod:`ketenserver.supervisor`,
    which imports no app and replaces a worker that dies."""
    if settings.workers == 1:
        return serve_worker(settings)
    from ketenserver.supervisor import exec_supervisor

    exec_supervisor(settings)
