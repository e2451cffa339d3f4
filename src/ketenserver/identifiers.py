"""The identifiers and formats the messages carry: one check for each, shared by every feature.

Each function takes the text as received, checks it against its issuer's rule and returns it in
normalised form: the string a register holds, or a frozen dataclass where the parts mean
something (:class:`Rijksregisternummer`). A value that breaks the rule raises the identifier's
own error, all under one base that is also a :class:`ValueError`:

    InvalidIdentifier (ValueError)
    ├── InvalidBsn
    ├── InvalidOnderwijsnummer
    ├── InvalidBrin
    ├── InvalidOin
    ├── InvalidKvkNumber
    ├── InvalidCrebo
    ├── InvalidPostcode
    │   └── PostcodeNeverIssued
    ├── InvalidKboEnterpriseNumber
    ├── InvalidKboEstablishmentNumber
    ├── InvalidRijksregisternummer
    ├── InvalidBelgianPostcode
    └── InvalidRentenversicherungsnummer

An error's text states the rule and names neither a field nor the value. The value may be personal
data, and the text travels on into faults and logs; and only the feature that catches the error
knows which element it checked, so the feature raises its own fault (SBB-1002, VZL-1001, ...)
naming that element.

What is forgiven. Codes that machines exchange (BSN, onderwijsnummer, BRIN, OIN, KvK number,
crebo) are taken exactly as given, so that one key never reaches storage in two spellings.
Formats that people write with separators are accepted in their written forms and returned bare:
postcodes (outer whitespace; for the Dutch one a space and any case), KBO numbers (KBO's own dots,
or spaces), the rijksregisternummer (dots and dash), the Rentenversicherungsnummer (spaces between
its parts, either case of the letter). Digits are ASCII digits only: ``str.isdigit`` would let the
digits of other scripts, and superscripts, through.

Sources are named per function; ``DOMAIN.md`` and ``EXCHANGE.md`` are the project's digests of
the published rules, and ``xsd/common.xsd`` holds the same shapes as XSD types.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

__all__ = [
    "POSTCODE_LETTERS_NEVER_ISSUED",
    "InvalidBelgianPostcode",
    "InvalidBrin",
    "InvalidBsn",
    "InvalidCrebo",
    "InvalidIdentifier",
    "InvalidKboEnterpriseNumber",
    "InvalidKboEstablishmentNumber",
    "InvalidKvkNumber",
    "InvalidOin",
    "InvalidOnderwijsnummer",
    "InvalidPostcode",
    "InvalidRentenversicherungsnummer",
    "InvalidRijksregisternummer",
    "PostcodeNeverIssued",
    "RegisterKind",
    "Rijksregisternummer",
    "belgian_postcode",
    "brin",
    "bsn",
    "crebo",
    "dutch_postcode",
    "kbo_enterprise_number",
    "kbo_establishment_number",
    "kvk_number",
    "oin",
    "onderwijsnummer",
    "rentenversicherungsnummer",
    "rijksregisternummer",
]


# --- Errors ------------------------------------------------------------------------------------


class InvalidIdentifier(ValueError):
    """A value that is not the identifier it should be. The text gives the rule, never the value."""

    rule: ClassVar[str] = "The value is not a valid identifier."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.rule
        super().__init__(self.message)


class InvalidBsn(InvalidIdentifier):
    rule = "A BSN has 9 digits and passes the 11-test."


class InvalidOnderwijsnummer(InvalidIdentifier):
    rule = "An onderwijsnummer has 9 digits, starts with 10, and its weighted sum is 5 modulo 11."


class InvalidBrin(InvalidIdentifier):
    rule = "A BRIN code has 2 digits and 2 capital letters."


class InvalidOin(InvalidIdentifier):
    rule = "An OIN has 20 characters: an 8-digit prefix, then 12 digits or capital letters."


class InvalidKvkNumber(InvalidIdentifier):
    rule = "A KvK number has 8 digits."


class InvalidCrebo(InvalidIdentifier):
    rule = "A crebo code has 5 digits."


class InvalidPostcode(InvalidIdentifier):
    rule = "A Dutch postcode has 4 digits (the first not 0), an optional space and 2 letters."


class PostcodeNeverIssued(InvalidPostcode):
    rule = "The postcode letters SA, SD and SS are never issued in the Netherlands."


class InvalidKboEnterpriseNumber(InvalidIdentifier):
    rule = "A KBO enterprise number has 10 digits, the first 0 or 1, and passes the mod-97 check."


class InvalidKboEstablishmentNumber(InvalidIdentifier):
    rule = "A KBO establishment number has 10 digits, the first 2 to 8, and passes the mod-97 check."


class InvalidRijksregisternummer(InvalidIdentifier):
    rule = "A rijksregisternummer has 11 digits (YYMMDD, a serial, 2 check digits) and passes the mod-97 check."


class InvalidBelgianPostcode(InvalidIdentifier):
    rule = "A Belgian postcode has 4 digits, 1000 to 9999."


class InvalidRentenversicherungsnummer(InvalidIdentifier):
    rule = ("A Rentenversicherungsnummer has 12 characters: area (2 digits), birth date DDMMYY, the birth "
            "name's initial, a 2-digit serial and a check digit.")


# --- Dutch: persons --------------------------------------------------------------------------

_NINE_DIGITS = re.compile(r"[0-9]{9}")
_ONDERWIJSNUMMER = re.compile(r"10[0-9]{7}")
_ELEVEN_TEST_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)


def _eleven_test_remainder(digits: str) -> int:
    """9·d1 + 8·d2 + … + 2·d8 − 1·d9, modulo 11 (Python's ``%`` is never negative)."""
    return sum(weight * int(digit) for weight, digit in zip(_ELEVEN_TEST_WEIGHTS, digits, strict=True)) % 11


def bsn(value: str) -> str:
    """A burgerservicenummer: 9 digits passing the 11-test, 9·d1 + 8·d2 + … + 2·d8 − 1·d9 ≡ 0 (mod 11).

    ``000000000`` passes the sum but is no BSN. Source: RvIG's 11-test as given in DOMAIN.md; the
    same rule as the absence counter's ``is_valid_bsn`` and the log masking's ``is_bsn`` before
    they came here.
    """
    if _NINE_DIGITS.fullmatch(value) is None:
        raise InvalidBsn("A BSN has exactly 9 digits.")
    if value == "000000000" or _eleven_test_remainder(value) != 0:
        raise InvalidBsn("A BSN passes the 11-test: 9·d1 + 8·d2 + … + 2·d8 − 1·d9 is a multiple of 11.")
    return value


def onderwijsnummer(value: str) -> str:
    """An onderwijsnummer (DUO's number for a student without a BSN): 9 digits starting with ``10``,
    whose weighted sum as the BSN's (last weight −1) ≡ 5 (mod 11), so that it never passes as a BSN.

    Source: DUO's rule as given in DOMAIN.md; the absence counter's ``is_valid_onderwijsnummer``.
    """
    if _ONDERWIJSNUMMER.fullmatch(value) is None:
        raise InvalidOnderwijsnummer("An onderwijsnummer has 9 digits and starts with 10.")
    if _eleven_test_remainder(value) != 5:
        raise InvalidOnderwijsnummer("An onderwijsnummer's weighted sum (as the BSN's) is 5 modulo 11.")
    return value


# --- Dutch: organisations and qualifications -------------------------------------------------

_BRIN = re.compile(r"[0-9]{2}[A-Z]{2}")
_OIN = re.compile(r"[0-9]{8}[0-9A-Z]{12}")
_KVK_NUMBER = re.compile(r"[0-9]{8}")
_CREBO = re.compile(r"[0-9]{5}")


def brin(value: str) -> str:
    """A BRIN code of a Dutch school: 2 digits and 2 capital letters, e.g. ``25LX``.

    A location's 2-digit suffix (``25LX01``) is not part of it: the messages carry it apart
    (``Vestigingsnummer``). Source: DOMAIN.md and the ``Brin`` type of ``xsd/common.xsd``, the form
    in which the absence counter compares a report's BRIN with the calling school's.
    (:func:`ketenserver.pki.school_oin`, making sandbox OINs, allows any 4 capitals or digits.)
    """
    if _BRIN.fullmatch(value) is None:
        raise InvalidBrin()
    return value


def oin(value: str) -> str:
    """An Organisatie-identificatienummer: 20 characters, an 8-digit prefix naming the register the
    number comes from, then 12 digits or capital letters.

    Not "20 digits": a school's OIN carries the letters of its BRIN. Prefixes (EXCHANGE.md,
    :mod:`ketenserver.pki`): ``00000001`` RSIN, ``00000003`` KvK (``00000003`` + KvK number +
    ``0000``), ``00000004`` sub-OIN, ``00000007`` BRIN (``00000007000`` + BRIN + ``00000``),
    ``00000099`` test OINs. The prefix is not restricted to these: Logius issues more.
    """
    if _OIN.fullmatch(value) is None:
        raise InvalidOin()
    return value


def kvk_number(value: str) -> str:
    """A Dutch Chamber of Commerce (KvK) number: 8 digits. KvK publishes no check digit, so none is
    checked. Source: DOMAIN.md, the ``KvkNummer`` type of ``xsd/common.xsd``."""
    if _KVK_NUMBER.fullmatch(value) is None:
        raise InvalidKvkNumber()
    return value


def crebo(value: str) -> str:
    """A crebo code (SBB's number of a vocational qualification): 5 digits. Whether the
    qualification exists is a question for SBB's register, not for the format. Source: DOMAIN.md,
    the ``Crebo`` type of ``xsd/common.xsd``."""
    if _CREBO.fullmatch(value) is None:
        raise InvalidCrebo()
    return value


# --- Dutch: postcode ---------------------------------------------------------------------------

_DUTCH_POSTCODE = re.compile(r"([1-9][0-9]{3}) ?([A-Za-z]{2})")
POSTCODE_LETTERS_NEVER_ISSUED = frozenset({"SA", "SD", "SS"})
"""Letter pairs PostNL never issues (they recall the SA, SD and SS of the occupation)."""


def dutch_postcode(value: str) -> str:
    """A Dutch postcode: ``"1012 ab"`` -> ``"1012AB"``.

    4 digits, the first not 0, then 2 letters that are not SA, SD or SS (:class:`PostcodeNeverIssued`).
    Outer whitespace is forgiven, one space between digits and letters is allowed, case is free.
    Source: PostNL's format as given in DOMAIN.md; the rule SBB's ``normalise_postcode`` applied
    (SBB-1002) before it came here, and the ``Postcode`` type of ``xsd/common.xsd``.
    """
    found = _DUTCH_POSTCODE.fullmatch(value.strip())
    if found is None:
        raise InvalidPostcode()
    digits, letters = found.group(1), found.group(2).upper()
    if letters in POSTCODE_LETTERS_NEVER_ISSUED:
        raise PostcodeNeverIssued()
    return digits + letters


# --- Belgian -----------------------------------------------------------------------------------

# The KBO's grouping: 0123.456.749 and 2.147.812.701; the same separator (or none) throughout.
_KBO_ENTERPRISE = re.compile(r"([01][0-9]{3})([. ]?)([0-9]{3})\2([0-9]{3})")
_KBO_ESTABLISHMENT = re.compile(r"([2-8])([. ]?)([0-9]{3})\2([0-9]{3})\2([0-9]{3})")
_RIJKSREGISTER = re.compile(r"([0-9]{2})\.?([0-9]{2})\.?([0-9]{2})[-.]?([0-9]{3})\.?([0-9]{2})")
_BELGIAN_POSTCODE = re.compile(r"[1-9][0-9]{3}")


def _kbo_check_holds(digits: str) -> bool:
    """KBO's check: the last two digits are 97 − (the first eight mod 97)."""
    return int(digits[8:]) == 97 - int(digits[:8]) % 97


def kbo_enterprise_number(value: str) -> str:
    """A Belgian enterprise number (ondernemingsnummer) of the KBO/BCE: ``"0203.201.340"`` ->
    ``"0203201340"``.

    10 digits, the first 0 or 1; the last two are 97 − (the first eight mod 97). Written bare or
    grouped 4.3.3 with dots (KBO's files) or spaces. Source: KBO (FOD Economie) as given in
    DOMAIN.md ("KBO data"), the ``KboOndernemingsnummer`` type of ``xsd/common.xsd``.
    """
    found = _KBO_ENTERPRISE.fullmatch(value.strip())
    if found is None:
        raise InvalidKboEnterpriseNumber(
            "A KBO enterprise number has 10 digits, the first 0 or 1, written bare or as 0123.456.749.")
    digits = found.group(1) + found.group(3) + found.group(4)
    if not _kbo_check_holds(digits):
        raise InvalidKboEnterpriseNumber(
            "A KBO enterprise number's last two digits are 97 - (the first eight mod 97).")
    return digits


def kbo_establishment_number(value: str) -> str:
    """A Belgian establishment-unit number (vestigingseenheidsnummer) of the KBO/BCE:
    ``"2.147.812.701"`` -> ``"2147812701"``.

    10 digits, the first 2 to 8, with the enterprise number's mod-97 check. Written bare or grouped
    1.3.3.3 with dots (KBO's files) or spaces. Source: as :func:`kbo_enterprise_number`, and the
    ``KboVestigingsnummer`` type of ``xsd/common.xsd``.
    """
    found = _KBO_ESTABLISHMENT.fullmatch(value.strip())
    if found is None:
        raise InvalidKboEstablishmentNumber(
            "A KBO establishment number has 10 digits, the first 2 to 8, written bare or as 2.147.812.701.")
    digits = found.group(1) + found.group(3) + found.group(4) + found.group(5)
    if not _kbo_check_holds(digits):
        raise InvalidKboEstablishmentNumber(
            "A KBO establishment number's last two digits are 97 - (the first eight mod 97).")
    return digits


class RegisterKind(StrEnum):
    """What the month of a rijksregister-format number says about its holder."""

    RIJKSREGISTER = "rijksregister"
    """A person in the national register: the month as born (00 when unknown)."""
    BIS = "bis"
    """A person in the BIS register (not resident): the month raised by 20 (sex unknown) or 40."""
    TEST = "test"
    """A test person of the Flemish government's test data: the month raised by 60; no real person
    holds such a number (DOMAIN.md, "Test people")."""


_MONTH_OFFSETS = {0: RegisterKind.RIJKSREGISTER, 20: RegisterKind.BIS, 40: RegisterKind.BIS, 60: RegisterKind.TEST}


@dataclass(frozen=True)
class Rijksregisternummer:
    """A valid Belgian national register number (or BIS or test number of the same format)."""

    number: str
    """The 11 digits, without separators."""
    born_from_2000: bool
    """Which check held: the one over ``2`` and the first nine digits (born in 2000 or later)."""

    def __str__(self) -> str:
        return self.number

    @property
    def _month_offset(self) -> int:
        return int(self.number[2:4]) // 20 * 20

    @property
    def kind(self) -> RegisterKind:
        return _MONTH_OFFSETS[self._month_offset]

    def birth_date(self) -> dt.date | None:
        """The birth date the number encodes, or None where the register does not know the day or
        the month (written 00)."""
        month = int(self.number[2:4]) - self._month_offset
        day = int(self.number[4:6])
        if month == 0 or day == 0:
            return None
        century = 2000 if self.born_from_2000 else 1900
        return dt.date(century + int(self.number[:2]), month, day)


def rijksregisternummer(value: str) -> Rijksregisternummer:
    """A Belgian rijksregisternummer: ``"85.07.30-033.28"`` -> ``Rijksregisternummer("85073003328", False)``.

    11 digits YYMMDDSSSCC: the birth date, a 3-digit serial (odd for men, even for women), and
    2 check digits CC = 97 − (the first nine digits mod 97); for people born in 2000 or later a
    ``2`` is put before the nine digits first, so the check also tells the century. The month is
    01-12, or 00 when unknown; raised by 20 or 40 in a BIS number, by 60 in the Flemish test data.
    A known day and month must make a calendar date. Written bare or as ``YY.MM.DD-SSS.CC``.
    Source: DOMAIN.md (identifier table, "Test people"); the check the log masking's
    ``is_national_number`` applies.
    """
    found = _RIJKSREGISTER.fullmatch(value.strip())
    if found is None:
        raise InvalidRijksregisternummer("A rijksregisternummer has 11 digits, written bare or as YY.MM.DD-SSS.CC.")
    digits = "".join(found.groups())
    base, check = int(digits[:9]), int(digits[9:])
    # 2_000_000_000 is not a multiple of 97, so at most one of the two checks holds.
    if check == 97 - base % 97:
        number = Rijksregisternummer(digits, born_from_2000=False)
    elif check == 97 - (2_000_000_000 + base) % 97:
        number = Rijksregisternummer(digits, born_from_2000=True)
    else:
        raise InvalidRijksregisternummer(
            "A rijksregisternummer's check digits are 97 - (the first nine digits mod 97), "
            "with a 2 before the nine for births from 2000.")
    month = int(digits[2:4])
    if month > 72 or month % 20 > 12:
        raise InvalidRijksregisternummer(
            "A rijksregisternummer's month is 01 to 12 (00 unknown), raised by 20 or 40 (BIS) or 60 (test).")
    try:
        number.birth_date()
    except ValueError:  # 31 April, 29 February of a common year, day 32 and up
        raise InvalidRijksregisternummer("A rijksregisternummer's birth date is a date of the calendar.") from None
    return number


def belgian_postcode(value: str) -> str:
    """A Belgian postcode: 4 digits, 1000 to 9999 (outer whitespace forgiven). Source: bpost's
    format as given in DOMAIN.md (the provinces' ranges in the home-care placement tool)."""
    code = value.strip()
    if _BELGIAN_POSTCODE.fullmatch(code) is None:
        raise InvalidBelgianPostcode()
    return code


# --- German ------------------------------------------------------------------------------------

_RENTENVERSICHERUNGSNUMMER = re.compile(
    r"([0-9]{2}) ?([0-9]{2})([0-9]{2})([0-9]{2}) ?([A-Za-z]) ?([0-9]{2}) ?([0-9])")
_RV_WEIGHTS = (2, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1)


def _rv_check_digit(twelve_digits: str) -> int:
    """The sum of the digit sums of each digit times its weight, modulo 10 (products are at most 63)."""
    return sum(sum(divmod(weight * int(digit), 10))
               for weight, digit in zip(_RV_WEIGHTS, twelve_digits, strict=True)) % 10


def rentenversicherungsnummer(value: str) -> str:
    """A German Rentenversicherungsnummer (Versicherungsnummer, social-insurance number):
    ``"65 170839 J 003"`` -> ``"65170839J003"``.

    12 characters: the area number of the pension insurer (2 digits), the birth date DDMMYY, the
    initial of the birth name (A-Z), a serial (2 digits: 00-49 male, 50-99 female or other) and a
    check digit. The check digit: replace the letter by its position in the alphabet as two digits
    (A = 01, Z = 26), multiply the resulting 12 digits by 2, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1, add the
    digit sums of the products, take the sum modulo 10. The month is 01-12 or 00 (unknown); the
    day is not checked: it may be 00 (numbers issued before 2005) or raised by 32, 64 or 96 when a
    day's serials run out, which leaves every two digits possible. The area number is not checked
    against the insurers' list, which changes. Spaces between the parts are forgiven, the letter
    may be lower case.

    Sources: § 147 SGB VI with the Versicherungsnummern-, Kontoführungs- und
    Versicherungsverlaufsverordnung (VKVV); the check digit as published by kryptografie.de
    ("Sozialversicherungsnummer Prüfziffer", example 10010490A443,
    http://kryptografie.de/kryptografie/chiffre/sozialversicherungsnummer.htm) and Haufe Personal
    Office ("Versicherungsnummer: Prüfziffer", modulo 10 with A = 01); the day offsets and the
    unknown month from the Gemeinsames Rundschreiben Meldeverfahren (RS 2016/04, Ziff. 3.1.1.2)
    and Haufe ("Versicherungsnummer: Seriennummer"); DOMAIN.md.
    """
    found = _RENTENVERSICHERUNGSNUMMER.fullmatch(value.strip())
    if found is None:
        raise InvalidRentenversicherungsnummer()
    area, day, month, year, letter, serial, check = found.groups()
    if int(month) > 12:
        raise InvalidRentenversicherungsnummer(
            "A Rentenversicherungsnummer's birth month is 01 to 12, or 00 when unknown.")
    letter = letter.upper()
    position = ord(letter) - ord("A") + 1
    if _rv_check_digit(f"{area}{day}{month}{year}{position:02d}{serial}") != int(check):
        raise InvalidRentenversicherungsnummer(
            "A Rentenversicherungsnummer's check digit does not match (weights 2,1,2,5,7,1,2,1,2,1,2,1, "
            "digit sums, modulo 10).")
    return f"{area}{day}{month}{year}{letter}{serial}{check}"
