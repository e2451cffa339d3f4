"""One mutual-TLS connection on the event loop: requests read in full, then the WSGI app on a thread.

A request's head and body are read here, asynchronously, within the request's deadline and the
size limits; only a complete request (or one refused while it was read) goes to a request thread,
as a WSGI environ whose ``wsgi.input`` holds the body in memory. A slow client therefore waits on
the event loop and never on a thread. When the body could not be read to its end the stream
raises, after the bytes that came, what the pipeline turns into its fault: ``TimeoutError``
(0001, too slow), ``ValueError`` (0001, malformed chunked coding), ``OSError(EMSGSIZE)`` (0101).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import io
import logging
import ssl
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

import h11

from ketenserver.settings import Settings

log = logging.getLogger("ketenserver.server")

HEADER_LIMIT = 64 * 1024
"""Bytes of request line and headers (h11's ``max_incomplete_event_size``); more gets HTTP 431."""
PIECE = 64 * 1024  # the largest read from the TLS stream
_FEED = 1024  # the pieces in which h11 gets a request head
_UNREADABLE = {
    400: "The request is not valid HTTP/1.1 (its request line, a header field or its framing).",
    431: f"The request head exceeds {HEADER_LIMIT} bytes.",
    501: "Only the chunked transfer coding is implemented.",
}
LINGER = 2.0  # seconds to drop what a refused client still sends before closing


class Admission:
    """How many bytes of large bodies a process reads and processes at once (its share of
    ``large_body_budget``).

    A body larger than ``large_request_bytes`` must fit in the budget when its head arrives, or it
    is refused at once, unread (fault 0051); it holds its share until its answer is written. Large
    requests run on threads of their own (``large_request_threads``), so small ones never queue
    behind them, and the memory a large message leaves in its thread's malloc arena stays with a
    few threads instead of spreading over all.
    """

    def __init__(self, settings: Settings) -> None:
        self.threshold = settings.large_request_bytes
        # The budget and the threads are the server's, shared by its processes (one per core by
        # default): each process takes its share, never less than one largest message.
        processes = settings.worker_count
        self.budget = max(settings.large_body_budget // processes, settings.max_request_bytes)
        self.in_flight = 0
        self.executor = ThreadPoolExecutor(max(1, settings.large_request_threads // processes),
                                           thread_name_prefix="ketenserver-large")
        self.refusals = ThreadPoolExecutor(1, thread_name_prefix="ketenserver-refusal")
        """Signs the 0051 faults: a flood of refusals must not queue before small requests."""

    def take(self, size: int) -> bool:
        if self.in_flight + size > self.budget:
            return False
        self.in_flight += size
        return True

    def give_back(self, size: int) -> None:
        self.in_flight -= size


@dataclass
class Peer:
    """What the connection's TLS session says, for the environ."""

    address: tuple[str, int]
    certificate_der: bytes
    certificate_pem: str
    protocol: str
    cipher: str
    checked_under: object = None
    """The TLS context whose CRLs the certificate was last checked against."""


@dataclass
class Services:
    """What every connection of a process shares (the server builds it once)."""

    settings: Settings
    app: Callable[..., Iterable[bytes]]
    executor: Executor
    admission: Admission
    busy: Callable[[str], tuple[str, list[tuple[str, str]], bytes]]
    """The answer to a large request refused for want of budget (fault 0051), by request path."""
    still_trusted: Callable[[Peer], bool]
    """Called before each request: False closes the connection (its certificate is revoked now)."""
    port: int
    multiprocess: bool
    tasks: set[asyncio.Task[None]] = field(default_factory=set)


class _Body(io.RawIOBase):
    """The body read so far; past its end, the reason it stopped short (if it did)."""

    def __init__(self, data: bytes, error: BaseException | None) -> None:
        self._data = io.BytesIO(data)
        self._error = error

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        piece = self._data.read(size)
        if not piece and self._error is not None and size != 0:
            raise self._error
        return piece

    def readinto(self, buffer: Any) -> int:
        piece = self.read(len(buffer))
        buffer[:len(piece)] = piece
        return len(piece)


def _call_app(app: Callable[..., Iterable[bytes]], environ: dict[str, Any]
              ) -> tuple[str, list[tuple[str, str]], bytes]:
    """On a request thread: the WSGI call, its answer collected in full."""
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., None]:
        started[:] = [status, headers]
        return lambda data: None

    try:
        result = app(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
    except Exception:
        log.exception("the application failed on %s", environ.get("PATH_INFO"))
        return "500 Internal Server Error", [("Content-Type", "text/plain; charset=utf-8")], b"Internal error.\n"
    return started[0], started[1], body


class Connection:
    """Requests on one established TLS connection, one after another (keep-alive).

    HTTP/1.1 itself is h11's (python-hyper's protocol engine, as in uvicorn and httpcore): it
    parses the head and the framing, bounds the head (``HEADER_LIMIT``), decodes chunked bodies,
    tracks keep-alive and writes the answers. This class only moves bytes between the TLS stream,
    h11 and the request threads, under the deadlines and the large-body budget.
    """

    def __init__(self, services: Services, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 peer: Peer) -> None:
        self.services = services
        self.reader = reader
        self.writer = writer
        self.peer = peer
        self.http = h11.Connection(h11.SERVER, max_incomplete_event_size=HEADER_LIMIT - _FEED)
        self.pending = bytearray()
        """Read from the stream, not yet given to h11."""
        self.held = 0
        """Bytes of the large-body budget the current request holds."""
        self.loop = asyncio.get_running_loop()

    async def _read(self, deadline: float) -> bytes:
        """The next bytes before ``deadline`` (loop time); b"" at the end of the stream."""
        async with asyncio.timeout_at(deadline):
            try:
                return await self.reader.read(PIECE)
            except (ConnectionError, ssl.SSLError):
                return b""

    async def _next(self, deadline: float) -> Any:
        """h11's next event, reading as it needs; TimeoutError past ``deadline``.

        h11 bounds only a head that is still incomplete, so a head is fed in pieces of ``_FEED``
        under a bound one piece lower: a head over ``HEADER_LIMIT`` is then always seen incomplete
        past the bound (HTTP 431), however it arrived. Bodies go in larger pieces.
        """
        while (event := self.http.next_event()) is h11.NEED_DATA:
            if not self.pending:
                data = await self._read(deadline)
                if not data:
                    self.http.receive_data(b"")  # the end of the stream: h11 says ConnectionClosed
                    continue
                self.pending += data
            size = _FEED if self.http.their_state is h11.IDLE else PIECE
            self.http.receive_data(bytes(self.pending[:size]))
            del self.pending[:size]
        return event

    async def serve(self) -> None:
        settings = self.services.settings
        deadline = self.loop.time() + settings.request_read_timeout  # the first request: from the handshake
        first = True
        try:
            while True:
                if not self.pending and not self.http.trailing_data[0]:
                    try:
                        until = deadline if first else self.loop.time() + settings.socket_timeout
                        data = await self._read(until)
                    except TimeoutError:
                        if first:  # silent since its handshake: its request did not arrive in time
                            await self._refuse(408, "The request did not arrive in time; send it at once.")
                        return  # a kept-alive connection idle for socket_timeout: closed without a word
                    if not data:
                        return
                    self.pending += data
                if not first:  # a kept-alive connection's next request: its deadline starts with its first byte
                    deadline = self.loop.time() + settings.request_read_timeout
                first = False
                if not self.services.still_trusted(self.peer):
                    log.warning("closing the connection of %s: its certificate is revoked now", self.peer.address[0])
                    return
                if not await self._request(deadline):
                    return
                self.http.start_next_cycle()
        finally:
            self.writer.close()

    async def _refuse(self, status: int, reason: str) -> None:
        """A plain-text answer to a request that could not be read, then the end of the connection."""
        with contextlib.suppress(h11.LocalProtocolError):
            await self._send(status, [("Content-Type", "text/plain; charset=utf-8")], (reason + "\n").encode(),
                             keep=False)
        await self._drop_rest()  # a byte arriving after the close would reset the connection, answer and all

    async def _request(self, deadline: float) -> bool:
        """One request and its answer; False when the connection ends after it."""
        try:
            head = await self._next(deadline)
        except TimeoutError:
            await self._refuse(408, "The request did not arrive in time; send it at once.")
            return False
        except h11.RemoteProtocolError as error:
            hint = error.error_status_hint  # our own words, not h11's
            await self._refuse(hint, _UNREADABLE.get(hint, _UNREADABLE[400]))
            return False
        if not isinstance(head, h11.Request):
            return False  # the client closed the connection
        fields = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in head.headers]
        declared = next((int(value) for name, value in fields if name == "content-length"), None)
        chunked = any(name == "transfer-encoding" for name, _ in fields)
        settings, admission = self.services.settings, self.services.admission
        limit = settings.max_request_bytes
        self.held = 0
        reason: BaseException | None = None
        try:
            if (declared and chunked) or (declared or 0) > limit:
                data = b""  # the pipeline refuses both, from the head alone (0001, 0101)
            elif declared is not None and declared > admission.threshold and not admission.take(declared):
                return await self._busy(head)
            else:
                self.held = declared if declared is not None and declared > admission.threshold else 0
                data, reason, ended, admitted = await self._body(deadline, limit)
                if ended:
                    log.info("%s ended its connection in the middle of a request", self.peer.address[0])
                    return False
                if not admitted:
                    return await self._busy(head)
            environ = self._environ(head, fields, data, reason, declared, chunked)
            executor = admission.executor if self.held else self.services.executor
            status, headers, body = await self.loop.run_in_executor(executor, _call_app, self.services.app, environ)
            await self._send(status, headers, body, method=head.method)
        finally:
            admission.give_back(self.held)
            self.held = 0
        done = self.http.our_state is h11.DONE and self.http.their_state is h11.DONE
        if not done and not isinstance(reason, TimeoutError):
            await self._drop_rest()  # refused before its end: so that the client reads the answer, not a reset
        return done

    async def _body(self, deadline: float, limit: int) -> tuple[bytes, BaseException | None, bool, bool]:
        """(body, why it stopped short, whether the stream ended, whether it was admitted: False when a
        chunked body grew large and the budget had no room for it)."""
        admission = self.services.admission
        if self.http.they_are_waiting_for_100_continue:
            self.writer.write(self.http.send(h11.InformationalResponse(status_code=100, headers=[])))
        body = io.BytesIO()
        try:
            while True:
                event = await self._next(deadline)
                if isinstance(event, h11.EndOfMessage):
                    return body.getvalue(), None, False, True
                if not isinstance(event, h11.Data):
                    return b"", None, True, True  # ConnectionClosed
                body.write(event.data)
                if body.tell() > limit:
                    return body.getvalue(), OSError(errno.EMSGSIZE, "a request body beyond the size limit"), False, True
                if not self.held and body.tell() > admission.threshold:
                    if not admission.take(limit):  # chunked, its size unknown: it may grow to the limit
                        return b"", None, False, False
                    self.held = limit
        except TimeoutError as error:
            return body.getvalue(), error, False, True
        except h11.RemoteProtocolError:
            return body.getvalue(), ValueError("malformed chunked coding"), False, True

    async def _busy(self, head: Any) -> bool:
        # Signing the fault takes a few milliseconds: on a thread of its own, not on the event loop.
        status, headers, data = await self.loop.run_in_executor(self.services.admission.refusals, self.services.busy,
                                                                head.target.decode("latin-1").split("?", 1)[0])
        log.warning("refused a large request from %s for want of memory budget (0051)", self.peer.address[0])
        await self._send(status, headers, data, keep=False)
        await self._drop_rest()
        return False

    def _environ(self, head: Any, fields: list[tuple[str, str]], data: bytes, reason: BaseException | None,
                 declared: int | None, chunked: bool) -> dict[str, Any]:
        path, _, query = head.target.decode("latin-1").partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": head.method.decode("ascii"), "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path, encoding="latin-1"), "QUERY_STRING": query,
            "SERVER_PROTOCOL": f"HTTP/{head.http_version.decode('ascii')}", "SERVER_NAME": self.services.settings.host,
            "SERVER_PORT": str(self.services.port), "REMOTE_ADDR": self.peer.address[0],
            "REMOTE_PORT": str(self.peer.address[1]), "HTTPS": "on",
            "SSL_CLIENT_CERT": self.peer.certificate_pem, "SSL_PROTOCOL": self.peer.protocol,
            "SSL_CIPHER": self.peer.cipher,
            "wsgi.input": _Body(data, reason), "wsgi.errors": sys.stderr, "wsgi.version": (1, 0),
            "wsgi.url_scheme": "https", "wsgi.multithread": True,
            "wsgi.multiprocess": self.services.multiprocess, "wsgi.run_once": False,
        }
        for name, value in fields:
            key = name.upper().replace("-", "_")
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                environ[key] = value
            elif "_" not in name:  # an underscore could pass for a hyphen (CGI's ambiguity)
                key = "HTTP_" + key
                environ[key] = f"{environ[key]},{value}" if key in environ else value
        if declared is not None:
            environ["CONTENT_LENGTH"] = str(declared)
        elif not chunked:
            environ["CONTENT_LENGTH"] = "0"
        return environ

    async def _send(self, status: str | int, headers: list[tuple[str, str]], body: bytes, *, keep: bool = True,
                    method: bytes = b"POST") -> None:
        """An answer through h11 (which also decides, from the request, whether the connection stays)."""
        code, _, phrase = str(status).partition(" ")
        fields = [(name, value) for name, value in headers
                  if name.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server")]
        fields += [("Content-Length", str(len(body))), ("Date", formatdate(usegmt=True)), ("Server", "ketenserver")]
        if not keep or self.http.their_state is not h11.DONE:  # not read to its end: nothing can follow it
            fields.append(("Connection", "close"))
        data = b""
        data += self.http.send(h11.Response(status_code=int(code), headers=fields,
                                           reason=(phrase or HTTPStatus(int(code)).phrase).encode("latin-1"))) or b""
        if body and method != b"HEAD":
            data += self.http.send(h11.Data(data=body)) or b""
        data += self.http.send(h11.EndOfMessage()) or b""
        self.writer.write(data)
        try:
            async with asyncio.timeout(self.services.settings.socket_timeout):
                await self.writer.drain()
        except (TimeoutError, ConnectionError, ssl.SSLError):
            self.writer.transport.abort()

    async def _drop_rest(self) -> None:
        """Read and drop what the client still sends, at most ``LINGER`` seconds."""
        deadline = self.loop.time() + LINGER
        self.pending.clear()
        try:
            while await self._read(deadline):
                pass
        except TimeoutError:
            pass


class DrainableConnection(Connection):
    """A connection that a draining server (:meth:`ketenserver.server.Server.stop`) ends between two
    requests, never in the middle of one.

    Until its first request a connection counts as in flight: its client connected to send one.
    """

    def __init__(self, services: Services, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 peer: Peer, draining: asyncio.Event) -> None:
        super().__init__(services, reader, writer, peer)
        self.draining = draining
        self.between_requests = False
        """Waiting for the next request of a kept-alive connection: a drain may end it now."""

    def _waits_for_next(self) -> bool:
        http = self.http
        return (http.their_http_version is not None and http.their_state is h11.IDLE and not self.pending
                and not http.trailing_data[0])

    async def _read(self, deadline: float) -> bytes:
        if not self._waits_for_next():
            return await super()._read(deadline)
        if self.draining.is_set():
            return b""  # as if the client had closed: the connection ends after its last answer
        self.between_requests = True
        try:
            return await super()._read(deadline)
        finally:
            self.between_requests = False
