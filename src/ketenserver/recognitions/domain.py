"""The rules of SBB recognitions, as a school's bpv administration meets them.

Typed, and free of spyne and SQL: the service hands in plain values and a
:class:`CompanyDirectory` (implemented in :mod:`~ketenserver.recognitions.storage`), and gets
plain values back.

Vaststellen leerbedrijf (identify a company) answers with a :class:`Signaalcode`:

    0 ERKEND         exactly one company found, recognised on the day of the request
    1 NIET_ERKEND    exactly one company found, no current recognition; the school may
                     nominate it for recognition (erkenningsvoordracht) or search further
    2 NIET_GEVONDEN  no company with this name at this postcode (and house number)
    3 MEERDERE       several companies match: give the house number (or its addition);
                     at most :data:`MAX_MATCHES` are returned

Natrekken erkenning (verify a recognition on a date) answers with a :class:`NatrekCode`, and
Opvragen detailgegevens with the contact details of one company (:func:`details`); Opvragen
erkenningen (search) lives in :mod:`~ketenserver.recognitions.search`.

"Not recognised" and "not found" are answers, not faults. Faults are for broken rules only:
a postcode that is not Dutch, an empty name, an impossible house number
(:mod:`~ketenserver.recognitions.errors`). The XSD refuses most of these first; the checks
here are the authority for every path that bypasses it.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Protocol

from ketenserver import identifiers
from ketenserver.dates import DUTCH_TIME, dutch_date  # noqa: F401 (SBB judges days on the Dutch calendar)
from ketenserver.recognitions.errors import (
    DateOutOfRange,
    InvalidCompanyName,
    InvalidHouseNumber,
    InvalidPostcode,
    UnknownLeerbedrijf,
)

MAX_MATCHES = 10
MAX_NAME_LENGTH = 200
MAX_HOUSE_NUMBER = 99999


class Signaalcode(IntEnum):
    ERKEND = 0
    NIET_ERKEND = 1
    NIET_GEVONDEN = 2
    MEERDERE = 3


# --- Postcode --------------------------------------------------------------------------------

NEVER_ISSUED = identifiers.POSTCODE_LETTERS_NEVER_ISSUED
"""Letter pairs PostNL never issues (kept here for the seed, which picks postcodes around them)."""


def normalise_postcode(raw: str) -> str:
    """``"1012 ab"`` -> ``"1012AB"``; anything that is not a Dutch postcode is refused (SBB-1002).

    Outer whitespace is forgiven, one space between digits and letters is allowed, case is free:
    the rule is :func:`ketenserver.identifiers.dutch_postcode`; this gives its refusal SBB's code.
    """
    try:
        return identifiers.dutch_postcode(raw)
    except identifiers.PostcodeNeverIssued:
        raise InvalidPostcode("Postcode letters SA, SD and SS are never issued in the Netherlands.") from None
    except identifiers.InvalidPostcode:
        raise InvalidPostcode("Postcode is not a Dutch postcode: 4 digits (first not 0) and 2 letters.") from None


# --- Company name ----------------------------------------------------------------------------

_GLUE = re.compile(r"[.'\u2018\u2019`\u00b4]")
"""Removed without a trace, so that B.V. reads bv and 't reads t."""
_WORD = re.compile(r"[^\W_]+")
"""A run of letters or digits; every other character separates words."""
_SPELLING = {"zn": "zonen"}
LEGAL_FORMS = frozenset({"bv", "nv", "vof", "cv", "ua", "wa", "eenmanszaak", "io"})
"""Legal-form words ignored at the start or end of a name (io: "i.o.", in oprichting).

Kept on purpose: Stichting, Vereniging and Coöperatie (they distinguish legal persons that
schools do tell apart, and people say them: "Stichting Zorgcentrum De Linde"), and "& Zn"
(a trade name; "&" reads "en" and "Zn" reads "Zonen", so the spellings agree).
A trailing "CV" is read as commanditaire vennootschap, not central heating.
"""


def fold_words(raw: str) -> list[str]:
    """The words of a name: case-folded, diacritics stripped (NFKD), glue removed, "&" read "en"."""
    text = "".join(c for c in unicodedata.normalize("NFKD", raw) if not unicodedata.combining(c))
    text = _GLUE.sub("", text.casefold().replace("&", " en "))
    return [_SPELLING.get(w, w) for w in _WORD.findall(text)]


def strip_legal_forms(words: list[str]) -> list[str]:
    """Drop legal forms, also when spelled with spaces ("B. V."), from both ends."""
    changed = True
    while changed and words:
        changed = False
        for size in (1, 2, 3):
            if len(words) >= size and "".join(words[-size:]) in LEGAL_FORMS:
                del words[-size:]
                changed = True
                break
            if len(words) >= size and "".join(words[:size]) in LEGAL_FORMS:
                del words[:size]
                changed = True
                break
    return words


def name_key(raw: str) -> str:
    """The matching key of a company name.

    Case-folded, diacritics stripped (Unicode NFKD), punctuation and spacing ignored, legal
    forms dropped: "Bakkerij de Vries B.V.", "bakkerij  de vries bv" and "Bakkerij De Vries"
    all give ``"bakkerijdevries"``. Refuses (SBB-1003) a name that is empty, longer than
    200 characters, or nothing but a legal form.
    """
    if len(raw) > MAX_NAME_LENGTH:
        raise InvalidCompanyName(f"Naam is longer than {MAX_NAME_LENGTH} characters.")
    words = strip_legal_forms(fold_words(raw))
    if not words:
        raise InvalidCompanyName("Naam holds no letters or digits besides a legal form.")
    return "".join(words)


# --- House number ----------------------------------------------------------------------------

_SUFFIX_SEPARATORS = re.compile(r"[\s\-]+")
_SUFFIX = re.compile(r"[0-9A-Z]{1,10}")


def normalise_suffix(raw: str | None) -> str | None:
    """A house-number addition in stored form: upper case, without spaces or hyphens."""
    if raw is None:
        return None
    clean = _SUFFIX_SEPARATORS.sub("", raw).upper()
    if not clean:
        return None
    if not _SUFFIX.fullmatch(clean):
        raise InvalidHouseNumber(
            "HuisnummerToevoeging holds 1 to 10 letters or digits.", field="HuisnummerToevoeging"
        )
    return clean


def check_house_number(number: int | None, suffix: str | None) -> tuple[int | None, str | None]:
    """Validate a house number and its addition; returns them in stored form (SBB-1004)."""
    if number is not None and not 1 <= number <= MAX_HOUSE_NUMBER:
        raise InvalidHouseNumber(f"Huisnummer is a whole number from 1 to {MAX_HOUSE_NUMBER}.")
    clean = normalise_suffix(suffix)
    if clean is not None and number is None:
        raise InvalidHouseNumber(
            "HuisnummerToevoeging is only meaningful with a Huisnummer.", field="HuisnummerToevoeging"
        )
    return number, clean


# --- Companies and recognitions --------------------------------------------------------------


def is_current(
    start: dt.date, end: dt.date | None, withdrawn_on: dt.date | None, on: dt.date
) -> bool:
    """A recognition holds on *on* from its start to its end (inclusive), until withdrawn.

    ``withdrawn_on`` is the first day it no longer holds. This is the rule; the SQL in
    :func:`ketenserver.recognitions.storage.current_on` mirrors it and a test keeps them equal.
    """
    return start <= on and (end is None or on <= end) and (withdrawn_on is None or on < withdrawn_on)


@dataclass(frozen=True)
class Address:
    street: str
    house_number: int
    house_number_suffix: str | None
    postcode: str
    place: str
    country_code: str = "NL"


@dataclass(frozen=True)
class Recognition:
    crebo: str
    qualification_name: str
    level: int
    start: dt.date
    end: dt.date | None = None
    withdrawn_on: dt.date | None = None
    withdrawal_reason: str | None = None

    def is_current_on(self, on: dt.date) -> bool:
        return is_current(self.start, self.end, self.withdrawn_on, on)

    @property
    def last_day(self) -> dt.date | None:
        """The last day it holds: the end date, or the day before the withdrawal if earlier."""
        candidates = [] if self.end is None else [self.end]
        if self.withdrawn_on is not None:
            candidates.append(self.withdrawn_on - dt.timedelta(days=1))
        return min(candidates, default=None)


@dataclass(frozen=True)
class Company:
    leerbedrijf_id: str
    name: str
    kvk_number: str
    address: Address
    kvk_establishment: str | None = None
    recognitions: tuple[Recognition, ...] = ()
    """Every recognition the company ever had, current or not."""
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    size_class: str | None = None
    sbi_code: str | None = None


@dataclass(frozen=True)
class Placement:
    """An open placement place (stageplaats) of a company for one qualification."""

    id: int
    learning_path: str
    """``BOL`` (school-based, placement as part of it) or ``BBL`` (work-based, with a contract)."""
    crebo: str
    qualification_name: str
    level: int
    start: dt.date
    places: int
    description: str


@dataclass(frozen=True)
class ContactPerson:
    name: str
    role: str
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class CompanyDetails:
    """All contact information of a company (Opvragen detailgegevens)."""

    company: Company
    postal_address: Address | None
    """A separate postal address (street, or ``Postbus`` with the box number); None: the visiting one."""
    contacts: tuple[ContactPerson, ...]
    placement_places: int
    """The number of open placement places (the sum over the company's stageplaatsen)."""


@dataclass(frozen=True)
class Match:
    """A company found, with the recognitions current on the day of the request."""

    company: Company
    current: tuple[Recognition, ...]

    @property
    def recognised(self) -> bool:
        return bool(self.current)


class CompanyDirectory(Protocol):
    """Where companies are looked up (the database, or a list in a test)."""

    def find_by_name_and_postcode(
        self, *, name_key: str, postcode: str, house_number: int | None,
        house_number_suffix: str | None, limit: int,
    ) -> Sequence[Company]:
        """Companies whose :func:`name_key` and normalised postcode are equal to the given ones,
        narrowed by house number and addition when given, ordered by house number, addition and
        leerbedrijf-id, at most *limit*."""
        ...

    def get(self, leerbedrijf_id: str) -> Company | None:
        """The company with every recognition it ever had, or None."""
        ...

    def details(self, leerbedrijf_id: str) -> CompanyDetails | None:
        """The company with its contact persons, postal address and placement count, or None."""
        ...


# --- Vaststellen leerbedrijf -----------------------------------------------------------------


@dataclass(frozen=True)
class IdentifyQuery:
    """A VaststellenLeerbedrijf request, as received."""

    name: str
    postcode: str
    house_number: int | None = None
    house_number_suffix: str | None = None


@dataclass(frozen=True)
class Identification:
    signaalcode: Signaalcode
    melding: str
    matches: tuple[Match, ...] = field(default=())


def outcome(
    matches: Sequence[Match], *, house_number_given: bool, truncated: bool
) -> tuple[Signaalcode, str]:
    """The signaalcode and melding for the companies found (see the module docstring)."""
    if not matches:
        where = "naam, postcode en huisnummer" if house_number_given else "naam en postcode"
        return Signaalcode.NIET_GEVONDEN, f"Geen leerbedrijf gevonden met deze {where}."
    if len(matches) > 1:
        hint = (
            "Meerdere leerbedrijven gevonden op dit adres; geef de huisnummertoevoeging op."
            if house_number_given
            else "Meerdere leerbedrijven gevonden met deze naam en postcode; geef het huisnummer op."
        )
        more = f" Alleen de eerste {MAX_MATCHES} worden getoond." if truncated else ""
        return Signaalcode.MEERDERE, hint + more
    if matches[0].recognised:
        return Signaalcode.ERKEND, "Erkend leerbedrijf gevonden."
    return (
        Signaalcode.NIET_ERKEND,
        "Bedrijf gevonden, maar niet erkend als leerbedrijf. "
        "Doe een erkenningsvoordracht of zoek een erkend leerbedrijf.",
    )


def identify(query: IdentifyQuery, *, directory: CompanyDirectory, on: dt.date) -> Identification:
    """Vaststellen leerbedrijf: which company is meant, and is it recognised on *on*?"""
    key = name_key(query.name)
    postcode = normalise_postcode(query.postcode)
    number, suffix = check_house_number(query.house_number, query.house_number_suffix)
    found = directory.find_by_name_and_postcode(
        name_key=key, postcode=postcode, house_number=number, house_number_suffix=suffix,
        limit=MAX_MATCHES + 1,
    )
    matches = tuple(
        Match(company, tuple(r for r in company.recognitions if r.is_current_on(on)))
        for company in found[:MAX_MATCHES]
    )
    code, melding = outcome(
        matches, house_number_given=number is not None, truncated=len(found) > MAX_MATCHES
    )
    return Identification(code, melding, matches)


# --- Natrekken erkenning ---------------------------------------------------------------------

EARLIEST_DATE = dt.date(2000, 1, 1)
YEARS_AHEAD = 2
"""Begindatum is accepted from :data:`EARLIEST_DATE` up to this many years after today (SBB-1005)."""


class NatrekCode(IntEnum):
    """Signaalcodes of Natrekken erkenning, one per reason (the XSD documents the same list)."""

    ERKEND = 0
    """Recognised for this crebo on this date."""
    INGETROKKEN = 1
    """The recognition for this crebo was withdrawn on or before this date (reason in the melding)."""
    NOG_NIET_INGEGAAN = 2
    """The recognition for this crebo starts after this date."""
    BEEINDIGD = 3
    """The recognition for this crebo ended before this date."""
    ANDERE_KWALIFICATIE = 4
    """Never recognised for this crebo, but recognised for other qualifications on this date."""
    GEEN_ERKENNING = 5
    """No recognition for this crebo, and none for any other qualification on this date."""


@dataclass(frozen=True)
class Verification:
    signaalcode: NatrekCode
    melding: str
    recognition: Recognition | None = None
    """The recognition the answer is about (codes 0 to 3); its dates go into the reply."""

    @property
    def recognised(self) -> bool:
        return self.signaalcode is NatrekCode.ERKEND


def last_supported_date(today: dt.date) -> dt.date:
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def check_reference_date(day: dt.date | None, today: dt.date) -> dt.date:
    last = last_supported_date(today)
    if day is None or not EARLIEST_DATE <= day <= last:
        raise DateOutOfRange(f"Begindatum lies from {EARLIEST_DATE.isoformat()} up to two years ahead "
                             f"({last.isoformat()}).")
    return day


def _lapsed(recognition: Recognition, on: dt.date) -> Verification:
    """Why a recognition that started on or before *on* no longer holds on it."""
    withdrawn = recognition.withdrawn_on
    if withdrawn is not None and withdrawn <= on and (recognition.end is None or withdrawn <= recognition.end):
        reason = f" Reden: {recognition.withdrawal_reason}." if recognition.withdrawal_reason else ""
        return Verification(
            NatrekCode.INGETROKKEN,
            f"Erkenning voor deze kwalificatie ingetrokken per {withdrawn.isoformat()}.{reason}",
            recognition,
        )
    return Verification(NatrekCode.BEEINDIGD, "Erkenning voor deze kwalificatie is beëindigd vóór deze datum.",
                        recognition)


def judge(company: Company, crebo: str, on: dt.date) -> Verification:
    """The answer for *crebo* on *on*.

    When several recognitions for the crebo exist and none holds, the one that started last on
    or before *on* explains why (withdrawn or ended); only when none has started yet is the
    answer "not yet started", with the earliest future recognition.
    """
    own = [r for r in company.recognitions if r.crebo == crebo]
    current = [r for r in own if r.is_current_on(on)]
    if current:
        return Verification(NatrekCode.ERKEND, "Erkend voor deze kwalificatie op deze datum.",
                            max(current, key=lambda r: r.start))
    started = [r for r in own if r.start <= on]
    if started:
        return _lapsed(max(started, key=lambda r: r.start), on)
    if own:
        first = min(own, key=lambda r: r.start)
        return Verification(NatrekCode.NOG_NIET_INGEGAAN,
                            f"Erkenning voor deze kwalificatie gaat pas in op {first.start.isoformat()}.", first)
    if any(r.is_current_on(on) for r in company.recognitions):
        return Verification(NatrekCode.ANDERE_KWALIFICATIE,
                            "Niet erkend voor deze kwalificatie; wel voor andere kwalificaties.")
    return Verification(NatrekCode.GEEN_ERKENNING, "Leerbedrijf heeft op deze datum geen erkenning.")


def verify(
    leerbedrijf_id: str, crebo: str, start: dt.date | None, *, directory: CompanyDirectory, today: dt.date
) -> Verification:
    """Natrekken erkenning: is the company recognised for *crebo* on *start* (the agreement's start)?

    Refuses a date outside the supported range (SBB-1005) and an unknown company (SBB-1001).
    """
    day = check_reference_date(start, today)
    company = directory.get(leerbedrijf_id)
    if company is None:
        raise UnknownLeerbedrijf("LeerbedrijfId is not known to Stagemarkt.")
    return judge(company, crebo, day)


# --- Opvragen detailgegevens -----------------------------------------------------------------


def details(leerbedrijf_id: str, *, directory: CompanyDirectory) -> CompanyDetails:
    """Opvragen detailgegevens: all contact information of one company (SBB-1001 when unknown)."""
    found = directory.details(leerbedrijf_id)
    if found is None:
        raise UnknownLeerbedrijf("LeerbedrijfId is not known to Stagemarkt.")
    return found
