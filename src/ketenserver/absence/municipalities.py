"""The Dutch municipalities behind DUO's Verzuimloket, and which one a postcode belongs to.

Every absence report goes to the municipality where the student lives, found from the student's
postcode. Two files shipped beside this module hold what that needs:

``gemeenten.csv`` (``code,naam``)
    The 342 municipalities of CBS's "Gemeentelijke indeling op 1 januari 2025": CBS's four-digit
    municipality code without the ``GM`` prefix and the name as CBS spells it (``0518`` is
    ``'s-Gravenhage``, ``0373`` and ``0893`` are ``Bergen (NH.)`` and ``Bergen (L.)``).

``postcodegebieden.csv`` (``van,tot,gemeentecode``)
    Ranges of four-digit postcodes (PC4), sorted, together covering 1000 to 9999 without gaps or
    overlaps, each given to the municipality that holds (most of) those postcodes. This is an
    approximation of CBS's postcode-municipality table ("Buurt, wijk en gemeente ... voor
    postcode huisnummer"), which maps every address: a PC4 area now and then straddles a
    municipal border, and numbers that are not in use are given to a neighbour so that every
    well-formed postcode finds a municipality. Good enough for a test server, where a school
    system only needs a plausible, stable municipality for each student.

To update after a municipal reorganisation (CBS publishes the new indeling each January): give
new municipalities their CBS code and name in ``gemeenten.csv``, remove dissolved ones, move
their postcode ranges in ``postcodegebieden.csv`` to the new codes (split a range where the
new border runs through it), and run ``tests/absence/test_municipalities.py``, which checks the
count, that the ranges cover every PC4 exactly once and that every code used exists. Loading
checks the same, so a broken file fails on first use with the line at fault.

The files are read once, on first use (:func:`functools.cache`), never at import.
"""

from __future__ import annotations

import bisect
import csv
import functools
import io
import re
from dataclasses import dataclass
from importlib import resources

__all__ = ["Municipality", "municipalities", "municipality", "municipality_for_postcode"]

_PACKAGE = "ketenserver.absence"
_FIRST_PC4 = 1000
_LAST_PC4 = 9999
# Only the shape: whether the letters are in use (SA, SD, SS are not issued) is not checked here.
_POSTCODE = re.compile(r"([1-9][0-9]{3})(?: ?[A-Za-z]{2})?")


@dataclass(frozen=True)
class Municipality:
    code: str
    """CBS's four-digit municipality code without the ``GM`` prefix, e.g. ``0363``."""
    name: str
    """The name as CBS spells it, e.g. ``Amsterdam`` or ``'s-Gravenhage``."""


@dataclass(frozen=True)
class _Ranges:
    starts: tuple[int, ...]
    codes: tuple[str, ...]


def _rows(filename: str) -> list[dict[str, str]]:
    text = resources.files(_PACKAGE).joinpath(filename).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@functools.cache
def _by_code() -> dict[str, Municipality]:
    found: dict[str, Municipality] = {}
    for line, row in enumerate(_rows("gemeenten.csv"), start=2):
        code, name = row["code"], row["naam"]
        if not re.fullmatch(r"[0-9]{4}", code) or not name or code in found:
            raise ValueError(f"gemeenten.csv line {line}: bad or repeated municipality {code!r} {name!r}")
        found[code] = Municipality(code, name)
    return found


@functools.cache
def _ranges() -> _Ranges:
    known = _by_code()
    starts: list[int] = []
    codes: list[str] = []
    expected = _FIRST_PC4
    for line, row in enumerate(_rows("postcodegebieden.csv"), start=2):
        start, end, code = int(row["van"]), int(row["tot"]), row["gemeentecode"]
        if start != expected or end < start or end > _LAST_PC4 or code not in known:
            raise ValueError(f"postcodegebieden.csv line {line}: expected a range from {expected} "
                             f"to a known municipality, got {start}-{end} -> {code!r}")
        starts.append(start)
        codes.append(code)
        expected = end + 1
    if expected != _LAST_PC4 + 1:
        raise ValueError(f"postcodegebieden.csv stops at {expected - 1}, before {_LAST_PC4}")
    return _Ranges(tuple(starts), tuple(codes))


def municipality_for_postcode(postcode: str) -> Municipality:
    """The municipality of a Dutch *postcode*: ``"1234AB"``, ``"1234 ab"`` or a bare ``"1234"``.

    Raises :class:`ValueError` when *postcode* does not have that shape (first digit not 0,
    at most one space before the letters, nothing around it).
    """
    match = _POSTCODE.fullmatch(postcode)
    if match is None:
        raise ValueError(f"not a Dutch postcode: {postcode!r}")
    pc4 = int(match.group(1))
    ranges = _ranges()
    # The ranges cover 1000..9999 without gaps (checked on loading), so the range starting at
    # or before pc4 holds it.
    index = bisect.bisect_right(ranges.starts, pc4) - 1
    return _by_code()[ranges.codes[index]]


def municipality(code: str) -> Municipality:
    """The municipality with CBS code *code* (four digits, no ``GM``); :class:`KeyError` if unknown."""
    try:
        return _by_code()[code]
    except KeyError:
        raise KeyError(f"no municipality with code {code!r}") from None


def municipalities() -> tuple[Municipality, ...]:
    """All municipalities, sorted by code."""
    return tuple(sorted(_by_code().values(), key=lambda m: m.code))
