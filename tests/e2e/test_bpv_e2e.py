"""Placement agreements, nominations and mutations through the client, over the real server.

Each test takes a recognition of its own (``recognitions``: a company the tests made), so
withdrawing one changes nothing another test relies on; the refusals use the documented demo
companies.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketenclient import ClientFault, SbbErkenningenClient
from ketenserver.cli import main
from ketenserver.recognitions import domain
from ketenserver.recognitions.bpv_storage import AgreementModel, MutationModel
from tests import factories

TODAY = domain.dutch_date(dt.datetime.now(dt.UTC))
PAST = TODAY - dt.timedelta(days=60)
START = TODAY + dt.timedelta(days=7)
END = START + dt.timedelta(days=180)


def _client(base_url, pki, party: str) -> SbbErkenningenClient:
    return SbbErkenningenClient(f"{base_url}/sbb-erkenningen/2W-be-S", factories.credentials(pki, party))


@pytest.fixture(scope="module")
def school(base_url, pki):
    with _client(base_url, pki, "school-25LX") as client:
        yield client


@pytest.fixture(scope="module")
def other(base_url, pki):
    with _client(base_url, pki, "school-30AB") as client:
        yield client


def _agreements(engine, leerbedrijf_id: str) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(AgreementModel)
                              .where(AgreementModel.leerbedrijf_id == leerbedrijf_id)) or 0


def test_register_amend_end_and_list(school, recognitions):
    leerbedrijf_id, crebo = next(recognitions)
    student = factories.student_number()
    agreement = school.registreren_bpv_overeenkomst(student, leerbedrijf_id, crebo, START, END, "BOL")
    assert (agreement.leerbedrijf_id, agreement.crebo, agreement.leerweg) == (leerbedrijf_id, crebo, "BOL")
    assert agreement.einddatum is None
    amended = school.wijzigen_bpv_overeenkomst(agreement.overeenkomst_id, leerweg="BBL",
                                               geplande_einddatum=END + dt.timedelta(days=30))
    assert (amended.leerweg, amended.geplande_einddatum) == ("BBL", END + dt.timedelta(days=30))
    listed = school.opvragen_bpv_overeenkomsten()
    assert agreement.overeenkomst_id in {a.overeenkomst_id for a in listed.overeenkomsten}
    ended = school.beeindigen_bpv_overeenkomst(agreement.overeenkomst_id, START, "student gestopt")
    assert (ended.einddatum, ended.reden_beeindiging) == (START, "student gestopt")
    with pytest.raises(ClientFault) as caught:
        school.wijzigen_bpv_overeenkomst(agreement.overeenkomst_id, leerweg="BOL")
    assert (caught.value.code, caught.value.field) == ("SBB-1013", "OvereenkomstId")


def test_listing_pages_through_running_agreements(school, recognitions):
    leerbedrijf_id, crebo = next(recognitions)
    made = {school.registreren_bpv_overeenkomst(factories.student_number(), leerbedrijf_id, crebo, START, END,
                                                "BBL").overeenkomst_id for _ in range(3)}
    seen, after = [], None
    while True:
        page = school.opvragen_bpv_overeenkomsten(pagina_grootte=2, na=after)
        assert len(page.overeenkomsten) <= 2
        seen += [a.overeenkomst_id for a in page.overeenkomsten]
        after = page.vervolg_na
        if after is None:
            break
    assert seen == sorted(seen) and made <= set(seen) and len(seen) == page.totaal


def test_a_retry_with_the_same_message_id_registers_one_agreement(school, engine, recognitions):
    leerbedrijf_id, crebo = next(recognitions)
    first = school.registreren_bpv_overeenkomst("R00001", leerbedrijf_id, crebo, START, END, "BOL")
    message_id = school.last_message_id
    assert message_id is not None
    again = school.registreren_bpv_overeenkomst("R00001", leerbedrijf_id, crebo, START, END, "BOL",
                                                message_id=message_id)
    assert again.overeenkomst_id == first.overeenkomst_id
    assert _agreements(engine, leerbedrijf_id) == 1
    fresh = school.registreren_bpv_overeenkomst("R00001", leerbedrijf_id, crebo, START, END, "BOL")
    assert fresh.overeenkomst_id != first.overeenkomst_id  # without message_id: a new request
    assert _agreements(engine, leerbedrijf_id) == 2


def test_another_schools_agreement_is_invisible_and_unchangeable(school, other, recognitions):
    leerbedrijf_id, crebo = next(recognitions)
    student = factories.student_number()
    agreement = school.registreren_bpv_overeenkomst(student, leerbedrijf_id, crebo, START, END, "BOL")
    visible = {a.overeenkomst_id for a in other.opvragen_bpv_overeenkomsten().overeenkomsten}
    assert agreement.overeenkomst_id not in visible
    for attempt in (lambda: other.wijzigen_bpv_overeenkomst(agreement.overeenkomst_id, leerweg="BBL"),
                    lambda: other.beeindigen_bpv_overeenkomst(agreement.overeenkomst_id, END, "weg")):
        with pytest.raises(ClientFault) as caught:
            attempt()
        assert (caught.value.code, caught.value.field) == ("SBB-1011", "OvereenkomstId")
    with pytest.raises(ClientFault) as unknown:  # the same answer as for an id nobody has
        other.wijzigen_bpv_overeenkomst(2_000_000_000, leerweg="BBL")
    assert unknown.value.code == "SBB-1011" and unknown.value.message == caught.value.message
    assert school.wijzigen_bpv_overeenkomst(agreement.overeenkomst_id, leerweg="BBL").leerweg == "BBL"


@pytest.mark.parametrize(("leerbedrijf_id", "crebo", "start", "end", "code", "field"), [
    ("100000002", "25173", START, END, "SBB-1010", "Crebo"),  # known, never recognised for it
    ("100000001", "25183", START, END, "SBB-1010", "Crebo"),  # withdrawn in 2023
    ("999999999", "25173", START, END, "SBB-1001", "LeerbedrijfId"),
    ("100000001", "25173", START, START - dt.timedelta(days=1), "SBB-1012", "GeplandeEinddatum"),
    ("100000001", "25173", dt.date(1999, 9, 1), END, "SBB-1005", "Begindatum"),
])
def test_registration_refusals_name_the_rule(school, leerbedrijf_id, crebo, start, end, code, field):
    with pytest.raises(ClientFault) as caught:
        school.registreren_bpv_overeenkomst("X1", leerbedrijf_id, crebo, start, end, "BOL")
    assert (caught.value.code, caught.value.field) == (code, field)


# --- Erkenningsvoordracht ------------------------------------------------------------------------


def _nominate(client):
    return client.indienen_erkenningsvoordracht(
        "Kapsalon Nieuw Begin", straat="Dorpsstraat", huisnummer=3, postcode="9711 AB", plaats="Groningen",
        kvk_nummer="12345670", crebo="25173", contact_naam="A. de Boer", contact_functie="eigenaar",
        contact_email="info@example.nl")


def test_nomination_moves_to_recognised_and_only_its_school_sees_it(school, other, settings):
    nomination = _nominate(school)
    assert nomination.referentie.startswith("EV-") and nomination.status == "Ontvangen"
    with pytest.raises(ClientFault) as caught:
        other.opvragen_status_erkenningsvoordracht(nomination.referentie)
    assert (caught.value.code, caught.value.field) == ("SBB-1015", "Referentie")
    url = settings.effective_database_url
    assert main(["--database-url", url, "sbb", "voordracht", "--referentie", nomination.referentie,
                 "--status", "in-behandeling"]) == 0
    assert school.opvragen_status_erkenningsvoordracht(nomination.referentie).status == "In behandeling"
    assert main(["--database-url", url, "sbb", "voordracht", "--referentie", nomination.referentie,
                 "--status", "erkend"]) == 0
    status = school.opvragen_status_erkenningsvoordracht(nomination.referentie)
    assert status.status == "Erkend" and status.leerbedrijf_id is not None and len(status.leerbedrijf_id) == 9
    verified = school.natrekken_erkenning(status.leerbedrijf_id, "25173", TODAY)
    assert verified.erkend and verified.begindatum == TODAY
    assert main(["--database-url", url, "sbb", "voordracht", "--referentie", nomination.referentie,
                 "--status", "afgewezen"]) == 2  # final


# --- Mutations (pull) ----------------------------------------------------------------------------


def test_a_withdrawal_reaches_only_the_school_with_a_running_agreement(school, other, engine, settings, pki,
                                                                       recognitions):
    leerbedrijf_id, crebo = next(recognitions)
    school.aanmelden_mutatieabonnement()
    other.aanmelden_mutatieabonnement()
    school.registreren_bpv_overeenkomst(factories.student_number(), leerbedrijf_id, crebo, START, END, "BOL")
    ended = other.registreren_bpv_overeenkomst(factories.student_number(), leerbedrijf_id, crebo, PAST, END, "BOL")
    other.beeindigen_bpv_overeenkomst(ended.overeenkomst_id, PAST + dt.timedelta(days=1), "student gestopt")
    assert main(["--database-url", settings.effective_database_url, "sbb", "intrekken", "--leerbedrijf-id",
                 leerbedrijf_id, "--crebo", crebo, "--reden", "voldoet niet meer aan veiligheidseisen"]) == 0
    with Session(engine) as session:
        oins = session.scalars(select(MutationModel.organisation_oin)
                               .where(MutationModel.leerbedrijf_id == leerbedrijf_id)).all()
    assert oins == [pki.party("school-25LX").oin]
    mine = [m for m in school.alle_mutaties(na=0) if m.leerbedrijf_id == leerbedrijf_id]
    assert [(m.crebo, m.soort, m.ingangsdatum) for m in mine] == [(crebo, "ingetrokken", TODAY)]
    assert "veiligheidseisen" in mine[0].reden
    assert leerbedrijf_id not in {m.leerbedrijf_id for m in other.alle_mutaties(na=0)}
    assert not school.natrekken_erkenning(leerbedrijf_id, crebo, TODAY).erkend


def test_fetch_after_a_cursor_in_pages_until_acknowledged(school, settings, recognitions):
    school.aanmelden_mutatieabonnement()
    url = settings.effective_database_url
    lapsed = [next(recognitions) for _ in range(3)]
    for leerbedrijf_id, crebo in lapsed:
        school.registreren_bpv_overeenkomst(factories.student_number(), leerbedrijf_id, crebo, START, END, "BBL")
        assert main(["--database-url", url, "sbb", "beeindigen", "--leerbedrijf-id", leerbedrijf_id,
                     "--crebo", crebo, "--reden", "bedrijf gestopt"]) == 0
    position = school.opvragen_abonnementen()[0].bevestigd_tot
    pending = list(school.alle_mutaties())
    assert [(m.leerbedrijf_id, m.crebo) for m in pending[-3:]] == lapsed
    assert [m.soort for m in pending[-3:]] == ["beeindigd"] * 3
    numbers = [m.volgnummer for m in pending]
    assert numbers == sorted(numbers) and numbers[0] > position
    first = school.ophalen_mutaties(pagina_grootte=1)
    assert first.meer is (len(pending) > 1) and first.mutaties[0] == pending[0]
    assert school.ophalen_mutaties(pagina_grootte=1).mutaties == first.mutaties  # at least once: again
    after = school.ophalen_mutaties(na=numbers[-2])
    assert [m.volgnummer for m in after.mutaties] == [numbers[-1]] and not after.meer
    assert school.bevestigen_mutaties(numbers[-2]) == numbers[-2]
    assert [m.volgnummer for m in school.ophalen_mutaties().mutaties] == [numbers[-1]]
    assert school.bevestigen_mutaties(numbers[0]) == numbers[-2]  # never moves back
    with pytest.raises(ClientFault) as caught:
        school.bevestigen_mutaties(numbers[-1] + 1_000_000)
    assert (caught.value.code, caught.value.field) == ("SBB-1017", "Volgnummer")
    assert school.bevestigen_mutaties(numbers[-1]) == numbers[-1]
    assert school.ophalen_mutaties().mutaties == ()


def test_fetching_needs_a_subscription(base_url, pki):
    with _client(base_url, pki, "vendor-hosting") as client, pytest.raises(ClientFault) as caught:
        client.ophalen_mutaties()
    assert (caught.value.code, caught.value.field) == ("SBB-1016", "Mutatieabonnement")
