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
process keep the GIL from eating the CPU.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
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
from typing import Any

from cryptography import x509

from ketencore.crls import CrlRefresher
from ketencore.errors import KetenError
from ketencore.trust import TrustStore, server_ssl_context
from ketenserver.background import BackgroundRunner
from ketenserver.front import HEADER_LIMIT, LINGER, PIECE, Admission, Connection, Peer, Services
from ketenserver.settings import Settings

__all__ = [
    "HEADER_LIMIT",
    "MutualTls",
    "Refusals",
    "RunningServer",
    "Server",
    "make_server",
    "serve_forever",
    "serve_in_thread",
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
        body = write_reply(fault_body(fault_for(KetenError("0051", _BUSY))), action=None, relates_to=None,
                           signer=self._signer if endpoint.profile.signed else None, now=datetime.now(UTC),
                           profile=endpoint.profile)
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
        """Whether SIGTERM stopped it."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    def run(self, *, handle_signals: bool = False) -> None:
        """Serve on this thread until :meth:`stop` (or SIGTERM, with ``handle_signals``)."""
        asyncio.run(self.serve(handle_signals=handle_signals))

    def stop(self) -> None:
        """From any thread: stop accepting, end the connections, let the running requests finish."""
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has ended already
                self._loop.call_soon_threadsafe(self._stop.set)

    def _terminate(self) -> None:
        self.terminated = True
        assert self._stop is not None
        self._stop.set()

    async def serve(self, *, handle_signals: bool = False) -> None:
        loop = self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        settings = self.settings
        executor = ThreadPoolExecutor(settings.threads, thread_name_prefix="ketenserver-request")
        services = Services(settings, self.app, executor, Admission(settings), self.refusals.answer,
                            self.tls.still_trusted, self.port, self.reuse_port)
        if handle_signals:
            loop.add_signal_handler(signal.SIGTERM, self._terminate)
        loop.add_reader(self.socket.fileno(), self._accept, services)
        restocking = loop.create_task(self._restock(services.admission.refusals))
        self.started.set()
        try:
            await self._stop.wait()
        finally:
            restocking.cancel()
            with contextlib.suppress(ValueError, OSError):
                loop.remove_reader(self.socket.fileno())
            self.socket.close()
            for task in list(services.tasks):
                task.cancel()
            if services.tasks:
                await asyncio.wait(list(services.tasks), timeout=5)
            admission = services.admission
            for pool in (executor, admission.executor, admission.refusals):  # the running requests finish
                await loop.run_in_executor(None, pool.shutdown)

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
            await Connection(services, reader, writer, peer).serve()
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


def _serve_worker(settings: Settings, reuse_port: bool) -> None:
    from ketenserver.app import create_app
    from ketenserver.logs import configure_logging

    configure_logging(settings.log_format, settings.log_level)
    app = create_app(settings)
    server = make_server(settings, app, reuse_port=reuse_port, trust=app.background_context.trust)
    app.start_background()
    crl_runner = _crl_runner(settings, server)
    alone = multiprocessing.parent_process() is None
    try:
        server.run(handle_signals=True)
        if server.terminated and alone:
            raise KeyboardInterrupt  # the only process: the command reports the interruption
    except KeyboardInterrupt:
        if alone:
            raise
        # A worker stopped by its parent: a clean stop, not a traceback on stderr.
    finally:
        if crl_runner is not None:
            crl_runner.stop()
        app.close()


def serve_forever(settings: Settings) -> None:
    """Serve in this process, or in one process per worker sharing the port (SO_REUSEPORT)."""
    workers = settings.worker_count
    if workers == 1:
        _serve_worker(settings, reuse_port=False)
        return
    signal.signal(signal.SIGTERM, _interrupt)
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_serve_worker, args=(settings, True), name=f"ketenserver-{i}")
                 for i in range(workers)]
    for process in processes:
        process.start()
    try:
        for process in processes:
            process.join()
    except KeyboardInterrupt:
        for process in processes:
            process.terminate()
        for process in processes:
            process.join()
