"""Hostile messages to the Verzuimloket: oversized and malformed attachments, forged numbers,
floods of days, and reaching for another school's report. Every refusal is checked by this
folder's ``post`` fixture as well: journalled, and no stored data changed."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from lxml import etree

from ketenserver.absence import NAMESPACE as DUO_NAMESPACE
from ketenserver.testing import fault_code, fault_text
from tests import factories

TNS = DUO_NAMESPACE
PATH = "/duo-verzuimloket/2W-be-S"


def _golden(name: str) -> bytes:
    return factories.golden_body("duo-verzuimloket", name)


def _submission(**replace: bytes) -> bytes:
    body = _golden("IndienenVerzuimmelding.request.xml").replace(b"999990019", factories.bsn().encode())
    for old, new in replace.items():
        body = body.replace(old.encode(), new)
    return body


@pytest.fixture
def send(builder_for: Any, post: Any, tls_for: Any) -> Any:
    def run(body: bytes, operation: str, party: str = "school-25LX") -> Any:
        built = builder_for(party, PATH).build(body, action=f"{TNS}:{operation}")
        return post(etree.tostring(built.root), PATH, session=tls_for(party))

    return run


def _with_attachment(content: str) -> bytes:
    root = etree.fromstring(_submission())
    inhoud = root.find(f"{{{TNS}}}Bijlagen/{{{TNS}}}Bijlage/{{{TNS}}}Inhoud")
    assert inhoud is not None
    inhoud.text = content
    serialised: bytes = etree.tostring(root)
    return serialised


def test_an_attachment_beyond_the_message_limit_is_refused_before_anything_is_read(send: Any) -> None:
    huge = base64.b64encode(b"%PDF-1.4\n" + bytes(600 * 1024)).decode()
    response = send(_with_attachment(huge), "IndienenVerzuimmelding")
    assert fault_code(response.content) == "0101"


@pytest.mark.parametrize("content", ["not base64 at all!", "JVBERi0=x", "<![CDATA[x]]>"])
def test_an_attachment_that_is_not_base64_is_refused_naming_it(send: Any, content: str) -> None:
    response = send(_with_attachment(content), "IndienenVerzuimmelding")
    assert fault_code(response.content) == "0004"
    assert "Inhoud" in fault_text(response.content)


@pytest.mark.parametrize("content", [
    base64.b64encode(b"GIF89a" + bytes(20)).decode(),                 # an image type not allowed
    base64.b64encode(b"<html><script>alert(1)</script>").decode(),      # a web page named .pdf
    base64.b64encode(b"PK\x03\x04" + bytes(20)).decode(),               # a zip (or docx)
    "",                                                                 # nothing at all
])
def test_an_attachment_whose_content_is_no_pdf_png_or_jpeg_is_refused(send: Any, content: str) -> None:
    response = send(_with_attachment(content), "IndienenVerzuimmelding")
    assert fault_code(response.content) == "VZL-1009"


@pytest.mark.parametrize("number", [
    "2026000001' OR '1'='1", "20260000011234567", "2026-000001", "０１２３４５６７８９",  # full-width digits
])
def test_forged_report_numbers_are_refused_by_the_contract(send: Any, number: str) -> None:
    body = f'<OpvragenVerzuimmelding xmlns="{TNS}"><Meldingnummer>{number}</Meldingnummer></OpvragenVerzuimmelding>'
    response = send(body.encode(), "OpvragenVerzuimmelding")
    assert fault_code(response.content) == "0004"


def test_a_flood_of_days_is_refused_by_the_contract(send: Any) -> None:
    days = "".join("<Verzuimdag><Datum>2026-02-02</Datum><HeleDag>true</HeleDag></Verzuimdag>" for _ in range(367))
    body = (f'<AanleverenVerzuimdagspecificatie xmlns="{TNS}"><Meldingnummer>2026000001</Meldingnummer>{days}'
            "</AanleverenVerzuimdagspecificatie>")
    response = send(body.encode(), "AanleverenVerzuimdagspecificatie")
    assert fault_code(response.content) == "0004"


def test_another_school_cannot_withdraw_add_days_to_or_clone_a_report(send: Any) -> None:
    registered = send(_submission(), "IndienenVerzuimmelding")
    number = etree.fromstring(registered.content).findtext(f".//{{{TNS}}}Meldingnummer")
    assert number, registered.text[-400:]
    attempts = {
        "IntrekkenVerzuimmelding": f"<Meldingnummer>{number}</Meldingnummer><Reden>Weg ermee</Reden>",
        "AanleverenVerzuimdagspecificatie": f"<Meldingnummer>{number}</Meldingnummer>"
                                            "<Verzuimdag><Datum>2026-02-02</Datum><HeleDag>true</HeleDag></Verzuimdag>",
        "KlonenVerzuimmelding": f"<Meldingnummer>{number}</Meldingnummer>"
                                "<Periode><Begindatum>2026-03-02</Begindatum><Einddatum>2026-03-06</Einddatum></Periode>",
    }
    for operation, content in attempts.items():
        body = f'<{operation} xmlns="{TNS}">{content}</{operation}>'.encode()
        response = send(body, operation, party="school-30AB")
        assert fault_code(response.content) == "VZL-1012", (operation, response.text[-400:])
