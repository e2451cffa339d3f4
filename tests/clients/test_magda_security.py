"""MagdaSignature, the wsse object of profile MAGDA: what a request carries (checked with the
server's own verifier, ``profile=MAGDA``), which replies are refused, and that zeep runs it as
its wsse plugin. The client is a Flemish party of the development PKI (C=BE, KBO number)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import requests.adapters
import zeep
from lxml import etree
from requests.structures import CaseInsensitiveDict
from zeep.transports import Transport

from ketenclient import Credentials, KetenClientError, MagdaSignature, ResponseNotTrusted
from ketenclient.base import ZEEP_SETTINGS
from ketencore import names as ns
from ketencore import wsse
from ketencore.envelope import Envelope, check_no_addressing, read_envelope, write_reply
from ketencore.profiles import DIGIKOPPELING_2W_BE_S, MAGDA
from ketencore.trust import TrustStore
from ketencore.verify import verify_message
from ketencore.xmlparse import parse_untrusted
from ketenserver.pki import SERVER_OIN, DevPki

NS = "urn:test:magda"
ENDPOINT = "https://ketenserver.test:8443/magda-test/MAGDA"
PROVIDER = "provider-0412345614"
COUNTER = "loket-0316200006"


def _m(local: str) -> str:
    return ns.qn(NS, local)


@pytest.fixture(autouse=True)
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a test tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture(scope="module")
def provider(pki: DevPki) -> Credentials:
    files = pki.party(PROVIDER)
    return Credentials.from_pem(files.cert, files.key, trust=pki.trust_bundle, chain=files.chain, crls=[pki.crl])


@pytest.fixture(scope="module")
def store(pki: DevPki) -> TrustStore:
    return TrustStore.from_files(pki.trust_bundle, [pki.crl])


@pytest.fixture
def magda(provider: Credentials) -> MagdaSignature:
    return MagdaSignature(ENDPOINT, provider)


def request_payload(referte: str = "ref-1") -> etree._Element:
    element = etree.Element(_m("Registreer"), nsmap={"ns0": NS})
    etree.SubElement(element, _m("Referte")).text = referte
    etree.SubElement(element, _m("Wat")).text = "x"
    return element


def zeep_envelope(*, with_zeep_addressing: bool = False) -> etree._Element:
    """Shaped like zeep's envelope; ``with_zeep_addressing`` adds what zeep's WS-A plugin would."""
    root = etree.Element(ns.ENVELOPE, nsmap={"soap-env": ns.SOAP_ENV})
    if with_zeep_addressing:
        header = etree.SubElement(root, ns.HEADER)
        for name, value in (("Action", f"{NS}:Registreer"), ("MessageID", "urn:uuid:zeeps-own"), ("To", ENDPOINT)):
            etree.SubElement(header, ns.qn(ns.WSA, name), nsmap={"wsa": ns.WSA}).text = value
    etree.SubElement(root, ns.BODY).append(request_payload())
    return root


def on_the_wire(root: etree._Element) -> etree._Element:
    return etree.fromstring(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def send(security: MagdaSignature, **kwargs: bool) -> Envelope:
    root, _headers = security.apply(zeep_envelope(**kwargs), {"SOAPAction": f'"{NS}:Registreer"'})
    return read_envelope(on_the_wire(root))


def answer_payload(nummer: str = "42") -> etree._Element:
    element = etree.Element(_m("RegistreerAntwoord"), nsmap={"m": NS})
    etree.SubElement(element, _m("Nummer")).text = nummer
    return element


def reply(signer: wsse.MessageSigner, *, now: datetime | None = None, profile: Any = MAGDA) -> etree._Element:
    """A reply exactly as the server writes it (:func:`ketencore.envelope.write_reply`)."""
    return etree.fromstring(write_reply(answer_payload(), action=f"{NS}:RegistreerAntwoord",
                                        relates_to="urn:uuid:1", signer=signer, now=now or datetime.now(UTC),
                                        confirm="abc", profile=profile))


def signer_of(pki: DevPki, key: str) -> wsse.MessageSigner:
    files = pki.party(key)
    return wsse.MessageSigner.from_pem(files.key.read_bytes(), files.cert.read_bytes())


# -- egress -------------------------------------------------------------------------------------


def test_request_signs_body_and_timestamp_and_carries_no_addressing(
        magda: MagdaSignature, provider: Credentials, store: TrustStore) -> None:
    envelope = send(magda)

    assert envelope.addressing == {}
    check_no_addressing(envelope, MAGDA)  # what the server's pipeline demands of a MAGDA request
    assert envelope.security is not None
    assert envelope.security.get(ns.qn(ns.SOAP_ENV, "mustUnderstand")) == "1"
    verified = verify_message(envelope, trust=store, now=datetime.now(UTC), max_age=300, max_skew=60,
                              profile=MAGDA)
    assert set(verified.signed_parts) == {"Body", "Timestamp"}
    references = envelope.security.findall(f"{{{ns.DS}}}Signature/{{{ns.DS}}}SignedInfo/{{{ns.DS}}}Reference")
    assert len(references) == 2  # exactly Body and Timestamp, nothing else
    assert verified.certificate == provider.certificate
    assert verified.signer_oin == "0412345614"  # the KBO number in the subject serialNumber
    assert verified.signature_value == magda.last_signature_value
    assert verified.payload.findtext(_m("Referte")) == "ref-1"


def test_zeeps_own_addressing_headers_are_dropped(magda: MagdaSignature) -> None:
    envelope = send(magda, with_zeep_addressing=True)
    assert envelope.addressing == {}
    assert envelope.root.nsmap.get("wsa") is None


def test_timestamp_lifetime_as_in_2w_be_s(provider: Credentials) -> None:
    moment = datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC)
    security = MagdaSignature(ENDPOINT, provider, clock=lambda: moment, timestamp_lifetime=120)
    envelope = send(security)
    assert envelope.security is not None
    stamp = wsse.read_timestamp(envelope.security)
    assert stamp.created == moment
    assert stamp.expires == moment + timedelta(seconds=120)


def test_each_request_is_signed_afresh(magda: MagdaSignature) -> None:
    send(magda)
    first = magda.last_signature_value
    send(magda)
    assert first is not None and magda.last_signature_value not in (None, first)


def test_fits_a_service_client_without_message_ids(magda: MagdaSignature) -> None:
    """ServiceClient wraps every call in ``exchange(message_id)``; MAGDA has no MessageID to resend."""
    assert magda.profile == MAGDA.name
    with magda.exchange(None):
        send(magda)
    assert magda.last_message_id is None
    with pytest.raises(KetenClientError, match="Referte"), magda.exchange("urn:uuid:retry"):
        pass


def test_refuses_an_envelope_already_signed(magda: MagdaSignature) -> None:
    envelope = zeep_envelope()
    header = etree.Element(ns.HEADER)
    etree.SubElement(header, ns.SECURITY)
    envelope.insert(0, header)
    with pytest.raises(KetenClientError, match="already carries a wsse:Security"):
        magda.apply(envelope, {})


def test_needs_crls_to_check_the_server(pki: DevPki, store: TrustStore) -> None:
    files = pki.party(PROVIDER)
    without_crls = Credentials.from_pem(files.cert, files.key, trust=pki.trust_bundle)
    with pytest.raises(ValueError, match=r"profile MAGDA .*CRL"):
        MagdaSignature(ENDPOINT, without_crls)
    assert MagdaSignature(ENDPOINT, without_crls, trust_store=store)


# -- ingress ------------------------------------------------------------------------------------


def test_accepts_the_servers_signed_reply(magda: MagdaSignature, server_signer: wsse.MessageSigner) -> None:
    send(magda)
    magda.verify(reply(server_signer))


def _change_body(root: etree._Element) -> None:
    nummer = root.find(f".//{_m('Nummer')}")
    assert nummer is not None
    nummer.text = "43"


def _drop_security(root: etree._Element) -> None:
    header = root.find(ns.HEADER)
    assert header is not None
    header.remove(header.find(ns.SECURITY))


def _add_relates_to(root: etree._Element) -> None:
    header = root.find(ns.HEADER)
    assert header is not None
    etree.SubElement(header, ns.qn(ns.WSA, "RelatesTo"), nsmap={"wsa": ns.WSA}).text = "urn:uuid:1"


REFUSALS: dict[str, tuple[Callable[[etree._Element], None], str]] = {
    "Body changed after signing": (_change_body, r"signature does not check out: .*digest of"),
    "unsigned": (_drop_security, "not signed: profile MAGDA requires a wsse:Security header"),
    "carries wsa:RelatesTo": (_add_relates_to, "another profile: wsa:RelatesTo is not part of profile MAGDA"),
}


@pytest.mark.parametrize("spoil", REFUSALS, ids=list(REFUSALS))
def test_refuses_a_spoiled_reply(spoil: str, magda: MagdaSignature, server_signer: wsse.MessageSigner) -> None:
    change, reason = REFUSALS[spoil]
    root = reply(server_signer)
    magda.verify(on_the_wire(root))  # the same reply unspoiled passes: the spoiling is what is refused
    change(root)
    with pytest.raises(ResponseNotTrusted, match=reason):
        magda.verify(on_the_wire(root))


def test_refuses_a_stale_timestamp(magda: MagdaSignature, server_signer: wsse.MessageSigner) -> None:
    old = reply(server_signer, now=datetime.now(UTC) - timedelta(minutes=10))
    with pytest.raises(ResponseNotTrusted, match="stale"):
        magda.verify(old)


def test_refuses_a_reply_written_for_the_digikoppeling_profile(
        magda: MagdaSignature, server_signer: wsse.MessageSigner) -> None:
    """Every header signed, RelatesTo and SignatureConfirmation included: still not a MAGDA reply."""
    with pytest.raises(ResponseNotTrusted, match="another profile: wsa:"):
        magda.verify(reply(server_signer, profile=DIGIKOPPELING_2W_BE_S))


@pytest.mark.parametrize(("party", "reason"), [
    ("test-foreign", "not trusted: .*not issued by a trusted certificate authority"),
    ("test-revoked", "not trusted: .*has been revoked"),
])
def test_refuses_a_reply_signed_by_an_untrusted_certificate(
        party: str, reason: str, magda: MagdaSignature, pki: DevPki) -> None:
    with pytest.raises(ResponseNotTrusted, match=reason):
        magda.verify(reply(signer_of(pki, party)))


def test_pinned_signer_is_the_counters_kbo_number(provider: Credentials, pki: DevPki,
                                                  server_signer: wsse.MessageSigner) -> None:
    pinned = MagdaSignature(ENDPOINT, provider, server_oin="0316200006")
    pinned.verify(reply(signer_of(pki, COUNTER)))
    # A trusted signer of the same chain, but not the counter: refused only because of the pin.
    with pytest.raises(ResponseNotTrusted, match=f"signed by certificate serialNumber {SERVER_OIN}, not by"):
        pinned.verify(reply(server_signer))


# -- as zeep's wsse plugin ------------------------------------------------------------------------

WSDL = f"""<?xml version="1.0" encoding="utf-8"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
             xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="{NS}" targetNamespace="{NS}">
  <types>
    <xs:schema targetNamespace="{NS}" elementFormDefault="qualified">
      <xs:element name="Registreer"><xs:complexType><xs:sequence>
        <xs:element name="Referte" type="xs:string"/><xs:element name="Wat" type="xs:string"/>
      </xs:sequence></xs:complexType></xs:element>
      <xs:element name="RegistreerAntwoord"><xs:complexType><xs:sequence>
        <xs:element name="Nummer" type="xs:string"/></xs:sequence></xs:complexType></xs:element>
    </xs:schema>
  </types>
  <message name="RegistreerIn"><part name="body" element="tns:Registreer"/></message>
  <message name="RegistreerUit"><part name="body" element="tns:RegistreerAntwoord"/></message>
  <portType name="Magda"><operation name="Registreer">
    <input message="tns:RegistreerIn"/><output message="tns:RegistreerUit"/></operation></portType>
  <binding name="MagdaBinding" type="tns:Magda">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <operation name="Registreer"><soap:operation soapAction="{NS}:Registreer"/>
      <input><soap:body use="literal"/></input><output><soap:body use="literal"/></output></operation>
  </binding>
  <service name="MagdaService"><port name="MagdaPort" binding="tns:MagdaBinding">
    <soap:address location="{ENDPOINT}"/></port></service>
</definitions>
"""


def test_zeep_runs_it_on_the_way_out_and_in(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, magda: MagdaSignature, store: TrustStore,
        server_signer: wsse.MessageSigner) -> None:
    """A stand-in server checks each request as the pipeline would (MAGDA) and answers as it writes;
    the second answer is tampered with after signing, and zeep's call must raise instead of return."""
    received: list[str] = []

    def answer(adapter: requests.adapters.HTTPAdapter, request: requests.PreparedRequest,
               **options: Any) -> requests.Response:
        body = request.body.encode() if isinstance(request.body, str) else request.body
        assert isinstance(body, bytes)
        envelope = read_envelope(parse_untrusted(body))
        check_no_addressing(envelope, MAGDA)
        verified = verify_message(envelope, trust=store, now=datetime.now(UTC), max_age=300, max_skew=60,
                                  profile=MAGDA)
        received.append(verified.payload.findtext(_m("Referte")) or "")
        root = reply(server_signer)
        if len(received) > 1:
            _change_body(root)
        response = requests.Response()
        response.status_code, response._content = 200, etree.tostring(root, encoding="utf-8")
        response.headers = CaseInsensitiveDict({"Content-Type": "text/xml; charset=utf-8"})
        response.url, response.request = request.url or "", request
        return response

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", answer)
    wsdl = tmp_path / "magda.wsdl"
    wsdl.write_text(WSDL, encoding="utf-8")
    client = zeep.Client(str(wsdl), transport=Transport(session=requests.Session()), settings=ZEEP_SETTINGS,
                         wsse=magda)

    assert client.service.Registreer(Referte="ref-zeep", Wat="x") == "42"
    assert received == ["ref-zeep"]
    with pytest.raises(ResponseNotTrusted, match="digest of"):
        client.service.Registreer(Referte="ref-zeep-2", Wat="x")
    assert received == ["ref-zeep", "ref-zeep-2"]
