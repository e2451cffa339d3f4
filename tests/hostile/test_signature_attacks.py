"""Signature attacks: wrapping in every place the literature describes, for every signed part;
confused keys and tokens; forbidden algorithms and transforms; freshness, replay and identity."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
from lxml import etree

from ketencore import names as ns
from ketencore import wsse
from ketenserver.testing import fault_code, fault_text

SBB = "urn:ketenserver:sbb:whitelabel:erkenningen:2.1"
ACTION = f"{SBB}:VaststellenLeerbedrijf"
LEAKS = ("traceback", "lxml", "signxml", "sqlalchemy", "/work/", ".py\"", "cryptography")
PARTS = ("Body", "Timestamp", "To", "From", "Action", "MessageID")


@pytest.fixture
def school(builder_for):
    return builder_for("school-25LX")


def _refused(response, code: str) -> None:
    assert response.status_code == 500
    assert fault_code(response.content) == code, response.text
    lowered = fault_text(response.content).lower()
    assert not any(leak in lowered for leak in LEAKS), response.text


def _part(built, name: str) -> etree._Element:
    if name == "Body":
        return built.body
    if name == "Timestamp":
        return built.security.find(ns.TIMESTAMP)
    return built.wsa(name)


def _unsigned_replacement(original: etree._Element) -> etree._Element:
    replacement = copy.deepcopy(original)
    for key in list(replacement.attrib):
        if etree.QName(key).localname == "Id":
            del replacement.attrib[key]
    if replacement.tag == ns.BODY:
        replacement[0][0].text = "Iets Anders"
    elif replacement.tag == ns.TIMESTAMP:
        replacement[0].text = wsse.utc_text(datetime.now(UTC))
    return replacement  # a header keeps its value: only the signature no longer covers it


def _wrap(built, name: str, where: str) -> None:
    """Move the signed part to ``where`` and put an unsigned look-alike at its own place."""
    signed = _part(built, name)
    parent, index = signed.getparent(), signed.getparent().index(signed)
    parent.remove(signed)
    parent.insert(index, _unsigned_replacement(signed))
    if where == "security-wrapper":
        etree.SubElement(built.security, ns.qn(ns.WSSE, "Wrapper")).append(signed)
    elif where == "signature-object":
        signature = built.security.find(ns.SIGNATURE)
        etree.SubElement(signature, ns.qn(ns.DS, "Object")).append(signed)
    elif where == "header-wrapper":
        etree.SubElement(built.header, ns.qn(ns.WSA, "ReferenceParameters")).append(signed)


@pytest.mark.parametrize("name", PARTS)
@pytest.mark.parametrize("where", ["security-wrapper", "signature-object", "header-wrapper"])
def test_signed_part_moved_elsewhere_with_a_look_alike_in_its_place(post, school, payload, name, where):
    built = school.build(payload(), action=ACTION)
    _wrap(built, name, where)
    response = post(built.bytes())
    expected = "0011" if where == "header-wrapper" else "0112"  # an unknown wsa: header is refused first
    _refused(response, expected)


@pytest.mark.parametrize("name", PARTS)
def test_signed_part_copied_with_its_id(post, school, payload, name):
    built = school.build(payload(), action=ACTION)
    etree.SubElement(built.security, ns.qn(ns.WSSE, "Wrapper")).append(copy.deepcopy(_part(built, name)))
    _refused(post(built.bytes()), "0117")


@pytest.mark.parametrize("position", ["before", "after"])
def test_second_body_before_or_after_the_signed_one(post, school, payload, position):
    built = school.build(payload(), action=ACTION)
    evil = _unsigned_replacement(built.body)
    index = built.root.index(built.body)
    built.root.insert(index if position == "before" else index + 1, evil)
    _refused(post(built.bytes()), "0001")


def test_two_signatures(post, school, payload):
    built = school.build(payload(), action=ACTION)
    built.security.append(copy.deepcopy(built.security.find(ns.SIGNATURE)))
    _refused(post(built.bytes()), "0110")


def test_two_security_headers(post, school, payload):
    built = school.build(payload(), action=ACTION)
    built.header.append(copy.deepcopy(built.security))
    assert fault_code(post(built.bytes()).content) in {"0001", "0117"}  # duplicate Ids are found too


def test_key_info_pointing_at_the_body(post, school, payload):
    built = school.build(payload(), action=ACTION)
    reference = built.security.find(f".//{{{ns.WSSE}}}SecurityTokenReference/{{{ns.WSSE}}}Reference")
    reference.set("URI", "#" + wsse.element_id(built.body))
    _refused(post(built.bytes()), "0118")


def test_retrieval_method_instead_of_a_token_reference(post, school, payload):
    built = school.build(payload(), action=ACTION)
    key_info = built.security.find(f"{{{ns.DS}}}Signature/{{{ns.DS}}}KeyInfo")
    for child in list(key_info):
        key_info.remove(child)
    etree.SubElement(key_info, ns.qn(ns.DS, "RetrievalMethod"), URI="http://127.0.0.1:9/key")
    _refused(post(built.bytes()), "0118")


def test_token_that_does_not_match_the_signing_key(post, school, payload, pki):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    built = school.build(payload(), action=ACTION)
    other = x509.load_pem_x509_certificate(pki.party("school-30AB").cert.read_bytes())
    import base64

    built.security.find(ns.BINARY_SECURITY_TOKEN).text = base64.b64encode(
        other.public_bytes(serialization.Encoding.DER)).decode()
    _refused(post(built.bytes()), "0111")


@pytest.mark.parametrize(
    "algorithm",
    ["http://www.w3.org/TR/1999/REC-xslt-19991116", "http://www.w3.org/TR/1999/REC-xpath-19991116",
     "http://www.w3.org/2002/06/xmldsig-filter2", "http://www.w3.org/2000/09/xmldsig#base64"],
    ids=["xslt", "xpath", "xpath-filter2", "base64"],
)
def test_forbidden_transforms(post, school, payload, algorithm):
    built = school.build(payload(), action=ACTION)
    transforms = built.security.find(f".//{{{ns.DS}}}Transforms")
    etree.SubElement(transforms, ns.qn(ns.DS, "Transform"), Algorithm=algorithm)
    _refused(post(built.bytes()), "0113")


@pytest.mark.parametrize(
    ("element", "algorithm"),
    [("SignatureMethod", "http://www.w3.org/2000/09/xmldsig#hmac-sha1"),
     ("SignatureMethod", "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"),
     ("SignatureMethod", "http://www.w3.org/2000/09/xmldsig#rsa-sha1"),
     ("DigestMethod", "http://www.w3.org/2001/04/xmldsig-more#md5"),
     ("CanonicalizationMethod", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315")],
    ids=["hmac-sha1", "hmac-sha256", "rsa-sha1", "md5", "inclusive-c14n"],
)
def test_forbidden_methods(post, school, payload, element, algorithm):
    built = school.build(payload(), action=ACTION)
    built.security.find(f".//{{{ns.DS}}}{element}").set("Algorithm", algorithm)
    _refused(post(built.bytes()), "0113")


def test_too_many_references(post, school, payload):
    built = school.build(payload(), action=ACTION)
    signed_info = built.security.find(f".//{{{ns.DS}}}SignedInfo")
    reference = signed_info.find(ns.qn(ns.DS, "Reference"))
    for _ in range(100):
        signed_info.append(copy.deepcopy(reference))
    _refused(post(built.bytes()), "0113")


def test_too_many_transforms(post, school, payload):
    built = school.build(payload(), action=ACTION)
    transforms = built.security.find(f".//{{{ns.DS}}}Transforms")
    for _ in range(20):
        etree.SubElement(transforms, ns.qn(ns.DS, "Transform"), Algorithm=ns.EXC_C14N)
    _refused(post(built.bytes()), "0113")


# --- freshness and replay ----------------------------------------------------------------------

def test_missing_timestamp(post, school, payload):
    built = school.build(payload(), action=ACTION, sign=("Body", "To", "From", "Action", "MessageID"))
    built.security.remove(built.security.find(ns.TIMESTAMP))
    _refused(post(built.bytes()), "0115")


def test_doubled_timestamp(post, school, payload):
    built = school.build(payload(), action=ACTION)
    extra = _unsigned_replacement(built.security.find(ns.TIMESTAMP))
    built.security.insert(0, extra)
    _refused(post(built.bytes()), "0115")


@pytest.mark.parametrize("value", ["2026-01-01T10:00:00", "2026-01-01T10:00:00+02:00", "yesterday"],
                         ids=["no-zone", "not-utc", "garbage"])
def test_timestamp_without_utc(post, school, payload, value):
    built = school.build(payload(), action=ACTION)
    built.security.find(ns.TIMESTAMP)[0].text = value
    _refused(post(built.bytes()), "0115")


def test_one_schools_message_replayed_over_another_schools_connection(post, school, payload, tls_for):
    data = school.build(payload(), action=ACTION).bytes()
    assert post(data).status_code == 200
    _refused(post(data, session=tls_for("school-30AB")), "0002")


# --- identity ----------------------------------------------------------------------------------

def test_signed_from_claiming_another_school_grants_nothing(post, school, payload, journal_entry):
    """Identity comes from the certificates; wsa:From is only an address, even when signed."""
    from dataclasses import replace

    claiming = replace(school, oin="0000000700030AB00000")  # From ...?oin=<school 30AB>, signed by 25LX
    built = claiming.build(payload(), action=ACTION)
    assert built.wsa("From")[0].text.endswith("0000000700030AB00000")
    assert post(built.bytes()).status_code == 200
    assert journal_entry(built.message_id).organisation_oin == "0000000700025LX00000"


def test_changing_a_signed_from_breaks_the_signature(post, school, payload):
    built = school.build(payload(), action=ACTION)
    address = built.wsa("From")[0]
    address.text = address.text.replace("0000000700025LX00000", "0000000700030AB00000")
    _refused(post(built.bytes()), "0111")


def test_intermediary_for_an_organisation_it_does_not_serve(post, builder_for, payload, tls_for):
    data = builder_for("vendor-hosting").build(payload(), action=ACTION).bytes()
    _refused(post(data, session=tls_for("test-rogue")), "0002")
