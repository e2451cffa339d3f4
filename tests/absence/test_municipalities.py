"""The municipalities behind DUO's Verzuimloket: the shipped CBS list and the PC4 ranges."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from importlib import resources

import pytest

from ketenserver.absence import municipalities as m


def _rows(filename: str) -> list[dict[str, str]]:
    # Read the files directly, apart from the module, so these checks do not trust its loader.
    text = resources.files("ketenserver.absence").joinpath(filename).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


# --- The shipped files ---------------------------------------------------------------------------


def test_gemeenten_has_the_342_municipalities_of_2025_with_unique_codes_and_names() -> None:
    rows = _rows("gemeenten.csv")
    assert len(rows) == 342
    assert len({r["code"] for r in rows}) == 342
    assert len({r["naam"] for r in rows}) == 342
    assert all(len(r["code"]) == 4 and r["code"].isdigit() for r in rows)
    assert all(r["naam"] == r["naam"].strip() and r["naam"] for r in rows)


def test_a_name_with_commas_survives_csv_quoting() -> None:
    assert m.municipality("0820").name == "Nuenen, Gerwen en Nederwetten"


def test_postcode_ranges_are_sorted_contiguous_and_cover_every_pc4_once() -> None:
    rows = _rows("postcodegebieden.csv")
    ranges = [(int(r["van"]), int(r["tot"])) for r in rows]
    assert ranges[0][0] == 1000
    assert ranges[-1][1] == 9999
    for (start, end), (next_start, _) in itertools.pairwise(ranges):
        assert start <= end
        assert next_start == end + 1, f"gap or overlap after {start}-{end}"
    covered = [pc for start, end in ranges for pc in range(start, end + 1)]
    assert covered == list(range(1000, 10000))


def test_every_code_in_the_ranges_is_a_municipality_and_many_appear() -> None:
    codes = {r["code"] for r in _rows("gemeenten.csv")}
    used = {r["gemeentecode"] for r in _rows("postcodegebieden.csv")}
    assert used <= codes
    assert len(used) >= 300


# --- Lookup by postcode --------------------------------------------------------------------------

PLACES = [
    ("Amsterdam", "Amsterdam", 1011, 1109),
    ("Zaandam", "Zaanstad", 1501, 1509),
    ("Haarlem", "Haarlem", 2011, 2037),
    ("Alkmaar", "Alkmaar", 1811, 1827),
    ("Hoorn", "Hoorn", 1621, 1628),
    ("Den Helder", "Den Helder", 1781, 1789),
    ("Hilversum", "Hilversum", 1211, 1223),
    ("Almere", "Almere", 1311, 1363),
    ("Lelystad", "Lelystad", 8211, 8245),
    ("Utrecht", "Utrecht", 3511, 3585),
    ("Amersfoort", "Amersfoort", 3811, 3829),
    ("Den Haag", "'s-Gravenhage", 2491, 2597),
    ("Leiden", "Leiden", 2311, 2334),
    ("Delft", "Delft", 2611, 2629),
    ("Zoetermeer", "Zoetermeer", 2711, 2729),
    ("Rotterdam", "Rotterdam", 3011, 3089),
    ("Dordrecht", "Dordrecht", 3311, 3329),
    ("Gouda", "Gouda", 2801, 2809),
    ("Breda", "Breda", 4811, 4839),
    ("Bergen op Zoom", "Bergen op Zoom", 4611, 4625),
    ("Tilburg", "Tilburg", 5011, 5049),
    ("'s-Hertogenbosch", "'s-Hertogenbosch", 5211, 5237),
    ("Eindhoven", "Eindhoven", 5611, 5658),
    ("Helmond", "Helmond", 5701, 5709),
    ("Oss", "Oss", 5341, 5351),
    ("Venlo", "Venlo", 5911, 5928),
    ("Roermond", "Roermond", 6041, 6046),
    ("Maastricht", "Maastricht", 6211, 6229),
    ("Heerlen", "Heerlen", 6411, 6422),
    ("Nijmegen", "Nijmegen", 6511, 6546),
    ("Arnhem", "Arnhem", 6811, 6846),
    ("Ede", "Ede", 6711, 6718),
    ("Apeldoorn", "Apeldoorn", 7311, 7335),
    ("Deventer", "Deventer", 7411, 7431),
    ("Enschede", "Enschede", 7511, 7548),
    ("Hengelo", "Hengelo", 7550, 7559),
    ("Zwolle", "Zwolle", 8011, 8047),
    ("Emmen", "Emmen", 7811, 7826),
    ("Assen", "Assen", 9401, 9409),
    ("Groningen", "Groningen", 9711, 9747),
    ("Leeuwarden", "Leeuwarden", 8911, 8941),
    ("Middelburg", "Middelburg", 4331, 4339),
    ("Goes", "Goes", 4461, 4465),
]


@pytest.mark.parametrize(("place", "name", "low", "high"), PLACES, ids=[p[0] for p in PLACES])
def test_a_place_postcodes_belong_to_its_municipality(place: str, name: str, low: int, high: int) -> None:
    for pc4 in (low, (low + high) // 2, high):
        assert m.municipality_for_postcode(f"{pc4}AB").name == name, f"{place} {pc4}"


def test_lookup_gives_the_municipality_from_the_list() -> None:
    found = m.municipality_for_postcode("2517AB")
    assert found == m.municipality("0518")
    assert found == m.Municipality("0518", "'s-Gravenhage")


def test_range_edges_are_inclusive() -> None:
    rows = _rows("postcodegebieden.csv")
    for row in rows[:: max(1, len(rows) // 40)]:
        for pc4 in (row["van"], row["tot"]):
            assert m.municipality_for_postcode(pc4).code == row["gemeentecode"], pc4


def test_first_and_last_postcodes_find_a_municipality() -> None:
    assert m.municipality_for_postcode("1000").name == "Amsterdam"
    assert m.municipality_for_postcode("9999ZZ").code in {x.code for x in m.municipalities()}


@pytest.mark.parametrize("postcode", ["3511AB", "3511 AB", "3511ab", "3511 ab", "3511aB", "3511"])
def test_spacing_and_case_do_not_matter(postcode: str) -> None:
    assert m.municipality_for_postcode(postcode) == m.municipality("0344")


@pytest.mark.parametrize(
    "postcode",
    ["0123AB", "0123", "123", "12345", "123AB", "1234A", "1234ABC", "1234  AB", "1234-AB", " 1234AB",
     "1234AB ", "AB1234", "", "1234\nAB", "１２３４AB", "1234ÄB"],
)
def test_anything_not_shaped_like_a_postcode_is_refused(postcode: str) -> None:
    with pytest.raises(ValueError, match="not a Dutch postcode"):
        m.municipality_for_postcode(postcode)


def test_letters_not_in_use_are_not_this_modules_business() -> None:
    # PostNL does not issue SA, SD and SS; rejecting them is up to the caller's own rules.
    assert m.municipality_for_postcode("1234SA").name == m.municipality_for_postcode("1234AB").name


# --- Lookup by code ------------------------------------------------------------------------------


def test_municipality_by_code() -> None:
    assert m.municipality("0363").name == "Amsterdam"
    assert m.municipality("0599").name == "Rotterdam"
    assert m.municipality("0893").name == "Bergen (L.)"
    assert m.municipality("0373").name == "Bergen (NH.)"


@pytest.mark.parametrize("code", ["9999", "363", "GM0363", "", "0457"])
def test_unknown_code_raises_key_error(code: str) -> None:
    with pytest.raises(KeyError):
        m.municipality(code)


def test_municipalities_sorted_by_code_and_complete() -> None:
    everything = m.municipalities()
    assert len(everything) == 342
    assert [x.code for x in everything] == sorted(x.code for x in everything)
    assert everything[0] == m.Municipality("0014", "Groningen")
    assert m.Municipality("1992", "Voorne aan Zee") in everything


def test_municipality_is_frozen() -> None:
    found = m.municipality("0363")
    with pytest.raises(AttributeError):
        found.name = "Mokum"  # type: ignore[misc]


# --- A broken file fails on first use --------------------------------------------------------------


@pytest.fixture
def fresh_tables() -> Iterator[None]:
    m._by_code.cache_clear()
    m._ranges.cache_clear()
    yield
    m._by_code.cache_clear()
    m._ranges.cache_clear()


@pytest.mark.parametrize(
    ("ranges", "problem"),
    [
        ([("1000", "4999", "0363"), ("5001", "9999", "0599")], "expected a range from 5000"),
        ([("1000", "5000", "0363"), ("5000", "9999", "0599")], "expected a range from 5001"),
        ([("1000", "5000", "0363"), ("5001", "9998", "0599")], "stops at 9998"),
        ([("1000", "9999", "0457")], "known municipality"),
    ],
    ids=["gap", "overlap", "short", "unknown code"],
)
def test_a_broken_range_file_is_refused_with_the_fault(
    monkeypatch: pytest.MonkeyPatch, fresh_tables: None, ranges: list[tuple[str, str, str]], problem: str
) -> None:
    real = m._rows

    def rows(filename: str) -> list[dict[str, str]]:
        if filename == "postcodegebieden.csv":
            return [{"van": a, "tot": b, "gemeentecode": c} for a, b, c in ranges]
        return real(filename)

    monkeypatch.setattr(m, "_rows", rows)
    with pytest.raises(ValueError, match=problem):
        m.municipality_for_postcode("1234AB")
