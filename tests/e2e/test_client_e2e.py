"""The client library against the real server over mutual TLS: what a school system sees."""

from __future__ import annotations

import pytest
import requests

from ketenclient import ClientFault, Credentials, ResponseNotTrusted, SbbErkenningenClient, Signaalcode


@pytest.fixture(scope="module")
def credentials(pki):
    school = pki.party("school-25LX")
    return Credentials.from_pem(school.chain, school.key, trust=pki.trust_bundle, crls=[pki.crl])


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
