"""The shared identifier checks: published examples pass, broken ones are refused, and no refusal
repeats the value it refused.

Valid numbers here are published examples (named beside each) or the project's own documented
examples (DOMAIN.md, xsd/common.xsd), each checked by hand against the rule before it was written
down. Where a test builds a number, it computes the check digits with the rule written out in the
test itself, independent of the module.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

import ketenserver.absence
from ketenserver import identifiers as ids
from ketenserver.absence import counter
from ketenserver.absence.errors import InvalidPostcode
from ketenserver.logs import is_bsn
from ketenserver.testing import valid_bsn, valid_onderwijsnummer

Check = Callable[[str], object]


def test_every_public_name_is_exported_and_every_error_is_an_invalid_identifier() -> None:
    public = {name for name in vars(ids) if not name.startswith("_")} - {"annotations", "dt", "re", "dataclass",
                                                                         "StrEnum", "ClassVar"}
    assert set(ids.__all__) == public
    errors = [getattr(ids, name) for name in ids.__all__ if name.startswith("Invalid") or name.endswith("Issued")]
    assert all(issubclass(error, ids.InvalidIdentifier) for error in errors)
    assert issubclass(ids.InvalidIdentifier, ValueError)


# --- Dutch ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["111222333", "123456782"])
def test_bsns_passing_the_eleven_test(value: str) -> None:
    assert ids.bsn(value) == value


@pytest.mark.parametrize("value", [
    "123456789",  # 11-test fails
    "000000000",  # passes the sum, is no BSN
    "12345678", "1234567820", "", " 123456782", "12345678a",
    "\u0661\u0661\u0661\u0662\u0662\u0662\u0663\u0663\u0663",  # 111222333 in Arabic-Indic digits
])
def test_bsns_refused(value: str) -> None:
    with pytest.raises(ids.InvalidBsn):
        ids.bsn(value)


@pytest.mark.parametrize("value", ["101234564"])  # the Verzuimloket contract's example
def test_onderwijsnummers_with_remainder_five(value: str) -> None:
    assert ids.onderwijsnummer(value) == value


@pytest.mark.parametrize("value", ["100000005", "111222333", "201234564", "10123456", "1012345640"])
def test_onderwijsnummers_refused(value: str) -> None:
    with pytest.raises(ids.InvalidOnderwijsnummer):
        ids.onderwijsnummer(value)


@pytest.mark.parametrize("seed", [0, 1, 7, 12_345, 99_999])
def test_the_test_factories_make_numbers_the_checks_accept(seed: int) -> None:
    assert ids.bsn(valid_bsn(seed)) == valid_bsn(seed)
    assert ids.onderwijsnummer(valid_onderwijsnummer(seed)) == valid_onderwijsnummer(seed)
    with pytest.raises(ids.InvalidBsn):  # an onderwijsnummer never passes as a BSN
        ids.bsn(valid_onderwijsnummer(seed))


@pytest.mark.parametrize(("value", "masked"), [
    ("111222333", True), ("123456789", False),
    ("\u0661\u0661\u0661\u0662\u0662\u0662\u0663\u0663\u0663", True),  # the masker still finds it
    ("\u00b9" * 9, False),  # superscripts are digits to isdigit, not decimals: refused, not a crash
])
def test_log_masking_uses_the_same_bsn_check(value: str, masked: bool) -> None:
    assert is_bsn(value) is masked


@pytest.mark.parametrize(("check", "good", "bad"), [
    (ids.brin, ["25LX", "30AB"], ["25lx", "2LXX", "25LX01", "25L", " 25LX", "ABCD"]),
    (ids.oin, ["0000000700025LX00000", "00000003123456780000", "00000001800866472000"],
     ["0000000700025lx00000", "000000070025LX00000", "A0000007000025LX0000", "00000001800866472000 "]),
    (ids.kvk_number, ["12345678"], ["1234567", "123456789", "1234567a"]),
    (ids.crebo, ["25180"], ["2518", "251800", "2518a"]),
])
def test_register_codes_are_taken_exactly_as_written(check: Check, good: list[str], bad: list[str]) -> None:
    for value in good:
        assert check(value) == value
    for value in bad:
        with pytest.raises(ids.InvalidIdentifier):
            check(value)


@pytest.mark.parametrize(("raw", "normalised"), [
    ("1012AB", "1012AB"), ("1012 ab", "1012AB"), (" 1012aB ", "1012AB"), ("9999ZZ", "9999ZZ"), ("1234SB", "1234SB"),
])
def test_dutch_postcodes_are_normalised(raw: str, normalised: str) -> None:
    assert ids.dutch_postcode(raw) == normalised


@pytest.mark.parametrize("raw", ["0123AB", "1234  AB", "12345", "1234ÄB", "1234-AB", "B-1000", ""])
def test_dutch_postcodes_refused(raw: str) -> None:
    with pytest.raises(ids.InvalidPostcode) as refused:
        ids.dutch_postcode(raw)
    assert type(refused.value) is ids.InvalidPostcode


@pytest.mark.parametrize("raw", ["1234SA", "1234 sd", "1234ss"])
def test_letters_never_issued_are_refused_as_such(raw: str) -> None:
    with pytest.raises(ids.PostcodeNeverIssued):
        ids.dutch_postcode(raw)


# --- Belgian -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "normalised"), [
    ("0203.201.340", "0203201340"),  # NMBS/SNCB, as the KBO shows it
    ("0203201340", "0203201340"),
    ("0203 201 340", "0203201340"),
    ("0353456320", "0353456320"),  # xsd/common.xsd
    ("0123.456.749", "0123456749"),  # DOMAIN.md's KBO format example
])
def test_kbo_enterprise_numbers(raw: str, normalised: str) -> None:
    assert ids.kbo_enterprise_number(raw) == normalised


@pytest.mark.parametrize("raw", [
    "0203.201.341", "0203201334",  # wrong check digits
    "2147812701",  # an establishment number
    "203.201.340", "0203.201340", "0203-201-340", "BE0203201340", "02032013400",
])
def test_kbo_enterprise_numbers_refused(raw: str) -> None:
    with pytest.raises(ids.InvalidKboEnterpriseNumber):
        ids.kbo_enterprise_number(raw)


@pytest.mark.parametrize("raw", ["2147812701", "2.147.812.701", "2 147 812 701"])  # xsd/common.xsd, DOMAIN.md
def test_kbo_establishment_numbers(raw: str) -> None:
    assert ids.kbo_establishment_number(raw) == "2147812701"


@pytest.mark.parametrize("raw", ["2147812702", "0203201340", "9147812701", "1.147.812.701", "2.147812.701"])
def test_kbo_establishment_numbers_refused(raw: str) -> None:
    with pytest.raises(ids.InvalidKboEstablishmentNumber):
        ids.kbo_establishment_number(raw)


@pytest.mark.parametrize(("raw", "number", "from_2000", "kind", "born"), [
    ("85073003328", "85073003328", False, ids.RegisterKind.RIJKSREGISTER, dt.date(1985, 7, 30)),  # DOMAIN.md
    ("85.07.30-033.28", "85073003328", False, ids.RegisterKind.RIJKSREGISTER, dt.date(1985, 7, 30)),
    ("17073003384", "17073003384", True, ids.RegisterKind.RIJKSREGISTER, dt.date(2017, 7, 30)),  # DOMAIN.md
    ("00631499723", "00631499723", True, ids.RegisterKind.TEST, dt.date(2000, 3, 14)),  # Flemish test data
])
def test_rijksregisternummers(raw: str, number: str, from_2000: bool, kind: ids.RegisterKind,
                              born: dt.date) -> None:
    found = ids.rijksregisternummer(raw)
    assert (found.number, found.born_from_2000, found.kind, found.birth_date()) == (number, from_2000, kind, born)
    assert str(found) == number


def _with_check(nine: str, *, from_2000: bool) -> str:
    """Nine digits and the check digits of the published rule, written out here."""
    base = int(("2" if from_2000 else "") + nine)
    return f"{nine}{97 - base % 97:02d}"


@pytest.mark.parametrize(("nine", "kind", "born"), [
    ("852730033", ids.RegisterKind.BIS, dt.date(1985, 7, 30)),  # month + 20
    ("854730033", ids.RegisterKind.BIS, dt.date(1985, 7, 30)),  # month + 40
    ("850000033", ids.RegisterKind.RIJKSREGISTER, None),  # birth date unknown
])
def test_bis_numbers_and_unknown_birth_dates(nine: str, kind: ids.RegisterKind, born: dt.date | None) -> None:
    found = ids.rijksregisternummer(_with_check(nine, from_2000=False))
    assert (found.kind, found.birth_date()) == (kind, born)


@pytest.mark.parametrize("raw", [
    "85073003329",  # wrong check digits
    _with_check("851330033", from_2000=False),  # month 13
    _with_check("857330033", from_2000=False),  # month 73
    "8507300332", "850730033280", "85/07/30-033.28",
])
def test_rijksregisternummers_refused(raw: str) -> None:
    with pytest.raises(ids.InvalidRijksregisternummer):
        ids.rijksregisternummer(raw)


def test_an_impossible_birth_date_is_refused_even_with_good_check_digits() -> None:
    with pytest.raises(ids.InvalidRijksregisternummer, match="calendar"):
        ids.rijksregisternummer(_with_check("850231033", from_2000=False))  # 31 February 1985
    with pytest.raises(ids.InvalidRijksregisternummer, match="calendar"):
        ids.rijksregisternummer(_with_check("010229033", from_2000=True))  # 29 February 2001


@pytest.mark.parametrize(("raw", "ok"), [("1000", True), ("9999", True), (" 2000 ", True), ("0999", False),
                                         ("999", False), ("10000", False), ("B-1000", False)])
def test_belgian_postcodes(raw: str, ok: bool) -> None:
    if ok:
        assert ids.belgian_postcode(raw) == raw.strip()
    else:
        with pytest.raises(ids.InvalidBelgianPostcode):
            ids.belgian_postcode(raw)


# --- German --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "normalised"), [
    ("65170839J003", "65170839J003"),  # the widely published example (17 August 1939, initial J)
    ("65 170839 J 003", "65170839J003"),
    ("65 170839 j 00 3", "65170839J003"),
    ("10010490A443", "10010490A443"),  # kryptografie.de's worked example
    ("15070649C103", "15070649C103"),  # DOMAIN.md
])
def test_rentenversicherungsnummern(raw: str, normalised: str) -> None:
    assert ids.rentenversicherungsnummer(raw) == normalised


def test_the_check_digit_by_hand() -> None:
    """65170839J003: J = 10, so 6 5 1 7 0 8 3 9 1 0 0 0 times 2 1 2 5 7 1 2 1 2 1 2 1 gives
    12 5 2 35 0 8 6 9 2 0 0 0, digit sums 3 5 2 8 0 8 6 9 2 0 0 0, together 43: check digit 3."""
    assert ids.rentenversicherungsnummer("65170839J003") == "65170839J003"
    for wrong in "012456789":
        with pytest.raises(ids.InvalidRentenversicherungsnummer, match="check digit"):
            ids.rentenversicherungsnummer(f"65170839J00{wrong}")


@pytest.mark.parametrize("raw", [
    "65171339J003",  # month 13
    "65170839K003",  # another letter, the same check digit
    "651708390003", "65170839J03", "65170839J0033", "65170839Ä003", "65-170839-J-003",
])
def test_rentenversicherungsnummern_refused(raw: str) -> None:
    with pytest.raises(ids.InvalidRentenversicherungsnummer):
        ids.rentenversicherungsnummer(raw)


# --- Messages ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("check", "value"), [
    (ids.bsn, "123456789"), (ids.bsn, "12345678"), (ids.onderwijsnummer, "100000005"), (ids.brin, "25lx"),
    (ids.oin, "0000000700025lx00000"), (ids.kvk_number, "1234567"), (ids.crebo, "2518"),
    (ids.dutch_postcode, "1234 SA"), (ids.dutch_postcode, "0123AB"),
    (ids.kbo_enterprise_number, "0203.201.341"), (ids.kbo_enterprise_number, "2147812701"),
    (ids.kbo_establishment_number, "2.147.812.702"), (ids.rijksregisternummer, "85.07.30-033.29"),
    (ids.rijksregisternummer, "85073003"), (ids.rijksregisternummer, _with_check("850231033", from_2000=False)),
    (ids.belgian_postcode, "0999"), (ids.rentenversicherungsnummer, "65170839J004"),
    (ids.rentenversicherungsnummer, "65171339J003"),
])
def test_a_refusal_never_repeats_the_value(check: Check, value: str) -> None:
    with pytest.raises(ids.InvalidIdentifier) as refused:
        check(value)
    text = str(refused.value)
    bare = "".join(c for c in value if c.isalnum())
    assert value not in text and bare not in text and bare[:6] not in text
    assert text == refused.value.message and text.endswith(".")


# --- The features' use -----------------------------------------------------------------------------


def test_the_absence_feature_takes_no_postcode_rule_from_recognitions() -> None:
    for module in Path(ketenserver.absence.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ketenserver.recognitions"):
                names = {alias.name.casefold() for alias in node.names}
                assert not any("postcode" in name for name in names), module.name


def test_the_counter_maps_the_shared_postcode_rule_to_its_own_code() -> None:
    """The XSD refuses these first (0004); a path around it gets the Verzuimloket's VZL-1021."""
    assert counter._stored_postcode("3511 ab") == "3511AB"
    for raw in ("1234SA", "0123AB"):
        with pytest.raises(InvalidPostcode) as refused:
            counter._stored_postcode(raw)
        assert (refused.value.code, refused.value.field) == ("VZL-1021", "Postcode")
        assert raw not in refused.value.message
