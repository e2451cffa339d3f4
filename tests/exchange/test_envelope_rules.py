"""Envelope and WS-Addressing rules, shown on profile 2W-be (mutual TLS, no signing)."""

from __future__ import annotations

import pytest
from lxml import etree

from ketencore import names as ns
from ketencore.envelope import read_envelope
from ketenserver import contracts
from ketenserver.testing import fault_code

SBB = "urn:ketenserver:sbb:whitelabel:erkenningen:2.1"
ACTION = f"{SBB}:VaststellenLeerbedrijf"
PLAIN = "/sbb-erkenningen/2W-be"


@pytest.fixture
def plain(builder_for):
    return builder_for("school-25LX", PLAIN, signed=False)


def test_unsigned_profile_answers_without_signature(post, plain, payload):
    built = plain.build(payload(), action=ACTION)
    response = post(built.bytes(), PLAIN)
    assert response.status_code == 200, response.text
    envelope = read_envelope(etree.fromstring(response.content))
    assert envelope.security is None
    assert envelope.wsa("RelatesTo") == built.message_id


@pytest.mark.parametrize(("header", "code"), [("To", "0005"), ("Action", "0006"), ("MessageID", "0007")])
def test_required_addressing_headers(post, plain, payload, header, code):
    built = plain.build(payload(), action=ACTION)
    built.header.remove(built.wsa(header))
    response = post(built.bytes(), PLAIN)
    assert fault_code(response.content) == code
    assert header in response.text


def test_to_must_name_this_endpoint(post, plain, payload):
    built = plain.build(payload(), action=ACTION)
    built.wsa("To").text = "https://elsewhere.example/sbb-erkenningen/other"
    assert fault_code(post(built.bytes(), PLAIN).content) == "0011"


def test_reply_to_must_be_anonymous(post, plain, payload):
    reply_to = etree.Element(ns.qn(ns.WSA, "ReplyTo"))
    etree.SubElement(reply_to, ns.qn(ns.WSA, "Address")).text = "https://school.example/callback"
    built = plain.build(payload(), action=ACTION, extra_headers=[reply_to])
    assert fault_code(post(built.bytes(), PLAIN).content) == "0011"


def test_duplicate_addressing_header(post, plain, payload):
    built = plain.build(payload(), action=ACTION)
    extra = etree.SubElement(built.header, ns.qn(ns.WSA, "Action"))
    extra.text = ACTION
    assert fault_code(post(built.bytes(), PLAIN).content) == "0011"


@pytest.mark.parametrize(
    "data",
    [
        b"this is not xml",
        b'<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Body/></Envelope>',
        b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header/></e:Envelope>',
    ],
    ids=["not-xml", "soap12", "no-body"],
)
def test_invalid_envelopes(post, data):
    assert fault_code(post(data, PLAIN).content) == "0001"


def test_two_elements_in_the_body(post, plain, payload):
    built = plain.build(payload(), action=ACTION)
    built.body.append(etree.fromstring(payload()))
    assert fault_code(post(built.bytes(), PLAIN).content) == "0001"


def test_non_utf8_is_refused(post, plain, payload):
    text = plain.build(payload(), action=ACTION).bytes().decode().replace("encoding='utf-8'", "")
    data = text.replace("<?xml version='1.0' ?>", "").encode("utf-16")
    assert fault_code(post(data, PLAIN).content) == "0009"


def test_latin1_declaration_is_refused(post, plain, payload):
    data = etree.tostring(plain.build(payload(), action=ACTION).root, xml_declaration=True, encoding="iso-8859-1")
    assert fault_code(post(data, PLAIN).content) == "0009"


def test_unknown_operation(post, plain):
    built = plain.build(b'<x:Onbekend xmlns:x="urn:ketenserver:sbb:whitelabel:erkenningen:2.1"/>', action=ACTION)
    assert fault_code(post(built.bytes(), PLAIN).content) == "0004"


def test_faults_leak_no_library_text(post, plain, payload):
    built = plain.build(payload(postcode="12"), action=ACTION)
    response = post(built.bytes(), PLAIN)
    assert fault_code(response.content) == "0004"
    lowered = response.text.lower()
    for leak in ("traceback", "lxml", "element '{", "schemasvalidity", "file \""):
        assert leak not in lowered


def test_missing_element_is_named(post, plain):
    built = plain.build(f'<s:VaststellenLeerbedrijf xmlns:s="{SBB}"><s:Naam>x</s:Naam></s:VaststellenLeerbedrijf>'
                        .encode(), action=ACTION)
    response = post(built.bytes(), PLAIN)
    assert fault_code(response.content) == "0004"
    assert "Field Postcode is missing" in response.text
    detail = etree.fromstring(response.content).find(f".//{{{ns.FAULT}}}FaultDetail")
    assert detail is not None and detail.findtext(f"{{{ns.FAULT}}}Field") == "Postcode"
    assert contracts.fault_schema().validate(detail)


def test_unexpected_element_is_named(post, plain):
    built = plain.build(f'<s:VaststellenLeerbedrijf xmlns:s="{SBB}"><s:Naam>x</s:Naam><s:Extra/>'
                        f"<s:Postcode>1234AB</s:Postcode></s:VaststellenLeerbedrijf>".encode(), action=ACTION)
    response = post(built.bytes(), PLAIN)
    assert fault_code(response.content) == "0004"
    assert "Field Extra" in response.text and "expected Postcode" in response.text


def test_charset_other_than_utf8_is_refused(base_url, school_session, plain, payload):
    data = plain.build(payload(), action=ACTION).bytes()
    response = school_session.post(base_url + PLAIN, data=data, timeout=10,
                                   headers={"Content-Type": "text/xml; charset=iso-8859-1"})
    assert fault_code(response.content) == "0009"


def test_endpoint_reference_may_only_hold_an_address(post, plain, payload):
    built = plain.build(payload(), action=ACTION)
    etree.SubElement(built.wsa("From"), ns.qn(ns.WSA, "ReferenceParameters"))
    response = post(built.bytes(), PLAIN)
    assert fault_code(response.content) == "0011" and "From" in response.text


def test_unregistered_organisation_is_refused(post, builder_for, payload, tls_for):
    data = builder_for("test-rogue").build(payload(), action=ACTION).bytes()
    response = post(data, "/sbb-erkenningen/2W-be-S", session=tls_for("test-rogue"))
    assert fault_code(response.content) == "0002" and "not registered" in response.text
