"""ketenclient.MutatieOntvanger as a WSGI application: what it accepts, and every refusal.

Offers are crafted with :class:`ketenserver.testing.RequestBuilder`, signed with the server's
(SBB's) key as the deliverer signs them, then tampered with where a test needs it.
"""

from __future__ import annotations

import io

import pytest
from lxml import etree

from ketenclient import Credentials, Mutatie, MutatieOntvanger
from ketenclient.security import WusSignature
from ketencore import names as ns
from ketencore.envelope import read_envelope
from ketencore.trust import TrustStore
from ketenserver.pki import SERVER_OIN, DevPki
from ketenserver.recognitions import NAMESPACE as SBB_NAMESPACE
from ketenserver.testing import RequestBuilder, fault_code, fault_text
from tests import factories

ADDRESS = "https://127.0.0.1:9443/sbb-mutaties/2W-be-S"
ACTION = "urn:ketenserver:sbb:whitelabel:mutatieontvanger:2.1:AanbiedenMutatie"
RECEIVER_NS = "urn:ketenserver:sbb:whitelabel:mutatieontvanger:2.1"


def _offer() -> etree._Element:
    return factories.golden("sbb-mutatieontvanger", "AanbiedenMutatie.request.xml")


@pytest.fixture
def school(pki: DevPki) -> Credentials:
    return factories.credentials(pki, "school-25LX")


@pytest.fixture
def received() -> list[Mutatie]:
    return []


@pytest.fixture
def receiver(school: Credentials, received: list[Mutatie]) -> MutatieOntvanger:
    return MutatieOntvanger(school, received.append, sbb_oin=SERVER_OIN)


@pytest.fixture
def sbb(pki: DevPki) -> RequestBuilder:
    return RequestBuilder.from_files(pki.server_cert, pki.server_key, ADDRESS, SERVER_OIN)


def _post(receiver: MutatieOntvanger, data: bytes, *, client_cert: str | None = None) -> tuple[str, bytes]:
    answered: list[str] = []
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/sbb-mutaties/2W-be-S", "SCRIPT_NAME": "",
               "CONTENT_LENGTH": str(len(data)), "CONTENT_TYPE": "text/xml; charset=utf-8",
               "wsgi.input": io.BytesIO(data)}
    if client_cert is not None:
        environ["SSL_CLIENT_CERT"] = client_cert
    body = b"".join(receiver(environ, lambda status, headers: answered.append(status)))
    return answered[0], body


def test_a_valid_offer_reaches_the_callback_and_gets_a_signed_acknowledgement(
        receiver, received, sbb, pki, school) -> None:
    built = sbb.build(_offer(), action=ACTION)
    status, body = _post(receiver, built.bytes(), client_cert=pki.server_cert.read_text())
    assert status == "200 OK"
    assert [(m.volgnummer, m.leerbedrijf_id, m.crebo, m.soort) for m in received] == [
        (13, "100000001", "25183", "ingetrokken")]
    answer = read_envelope(etree.fromstring(body))
    assert answer.payload.findtext(ns.qn(RECEIVER_NS, "Volgnummer")) == "13"
    # The deliverer's own check: signed by the school, relating to and confirming this offer.
    checker = WusSignature(ADDRESS, Credentials.from_pem(pki.server_chain, pki.server_key, trust=pki.trust_bundle),
                           trust_store=TrustStore.from_files(pki.trust_bundle, [pki.crl]), server_oin=school.oin)
    checker._state.message_id, checker._state.signature_value = built.message_id, built.signature_value
    checker.verify(answer.root)


def test_the_same_signed_offer_twice_is_a_replay(receiver, received, sbb) -> None:
    data = sbb.build(_offer(), action=ACTION).bytes()
    assert _post(receiver, data)[0] == "200 OK"
    status, body = _post(receiver, data)
    assert (status, fault_code(body)) == ("500 Internal Server Error", "0116")
    assert len(received) == 1


def _tamper_body(built) -> None:
    built.body[0].find(f"{{{RECEIVER_NS}}}Mutatie/{{{SBB_NAMESPACE}}}LeerbedrijfId").text = "100000002"


@pytest.mark.parametrize(("case", "code"), [
    ("unsigned", "0110"),
    ("signed by another school", "0002"),
    ("body changed after signing", "0111"),
    ("another operation's action", "0011"),
    ("a DOCTYPE", "0102"),
    ("TLS client is not the signer", "0002"),
    ("Timestamp not signed", "0112"),
])
def test_refusals_never_reach_the_callback(receiver, received, sbb, pki, case, code) -> None:
    client_cert = None
    if case == "unsigned":
        sbb.signer = None
        data = sbb.build(_offer(), action=ACTION).bytes()
    elif case == "signed by another school":
        files = pki.party("school-30AB")
        other = RequestBuilder.from_files(files.cert, files.key, ADDRESS, files.oin)
        data = other.build(_offer(), action=ACTION).bytes()
    elif case == "body changed after signing":
        built = sbb.build(_offer(), action=ACTION)
        _tamper_body(built)
        data = built.bytes()
    elif case == "another operation's action":
        data = sbb.build(_offer(), action=ACTION + "Response").bytes()
    elif case == "a DOCTYPE":
        data = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "x">]>' + etree.tostring(
            sbb.build(_offer(), action=ACTION).root)
    elif case == "TLS client is not the signer":
        data = sbb.build(_offer(), action=ACTION).bytes()
        client_cert = pki.party("school-30AB").cert.read_text()
    else:
        data = sbb.build(_offer(), action=ACTION, sign=("Body", "To", "From", "Action", "MessageID")).bytes()
    status, body = _post(receiver, data, client_cert=client_cert)
    assert (status, fault_code(body)) == ("500 Internal Server Error", code)
    assert received == []
    assert "Traceback" not in fault_text(body) and "lxml" not in fault_text(body)


def test_a_failing_callback_answers_a_server_fault_so_sbb_offers_it_again(school, sbb) -> None:
    def down(_: Mutatie) -> None:
        raise RuntimeError("database unavailable at /var/lib/school.db")

    status, body = _post(MutatieOntvanger(school, down, sbb_oin=SERVER_OIN), sbb.build(_offer(), action=ACTION).bytes())
    assert (status, fault_code(body)) == ("500 Internal Server Error", "0500")
    assert "/var/lib" not in fault_text(body) and "RuntimeError" not in fault_text(body)
    root = etree.fromstring(body)
    assert root.find(f"{{{ns.SOAP_ENV}}}Header/{{{ns.WSSE}}}Security/{{{ns.DS}}}Signature") is not None


def test_an_invalid_mutation_is_refused_by_the_contract(receiver, received, sbb) -> None:
    offer = _offer()
    offer.find(f"{{{RECEIVER_NS}}}Mutatie/{{{SBB_NAMESPACE}}}Crebo").text = "ABCDE"
    status, body = _post(receiver, sbb.build(offer, action=ACTION).bytes())
    assert (status, fault_code(body)) == ("500 Internal Server Error", "0004") and received == []


def test_the_receiver_needs_crls_to_check_sbb(pki: DevPki) -> None:
    without = factories.credentials(pki, "school-25LX", crls=False)
    with pytest.raises(ValueError, match="CRL"):
        MutatieOntvanger(without, print)
