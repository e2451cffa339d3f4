"""Hostile XML: every variant gets its documented fault quickly, and nothing of it is processed."""

from __future__ import annotations

import time

import pytest
from lxml import etree

from ketenserver.testing import fault_code

SBB = "urn:ketenserver:sbb:whitelabel:erkenningen:2.1"
ACTION = f"{SBB}:VaststellenLeerbedrijf"
SECRET = "root:x:0:0"  # what /etc/passwd would leak

DOCTYPES = {
    "internal-entity": '<!DOCTYPE e [<!ENTITY a "boom">]>',
    "external-entity": '<!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    "parameter-entity": '<!DOCTYPE e [<!ENTITY % p SYSTEM "http://127.0.0.1:9/evil.dtd"> %p;]>',
    "billion-laughs": "<!DOCTYPE e [" + '<!ENTITY l0 "ha">' + "".join(
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10)) + "]>",
    "quadratic-blowup": '<!DOCTYPE e [<!ENTITY a "' + "x" * 50000 + '">]>',
    "external-dtd": '<!DOCTYPE e SYSTEM "file:///etc/passwd">',
    "lowercase-doctype": '<!doctype e [<!entity a "b">]>',
}


def _timed(post, data: bytes, path: str = "/sbb-erkenningen/2W-be-S"):
    started = time.perf_counter()
    response = post(data, path)
    return response, time.perf_counter() - started


@pytest.mark.parametrize("name", sorted(DOCTYPES))
def test_doctype_variants_are_refused_unexpanded(post, builder_for, payload, name):
    data = builder_for("school-25LX").build(payload(), action=ACTION).bytes()
    data = data.replace(b"?>", b"?>" + DOCTYPES[name].encode(), 1)
    if "&" not in DOCTYPES[name]:
        data = data.replace(b"Bakkerij De Vries", b"Bakkerij &a;")
    response, seconds = _timed(post, data)
    assert fault_code(response.content) == "0102"
    assert SECRET not in response.text and "haha" not in response.text
    assert seconds < 2


def test_deep_nesting_is_refused(post, builder_for):
    deep = "<x>" * 20_000 + "</x>" * 20_000
    data = builder_for("school-25LX").build(
        f'<s:VaststellenLeerbedrijf xmlns:s="{SBB}"><s:Naam>a</s:Naam><s:Postcode>1012AB</s:Postcode>'
        f"</s:VaststellenLeerbedrijf>".encode(), action=ACTION).bytes()
    data = data.replace(b"<s:Naam>a</s:Naam>", f"<s:Naam>a</s:Naam>{deep}".encode())
    response, seconds = _timed(post, data)
    assert fault_code(response.content) == "0001"
    assert seconds < 2


def test_huge_text_value_is_refused_by_the_schema(post, builder_for, payload, settings):
    naam = "A" * (settings.max_request_bytes // 2)
    response, seconds = _timed(post, builder_for("school-25LX").build(payload(naam=naam), action=ACTION).bytes())
    assert fault_code(response.content) == "0004" and "Naam" in response.text
    assert naam not in response.text  # the fault never echoes the value
    assert seconds < 3


def test_very_many_attributes_are_refused(post, builder_for, payload):
    built = builder_for("school-25LX").build(payload(), action=ACTION)
    data = built.bytes().replace(b"<sbb:Naam>", b"<sbb:Naam " + b" ".join(
        f'a{i}="v"'.encode() for i in range(40000)) + b">", 1)
    response, seconds = _timed(post, data)
    assert fault_code(response.content) == "0001" and "attributes" in response.text
    assert seconds < 3


def test_xinclude_is_never_processed(post, builder_for):
    include = (f'<s:VaststellenLeerbedrijf xmlns:s="{SBB}" xmlns:xi="http://www.w3.org/2001/XInclude">'
               '<s:Naam><xi:include href="file:///etc/passwd" parse="text"/></s:Naam>'
               "<s:Postcode>1012AB</s:Postcode></s:VaststellenLeerbedrijf>").encode()
    response = post(builder_for("school-25LX").build(include, action=ACTION).bytes())
    assert fault_code(response.content) == "0004"
    assert SECRET not in response.text


def test_processing_instructions_are_refused(post, builder_for, payload):
    built = builder_for("school-25LX").build(payload(), action=ACTION)
    built.body[0].insert(0, etree.ProcessingInstruction("evil", "run()"))
    response = post(built.bytes())
    assert fault_code(response.content) == "0001" and "R1009" in response.text


def test_comment_inside_a_value_does_not_change_its_meaning(post, builder_for, payload):
    # Exclusive C14N without comments: the signed Body is the value without the comment.
    data = builder_for("school-25LX").build(payload(postcode="1012 AB"), action=ACTION).bytes()
    data = data.replace(b"1012 AB", b"1012<!-- x --> AB")
    response = post(data)
    assert response.status_code == 200, response.text
    assert b"100000001" in response.content


@pytest.mark.parametrize("bad", [b"\xff\xfe\xfd", b"\xc3\x28", b"\xed\xa0\x80"], ids=["ff", "overlong", "surrogate"])
def test_invalid_utf8_is_refused(post, builder_for, payload, bad):
    data = builder_for("school-25LX").build(payload(), action=ACTION).bytes().replace(b"Bakkerij", b"Bak" + bad)
    assert fault_code(post(data).content) == "0009"


def test_encoding_declaration_that_lies(post, builder_for, payload):
    data = builder_for("school-25LX").build(payload(naam="Café Één"), action=ACTION).bytes()
    lying = data.replace("Café Één".encode(), "Café Één".encode("latin-1"))
    assert fault_code(post(lying).content) == "0009"


@pytest.mark.parametrize("content_type", ["application/json", "application/soap+xml; charset=utf-8",
                                          "text/plain"])
def test_wrong_content_type_is_refused(base_url, school_session, builder_for, payload, content_type):
    data = builder_for("school-25LX").build(payload(), action=ACTION).bytes()
    response = school_session.post(base_url + "/sbb-erkenningen/2W-be-S", data=data,
                                   headers={"Content-Type": content_type}, timeout=10)
    assert fault_code(response.content) == "0001" and "Content-Type" in response.text


def test_compressed_body_is_not_inflated(base_url, school_session, builder_for, payload):
    import gzip

    data = gzip.compress(builder_for("school-25LX").build(payload(), action=ACTION).bytes())
    response = school_session.post(base_url + "/sbb-erkenningen/2W-be-S", data=data, timeout=10,
                                   headers={"Content-Type": "text/xml; charset=utf-8", "Content-Encoding": "gzip"})
    assert fault_code(response.content) == "0001" and "Content-Encoding" in response.text
