"""Slow clients cost no request thread; excess large bodies are refused at once (issue finding 5).

A server of its own with ONE request thread and one thread for large requests, short deadlines,
and a large-body budget of two messages. Twenty drippers at each stage (TLS handshake, head, body)
are open while a normal client is served; each dripper is cut off by its deadline. Timing bounds
are generous; the speed goals are the benchmark's (benchmarks/availability.py).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from lxml import etree

from ketencore import names as ns
from ketencore.envelope import read_envelope
from ketencore.wsse import verify
from ketenserver.app import create_app
from ketenserver.pki import DevPki
from ketenserver.server import STOCK_AGE, Refusals, RunningServer, serve_in_thread
from ketenserver.testing import RequestBuilder, fault_code

SBB = "urn:ketenserver:sbb:whitelabel:erkenningen:2.1"
ACTION = f"{SBB}:VaststellenLeerbedrijf"
PATH = "/sbb-erkenningen/2W-be-S"
DEADLINE = 2.0
DRIPPERS = 20
LARGE = 100 * 1024


@pytest.fixture(scope="module")
def lean(settings, engine) -> Iterator[RunningServer]:
    lean_settings = replace(settings, port=0, threads=1, large_request_threads=1, request_read_timeout=DEADLINE,
                            handshake_timeout=DEADLINE, crl_refresh_interval=0, large_request_bytes=LARGE // 2,
                            large_body_budget=2 * LARGE + 16 * 1024)
    # Its own app on the session's database; not closed, which would dispose the shared engine.
    running = serve_in_thread(lean_settings, create_app(lean_settings, engine=engine))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def context(pki: DevPki) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki.trust_bundle))
    files = pki.party("school-25LX")
    context.load_cert_chain(str(files.chain), str(files.key))
    return context


def envelope(pki: DevPki, port: int, naam: str = "Bakkerij De Vries") -> bytes:
    files = pki.party("school-25LX")
    builder = RequestBuilder.from_files(files.cert, files.key, f"https://127.0.0.1:{port}{PATH}", files.oin)
    payload = (f'<s:VaststellenLeerbedrijf xmlns:s="{SBB}"><s:Naam>{naam}</s:Naam>'
               "<s:Postcode>1012 AB</s:Postcode></s:VaststellenLeerbedrijf>").encode()
    return builder.build(payload, action=ACTION).bytes()


def head(length: int) -> bytes:
    return (f"POST {PATH} HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml; charset=utf-8\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()


def answer_of(tls: ssl.SSLSocket) -> bytes:
    data = b""
    try:
        while b"</soapenv:Envelope>" not in data and b"\r\n\r\n" not in data[-4:]:
            piece = tls.recv(65536)
            if not piece:
                break
            data += piece
    except (ssl.SSLError, ConnectionResetError, TimeoutError):
        pass
    return data


def post(context: ssl.SSLContext, port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw, \
            context.wrap_socket(raw, server_hostname="localhost") as tls:
        message = head(len(data)) + data
        with contextlib.suppress(OSError):  # refused before the end: the answer is still there to read
            tls.sendall(message)
        return answer_of(tls)


def client_hello() -> bytes:
    probe = ssl.create_default_context().wrap_bio(ssl.MemoryBIO(), outgoing := ssl.MemoryBIO(),
                                                  server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        probe.do_handshake()
    return outgoing.read()


class Dripper:
    """A connection that sends its bytes one every half second (the first at once) and records when
    the server cut it off."""

    def __init__(self, port: int, stage: str, context: ssl.SSLContext, data: bytes, prefix: bytes = b"") -> None:
        self.raw = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.stream: socket.socket = self.raw
        if stage != "handshake":
            self.stream = context.wrap_socket(self.raw, server_hostname="localhost")
            self.stream.sendall(prefix)
        self.data = data
        self.answer = b""
        self.cut_after: float | None = None
        self.thread = threading.Thread(target=self._drip, daemon=True)
        self.started = time.monotonic()
        self.thread.start()

    def _drip(self) -> None:
        try:
            for byte in self.data:
                self.stream.sendall(bytes([byte]))
                self.stream.settimeout(0.5)
                try:
                    piece = self.stream.recv(65536)
                except (TimeoutError, ssl.SSLWantReadError):
                    continue
                finally:
                    self.stream.settimeout(30)
                self.answer = piece
                break
            else:
                return
        except OSError:
            pass
        self.stream.settimeout(5)
        try:
            while piece := self.stream.recv(65536):
                self.answer += piece
        except OSError:
            pass
        self.cut_after = time.monotonic() - self.started

    def close(self) -> None:
        self.thread.join(timeout=30)
        self.stream.close()


@pytest.mark.parametrize("stage", ["handshake", "head", "body"])
def test_drippers_hold_no_thread_and_are_cut_off(pki, lean, context, stage):
    data = envelope(pki, lean.port)
    dripped = {"handshake": client_hello(), "head": head(len(data)), "body": data}[stage]
    prefix = head(len(data)) if stage == "body" else b""
    drippers = [Dripper(lean.port, stage, context, dripped, prefix) for _ in range(DRIPPERS)]
    try:
        time.sleep(0.5)
        started = time.monotonic()
        normal = post(context, lean.port, data)  # one request thread, twenty drippers: still served
        seconds = time.monotonic() - started
        assert b" 200 " in normal.split(b"\r\n", 1)[0], normal[:300]
    finally:
        for dripper in drippers:
            dripper.close()
    print(f"\n{DRIPPERS} drippers at the {stage} on 1 thread: a normal request answered in {seconds:.2f} s; "
          f"the drippers cut after {max(d.cut_after or 0 for d in drippers):.2f} s at most")
    assert seconds < DEADLINE  # it did not wait for any dripper's deadline
    assert all(d.cut_after is not None and d.cut_after < 3 * DEADLINE for d in drippers)
    if stage == "head":
        assert all(d.answer.startswith(b"HTTP/1.1 408 ") for d in drippers)
    if stage == "body":
        assert {fault_code(d.answer.split(b"\r\n\r\n", 1)[1]) for d in drippers} == {"0001"}


def test_excess_large_bodies_get_0051_at_once(pki, lean, context):
    """Two large bodies fit the budget; of eight at once the rest are refused unread, not queued."""
    data = envelope(pki, lean.port, naam="A" * LARGE)  # refused by the schema after reading (0004)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: post(context, lean.port, data), range(8)))
    codes = [fault_code(a.split(b"\r\n\r\n", 1)[1]) for a in answers]
    print(f"\n8 large bodies at once, room for 2: {sorted(codes)}")
    assert set(codes) <= {"0004", "0051"} and "0004" in codes and "0051" in codes
    refused = [a for a, code in zip(answers, codes, strict=True) if code == "0051"]
    assert all(a.startswith(b"HTTP/1.1 503 ") and b"Retry-After: 1" in a for a in refused)
    again = post(context, lean.port, data)  # the budget was given back
    assert fault_code(again.split(b"\r\n\r\n", 1)[1]) == "0004"


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _signed_message_id(body: bytes) -> str:
    """The refusal's MessageID, after checking that the server signed it all (raises if not)."""
    envelope = read_envelope(etree.fromstring(body))
    assert envelope.security is not None
    required = {"Body": envelope.body, "Timestamp": envelope.security.find(ns.TIMESTAMP),
                **{f"wsa:{name}": element for name, element in envelope.addressing.items()}}
    verify(envelope.root, envelope.security, required)
    return str(envelope.wsa("MessageID"))


def test_refusals_signed_ahead_are_each_unique_signed_and_fresh(settings, app):
    clock = _Clock()
    refusals = Refusals(app, settings, stock=3, clock=clock)
    signed = sum(1 for endpoint in app.endpoints.values() if endpoint.profile.signed)
    assert refusals.restock() == 3 * signed and refusals.restock() == 0  # filled, then full
    taken = [refusals.answer(PATH) for _ in range(5)]  # three from the stock, two signed on the spot
    for status, headers, body in taken:
        assert status.startswith("503") and ("Retry-After", "1") in headers and fault_code(body) == "0051"
    assert len({_signed_message_id(body) for _, _, body in taken}) == 5
    assert refusals.restock() == 0  # refusals are being given: no signing ahead now
    clock.now += 2.0
    assert refusals.restock() == 3  # the stock that was drawn from is filled again
    kept = refusals.answer(PATH)
    clock.now += STOCK_AGE  # what is left in the stock is now too old to be given
    assert _signed_message_id(refusals.answer(PATH)[2]) not in {_signed_message_id(kept[2])}
    clock.now += 2.0
    assert refusals.restock() == 3 * signed  # every stock had grown stale: dropped and made anew
