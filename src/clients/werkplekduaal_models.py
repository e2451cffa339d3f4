"""The values of the werkplekduaal client: what a training provider or a trajectory coach builds,
and what the Flemish dual-learning counter answers.

Frozen dataclasses, one per contract type (``xsd/werkplekduaal.xsd``), with snake_case Dutch
field names; :mod:`ketenclient.werkplekduaal` maps them to and from the MAGDA messages. Amounts
and hours are :class:`~decimal.Decimal` (never float: 7.6 hours stay 7.6), days
:class:`datetime.date`; identifiers (KBO and rijksregister numbers, postcodes, the counter's
OV/EA/TK numbers) stay strings, so that leading zeros survive. Values the contract enumerates
arrive as the :class:`~enum.StrEnum` members below, which compare equal to their text.

Most names are exported by ``ketenclient`` itself. :class:`Leerling`, :class:`Adres` and
:class:`Erkenning` are not, because the Dutch services' models carry those names there: import
them from this module (``from ketenclient.werkplekduaal_models import Leerling``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TypeAlias

from .credentials import PathLike
from .verzuim_models import Pagina

__all__ = [
    "AanvraagStatus",
    "Aanvraagstatus",
    "Addendum",
    "Addendumstatus",
    "Adres",
    "Afhandeling",
    "Beeindiging",
    "Beslissing",
    "Document",
    "Erkenning",
    "Erkenningsaanvraag",
    "Erkenningsstatus",
    "Hoedanigheid",
    "Leerling",
    "LeertrajectBevestiging",
    "Lesdag",
    "Mentor",
    "Overeenkomst",
    "OvereenkomstGegevens",
    "Overeenkomstsoort",
    "Overeenkomststatus",
    "Pagina",
    "Partnerschap",
    "Provincie",
    "Strafregisteruittreksel",
    "Taak",
    "Taakoptie",
    "Taaksoort",
    "Taakstatus",
    "Takenpagina",
    "Uurrooster",
    "VerklaringOpEer",
    "Weekdag",
    "Werkplaats",
    "Werkplek",
    "Werkplekkenpagina",
    "Wijziging",
]


# -- code tables ------------------------------------------------------------------------------------


class Hoedanigheid(StrEnum):
    """The capacity the sender acts in (``Afzender/Hoedanigheid``)."""

    OPLEIDINGSVERSTREKKER = "OPLEIDINGSVERSTREKKER"
    """A training provider (a school or a Syntra campus): agreements, trajectories, tasks, workplaces."""
    TRAJECTBEGELEIDER = "TRAJECTBEGELEIDER"
    """A trajectory coach (of a provider or of a coach organisation): recognition requests."""


class Overeenkomstsoort(StrEnum):
    STAGEOVEREENKOMST = "STAGEOVEREENKOMST"
    """Stageovereenkomst alternerende opleiding: under 20 hours a week, no allowance."""
    ALTERNERENDE_OPLEIDING = "ALTERNERENDE_OPLEIDING"
    """Overeenkomst alternerende opleiding: at least 20 hours a week, a learning allowance of at most 520 euro."""
    DEELTIJDSE_ARBEIDSOVEREENKOMST = "DEELTIJDSE_ARBEIDSOVEREENKOMST"
    """Only in a sector (joint committee) that allows it (``WPD-1042``)."""


class Overeenkomststatus(StrEnum):
    GEREGISTREERD = "GEREGISTREERD"
    VROEGTIJDIG_BEEINDIGD = "VROEGTIJDIG_BEEINDIGD"


class Addendumstatus(StrEnum):
    TE_REGISTREREN = "TE_REGISTREREN"
    """Made by the counter; to be signed by the parties and registered (task ADDENDUM)."""
    GEREGISTREERD = "GEREGISTREERD"


class Aanvraagstatus(StrEnum):
    TOEGEWEZEN = "TOEGEWEZEN"
    """Filed and assigned to the competent partnership."""
    ERKEND = "ERKEND"
    GEWEIGERD = "GEWEIGERD"


class Erkenningsstatus(StrEnum):
    LOPEND = "LOPEND"
    IN_BEROEP = "IN_BEROEP"
    INGETROKKEN = "INGETROKKEN"
    VERLOPEN = "VERLOPEN"


class Taaksoort(StrEnum):
    ADRESWIJZIGING_VESTIGING = "ADRESWIJZIGING_VESTIGING"
    """Adreswijziging vestiging verwerken: options AANPASSEN or BEEINDIGEN."""
    OPHEFFING = "OPHEFFING"
    """Opheffing verwerken: BEEINDIGEN only."""
    ADDENDUM = "ADDENDUM"
    """Addendum afwerken: REGISTREREN with the signed addendum."""
    OVEREENKOMST_ONTBREEKT = "OVEREENKOMST_ONTBREEKT"
    """No agreement 20 training days after a trajectory's start or an early end: STOPZETTEN
    (registering an agreement closes it too)."""


class Taakoptie(StrEnum):
    AANPASSEN = "AANPASSEN"
    BEEINDIGEN = "BEEINDIGEN"
    REGISTREREN = "REGISTREREN"
    STOPZETTEN = "STOPZETTEN"


class Taakstatus(StrEnum):
    OPEN = "OPEN"
    AFGEHANDELD = "AFGEHANDELD"


class Weekdag(StrEnum):
    MAANDAG = "MAANDAG"
    DINSDAG = "DINSDAG"
    WOENSDAG = "WOENSDAG"
    DONDERDAG = "DONDERDAG"
    VRIJDAG = "VRIJDAG"
    ZATERDAG = "ZATERDAG"
    ZONDAG = "ZONDAG"


class Provincie(StrEnum):
    ANTWERPEN = "ANTWERPEN"
    LIMBURG = "LIMBURG"
    OOST_VLAANDEREN = "OOST_VLAANDEREN"
    VLAAMS_BRABANT = "VLAAMS_BRABANT"
    WEST_VLAANDEREN = "WEST_VLAANDEREN"
    BRUSSEL = "BRUSSEL"


# -- shared -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    """A PDF sent with a request: recognised by its content (``WPD-1028``), its size within the
    counter's bounds (``WPD-1029``)."""

    bestandsnaam: str
    inhoud: bytes = field(repr=False)

    @classmethod
    def from_file(cls, path: PathLike, bestandsnaam: str | None = None) -> Document:
        """Read a file; its own name is used unless *bestandsnaam* is given."""
        file = Path(path)
        return cls(bestandsnaam or file.name, file.read_bytes())


@dataclass(frozen=True)
class Adres:
    """A Belgian address of an establishment, as KBO holds it."""

    straat: str
    huisnummer: str
    postcode: str
    gemeente: str
    bus: str | None = None


@dataclass(frozen=True)
class Leerling:
    """The student in dual learning."""

    rijksregisternummer: str
    voornaam: str
    naam: str
    geboortedatum: dt.date


@dataclass(frozen=True)
class Werkplaats:
    """An establishment (vestiging) of an enterprise, both by their KBO numbers."""

    ondernemingsnummer: str
    vestigingsnummer: str


@dataclass(frozen=True)
class Partnerschap:
    """The partnership (Vlaams Partnerschap Duaal Leren or a sector partnership) a request is assigned to."""

    code: str
    naam: str


# -- agreements -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lesdag:
    """The hours on the workplace on one weekday."""

    weekdag: Weekdag
    uren: Decimal


Uurrooster: TypeAlias = tuple[Lesdag, ...]
"""The timetable: one :class:`Lesdag` per working weekday (1 to 7); the hours add up to
``uren_per_week`` (``WPD-1050``)."""


@dataclass(frozen=True)
class OvereenkomstGegevens:
    """The terms of an agreement: what a provider registers, and what the counter holds."""

    soort: Overeenkomstsoort
    leerling: Leerling
    werkplaats: Werkplaats
    opleiding: str
    """The counter's code of the dual opleiding, e.g. ``BAKKER``."""
    mentor: str
    """The mentor's rijksregisternummer."""
    startdatum: dt.date
    einddatum: dt.date
    uren_per_week: Decimal
    uurrooster: Uurrooster
    leervergoeding: Decimal | None = None
    """Euro a month; for ALTERNERENDE_OPLEIDING (at most 520)."""


@dataclass(frozen=True)
class Wijziging:
    """One changed term in an addendum, old and new as the counter writes them."""

    veld: str
    oud: str
    nieuw: str


@dataclass(frozen=True)
class Addendum:
    """A pre-made addendum showing a change of the terms; signed by the parties, it is registered
    through its ADDENDUM task (option REGISTREREN)."""

    addendumnummer: str
    status: Addendumstatus
    aangemaakt: dt.date
    wijzigingen: tuple[Wijziging, ...]


@dataclass(frozen=True)
class Beeindiging:
    """The early end of an agreement."""

    einddatum: dt.date
    reden: str


@dataclass(frozen=True)
class Overeenkomst:
    """A registered agreement: its number (``OV`` and 8 digits), status, terms and addenda."""

    overeenkomstnummer: str
    status: Overeenkomststatus
    gegevens: OvereenkomstGegevens
    beeindiging: Beeindiging | None = None
    addenda: tuple[Addendum, ...] = ()


@dataclass(frozen=True)
class LeertrajectBevestiging:
    """A registered trajectory: without an agreement by :attr:`registratie_uiterlijk` (the 20th
    training day after the start), the provider gets an OVEREENKOMST_ONTBREEKT task."""

    trajectnummer: str
    registratie_uiterlijk: dt.date


# -- recognition requests ---------------------------------------------------------------------------


@dataclass(frozen=True)
class VerklaringOpEer:
    """The signed declaration on honour, in the version it was signed in (an older one is refused)."""

    versie: str
    """E.g. ``02.00.0000``."""
    document: Document


@dataclass(frozen=True)
class Strafregisteruittreksel:
    """A mentor's criminal-record extract: model ``596.2`` (work with minors) since 2 September 2019."""

    model: str
    afgiftedatum: dt.date
    document: Document


@dataclass(frozen=True)
class Mentor:
    """A mentor of the workplace: at least 25 (23 with relevant prior education), 5 years of experience."""

    rijksregisternummer: str
    voornaam: str
    naam: str
    geboortedatum: dt.date
    jaren_ervaring: int
    relevante_vooropleiding: bool
    engagement_mentoropleiding: bool
    """Commits to a mentor training within a year."""
    strafregisteruittreksel: Strafregisteruittreksel | None = None


@dataclass(frozen=True)
class Erkenningsaanvraag:
    """A recognition request a trajectory coach files on a company's behalf."""

    werkplaats: Werkplaats
    opleiding: str
    machtiging: Document | None
    """The company's signed mandate: the counter refuses a request without one."""
    verklaring_op_eer: VerklaringOpEer
    mentoren: tuple[Mentor, ...]


@dataclass(frozen=True)
class Beslissing:
    """The partnership's decision."""

    uitkomst: Aanvraagstatus
    datum: dt.date
    reden: str | None = None
    """Why, when refused."""


@dataclass(frozen=True)
class Erkenning:
    """A recognition of an establishment for an opleiding (valid 5 years)."""

    erkenningsnummer: str
    vestigingsnummer: str
    opleiding: str
    geldig_van: dt.date
    geldig_tot: dt.date
    status: Erkenningsstatus
    plaatsen: int


@dataclass(frozen=True)
class AanvraagStatus:
    """Where a recognition request stands: assigned, decided, and the recognition it led to."""

    aanvraagnummer: str
    status: Aanvraagstatus
    werkplaats: Werkplaats
    opleiding: str
    partnerschap: Partnerschap
    ingediend: dt.date
    beslissing_uiterlijk: dt.date
    beslissing: Beslissing | None = None
    erkenning: Erkenning | None = None


# -- tasks ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Afhandeling:
    """How and when a task was resolved."""

    optie: Taakoptie
    datum: dt.date


@dataclass(frozen=True)
class Taak:
    """A task on the provider's dashboard; resolve it with one of its :attr:`opties`."""

    taaknummer: str
    volgnummer: int
    """Its place in the change order: the cursor of :meth:`~ketenclient.WerkplekduaalClient.geef_taken`."""
    soort: Taaksoort
    status: Taakstatus
    aangemaakt: dt.date
    opties: tuple[Taakoptie, ...]
    overeenkomstnummer: str | None = None
    trajectnummer: str | None = None
    nieuw_adres: Adres | None = None
    """The establishment's new address (ADRESWIJZIGING_VESTIGING)."""
    addendum: Addendum | None = None
    """The addendum to sign and register (ADDENDUM)."""
    afhandeling: Afhandeling | None = None


Takenpagina: TypeAlias = Pagina[Taak]
"""One page of tasks after a cursor (:class:`~ketenclient.Pagina` of :class:`Taak`)."""


# -- workplaces -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Werkplek:
    """A recognised workplace with room for an opleiding."""

    werkplaats: Werkplaats
    naam: str
    adres: Adres
    opleiding: str
    vrije_plaatsen: int
    erkend_tot: dt.date


@dataclass(frozen=True)
class Werkplekkenpagina:
    """One page of a workplace search; pass :attr:`vervolg` to get the next (None: the last page)."""

    werkplekken: tuple[Werkplek, ...]
    vervolg: str | None = None
