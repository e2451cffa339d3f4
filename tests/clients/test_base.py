"""ServiceClient over zeep and requests, against an in-process fake server (no sockets): TLS
settings, contract loading, profile choice, fault mapping, retries and clean-up."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
import requests
import zeep.exceptions
from lxml import etree

from ketenclient import (
    ClientFault,
    Credentials,
    KetenClientError,
    ResponseNotTrusted,
    SbbErkenningenClient,
    ServerFault,
    ServiceClient,
    WusAddressing,
    WusSignature,
)
from ketencore.envelope import read_envelope
from ketenserver.pki import DevPki
from ketenserver.recognitions import NAMESPACE as SBB_NAMESPACE

BASE = "https://ketenserver.test:8443"
SIGNED = f"{BASE}/sbb-erkenningen/2W-be-S"
PLAIN = f"{BASE}/sbb-erkenningen/2W-be"


@pytest.fixture(autouse=True)
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a test tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def _sent_envelope(fake_server: Any, index: int = -1) -> Any:
    body = fake_server.posts[index].body
    return read_envelope(etree.fromstring(body))


def test_signed_call_round_trip_with_the_session_the_caller_configured(
        fake_server: Any, school: Credentials, pki: DevPki, monkeypatch: pytest.MonkeyPatch) -> None:
    # With trust_env on, requests would let this variable replace the configured CA bundle.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    with SbbErkenningenClient(SIGNED, school, timeout=7) as client:
        assert isinstance(client.security, WusSignature) and client.profile == "2W-be-S"
        result = client.vaststellen_leerbedrijf("Bakkerij De Korenschoof", "1234AB")
    assert result.signaalcode == 2 and result.leerbedrijven == ()
    files = pki.party("school-25LX")
    for sent in fake_server.sent:  # the WSDL, its three schemas and the call
        assert sent.options["verify"] == str(pki.trust_bundle)
        assert sent.options["cert"] == (str(files.chain), str(files.key))
        assert not sent.options["proxies"]
    assert [s.method for s in fake_server.sent].count("GET") == 4
    post = fake_server.posts[0]
    assert post.url == SIGNED
    assert post.options["timeout"] == 7
    assert post.headers["SOAPAction"].strip('"') == _sent_envelope(fake_server).wsa("Action")
    assert _sent_envelope(fake_server).wsa("MessageID") == client.last_message_id


def test_optional_request_elements_are_sent_only_when_given(fake_server: Any, school: Credentials) -> None:
    with SbbErkenningenClient(SIGNED, school) as client:
        client.vaststellen_leerbedrijf("Garage Hendriks", "8011 AA")
        client.vaststellen_leerbedrijf("Garage Hendriks", "8011AA", huisnummer=3, huisnummer_toevoeging="bis")
    first, second = (_sent_envelope(fake_server, i).payload for i in (0, 1))
    sbb = SBB_NAMESPACE
    assert [etree.QName(e).localname for e in first] == ["Naam", "Postcode"]
    assert [etree.QName(e).localname for e in second] == [
        "Naam", "Postcode", "Huisnummer", "HuisnummerToevoeging"]
    assert second.findtext(f"{{{sbb}}}Huisnummer") == "3"


def test_requests_go_to_the_endpoint_whatever_address_the_wsdl_names(
        fake_server: Any, school: Credentials) -> None:
    fake_server.address = "https://ketenserver.test:8443/somewhere/else/2W-be-S"
    with SbbErkenningenClient(SIGNED, school) as client:
        client.vaststellen_leerbedrijf("Bakkerij De Korenschoof", "1234AB")
    assert fake_server.posts[0].url == SIGNED
    assert _sent_envelope(fake_server).wsa("To") == SIGNED


def test_a_business_fault_becomes_a_client_fault(fake_server: Any, school: Credentials, wire: Any) -> None:
    fake_server.handler = lambda payload: wire.fault_payload(
        "SBB-1002", "Postcode 0000XX is geen Nederlandse postcode.", "Postcode")
    with SbbErkenningenClient(SIGNED, school) as client, pytest.raises(ClientFault) as caught:
        client.vaststellen_leerbedrijf("Bakkerij De Korenschoof", "1234AB")
    fault = caught.value
    assert (fault.code, fault.field, fault.faultcode) == ("SBB-1002", "Postcode", "Client")
    assert fault.message == "Postcode 0000XX is geen Nederlandse postcode."


def test_a_server_fault_becomes_a_server_fault(fake_server: Any, school: Credentials, wire: Any) -> None:
    fake_server.handler = lambda payload: wire.fault_payload(
        "0500", "The server could not process the message.", None, faultcode="Server", with_detail=False)
    with SbbErkenningenClient(SIGNED, school) as client, pytest.raises(ServerFault) as caught:
        client.vaststellen_leerbedrijf("Bakkerij De Korenschoof", "1234AB")
    assert caught.value.code == "0500" and caught.value.field is None


def test_an_unsigned_fault_is_refused_not_reported(fake_server: Any, school: Credentials, wire: Any) -> None:
    """verify runs before zeep looks for a fault: a forged fault never reaches the caller as a fault."""
    fake_server.handler = lambda payload: wire.fault_payload()
    fake_server.sign = False
    with SbbErkenningenClient(SIGNED, school) as client, \
            pytest.raises(ResponseNotTrusted, match="not signed"):
        client.vaststellen_leerbedrijf("Bakkerij De Korenschoof", "1234AB")


def test_a_response_changed_in_transit_is_refused(fake_server: Any, school: Credentials) -> None:
    def change(root: etree._Element) -> None:
        melding = root.find(f".//{{{SBB_NAMESPACE}}}Signaalcode")
        assert melding is not None
        melding.text = "0"

    fake_server.spoil = change
    with SbbErkenningenClient(SIGNED, school) as client, pytest.raises(ResponseNotTrusted, match="digest"):
        client.vaststellen_leerbedrijf("Bakkerij De Korenschoof", "1234AB")


def test_a_retry_resends_the_given_message_id(fake_server: Any, school: Credentials) -> None:
    retry_id = "urn:uuid:0b3e4f0c-7d3a-4c53-9d1e-6a4f3f1b2c3d"
    with SbbErkenningenClient(SIGNED, school) as client:
        client._call("VaststellenLeerbedrijf", message_id=retry_id, Naam="Bakkerij", Postcode="1234AB")
        assert client.last_message_id == retry_id
        client.vaststellen_leerbedrijf("Bakkerij", "1234AB")
        assert client.last_message_id != retry_id
    first, second = (_sent_envelope(fake_server, i) for i in (0, 1))
    assert first.wsa("MessageID") == retry_id
    assert second.wsa("MessageID") != retry_id


def test_the_unsigned_profile_sends_no_security_header(fake_server: Any, school: Credentials) -> None:
    with SbbErkenningenClient(PLAIN, school) as client:
        assert type(client.security) is WusAddressing and client.profile == "2W-be"
        result = client.vaststellen_leerbedrijf("Bakkerij De Korenschoof", "1234AB")
    assert result.signaalcode == 2
    sent = _sent_envelope(fake_server)
    assert sent.security is None and sent.wsa("To") == PLAIN


@pytest.mark.parametrize("location", [
    "https://elsewhere.test/xsd/sbb-erkenningen.xsd",
    "https://ketenserver.test:9443/xsd/sbb-erkenningen.xsd",  # same host, another port
    "file:///etc/hostname",  # (a bare path resolves against the WSDL's URL, not the disk)
])
def test_a_contract_may_only_import_from_the_endpoints_origin(
        location: str, fake_server: Any, school: Credentials) -> None:
    wsdl = etree.fromstring(fake_server._published(SIGNED))
    for schema_import in wsdl.iter("{http://www.w3.org/2001/XMLSchema}import"):
        schema_import.set("schemaLocation", location)
    fake_server.wsdl = etree.tostring(wsdl)
    with pytest.raises(KetenClientError, match="outside the server"):
        SbbErkenningenClient(SIGNED, school)
    assert [s.url for s in fake_server.sent] == [f"{SIGNED}?wsdl"]


def test_a_contract_with_a_dtd_is_refused(fake_server: Any, school: Credentials) -> None:
    fake_server.wsdl = b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e "boom">]>\n' + \
        fake_server._published(SIGNED).split(b"?>", 1)[1]
    with pytest.raises(zeep.exceptions.DTDForbidden):
        SbbErkenningenClient(SIGNED, school)


@pytest.mark.parametrize(("endpoint", "reason"), [
    ("http://ketenserver.test/sbb-erkenningen/2W-be-S", "not an https URL"),
    (f"{BASE}/sbb-erkenningen/2W-be-SE", "names no supported profile"),
    (f"{BASE}/sbb-erkenningen", "names no supported profile"),
    (f"{SIGNED}?wsdl", "without query"),
])
def test_endpoints_that_are_refused_before_any_request(
        endpoint: str, reason: str, fake_server: Any, school: Credentials) -> None:
    with pytest.raises(ValueError, match=reason):
        ServiceClient(endpoint, school)
    assert fake_server.sent == []


@pytest.fixture
def from_p12(pki: DevPki) -> Credentials:
    return Credentials.from_pkcs12(pki.party("school-25LX").p12, trust=pki.trust_bundle, crls=[pki.crl])


def test_closing_removes_the_key_written_for_a_pkcs12_file(fake_server: Any, from_p12: Credentials) -> None:
    credentials = from_p12
    client = SbbErkenningenClient(SIGNED, credentials)
    client.vaststellen_leerbedrijf("Bakkerij De Korenschoof", "1234AB")
    certfile, keyfile = (Path(p) for p in fake_server.posts[0].options["cert"])
    assert keyfile.is_file() and certfile.is_file()
    client.close()
    assert not keyfile.exists() and not keyfile.parent.exists()


def test_a_failed_construction_leaves_no_key_behind(fake_server: Any, from_p12: Credentials) -> None:
    credentials = from_p12
    fake_server.base = "https://other.test"  # the fake answers 404 to everything
    with pytest.raises(requests.HTTPError) as caught:  # the WSDL could not be loaded
        SbbErkenningenClient(SIGNED, credentials)
    # Checked while the traceback (and with it the half-built client) is still alive, so that
    # only an explicit clean-up, not garbage collection, can pass this test.
    assert caught.traceback
    keyfile = Path(fake_server.sent[0].options["cert"][1])
    assert not keyfile.parent.exists()
