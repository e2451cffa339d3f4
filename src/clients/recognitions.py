"""SBB White Label 2.1, recognitions (erkenningen): identify a company and its recognitions.

Contract: ``wsdl/sbb-erkenningen.wsdl`` and ``xsd/sbb-erkenningen.xsd`` (namespace
``urn:ketenserver:sbb:whitelabel:erkenningen:2.1``). The element names are the contract's
Dutch ones; here they become snake_case fields with Python types (``int``, ``bool``,
``datetime.date``), mapped in one place per message. Identifiers that are codes rather than
numbers (leerbedrijf-id, KvK number, crebo) stay strings, so leading zeros survive.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from .base import ServiceClient
from .bpv import BpvOperations

__all__ = [
    "Adres",
    "Contactpersoon",
    "Detailgegevens",
    "Erkenning",
    "GevondenLeerbedrijf",
    "Leerbedrijf",
    "NatrekResultaat",
    "NatrekSignaalcode",
    "SbbErkenningenClient",
    "Signaalcode",
    "Stageplaats",
    "VaststellenResultaat",
    "ZoekResultaat",
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


class NatrekSignaalcode(IntEnum):
    """The outcome codes of NatrekkenErkenning."""

    ERKEND = 0
    INGETROKKEN = 1
    """Withdrawn on or before the date; the reason is in the melding."""
    NOG_NIET_INGEGAAN = 2
    BEEINDIGD = 3
    ANDERE_KWALIFICATIE = 4
    """Never recognised for this crebo, but for other qualifications."""
    GEEN_ERKENNING = 5


@dataclass(frozen=True)
class NatrekResultaat:
    """The reply to NatrekkenErkenning."""

    signaalcode: int
    """See :class:`NatrekSignaalcode`."""
    melding: str
    erkend: bool
    begindatum: dt.date | None = None
    """Start of the recognition the answer is about (codes 0 to 3)."""
    einddatum: dt.date | None = None
    """Its last valid day; None while open-ended."""


@dataclass(frozen=True)
class Contactpersoon:
    naam: str
    functie: str
    telefoon: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Detailgegevens:
    """All contact information of a company (OpvragenDetailgegevens)."""

    leerbedrijf_id: str
    naam: str
    kvk_nummer: str
    vestigingsadres: Adres
    aantal_stageplaatsen: int
    erkend: bool
    contactpersonen: tuple[Contactpersoon, ...] = ()
    postadres: Adres | None = None
    """None when the company has no postal address apart from the visiting one; a PO box has
    straat ``"Postbus"`` and the box number as huisnummer."""
    kvk_vestigingsnummer: str | None = None
    telefoon: str | None = None
    email: str | None = None
    website: str | None = None
    grootteklasse: str | None = None
    sbi_code: str | None = None


@dataclass(frozen=True)
class Stageplaats:
    """An open placement place."""

    stageplaats_id: int
    leerweg: str
    """``BOL`` or ``BBL``."""
    crebo: str
    omschrijving: str
    niveau: int
    begindatum: dt.date
    aantal_plaatsen: int
    toelichting: str


@dataclass(frozen=True)
class GevondenLeerbedrijf:
    leerbedrijf_id: str
    naam: str
    vestigingsadres: Adres
    erkenningen: tuple[Erkenning, ...] = ()
    stageplaatsen: tuple[Stageplaats, ...] = ()


@dataclass(frozen=True)
class ZoekResultaat:
    """One page of OpvragenErkenningen."""

    signaalcode: int
    """0 found, 1 nothing found."""
    melding: str
    totaal: int
    """Companies meeting the criteria over all pages: exact up to 500, else 500 and :attr:`meer_dan_totaal`."""
    leerbedrijven: tuple[GevondenLeerbedrijf, ...] = ()
    vervolg_token: str | None = None
    """Pass it, with the same criteria, for the next page; None on the last page."""
    meer_dan_totaal: bool = False
    """More companies match than :attr:`totaal` says (SBB stops counting at 500)."""


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


def _items(container: Any, name: str) -> list[Any]:
    return list(getattr(container, name, None) or ()) if container is not None else []


def natrek_resultaat(value: Any) -> NatrekResultaat:
    return NatrekResultaat(int(value.Signaalcode), str(value.Melding or ""), bool(value.Erkend),
                           value.Begindatum, value.Einddatum)


def detailgegevens(value: Any) -> Detailgegevens:
    item = value.Leerbedrijfgegevens
    return Detailgegevens(
        leerbedrijf_id=str(item.LeerbedrijfId), naam=str(item.Naam), kvk_nummer=str(item.KvkNummer),
        vestigingsadres=_adres(item.Vestigingsadres), aantal_stageplaatsen=int(item.AantalStageplaatsen),
        erkend=bool(item.Erkend),
        contactpersonen=tuple(
            Contactpersoon(str(c.Naam), str(c.Functie), _optional_text(c.Telefoon), _optional_text(c.Email))
            for c in _items(item.Contactpersonen, "Contactpersoon")
        ),
        postadres=None if item.Postadres is None else _adres(item.Postadres),
        kvk_vestigingsnummer=_optional_text(item.KvkVestigingsnummer), telefoon=_optional_text(item.Telefoon),
        email=_optional_text(item.Email), website=_optional_text(item.Website),
        grootteklasse=_optional_text(item.Grootteklasse), sbi_code=_optional_text(item.SbiCode),
    )


def _stageplaats(value: Any) -> Stageplaats:
    return Stageplaats(int(value.StageplaatsId), str(value.Leerweg), str(value.Crebo), str(value.Omschrijving),
                       int(value.Niveau), value.Begindatum, int(value.AantalPlaatsen), str(value.Toelichting))


def zoek_resultaat(value: Any) -> ZoekResultaat:
    return ZoekResultaat(
        signaalcode=int(value.Signaalcode), melding=str(value.Melding or ""), totaal=int(value.Totaal),
        meer_dan_totaal=bool(getattr(value, "MeerDanTotaal", None)),
        leerbedrijven=tuple(
            GevondenLeerbedrijf(
                str(item.LeerbedrijfId), str(item.Naam), _adres(item.Vestigingsadres),
                tuple(_erkenning(e) for e in _items(item.Erkenningen, "Erkenning")),
                tuple(_stageplaats(p) for p in _items(item.Stageplaatsen, "Stageplaats")),
            )
            for item in value.Leerbedrijf or ()
        ),
        vervolg_token=_optional_text(value.VervolgToken),
    )


class SbbErkenningenClient(ServiceClient, BpvOperations):
    """Client of the recognitions service, e.g. ``https://host/sbb-erkenningen/2W-be-S``.

    Agreements, nominations and mutations: see :class:`ketenclient.bpv.BpvOperations`."""

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

    def natrekken_erkenning(self, leerbedrijf_id: str, crebo: str, begindatum: dt.date) -> NatrekResultaat:
        """Is the company recognised for *crebo* on *begindatum* (the agreement's start)?

        Not recognised is an answer with a reason (:class:`NatrekSignaalcode`); an unknown company
        is a :class:`~ketenclient.errors.ClientFault` ``SBB-1001``, a date before 2000 or more than
        two years ahead ``SBB-1005``.
        """
        result = self._call("NatrekkenErkenning", LeerbedrijfId=leerbedrijf_id, Crebo=crebo, Begindatum=begindatum)
        return natrek_resultaat(result)

    def opvragen_detailgegevens(self, leerbedrijf_id: str) -> Detailgegevens:
        """All contact information of one company (``SBB-1001`` when unknown)."""
        return detailgegevens(self._call("OpvragenDetailgegevens", LeerbedrijfId=leerbedrijf_id))

    def opvragen_erkenningen(
        self, *, crebo: str | None = None, kwalificatienaam: str | None = None,
        leerbedrijf_id: str | None = None, bedrijfsnaam: str | None = None, plaats: str | None = None,
        land: str | None = None, pagina_grootte: int = 25, vervolg_token: str | None = None,
    ) -> ZoekResultaat:
        """One page of recognised companies meeting every criterion given (at least one of the
        first four; ``SBB-1006`` otherwise). Pass :attr:`ZoekResultaat.vervolg_token` with the same
        criteria for the next page, or use :meth:`alle_erkenningen`."""
        result = self._call(
            "OpvragenErkenningen", Crebo=crebo, Kwalificatienaam=kwalificatienaam, LeerbedrijfId=leerbedrijf_id,
            Bedrijfsnaam=bedrijfsnaam, Plaats=plaats, Land=land, PaginaGrootte=pagina_grootte,
            VervolgToken=vervolg_token,
        )
        return zoek_resultaat(result)

    def alle_erkenningen(self, **criteria: Any) -> Iterator[GevondenLeerbedrijf]:
        """Every company of a search, page after page (criteria as for :meth:`opvragen_erkenningen`)."""
        token = None
        while True:
            page = self.opvragen_erkenningen(**criteria, vervolg_token=token)
            yield from page.leerbedrijven
            token = page.vervolg_token
            if token is None:
                return
