"""The values of the DUO Verzuimloket client: what a school builds and what the counter answers.

Frozen dataclasses, one per contract type (``xsd/duo-verzuimloket.xsd``), with snake_case Dutch
field names; :mod:`ketenclient.verzuim` maps them to and from the messages. Import them from
``ketenclient``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Generic, TypeVar

from .credentials import PathLike

__all__ = [
    "Behandelaar",
    "Bijlage",
    "BijlageGegevens",
    "Dagspecificatie",
    "Gemeente",
    "Intrekking",
    "Leerling",
    "Melder",
    "Meldingstatus",
    "NieuweVerzuimmelding",
    "Pagina",
    "Periode",
    "Registratie",
    "Statuswijziging",
    "Terugmelding",
    "Verzuimdag",
    "Verzuimmelding",
    "Verzuimsoort",
    "Woonadres",
]

T = TypeVar("T")


class Meldingstatus(StrEnum):
    """The statuses of a report; result fields are plain ``str`` and compare equal to these."""

    GEREGISTREERD = "Geregistreerd"
    """Registered, not yet taken up by the municipality."""
    IN_BEHANDELING = "In behandeling"
    """The municipality's attendance officer (leerplichtambtenaar) handles it."""
    AFGESLOTEN = "Afgesloten"
    TER_KENNISGEVING_AANGENOMEN = "Ter kennisgeving aangenomen"
    """Noted by the municipality; no action."""
    INGETROKKEN = "Ingetrokken"
    """Withdrawn by the school."""


class Verzuimsoort(StrEnum):
    """DUO's code table of kinds of absence. The counter checks the code (``VZL-1005``), so a new
    code needs no new client: any ``str`` is sent as given."""

    DRIE_DAGEN = "DRIE_DAGEN"
    EENACHTSTE = "EENACHTSTE"
    ZESTIEN_UUR_O18 = "ZESTIEN_UUR_O18"
    """16 hours in four weeks, student under 18 on the Begindatum (``VZL-1008`` otherwise)."""
    ZESTIEN_UUR_18P = "ZESTIEN_UUR_18P"
    """16 hours in four weeks, student 18 or older on the Begindatum."""
    RMC = "RMC"
    LUXEVERZUIM = "LUXEVERZUIM"
    LANGDURIG_RELATIEF = "LANGDURIG_RELATIEF"
    OVERIG = "OVERIG"


@dataclass(frozen=True)
class Woonadres:
    """The student's residence; its postcode decides the receiving municipality."""

    straat: str
    huisnummer: int
    postcode: str
    """Sent as ``3511 AB`` or ``3511ab``; the counter keeps and returns it normalised (``3511AB``)."""
    plaats: str
    huisnummer_toevoeging: str | None = None


@dataclass(frozen=True)
class Leerling:
    """The student: exactly one of :attr:`bsn` and :attr:`onderwijsnummer` (``VZL-1003``)."""

    voornamen: str
    achternaam: str
    geboortedatum: dt.date
    woonadres: Woonadres
    bsn: str | None = None
    onderwijsnummer: str | None = None
    voorvoegsel: str | None = None
    """Surname prefix (tussenvoegsel), e.g. ``van der``."""


@dataclass(frozen=True)
class Melder:
    """Who reports for the school; the municipality contacts them."""

    email: str
    rol: str
    """E.g. ``Verzuimcoördinator``."""
    contactpersoon: str
    telefoon: str | None = None


@dataclass(frozen=True)
class Periode:
    """The absence period, both days included; neither day may lie after the counter's today."""

    begindatum: dt.date
    einddatum: dt.date


@dataclass(frozen=True)
class Bijlage:
    """A file to send with a report: a PDF, PNG or JPEG, recognised by its content (``VZL-1009``)."""

    bestandsnaam: str
    inhoud: bytes = field(repr=False)

    @classmethod
    def uit_bestand(cls, pad: PathLike, bestandsnaam: str | None = None) -> Bijlage:
        """Read a file; its own name is used unless *bestandsnaam* is given."""
        path = Path(pad)
        return cls(bestandsnaam or path.name, path.read_bytes())


@dataclass(frozen=True)
class BijlageGegevens:
    """What the counter holds of an attachment: compare :attr:`sha256` with the school's own copy."""

    bestandsnaam: str
    inhoudstype: str
    """The media type the counter recognised from the content."""
    grootte: int
    """Bytes."""
    sha256: str
    """Hex digest of the content."""


@dataclass(frozen=True)
class Verzuimdag:
    """One missed day: either the whole day, or one or more lesson hours (1 to 12).

    ``Verzuimdag(datum, hele_dag=True)`` or ``Verzuimdag(datum, lesuren=(1, 2))``; the counter
    refuses both or neither (``VZL-1014``) and a day outside the report's period (``VZL-1013``).
    """

    datum: dt.date
    hele_dag: bool = False
    lesuren: tuple[int, ...] = ()


@dataclass(frozen=True)
class Gemeente:
    """The receiving municipality: CBS code (``0344``) and name (``Utrecht``)."""

    code: str
    naam: str


@dataclass(frozen=True)
class Behandelaar:
    """The municipality's attendance officer (leerplichtambtenaar) and how to reach them."""

    naam: str
    telefoon: str
    email: str


@dataclass(frozen=True)
class Terugmelding:
    """A municipality's reply to a report: the status it gives the report, and why."""

    volgnummer: int
    """The school's change number of this reply; a valid cursor for ``ophalen_terugmeldingen``."""
    meldingnummer: str
    status: str
    """``In behandeling``, ``Afgesloten`` or ``Ter kennisgeving aangenomen`` (see :class:`Meldingstatus`)."""
    behandelaar: Behandelaar
    toelichting: str
    tijdstip: dt.datetime
    """On the counter's clock (the school's sandbox clock)."""


@dataclass(frozen=True)
class Intrekking:
    reden: str
    tijdstip: dt.datetime


@dataclass(frozen=True)
class NieuweVerzuimmelding:
    """Everything of an absence report (IndienenVerzuimmelding), built once and submitted.

    The contract's ``School`` element becomes :attr:`brin` and :attr:`vestigingsnummer`; the BRIN
    must be the calling school's own (``VZL-1004``).
    """

    leerling: Leerling
    brin: str
    vestigingsnummer: str
    """Two digits, ``00`` for the main location."""
    schooljaar: str
    """Two consecutive years, e.g. ``2025-2026``."""
    niveau: str
    """E.g. ``MBO niveau 2``, ``VMBO-KB``."""
    leerweg: str
    """E.g. ``BOL``, ``BBL``."""
    voltijd: bool
    verzuimsoort: str
    """A code of :class:`Verzuimsoort`."""
    periode: Periode
    melder: Melder
    alle_lessen_verzuimd: bool
    vermoedelijke_reden: str | None = None
    toelichting: str | None = None
    ondernomen_actie: str | None = None
    toelichting_actie: str | None = None
    bijlagen: tuple[Bijlage, ...] = ()
    """At most 10 files, each and together within the counter's limits (``VZL-1010``, ``VZL-1011``)."""


@dataclass(frozen=True)
class Registratie:
    """The answer to a submitted (or cloned) report: keep :attr:`meldingnummer`."""

    meldingnummer: str
    status: str
    geregistreerd: dt.datetime
    gemeente: Gemeente
    bijlagen: tuple[BijlageGegevens, ...] = ()
    """The attachments as the counter received them (the contract's ``OntvangenBijlagen``)."""
    vorig_meldingnummer: str | None = None
    """The earlier report a follow-up (klonen) continues; None for a new report."""


@dataclass(frozen=True)
class Dagspecificatie:
    """The answer to AanleverenVerzuimdagspecificatie."""

    meldingnummer: str
    aantal_dagen: int
    """Days the report's specification now holds (all messages together)."""
    zichtbaar_voor_gemeente: bool
    """The municipality sees the specification once it holds a day."""


@dataclass(frozen=True)
class Statuswijziging:
    """The answer to IntrekkenVerzuimmelding."""

    meldingnummer: str
    status: str


@dataclass(frozen=True)
class Verzuimmelding:
    """A report as the counter holds it, with its day specification and the municipality's replies."""

    meldingnummer: str
    wijzigingsvolgnummer: int
    """The school's change number of the report's latest change; a valid synchronisation cursor."""
    status: str
    """See :class:`Meldingstatus`."""
    geregistreerd: dt.datetime
    gemeente: Gemeente
    leerling: Leerling
    brin: str
    vestigingsnummer: str
    schooljaar: str
    niveau: str
    leerweg: str
    voltijd: bool
    verzuimsoort: str
    periode: Periode
    melder: Melder
    alle_lessen_verzuimd: bool
    zichtbaar_voor_gemeente: bool
    vorig_meldingnummer: str | None = None
    vermoedelijke_reden: str | None = None
    toelichting: str | None = None
    ondernomen_actie: str | None = None
    toelichting_actie: str | None = None
    bijlagen: tuple[BijlageGegevens, ...] = ()
    """The attachments as the counter holds them (the contract's ``OntvangenBijlagen``)."""
    verzuimdagen: tuple[Verzuimdag, ...] = ()
    intrekking: Intrekking | None = None
    """Reason and moment, once withdrawn."""
    terugmeldingen: tuple[Terugmelding, ...] = ()


@dataclass(frozen=True)
class Pagina(Generic[T]):
    """One page after a cursor: the items in change order, the cursor to send next, and whether
    more is waiting."""

    items: tuple[T, ...]
    cursor: int
    """The cursor to send for the next page (the contract's ``VolgendeCursor``)."""
    meer: bool
