"""SBB White Label 2.1, recognitions (erkenningen): identify a company and its recognitions.

Contract: ``wsdl/sbb-erkenningen.wsdl`` and ``xsd/sbb-erkenningen.xsd`` (namespace
``urn:ketenserver:sbb:whitelabel:erkenningen:2.1``). The element names are the contract's
Dutch ones; here they become snake_case fields with Python types (``int``, ``bool``,
``datetime.date``), mapped in one place per message. Identifiers that are codes rather than
numbers (leerbedrijf-id, KvK number, crebo) stay strings, so leading zeros survive.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from .base import ServiceClient

__all__ = [
    "Adres",
    "Erkenning",
    "Leerbedrijf",
    "SbbErkenningenClient",
    "Signaalcode",
    "VaststellenResultaat",
]


class Signaalcode(IntEnum):
    """The outcome codes of VaststellenLeerbedrijf (the contract may add more; they stay ints)."""

    ERKEND = 0
    """Exactly one company found, and it is recognised."""
    NIET_ERKEND = 1
    """Exactly one company found, without a current recognition (it may be nominated)."""
    NIET_GEVONDEN = 2
    """No company with this name and postcode."""
    MEERDERE = 3
    """Two or more companies: narrow the search with a house number (and addition)."""


@dataclass(frozen=True)
class Adres:
    """An establishment address (``Vestigingsadres``)."""

    straat: str
    huisnummer: int
    postcode: str
    """Normalised (``1234AB``) for Dutch addresses."""
    plaats: str
    landcode: str
    """ISO 3166-1 alpha-2 (``NL``)."""
    huisnummer_toevoeging: str | None = None


@dataclass(frozen=True)
class Erkenning:
    """A recognition of the company for one mbo qualification."""

    crebo: str
    omschrijving: str
    niveau: int
    """Mbo level 1 (Entree) to 4."""
    begindatum: dt.date
    einddatum: dt.date | None = None
    """The last day the recognition is valid; None while it is open-ended."""


@dataclass(frozen=True)
class Leerbedrijf:
    """The key data a school stores for later exchanges (``Leerbedrijf``)."""

    leerbedrijf_id: str
    """SBB leerbedrijf-id, 9 digits."""
    naam: str
    kvk_nummer: str
    vestigingsadres: Adres
    erkend: bool
    """At least one recognition is current on the day of the request."""
    erkenningen: tuple[Erkenning, ...] = ()
    """The recognitions current on the day of the request."""
    kvk_vestigingsnummer: str | None = None


@dataclass(frozen=True)
class VaststellenResultaat:
    """The reply to VaststellenLeerbedrijf: a signaalcode, its text and the companies found."""

    signaalcode: int
    """See :class:`Signaalcode`; compare with its members (``== Signaalcode.ERKEND``)."""
    melding: str
    leerbedrijven: tuple[Leerbedrijf, ...] = ()
    """One company for codes 0 and 1, none for 2, up to ten for 3."""

    @property
    def erkend(self) -> bool:
        """True when exactly one company was found and it is recognised (signaalcode 0)."""
        return self.signaalcode == Signaalcode.ERKEND

    @property
    def leerbedrijf(self) -> Leerbedrijf | None:
        """The company when exactly one was found, else None."""
        return self.leerbedrijven[0] if len(self.leerbedrijven) == 1 else None


# -- mapping from zeep's objects (element names as in the contract) ----------------------------


def _optional_text(value: Any) -> str | None:
    return None if value is None else str(value)


def _adres(value: Any) -> Adres:
    return Adres(
        straat=str(value.Straat),
        huisnummer=int(value.Huisnummer),
        postcode=str(value.Postcode),
        plaats=str(value.Plaats),
        landcode=str(value.Landcode),
        huisnummer_toevoeging=_optional_text(value.HuisnummerToevoeging),
    )


def _erkenning(value: Any) -> Erkenning:
    return Erkenning(
        crebo=str(value.Crebo),
        omschrijving=str(value.Omschrijving),
        niveau=int(value.Niveau),
        begindatum=value.Begindatum,
        einddatum=value.Einddatum,
    )


def _leerbedrijf(value: Any) -> Leerbedrijf:
    erkenningen = value.Erkenningen.Erkenning if value.Erkenningen is not None else None
    return Leerbedrijf(
        leerbedrijf_id=str(value.LeerbedrijfId),
        naam=str(value.Naam),
        kvk_nummer=str(value.KvkNummer),
        vestigingsadres=_adres(value.Vestigingsadres),
        erkend=bool(value.Erkend),
        erkenningen=tuple(_erkenning(e) for e in erkenningen or ()),
        kvk_vestigingsnummer=_optional_text(value.KvkVestigingsnummer),
    )


def vaststellen_resultaat(value: Any) -> VaststellenResultaat:
    """Map zeep's ``VaststellenLeerbedrijfResponse`` object to :class:`VaststellenResultaat`."""
    return VaststellenResultaat(
        signaalcode=int(value.Signaalcode),
        melding=str(value.Melding or ""),
        leerbedrijven=tuple(_leerbedrijf(item) for item in value.Leerbedrijf or ()),
    )


class SbbErkenningenClient(ServiceClient):
    """Client of the recognitions service, e.g. ``https://host/sbb-erkenningen/2W-be-S``."""

    def vaststellen_leerbedrijf(
        self,
        naam: str,
        postcode: str,
        huisnummer: int | None = None,
        huisnummer_toevoeging: str | None = None,
    ) -> VaststellenResultaat:
        """Identify a company by name and postcode, optionally narrowed by house number.

        "Not found" and "not recognised" are ordinary results (see :class:`Signaalcode`); a
        malformed postcode or name is refused with a :class:`~ketenclient.errors.ClientFault`
        (e.g. code ``SBB-1002`` or ``0004``, with ``field`` naming the element).
        """
        result = self._call(
            "VaststellenLeerbedrijf",
            Naam=naam,
            Postcode=postcode,
            Huisnummer=huisnummer,
            HuisnummerToevoeging=huisnummer_toevoeging,
        )
        return vaststellen_resultaat(result)
