"""The client library against the real server over mutual TLS: what a school system sees."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from ketenclient import (
    ClientFault,
    Credentials,
    NatrekSignaalcode,
    ResponseNotTrusted,
    SbbErkenningenClient,
    Signaalcode,
)
from tests import factories


@pytest.fixture(scope="module")
def credentials(pki):
    return factories.credentials(pki, "school-25LX")


@pytest.fixture(scope="module", params=["2W-be-S", "2W-be"])
def sbb(request, base_url, credentials):
    with SbbErkenningenClient(f"{base_url}/sbb-erkenningen/{request.param}", credentials) as client:
        yield client


def test_recognised_company_is_identified(sbb):
    result = sbb.vaststellen_leerbedrijf("bakkerij  de vries bv", "1012ab")
    assert result.signaalcode == Signaalcode.ERKEND and result.erkend
    company = result.leerbedrijf
    assert company is not None and company.leerbedrijf_id == "100000001"
    assert company.vestigingsadres.plaats == "Amsterdam" and company.vestigingsadres.huisnummer == 10
    assert {e.crebo for e in company.erkenningen} >= {"25173", "25174"}
    assert "25183" not in {e.crebo for e in company.erkenningen}  # withdrawn in 2023


def test_known_but_not_recognised_is_an_answer_not_a_fault(sbb):
    result = sbb.vaststellen_leerbedrijf("Autobedrijf Jansen", "3526 KS")
    assert result.signaalcode == Signaalcode.NIET_ERKEND and not result.erkend


def test_unknown_company(sbb):
    assert sbb.vaststellen_leerbedrijf("Bestaat Niet B.V.", "1012 AB").signaalcode == Signaalcode.NIET_GEVONDEN


def test_same_name_at_one_postcode_needs_the_house_number(sbb):
    several = sbb.vaststellen_leerbedrijf("Schildersbedrijf Bakker", "2517 AB")
    assert several.signaalcode == Signaalcode.MEERDERE and len(several.leerbedrijven) == 2
    one = sbb.vaststellen_leerbedrijf("Schildersbedrijf Bakker", "2517 AB", huisnummer=14)
    assert one.leerbedrijf is not None and one.leerbedrijf.leerbedrijf_id == "100000004"


def test_invalid_postcode_is_a_typed_fault_naming_the_field(sbb):
    with pytest.raises(ClientFault) as caught:
        sbb.vaststellen_leerbedrijf("Bakkerij De Vries", "1234 SS")
    assert caught.value.code == "0004" and caught.value.field == "Postcode"


def test_client_refuses_a_response_whose_signature_does_not_verify(base_url, credentials, monkeypatch):
    original = requests.Session.send

    def tampering_send(self, request, **kwargs):
        response = original(self, request, **kwargs)
        if request.method == "POST":
            response._content = response.content.replace(b"Amsterdam", b"Rotterdam")
        return response

    with SbbErkenningenClient(f"{base_url}/sbb-erkenningen/2W-be-S", credentials) as client:
        assert client.vaststellen_leerbedrijf("Bakkerij De Vries", "1012 AB").erkend  # untouched: fine
        monkeypatch.setattr(requests.Session, "send", tampering_send)
        with pytest.raises(ResponseNotTrusted):
            client.vaststellen_leerbedrijf("Bakkerij De Vries", "1012 AB")


def test_pkcs12_credentials_work_end_to_end(base_url, pki):
    school = pki.party("school-30AB")
    credentials = Credentials.from_pkcs12(school.p12, trust=pki.trust_bundle, crls=[pki.crl])
    with SbbErkenningenClient(f"{base_url}/sbb-erkenningen/2W-be-S", credentials) as client:
        assert client.vaststellen_leerbedrijf("Stichting Zorgcentrum De Linde", "8011AB").erkend


# --- Natrekken erkenning, Opvragen detailgegevens, Opvragen erkenningen ------------------------

D = dt.date


@pytest.mark.parametrize(
    ("leerbedrijf_id", "crebo", "day", "code"),
    [
        ("100000001", "25173", D(2025, 9, 1), NatrekSignaalcode.ERKEND),
        ("100000001", "25183", D(2024, 9, 1), NatrekSignaalcode.INGETROKKEN),
        ("100000004", "25030", D(2019, 9, 1), NatrekSignaalcode.NOG_NIET_INGEGAAN),
        ("100000005", "25480", D(2025, 9, 1), NatrekSignaalcode.BEEINDIGD),
        ("100000001", "25242", D(2025, 9, 1), NatrekSignaalcode.ANDERE_KWALIFICATIE),
        ("100000002", "25173", D(2025, 9, 1), NatrekSignaalcode.GEEN_ERKENNING),
    ],
)
def test_verify_gives_the_reason(sbb, leerbedrijf_id, crebo, day, code):
    result = sbb.natrekken_erkenning(leerbedrijf_id, crebo, day)
    assert result.signaalcode == code and result.erkend is (code == NatrekSignaalcode.ERKEND)


def test_verify_reports_the_withdrawal_with_its_dates_and_reason(sbb):
    result = sbb.natrekken_erkenning("100000001", "25183", D(2024, 9, 1))
    assert (result.begindatum, result.einddatum) == (D(2019, 2, 1), D(2023, 8, 31))
    assert "geen begeleiding meer" in result.melding


@pytest.mark.parametrize(("leerbedrijf_id", "day", "code", "field"), [
    ("999999999", D(2025, 9, 1), "SBB-1001", "LeerbedrijfId"),
    ("100000001", D(1999, 12, 31), "SBB-1005", "Begindatum"),
])
def test_verify_faults_name_the_field(sbb, leerbedrijf_id, day, code, field):
    with pytest.raises(ClientFault) as caught:
        sbb.natrekken_erkenning(leerbedrijf_id, "25173", day)
    assert (caught.value.code, caught.value.field) == (code, field)


def test_details_hold_contacts_and_the_po_box(sbb):
    details = sbb.opvragen_detailgegevens("100000005")
    assert details.naam == "Stichting Zorgcentrum De Linde" and details.erkend
    assert details.postadres is not None and details.postadres.straat == "Postbus"
    assert [c.functie for c in details.contactpersonen] == ["Leerlingcoördinator", "HR-adviseur", "Praktijkopleider"]
    assert details.contactpersonen[1].naam == "Özlem Yılmaz" and details.contactpersonen[1].telefoon is None
    assert details.aantal_stageplaatsen == 5 and details.grootteklasse == "250+"
    with pytest.raises(ClientFault) as caught:
        sbb.opvragen_detailgegevens("999999999")
    assert (caught.value.code, caught.value.field) == ("SBB-1001", "LeerbedrijfId")


def test_search_by_word_prefixes(sbb):
    result = sbb.opvragen_erkenningen(bedrijfsnaam="BAKK vrí")
    assert "100000001" in [b.leerbedrijf_id for b in result.leerbedrijven]
    assert all("bakk" in b.naam.lower() for b in result.leerbedrijven)
    first = next(b for b in result.leerbedrijven if b.leerbedrijf_id == "100000001")
    assert {p.leerweg for p in first.stageplaatsen} == {"BOL", "BBL"}


def test_search_pages_cover_everything_once(sbb):
    first = sbb.opvragen_erkenningen(crebo="25491", pagina_grootte=2)
    assert first.totaal > 2 and len(first.leerbedrijven) == 2 and first.vervolg_token
    everything = [b.leerbedrijf_id for b in sbb.alle_erkenningen(crebo="25491", pagina_grootte=2)]
    assert len(everything) == len(set(everything)) == first.totaal
    assert everything == sorted(everything)


def test_search_by_country_and_tampered_token(sbb):
    german = sbb.opvragen_erkenningen(kwalificatienaam="medewerker", land="DE", pagina_grootte=100)
    assert german.totaal >= 1 and all(b.vestigingsadres.landcode == "DE" for b in german.leerbedrijven)
    everywhere = sbb.opvragen_erkenningen(kwalificatienaam="medewerker", pagina_grootte=100)
    assert everywhere.totaal > german.totaal
    page = sbb.opvragen_erkenningen(crebo="25491", pagina_grootte=1)
    with pytest.raises(ClientFault) as caught:
        sbb.opvragen_erkenningen(crebo="25498", pagina_grootte=1, vervolg_token=page.vervolg_token)
    assert (caught.value.code, caught.value.field) == ("SBB-1007", "VervolgToken")
    with pytest.raises(ClientFault) as caught:
        sbb.opvragen_erkenningen(plaats="Amsterdam")
    assert caught.value.code == "SBB-1006"
