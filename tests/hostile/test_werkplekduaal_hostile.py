"""Hostile messages to the Flemish counter (profile MAGDA, ``/werkplekduaal/MAGDA``): the families of
the WUS attack suite for a profile without WS-Addressing, whose identity is the Body's Referte.

Unsigned or partly signed messages, tampering, stale Timestamps, WS-Addressing smuggled in, another
party's key, replays, a Referte reused for another Body, hostile XML and oversized messages, a
certificate of another country, and one provider reaching for another's data. Security and XSD
refusals are SOAP faults (HTTP 500); a broken rule is an Uitzondering in an HTTP 200 Repliek. Every
fault is also checked by this folder's ``post`` fixture: journalled, and no stored data changed.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ketencore import names as ns
from ketenserver.exchange.storage import JournalEntry, StoredReply
from ketenserver.testing import Built, RequestBuilder, fault_code, fault_text
from ketenserver.werkplekduaal import requests_storage
from ketenserver.werkplekduaal.requests_storage import RequestRow, SqlRecognitionRegister
from tests.hostile.test_parser_attacks import DOCTYPES, SECRET
from tests.hostile.test_signature_attacks import LEAKS
from tests.werkplekduaal import agreement_builders, factories
from tests.werkplekduaal.factories import q

PATH = "/werkplekduaal/MAGDA"
COACH, PROVIDER, OTHER_PROVIDER = "coach-0834567808", "provider-0412345614", "provider-0423456765"
KBO = {COACH: "0834567808", PROVIDER: "0412345614", OTHER_PROVIDER: "0423456765"}
CAPACITY = {COACH: factories.COACH, PROVIDER: factories.PROVIDER, OTHER_PROVIDER: factories.PROVIDER}


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _tasks_body(party: str = PROVIDER, *, referte: str | None = None, sender: str | None = None) -> etree._Element:
    """GeefTaken from the start: read-only, answered for any provider."""
    return factories.magda_body("GeefTaken", factories.element("Inhoud"), sender=sender or KBO[party],
                                capacity=CAPACITY.get(party, factories.PROVIDER), referte=referte)


def _filing_body(company: factories.Company, referte: str) -> etree._Element:
    return factories.magda_body("DienErkenningsaanvraagIn", factories.erkenningsaanvraag(
        company.enterprise, company.establishments[0], _today()), sender=KBO[COACH], capacity=factories.COACH,
        referte=referte)


@pytest.fixture
def build(builder_for: Any) -> Callable[..., Built]:
    def make(body: etree._Element, party: str = PROVIDER, **options: Any) -> Built:
        builder: RequestBuilder = builder_for(party, PATH)
        return builder.build_magda(copy.deepcopy(body), **options)

    return make


@pytest.fixture
def send(post: Any, tls_for: Any) -> Callable[..., Any]:
    def run(data: bytes, party: str = PROVIDER) -> Any:
        return post(data, PATH, session=tls_for(party))

    return run


@pytest.fixture
def company(engine: Engine) -> factories.Company:
    """A fresh KBO company (PC 118), committed: the server's own sessions must see it."""
    with Session(engine) as session:
        made = factories.kbo_company(session)
        session.commit()
    return made


def _refused(response: Any, code: str) -> None:
    assert response.status_code == 500, response.text[-600:]
    assert fault_code(response.content) == code, response.text[-600:]
    lowered = fault_text(response.content).lower()
    assert not any(leak in lowered for leak in LEAKS), response.text


def _uitzondering(response: Any) -> tuple[str | None, str | None]:
    assert response.status_code == 200, response.text[-600:]
    root = etree.fromstring(response.content)
    found = root.find(f".//{q('Uitzonderingen')}/{q('Uitzondering')}")
    assert found is not None, response.text[-600:]
    return found.findtext(q("Identificatie")), found.findtext(q("Veld"))


def _requests_of(engine: Engine, company: factories.Company) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(RequestRow).where(
            RequestRow.establishment_number == company.establishments[0])) or 0


def _journaled(engine: Engine, response: Any) -> tuple[str, str | None]:
    """The journal's verdict on the exchange that gave ``response`` (found by its reply's Referte)."""
    referte = etree.fromstring(response.content).findtext(f".//{q('Ontvanger')}/{q('Referte')}")
    with Session(engine) as session:
        entry = session.scalars(select(JournalEntry).where(JournalEntry.message_id == referte)
                                .order_by(JournalEntry.id.desc())).first()
    assert entry is not None, f"no journal entry for Referte {referte}"
    return entry.outcome, entry.fault_code


# ------------------------------------------------------------------------------ message security
def test_the_honest_message_is_answered(build: Any, send: Any) -> None:
    """The baseline the attacks below depart from."""
    response = send(build(_tasks_body()).bytes())
    assert response.status_code == 200, response.text[-600:]
    assert etree.fromstring(response.content).find(f".//{q('Inhoud')}/{q('VolgendeCursor')}") is not None


def test_an_unsigned_message_is_refused(builder_for: Any, send: Any) -> None:
    builder = builder_for(PROVIDER, PATH, signed=False)
    _refused(send(builder.build_magda(_tasks_body()).bytes()), "0110")


@pytest.mark.parametrize("signed", [("Timestamp",), ("Body",)])
def test_body_and_timestamp_must_both_be_signed(build: Any, send: Any, signed: tuple[str, ...]) -> None:
    _refused(send(build(_tasks_body(), sign=signed).bytes()), "0112")


def test_a_body_changed_after_signing_does_not_verify(build: Any, send: Any) -> None:
    built = build(_tasks_body())
    referte = built.body.find(f".//{q('Afzender')}/{q('Referte')}")
    assert referte is not None
    referte.text = uuid.uuid4().hex
    _refused(send(built.bytes()), "0111")


@pytest.mark.parametrize("created", [dt.timedelta(minutes=-30), dt.timedelta(minutes=10)])
def test_a_stale_or_future_timestamp_is_refused(build: Any, send: Any, created: dt.timedelta) -> None:
    _refused(send(build(_tasks_body(), created=dt.datetime.now(dt.UTC) + created).bytes()), "0115")


@pytest.mark.parametrize("name", ["MessageID", "Action", "To"])
def test_ws_addressing_has_no_place_in_a_magda_message(build: Any, send: Any, name: str) -> None:
    header = etree.Element(ns.qn(ns.WSA, name))
    header.text = "urn:uuid:" + str(uuid.uuid4()) if name == "MessageID" else "urn:x"
    _refused(send(build(_tasks_body(), extra_headers=[header]).bytes()), "0010")


def test_a_signature_by_another_party_than_the_tls_client_is_refused(build: Any, send: Any) -> None:
    """Signed with the other provider's key, sent over this provider's TLS connection."""
    built = build(_tasks_body(OTHER_PROVIDER), party=OTHER_PROVIDER)
    _refused(send(built.bytes(), party=PROVIDER), "0002")


def test_the_same_signed_message_twice_is_a_replay(build: Any, send: Any) -> None:
    data = build(_tasks_body()).bytes()
    assert send(data).status_code == 200
    _refused(send(data), "0116")


def test_a_replayed_filing_is_refused_as_a_replay_not_answered_as_a_retry(
        build: Any, send: Any, engine: Engine, company: factories.Company) -> None:
    """For a state change the signature is remembered before the work: the identical bytes again are
    a replay (0116), even though the same Body freshly signed would be a retry."""
    data = build(_filing_body(company, uuid.uuid4().hex), party=COACH).bytes()
    assert send(data, party=COACH).status_code == 200
    _refused(send(data, party=COACH), "0116")
    assert _requests_of(engine, company) == 1


# ------------------------------------------------------------------------- the Referte's identity
def test_a_referte_reused_for_another_body_is_refused_and_changes_nothing(
        build: Any, send: Any, engine: Engine, company: factories.Company) -> None:
    referte = uuid.uuid4().hex
    filing = _filing_body(company, referte)
    first = send(build(filing, party=COACH).bytes(), party=COACH)
    assert first.status_code == 200 and b"EA" in first.content, first.text[-600:]
    other = copy.deepcopy(filing)
    opleiding = other.find(f".//{q('Opleiding')}")
    assert opleiding is not None
    opleiding.text = "KOK"
    reused = send(build(other, party=COACH).bytes(), party=COACH)
    _refused(reused, "0011")
    said = fault_text(reused.content)
    assert f"Referte {referte} was already used" in said and "MessageID" not in said  # MAGDA's own words
    again = send(build(filing, party=COACH).bytes(), party=COACH)  # the same Body, freshly signed: a retry
    assert again.status_code == 200, again.text[-600:]
    number = etree.fromstring(first.content).findtext(f".//{q('Aanvraagnummer')}")
    assert number and etree.fromstring(again.content).findtext(f".//{q('Aanvraagnummer')}") == number
    assert _requests_of(engine, company) == 1
    assert _journaled(engine, again)[0] == "retried"
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(StoredReply).where(
            StoredReply.organisation_oin == KBO[COACH], StoredReply.message_id == referte)) == 1


# ----------------------------------------------------------------------------------- hostile XML
@pytest.mark.parametrize("name", sorted(DOCTYPES))
def test_doctype_variants_are_refused_unexpanded(build: Any, send: Any, name: str) -> None:
    data = build(_tasks_body()).bytes().replace(b"?>", b"?>" + DOCTYPES[name].encode(), 1)
    response = send(data)
    _refused(response, "0102")
    assert SECRET not in response.text and "haha" not in response.text


def test_deep_nesting_is_refused(build: Any, send: Any) -> None:
    data = build(_tasks_body()).bytes()
    data = data.replace(b"</soapenv:Body>", b"<x>" * 20_000 + b"</x>" * 20_000 + b"</soapenv:Body>", 1)
    _refused(send(data), "0001")


def test_a_message_over_the_size_limit_is_refused_unread(build: Any, send: Any, settings: Any) -> None:
    body = _tasks_body()
    inhoud = body.find(f".//{q('Inhoud')}")
    assert inhoud is not None
    etree.SubElement(inhoud, q("Opvulling")).text = "A" * settings.max_request_bytes
    _refused(send(build(body).bytes()), "0101")


def test_an_element_the_contract_does_not_know_is_refused_by_the_xsd(build: Any, send: Any) -> None:
    body = _tasks_body()
    inhoud = body.find(f".//{q('Inhoud')}")
    assert inhoud is not None
    etree.SubElement(inhoud, q("Provider")).text = KBO[OTHER_PROVIDER]  # "show me theirs"
    _refused(send(build(body).bytes()), "0004")


# ------------------------------------------------------------------------------- who may ask what
def test_an_afzender_other_than_the_certificate_is_refused_by_name(build: Any, send: Any, engine: Engine) -> None:
    """A provider that writes the other provider's KBO number as Afzender, signed with its own key."""
    response = send(build(_tasks_body(sender=KBO[OTHER_PROVIDER])).bytes())
    assert _uitzondering(response) == ("WPD-1002", "Identificatie")
    assert _journaled(engine, response) == ("refused", "WPD-1002")
    assert etree.fromstring(response.content).find(f".//{q('VolgendeCursor')}") is None


def test_a_dutch_school_certificate_gets_no_answer_from_the_flemish_counter(build: Any, send: Any) -> None:
    """School 25LX's certificate is trusted (the same dev CA) but names an OIN, no KBO number: as
    the Afzender a provider's number is not the caller's, and its own OIN is no KBO number."""
    pretending = build(_tasks_body("school-25LX", sender=KBO[PROVIDER]), party="school-25LX")
    response = send(pretending.bytes(), party="school-25LX")
    assert _uitzondering(response) == ("WPD-1002", "Identificatie")
    assert etree.fromstring(response.content).find(f".//{q('VolgendeCursor')}") is None
    own = build(_tasks_body("school-25LX", sender="00000001234567890000"), party="school-25LX")
    _refused(send(own.bytes(), party="school-25LX"), "0004")


@dataclass(frozen=True)
class Owned:
    """What provider 0412345614 holds: an agreement, its student and an open OPHEFFING task."""

    agreement: str
    student: str
    task: str


@pytest.fixture
def owned(engine: Engine) -> Owned:
    """Provider 0412345614's agreement, whose recognition was then withdrawn (hence the task)."""
    with Session(engine) as session:
        place = agreement_builders.workplace(session, valid_from=_today() - dt.timedelta(days=30))
        desk = agreement_builders.Desk(session, SqlRecognitionRegister(session), KBO[PROVIDER])
        agreement = desk.register_agreement(
            agreement_builders.terms(place, start=_today(), end=_today() + dt.timedelta(days=300)), today=_today())
        recognition = desk.register.running(place.establishment, place.opleiding, _today())
        assert recognition is not None
        requests_storage.withdraw_recognition(session, recognition.number, "Geen mentor meer", today=_today())
        (task,) = desk.board.open_tasks(frozenset({"OPHEFFING"}), agreement=agreement.number)
        session.commit()
    return Owned(agreement.number, agreement.terms.student.rijksregisternummer, task.number)


def _open_tasks(engine: Engine, owned: Owned) -> list[str]:
    with Session(engine) as session:
        board = agreement_builders.Desk(session, SqlRecognitionRegister(session), KBO[PROVIDER]).board
        return [t.number for t in board.open_tasks(frozenset({"OPHEFFING"}), agreement=owned.agreement)]


def test_one_provider_cannot_handle_anothers_task(build: Any, send: Any, engine: Engine, owned: Owned) -> None:
    body = factories.magda_body("HandelTaakAf", factories.element(
        "TaakAfhandeling", factories.leaf("Taaknummer", owned.task), factories.leaf("Optie", "BEEINDIGEN"),
        factories.leaf("Einddatum", _today()), factories.leaf("Reden", "Niet van ons.")),
        sender=KBO[OTHER_PROVIDER], capacity=factories.PROVIDER)
    response = send(build(body, party=OTHER_PROVIDER).bytes(), party=OTHER_PROVIDER)
    assert _uitzondering(response) == ("WPD-1060", "Taaknummer")
    diagnose = etree.fromstring(response.content).findtext(f".//{q('Uitzondering')}/{q('Diagnose')}")
    assert diagnose and owned.task not in diagnose  # "unknown", not "someone else's"
    assert _open_tasks(engine, owned) == [owned.task]


def _agreements_of(build: Any, send: Any, party: str, student: str) -> list[tuple[str | None, str | None]]:
    body = factories.magda_body("GeefOvereenkomsten", factories.element(
        "OvereenkomstenSelectie", factories.leaf("Rijksregisternummer", student)),
        sender=KBO[party], capacity=factories.PROVIDER)
    response = send(build(body, party=party).bytes(), party=party)
    assert response.status_code == 200, response.text[-600:]
    found = etree.fromstring(response.content).iterfind(f".//{q('Antwoord')}/{q('Inhoud')}/{q('Overeenkomst')}")
    return [(o.findtext(q("Overeenkomstnummer")), o.findtext(q("Status"))) for o in found]


def test_one_provider_neither_sees_nor_ends_anothers_agreement(
        build: Any, send: Any, engine: Engine, owned: Owned) -> None:
    assert _agreements_of(build, send, OTHER_PROVIDER, owned.student) == []
    ending = factories.magda_body("BeeindigOvereenkomst", factories.element(
        "OvereenkomstBeeindiging", factories.leaf("Overeenkomstnummer", owned.agreement),
        factories.leaf("Einddatum", _today()), factories.leaf("Reden", "Niet van ons.")),
        sender=KBO[OTHER_PROVIDER], capacity=factories.PROVIDER)
    response = send(build(ending, party=OTHER_PROVIDER).bytes(), party=OTHER_PROVIDER)
    assert _uitzondering(response) == ("WPD-1047", "Overeenkomstnummer")
    assert _journaled(engine, response) == ("refused", "WPD-1047")
    assert _agreements_of(build, send, PROVIDER, owned.student) == [(owned.agreement, "GEREGISTREERD")]
    assert _open_tasks(engine, owned) == [owned.task]
