"""DUO Verzuimloket (machinekoppeling verzuim melden): report a student's absence, follow it up.

Contract: ``wsdl/duo-verzuimloket.wsdl`` and ``xsd/duo-verzuimloket.xsd`` (namespace
``urn:ketenserver:duo:verzuimloket:1``). A school system builds one :class:`NieuweVerzuimmelding`
and submits it; DUO answers with its Meldingnummer and the municipality it routed the report to
(:class:`Registratie`). Everything after that refers to the Meldingnummer: the day specification,
a follow-up report (klonen), withdrawal, reading it back. Element names become snake_case fields
with Python types (``bool``, ``int``, ``datetime.date``); numbers that are codes (BSN,
Meldingnummer, municipality code) stay strings so that leading zeros survive.

The state-changing methods accept ``message_id``: pass the MessageID of a request whose answer
was lost (:attr:`ServiceClient.last_message_id`) to resend it as a retry; the counter then
answers with the original reply and registers the report once. Sending the same report again
*without* it is refused with ``VZL-1015``, whose message names the existing Meldingnummer.

Keeping a copy of everything up to date: :meth:`VerzuimloketClient.alle_wijzigingen` and
:meth:`VerzuimloketClient.alle_terugmeldingen` follow the two cursors, and
:class:`ketenclient.VerzuimSynchroniser` keeps a local SQLite mirror with them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Generic, TypeVar

from .base import ServiceClient
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
    "VerzuimloketClient",
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
    meer: bool


# -- requests: plain values to the contract's element names ---------------------------------------


def _bijlagen_request(bijlagen: Sequence[Bijlage]) -> dict[str, Any] | None:
    if not bijlagen:
        return None
    return {"Bijlage": [{"Bestandsnaam": b.bestandsnaam, "Inhoud": b.inhoud} for b in bijlagen]}


def _periode_request(periode: Periode) -> dict[str, Any]:
    return {"Begindatum": periode.begindatum, "Einddatum": periode.einddatum}


def indienen_request(melding: NieuweVerzuimmelding) -> dict[str, Any]:
    """The children of ``IndienenVerzuimmelding`` for *melding*, as zeep takes them."""
    leerling, adres, melder = melding.leerling, melding.leerling.woonadres, melding.melder
    return {
        "Leerling": {
            "Bsn": leerling.bsn, "Onderwijsnummer": leerling.onderwijsnummer, "Voornamen": leerling.voornamen,
            "Voorvoegsel": leerling.voorvoegsel, "Achternaam": leerling.achternaam,
            "Geboortedatum": leerling.geboortedatum,
            "Woonadres": {"Straat": adres.straat, "Huisnummer": adres.huisnummer,
                          "HuisnummerToevoeging": adres.huisnummer_toevoeging, "Postcode": adres.postcode,
                          "Plaats": adres.plaats},
        },
        "School": {"Brin": melding.brin, "Vestigingsnummer": melding.vestigingsnummer},
        "Schooljaar": melding.schooljaar, "Niveau": melding.niveau, "Leerweg": melding.leerweg,
        "Voltijd": melding.voltijd, "Verzuimsoort": str(melding.verzuimsoort),
        "Periode": _periode_request(melding.periode),
        "VermoedelijkeReden": melding.vermoedelijke_reden, "Toelichting": melding.toelichting,
        "OndernomenActie": melding.ondernomen_actie, "ToelichtingActie": melding.toelichting_actie,
        "Melder": {"Email": melder.email, "Rol": melder.rol, "Contactpersoon": melder.contactpersoon,
                   "Telefoon": melder.telefoon},
        "AlleLessenVerzuimd": melding.alle_lessen_verzuimd,
        "Bijlagen": _bijlagen_request(melding.bijlagen),
    }


def _verzuimdag_request(dag: Verzuimdag) -> dict[str, Any]:
    # HeleDag is left out for lesson hours, as the counter writes it itself.
    return {"Datum": dag.datum, "HeleDag": True if dag.hele_dag else None, "Lesuur": list(dag.lesuren)}


# -- responses: zeep's objects (element names as in the contract) to plain values -------------------


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _items(container: Any, name: str) -> list[Any]:
    return list(getattr(container, name, None) or ()) if container is not None else []


def _gemeente(value: Any) -> Gemeente:
    return Gemeente(str(value.Code), str(value.Naam))


def _bijlagen(value: Any) -> tuple[BijlageGegevens, ...]:
    return tuple(BijlageGegevens(str(b.Bestandsnaam), str(b.Inhoudstype), int(b.Grootte), str(b.Sha256))
                 for b in _items(value, "BijlageGegevens"))


def _periode(value: Any) -> Periode:
    return Periode(value.Begindatum, value.Einddatum)


def _leerling(value: Any) -> Leerling:
    adres = value.Woonadres
    return Leerling(
        voornamen=str(value.Voornamen), achternaam=str(value.Achternaam), geboortedatum=value.Geboortedatum,
        woonadres=Woonadres(str(adres.Straat), int(adres.Huisnummer), str(adres.Postcode), str(adres.Plaats),
                            _text(adres.HuisnummerToevoeging)),
        bsn=_text(value.Bsn), onderwijsnummer=_text(value.Onderwijsnummer), voorvoegsel=_text(value.Voorvoegsel),
    )


def _verzuimdag(value: Any) -> Verzuimdag:
    return Verzuimdag(value.Datum, bool(value.HeleDag), tuple(int(hour) for hour in value.Lesuur or ()))


def terugmelding(value: Any) -> Terugmelding:
    """Map a zeep ``Terugmelding`` object."""
    handler = value.Behandelaar
    return Terugmelding(int(value.Volgnummer), str(value.Meldingnummer), str(value.Status),
                        Behandelaar(str(handler.Naam), str(handler.Telefoon), str(handler.Email)),
                        str(value.Toelichting), value.Tijdstip)


def verzuimmelding(value: Any) -> Verzuimmelding:
    """Map a zeep ``Verzuimmelding`` object."""
    melder, specificatie, intrekking = value.Melder, value.Verzuimdagspecificatie, value.Intrekking
    return Verzuimmelding(
        meldingnummer=str(value.Meldingnummer), wijzigingsvolgnummer=int(value.Wijzigingsvolgnummer),
        status=str(value.Status), geregistreerd=value.Geregistreerd, gemeente=_gemeente(value.Gemeente),
        leerling=_leerling(value.Leerling), brin=str(value.School.Brin),
        vestigingsnummer=str(value.School.Vestigingsnummer), schooljaar=str(value.Schooljaar),
        niveau=str(value.Niveau), leerweg=str(value.Leerweg), voltijd=bool(value.Voltijd),
        verzuimsoort=str(value.Verzuimsoort), periode=_periode(value.Periode),
        melder=Melder(str(melder.Email), str(melder.Rol), str(melder.Contactpersoon), _text(melder.Telefoon)),
        alle_lessen_verzuimd=bool(value.AlleLessenVerzuimd),
        zichtbaar_voor_gemeente=bool(specificatie.ZichtbaarVoorGemeente),
        vorig_meldingnummer=_text(value.VorigMeldingnummer), vermoedelijke_reden=_text(value.VermoedelijkeReden),
        toelichting=_text(value.Toelichting), ondernomen_actie=_text(value.OndernomenActie),
        toelichting_actie=_text(value.ToelichtingActie), bijlagen=_bijlagen(value.Bijlagen),
        verzuimdagen=tuple(_verzuimdag(d) for d in _items(specificatie.Verzuimdagen, "Verzuimdag")),
        intrekking=None if intrekking is None else Intrekking(str(intrekking.Reden), intrekking.Tijdstip),
        terugmeldingen=tuple(terugmelding(t) for t in _items(value.Terugmeldingen, "Terugmelding")),
    )


def registratie(value: Any) -> Registratie:
    """Map zeep's ``IndienenVerzuimmeldingResponse`` or ``KlonenVerzuimmeldingResponse``."""
    return Registratie(str(value.Meldingnummer), str(value.Status), value.Geregistreerd, _gemeente(value.Gemeente),
                       _bijlagen(value.Bijlagen), _text(getattr(value, "VorigMeldingnummer", None)))


def _unwrapped(value: Any, name: str) -> Any:
    """zeep returns the only child of a one-child response element instead of the element itself."""
    return getattr(value, name) if hasattr(value, name) else value


class VerzuimloketClient(ServiceClient):
    """Client of DUO's absence counter, e.g. ``https://host/duo-verzuimloket/2W-be-S``.

    Refusals arrive as :class:`~ketenclient.errors.ClientFault` with the counter's code (``VZL-10xx``)
    and, where one is at fault, the element in ``field`` (e.g. ``VZL-1001`` ``Bsn``).
    """

    def indienen_verzuimmelding(self, melding: NieuweVerzuimmelding, *, message_id: str | None = None
                                ) -> Registratie:
        """Submit a report; the counter registers it and routes it to the student's municipality."""
        return registratie(self._call("IndienenVerzuimmelding", message_id, **indienen_request(melding)))

    def aanleveren_verzuimdagspecificatie(self, meldingnummer: str, dagen: Iterable[Verzuimdag], *,
                                          message_id: str | None = None) -> Dagspecificatie:
        """Add missed days to a report, or replace the entries of dates sent before (1 to 366 days a message)."""
        days = [_verzuimdag_request(dag) for dag in dagen]
        if not days:
            raise ValueError("a day specification holds at least one Verzuimdag")
        result = self._call("AanleverenVerzuimdagspecificatie", message_id, Meldingnummer=meldingnummer,
                            Verzuimdag=days)
        return Dagspecificatie(str(result.Meldingnummer), int(result.AantalDagen), bool(result.ZichtbaarVoorGemeente))

    def klonen_verzuimmelding(
        self, meldingnummer: str, periode: Periode, *, vermoedelijke_reden: str | None = None,
        toelichting: str | None = None, alle_lessen_verzuimd: bool | None = None,
        bijlagen: Sequence[Bijlage] = (), message_id: str | None = None,
    ) -> Registratie:
        """A follow-up report for continued absence: a copy of report *meldingnummer* with a new
        period starting after the earlier one ended (``VZL-1017``); not of a withdrawn report
        (``VZL-1016``). Reason, explanation and the all-lessons flag are the earlier report's unless given."""
        result = self._call("KlonenVerzuimmelding", message_id, Meldingnummer=meldingnummer,
                            Periode=_periode_request(periode), VermoedelijkeReden=vermoedelijke_reden,
                            Toelichting=toelichting, AlleLessenVerzuimd=alle_lessen_verzuimd,
                            Bijlagen=_bijlagen_request(bijlagen))
        return registratie(result)

    def intrekken_verzuimmelding(self, meldingnummer: str, reden: str, *, message_id: str | None = None
                                 ) -> Statuswijziging:
        """Withdraw a report that is Geregistreerd or In behandeling (``VZL-1016`` otherwise)."""
        result = self._call("IntrekkenVerzuimmelding", message_id, Meldingnummer=meldingnummer, Reden=reden)
        return Statuswijziging(str(result.Meldingnummer), str(result.Status))

    def opvragen_verzuimmelding(self, meldingnummer: str) -> Verzuimmelding:
        """One report of this school (``VZL-1012`` for any other number, another school's included)."""
        return verzuimmelding(_unwrapped(self._call("OpvragenVerzuimmelding", Meldingnummer=meldingnummer),
                                         "Verzuimmelding"))

    def synchroniseren_verzuimmeldingen(self, cursor: int = 0, pagina_grootte: int | None = None
                                        ) -> Pagina[Verzuimmelding]:
        """One page of the school's reports changed after *cursor* (each at its latest state);
        send :attr:`Pagina.cursor` next. ``pagina_grootte`` 1 to 500, the counter's default 100."""
        result = self._call("SynchroniserenVerzuimmeldingen", Cursor=cursor, PaginaGrootte=pagina_grootte)
        return Pagina(tuple(verzuimmelding(item) for item in result.Verzuimmelding or ()), int(result.Cursor),
                      bool(result.Meer))

    def ophalen_terugmeldingen(self, cursor: int = 0, pagina_grootte: int | None = None) -> Pagina[Terugmelding]:
        """One page of the municipalities' replies given after *cursor*."""
        result = self._call("OphalenTerugmeldingen", Cursor=cursor, PaginaGrootte=pagina_grootte)
        return Pagina(tuple(terugmelding(item) for item in result.Terugmelding or ()), int(result.Cursor),
                      bool(result.Meer))

    def alle_wijzigingen(self, cursor: int = 0, *, pagina_grootte: int | None = None) -> Iterator[Verzuimmelding]:
        """Every report changed after *cursor*, page after page. To resume later, keep the
        :attr:`~Verzuimmelding.wijzigingsvolgnummer` of the last report handled as the cursor."""
        yield from _follow(self.synchroniseren_verzuimmeldingen, cursor, pagina_grootte)

    def alle_terugmeldingen(self, cursor: int = 0, *, pagina_grootte: int | None = None) -> Iterator[Terugmelding]:
        """Every reply given after *cursor*, page after page; resume from the last :attr:`~Terugmelding.volgnummer`."""
        yield from _follow(self.ophalen_terugmeldingen, cursor, pagina_grootte)


def _follow(fetch: Callable[[int, int | None], Pagina[T]], cursor: int, pagina_grootte: int | None
            ) -> Iterator[T]:
    while True:
        page = fetch(cursor, pagina_grootte)
        yield from page.items
        if not page.meer or page.cursor == cursor:  # the second: never loop on a page that moves nothing
            return
        cursor = page.cursor
