"""Fixtures for the client library: credentials from the development PKI, and builders for the
messages on both sides (a request as zeep hands it to the wsse object, a response as the
server's pipeline renders it). The ``pki`` fixture comes from ``tests/conftest.py``.

Test modules cannot import this file (``--import-mode=importlib``), so the builders reach them
through the ``wire`` fixture.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import requests.adapters
from lxml import etree
from requests.structures import CaseInsensitiveDict

from ketenclient import Credentials, WusAddressing, WusSignature
from ketencore import names as ns
from ketencore import wsse
from ketencore.envelope import check_request_addressing, read_envelope
from ketencore.faults import Fault, FaultSpec, fault_body
from ketencore.trust import TrustStore
from ketencore.xmlparse import parse_untrusted
from ketenserver import contracts
from ketenserver.pki import DevPki
from ketenserver.recognitions import NAMESPACE as SBB_NAMESPACE

SBB = SBB_NAMESPACE


def _sbb(local: str) -> str:
    return ns.qn(SBB, local)


@dataclass
class Response:
    """A response built as ``Pipeline._render`` builds it; each field can be spoiled by a test."""

    signer: wsse.MessageSigner | None
    relates_to: str | None
    confirm: str | None
    body: etree._Element | None = None
    action: str = f"{SBB}:VaststellenLeerbedrijfResponse"
    created: datetime | None = None
    unsigned: Collection[str] = field(default_factory=tuple)
    """Parts ("RelatesTo", "Timestamp", ...) left out of the signature."""

    def render(self, after_signing: Callable[[etree._Element], None] | None = None) -> etree._Element:
        root = etree.Element(ns.ENVELOPE, nsmap={"soapenv": ns.SOAP_ENV, "wsa": ns.WSA, "wsu": ns.WSU})
        header = etree.SubElement(root, ns.HEADER)
        body = etree.SubElement(root, ns.BODY)
        body.append(self.body if self.body is not None else Wire.result_payload())
        parts = {"Body": body}
        for name, value in (("Action", self.action), ("MessageID", wsse.new_message_id()),
                            ("RelatesTo", self.relates_to), ("To", ns.WSA_ANONYMOUS)):
            if value:
                element = etree.SubElement(header, ns.qn(ns.WSA, name))
                element.text = value
                parts[name] = element
        if self.signer is not None:
            security = etree.SubElement(header, ns.SECURITY, nsmap={"wsse": ns.WSSE})
            security.set(ns.qn(ns.SOAP_ENV, "mustUnderstand"), "1")
            stamp = wsse.new_timestamp(self.created or datetime.now(UTC))
            security.append(stamp)
            parts["Timestamp"] = stamp
            if self.confirm:
                parts["SignatureConfirmation"] = etree.SubElement(
                    security, ns.qn(ns.WSSE11, "SignatureConfirmation"), {"Value": self.confirm},
                    nsmap={"wsse11": ns.WSSE11})
            self.signer.sign(root, security, [p for n, p in parts.items() if n not in self.unsigned])
        if after_signing is not None:
            after_signing(root)
        return Wire.on_the_wire(root)


class Wire:
    """Message builders for both sides."""

    ENDPOINT = "https://ketenserver.test:8443/sbb-erkenningen/2W-be-S"
    ACTION = f"{SBB}:VaststellenLeerbedrijf"
    FAULT_ACTION = "http://www.w3.org/2005/08/addressing/soap/fault"

    @staticmethod
    def payload(naam: str = "Bakkerij De Korenschoof", postcode: str = "1234AB") -> etree._Element:
        element = etree.Element(_sbb("VaststellenLeerbedrijf"), nsmap={"ns0": SBB})
        etree.SubElement(element, _sbb("Naam")).text = naam
        etree.SubElement(element, _sbb("Postcode")).text = postcode
        return element

    @staticmethod
    def zeep_envelope(*, with_zeep_addressing: bool = False) -> etree._Element:
        """An envelope shaped like zeep's: ``soap-env`` prefix, payload declaring its namespace.

        ``with_zeep_addressing`` adds what zeep's own WsAddressingPlugin adds when the WSDL
        declares ``wsam:Action``: Action, a MessageID of zeep's choosing, To.
        """
        root = etree.Element(ns.ENVELOPE, nsmap={"soap-env": ns.SOAP_ENV})
        if with_zeep_addressing:
            header = etree.SubElement(root, ns.HEADER)
            for name, value in (("Action", Wire.ACTION), ("MessageID", "urn:uuid:zeeps-own"),
                                ("To", Wire.ENDPOINT)):
                etree.SubElement(header, ns.qn(ns.WSA, name), nsmap={"wsa": ns.WSA}).text = value
        etree.SubElement(root, ns.BODY).append(Wire.payload())
        return root

    @staticmethod
    def http_headers() -> dict[str, str]:
        """zeep's HTTP headers for a SOAP 1.1 call: the SOAPAction quoted."""
        return {"SOAPAction": f'"{Wire.ACTION}"', "Content-Type": "text/xml; charset=utf-8"}

    @staticmethod
    def on_the_wire(root: etree._Element) -> etree._Element:
        """Serialise and parse again, as between client and server."""
        return etree.fromstring(etree.tostring(root, xml_declaration=True, encoding="utf-8"))

    @staticmethod
    def send(security: WusAddressing, *, with_zeep_addressing: bool = False) -> etree._Element:
        """What the server receives after ``security.apply``."""
        root, _headers = security.apply(Wire.zeep_envelope(with_zeep_addressing=with_zeep_addressing),
                                        Wire.http_headers())
        return Wire.on_the_wire(root)

    @staticmethod
    def answer(sent: etree._Element, signer: wsse.MessageSigner | None) -> Response:
        """The server's correct answer to the request ``sent``, read from the request itself."""
        request = read_envelope(sent)
        confirm = None
        if request.security is not None:
            confirm = "".join((request.security.findtext(f"{{{ns.DS}}}Signature/{{{ns.DS}}}SignatureValue")
                               or "").split())
        return Response(signer, request.wsa("MessageID"), confirm)

    @staticmethod
    def result_payload(signaalcode: int = 2, melding: str = "Geen leerbedrijf gevonden.") -> etree._Element:
        element = etree.Element(_sbb("VaststellenLeerbedrijfResponse"), nsmap={"tns": SBB})
        etree.SubElement(element, _sbb("Signaalcode")).text = str(signaalcode)
        etree.SubElement(element, _sbb("Melding")).text = melding
        return element

    @staticmethod
    def fault_payload(code: str = "SBB-1002", message: str = "Postcode 0000XX is geen Nederlandse postcode.",
                      field: str | None = "Postcode", *, faultcode: str = "Client",
                      with_detail: bool = True) -> etree._Element:
        """A soap:Fault exactly as the server writes it (:func:`ketenserver.faults.fault_body`)."""
        spec = FaultSpec(code, "Client" if faultcode == "Client" else "Server", "title", "SBB WL 2.1")
        return fault_body(Fault(spec, message, field, with_detail))

    @staticmethod
    def minutes_ago(minutes: int) -> datetime:
        return datetime.now(UTC) - timedelta(minutes=minutes)


@pytest.fixture
def wire() -> type[Wire]:
    return Wire


@pytest.fixture(scope="session")
def school(pki: DevPki) -> Credentials:
    files = pki.party("school-25LX")
    return Credentials.from_pem(files.cert, files.key, trust=pki.trust_bundle, chain=files.chain,
                                crls=[pki.crl])


@pytest.fixture(scope="session")
def server_signer(pki: DevPki) -> wsse.MessageSigner:
    return wsse.MessageSigner.from_pem(pki.server_key.read_bytes(), pki.server_cert.read_bytes())


def party_signer(pki: DevPki, key: str) -> wsse.MessageSigner:
    files = pki.party(key)
    return wsse.MessageSigner.from_pem(files.key.read_bytes(), files.cert.read_bytes())


@pytest.fixture(scope="session")
def signer_of(pki: DevPki) -> Callable[[str], wsse.MessageSigner]:
    """A signer with a party's key, e.g. ``signer_of("test-foreign")``."""
    return lambda key: party_signer(pki, key)


@pytest.fixture
def signing(school: Credentials) -> WusSignature:
    return WusSignature(Wire.ENDPOINT, school)


@pytest.fixture
def addressing(school: Credentials) -> WusAddressing:
    return WusAddressing(Wire.ENDPOINT.removesuffix("-S"), school)


# -- an in-process stand-in for the server, behind requests' HTTPAdapter -----------------------

Handler = Callable[[etree._Element], etree._Element]
"""Given the request payload, return the response payload or a soap:Fault."""


@dataclass
class Sent:
    method: str
    url: str
    body: bytes | None
    headers: dict[str, str]
    options: dict[str, Any]
    """What the session passed to the adapter: verify, cert, timeout, proxies."""


@dataclass
class FakeServer:
    """Serves the published contract and answers SOAP posts as the pipeline would.

    Every request is first checked with the server's own code (envelope, WS-Addressing,
    signature, signer trust, XSD), so a test passing here means the server would accept it.
    ``spoil`` changes a response after signing; ``wsdl`` replaces the served WSDL.
    """

    signer: wsse.MessageSigner
    trust: TrustStore
    base: str = "https://ketenserver.test:8443"
    handler: Handler = field(default=lambda payload: Wire.result_payload())
    spoil: Callable[[etree._Element], None] | None = None
    sign: bool = True
    wsdl: bytes | None = None
    address: str | None = None
    """soap:address to publish; by default the URL the WSDL was fetched from."""
    sent: list[Sent] = field(default_factory=list)

    @property
    def posts(self) -> list[Sent]:
        return [s for s in self.sent if s.method == "POST"]

    def send(self, request: requests.PreparedRequest, **options: Any) -> requests.Response:
        body = request.body.encode() if isinstance(request.body, str) else request.body
        assert body is None or isinstance(body, bytes)
        url = request.url or ""
        headers = {key: str(value) for key, value in request.headers.items()}
        self.sent.append(Sent(request.method or "", url, body, headers, options))
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self.base:
            return self._reply(request, 404, b"unknown host")
        if request.method == "GET" and parts.query == "wsdl":
            return self._reply(request, 200, self.wsdl or self._published(url.split("?")[0]))
        if request.method == "GET" and parts.path.startswith("/xsd/"):
            return self._reply(request, 200, contracts.xsd_path(parts.path[5:]).read_bytes())
        if request.method == "POST":
            assert body is not None
            return self._answer(request, parts.path, body)
        return self._reply(request, 404, b"not found")

    def _published(self, address: str) -> bytes:
        tree = etree.parse(str(contracts.wsdl_path("sbb-erkenningen")))
        for location in tree.iter(f"{{{ns.WSDL_SOAP11}}}address"):
            location.set("location", self.address or address)
        published: bytes = etree.tostring(tree, xml_declaration=True, encoding="utf-8")
        return published

    def _answer(self, request: requests.PreparedRequest, path: str, body: bytes) -> requests.Response:
        envelope = read_envelope(parse_untrusted(body))
        check_request_addressing(envelope, endpoint_path=path, requires_from=True)
        signed = path.endswith("/2W-be-S")
        confirm = None
        if signed:
            assert envelope.security is not None
            stamp = wsse.read_timestamp(envelope.security)
            required = {"Body": envelope.body, "Timestamp": stamp.element}
            required.update({f"wsa:{n}": e for n, e in envelope.addressing.items()})
            verified = wsse.verify(envelope.root, envelope.security, required)
            self.trust.verify(verified.certificate)
            confirm = verified.signature_value
        contracts.schema_for("sbb-erkenningen").assertValid(envelope.payload)
        payload = self.handler(envelope.payload)
        is_fault = payload.tag == ns.FAULT_TAG
        response = Response(self.signer if signed and self.sign else None, envelope.wsa("MessageID"),
                            confirm, body=payload)
        if is_fault:
            response.action = Wire.FAULT_ACTION
        else:
            contracts.schema_for("sbb-erkenningen").assertValid(payload)
        root = response.render(self.spoil)
        return self._reply(request, 500 if is_fault else 200, etree.tostring(root, xml_declaration=True,
                                                                            encoding="utf-8"))

    @staticmethod
    def _reply(request: requests.PreparedRequest, status: int, content: bytes) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response._content = content
        response.headers = CaseInsensitiveDict({"Content-Type": "text/xml; charset=utf-8"})
        response.encoding = "utf-8"
        response.url = request.url or ""
        response.request = request
        return response


@pytest.fixture
def fake_server(monkeypatch: pytest.MonkeyPatch, pki: DevPki, server_signer: wsse.MessageSigner
                ) -> Iterator[FakeServer]:
    """Every HTTPS request of every requests session goes to this fake; nothing leaves the process."""
    server = FakeServer(server_signer, TrustStore.from_files(pki.trust_bundle, [pki.crl]))

    def send(adapter: requests.adapters.HTTPAdapter, request: requests.PreparedRequest,
             **options: Any) -> requests.Response:
        return server.send(request, **options)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    yield server
