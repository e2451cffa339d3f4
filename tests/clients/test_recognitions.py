"""SbbErkenningenClient: the contract's response elements become typed, frozen results.

The responses are golden files (``messages/``), valid against ``xsd/sbb-erkenningen.xsd``
(the fake server checks that before signing them)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from ketenclient import (
    Adres,
    Credentials,
    Erkenning,
    Leerbedrijf,
    SbbErkenningenClient,
    Signaalcode,
    VaststellenResultaat,
)

MESSAGES = Path(__file__).parent / "messages"
ENDPOINT = "https://ketenserver.test:8443/sbb-erkenningen/2W-be-S"


def _ask(fake_server: Any, school: Credentials, golden: str) -> VaststellenResultaat:
    fake_server.handler = lambda payload: etree.parse(str(MESSAGES / golden)).getroot()
    with SbbErkenningenClient(ENDPOINT, school) as client:
        return client.vaststellen_leerbedrijf("Bakkerij De Korenschoof", "1234AB", huisnummer=12)


def test_a_recognised_company_with_every_optional_element(fake_server: Any, school: Credentials) -> None:
    result = _ask(fake_server, school, "vaststellen-erkend.xml")
    assert result == VaststellenResultaat(
        signaalcode=0,
        melding="Erkend leerbedrijf gevonden.",
        leerbedrijven=(
            Leerbedrijf(
                leerbedrijf_id="010077736",  # codes keep their leading zeros
                naam="Bakkerij De Korenschoof B.V.",
                kvk_nummer="01234567",
                kvk_vestigingsnummer="000012345678",
                vestigingsadres=Adres(straat="Molenstraat", huisnummer=12, huisnummer_toevoeging="A",
                                      postcode="1234AB", plaats="Zwolle", landcode="NL"),
                erkend=True,
                erkenningen=(
                    Erkenning("25180", "Kok", 2, dt.date(2021, 8, 1)),
                    Erkenning("05123", "Brood- en banketbakker", 3, dt.date(2020, 1, 15),
                              dt.date(2027, 7, 31)),
                ),
            ),
        ),
    )
    assert result.erkend and result.signaalcode == Signaalcode.ERKEND
    assert result.leerbedrijf is result.leerbedrijven[0]
    assert type(result.leerbedrijven[0].vestigingsadres.huisnummer) is int
    assert type(result.leerbedrijven[0].erkenningen[0].begindatum) is dt.date


def test_several_companies_some_without_optional_elements(fake_server: Any, school: Credentials) -> None:
    result = _ask(fake_server, school, "vaststellen-meerdere.xml")
    assert result.signaalcode == Signaalcode.MEERDERE and not result.erkend
    assert result.leerbedrijf is None
    first, second = result.leerbedrijven
    assert [first.leerbedrijf_id, second.leerbedrijf_id] == ["100077736", "100077737"]
    assert second.kvk_vestigingsnummer is None and second.vestigingsadres.huisnummer_toevoeging is None
    assert (first.erkend, second.erkend) == (True, False)
    assert len(first.erkenningen) == 1 and second.erkenningen == ()
    assert first.erkenningen[0].einddatum is None


def test_nothing_found_is_a_result_not_an_error(fake_server: Any, school: Credentials) -> None:
    fake_server.handler = lambda payload: etree.fromstring(
        b'<r:VaststellenLeerbedrijfResponse xmlns:r="urn:ketenserver:sbb:whitelabel:erkenningen:2.1">'
        b"<r:Signaalcode>2</r:Signaalcode><r:Melding>Geen leerbedrijf gevonden.</r:Melding>"
        b"</r:VaststellenLeerbedrijfResponse>")
    with SbbErkenningenClient(ENDPOINT, school) as client:
        result = client.vaststellen_leerbedrijf("Onbekend", "9999ZZ")
    assert result == VaststellenResultaat(Signaalcode.NIET_GEVONDEN, "Geen leerbedrijf gevonden.", ())
    assert not result.erkend and result.leerbedrijf is None


def test_results_are_frozen(fake_server: Any, school: Credentials) -> None:
    result = _ask(fake_server, school, "vaststellen-erkend.xml")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.leerbedrijven[0].erkend = False  # type: ignore[misc]
