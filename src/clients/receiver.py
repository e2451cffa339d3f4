"""The school's side of pushed mutations: a WSGI service SBB calls with ``AanbiedenMutatie``.

A school that subscribes with an *afleveradres* (:meth:`SbbErkenningenClient.aanmelden_mutatieabonnement`)
gets each of its recognition mutations offered there, one at a time, in Volgnummer order
(``wsdl/sbb-mutatieontvanger.wsdl``). :class:`MutatieOntvanger` is that service::

    def verwerk(mutatie: Mutatie) -> None:          # store it; raise if you could not
        database.save(mutatie)                      # (deduplicate on mutatie.volgnummer)

    ontvanger = MutatieOntvanger(credentials, verwerk, sbb_oin="00000001...")   # a WSGI app
    running = serve_ontvanger(ontvanger, credentials, port=9443)                # or mount it in yours

Before the callback sees anything, each request is checked as SBB's own gateway checks the
school's requests (profile 2W-be-S): one SOAP 1.1 envelope, hardened parsing (no DTD), WS-Addressing
To/Action/MessageID/From, a fresh Timestamp, one signature with exclusive C14N and SHA-256 or
stronger over the Body, the Timestamp and every WS-Addressing header *at their own places*,
a signer certificate that chains to the trust bundle and is not revoked (``crls``), optionally a
pinned SBB OIN, the same OIN as the TLS client certificate when the server passes it on
(``SSL_CLIENT_CERT``), a signature not seen before (replay), and a Body valid against the contract.
The callback then receives the *signed* content as a :class:`~ketenclient.Mutatie`.

The answer is signed with the school's key and relates to the request and confirms its signature,
which is what SBB requires before it counts the mutation as acknowledged. When the callback raises,
the answer is a (signed) server fault and SBB offers the same mutation again later, with growing
pauses: delivery is at least once, so the callback must accept a Volgnummer it has seen before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter
from cryptography import x509
from lxml import etree

from ketencore import names as ns
from ketencore import wsse
from ketencore.envelope import check_request_addressing, read_envelope, write_reply
from ketencore.errors import ExchangeError, KetenError
from ketencore.faults import fault_body, fault_for
from ketencore.trust import TrustStore, oin_of, server_ssl_context
from ketencore.validation import validate_payload
from ketencore.verify import verify_message
from ketencore.xmlparse import parse_untrusted

from . import contracts
from .bpv import Mutatie
from .credentials import Credentials

__all__ = ["MutatieOntvanger", "OntvangerServer", "serve_ontvanger"]

log = logging.getLogger(__name__)

CONTRACT = "sbb-mutatieontvanger"
RECEIVER_NS = "urn:ketenserver:sbb:whitelabel:mutatieontvanger:2.1"
SBB_NS = "urn:ketenserver:sbb:whitelabel:erkenningen:2.1"
OPERATION = ns.qn(RECEIVER_NS, "AanbiedenMutatie")
ACTION = f"{RECEIVER_NS}:AanbiedenMutatie"
REPLY_ACTION = f"{ACTION}Response"
MAX_BYTES = 256 * 1024
"""An offered mutation is a few kilobytes; larger requests are refused unread (fault 0101)."""
StartResponse = Callable[..., Any]


class _CallbackFailed(KetenError):
    def __init__(self) -> None:
        super().__init__("0500", "The school could not process the mutation; it will be offered again.")


class MutatieOntvanger:
    """WSGI application receiving pushed mutations for one school (see the module docstring).

    ``callback`` gets each mutation (possibly more than once); an exception from it means "not
    processed". ``sbb_oin`` pins the OIN SBB's signing certificate must carry; by default any
    signer trusted by the credentials' trust bundle and CRLs is accepted.
    """

    def __init__(
        self,
        credentials: Credentials,
        callback: Callable[[Mutatie], object],
        *,
        sbb_oin: str | None = None,
        trust_store: TrustStore | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_age: int = 300,
        max_skew: int = 60,
    ) -> None:
        if trust_store is None:
            if not credentials.crls:
                raise ValueError("checking SBB's signing certificate needs the CRL of its CA (WT004); "
                                 "pass crls=[...] when loading the credentials")
            trust_store = TrustStore.from_files(credentials.trust_bundle, credentials.crls)
        self._trust = trust_store
        self._callback = callback
        self._sbb_oin = sbb_oin
        self._signer = wsse.MessageSigner(credentials.key, credentials.certificate)
        self._clock = clock
        self._max_age = max_age
        self._max_skew = max_skew
        self._schema = contracts.shipped().schema_for(CONTRACT)
        self._seen: dict[str, datetime] = {}
        self._seen_lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            data = b"POST SOAP requests (AanbiedenMutatie) here.\n"
            start_response("405 Method Not Allowed", [("Content-Type", "text/plain"),
                                                      ("Content-Length", str(len(data)))])
            return [data]
        now = self._clock()
        relates_to, confirm = None, None
        try:
            raw = self._read(environ)
            envelope = read_envelope(parse_untrusted(raw))
            relates_to = envelope.wsa("MessageID")
            path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")) or "/"
            check_request_addressing(envelope, endpoint_path=path, requires_from=True)
            if envelope.payload.tag != OPERATION or envelope.wsa("Action") != ACTION:
                raise ExchangeError("0011", f"This service only takes AanbiedenMutatie with wsa:Action {ACTION}.",
                                    field="Action")
            payload, confirm = self._verify(envelope, environ, now)
            validate_payload(self._schema, payload)
            mutatie = _mutatie(payload)
            try:
                self._callback(mutatie)
            except Exception:
                log.exception("the mutation callback failed for Volgnummer %s", mutatie.volgnummer)
                raise _CallbackFailed() from None
            answer = _answer(mutatie.volgnummer)
            status = "200 OK"
        except KetenError as error:
            answer, status = fault_body(fault_for(error)), "500 Internal Server Error"
        body = write_reply(answer, action=REPLY_ACTION, relates_to=relates_to, confirm=confirm,
                           signer=self._signer, now=self._clock())
        start_response(status, [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body)))])
        return [body]

    @staticmethod
    def _read(environ: dict[str, Any]) -> bytes:
        try:
            declared = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > MAX_BYTES:
            raise ExchangeError("0101", f"The message is larger than {MAX_BYTES} bytes.")
        raw = environ["wsgi.input"].read(declared if declared else MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise ExchangeError("0101", f"The message is larger than {MAX_BYTES} bytes.")
        return bytes(raw)

    def _verify(self, envelope: Any, environ: dict[str, Any], now: datetime) -> tuple[etree._Element, str]:
        verified = verify_message(envelope, trust=self._trust, now=now, max_age=self._max_age,
                                  max_skew=self._max_skew)
        signer = verified.signer_oin
        if self._sbb_oin is not None and signer != self._sbb_oin:
            raise ExchangeError("0002", f"The message was signed by OIN {signer}, not by SBB.",
                                field="BinarySecurityToken")
        pem = environ.get("SSL_CLIENT_CERT")
        if pem and oin_of(x509.load_pem_x509_certificate(pem.encode())) != signer:
            raise ExchangeError("0002", "The signer is not the party on the TLS connection.",
                                field="BinarySecurityToken")
        self._remember(verified.signature_value, verified.timestamp.created + timedelta(seconds=self._max_age), now)
        return verified.payload, verified.signature_value

    def _remember(self, signature_value: str, expires: datetime, now: datetime) -> None:
        digest = hashlib.sha256(signature_value.encode()).hexdigest()
        with self._seen_lock:
            if len(self._seen) > 10_000:
                self._seen = {d: e for d, e in self._seen.items() if e > now}
            if digest in self._seen:
                raise ExchangeError("0116", "This exact signed message was received before (replay).",
                                    field="SignatureValue")
            self._seen[digest] = expires


def _mutatie(payload: etree._Element) -> Mutatie:
    element = payload.find(ns.qn(RECEIVER_NS, "Mutatie"))
    assert element is not None  # the schema requires it

    def text(name: str) -> str:
        return element.findtext(ns.qn(SBB_NS, name)) or ""

    return Mutatie(int(text("Volgnummer")), text("LeerbedrijfId"), text("Crebo"), text("Soort"), text("Reden"),
                   dt.date.fromisoformat(text("Ingangsdatum")))


def _answer(volgnummer: int) -> etree._Element:
    answer = etree.Element(ns.qn(RECEIVER_NS, "AanbiedenMutatieResponse"), nsmap={"sbbm": RECEIVER_NS})
    for name, value in (("Signaalcode", "0"), ("Melding", "Mutatie ontvangen."), ("Volgnummer", str(volgnummer))):
        etree.SubElement(answer, ns.qn(RECEIVER_NS, name)).text = value
    return answer


@dataclass
class OntvangerServer:
    """A receiver served over mutual TLS on a background thread (:func:`serve_ontvanger`)."""

    server: wsgi.Server
    thread: threading.Thread
    host: str
    path: str

    @property
    def port(self) -> int:
        return int(self.server.bind_addr[1])

    @property
    def url(self) -> str:
        """The afleveradres to give SBB."""
        return f"https://{self.host}:{self.port}{self.path}"

    def stop(self) -> None:
        self.server.stop()
        self.thread.join(timeout=10)


def serve_ontvanger(ontvanger: MutatieOntvanger, credentials: Credentials, *, host: str = "127.0.0.1",
                    port: int = 0, path: str = "/sbb-mutaties/2W-be-S") -> OntvangerServer:
    """Serve *ontvanger* at ``https://host:port/path`` with cheroot: TLS 1.2+, the school's certificate
    as server certificate, and a client certificate required that chains to the trust bundle and
    is not revoked (the credentials' CRLs). For production, mount the WSGI app in your own server.
    """
    if credentials.pem_files is None:
        raise ValueError("serve_ontvanger needs PEM credentials (Credentials.from_pem without a password)")
    chain, key = credentials.pem_files

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").rstrip("/") != path.rstrip("/"):
            start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "0")])
            return [b""]
        return ontvanger(environ, start_response)

    server = wsgi.Server((host, port), app, numthreads=4, server_name="ketenclient-ontvanger", timeout=30)
    adapter = BuiltinSSLAdapter(str(chain), str(key))
    adapter.context = server_ssl_context(cert=chain, key=key, client_trust_bundle=credentials.trust_bundle,
                                         crls=credentials.crls)
    server.ssl_adapter = adapter
    server.prepare()
    thread = threading.Thread(target=server.serve, name="ketenclient-ontvanger", daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.ready and time.monotonic() < deadline:
        time.sleep(0.01)
    return OntvangerServer(server, thread, host, path)
