"""What SBB keeps per school, in the database: a school sees its own rows only, a lapsed recognition
reaches exactly the schools that rely on it, a recognised nomination becomes a company that search
finds, and a pushed mutation is claimed by one deliverer at a time."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from ketenserver.recognitions import search, storage
from ketenserver.recognitions.agreements import MutationKind, NewNomination, NominationStatus, nomination_number
from ketenserver.recognitions.bpv_storage import (
    SqlSchoolLedger,
    claim_delivery,
    due_subscriptions,
    finish_delivery,
    lapse_recognition,
    move_nomination,
)
from tests import factories

D = dt.date
TODAY = D(2025, 3, 1)
NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


def test_a_ledger_holds_its_own_schools_agreements_only(db_session: Session) -> None:
    school, other = factories.school(db_session), factories.school(db_session)
    crebo = factories.qualification(db_session)
    at = factories.company(db_session, recognised_for=[crebo])
    running = factories.agreement(db_session, school.oin, at, crebo, start=D(2025, 2, 1), planned_end=D(2025, 6, 30))
    factories.agreement(db_session, school.oin, at, crebo, start=D(2025, 1, 1), planned_end=D(2025, 6, 30),
                        ended_on=D(2025, 2, 28))
    later = factories.agreement(db_session, school.oin, at, crebo, start=D(2025, 9, 1), planned_end=D(2026, 1, 31))
    theirs = factories.agreement(db_session, other.oin, at, crebo, start=D(2025, 2, 1), planned_end=D(2025, 6, 30))
    ledger = SqlSchoolLedger(db_session, school.oin)
    assert ledger.agreement(theirs.id) is None  # as if it did not exist
    found = ledger.agreement(running.id)
    assert found is not None and found.student_number == running.student_number
    assert [a.id for a in ledger.running_agreements(TODAY, after=0, limit=None)] == [running.id, later.id]
    assert [a.id for a in ledger.running_agreements(TODAY, after=running.id, limit=1)] == [later.id]
    assert ledger.count_running(TODAY) == 2
    assert SqlSchoolLedger(db_session, other.oin).count_running(TODAY) == 1


def test_a_lapsed_recognition_reaches_the_schools_with_an_agreement_running_there(db_session: Session) -> None:
    relying, ended, elsewhere, other_crebo = (factories.school(db_session) for _ in range(4))
    crebo, other = factories.qualification(db_session), factories.qualification(db_session)
    at = factories.company(db_session, recognised_for=[crebo, other])
    term = {"start": D(2025, 1, 1), "planned_end": D(2025, 12, 31)}
    factories.agreement(db_session, relying.oin, at, crebo, **term)
    factories.agreement(db_session, ended.oin, at, crebo, ended_on=D(2025, 2, 1), **term)
    factories.agreement(db_session, elsewhere.oin, factories.company(db_session, recognised_for=[crebo]), crebo,
                        **term)
    factories.agreement(db_session, other_crebo.oin, at, other, **term)

    schools = lapse_recognition(db_session, at.leerbedrijf_id, crebo.crebo, MutationKind.INGETROKKEN,
                                "veiligheid niet op orde", effective=TODAY, today=TODAY)

    assert schools == [relying.oin]
    [mutation] = SqlSchoolLedger(db_session, relying.oin).mutations(after=0, limit=10)
    assert (mutation.leerbedrijf_id, mutation.crebo, mutation.kind, mutation.effective) == (
        at.leerbedrijf_id, crebo.crebo, MutationKind.INGETROKKEN, TODAY)
    for school in (ended, elsewhere, other_crebo):
        assert SqlSchoolLedger(db_session, school.oin).mutations(after=0, limit=10) == []
    assert [r.crebo for r in storage.current_recognitions(db_session, at.leerbedrijf_id, TODAY)] == [other.crebo]
    with pytest.raises(ValueError, match="no recognition"):  # nothing current left to withdraw
        lapse_recognition(db_session, at.leerbedrijf_id, crebo.crebo, MutationKind.INGETROKKEN, "again",
                          effective=TODAY, today=TODAY)


def test_a_recognised_nomination_becomes_a_company_that_search_finds(db_session: Session) -> None:
    school, word = factories.school(db_session), factories.unique_word()
    crebo = factories.qualification(db_session).crebo
    ledger = SqlSchoolLedger(db_session, school.oin)
    nomination = ledger.add_nomination(NewNomination(
        name=f"Kapsalon {word}", street="Dorpsstraat", house_number=3, house_number_suffix=None, postcode="9711 ab",
        place="Groningen", country_code="NL", kvk_number=factories.kvk_number(), crebo=crebo,
        contact_name="A. de Boer", contact_role="eigenaar", contact_phone=None, contact_email=None), TODAY)
    move_nomination(db_session, nomination.reference, NominationStatus.IN_BEHANDELING, today=TODAY)
    recognised = move_nomination(db_session, nomination.reference, NominationStatus.ERKEND, today=TODAY)

    assert recognised.leerbedrijf_id is not None
    found = search.search(search.SearchQuery(company_name=f"kaps {word}", place="gron"),
                          index=storage.SqlCompanyDirectory(db_session), on=TODAY, token_key=b"test token key")
    assert [h.company.leerbedrijf_id for h in found.hits] == [recognised.leerbedrijf_id]
    assert found.hits[0].company.address.postcode == "9711AB"
    assert [r.crebo for r in found.hits[0].current] == [crebo]
    number = nomination_number(nomination.reference)
    assert number is not None
    assert SqlSchoolLedger(db_session, factories.school(db_session).oin).nomination(number) is None


def test_a_pushed_mutation_is_claimed_by_one_deliverer_at_a_time(db_session: Session) -> None:
    school, crebo = factories.school(db_session), factories.qualification(db_session)
    at = factories.company(db_session, recognised_for=[crebo])
    subscription = factories.subscription(db_session, school.oin, delivery_address="https://school.example/mutaties")
    factories.agreement(db_session, school.oin, at, crebo, start=D(2025, 1, 1), planned_end=D(2025, 12, 31))
    lapse_recognition(db_session, at.leerbedrijf_id, crebo.crebo, MutationKind.BEEINDIGD, "bedrijf gestopt",
                      effective=TODAY, today=TODAY)
    assert subscription.id in due_subscriptions(db_session, NOW, limit=1000)

    first = claim_delivery(db_session, subscription.id, NOW, lease_until=NOW + dt.timedelta(minutes=1))
    assert first is not None and (first.attempt, first.mutation.crebo) == (1, crebo.crebo)
    assert claim_delivery(db_session, subscription.id, NOW, lease_until=NOW + dt.timedelta(minutes=1)) is None
    assert subscription.id not in due_subscriptions(db_session, NOW, limit=1000)  # claimed

    retry_at = NOW + dt.timedelta(seconds=5)
    finish_delivery(db_session, first, delivered=False, next_attempt=retry_at)
    assert subscription.id not in due_subscriptions(db_session, NOW, limit=1000)  # waits for its next attempt
    second = claim_delivery(db_session, subscription.id, retry_at, lease_until=retry_at + dt.timedelta(minutes=1))
    assert second is not None and second.attempt == 2 and second.mutation == first.mutation
    finish_delivery(db_session, second, delivered=True, next_attempt=None)

    kept = SqlSchoolLedger(db_session, school.oin).subscription()
    assert kept is not None and kept.acknowledged_up_to == second.mutation.sequence
    assert subscription.id not in due_subscriptions(db_session, retry_at, limit=1000)  # nothing left to offer
