"""During a handled request every log line carries the request id of its journal entry, and no
line, once formatted, holds a citizen number, a body or key material (the journal keeps the body)."""

from __future__ import annotations

import json
import logging
import re

import pytest
from sqlalchemy.orm import Session

from ketenserver.exchange.storage import journal_entry_for_request
from ketenserver.logs import JsonFormatter, RequestIdFilter, TextFormatter, request_scope

SBB = "urn:ketenserver:sbb:whitelabel:erkenningen:2.1"
ACTION = f"{SBB}:VaststellenLeerbedrijf"
BSN = "111222333"
NATIONAL_NUMBER = "85.07.30-033.28"


@pytest.fixture
def captured(caplog):
    """Every record at DEBUG, spyne's body dump included, stamped with the request id as served."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="spyne.protocol.xml")  # spyne then logs whole envelopes
    stamp = RequestIdFilter()
    caplog.handler.addFilter(stamp)
    yield caplog
    caplog.handler.removeFilter(stamp)


def test_log_lines_of_a_request_lead_to_its_journal_entry(captured, post, builder_for, payload, engine,
                                                          journal_entry):
    built = builder_for("school-25LX").build(payload(naam="Bakkerij De Vries"), action=ACTION)
    assert post(built.bytes()).status_code == 200
    entry = journal_entry(built.message_id)
    assert re.fullmatch(r"[0-9a-f]{32}", entry.request_id or "")
    summary = [r for r in captured.records if r.name == "ketenserver.exchange.pipeline"
               and getattr(r, "outcome", None) == "accepted" and r.request_id == entry.request_id]
    assert len(summary) == 1
    line = json.loads(JsonFormatter().format(summary[0]))
    assert line["request_id"] == entry.request_id and line["operation"] == "VaststellenLeerbedrijf"
    assert line["organisation_oin"] == "0000000700025LX00000" and line["fault_code"] is None
    served = [r for r in captured.records if getattr(r, "request_id", None)]
    assert served and {r.request_id for r in served} == {entry.request_id}
    with Session(engine) as session:
        found = journal_entry_for_request(session, entry.request_id)
    assert found is not None and found.id == entry.id


def test_each_request_gets_its_own_id(post, builder_for, payload, journal_entry):
    first, second = (builder_for("school-25LX").build(payload(), action=ACTION) for _ in range(2))
    post(first.bytes())
    post(second.bytes())
    assert journal_entry(first.message_id).request_id != journal_entry(second.message_id).request_id


def test_no_formatted_line_holds_citizen_numbers_bodies_or_keys(captured, post, builder_for, payload, journal_entry):
    naam = f"Bakkerij {BSN} {NATIONAL_NUMBER}"
    built = builder_for("vendor-hosting").build(payload(naam=naam), action=ACTION)
    post(built.bytes())
    entry = journal_entry(built.message_id)
    assert naam.encode() in entry.request  # the journal keeps the body for testers
    # what a library's debug dump of the message would log (spyne no longer sees the raw request)
    with request_scope(entry.request_id):
        logging.getLogger("spyne.protocol.xml").debug("document: %s", entry.request.decode())
    during = [r for r in captured.records if getattr(r, "request_id", None) == entry.request_id]
    assert any(BSN in r.getMessage() for r in during)
    for record in captured.records:
        for formatter in (JsonFormatter(), TextFormatter()):
            text = formatter.format(record)
            for secret in (BSN, NATIONAL_NUMBER, "85073003328", "Bakkerij", "VaststellenLeerbedrijf xmlns",
                           "<soapenv:", "PRIVATE KEY", "SignatureValue>"):
                assert secret not in text, (secret, text[:300])


def test_refused_request_is_logged_with_its_fault_code(captured, post, builder_for, payload, journal_entry):
    built = builder_for("school-25LX").build(payload(naam=f"Jan {BSN}"), action=ACTION, sign=("Body", "Timestamp"))
    post(built.bytes())
    entry = journal_entry(built.message_id)
    [summary] = [r for r in captured.records if getattr(r, "request_id", None) == entry.request_id
                 and getattr(r, "outcome", None) == "refused"]
    assert summary.fault_code == "0112" and BSN not in JsonFormatter().format(summary)
