"""Our signatures (libxmlsec1 through ketencore.wsse) checked by an independent implementation:
signxml verifies every reference of a signed request and a signed reply, with RSA and EC keys, and
refuses them once a signed part is changed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import XMLVerifier
from signxml.exceptions import InvalidDigest, InvalidSignature

from ketencore import names as ns
from ketencore import wsse
from ketencore.envelope import write_reply
from ketenserver.pki import DevPki
from ketenserver.testing import RequestBuilder

PAYLOAD = b'<r:Antwoord xmlns:r="urn:ketenserver:test"><r:Waarde>1</r:Waarde></r:Antwoord>'


def _ec_signer() -> tuple[wsse.MessageSigner, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ec test signer")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now.replace(year=now.year + 1)).sign(key, hashes.SHA256()))
    return wsse.MessageSigner(key, cert), cert.public_bytes(serialization.Encoding.PEM).decode()


def _reply(signer: wsse.MessageSigner) -> etree._Element:
    data = write_reply(etree.fromstring(PAYLOAD), action="urn:ketenserver:test:AntwoordResponse",
                       relates_to="urn:uuid:1", signer=signer, now=datetime.now(UTC), confirm="QUJD")
    return etree.fromstring(data)


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_signxml_verifies_every_reference_of_a_signed_reply(pki: DevPki, kind: str) -> None:
    if kind == "rsa":
        signer, cert = wsse.MessageSigner.from_pem(pki.server_key.read_bytes(), pki.server_cert.read_bytes()), \
            pki.server_cert.read_text()
    else:
        signer, cert = _ec_signer()
    results = XMLVerifier().verify(_reply(signer), x509_cert=cert, expect_references=7)
    assert sorted(etree.QName(result.signed_xml).localname for result in results) == sorted(
        ["Body", "Action", "MessageID", "RelatesTo", "To", "Timestamp", "SignatureConfirmation"])


def test_signxml_verifies_a_signed_request(pki: DevPki) -> None:
    school = pki.party("school-25LX")
    builder = RequestBuilder.from_files(school.cert, school.key, "https://localhost/sbb-erkenningen/2W-be-S",
                                        school.oin)
    root = etree.fromstring(builder.build(PAYLOAD, action="urn:ketenserver:test:Antwoord").bytes())
    results = XMLVerifier().verify(root, x509_cert=school.cert.read_text(), expect_references=6)
    assert {etree.QName(result.signed_xml).localname for result in results} >= {"Body", "Timestamp", "MessageID"}


def test_signxml_refuses_a_changed_signed_part(pki: DevPki) -> None:
    signer = wsse.MessageSigner.from_pem(pki.server_key.read_bytes(), pki.server_cert.read_bytes())
    root = _reply(signer)
    root.find(f"{ns.BODY}/{{urn:ketenserver:test}}Antwoord/{{urn:ketenserver:test}}Waarde").text = "2"
    with pytest.raises((InvalidDigest, InvalidSignature)):
        XMLVerifier().verify(root, x509_cert=pki.server_cert.read_text(), expect_references=7)
