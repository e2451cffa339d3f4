"""The journal records every exchange, accepted or refused, and never key material."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketenserver.exchange.storage import JournalEntry, journal_page

SBB = "urn:ketenserver:sbb:whitelabel:erkenningen:2.1"
ACTION = f"{SBB}:VaststellenLeerbedrijf"


def test_accepted_exchange_is_journalled(post, builder_for, payload, journal_entry):
    built = builder_for("school-25LX").build(payload(), action=ACTION)
    response = post(built.bytes())
    entry = journal_entry(built.message_id)
    assert entry.outcome == "accepted" and entry.fault_code is None
    assert entry.operation == "VaststellenLeerbedrijf"
    assert entry.tls_oin == entry.signer_oin == entry.organisation_oin == "0000000700025LX00000"
    assert "serialNumber=0000000700025LX00000" in entry.tls_subject.replace("2.5.4.5", "serialNumber")
    assert entry.request == built.bytes() and entry.request_size == len(built.bytes())
    assert entry.response == response.content
    assert entry.duration_ms > 0 and entry.profile == "2W-be-S"


def test_refused_exchange_is_journalled_with_its_fault(post, builder_for, payload, journal_entry):
    built = builder_for("school-25LX").build(payload(), action=ACTION, sign=("Body", "Timestamp"))
    post(built.bytes())
    entry = journal_entry(built.message_id)
    assert entry.outcome == "refused" and entry.fault_code == "0112"
    assert "wsa:" in entry.verdict


def test_large_bodies_are_capped_and_the_cap_recorded(post, settings, engine):
    data = f"<x>{uuid.uuid4().hex}".encode() + b"a" * (settings.journal_body_cap + 5000) + b"</x>"
    assert len(data) < settings.max_request_bytes
    with Session(engine) as session:
        before = session.scalar(select(func.max(JournalEntry.id))) or 0
    post(data)
    with Session(engine) as session:  # no MessageID to find it by: the entry of that size after ours
        entry = session.scalars(select(JournalEntry).where(JournalEntry.id > before,
                                                           JournalEntry.request_size == len(data))).one()
    assert entry.fault_code == "0001"
    assert len(entry.request) == settings.journal_body_cap == entry.body_cap
    assert entry.request == data[:settings.journal_body_cap]


def test_no_key_material_is_ever_stored(post, builder_for, payload, engine):
    post(builder_for("vendor-hosting").build(payload(), action=ACTION).bytes())
    with Session(engine) as session:
        entries = session.scalars(select(JournalEntry)).all()
    assert entries
    for entry in entries:
        for blob in (entry.request, entry.response):
            assert b"PRIVATE KEY" not in blob and b"RSAKeyValue" not in blob


def test_journal_filters(post, builder_for, payload, engine, tls_for):
    school = tls_for("school-30AB")
    ok = builder_for("school-30AB").build(payload(), action=ACTION)
    assert post(ok.bytes(), session=school).status_code == 200
    wrong = builder_for("school-30AB").build(payload(), action=ACTION, sign=("Body", "Timestamp"))
    assert post(wrong.bytes(), session=school).status_code == 500
    with Session(engine) as session:
        mine = journal_page(session, oin="0000000700030AB00000")
        refused = journal_page(session, outcome="refused", limit=500)
        accepted_of_mine = journal_page(session, oin="0000000700030AB00000", outcome="accepted", limit=500)
    assert mine and all("0000000700030AB00000" in (e.organisation_oin, e.tls_oin) for e in mine)
    assert {ok.message_id, wrong.message_id} <= {e.message_id for e in mine}
    assert refused and all(e.outcome == "refused" for e in refused)
    assert wrong.message_id in {e.message_id for e in refused} and ok.message_id not in {e.message_id for e in refused}
    assert ok.message_id in {e.message_id for e in accepted_of_mine}
    assert wrong.message_id not in {e.message_id for e in accepted_of_mine}
