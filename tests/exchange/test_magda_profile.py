"""The MAGDA profile (ketencore.profiles): mutual TLS, a Timestamp and a signature over Body and
Timestamp, no WS-Addressing. Shown in-process on the pipeline with a stand-in operation whose
request carries its own reference (as MAGDA's Referte), and on the core's writer and verifier."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from io import BytesIO

import pytest
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketencore import names as ns
from ketencore import wsse
from ketencore.envelope import read_envelope, write_reply
from ketencore.profiles import DIGIKOPPELING_2W_BE_S, MAGDA
from ketencore.trust import TrustStore
from ketencore.verify import verify_message
from ketenserver.contracts import WsdlOperation
from ketenserver.exchange.pipeline import Endpoint
from ketenserver.exchange.storage import JournalEntry, SeenSignature
from ketenserver.testing import fault_code

NS = "urn:test:magda"
SCHEMA = etree.XMLSchema(etree.fromstring(f"""
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{NS}" elementFormDefault="qualified">
  <xs:element name="Registreer"><xs:complexType><xs:sequence>
    <xs:element name="Referte" type="xs:string"/><xs:element name="Wat" type="xs:string"/>
  </xs:sequence></xs:complexType></xs:element>
  <xs:element name="RegistreerAntwoord"><xs:complexType><xs:sequence>
    <xs:element name="Nummer" type="xs:string"/></xs:sequence></xs:complexType></xs:element>
</xs:schema>""".encode()))


def _referte(payload: etree._Element) -> str:
    return payload.findtext(f"{{{NS}}}Referte") or ""


class Work:
    """Each call adds a row (its work) and answers with a fresh number."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, payload, call):
        self.calls += 1
        number = uuid.uuid4().hex
        call.session.add(SeenSignature(digest=f"magda-{number}", expires_at=datetime(2999, 1, 1, tzinfo=UTC)))
        return etree.fromstring(f'<m:RegistreerAntwoord xmlns:m="{NS}"><m:Nummer>{number}</m:Nummer>'
                                "</m:RegistreerAntwoord>")


@pytest.fixture
def work() -> Work:
    return Work()


@pytest.fixture
def endpoint(work) -> Endpoint:
    operation = WsdlOperation(name="Registreer", input_element=f"{{{NS}}}Registreer",
                              output_element=f"{{{NS}}}RegistreerAntwoord", action=f"{NS}:Registreer",
                              output_action=f"{NS}:RegistreerAntwoord", soap_action="")
    return Endpoint("magda-test", MAGDA, {operation.input_element: operation}, frozenset({"Registreer"}), SCHEMA,
                    work, _referte)


@pytest.fixture
def school(pki):
    return pki.party("school-25LX")


def magda_request(party, referte: str, wat: str = "x", *, sign=("Body", "Timestamp"), addressing: bool = False,
                  security: bool = True) -> bytes:
    """A request as a MAGDA client writes it: no WS-A, a signed Body and Timestamp."""
    root = etree.Element(ns.ENVELOPE, nsmap={"soapenv": ns.SOAP_ENV, "wsu": ns.WSU})
    header = etree.SubElement(root, ns.HEADER)
    body = etree.SubElement(root, ns.BODY)
    body.append(etree.fromstring(f'<m:Registreer xmlns:m="{NS}"><m:Referte>{referte}</m:Referte>'
                                 f"<m:Wat>{wat}</m:Wat></m:Registreer>".encode()))
    if addressing:
        etree.SubElement(header, ns.qn(ns.WSA, "Action")).text = f"{NS}:Registreer"
    if security:
        block = etree.SubElement(header, ns.SECURITY, nsmap={"wsse": ns.WSSE})
        stamp = wsse.new_timestamp(datetime.now(UTC))
        block.append(stamp)
        parts = {"Body": body, "Timestamp": stamp}
        signer = wsse.MessageSigner.from_pem(party.key.read_bytes(), party.cert.read_bytes())
        signer.sign(root, block, [parts[name] for name in sign])
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


@pytest.fixture
def send(app, endpoint, school):
    def post(data: bytes) -> tuple[str, bytes]:
        environ = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": str(len(data)), "wsgi.input": BytesIO(data),
                   "CONTENT_TYPE": "text/xml; charset=utf-8", "SSL_CLIENT_CERT": school.cert.read_text()}
        status: list[str] = []
        body = b"".join(app.pipeline.handle(endpoint, environ, lambda s, h: status.append(s)))
        return status[0], body

    return post


def _nummer(body: bytes) -> str | None:
    return etree.fromstring(body).findtext(f".//{{{NS}}}Nummer")


def test_a_magda_request_is_answered_in_magda_style_signed_by_the_server(send, school, settings):
    status, body = send(magda_request(school, f"ref-{uuid.uuid4()}"))
    assert status.startswith("200"), body
    envelope = read_envelope(etree.fromstring(body))
    assert envelope.addressing == {}  # no WS-A in the reply either
    assert envelope.security is not None
    assert envelope.security.find(ns.qn(ns.WSSE11, "SignatureConfirmation")) is None
    trust = TrustStore.from_files(settings.trust_bundle_path, settings.crl_paths)
    verified = verify_message(envelope, trust=trust, now=datetime.now(UTC), max_age=300, max_skew=60, profile=MAGDA)
    assert set(verified.signed_parts) == {"Body", "Timestamp"}
    assert verified.payload.tag == f"{{{NS}}}RegistreerAntwoord"


def test_the_referte_stands_in_for_the_message_id(send, school, work, engine):
    referte = f"ref-{uuid.uuid4()}"
    _, first = send(magda_request(school, referte))
    _, again = send(magda_request(school, referte))  # freshly signed retry: the stored reply, no new work
    assert _nummer(first) is not None and _nummer(again) == _nummer(first) and work.calls == 1
    _, other = send(magda_request(school, f"ref-{uuid.uuid4()}"))
    assert _nummer(other) not in (None, _nummer(first)) and work.calls == 2
    status, changed = send(magda_request(school, referte, wat="iets anders"))
    assert status.startswith("500") and fault_code(changed) == "0011" and work.calls == 2
    with Session(engine) as session:
        outcomes = session.execute(select(JournalEntry.outcome, JournalEntry.profile)
                                   .where(JournalEntry.message_id == referte).order_by(JournalEntry.id)).all()
    assert [tuple(row) for row in outcomes] == [("accepted", "MAGDA"), ("retried", "MAGDA"), ("refused", "MAGDA")]


@pytest.mark.parametrize(("kwargs", "code", "says"), [
    ({"addressing": True}, "0010", "wsa:Action is not part of profile MAGDA"),
    ({"sign": ("Body",)}, "0112", "Timestamp is not signed"),
    ({"sign": ("Timestamp",)}, "0112", "Body is not signed"),
    ({"security": False}, "0110", "Profile MAGDA requires a wsse:Security header"),
])
def test_what_magda_refuses_is_named(send, school, work, kwargs, code, says):
    status, body = send(magda_request(school, f"ref-{uuid.uuid4()}", **kwargs))
    assert status.startswith("500") and fault_code(body) == code
    assert says.encode() in body and work.calls == 0
    assert read_envelope(etree.fromstring(body)).addressing == {}  # the fault follows the profile too


def test_a_profile_without_addressing_needs_a_reference(work):
    with pytest.raises(ValueError, match=r"Feature\.reference"):
        Endpoint("magda-test", MAGDA, {}, frozenset(), SCHEMA, work)


def test_the_reply_writer_leaves_out_what_the_profile_has_not(pki):
    server = pki.party("school-25LX")
    signer = wsse.MessageSigner.from_pem(server.key.read_bytes(), server.cert.read_bytes())
    payload = etree.fromstring(f'<m:RegistreerAntwoord xmlns:m="{NS}"><m:Nummer>1</m:Nummer></m:RegistreerAntwoord>')
    digikoppeling = read_envelope(etree.fromstring(write_reply(
        payload, action=f"{NS}:RegistreerAntwoord", relates_to="urn:uuid:1", signer=signer, now=datetime.now(UTC),
        confirm="abc", profile=DIGIKOPPELING_2W_BE_S)))
    assert set(digikoppeling.addressing) == {"Action", "MessageID", "RelatesTo", "To"}
    assert digikoppeling.security.find(ns.qn(ns.WSSE11, "SignatureConfirmation")).get("Value") == "abc"
    payload = etree.fromstring(f'<m:RegistreerAntwoord xmlns:m="{NS}"><m:Nummer>1</m:Nummer></m:RegistreerAntwoord>')
    magda = read_envelope(etree.fromstring(write_reply(
        payload, action=f"{NS}:RegistreerAntwoord", relates_to="urn:uuid:1", signer=signer, now=datetime.now(UTC),
        confirm="abc", profile=MAGDA)))
    assert magda.addressing == {} and magda.security.find(ns.qn(ns.WSSE11, "SignatureConfirmation")) is None
    with pytest.raises(ValueError, match="needs a signer"):
        write_reply(payload, action=None, relates_to=None, signer=None, now=datetime.now(UTC), profile=MAGDA)
