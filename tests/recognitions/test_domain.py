"""Rules of SBB recognitions: name matching, postcodes, house numbers, currency, outcomes."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

import pytest
from lxml import etree

from ketencore.errors import BusinessError
from ketenserver import contracts
from ketenserver.recognitions import domain
from ketenserver.recognitions.domain import Signaalcode

D = dt.date

# --- Company names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "Bakkerij de Vries B.V.",
        "bakkerij  de vries bv",
        "Bakkerij De Vries",
        "BAKKERIJ DE VRIES N.V.",
        "Bakkerij de Vries B. V.",
        "Bakkerij de Vries B.V. i.o.",
        "Bakkerij de Vries, V.O.F.",
        "Bakkerij de Vries C.V.",
        "B.V. Bakkerij de Vries",
        "Eenmanszaak Bakkerij de Vries",
        "Bakkerij-de-Vries",
        " Bakkerij\tde\u00a0Vries ",
        "Bakkerij de Vriës",
        "bakkerijdevries",
    ],
)
def test_spellings_of_one_company_share_a_key(raw: str) -> None:
    assert domain.name_key(raw) == "bakkerijdevries"


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Eetcafé 't Hoekje", "eetcafethoekje"),
        ("EETCAFE \u2019T HOEKJE", "eetcafethoekje"),
        ("Jansen & Zn.", "jansenenzonen"),
        ("Jansen en Zonen B.V.", "jansenenzonen"),
        ("Öztürk Bouw", "ozturkbouw"),
        ("Çelik Installatietechniek", "celikinstallatietechniek"),
        ("\u0133zerhandel Smit", "ijzerhandelsmit"),  # the Dutch ij ligature
        ("Coöperatie De Eendracht U.A.", "cooperatiedeeendracht"),
        ("Garage 2000 B.V.", "garage2000"),
    ],
)
def test_name_key_folds_diacritics_punctuation_and_spelling(raw: str, key: str) -> None:
    assert domain.name_key(raw) == key


def test_stichting_is_part_of_the_name() -> None:
    assert domain.name_key("Stichting Zorgcentrum De Linde") != domain.name_key("Zorgcentrum De Linde")
    assert domain.name_key("Stichting Zorgcentrum De Linde") == "stichtingzorgcentrumdelinde"


def test_different_companies_keep_different_keys() -> None:
    keys = {domain.name_key(n) for n in ("Bakkerij de Vries", "Bakkerij de Vriesen", "Bakkerij de Vos")}
    assert len(keys) == 3


@pytest.mark.parametrize("raw", ["", "   ", "B.V.", "b v", "...", "V.O.F. i.o.", "x" * 201])
def test_an_empty_or_overlong_name_is_refused(raw: str) -> None:
    with pytest.raises(BusinessError) as refused:
        domain.name_key(raw)
    assert (refused.value.code, refused.value.field) == ("SBB-1003", "Naam")


def test_a_name_of_200_characters_is_accepted() -> None:
    assert domain.name_key("a" * 200) == "a" * 200


# --- Postcodes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [("1012AB", "1012AB"), ("1012 ab", "1012AB"), (" 1012aB ", "1012AB"), ("9999ZZ", "9999ZZ"),
     ("1000AA", "1000AA"), ("1234SB", "1234SB"), ("1234AS", "1234AS")],
)
def test_dutch_postcodes_are_normalised(raw: str, normalised: str) -> None:
    assert domain.normalise_postcode(raw) == normalised


@pytest.mark.parametrize(
    "raw",
    ["0123AB", "1234SA", "1234 sd", "1234ss", "1234  AB", "12345", "1234A", "1234ABC", "123AB", "",
     "\u0661\u0662\u0663\u0664AB", "1234ÄB", "1234-AB", "B-1000"],
)
def test_postcodes_breaking_the_dutch_rules_are_refused_naming_the_field(raw: str) -> None:
    with pytest.raises(BusinessError) as refused:
        domain.normalise_postcode(raw)
    assert (refused.value.code, refused.value.field) == ("SBB-1002", "Postcode")


def test_the_xsd_pattern_and_the_domain_rule_agree() -> None:
    """The XSD refuses first; the domain is the authority. Over all letter pairs they must agree."""
    pattern = etree.parse(str(contracts.xsd_path("common"))).find(
        "{http://www.w3.org/2001/XMLSchema}simpleType[@name='Postcode']//{http://www.w3.org/2001/XMLSchema}pattern"
    )
    assert pattern is not None
    xsd = re.compile(pattern.get("value", ""))
    letters = [chr(c) for c in range(ord("A"), ord("Z") + 1)] + ["a", "s", "d"]
    for first in letters:
        for second in letters:
            for digits in ("1234", "0123"):
                raw = f"{digits}{first}{second}"
                try:
                    domain.normalise_postcode(raw)
                    accepted = True
                except BusinessError:
                    accepted = False
                assert bool(xsd.fullmatch(raw)) == accepted, raw


# --- House numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "suffix", "expected"),
    [(10, None, (10, None)), (10, " a ", (10, "A")), (10, "-bis", (10, "BIS")), (10, "", (10, None)),
     (1, "2 hg", (1, "2HG")), (99999, None, (99999, None)), (None, None, (None, None)),
     (None, "  ", (None, None))],
)
def test_house_numbers_are_checked_and_normalised(
    number: int | None, suffix: str | None, expected: tuple[int | None, str | None]
) -> None:
    assert domain.check_house_number(number, suffix) == expected


@pytest.mark.parametrize(
    ("number", "suffix", "field"),
    [(0, None, "Huisnummer"), (-3, None, "Huisnummer"), (100000, None, "Huisnummer"),
     (None, "A", "HuisnummerToevoeging"), (10, "a/b", "HuisnummerToevoeging"),
     (10, "ABCDEFGHIJK", "HuisnummerToevoeging")],
)
def test_impossible_house_numbers_are_refused(number: int | None, suffix: str | None, field: str) -> None:
    with pytest.raises(BusinessError) as refused:
        domain.check_house_number(number, suffix)
    assert (refused.value.code, refused.value.field) == ("SBB-1004", field)


# --- Recognitions over time ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("end", "withdrawn_on", "on", "current"),
    [
        (None, None, D(2020, 1, 31), False),  # the day before the start
        (None, None, D(2020, 2, 1), True),  # the start day itself
        (D(2021, 6, 30), None, D(2021, 6, 30), True),  # the end day is included
        (D(2021, 6, 30), None, D(2021, 7, 1), False),
        (None, D(2022, 6, 1), D(2022, 5, 31), True),
        (None, D(2022, 6, 1), D(2022, 6, 1), False),  # withdrawn from that day on
        (D(2030, 1, 1), D(2022, 6, 1), D(2023, 1, 1), False),  # withdrawal beats a later end
    ],
)
def test_a_recognition_is_current_from_start_to_end_until_withdrawn(
    end: dt.date | None, withdrawn_on: dt.date | None, on: dt.date, current: bool
) -> None:
    recognition = domain.Recognition("25180", "Kok", 2, D(2020, 2, 1), end=end, withdrawn_on=withdrawn_on)
    assert recognition.is_current_on(on) is current


@pytest.mark.parametrize(
    ("end", "withdrawn_on", "last_day"),
    [(None, None, None), (D(2027, 7, 31), None, D(2027, 7, 31)), (None, D(2026, 1, 1), D(2025, 12, 31)),
     (D(2027, 7, 31), D(2026, 1, 1), D(2025, 12, 31)), (D(2025, 6, 30), D(2026, 1, 1), D(2025, 6, 30))],
)
def test_last_day_is_the_end_or_the_day_before_withdrawal(
    end: dt.date | None, withdrawn_on: dt.date | None, last_day: dt.date | None
) -> None:
    recognition = domain.Recognition("25180", "Kok", 2, D(2020, 1, 1), end=end, withdrawn_on=withdrawn_on)
    assert recognition.last_day == last_day


def test_the_dutch_date_follows_amsterdam_time() -> None:
    assert domain.dutch_date(dt.datetime(2025, 3, 1, 23, 30, tzinfo=dt.UTC)) == D(2025, 3, 2)  # CET
    assert domain.dutch_date(dt.datetime(2025, 7, 1, 21, 59, tzinfo=dt.UTC)) == D(2025, 7, 1)  # CEST
    assert domain.dutch_date(dt.datetime(2025, 7, 1, 22, 0, tzinfo=dt.UTC)) == D(2025, 7, 2)
    with pytest.raises(ValueError, match="naive"):
        domain.dutch_date(dt.datetime(2025, 7, 1, 12, 0))  # naive on purpose


# --- Vaststellen leerbedrijf ---------------------------------------------------------------------


def _company(leerbedrijf_id: str, name: str, postcode: str, number: int, *recognitions: domain.Recognition,
             suffix: str | None = None) -> domain.Company:
    return domain.Company(leerbedrijf_id, name, "12345678",
                          domain.Address("Dorpsstraat", number, suffix, postcode, "Utrecht"),
                          recognitions=recognitions)


RECOGNISED = domain.Recognition("25180", "Kok", 2, D(2019, 1, 1))
WITHDRAWN = domain.Recognition(
    "25182", "Zelfstandig werkend kok", 3, D(2015, 1, 1), withdrawn_on=D(2024, 1, 1)
)
TODAY = D(2025, 3, 1)


class ListDirectory:
    """A :class:`domain.CompanyDirectory` over a list, recording how it was asked."""

    def __init__(self, *companies: domain.Company) -> None:
        self.companies = companies
        self.calls: list[dict[str, Any]] = []

    def find_by_name_and_postcode(self, *, name_key: str, postcode: str, house_number: int | None,
                                  house_number_suffix: str | None, limit: int) -> Sequence[domain.Company]:
        self.calls.append({"name_key": name_key, "postcode": postcode, "house_number": house_number,
                           "house_number_suffix": house_number_suffix, "limit": limit})
        return [
            c for c in self.companies
            if domain.name_key(c.name) == name_key and c.address.postcode == postcode
            and house_number in (None, c.address.house_number)
            and house_number_suffix in (None, c.address.house_number_suffix)
        ][:limit]


def test_the_directory_is_asked_with_normalised_values_and_one_more_than_the_maximum() -> None:
    directory = ListDirectory()
    query = domain.IdentifyQuery("Restaurant De Zon B.V.", "3511 ab", 4, "a")
    domain.identify(query, directory=directory, on=TODAY)
    assert directory.calls == [{"name_key": "restaurantdezon", "postcode": "3511AB", "house_number": 4,
                                "house_number_suffix": "A", "limit": domain.MAX_MATCHES + 1}]


def test_a_refused_postcode_never_reaches_the_directory() -> None:
    directory = ListDirectory()
    with pytest.raises(BusinessError):
        domain.identify(domain.IdentifyQuery("Restaurant De Zon", "1234SS"), directory=directory, on=TODAY)
    assert directory.calls == []


@pytest.mark.parametrize(
    ("query", "code", "ids"),
    [
        (domain.IdentifyQuery("restaurant de zon", "3511AB"), Signaalcode.ERKEND, ["100000010"]),
        (domain.IdentifyQuery("Eetcafé Noord", "3511AB"), Signaalcode.NIET_ERKEND, ["100000011"]),
        (domain.IdentifyQuery("Restaurant De Zon", "3512AB"), Signaalcode.NIET_GEVONDEN, []),
        (domain.IdentifyQuery("Lunchroom Oost", "3511AB"), Signaalcode.MEERDERE, ["100000013", "100000012"]),
        (domain.IdentifyQuery("Lunchroom Oost", "3511AB", 7), Signaalcode.ERKEND, ["100000012"]),
        (domain.IdentifyQuery("Lunchroom Oost", "3511AB", 8), Signaalcode.NIET_GEVONDEN, []),
    ],
)
def test_outcomes(query: domain.IdentifyQuery, code: Signaalcode, ids: list[str]) -> None:
    directory = ListDirectory(
        _company("100000010", "Restaurant De Zon B.V.", "3511AB", 1, RECOGNISED, WITHDRAWN),
        _company("100000011", "Eetcafe Noord", "3511AB", 2, WITHDRAWN),
        _company("100000013", "Lunchroom Oost", "3511AB", 3),
        _company("100000012", "Lunchroom Oost", "3511AB", 7, RECOGNISED),
    )
    result = domain.identify(query, directory=directory, on=TODAY)
    assert result.signaalcode is code
    assert [m.company.leerbedrijf_id for m in result.matches] == ids
    assert len(result.melding) <= 255


def test_only_current_recognitions_are_reported() -> None:
    directory = ListDirectory(_company("100000010", "Restaurant De Zon", "3511AB", 1, RECOGNISED, WITHDRAWN))
    query = domain.IdentifyQuery("Restaurant De Zon", "3511AB")
    (now,) = domain.identify(query, directory=directory, on=TODAY).matches
    assert now.current == (RECOGNISED,) and now.recognised
    (before,) = domain.identify(query, directory=directory, on=D(2018, 12, 31)).matches
    assert before.current == (WITHDRAWN,)
    (earlier,) = domain.identify(query, directory=directory, on=D(2014, 12, 31)).matches
    assert earlier.current == () and not earlier.recognised


def test_at_most_ten_matches_and_the_melding_says_so() -> None:
    companies = [_company(f"1000001{i:02d}", "Kapsalon West", "5611AB", i + 1, RECOGNISED) for i in range(12)]
    result = domain.identify(domain.IdentifyQuery("Kapsalon West", "5611 AB"),
                             directory=ListDirectory(*companies), on=TODAY)
    assert result.signaalcode is Signaalcode.MEERDERE
    assert [m.company.leerbedrijf_id for m in result.matches] == [c.leerbedrijf_id for c in companies[:10]]
    assert "eerste 10" in result.melding and "huisnummer op" in result.melding


def test_several_at_one_house_number_ask_for_the_addition() -> None:
    companies = [_company("100000020", "Kapsalon West", "5611AB", 4, suffix=s) for s in ("A", "B")]
    result = domain.identify(domain.IdentifyQuery("Kapsalon West", "5611AB", 4),
                             directory=ListDirectory(*companies), on=TODAY)
    assert result.signaalcode is Signaalcode.MEERDERE
    assert "huisnummertoevoeging" in result.melding and "eerste" not in result.melding


def test_every_signaalcode_is_documented_in_the_published_schema() -> None:
    root = etree.parse(str(contracts.xsd_path("sbb-erkenningen"))).getroot()
    documentation = root.findtext(
        ".//{http://www.w3.org/2001/XMLSchema}complexType[@name='VaststellenLeerbedrijfResponse']"
        "/{http://www.w3.org/2001/XMLSchema}annotation/{http://www.w3.org/2001/XMLSchema}documentation"
    )
    assert documentation is not None
    documented = {int(code) for code in re.findall(r"(\d+) = ", documentation)}
    assert documented == {int(code) for code in Signaalcode}
    assert f"maxOccurs=\"{domain.MAX_MATCHES}\"" in etree.tostring(root).decode()
