"""DienErkenningsaanvraagIn and GeefErkenningsaanvraag through the feature's operations, in process.

Each call is one unit of work as the pipeline runs it: the Body is validated against the XSD, run
through the operations, and committed; a refusal is rolled back and answered as the pipeline does,
with a Repliek holding the Uitzondering (``Feature.refusal``). Responses validate against the XSD.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import pytest
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ketencore.errors import RuleError
from ketenserver.context import CallContext
from ketenserver.dates import belgian_date
from ketenserver.db import Base
from ketenserver.exchange.storage import register_organisation
from ketenserver.settings import Settings
from ketenserver.testing import FeatureOperations, feature_operations, operate
from ketenserver.werkplekduaal import catalogue, requests_storage, service_requests
from ketenserver.werkplekduaal.feature import FEATURE
from ketenserver.werkplekduaal.requests_storage import RequestRow
from ketenserver.werkplekduaal.settings import WerkplekduaalSettings
from tests.werkplekduaal import factories
from tests.werkplekduaal.factories import q

NOW = dt.datetime(2026, 3, 9, 9, 30, tzinfo=dt.UTC)
TODAY = belgian_date(NOW)
COACH_ORGANISATION, PROVIDER = "0834567808", "0412345614"
SETTINGS = WerkplekduaalSettings()


@pytest.fixture(scope="module")
def operations(engine: Engine) -> FeatureOperations:
    """This area's operations alone (the feature's other services are built elsewhere), with the
    XSD in front; this area's tables on the test database until the feature's migration makes them."""
    Base.metadata.create_all(engine, tables=list(requests_storage.TABLES), checkfirst=True)
    return feature_operations(dataclasses.replace(FEATURE, services=lambda: (service_requests.build_service(),)))


Ask = Callable[..., etree._Element]


@pytest.fixture
def other_coach(db_session: Session) -> str:
    number = factories.enterprise_number()
    register_organisation(db_session, oin=number, name="Andere Trajectbegeleiding vzw", kind="coach")
    return number


@pytest.fixture
def ask(db_session: Session, operations: FeatureOperations) -> Ask:
    """``ask(operation, content, sender=..., capacity=..., now=...)``: the response element (or the
    refusal's Repliek), after a commit or a rollback as the pipeline does."""
    register_organisation(db_session, oin=COACH_ORGANISATION, name="Demo Trajectbegeleiding vzw", kind="coach")
    register_organisation(db_session, oin=PROVIDER, name="GO! Campus Demo Gent", kind="provider")
    db_session.commit()

    def run(operation: str, content: etree._Element, *, sender: str = COACH_ORGANISATION,
            capacity: str = factories.COACH, now: dt.datetime = NOW, caller: str | None = None,
            context: Callable[[etree._Element], None] | None = None) -> etree._Element:
        """``caller``: the certificate's KBO number when not the Afzender's; ``context`` edits the Context."""
        body = factories.magda_body(operation, content, sender=sender, capacity=capacity, now=now)
        if context is not None:
            found = body.find(f"{q('Verzoek')}/{q('Context')}")
            assert found is not None
            context(found)
        call = CallContext(session=db_session, organisation_oin=caller or sender, message_id="urn:test:werkplekduaal",
                           now=now,
                           profile="MAGDA", settings=Settings())
        done = operate(operations.call, body, call, schema=operations.schema)
        assert "invalid" not in done.outcome, done.outcome.get("invalid")
        error = done.outcome.get("error")
        if isinstance(error, RuleError):
            db_session.rollback()
            assert FEATURE.refusal is not None
            response = FEATURE.refusal(error, body)
        else:
            assert error is None and done.status == "200 OK", error
            db_session.commit()
            response = done.response
        assert operations.schema is not None
        operations.schema.assertValid(etree.ElementTree(response))
        made: etree._Element = response
        return made

    return run


def _inhoud(response: etree._Element) -> etree._Element:
    found = response.find(f"{q('Repliek')}/{q('Antwoorden')}/{q('Antwoord')}/{q('Inhoud')}")
    assert found is not None, etree.tostring(response)
    return found


def _text(parent: etree._Element, path: str) -> str | None:
    return parent.findtext("/".join(q(part) for part in path.split("/")))


def _exception(response: etree._Element, where: str = "Repliek/Antwoorden/Antwoord") -> tuple[str | None, str | None]:
    found = response.find("/".join(q(p) for p in f"{where}/Uitzonderingen/Uitzondering".split("/")))
    assert found is not None, etree.tostring(response)
    assert _text(found, "Type") == "FOUT"
    return _text(found, "Identificatie"), _text(found, "Veld")


def file(ask: Ask, company: factories.Company, **changes: object) -> etree._Element:
    return ask("DienErkenningsaanvraagIn", factories.erkenningsaanvraag(
        company.enterprise, company.establishments[0], TODAY, **changes))  # type: ignore[arg-type]


def consult(ask: Ask, number: str, **kwargs: object) -> etree._Element:
    return ask("GeefErkenningsaanvraag", factories.aanvraag_selectie(number), **kwargs)


def _stored(db_session: Session, company: factories.Company) -> int:
    return db_session.scalar(select(func.count()).select_from(RequestRow).where(
        RequestRow.establishment_number == company.establishments[0])) or 0


@pytest.fixture
def company(db_session: Session) -> factories.Company:
    return factories.kbo_company(db_session, joint_committee="118")


def test_a_request_is_filed_assigned_and_its_status_consulted(ask: Ask, company: factories.Company) -> None:
    filed = _inhoud(file(ask, company, mentors=2))
    number = _text(filed, "Aanvraagnummer")
    assert number is not None and number.startswith("EA")
    partnership = catalogue.partnership_for("118", "BAKKER")
    assert (_text(filed, "Status"), _text(filed, "Partnerschap/Code"), _text(filed, "Partnerschap/Naam")) == (
        "TOEGEWEZEN", partnership.code, partnership.name)
    assert (_text(filed, "Werkplaats/Ondernemingsnummer"), _text(filed, "Werkplaats/Vestigingsnummer")) == (
        company.enterprise, company.establishments[0])
    assert (_text(filed, "Ingediend"), _text(filed, "BeslissingUiterlijk")) == (
        TODAY.isoformat(), (TODAY + dt.timedelta(days=SETTINGS.decision_days)).isoformat())
    assert filed.find(q("Beslissing")) is None and filed.find(q("Erkenning")) is None
    assert etree.tostring(_inhoud(consult(ask, number))) == etree.tostring(filed)


def test_a_provider_may_file_as_trajectory_coach(ask: Ask, company: factories.Company) -> None:
    assert _text(_inhoud(file_as(ask, company, PROVIDER)), "Status") == "TOEGEWEZEN"


def file_as(ask: Ask, company: factories.Company, sender: str) -> etree._Element:
    return ask("DienErkenningsaanvraagIn", factories.erkenningsaanvraag(
        company.enterprise, company.establishments[0], TODAY), sender=sender)


def test_a_decision_by_command_shows_in_the_status_with_its_recognition(
        ask: Ask, db_session: Session, company: factories.Company) -> None:
    number = _text(_inhoud(file(ask, company, mentors=3)), "Aanvraagnummer")
    assert number is not None
    decided_on = TODAY + dt.timedelta(days=2)
    requests_storage.decide(db_session, number, "ERKEND", today=decided_on)
    db_session.commit()
    status = _inhoud(consult(ask, number, now=NOW + dt.timedelta(days=2)))
    assert (_text(status, "Status"), _text(status, "Beslissing/Uitkomst"), _text(status, "Beslissing/Datum")) == (
        "ERKEND", "ERKEND", decided_on.isoformat())
    assert (_text(status, "Erkenning/Vestigingsnummer"), _text(status, "Erkenning/Opleiding"),
            _text(status, "Erkenning/Status"), _text(status, "Erkenning/Plaatsen")) == (
        company.establishments[0], "BAKKER", "LOPEND", str(SETTINGS.students_per_mentor * 3))
    assert _text(status, "Erkenning/GeldigVan") == decided_on.isoformat()


def test_a_refusal_by_command_names_its_reason(ask: Ask, db_session: Session, company: factories.Company) -> None:
    number = _text(_inhoud(file(ask, company)), "Aanvraagnummer")
    assert number is not None
    requests_storage.decide(db_session, number, "GEWEIGERD", "no workshop", today=TODAY)
    db_session.commit()
    status = _inhoud(consult(ask, number))
    assert (_text(status, "Status"), _text(status, "Beslissing/Reden")) == ("GEWEIGERD", "no workshop")
    assert status.find(q("Erkenning")) is None


def test_the_partnership_decides_within_the_decision_days_on_the_sandbox_clock(
        ask: Ask, db_session: Session, company: factories.Company) -> None:
    number = _text(_inhoud(file(ask, company)), "Aanvraagnummer")
    assert number is not None
    later = NOW + dt.timedelta(days=SETTINGS.decision_days - 1)
    requests_storage.decide_due(db_session, belgian_date(later))
    db_session.commit()
    assert _text(_inhoud(consult(ask, number, now=later)), "Status") == "TOEGEWEZEN"
    due = NOW + dt.timedelta(days=SETTINGS.decision_days)
    requests_storage.decide_due(db_session, belgian_date(due))
    db_session.commit()
    status = _inhoud(consult(ask, number, now=due))
    assert (_text(status, "Status"), _text(status, "Beslissing/Datum"), _text(status, "Erkenning/Status")) == (
        "ERKEND", belgian_date(due).isoformat(), "LOPEND")


def test_another_coachs_request_is_answered_as_unknown(ask: Ask, company: factories.Company, other_coach: str) -> None:
    number = _text(_inhoud(file(ask, company)), "Aanvraagnummer")
    assert number is not None
    assert _exception(consult(ask, number, sender=other_coach)) == ("WPD-1031", "Aanvraagnummer")


@pytest.mark.parametrize(("changes", "code", "field"), [
    ({"mandate": False}, "WPD-1020", "Machtiging"),
    ({"declaration_version": "01.09.2018"}, "WPD-1021", "VerklaringOpEer/Versie"),
    ({"mentors": [factories.mentor(TODAY, age=24)]}, "WPD-1023", "Mentor[1]/Geboortedatum"),
    ({"mentors": [factories.mentor(TODAY), factories.mentor(TODAY, extract_model="596.1")]}, "WPD-1025",
     "Mentor[2]/Strafregisteruittreksel"),
    ({"mentors": 0}, "WPD-1022", "Mentoren"),
    ({"mandate": b"not a pdf" * 40}, "WPD-1028", "Machtiging/Inhoud"),
    ({"declaration": factories.pdf(SETTINGS.attachment_min_bytes - 1)}, "WPD-1029",
     "VerklaringOpEer/Document/Inhoud"),
])
def test_a_refusal_comes_back_as_an_uitzondering_and_nothing_is_stored(
        ask: Ask, db_session: Session, company: factories.Company, changes: dict[str, object], code: str,
        field: str) -> None:
    refusal = file(ask, company, **changes)
    assert _exception(refusal) == (code, field)
    assert _text(refusal, "Repliek/Context/Bericht/Ontvanger/Identificatie") == COACH_ORGANISATION
    assert _stored(db_session, company) == 0


def test_a_second_request_for_the_workplace_is_refused_while_the_first_awaits_its_decision(
        ask: Ask, db_session: Session, company: factories.Company, other_coach: str) -> None:
    file(ask, company)
    assert _exception(file_as(ask, company, other_coach)) == ("WPD-1030", "Vestigingsnummer")
    assert _stored(db_session, company) == 1


def _set(path: str, value: str) -> Callable[[etree._Element], None]:
    def edit(context: etree._Element) -> None:
        found = context.find("/".join(q(part) for part in path.split("/")))
        assert found is not None
        found.text = value

    return edit


@pytest.mark.parametrize(("path", "value", "field"), [
    ("Naam", "GeefErkenningsaanvraag", "Naam"),  # another operation's name
    ("Versie", "01.00.0000", "Versie"),
    ("Bericht/Type", "ANTWOORD", "Type"),
])
def test_the_context_names_this_service_version_and_a_question(ask: Ask, company: factories.Company, path: str,
                                                               value: str, field: str) -> None:
    refusal = ask("DienErkenningsaanvraagIn", factories.erkenningsaanvraag(
        company.enterprise, company.establishments[0], TODAY), context=_set(path, value))
    assert _exception(refusal, "Repliek") == ("WPD-1001", field)


def test_the_sender_is_the_organisation_of_the_certificate(ask: Ask, company: factories.Company,
                                                           other_coach: str) -> None:
    refusal = ask("DienErkenningsaanvraagIn", factories.erkenningsaanvraag(
        company.enterprise, company.establishments[0], TODAY), caller=other_coach)
    assert _exception(refusal, "Repliek") == ("WPD-1002", "Identificatie")


def test_a_sender_the_counter_does_not_know_in_that_capacity_is_refused(ask: Ask, company: factories.Company,
                                                                        db_session: Session) -> None:
    unknown = factories.enterprise_number()
    content = factories.erkenningsaanvraag(company.enterprise, company.establishments[0], TODAY)
    assert _exception(ask("DienErkenningsaanvraagIn", content, sender=unknown), "Repliek") == (
        "WPD-1004", "Identificatie")
    register_organisation(db_session, oin=unknown, name="Een school uit Nederland", kind="school")
    assert _exception(ask("DienErkenningsaanvraagIn", content, sender=unknown), "Repliek") == (
        "WPD-1004", "Identificatie")  # known, but not as a provider or coach organisation


def test_recognition_requests_are_asked_as_trajectory_coach(ask: Ask, company: factories.Company) -> None:
    refusal = ask("DienErkenningsaanvraagIn", factories.erkenningsaanvraag(
        company.enterprise, company.establishments[0], TODAY), sender=PROVIDER, capacity=factories.PROVIDER)
    assert _exception(refusal, "Repliek") == ("WPD-1003", "Hoedanigheid")
