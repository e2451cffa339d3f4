"""Werkplekduaal end to end: the counter at ``/werkplekduaal/MAGDA`` over the real mutual-TLS server.

Through the client (a signed round trip whose reply the client verifies) and through raw signed
requests (``builder_for(...).build_magda``): the journal keyed by the Referte, rule refusals as
Uitzonderingen in an HTTP 200 reply, retries and concurrent copies answered with the one stored
reply, one organisation blind to another's requests and agreements, and the served WSDL.

Everything committed is fresh (KBO companies, rijksregisternummers, Refertes): the database is the
session's, shared with other tests.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ketenclient import (
    AanvraagStatus,
    Aanvraagstatus,
    ClientFault,
    Document,
    Erkenningsaanvraag,
    Hoedanigheid,
    Lesdag,
    Mentor,
    OvereenkomstGegevens,
    Overeenkomstsoort,
    ResponseNotTrusted,
    Strafregisteruittreksel,
    VerklaringOpEer,
    Weekdag,
    Werkplaats,
    WerkplekduaalClient,
)
from ketenclient.werkplekduaal_models import Leerling
from ketencore import names as ns
from ketencore.envelope import read_envelope
from ketencore.profiles import MAGDA
from ketencore.trust import TrustStore
from ketencore.verify import verify_message
from ketenserver.exchange.storage import JournalEntry, StoredReply
from ketenserver.settings import Settings
from ketenserver.testing import fault_code
from ketenserver.werkplekduaal.requests_storage import RequestRow
from tests.factories import credentials
from tests.werkplekduaal import agreement_builders, factories
from tests.werkplekduaal.factories import q

PATH = "/werkplekduaal/MAGDA"
COACH, PROVIDER, OTHER_PROVIDER = "coach-0834567808", "provider-0412345614", "provider-0423456765"
COACH_KBO, PROVIDER_KBO, COUNTER_KBO = "0834567808", "0412345614", "0316200006"
FILE = "DienErkenningsaanvraagIn"


def today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Europe/Brussels")).date()


def pdf(name: str) -> Document:
    return Document(f"{name}.pdf", factories.pdf())


def aanvraag(company: factories.Company) -> Erkenningsaanvraag:
    """A valid recognition request (client model) for the company's establishment, one fresh mentor."""
    birth = factories.born(40, today())
    mentor = Mentor(factories.test_rijksregisternummer(birth, factories.serial()), "An", "Peeters", birth, 12,
                    False, True, Strafregisteruittreksel("596.2", today() - dt.timedelta(days=20), pdf("uittreksel")))
    return Erkenningsaanvraag(Werkplaats(company.enterprise, company.establishments[0]), "BAKKER", pdf("machtiging"),
                              VerklaringOpEer(factories.DECLARATION_VERSION, pdf("verklaring")), (mentor,))


def filing(company: factories.Company, referte: str, *, capacity: str = factories.COACH, **kwargs: Any) -> bytes:
    """The coach's raw DienErkenningsaanvraagIn Body for ``company`` (``kwargs``: the Erkenningsaanvraag's)."""
    content = factories.erkenningsaanvraag(company.enterprise, company.establishments[0], today(), **kwargs)
    return etree.tostring(factories.magda_body(FILE, content, sender=COACH_KBO, capacity=capacity, referte=referte))


def counter_signed(envelope: etree._Element, settings: Settings) -> etree._Element:
    """The reply's Body content, once its signature over Body and Timestamp verified as the counter's."""
    trust = TrustStore.from_files(settings.trust_bundle_path, settings.crl_paths)
    verified = verify_message(read_envelope(envelope), trust=trust, now=dt.datetime.now(dt.UTC), max_age=300,
                              max_skew=60, profile=MAGDA)
    assert verified.signer_oin == COUNTER_KBO and set(verified.signed_parts) == {"Body", "Timestamp"}
    return verified.payload


def canonical(found: etree._Element | None) -> bytes:
    assert found is not None
    return etree.tostring(found, method="c14n", exclusive=True)


def rows(engine: Engine, company: factories.Company, referte: str) -> tuple[int, int]:
    """(requests stored for the company's establishment, replies stored under the coach's ``referte``)."""
    with Session(engine) as session:
        filed = session.scalar(select(func.count()).select_from(RequestRow).where(
            RequestRow.establishment_number == company.establishments[0]))
        stored = session.scalar(select(func.count()).select_from(StoredReply).where(
            StoredReply.organisation_oin == COACH_KBO, StoredReply.message_id == referte))
    return filed or 0, stored or 0


def outcomes(engine: Engine, referte: str) -> list[str]:
    with Session(engine) as session:
        return sorted(session.scalars(select(JournalEntry.outcome).where(JournalEntry.message_id == referte)))


@pytest.fixture
def company(engine: Engine) -> factories.Company:
    """A fresh active company in the counter's KBO (joint committee 118), committed for the server."""
    with Session(engine) as session:
        made = factories.kbo_company(session, joint_committee="118")
        session.commit()
    return made


@pytest.fixture
def client_for(pki: Any, base_url: str) -> Iterator[Callable[..., WerkplekduaalClient]]:
    opened: list[WerkplekduaalClient] = []

    def make(party: str, **kwargs: Any) -> WerkplekduaalClient:
        opened.append(WerkplekduaalClient(base_url + PATH, credentials(pki, party), **kwargs))
        return opened[-1]

    yield make
    for client in opened:
        client.close()


@pytest.fixture
def send(builder_for: Any, tls_for: Any, post: Any) -> Callable[..., requests.Response]:
    """``send(body, party=COACH, created=None)``: the Body signed afresh by ``party``, over its own TLS."""

    def sending(body: bytes, party: str = COACH, created: dt.datetime | None = None) -> requests.Response:
        built = builder_for(party, PATH).build_magda(body, created=created)
        response: requests.Response = post(built.bytes(), PATH, session=tls_for(party))
        return response

    return sending


# -------------------------------------------------------------------------------- the client
def test_a_coach_files_through_the_client_and_verifies_the_counters_signed_reply(
        client_for: Any, company: factories.Company, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    coach = client_for(COACH, hoedanigheid=Hoedanigheid.TRAJECTBEGELEIDER)
    verified: list[etree._Element] = []
    check = coach.security.verify

    def spy(envelope: etree._Element) -> None:
        verified.append(envelope)
        check(envelope)

    monkeypatch.setattr(coach.security, "verify", spy)

    filed = coach.dien_erkenningsaanvraag_in(aanvraag(company))

    assert isinstance(filed, AanvraagStatus) and filed.status is Aanvraagstatus.TOEGEWEZEN
    assert re.fullmatch(r"EA\d{8}", filed.aanvraagnummer)
    assert filed.werkplaats == Werkplaats(company.enterprise, company.establishments[0]) and filed.opleiding == "BAKKER"
    assert filed.ingediend == today() and filed.beslissing is None and filed.erkenning is None
    assert len(verified) == 1  # the client checked the reply it parsed...
    payload = counter_signed(verified[0], settings)  # ...which the counter signed as itself
    assert payload.findtext(f".//{q('Aanvraagnummer')}") == filed.aanvraagnummer
    assert coach.geef_erkenningsaanvraag(filed.aanvraagnummer) == filed

    elsewhere = client_for(COACH, server_oin=PROVIDER_KBO)  # a pin the counter's signature does not meet
    with pytest.raises(ResponseNotTrusted):
        elsewhere.geef_erkenningsaanvraag(filed.aanvraagnummer)


def test_the_journal_names_the_referte_as_the_exchanges_identity(
        client_for: Any, company: factories.Company, journal_entry: Any, engine: Engine) -> None:
    coach = client_for(COACH)
    filed = coach.dien_erkenningsaanvraag_in(aanvraag(company))
    referte = coach.last_referte
    assert referte is not None

    entry = journal_entry(referte)
    assert (entry.endpoint, entry.profile, entry.operation, entry.outcome, entry.fault_code) == (
        PATH, "MAGDA", FILE, "accepted", None)
    assert entry.organisation_oin == entry.tls_oin == entry.signer_oin == COACH_KBO
    sent = etree.fromstring(entry.request)  # the message as it came: its Afzender's Referte is the key
    assert sent.findtext(f".//{q('Bericht')}/{q('Afzender')}/{q('Referte')}") == referte
    assert filed.aanvraagnummer.encode() in entry.response
    assert rows(engine, company, referte) == (1, 1)  # the reply is stored under the Referte too


# ------------------------------------------------------------------------------ refusals
@pytest.mark.parametrize(("change", "code", "where", "field"), [
    ({"mandate": False}, "WPD-1020", ("Antwoorden", "Antwoord", "Uitzonderingen"), "Machtiging"),
    ({"capacity": factories.PROVIDER}, "WPD-1003", ("Uitzonderingen",), "Hoedanigheid"),
], ids=["rule", "context"])
def test_a_refusal_is_an_uitzondering_in_a_200_reply_journaled_as_refused_and_nothing_stored(
        send: Any, company: factories.Company, journal_entry: Any, engine: Engine, settings: Settings,
        change: dict[str, Any], code: str, where: tuple[str, ...], field: str) -> None:
    referte = uuid.uuid4().hex
    response = send(filing(company, referte, **change))

    assert response.status_code == 200 and fault_code(response.content) is None, response.text
    repliek = counter_signed(etree.fromstring(response.content), settings).find(q("Repliek"))
    assert repliek is not None
    assert repliek.findtext(f"{q('Context')}/{q('Bericht')}/{q('Ontvanger')}/{q('Referte')}") == referte
    found = repliek.find("/".join(q(name) for name in (*where, "Uitzondering")))
    assert found is not None, etree.tostring(repliek)
    assert [found.findtext(q(name)) for name in ("Identificatie", "Oorsprong", "Type", "Veld")] == [
        code, "WERKPLEKDUAAL", "FOUT", field]
    entry = journal_entry(referte)
    assert (entry.outcome, entry.fault_code, entry.organisation_oin) == ("refused", code, COACH_KBO)
    assert rows(engine, company, referte) == (0, 0)


# -------------------------------------------------------------------------------- retries
def test_a_retry_gets_the_stored_reply_and_stores_nothing_twice(
        send: Any, company: factories.Company, engine: Engine, settings: Settings) -> None:
    referte = uuid.uuid4().hex
    body = filing(company, referte)
    first = send(body)
    again = send(body, created=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=3))  # a fresh signature
    assert first.status_code == again.status_code == 200, again.text

    replies = [counter_signed(etree.fromstring(r.content), settings) for r in (first, again)]
    antwoorden = [canonical(reply.find(f"{q('Repliek')}/{q('Antwoorden')}")) for reply in replies]
    assert antwoorden[0] == antwoorden[1] and b"Aanvraagnummer" in antwoorden[0]
    assert canonical(replies[0]) == canonical(replies[1])  # the stored reply, Context and all
    assert rows(engine, company, referte) == (1, 1)
    assert outcomes(engine, referte) == ["accepted", "retried"]

    other = send(filing(company, referte, opleiding="KOK"))  # the same Referte for another Body
    assert other.status_code == 500 and fault_code(other.content) == "0011"
    assert rows(engine, company, referte) == (1, 1)


def test_concurrent_copies_store_one_request_and_all_get_its_answer(
        send: Any, company: factories.Company, engine: Engine, settings: Settings) -> None:
    referte, copies = uuid.uuid4().hex, 5
    body = filing(company, referte)
    start = threading.Barrier(copies)
    answers: list[requests.Response | Exception] = [RuntimeError("not sent")] * copies

    def copy(index: int) -> None:
        created = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=index)  # each its own signature
        start.wait(timeout=30)
        try:
            answers[index] = send(body, created=created)
        except Exception as error:  # reported below, in the test's thread
            answers[index] = error

    threads = [threading.Thread(target=copy, args=(index,)) for index in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    responses = [a for a in answers if isinstance(a, requests.Response)]
    assert len(responses) == copies, answers
    assert [r.status_code for r in responses] == [200] * copies, [r.text for r in responses if r.status_code != 200]
    antwoorden = {canonical(counter_signed(etree.fromstring(r.content), settings).find(
        f"{q('Repliek')}/{q('Antwoorden')}")) for r in responses}
    assert len(antwoorden) == 1 and b"Aanvraagnummer" in next(iter(antwoorden))
    assert rows(engine, company, referte) == (1, 1)
    assert outcomes(engine, referte) == ["accepted"] + ["retried"] * (copies - 1)


# ------------------------------------------------------------------------- one's own only
def test_another_organisation_cannot_see_the_coachs_request(client_for: Any, company: factories.Company) -> None:
    filed = client_for(COACH).dien_erkenningsaanvraag_in(aanvraag(company))
    other = client_for(PROVIDER)  # a provider may act as trajectory coach too: it filed nothing
    with pytest.raises(ClientFault) as refused:
        other.geef_erkenningsaanvraag(filed.aanvraagnummer)
    assert (refused.value.code, refused.value.field) == ("WPD-1031", "Aanvraagnummer")
    assert filed.aanvraagnummer not in str(refused.value)


def test_another_provider_cannot_see_or_end_the_providers_agreement(client_for: Any, engine: Engine) -> None:
    with Session(engine) as session:
        place = agreement_builders.workplace(session, valid_from=today() - dt.timedelta(days=30))
        session.commit()
    born = factories.born(16, today())
    student = Leerling(factories.test_rijksregisternummer(born, factories.serial()), "Lotte", "Maes", born)
    week = tuple(Lesdag(day, Decimal(8)) for day in (Weekdag.MAANDAG, Weekdag.DINSDAG, Weekdag.WOENSDAG))
    terms = OvereenkomstGegevens(Overeenkomstsoort.ALTERNERENDE_OPLEIDING, student,
                                 Werkplaats(place.company.enterprise, place.establishment), place.opleiding,
                                 place.mentors[0], today(), today() + dt.timedelta(days=300), Decimal(24), week,
                                 leervergoeding=Decimal(420))
    owner, other = client_for(PROVIDER), client_for(OTHER_PROVIDER)
    agreement = owner.registreer_overeenkomst(terms)

    assert [a.overeenkomstnummer for a in owner.geef_overeenkomsten(rijksregisternummer=student.rijksregisternummer)
            ] == [agreement.overeenkomstnummer]
    assert other.geef_overeenkomsten(rijksregisternummer=student.rijksregisternummer) == ()
    with pytest.raises(ClientFault) as refused:
        other.beeindig_overeenkomst(agreement.overeenkomstnummer, today() + dt.timedelta(days=10), "Stopt.")
    assert (refused.value.code, refused.value.field) == ("WPD-1047", "Overeenkomstnummer")
    assert owner.geef_overeenkomsten(rijksregisternummer=student.rijksregisternummer)[0].beeindiging is None


# ------------------------------------------------------------------------------- the WSDL
def test_the_served_wsdl_names_the_magda_port_at_this_server_and_no_addressing(
        base_url: str, tls_for: Any) -> None:
    response = tls_for(COACH).get(f"{base_url}{PATH}?wsdl", timeout=30)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/xml")
    wsdl = etree.fromstring(response.content)
    assert b"UsingAddressing" not in response.content
    assert not wsdl.xpath("//*[local-name()='UsingAddressing']")
    ports = wsdl.findall(f"{{{ns.WSDL}}}service/{{{ns.WSDL}}}port")
    assert [port.get("name") for port in ports] == ["WerkplekduaalMAGDAPort"]
    address = ports[0].find(f"{{{ns.WSDL_SOAP11}}}address")
    assert address is not None and address.get("location") == base_url + PATH


def test_a_missing_signing_certificate_stops_the_server_from_starting_naming_it(
        settings: Settings, engine: Engine, tmp_path: Any) -> None:
    from dataclasses import replace

    from ketenserver.app import create_app
    from ketenserver.werkplekduaal.feature import FEATURE
    from ketenserver.werkplekduaal.settings import WerkplekduaalSettings

    missing = tmp_path / "counter.chain.pem"
    own = WerkplekduaalSettings(signing_chain=str(missing))
    with pytest.raises(FileNotFoundError) as refused:
        create_app(replace(settings, sections={"werkplekduaal": own}), features=(FEATURE,), engine=engine)
    assert str(missing) in str(refused.value) and "signing" in str(refused.value)
