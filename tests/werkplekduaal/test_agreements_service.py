"""The seven agreement and task operations through the feature's operations in process (MAGDA Bodies, XSD in front)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import pytest
from lxml import etree
from sqlalchemy.orm import Session

from ketenserver.context import CallContext
from ketenserver.exchange.storage import register_organisation
from ketenserver.testing import FeatureOperations, Operated, feature_operations, operate
from ketenserver.werkplekduaal import service_agreements, trainingdays
from ketenserver.werkplekduaal.feature import FEATURE
from tests.werkplekduaal import agreement_builders as b
from tests.werkplekduaal import factories
from tests.werkplekduaal.factories import element, leaf, q

NOW = dt.datetime(2026, 3, 9, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def operations() -> FeatureOperations:
    """Only this area's service: the other service modules of the feature are written meanwhile."""
    return feature_operations(dataclasses.replace(FEATURE, services=lambda: (service_agreements.build_service(),)))


@pytest.fixture
def session(db_session: Session) -> Session:
    for oin in (b.PROVIDER, b.OTHER_PROVIDER):
        register_organisation(db_session, oin=oin, name=f"School {oin}", kind="provider")
    return db_session


def ask(operations: FeatureOperations, session: Session, operation: str, content: etree._Element, *,
        sender: str = b.PROVIDER, now: dt.datetime = NOW) -> Operated:
    body = factories.magda_body(operation, content, sender=sender, capacity=factories.PROVIDER, now=now)
    call = CallContext(session=session, organisation_oin=sender, message_id=uuid.uuid4().hex, now=now,
                       profile="MAGDA")
    done = operate(operations.call, body, call, schema=operations.schema)
    if operations.schema is not None and done.status.startswith("200"):
        operations.schema.assertValid(done.response)  # every answer is the published contract's
    return done


def inhoud(done: Operated) -> etree._Element:
    assert "error" not in done.outcome and "invalid" not in done.outcome, done.outcome
    found = done.response.find(f".//{q('Antwoord')}/{q('Inhoud')}")
    assert found is not None, etree.tostring(done.response)
    return found


def code(done: Operated) -> str:
    error = done.outcome.get("error")
    assert error is not None, etree.tostring(done.response)
    return str(error.code)  # type: ignore[attr-defined]


def text(parent: etree._Element, path: str) -> str | None:
    return parent.findtext("/".join(q(part) for part in path.split("/")))


def test_an_agreement_is_registered_listed_and_ended(operations: FeatureOperations, session: Session) -> None:
    place = b.workplace(session)
    new = b.terms(place)
    made = inhoud(ask(operations, session, "RegistreerOvereenkomst", b.overeenkomst_gegevens(new)))
    number = text(made, "Overeenkomstnummer")
    assert number is not None and text(made, "Status") == "GEREGISTREERD"
    assert text(made, "Gegevens/Leerling/Rijksregisternummer") == new.student.rijksregisternummer
    assert len(made.findall(f"{q('Gegevens')}/{q('Uurrooster')}/{q('Lesdag')}")) == len(new.timetable)

    selection = element("OvereenkomstenSelectie", leaf("Rijksregisternummer", new.student.rijksregisternummer))
    listed = inhoud(ask(operations, session, "GeefOvereenkomsten", selection))
    assert [text(o, "Overeenkomstnummer") for o in listed.findall(q("Overeenkomst"))] == [number]
    theirs = inhoud(ask(operations, session, "GeefOvereenkomsten", selection, sender=b.OTHER_PROVIDER))
    assert theirs.findall(q("Overeenkomst")) == []

    end = new.start + dt.timedelta(days=20)
    ending = element("OvereenkomstBeeindiging", leaf("Overeenkomstnummer", number), leaf("Einddatum", end),
                     leaf("Reden", "De leerling stopt"))
    assert code(ask(operations, session, "BeeindigOvereenkomst", ending, sender=b.OTHER_PROVIDER)) == "WPD-1047"
    ended = inhoud(ask(operations, session, "BeeindigOvereenkomst", ending))
    assert text(ended, "Status") == "VROEGTIJDIG_BEEINDIGD" and text(ended, "Beeindiging/Einddatum") == str(end)


def test_a_workplace_without_recognition_is_refused(operations: FeatureOperations, session: Session) -> None:
    company = factories.kbo_company(session)
    place = b.Workplace(company, "BAKKER", (b.person(40)[0],))
    done = ask(operations, session, "RegistreerOvereenkomst", b.overeenkomst_gegevens(b.terms(place)))
    assert code(done) == "WPD-1043"


def test_an_amendment_of_terms_shows_its_addendum_and_task(operations: FeatureOperations, session: Session) -> None:
    place = b.workplace(session)
    new = b.terms(place)
    number = text(inhoud(ask(operations, session, "RegistreerOvereenkomst", b.overeenkomst_gegevens(new))),
                  "Overeenkomstnummer")
    amendment = element("OvereenkomstWijziging", leaf("Overeenkomstnummer", number),
                        leaf("UrenPerWeek", "30"), b.uurrooster(b.week(30)))
    changed = inhoud(ask(operations, session, "WijzigOvereenkomst", amendment))
    assert text(changed, "Gegevens/UrenPerWeek") in ("30", "30.00", "30.0")
    assert text(changed, "Addendum/Status") == "TE_REGISTREREN"
    assert text(changed, "Addendum/Wijzigingen/Wijziging/Veld") == "UrenPerWeek"
    again = ask(operations, session, "WijzigOvereenkomst", amendment)
    assert code(again) == "WPD-1052"

    page = inhoud(ask(operations, session, "GeefTaken", element("TakenSelectie")))
    (taak,) = page.findall(q("Taak"))
    assert text(taak, "Soort") == "ADDENDUM" and text(taak, "Overeenkomstnummer") == number
    assert text(page, "Meer") == "false" and text(page, "VolgendeCursor") == text(taak, "Volgnummer")
    unsigned = element("TaakAfhandeling", leaf("Taaknummer", text(taak, "Taaknummer")), leaf("Optie", "REGISTREREN"))
    assert code(ask(operations, session, "HandelTaakAf", unsigned)) == "WPD-1064"
    wrong = element("TaakAfhandeling", leaf("Taaknummer", text(taak, "Taaknummer")), leaf("Optie", "STOPZETTEN"))
    assert code(ask(operations, session, "HandelTaakAf", wrong)) == "WPD-1061"
    signed = element("TaakAfhandeling", leaf("Taaknummer", text(taak, "Taaknummer")), leaf("Optie", "REGISTREREN"),
                     factories._renamed(factories.document("addendum.pdf"), "OndertekendDocument"))
    handled = inhoud(ask(operations, session, "HandelTaakAf", signed))
    assert text(handled, "Status") == "AFGEHANDELD" and text(handled, "Addendum/Status") == "GEREGISTREERD"
    assert text(handled, "Afhandeling/Optie") == "REGISTREREN"
    later = inhoud(ask(operations, session, "GeefTaken",
                       element("TakenSelectie", leaf("Cursor", text(page, "VolgendeCursor")))))
    assert [text(t, "Taaknummer") for t in later.findall(q("Taak"))] == [text(taak, "Taaknummer")]
    beyond = element("TakenSelectie", leaf("Cursor", int(text(later, "VolgendeCursor") or 0) + 1))
    assert code(ask(operations, session, "GeefTaken", beyond)) == "WPD-1063"


def test_a_trajectory_answers_its_registration_deadline(operations: FeatureOperations, session: Session) -> None:
    who = b.student()
    start = dt.date(2026, 3, 23)
    traject = element("Leertraject", b.leerling(who), leaf("Opleiding", "KOK"), leaf("Startdatum", start))
    confirmed = inhoud(ask(operations, session, "RegistreerLeertraject", traject))
    assert text(confirmed, "RegistratieUiterlijk") == trainingdays.registration_deadline(start).isoformat()
    assert (text(confirmed, "Trajectnummer") or "").startswith("LT")
    unknown = element("Leertraject", b.leerling(who), leaf("Opleiding", "ASTRONAUT"), leaf("Startdatum", start))
    assert code(ask(operations, session, "RegistreerLeertraject", unknown)) == "WPD-1015"
