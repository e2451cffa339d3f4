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

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from .base import ServiceClient
from .verzuim_models import (
    Behandelaar,
    Bijlage,
    BijlageGegevens,
    Dagspecificatie,
    Gemeente,
    Intrekking,
    Leerling,
    Melder,
    NieuweVerzuimmelding,
    Pagina,
    Periode,
    Registratie,
    Statuswijziging,
    Terugmelding,
    Verzuimdag,
    Verzuimmelding,
    Woonadres,
)

__all__ = ["VerzuimloketClient"]

T = TypeVar("T")

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
        toelichting_actie=_text(value.ToelichtingActie), bijlagen=_bijlagen(value.OntvangenBijlagen),
        verzuimdagen=tuple(_verzuimdag(d) for d in _items(specificatie.Verzuimdagen, "Verzuimdag")),
        intrekking=None if intrekking is None else Intrekking(str(intrekking.Reden), intrekking.Tijdstip),
        terugmeldingen=tuple(terugmelding(t) for t in _items(value.Terugmeldingen, "Terugmelding")),
    )


def registratie(value: Any) -> Registratie:
    """Map zeep's ``IndienenVerzuimmeldingResponse`` or ``KlonenVerzuimmeldingResponse``."""
    return Registratie(str(value.Meldingnummer), str(value.Status), value.Geregistreerd, _gemeente(value.Gemeente),
                       _bijlagen(value.OntvangenBijlagen), _text(getattr(value, "VorigMeldingnummer", None)))


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
        return Pagina(tuple(verzuimmelding(item) for item in result.Verzuimmelding or ()),
                      int(result.VolgendeCursor), bool(result.Meer))

    def ophalen_terugmeldingen(self, cursor: int = 0, pagina_grootte: int | None = None) -> Pagina[Terugmelding]:
        """One page of the municipalities' replies given after *cursor*."""
        result = self._call("OphalenTerugmeldingen", Cursor=cursor, PaginaGrootte=pagina_grootte)
        return Pagina(tuple(terugmelding(item) for item in result.Terugmelding or ()),
                      int(result.VolgendeCursor), bool(result.Meer))

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
