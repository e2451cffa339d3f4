"""Serving over mutual TLS with cheroot (a maintained, threaded WSGI server).

The TLS context comes from :func:`ketenserver.trust.server_ssl_context`: TLS 1.2 or newer, a
client certificate required and chained to the trust bundle, CRLs checked. A client without a
certificate, or with one from another CA, an expired or a revoked one, fails the handshake and
never reaches the application. :class:`ketenserver.crls.CrlRefresher` keeps the CRLs current:
a change installs a new context for the next handshakes, and a kept-alive connection whose
certificate the new CRLs list is closed before its next request.

What a slow or lying client can hold, beyond cheroot's defaults:

- the TLS handshake runs on a worker thread once the client's first bytes have arrived, not in
  cheroot's accept loop, where one silent connection would stall every new client for the
  socket timeout; a connection that never speaks costs a file descriptor until it expires;
- a request (with the handshake of a new connection) must arrive within
  ``request_read_timeout``: every socket read waits at most until that deadline, so a slow
  body gets fault 0001 and slow headers HTTP 408, whatever the pace of the drip;
- headers are capped at 64 KiB and no single read of a body exceeds ``max_request_bytes``, so a
  chunk size of a terabyte is refused, never allocated;
- a request whose body was refused before it was read to the end closes its connection after
  the answer instead of reading the rest, after reading and dropping for at most two seconds
  what the client still sends (closing on unread data resets the connection, and the client
  would lose the answer).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import multiprocessing
import selectors
import signal
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cheroot import errors as cheroot_errors
from cheroot import wsgi
from cheroot.makefile import StreamReader, StreamWriter
from cheroot.server import ChunkedRFile, HTTPConnection, HTTPRequest, KnownLengthRFile
from cheroot.ssl.builtin import BuiltinSSLAdapter
from cryptography import x509

from ketenserver.background import BackgroundRunner
from ketenserver.crls import CrlRefresher
from ketenserver.settings import Settings
from ketenserver.trust import TrustStore, server_ssl_context

log = logging.getLogger(__name__)

HEADER_LIMIT = 64 * 1024
"""Bytes of request line and headers; more gets HTTP 413 from cheroot."""
_PIECE = 64 * 1024  # the largest buffer one socket read allocates
_LINGER = 2.0  # seconds to drop what a refused client still sends before closing
_PLAIN_HTTP = b"This server speaks HTTPS only, with a client certificate (mutual TLS).\n"
_PLAIN_HTTP_ANSWER = (b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                      b"Content-Length: %d\r\n\r\n%s" % (len(_PLAIN_HTTP), _PLAIN_HTTP))


class _DeadlineSocketIO(socket.SocketIO):
    """A socket's reads, none waiting past ``deadline`` (a :func:`time.monotonic` value)."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(sock, "rb")
        self._socket = sock
        self.deadline: float | None = None

    def readinto(self, buffer: Any) -> int | None:
        if self.deadline is None:
            return super().readinto(buffer)
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("timed out")  # the words cheroot answers with 408 Request Timeout
        base = self._socket.gettimeout()
        self._socket.settimeout(remaining if base is None else min(base, remaining))
        try:
            return super().readinto(buffer)
        finally:
            self._socket.settimeout(base)


class _RequestReader(StreamReader):
    """cheroot's buffered socket reader, with the deadline and bounded reads."""

    def __init__(self, sock: socket.socket, bufsize: int, largest_read: int) -> None:
        self.deadline_io = _DeadlineSocketIO(sock)
        # StreamReader's own __init__ would wrap the socket in a plain SocketIO.
        super(StreamReader, self).__init__(self.deadline_io, bufsize)
        self.bytes_read = 0
        self._largest = largest_read

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0 or size > self._largest:
            # e.g. a chunk size beyond the limit: the body is too large whatever follows
            raise OSError(errno.EMSGSIZE, "a request body read beyond the size limit")
        pieces = []
        while size > 0:
            piece: bytes = super().read(min(size, _PIECE))  # not one buffer of the full size
            if not piece:
                break
            pieces.append(piece)
            size -= len(piece)
        return b"".join(pieces)


class _ResponseWriter(StreamWriter):
    def write(self, data: Any, /) -> int:
        try:
            return int(super().write(data))
        except (ssl.SSLEOFError, ssl.SSLZeroReturnError) as error:
            # The client ended the TLS stream (e.g. mid-body, without close_notify): nothing can
            # reach it any more. cheroot drops a connection quietly on this error instead of
            # logging two tracebacks for it.
            raise cheroot_errors.FatalSSLAlert(*error.args) from error


class MutualTlsAdapter(BuiltinSSLAdapter):
    """cheroot's TLS adapter: handshakes on worker threads, a context that CRL refreshes replace.

    ``crls.refresh_once()`` runs once here: a server without a valid CRL does not start.
    """

    def __init__(self, settings: Settings, trust: TrustStore | None = None) -> None:
        super().__init__(str(settings.server_cert_path), str(settings.server_key_path))
        self._settings = settings
        self.read_timeout = settings.request_read_timeout
        self.largest_read = settings.max_request_bytes + 1
        self._require_client_certificates = False
        store = trust or TrustStore.from_files(settings.trust_bundle_path, ())
        self.crls = CrlRefresher(store, files=settings.crl_paths, urls=settings.crl_urls,
                                 on_change=self.install)
        first = self.crls.refresh_once()
        if not self._require_client_certificates:
            reasons = "; ".join(f"{source}: {reason}" for source, reason in first.refused) or "none configured"
            raise ValueError(f"mutual TLS needs a valid CRL of every client-issuing CA (WT004); none could "
                             f"be installed ({reasons})")

    def install(self, crls: tuple[x509.CertificateRevocationList, ...]) -> None:
        """Build a context with these CRLs; handshakes from now on use it."""
        settings = self._settings
        self.context = server_ssl_context(
            cert=settings.server_cert_path, key=settings.server_key_path,
            client_trust_bundle=settings.trust_bundle_path, crls=crls,
        )
        self._require_client_certificates = True

    def wrap(self, sock: socket.socket) -> tuple[ssl.SSLSocket, dict[str, Any]]:
        # cheroot calls this in its accept loop: the handshake waits for the worker thread
        # (_Connection.communicate), which also fills in the TLS environment.
        try:
            wrapped = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        except OSError as error:
            raise cheroot_errors.FatalSSLAlert(*error.args) from error
        return wrapped, {}

    def makefile(self, sock: socket.socket, mode: str = "r", bufsize: int = 8192) -> Any:
        if "r" in mode:
            return _RequestReader(sock, bufsize, self.largest_read)
        return _ResponseWriter(sock, mode, bufsize)


class _Request(HTTPRequest):
    def send_headers(self) -> None:
        body = self.rfile
        unread = (isinstance(body, KnownLengthRFile) and body.remaining != 0) or (
            isinstance(body, ChunkedRFile) and not body.closed)
        if unread:
            # Refused before the end of the body (too large, too slow, ...): close after the
            # answer rather than read the rest, which cheroot would otherwise wait for.
            self.close_connection = True
            self.conn.drop_unread = True
        super().send_headers()


def _readable(sock: socket.socket) -> bool:
    with selectors.DefaultSelector() as selector:
        selector.register(sock, selectors.EVENT_READ)
        return bool(selector.select(0))


class _Connection(HTTPConnection):
    RequestHandlerClass = _Request

    def __init__(self, server: Any, sock: ssl.SSLSocket, makefile: Any) -> None:
        super().__init__(server, sock, makefile)
        self.checked_under: ssl.SSLContext | None = None
        """The context whose CRLs this connection's certificate was last checked against."""
        self.drop_unread = False

    def communicate(self) -> bool:
        adapter: MutualTlsAdapter = self.server.ssl_adapter
        reader: _RequestReader = self.rfile
        if self.checked_under is None:
            if not _readable(self.socket):
                return True  # wait in cheroot's selector for the client's first bytes
            reader.deadline_io.deadline = time.monotonic() + adapter.read_timeout
            if not self._handshake(adapter):
                return False
        else:
            reader.deadline_io.deadline = time.monotonic() + adapter.read_timeout
        if self.checked_under is not adapter.context and not self._still_trusted(adapter):
            return False  # new CRLs since the handshake, and they list this client
        return bool(super().communicate())

    def _handshake(self, adapter: MutualTlsAdapter) -> bool:
        tls: ssl.SSLSocket = self.socket
        base = tls.gettimeout()
        remaining = max(0.001, self.rfile.deadline_io.deadline - time.monotonic())
        tls.settimeout(remaining if base is None else min(base, remaining))  # bounds the whole handshake
        try:
            tls.do_handshake()
        except (ssl.SSLError, OSError) as error:
            reason = getattr(error, "verify_message", None) or getattr(error, "reason", None) or str(error)
            log.info("TLS handshake with %s refused or failed: %s", self.remote_addr, reason)
            if reason == "HTTP_REQUEST":  # plain HTTP on this port: say so, in plain HTTP
                with contextlib.suppress(OSError):
                    socket.socket.sendall(tls, _PLAIN_HTTP_ANSWER)
            return False
        finally:
            tls.settimeout(base)
        self.ssl_env = adapter.get_environ(tls)
        self.checked_under = tls.context
        return True

    def _still_trusted(self, adapter: MutualTlsAdapter) -> bool:
        """After a CRL refresh: refuse the next request when the new CRLs list the client."""
        der = self.socket.getpeercert(binary_form=True)
        if der and adapter.crls.revokes(x509.load_der_x509_certificate(der)):
            log.warning("closing the connection of %s: its certificate is revoked now", self.remote_addr)
            return False
        self.checked_under = adapter.context
        return True

    def close(self) -> None:
        if self.drop_unread:
            self.drop_unread = False
            self._drop_rest()
        super().close()

    def _drop_rest(self) -> None:
        """Read and drop what the client still sends: at most ``_LINGER`` seconds, and not past
        its request's deadline (a client refused for being slow gets nothing more)."""
        reader: _RequestReader = self.rfile
        deadline = reader.deadline_io.deadline
        reader.deadline_io.deadline = min(time.monotonic() + _LINGER, deadline or float("inf"))
        try:
            while reader.read(_PIECE):
                pass
        except (OSError, ValueError):  # the deadline, a reset, an already timed-out socket
            pass


def make_server(settings: Settings, app: Callable[..., Any], *, port: int | None = None,
                reuse_port: bool = False, trust: TrustStore | None = None) -> wsgi.Server:
    """A cheroot server over mutual TLS; ``trust`` is the store whose CRLs the refreshes replace too."""
    server = wsgi.Server(
        (settings.host, settings.port if port is None else port), app,
        numthreads=settings.threads, server_name="ketenserver", reuse_port=reuse_port,
        timeout=settings.socket_timeout, shutdown_timeout=2,
    )
    # Our pipeline refuses oversized messages itself (fault 0101) from Content-Length, unread;
    # a cheroot limit would answer with a bare HTTP 413 instead of a SOAP fault.
    server.max_request_body_size = 0
    server.max_request_header_size = HEADER_LIMIT
    server.ConnectionClass = _Connection
    server.ssl_adapter = MutualTlsAdapter(settings, trust)
    return server


def _trust_of(app: Callable[..., Any]) -> TrustStore | None:
    from ketenserver.app import KetenApp

    return app.background_context.trust if isinstance(app, KetenApp) else None


def _crl_runner(settings: Settings, server: wsgi.Server) -> BackgroundRunner | None:
    if settings.crl_refresh_interval <= 0:
        return None
    runner = BackgroundRunner(server.ssl_adapter.crls.refresh_once, settings.crl_refresh_interval, "crl-refresh")
    runner.start()
    return runner


@dataclass
class RunningServer:
    """A server on a background thread (tests, the benchmark)."""

    server: wsgi.Server
    thread: threading.Thread
    crl_runner: BackgroundRunner | None = None

    @property
    def port(self) -> int:
        return int(self.server.bind_addr[1])

    @property
    def crls(self) -> CrlRefresher:
        """The server's CRL refresher (``refresh_once()`` applies a new CRL now)."""
        adapter: MutualTlsAdapter = self.server.ssl_adapter
        return adapter.crls

    def stop(self) -> None:
        if self.crl_runner is not None:
            self.crl_runner.stop()
        self.server.stop()
        self.thread.join(timeout=10)


def serve_in_thread(settings: Settings, app: Callable[..., Any], *, port: int = 0) -> RunningServer:
    server = make_server(settings, app, port=port, trust=_trust_of(app))
    server.prepare()
    thread = threading.Thread(target=server.serve, name="ketenserver", daemon=True)
    thread.start()
    return RunningServer(server, thread, _crl_runner(settings, server))


def _interrupt(*_: object) -> None:
    """SIGTERM stops a server like Ctrl+C: cheroot's safe_start then shuts down cleanly."""
    raise KeyboardInterrupt


def _serve_worker(settings: Settings, reuse_port: bool) -> None:
    from ketenserver.app import create_app
    from ketenserver.logs import configure_logging

    configure_logging(settings.log_format, settings.log_level)
    app = create_app(settings)
    server = make_server(settings, app, reuse_port=reuse_port, trust=app.background_context.trust)
    signal.signal(signal.SIGTERM, _interrupt)
    app.start_background()
    crl_runner = _crl_runner(settings, server)
    try:
        server.safe_start()
    except KeyboardInterrupt:
        if multiprocessing.parent_process() is None:
            raise  # the only process: the command reports the interruption
        # A worker stopped by SIGTERM from its parent: a clean stop, not a traceback on stderr.
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
