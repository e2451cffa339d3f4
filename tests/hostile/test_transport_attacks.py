"""Hostile transport over a real mutual-TLS socket: slow, truncated, lying and heavy uploads.

A server of its own with a short ``request_read_timeout`` and ``handshake_timeout`` (READ_TIMEOUT)
and 8 threads. Every variant ends in a documented refusal within a bound: a fault when the body is
at fault, HTTP 408 or 431 when the head is, a closed connection when the handshake never completes. Timing bounds
are generous (twice the deadline and more); the figures are printed (``pytest -s``).
"""

from __future__ import annotations

import os
import re
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import pytest

from ketenserver.app import create_app
from ketenserver.pki import DevPki
from ketenserver.server import HEADER_LIMIT, RunningServer, serve_in_thread
from ketenserver.testing import RequestBuilder, fault_code

SBB = "urn:ketenserver:sbb:whitelabel:erkenningen:2.1"
ACTION = f"{SBB}:VaststellenLeerbedrijf"
PATH = "/sbb-erkenningen/2W-be-S"
READ_TIMEOUT = 1.0
BOUND = 2 * READ_TIMEOUT + 1.0  # the deadline, one more read at most, and a slow CI machine


@pytest.fixture(scope="module")
def bounded(settings, engine) -> Iterator[RunningServer]:
    bounded_settings = replace(settings, port=0, request_read_timeout=READ_TIMEOUT, socket_timeout=5,
                               handshake_timeout=READ_TIMEOUT,
                               threads=8, crl_refresh_interval=0)
    # Its own app on the session's database; not closed, which would dispose the shared engine.
    running = serve_in_thread(bounded_settings, create_app(bounded_settings, engine=engine))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def limit(settings) -> int:
    return settings.max_request_bytes


@pytest.fixture(scope="module")
def envelope(pki: DevPki, bounded: RunningServer):  # type: ignore[no-untyped-def]
    """``envelope(naam=...)``: a signed VaststellenLeerbedrijf for the bounded server, as school 25LX."""
    files = pki.party("school-25LX")
    builder = RequestBuilder.from_files(files.cert, files.key, f"https://127.0.0.1:{bounded.port}{PATH}", files.oin)

    def build(naam: str = "Bakkerij De Vries") -> bytes:
        payload = (f'<s:VaststellenLeerbedrijf xmlns:s="{SBB}"><s:Naam>{naam}</s:Naam>'
                   "<s:Postcode>1012 AB</s:Postcode></s:VaststellenLeerbedrijf>").encode()
        return builder.build(payload, action=ACTION).bytes()

    return build


# ------------------------------------------------------------------------------ a raw client
@dataclass
class Answer:
    status: int | None
    """None: the connection ended without an HTTP answer."""
    body: bytes
    seconds: float

    @property
    def fault(self) -> str | None:
        return fault_code(self.body) if self.body.startswith(b"<?xml") else None


def connect(pki: DevPki, port: int, party: str = "school-25LX") -> ssl.SSLSocket:
    context = ssl.create_default_context(cafile=str(pki.trust_bundle))
    files = pki.party(party)
    context.load_cert_chain(str(files.chain), str(files.key))
    return context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30), server_hostname="localhost")


def head(length: int | None, *extra: str) -> bytes:
    lines = [f"POST {PATH} HTTP/1.1", "Host: localhost", "Content-Type: text/xml; charset=utf-8", *extra]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def answer(tls: ssl.SSLSocket, started: float) -> Answer:
    """Read one HTTP answer (or the end of the connection)."""
    data = b""
    try:
        while True:
            match = re.search(rb"\r\nContent-Length: (\d+)\r\n.*?\r\n\r\n", data, re.S)
            if match and len(data) >= match.end() + int(match.group(1)):
                break
            piece = tls.recv(65536)
            if not piece:
                break
            data += piece
    except (ssl.SSLError, ConnectionResetError, TimeoutError):
        pass
    seconds = time.monotonic() - started
    status = re.match(rb"HTTP/1\.1 (\d{3})", data)
    body = data.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in data else b""
    return Answer(int(status.group(1)) if status else None, body, seconds)


def send_slowly(tls: ssl.SSLSocket, data: bytes, *, piece: int, pause: float, stop_after: float) -> None:
    """Drip ``data``: ``piece`` bytes every ``pause`` seconds, until sent, answered or ``stop_after`` seconds."""
    started = time.monotonic()
    try:
        for at in range(0, len(data), piece):
            if time.monotonic() - started > stop_after or select.select([tls], [], [], 0)[0]:
                return
            tls.sendall(data[at:at + piece])
            time.sleep(pause)
    except (ssl.SSLError, OSError):  # the server refused and closed: that is the point
        return


def post_raw(pki: DevPki, port: int, data: bytes, *, at_once: bytes = b"", **drip: float) -> Answer:
    """Connect, send ``at_once``, then ``data`` (dripped when ``drip`` is given), and read the answer."""
    started = time.monotonic()  # the handshake included: it waits for a free thread too
    with connect(pki, port) as tls:
        tls.sendall(at_once)
        if drip:
            send_slowly(tls, data, piece=int(drip["piece"]), pause=drip["pause"], stop_after=drip["stop_after"])
        else:
            tls.sendall(data)
        return answer(tls, started)


# ------------------------------------------------------------------------------------- slow
@pytest.mark.parametrize(("piece", "pause"), [(1, 0.01), (512, 0.2), (1024, 0.6)],
                         ids=["byte-by-byte", "small-pieces", "a-piece-per-read"])
def test_slow_body_is_refused_within_the_deadline(pki, bounded, envelope, piece, pause):
    data = envelope()
    assert len(data) / piece * pause > 2 * READ_TIMEOUT  # it would take longer than the deadline
    answered = post_raw(pki, bounded.port, data, at_once=head(len(data)), piece=piece, pause=pause, stop_after=30)
    print(f"\nslow body ({piece} B every {pause} s): {answered.status} {answered.fault} in {answered.seconds:.2f} s")
    assert answered.fault == "0001" and b"did not arrive within 1 s" in answered.body
    assert answered.seconds < BOUND


def test_slow_headers_get_408_within_the_deadline(pki, bounded):
    answered = post_raw(pki, bounded.port, head(100) + b"<", piece=1, pause=0.1, stop_after=30)
    print(f"\nslow headers: {answered.status} in {answered.seconds:.2f} s")
    assert answered.status == 408 and answered.seconds < BOUND


def test_silent_connection_does_not_stall_other_clients(pki, server, builder_for, payload):
    """One TCP connection that never says a word must not delay anyone else (it held cheroot's
    accept loop, every new client, for the socket timeout, 30 s). The session's server."""
    data = builder_for("school-25LX").build(payload(), action=ACTION).bytes()
    with socket.create_connection(("127.0.0.1", server.port)):
        time.sleep(0.2)
        answered = post_raw(pki, server.port, head(len(data)) + data)
    print(f"\nanswer while a silent connection is open: {answered.status} in {answered.seconds:.2f} s")
    assert answered.status == 200 and answered.seconds < 5


def test_slow_handshake_is_cut_off(pki, bounded):
    """A ClientHello dripped byte by byte: the server gives up at the deadline."""
    context = ssl.create_default_context(cafile=str(pki.trust_bundle))
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    hello = outgoing.read()
    with socket.create_connection(("127.0.0.1", bounded.port), timeout=30) as raw:
        started = time.monotonic()
        try:
            for byte in hello:
                raw.sendall(bytes([byte]))
                time.sleep(0.05)
            closed_after = None
        except OSError:
            closed_after = time.monotonic() - started
        if closed_after is None:
            raw.settimeout(BOUND)
            try:
                while raw.recv(4096):
                    pass
            except OSError:
                pass
            closed_after = time.monotonic() - started
    print(f"\nslow handshake ({len(hello)} bytes at 20/s): closed after {closed_after:.2f} s")
    assert closed_after < BOUND


def test_many_slow_clients_are_all_refused_and_others_served(pki, bounded, envelope):
    """More drippers than threads: each is refused within its deadline, and a normal client is
    served meanwhile (the drippers wait on the event loop, not on threads)."""
    data = envelope()
    with ThreadPoolExecutor(max_workers=13) as pool:
        slow = [pool.submit(post_raw, pki, bounded.port, data, at_once=head(len(data)), piece=64, pause=0.2,
                            stop_after=30) for _ in range(12)]
        time.sleep(0.3)
        normal = pool.submit(post_raw, pki, bounded.port, head(len(data)) + data).result()
        refused = [future.result() for future in slow]
    slowest = max(a.seconds for a in refused)
    print(f"\n12 drippers on 8 threads: slowest refusal {slowest:.2f} s; a normal client answered in "
          f"{normal.seconds:.2f} s")
    assert {a.fault for a in refused} == {"0001"}
    assert normal.status == 200, (normal.status, normal.fault, normal.body[-300:])
    assert slowest < 2 * BOUND and normal.seconds < 2 * BOUND


# -------------------------------------------------------------------------------- truncated
def test_truncated_body_then_silence(pki, bounded, envelope):
    data = envelope()
    with connect(pki, bounded.port) as tls:
        started = time.monotonic()
        tls.sendall(head(len(data)) + data[: len(data) // 2])
        answered = answer(tls, started)
    print(f"\ntruncated body, connection kept open: {answered.fault} in {answered.seconds:.2f} s")
    assert answered.fault == "0001" and b"did not arrive" in answered.body
    assert READ_TIMEOUT * 0.9 < answered.seconds < BOUND


def test_truncated_body_then_end_of_stream(pki, bounded, envelope):
    """The stream ends without TLS close_notify: no answer can follow (OpenSSL treats the session
    as broken), and the server lets go at once instead of waiting for the deadline."""
    data = envelope()
    with connect(pki, bounded.port) as tls:
        started = time.monotonic()
        tls.sendall(head(len(data)) + data[:1000])
        socket.socket.shutdown(tls, socket.SHUT_WR)  # TCP only: SSLSocket.shutdown would drop TLS here
        answered = answer(tls, started)
    assert answered.status is None and answered.seconds < READ_TIMEOUT


# ---------------------------------------------------------------------------- lying lengths
def test_content_length_larger_than_sent(pki, bounded, envelope):
    data = envelope()
    answered = post_raw(pki, bounded.port, head(len(data) + 100) + data)
    assert answered.fault == "0001" and b"did not arrive" in answered.body and answered.seconds < BOUND


def test_content_length_smaller_than_sent(pki, bounded, envelope):
    data = envelope()
    with connect(pki, bounded.port) as tls:
        started = time.monotonic()
        tls.sendall(head(len(data) // 2) + data)
        first = answer(tls, started)
        second = answer(tls, started)  # the rest is no request: HTTP 400 or 408, or the end
    assert first.fault == "0001" and b"not well-formed" in first.body
    assert second.status in (400, 408, None) and second.seconds < BOUND


@pytest.mark.parametrize("declared", [10**12, 5 * 1024 * 1024])
def test_declared_size_over_the_limit_is_refused_at_once(pki, bounded, declared):
    """Answered before a byte of the body is read, and the rest is never waited for (nor allocated)."""
    answered = post_raw(pki, bounded.port, head(declared) + b"<soapenv:Envelope")
    assert answered.fault == "0101" and str(declared).encode() in answered.body
    assert answered.seconds < READ_TIMEOUT


def test_oversized_body_sent_in_full_still_gets_its_fault(pki, bounded, limit):
    data = b"<a>" + b"x" * (limit * 3) + b"</a>"
    answered = post_raw(pki, bounded.port, head(len(data)) + data)
    assert answered.fault == "0101"


@pytest.mark.parametrize("value", ["-5", "abc", "1e3"])
def test_content_length_that_is_no_number(pki, bounded, value):
    answered = post_raw(pki, bounded.port, head(None, f"Content-Length: {value}") + b"<a/>")
    print(f"\nContent-Length {value!r}: {answered.status} {answered.fault}")
    assert answered.status in (400, 500) and answered.seconds < BOUND  # the server's 400 or our fault
    if answered.status == 500:
        assert answered.fault == "0001" and b"Content-Length" in answered.body


# ----------------------------------------------------------------------------------- chunked
def chunked(data: bytes, size: int) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(data[at:at + size]), data[at:at + size])
                    for at in range(0, len(data), size)) + b"0\r\n\r\n"


def test_chunked_body_is_read_like_any_other(pki, server, builder_for, payload):
    data = builder_for("school-25LX").build(payload(), action=ACTION).bytes()
    answered = post_raw(pki, server.port, head(None, "Transfer-Encoding: chunked") + chunked(data, 1000))
    assert answered.status == 200 and b"Bakkerij De Vries" in answered.body


def test_chunked_body_over_the_limit(pki, bounded, limit):
    data = b"<a>" + b"x" * (limit * 2) + b"</a>"
    answered = post_raw(pki, bounded.port, head(None, "Transfer-Encoding: chunked") + chunked(data, 64 * 1024))
    assert answered.fault == "0101"


def test_chunk_size_of_a_terabyte_is_not_allocated(pki, bounded, limit):
    """The announced size allocates nothing: what arrives counts, and is cut at the limit (0101);
    a chunk that never comes is refused at the request's deadline (0001)."""
    announced = head(None, "Transfer-Encoding: chunked") + b"FFFFFFFFFF\r\n<a>"
    answered = post_raw(pki, bounded.port, announced + b"x" * (limit + 1))
    assert answered.fault == "0101" and answered.seconds < READ_TIMEOUT
    answered = post_raw(pki, bounded.port, announced)
    assert answered.fault == "0001" and answered.seconds < BOUND


def test_slow_chunked_body_is_refused_within_the_deadline(pki, bounded, envelope):
    body = chunked(envelope(), 100)
    answered = post_raw(pki, bounded.port, body, at_once=head(None, "Transfer-Encoding: chunked"),
                        piece=200, pause=0.2, stop_after=30)
    assert answered.fault == "0001" and answered.seconds < BOUND


@pytest.mark.parametrize("body", [b"zz\r\n<a/>\r\n0\r\n\r\n", b"4\r\n<a/>XX0\r\n\r\n"], ids=["size", "delimiter"])
def test_malformed_chunked_coding(pki, bounded, body):
    answered = post_raw(pki, bounded.port, head(None, "Transfer-Encoding: chunked") + body)
    assert answered.fault == "0001" and b"chunked transfer coding" in answered.body


def test_chunked_and_content_length_together_are_refused(pki, bounded, envelope):
    data = envelope()
    answered = post_raw(pki, bounded.port, head(len(data), "Transfer-Encoding: chunked") + chunked(data, 1000))
    assert answered.fault == "0001" and b"both a Content-Length and a Transfer-Encoding" in answered.body


def test_unknown_transfer_coding_is_refused(pki, bounded, envelope):
    data = envelope()
    answered = post_raw(pki, bounded.port, head(None, "Transfer-Encoding: gzip, chunked") + chunked(data, 1000))
    assert answered.status == 501  # only chunked is implemented


def test_header_flood_gets_431(pki, bounded):
    flood = [f"X-Filler-{i}: {'a' * 1000}" for i in range(HEADER_LIMIT // 1000 + 2)]
    answered = post_raw(pki, bounded.port, head(4, *flood) + b"<a/>")
    assert answered.status == 431 and answered.seconds < BOUND  # Request Header Fields Too Large


def test_a_large_head_within_the_limit_is_read(pki, bounded):
    filler = [f"X-Filler-{i}: {'a' * 1000}" for i in range(HEADER_LIMIT // 1000 - 4)]  # 60 KiB of headers
    answered = post_raw(pki, bounded.port, head(4, *filler) + b"<a/>")
    assert answered.status == 500 and answered.fault == "0001"  # read, and refused for what it says


# ------------------------------------------------------------------------------------ memory
def _rss() -> int:
    with open(f"/proc/{os.getpid()}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads the resident set from /proc")
def test_many_large_messages_at_once(pki, server, builder_for, payload, limit):
    """16 clients at once, each with a signed message just under the limit (a Naam far too long
    for the schema), on the session's server (8 threads, the default deadline: the point here is
    memory, not speed): all get their fault; the resident memory of this process (clients, server
    and all) is printed."""
    data = builder_for("school-25LX").build(payload(naam="A" * (limit - 8 * 1024)), action=ACTION).bytes()
    assert limit - 16 * 1024 < len(data) <= limit
    peak = baseline = _rss()
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.005):
            peak = max(peak, _rss())

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(lambda _: post_raw(pki, server.port, head(len(data)) + data), range(16)))
    finally:
        done.set()
        sampler.join()
    seconds = time.monotonic() - started
    megabyte = 1024 * 1024
    print(f"\n16 x {len(data) // 1024} KiB at once on 8 threads: {seconds:.2f} s; resident memory "
          f"{baseline / megabyte:.0f} MiB before, peak {peak / megabyte:.0f} MiB "
          f"(+{(peak - baseline) / megabyte:.0f} MiB, {(peak - baseline) / len(data) / 16:.1f} x the bytes sent)")
    assert [a.fault for a in answers] == ["0004"] * 16, [(a.status, a.fault, round(a.seconds, 2)) for a in answers]


def test_plain_http_on_the_tls_port_is_told_so(bounded):
    with socket.create_connection(("127.0.0.1", bounded.port), timeout=10) as raw:
        raw.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        reply = b""
        while piece := raw.recv(4096):
            reply += piece
    assert reply.startswith(b"HTTP/1.1 400 ") and b"HTTPS only" in reply
