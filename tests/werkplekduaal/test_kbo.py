"""KBO update files: the formats, parsing each file kind, what an update means, and every refusal."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from ketenserver import identifiers
from ketenserver.werkplekduaal import kbo

ENTERPRISE, OTHER_ENTERPRISE = "0353456320", "0654321022"
GENT, ANTWERPEN = "2147812701", "2147812897"


def _raw(path: Path, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """A file written by hand as KBO does (every value double-quoted), not through the code under test."""
    lines = [",".join(f'"{value}"' for value in row) for row in [columns, *rows]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _pair(directory: Path, entity: str, deletes: list[str], inserts: list[tuple[str, ...]]) -> None:
    columns = kbo.HEADERS[entity]
    _raw(directory / f"{entity}_delete.csv", columns[:1], [(number,) for number in deletes])
    _raw(directory / f"{entity}_insert.csv", columns, inserts)


def _address(number: str, street: str, house: str, box: str, postcode: str, municipality: str, *,
             kind: str = "BAET", country: str = "", struck_off: str = "") -> tuple[str, ...]:
    return (number, kind, country, country, postcode, municipality, municipality, street, street, house, box, "",
            struck_off)


# --- formats -----------------------------------------------------------------------------------


@pytest.mark.parametrize("number", [ENTERPRISE, OTHER_ENTERPRISE, GENT, ANTWERPEN, "0200065765", "8999999963"])
def test_a_number_is_written_with_kbo_dots_and_read_back_bare(number: str) -> None:
    written = kbo.written_number(number)
    assert written.replace(".", "") == number
    groups = [len(part) for part in written.split(".")]
    assert groups == ([4, 3, 3] if number[0] in "01" else [1, 3, 3, 3])


def test_a_date_is_written_day_month_year() -> None:
    day = dt.date(2026, 3, 9)
    assert kbo.written_date(day) == f"{day.day:02d}-{day.month:02d}-{day.year}"


@pytest.mark.parametrize(("postcode", "province"), [
    ("1000", "Brussel"), ("1299", "Brussel"), ("1300", "Waals-Brabant"), ("1499", "Waals-Brabant"),
    ("1500", "Vlaams-Brabant"), ("1999", "Vlaams-Brabant"), ("2000", "Antwerpen"), ("2999", "Antwerpen"),
    ("3000", "Vlaams-Brabant"), ("3499", "Vlaams-Brabant"), ("3500", "Limburg"), ("3999", "Limburg"),
    ("4000", "Luik"), ("5000", "Namen"), ("6000", "Henegouwen"), ("6599", "Henegouwen"), ("6600", "Luxemburg"),
    ("6999", "Luxemburg"), ("7000", "Henegouwen"), ("8000", "West-Vlaanderen"), ("8999", "West-Vlaanderen"),
    ("9000", "Oost-Vlaanderen"), ("9999", "Oost-Vlaanderen"),
])
def test_the_province_follows_from_the_postcode(postcode: str, province: str) -> None:
    assert kbo.Address("Kerkstraat", "1", None, postcode, "X").province == province


@pytest.mark.parametrize("postcode", ["0999", "999", "10000", "abcd"])
def test_no_province_for_what_is_no_belgian_postcode(postcode: str) -> None:
    with pytest.raises(identifiers.InvalidBelgianPostcode):
        kbo.province_of(postcode)


def test_the_generator_places_are_flemish_with_distinct_postcodes() -> None:
    flemish = {"Antwerpen", "Limburg", "Oost-Vlaanderen", "West-Vlaanderen", "Vlaams-Brabant"}
    assert {kbo.province_of(postcode) for postcode, _name in kbo.FLEMISH_PLACES} == flemish
    assert len({postcode for postcode, _name in kbo.FLEMISH_PLACES}) == len(kbo.FLEMISH_PLACES) >= 55


# --- parsing each file kind ------------------------------------------------------------------


def test_each_file_kind_is_parsed_into_its_records(tmp_path: Path) -> None:
    _pair(tmp_path, "enterprise", ["0353.456.320"], [("0353.456.320", "AC", "000", "2", "015", "", "01-03-2004")])
    _pair(tmp_path, "establishment", ["2.147.812.701"], [("2.147.812.701", "15-09-2010", "0353.456.320")])
    _pair(tmp_path, "denomination", [], [("0353.456.320", "2", "001", "Bakkerij De Gouden Korst"),
                                         ("2.147.812.701", "1", "003", "Boulangerie Croûte d'Or")])
    _pair(tmp_path, "address", ["2.147.812.701"],
          [_address("2.147.812.701", "Korenmarkt", "5", "B", "9000", "Gent", struck_off="02-01-2025")])
    update = kbo.read_update(tmp_path)
    assert update.deleted == {"enterprise": {ENTERPRISE}, "establishment": {GENT}, "denomination": frozenset(),
                              "address": {GENT}}
    assert update.enterprises == (kbo.EnterpriseRecord(ENTERPRISE, "AC", dt.date(2004, 3, 1)),)
    assert update.establishments == (kbo.EstablishmentRecord(GENT, ENTERPRISE, dt.date(2010, 9, 15)),)
    assert update.denominations == (kbo.DenominationRecord(ENTERPRISE, "2", "001", "Bakkerij De Gouden Korst"),
                                    kbo.DenominationRecord(GENT, "1", "003", "Boulangerie Croûte d'Or"))
    assert update.addresses == (kbo.AddressRecord(GENT, "BAET", kbo.Address("Korenmarkt", "5", "B", "9000", "Gent"),
                                                  dt.date(2025, 1, 2)),)


def test_an_entity_without_files_did_not_change(tmp_path: Path) -> None:
    _pair(tmp_path, "address", [kbo.written_number(GENT)], [])
    update = kbo.read_update(tmp_path)
    assert set(update.deleted) == {"address"}
    assert (update.enterprises, update.establishments, update.denominations) == ((), (), ())


def test_an_address_abroad_has_no_belgian_address_and_french_names_stand_in_for_missing_dutch(tmp_path: Path) -> None:
    rows = [_address("0353.456.320", "Rue de la Loi", "1", "", "75001", "Paris", kind="REGO", country="Frankrijk"),
            ("2.147.812.701", "BAET", "", "", "1300", "", "Wavre", "", "Rue Haute", "3", "", "", "")]
    _pair(tmp_path, "address", [], rows)
    abroad, wavre = kbo.read_update(tmp_path).addresses
    assert abroad.address is None
    assert wavre.address == kbo.Address("Rue Haute", "3", None, "1300", "Wavre")


def test_what_the_writer_writes_reads_back_as_it_was_given(tmp_path: Path) -> None:
    writer = kbo.UpdateWriter()
    moved = kbo.Address("Grote Markt", "7", "3", "8000", "Brugge")
    writer.delete("enterprise", OTHER_ENTERPRISE)
    writer.enterprise(ENTERPRISE, dt.date(2001, 2, 3))
    writer.establishment(GENT, ENTERPRISE, dt.date(2002, 3, 4))
    writer.denomination(GENT, "Bakkerij Gent", kind=kbo.COMMERCIAL_NAME)
    writer.delete("address", ANTWERPEN)
    writer.address(ANTWERPEN, moved)
    writer.write(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{entity}_{kind}.csv" for entity in kbo.ENTITIES for kind in ("delete", "insert"))
    text = (tmp_path / "address_insert.csv").read_text(encoding="utf-8")
    assert all(re.fullmatch(r'"[^"]*"(,"[^"]*")*', line) for line in text.splitlines())
    update = kbo.read_update(tmp_path)
    assert update.stopped_enterprises() == {OTHER_ENTERPRISE}
    assert update.enterprises == (kbo.EnterpriseRecord(ENTERPRISE, kbo.ACTIVE, dt.date(2001, 2, 3)),)
    assert update.establishments == (kbo.EstablishmentRecord(GENT, ENTERPRISE, dt.date(2002, 3, 4)),)
    assert update.names() == {GENT: "Bakkerij Gent"}
    assert update.establishment_addresses() == {ANTWERPEN: moved}


# --- what an update means ----------------------------------------------------------------------


def test_deleted_and_not_inserted_again_is_stopped() -> None:
    update = kbo.Update({"enterprise": frozenset({ENTERPRISE, OTHER_ENTERPRISE}),
                         "establishment": frozenset({GENT, ANTWERPEN})},
                        enterprises=(kbo.EnterpriseRecord(ENTERPRISE, kbo.ACTIVE, dt.date(2000, 1, 1)),),
                        establishments=(kbo.EstablishmentRecord(GENT, ENTERPRISE, dt.date(2000, 1, 1)),))
    assert update.stopped_enterprises() == {OTHER_ENTERPRISE}
    assert update.stopped_establishments() == {ANTWERPEN}


def test_the_shown_name_prefers_dutch_and_for_an_establishment_its_commercial_name() -> None:
    names = (kbo.DenominationRecord(ENTERPRISE, "1", kbo.LEGAL_NAME, "Boulangerie"),
             kbo.DenominationRecord(ENTERPRISE, "2", kbo.LEGAL_NAME, "Bakkerij"),
             kbo.DenominationRecord(ENTERPRISE, "2", kbo.COMMERCIAL_NAME, "Korstje"),
             kbo.DenominationRecord(GENT, "2", kbo.LEGAL_NAME, "Bakkerij"),
             kbo.DenominationRecord(GENT, "1", kbo.COMMERCIAL_NAME, "Croûte Gand"),
             kbo.DenominationRecord(ANTWERPEN, "2", "002", "BGK"))
    assert kbo.Update({}, denominations=names).names() == {ENTERPRISE: "Bakkerij", GENT: "Croûte Gand"}


def test_only_a_current_unit_address_in_belgium_counts_for_an_establishment() -> None:
    here = kbo.Address("Meir", "1", None, "2000", "Antwerpen")
    addresses = (kbo.AddressRecord(GENT, "BAET", here, dt.date(2020, 1, 1)),
                 kbo.AddressRecord(ANTWERPEN, "BAET", None, None),
                 kbo.AddressRecord(ENTERPRISE, "REGO", here, None),
                 kbo.AddressRecord("2654321064", "BAET", here, None))
    assert kbo.Update({}, addresses=addresses).establishment_addresses() == {"2654321064": here}


# --- refusals ------------------------------------------------------------------------------------


def _refused(directory: Path, expected: str) -> None:
    with pytest.raises(kbo.KboFileError) as caught:
        kbo.read_update(directory)
    assert str(caught.value).startswith(expected), str(caught.value)


def test_a_wrong_header_is_refused(tmp_path: Path) -> None:
    _pair(tmp_path, "enterprise", [], [])
    _raw(tmp_path / "enterprise_delete.csv", ("Number",), [])
    _refused(tmp_path, "enterprise_delete.csv, line 1: the header must be EnterpriseNumber")


def test_an_empty_file_is_refused_as_one_without_header(tmp_path: Path) -> None:
    _pair(tmp_path, "address", [], [])
    (tmp_path / "address_insert.csv").write_text("", encoding="utf-8")
    _refused(tmp_path, "address_insert.csv, line 1: the header must be EntityNumber,TypeOfAddress,")


@pytest.mark.parametrize("present", ["delete", "insert"])
def test_a_missing_file_of_a_pair_is_refused(tmp_path: Path, present: str) -> None:
    _pair(tmp_path, "denomination", [], [])
    missing = "insert" if present == "delete" else "delete"
    (tmp_path / f"denomination_{missing}.csv").unlink()
    _refused(tmp_path, f"denomination_{missing}.csv: missing")


@pytest.mark.parametrize(("entity", "row", "line", "column"), [
    ("establishment", ("2.147.812.702", "01-01-2020", "0353.456.320"), 3, "EstablishmentNumber"),  # check digits
    ("establishment", ("2.147.812.701", "01-01-2020", "0353.456.321"), 3, "EnterpriseNumber"),
    ("establishment", ("0353.456.320", "01-01-2020", "0353.456.320"), 3, "EstablishmentNumber"),  # wrong kind
    ("enterprise", ("2.147.812.701", "AC", "000", "2", "015", "", "01-01-2020"), 3, "EnterpriseNumber"),
    ("address", _address("2.147.812.799", "Kerkstraat", "1", "", "9000", "Gent"), 3, "EntityNumber"),
    ("denomination", ("0353456321", "2", "001", "Naam"), 3, "EntityNumber"),
])
def test_a_number_with_bad_check_digits_or_of_the_wrong_kind_is_refused(
        tmp_path: Path, entity: str, row: tuple[str, ...], line: int, column: str) -> None:
    good = {"establishment": ("2.147.812.897", "01-01-2020", "0353.456.320"),
            "enterprise": ("0654.321.022", "AC", "000", "2", "015", "", "01-01-2020"),
            "address": _address("2.147.812.897", "Meir", "1", "", "2000", "Antwerpen"),
            "denomination": ("0654.321.022", "2", "001", "Naam")}[entity]
    _pair(tmp_path, entity, [], [good, row])
    _refused(tmp_path, f"{entity}_insert.csv, line {line}, column {column}: A KBO")


def test_a_bad_number_in_a_delete_file_is_refused(tmp_path: Path) -> None:
    _pair(tmp_path, "address", ["2.147.812.701", "2.147.812.700"], [])
    _refused(tmp_path, "address_delete.csv, line 3, column EntityNumber: A KBO establishment number")


@pytest.mark.parametrize("written", ["2020-01-31", "31-02-2020", "1-1-2020", "", "31/01/2020"])
def test_a_bad_date_is_refused(tmp_path: Path, written: str) -> None:
    _pair(tmp_path, "establishment", [], [("2.147.812.701", written, "0353.456.320")])
    _refused(tmp_path, "establishment_insert.csv, line 2, column StartDate: a date is written dd-mm-yyyy")


def test_a_bad_striking_off_date_is_refused(tmp_path: Path) -> None:
    _pair(tmp_path, "address", [], [_address("2.147.812.701", "Meir", "1", "", "2000", "Antwerpen",
                                             struck_off="2020-01-01")])
    _refused(tmp_path, "address_insert.csv, line 2, column DateStrikingOff: a date is written dd-mm-yyyy")


def test_a_belgian_address_without_a_belgian_postcode_is_refused(tmp_path: Path) -> None:
    _pair(tmp_path, "address", [], [_address("2.147.812.701", "Meir", "1", "", "200", "Antwerpen")])
    _refused(tmp_path, "address_insert.csv, line 2, column Zipcode: A Belgian postcode")


def test_an_unknown_status_is_refused(tmp_path: Path) -> None:
    _pair(tmp_path, "enterprise", [], [("0353.456.320", "XX", "000", "2", "015", "", "01-01-2020")])
    _refused(tmp_path, "enterprise_insert.csv, line 2, column Status: the value must be one of AC, ST")


def test_a_row_with_too_few_columns_is_refused(tmp_path: Path) -> None:
    _pair(tmp_path, "establishment", [], [("2.147.812.701", "01-02-2020")])
    _refused(tmp_path, "establishment_insert.csv, line 2: 2 columns, expected 3")


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    _pair(tmp_path, "denomination", [], [])
    with (tmp_path / "denomination_insert.csv").open("ab") as handle:
        handle.write(b'"0353.456.320","2","001","Caf\xe9"\n')
    _refused(tmp_path, "denomination_insert.csv, after line 1: the file is not UTF-8")


def test_a_broken_quote_is_refused_as_no_csv(tmp_path: Path) -> None:
    _pair(tmp_path, "denomination", [], [])
    with (tmp_path / "denomination_insert.csv").open("a", encoding="utf-8") as handle:
        handle.write('"0353.456.320","2","001","Bakkerij "De" Korst"\n')
    _refused(tmp_path, "denomination_insert.csv, after line 1: not a valid CSV file")
