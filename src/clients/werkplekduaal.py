"""Werkplekduaal, the Flemish dual-learning counter: agreements, trajectories, recognition
requests, dashboard tasks and the search for workplaces.

Contract: ``wsdl/werkplekduaal.wsdl`` and ``xsd/werkplekduaal.xsd`` (namespace
``urn:ketenserver:werkplekduaal:02.00``), profile MAGDA (``https://host/werkplekduaal/MAGDA``):
mutual TLS and a signed Body and Timestamp (:class:`~ketenclient.MagdaSignature`), no
WS-Addressing. Every request is a MAGDA ``Verzoek``: a ``Context`` (the operation's name, version
02.00.0000, a ``Bericht`` of type VRAAG with the Belgian date and time and the ``Afzender``: the
caller's KBO enterprise number from its certificate, a unique ``Referte`` and the capacity it acts
in) and one ``Vraag`` with its own Referte. :class:`MagdaMessages` builds that Context and checks
the ``Repliek``; the client only maps values (:mod:`ketenclient.werkplekduaal_models`).

The reply is used only when its ``Context/Bericht/Ontvanger`` names this caller and this request's
Referte and its ``Antwoord`` this Vraag's Referte (the MAGDA counterpart of ``wsa:RelatesTo``);
otherwise :class:`~ketenclient.ResponseNotTrusted`. A refusal (an ``Uitzondering`` of type FOUT,
in the Antwoord or, for the Context itself, in the Repliek) raises
:class:`~ketenclient.ClientFault` with the counter's code (``WPD-10xx``) and the element in
``field``.

Retries: the state-changing methods take ``referte``. Without it a fresh one is drawn; pass the
:attr:`WerkplekduaalClient.last_referte` of a request whose answer was lost to send it again. The
counter answers a retry with its original Repliek only when the Body is the same message, so the
client resends the Tijdstip and Vraag Referte it sent the first time: it keeps them for its last
:data:`KEPT_REQUESTS` state-changing requests (any thread). Asking it to resend a kept Referte with
other content raises :class:`~ketenclient.RequestNotValid` and sends nothing; a Referte it does not
keep (another process, an older one) goes out as given with a fresh Tijdstip, which the counter
refuses if it already used that Referte for another Body.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from .base import ServiceClient, profile_security
from .credentials import Credentials
from .errors import ClientFault, KetenClientError, RequestNotValid, ResponseNotTrusted
from .security import MagdaSignature
from .verzuim_models import Pagina
from .werkplekduaal_models import (
    AanvraagStatus,
    Aanvraagstatus,
    Addendum,
    Addendumstatus,
    Adres,
    Afhandeling,
    Beeindiging,
    Beslissing,
    Document,
    Erkenning,
    Erkenningsaanvraag,
    Erkenningsstatus,
    Hoedanigheid,
    Leerling,
    LeertrajectBevestiging,
    Lesdag,
    Mentor,
    Overeenkomst,
    OvereenkomstGegevens,
    Overeenkomstsoort,
    Overeenkomststatus,
    Partnerschap,
    Provincie,
    Taak,
    Taakoptie,
    Taaksoort,
    Taakstatus,
    Takenpagina,
    Uurrooster,
    Weekdag,
    Werkplaats,
    Werkplek,
    Werkplekkenpagina,
    Wijziging,
)

__all__ = ["KEPT_REQUESTS", "VERSION", "MagdaMessages", "Verzonden", "WerkplekduaalClient"]

VERSION = "02.00.0000"
"""``Context/Versie``: the contract version this client speaks."""
KEPT_REQUESTS = 256
"""How many state-changing requests a client keeps to resend identically."""

_KBO = re.compile(r"[01][0-9]{9}")
_REFERTE = re.compile(r"[A-Za-z0-9._:\-]{1,64}")

Clock = Callable[[], dt.datetime]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@functools.cache
def _belgian_time() -> ZoneInfo:
    return ZoneInfo("Europe/Brussels")


def _new_referte() -> str:
    return uuid.uuid4().hex


# -- the MAGDA envelope of every question ------------------------------------------------------------


@dataclass(frozen=True)
class Verzonden:
    """What one Verzoek carried: enough to check its Repliek, and to send it again unchanged."""

    operation: str
    referte: str
    """``Afzender/Referte``: the message's identity."""
    vraag_referte: str
    hoedanigheid: Hoedanigheid
    datum: dt.date
    tijd: dt.time
    """Belgian time, whole seconds."""
    inhoud: dict[str, Any]
    """The ``Vraag/Inhoud`` as handed to zeep."""

    def verzoek(self, sender: str) -> dict[str, Any]:
        """The ``Verzoek`` children for zeep."""
        return {
            "Context": {
                "Naam": self.operation, "Versie": VERSION,
                "Bericht": {
                    "Type": "VRAAG", "Tijdstip": {"Datum": self.datum, "Tijd": self.tijd},
                    "Afzender": {"Identificatie": sender, "Referte": self.referte,
                                 "Hoedanigheid": str(self.hoedanigheid)},
                },
            },
            "Vragen": {"Vraag": {"Referte": self.vraag_referte, "Inhoud": self.inhoud}},
        }


class _PerThread(threading.local):
    referte: str | None = None


class MagdaMessages:
    """Builds each Verzoek for one sender and checks each Repliek; keeps the state-changing
    requests sent (the last ``keep``, shared by all threads) so that a retry resends the same
    message. :attr:`last_referte` is per thread."""

    def __init__(self, sender: str, *, clock: Clock = _utcnow, keep: int = KEPT_REQUESTS) -> None:
        if not _KBO.fullmatch(sender):
            raise ValueError(f"{sender!r} is not a KBO enterprise number (10 digits, first 0 or 1): a MAGDA "
                             "certificate carries the organisation's KBO number in its subject serialNumber")
        self.sender = sender
        self._clock = clock
        self._keep = keep
        self._sent: OrderedDict[str, Verzonden] = OrderedDict()
        self._lock = threading.Lock()
        self._thread = _PerThread()

    @property
    def last_referte(self) -> str | None:
        """The Referte of this thread's last request: log it, or pass it again to retry."""
        return self._thread.referte

    def vraag(self, operation: str, inhoud: dict[str, Any], *, hoedanigheid: Hoedanigheid,
              referte: str | None = None, keep: bool = False) -> Verzonden:
        """The request to send: a new one, or (``referte`` of a kept request) that request again.

        ``keep`` marks a state-changing request, kept for a retry.
        """
        hoedanigheid = Hoedanigheid(hoedanigheid)
        if referte is not None and not _REFERTE.fullmatch(referte):
            raise RequestNotValid(f"{operation}: a Referte is 1 to 64 letters, digits and . _ : -", field="Referte")
        with self._lock:
            earlier = self._sent.get(referte) if referte is not None else None
        if earlier is not None:
            if (earlier.operation, earlier.hoedanigheid, earlier.inhoud) != (operation, hoedanigheid, inhoud):
                raise RequestNotValid(f"{operation}: Referte {referte} was sent as another message "
                                      f"({earlier.operation}); a retry must repeat it unchanged", field="Referte")
            sent = earlier
        else:
            local = self._clock().astimezone(_belgian_time())
            sent = Verzonden(operation, referte or _new_referte(), _new_referte(), hoedanigheid, local.date(),
                             local.time().replace(microsecond=0, tzinfo=None), inhoud)
        if keep:
            with self._lock:
                self._sent[sent.referte] = sent
                self._sent.move_to_end(sent.referte)
                while len(self._sent) > self._keep:
                    self._sent.popitem(last=False)
        self._thread.referte = sent.referte
        return sent

    def inhoud(self, result: Any, sent: Verzonden, *, may_be_empty: bool = False) -> Any:
        """The ``Antwoord/Inhoud`` of zeep's reply to ``sent``, after the reply was matched to it.

        ``may_be_empty``: the Inhoud's type has only optional children (an empty list), which zeep
        reads as None; then None is returned for it instead of refusing the reply.
        Raises :class:`ResponseNotTrusted` for a reply to another request, :class:`ClientFault`
        for an Uitzondering of type FOUT.
        """
        repliek = _unwrapped(result, "Repliek")
        context: Any = getattr(repliek, "Context", None)
        bericht: Any = getattr(context, "Bericht", None)
        ontvanger: Any = getattr(bericht, "Ontvanger", None)
        if (ontvanger is None or _text(ontvanger.Referte) != sent.referte
                or _text(ontvanger.Identificatie) != self.sender or _text(bericht.Type) != "ANTWOORD"
                or _text(context.Naam) != sent.operation):
            raise ResponseNotTrusted(f"{sent.operation}: the reply's Context/Bericht/Ontvanger does not name this "
                                     f"request (Referte {sent.referte}); it was not used")
        antwoord = getattr(repliek.Antwoorden, "Antwoord", None) if repliek.Antwoorden is not None else None
        _refuse(repliek.Uitzonderingen, always=antwoord is None)
        if antwoord is None:
            raise KetenClientError(f"{sent.operation}: the reply holds neither an Antwoord nor an Uitzondering")
        if _text(antwoord.Referte) != sent.vraag_referte:
            raise ResponseNotTrusted(f"{sent.operation}: the reply's Antwoord answers another Vraag; it was not used")
        _refuse(antwoord.Uitzonderingen, always=antwoord.Inhoud is None)
        if antwoord.Inhoud is None and not may_be_empty:
            raise KetenClientError(f"{sent.operation}: the Antwoord holds neither an Inhoud nor an Uitzondering")
        return antwoord.Inhoud


def _refuse(uitzonderingen: Any, *, always: bool) -> None:
    """Raise the first Uitzondering of type FOUT (or, when ``always``, the first of any type)."""
    items = _items(uitzonderingen, "Uitzondering")
    chosen = next((u for u in items if _text(u.Type) == "FOUT"), items[0] if always and items else None)
    if chosen is not None:
        raise ClientFault(str(chosen.Diagnose), code=str(chosen.Identificatie), faultcode="Client",
                          field=_text(chosen.Veld))


# -- requests: plain values to the contract's element names ---------------------------------------


def document_request(document: Document) -> dict[str, Any]:
    return {"Bestandsnaam": document.bestandsnaam, "Inhoud": document.inhoud}


def _leerling_request(leerling: Leerling) -> dict[str, Any]:
    return {"Rijksregisternummer": leerling.rijksregisternummer, "Voornaam": leerling.voornaam,
            "Naam": leerling.naam, "Geboortedatum": leerling.geboortedatum}


def _werkplaats_request(werkplaats: Werkplaats) -> dict[str, Any]:
    return {"Ondernemingsnummer": werkplaats.ondernemingsnummer, "Vestigingsnummer": werkplaats.vestigingsnummer}


def _uurrooster_request(uurrooster: Uurrooster) -> dict[str, Any]:
    if not uurrooster:
        raise RequestNotValid("an Uurrooster holds at least one Lesdag", field="Uurrooster")
    return {"Lesdag": [{"Weekdag": str(dag.weekdag), "Uren": dag.uren} for dag in uurrooster]}


def overeenkomst_request(gegevens: OvereenkomstGegevens) -> dict[str, Any]:
    """The ``OvereenkomstGegevens`` of RegistreerOvereenkomst."""
    return {
        "Soort": str(gegevens.soort), "Leerling": _leerling_request(gegevens.leerling),
        "Werkplaats": _werkplaats_request(gegevens.werkplaats), "Opleiding": gegevens.opleiding,
        "Mentor": gegevens.mentor, "Startdatum": gegevens.startdatum, "Einddatum": gegevens.einddatum,
        "UrenPerWeek": gegevens.uren_per_week, "Leervergoeding": gegevens.leervergoeding,
        "Uurrooster": _uurrooster_request(gegevens.uurrooster),
    }


def wijziging_request(overeenkomstnummer: str, *, vestigingsnummer: str | None = None, mentor: str | None = None,
                      einddatum: dt.date | None = None, uren_per_week: Decimal | None = None,
                      leervergoeding: Decimal | None = None, uurrooster: Uurrooster | None = None
                      ) -> dict[str, Any]:
    """The ``OvereenkomstWijziging`` of WijzigOvereenkomst: only what changes."""
    return {
        "Overeenkomstnummer": overeenkomstnummer, "Vestigingsnummer": vestigingsnummer, "Mentor": mentor,
        "Einddatum": einddatum, "UrenPerWeek": uren_per_week, "Leervergoeding": leervergoeding,
        "Uurrooster": None if uurrooster is None else _uurrooster_request(uurrooster),
    }


def _mentor_request(mentor: Mentor) -> dict[str, Any]:
    uittreksel = mentor.strafregisteruittreksel
    return {
        "Rijksregisternummer": mentor.rijksregisternummer, "Voornaam": mentor.voornaam, "Naam": mentor.naam,
        "Geboortedatum": mentor.geboortedatum, "JarenErvaring": mentor.jaren_ervaring,
        "RelevanteVooropleiding": mentor.relevante_vooropleiding,
        "Strafregisteruittreksel": None if uittreksel is None else {
            "Model": uittreksel.model, "Afgiftedatum": uittreksel.afgiftedatum,
            "Document": document_request(uittreksel.document)},
        "EngagementMentoropleiding": mentor.engagement_mentoropleiding,
    }


def erkenningsaanvraag_request(aanvraag: Erkenningsaanvraag) -> dict[str, Any]:
    """The ``Erkenningsaanvraag`` of DienErkenningsaanvraagIn."""
    return {
        "Werkplaats": _werkplaats_request(aanvraag.werkplaats), "Opleiding": aanvraag.opleiding,
        "Machtiging": None if aanvraag.machtiging is None else document_request(aanvraag.machtiging),
        "VerklaringOpEer": {"Versie": aanvraag.verklaring_op_eer.versie,
                            "Document": document_request(aanvraag.verklaring_op_eer.document)},
        "Mentoren": {"Mentor": [_mentor_request(m) for m in aanvraag.mentoren]},
    }


def taakafhandeling_request(taaknummer: str, optie: Taakoptie | str, *, einddatum: dt.date | None = None,
                            reden: str | None = None, ondertekend_document: Document | None = None
                            ) -> dict[str, Any]:
    """The ``TaakAfhandeling`` of HandelTaakAf."""
    return {"Taaknummer": taaknummer, "Optie": str(optie), "Einddatum": einddatum, "Reden": reden,
            "OndertekendDocument": None if ondertekend_document is None else document_request(ondertekend_document)}


def zoekvraag_request(opleiding: str, *, provincie: Provincie | str | None = None, postcode: str | None = None,
                      vervolg: str | None = None) -> dict[str, Any]:
    """The ``WerkplekZoekvraag`` of ZoekWerkplekken."""
    return {"Opleiding": opleiding, "Provincie": None if provincie is None else str(provincie),
            "Postcode": postcode, "Vervolg": vervolg}


# -- responses: zeep's objects (element names as in the contract) to plain values -------------------


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _items(container: Any, name: str) -> list[Any]:
    return list(getattr(container, name, None) or ()) if container is not None else []


def _unwrapped(value: Any, name: str) -> Any:
    """zeep returns the only child of a one-child response element instead of the element itself."""
    return getattr(value, name) if hasattr(value, name) else value


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _werkplaats(value: Any) -> Werkplaats:
    return Werkplaats(str(value.Ondernemingsnummer), str(value.Vestigingsnummer))


def _adres(value: Any) -> Adres:
    return Adres(str(value.Straat), str(value.Huisnummer), str(value.Postcode), str(value.Gemeente),
                 _text(value.Bus))


def _gegevens(value: Any) -> OvereenkomstGegevens:
    leerling = value.Leerling
    return OvereenkomstGegevens(
        soort=Overeenkomstsoort(value.Soort),
        leerling=Leerling(str(leerling.Rijksregisternummer), str(leerling.Voornaam), str(leerling.Naam),
                          leerling.Geboortedatum),
        werkplaats=_werkplaats(value.Werkplaats), opleiding=str(value.Opleiding), mentor=str(value.Mentor),
        startdatum=value.Startdatum, einddatum=value.Einddatum, uren_per_week=_decimal(value.UrenPerWeek),
        uurrooster=tuple(Lesdag(Weekdag(d.Weekdag), _decimal(d.Uren)) for d in _items(value.Uurrooster, "Lesdag")),
        leervergoeding=None if value.Leervergoeding is None else _decimal(value.Leervergoeding),
    )


def _addendum(value: Any) -> Addendum:
    return Addendum(str(value.Addendumnummer), Addendumstatus(value.Status), value.Aangemaakt,
                    tuple(Wijziging(str(w.Veld), str(w.Oud), str(w.Nieuw))
                          for w in _items(value.Wijzigingen, "Wijziging")))


def overeenkomst(value: Any) -> Overeenkomst:
    """Map a zeep ``Overeenkomst`` object."""
    einde = value.Beeindiging
    return Overeenkomst(str(value.Overeenkomstnummer), Overeenkomststatus(value.Status), _gegevens(value.Gegevens),
                        None if einde is None else Beeindiging(einde.Einddatum, str(einde.Reden)),
                        tuple(_addendum(a) for a in value.Addendum or ()))


def leertraject_bevestiging(value: Any) -> LeertrajectBevestiging:
    """Map a zeep ``LeertrajectBevestiging`` object."""
    return LeertrajectBevestiging(str(value.Trajectnummer), value.RegistratieUiterlijk)


def aanvraag_status(value: Any) -> AanvraagStatus:
    """Map a zeep ``AanvraagStatus`` object."""
    beslissing, erkenning = value.Beslissing, value.Erkenning
    return AanvraagStatus(
        aanvraagnummer=str(value.Aanvraagnummer), status=Aanvraagstatus(value.Status),
        werkplaats=_werkplaats(value.Werkplaats), opleiding=str(value.Opleiding),
        partnerschap=Partnerschap(str(value.Partnerschap.Code), str(value.Partnerschap.Naam)),
        ingediend=value.Ingediend, beslissing_uiterlijk=value.BeslissingUiterlijk,
        beslissing=None if beslissing is None else Beslissing(Aanvraagstatus(beslissing.Uitkomst), beslissing.Datum,
                                                              _text(beslissing.Reden)),
        erkenning=None if erkenning is None else Erkenning(
            str(erkenning.Erkenningsnummer), str(erkenning.Vestigingsnummer), str(erkenning.Opleiding),
            erkenning.GeldigVan, erkenning.GeldigTot, Erkenningsstatus(erkenning.Status), int(erkenning.Plaatsen)),
    )


def taak(value: Any) -> Taak:
    """Map a zeep ``Taak`` object."""
    afhandeling = value.Afhandeling
    return Taak(
        taaknummer=str(value.Taaknummer), volgnummer=int(value.Volgnummer), soort=Taaksoort(value.Soort),
        status=Taakstatus(value.Status), aangemaakt=value.Aangemaakt,
        opties=tuple(Taakoptie(o) for o in _items(value.Opties, "Optie")),
        overeenkomstnummer=_text(value.Overeenkomstnummer), trajectnummer=_text(value.Trajectnummer),
        nieuw_adres=None if value.NieuwAdres is None else _adres(value.NieuwAdres),
        addendum=None if value.Addendum is None else _addendum(value.Addendum),
        afhandeling=None if afhandeling is None else Afhandeling(Taakoptie(afhandeling.Optie), afhandeling.Datum),
    )


def takenpagina(value: Any) -> Takenpagina:
    """Map a zeep ``Takenlijst`` object."""
    return Pagina(tuple(taak(t) for t in value.Taak or ()), int(value.VolgendeCursor), bool(value.Meer))


def werkplekkenpagina(value: Any) -> Werkplekkenpagina:
    """Map a zeep ``Werkplekken`` object."""
    return Werkplekkenpagina(
        tuple(Werkplek(_werkplaats(w.Werkplaats), str(w.Naam), _adres(w.Adres), str(w.Opleiding),
                       int(w.VrijePlaatsen), w.ErkendTot) for w in value.Werkplek or ()),
        _text(value.Vervolg))


# -- the client --------------------------------------------------------------------------------------

COUNTER_KBO = "0316200006"
"""The counter's KBO enterprise number: the Afzender of its replies and the signer's serialNumber."""


class WerkplekduaalClient(ServiceClient):
    """Client of the Flemish dual-learning counter, e.g. ``https://host/werkplekduaal/MAGDA``.

    ``hoedanigheid`` is the capacity the caller acts in for agreements, trajectories, tasks and
    workplaces (OPLEIDINGSVERSTREKKER); the recognition-request methods act as TRAJECTBEGELEIDER
    unless told otherwise. ``server_oin`` pins the KBO number in the reply signer's certificate:
    by default the counter's own, ``0316200006`` (the counter signs as itself); None accepts any
    trusted signer. Refusals arrive as :class:`~ketenclient.ClientFault` with the code
    (``WPD-10xx``) and the element in ``field``.
    """

    def __init__(
        self,
        endpoint: str,
        credentials: Credentials,
        *,
        timeout: float = 30,
        server_oin: str | None = COUNTER_KBO,
        hoedanigheid: Hoedanigheid = Hoedanigheid.OPLEIDINGSVERSTREKKER,
    ) -> None:
        if profile_security(endpoint) is not MagdaSignature:
            raise ValueError(f"{endpoint!r}: the werkplekduaal counter speaks profile MAGDA only "
                             "(an endpoint ending in /MAGDA)")
        messages = MagdaMessages(credentials.oin)  # refuses a certificate without a KBO number, before connecting
        super().__init__(endpoint, credentials, timeout=timeout, server_oin=server_oin)
        self.hoedanigheid = Hoedanigheid(hoedanigheid)
        self.messages = messages

    @property
    def last_referte(self) -> str | None:
        """The ``Afzender/Referte`` of this thread's last request: log it, or pass it as
        ``referte`` to send a state-changing request again after its answer was lost."""
        return self.messages.last_referte

    def _ask(self, operation: str, inhoud: dict[str, Any], *, hoedanigheid: Hoedanigheid | None = None,
             referte: str | None = None, keep: bool = False, may_be_empty: bool = False) -> Any:
        sent = self.messages.vraag(operation, inhoud, hoedanigheid=hoedanigheid or self.hoedanigheid,
                                   referte=referte, keep=keep)
        result = self._call(operation, None, Verzoek=sent.verzoek(self.messages.sender))
        return self.messages.inhoud(result, sent, may_be_empty=may_be_empty)

    # agreements

    def registreer_overeenkomst(self, gegevens: OvereenkomstGegevens, *, referte: str | None = None
                                ) -> Overeenkomst:
        """Register an agreement of a student with a workplace recognised for the opleiding on the start date."""
        return overeenkomst(self._ask("RegistreerOvereenkomst", overeenkomst_request(gegevens), referte=referte,
                                      keep=True))

    def wijzig_overeenkomst(
        self, overeenkomstnummer: str, *, vestigingsnummer: str | None = None, mentor: str | None = None,
        einddatum: dt.date | None = None, uren_per_week: Decimal | None = None,
        leervergoeding: Decimal | None = None, uurrooster: Uurrooster | None = None, referte: str | None = None,
    ) -> Overeenkomst:
        """Amend an agreement; only the values given change. A change of a confirmed term
        (establishment, end date, hours, allowance) makes an addendum and an ADDENDUM task."""
        inhoud = wijziging_request(overeenkomstnummer, vestigingsnummer=vestigingsnummer, mentor=mentor,
                                   einddatum=einddatum, uren_per_week=uren_per_week, leervergoeding=leervergoeding,
                                   uurrooster=uurrooster)
        return overeenkomst(self._ask("WijzigOvereenkomst", inhoud, referte=referte, keep=True))

    def beeindig_overeenkomst(self, overeenkomstnummer: str, einddatum: dt.date, reden: str, *,
                              referte: str | None = None) -> Overeenkomst:
        """End an agreement early."""
        inhoud = {"Overeenkomstnummer": overeenkomstnummer, "Einddatum": einddatum, "Reden": reden}
        return overeenkomst(self._ask("BeeindigOvereenkomst", inhoud, referte=referte, keep=True))

    def geef_overeenkomsten(self, *, rijksregisternummer: str | None = None,
                            status: Overeenkomststatus | None = None) -> tuple[Overeenkomst, ...]:
        """This provider's agreements, optionally of one student or in one status."""
        inhoud = {"Rijksregisternummer": rijksregisternummer, "Status": None if status is None else str(status)}
        result = self._ask("GeefOvereenkomsten", inhoud, may_be_empty=True)
        return tuple(overeenkomst(o) for o in _items(result, "Overeenkomst"))

    def registreer_leertraject(self, leerling: Leerling, opleiding: str, startdatum: dt.date, *,
                               referte: str | None = None) -> LeertrajectBevestiging:
        """Register a student's dual trajectory; an agreement must follow by the date answered."""
        inhoud = {"Leerling": _leerling_request(leerling), "Opleiding": opleiding, "Startdatum": startdatum}
        return leertraject_bevestiging(self._ask("RegistreerLeertraject", inhoud, referte=referte, keep=True))

    # recognition requests

    def dien_erkenningsaanvraag_in(self, aanvraag: Erkenningsaanvraag, *, referte: str | None = None,
                                   hoedanigheid: Hoedanigheid = Hoedanigheid.TRAJECTBEGELEIDER) -> AanvraagStatus:
        """File a recognition request on a company's behalf; it is assigned to a partnership at once."""
        return aanvraag_status(self._ask("DienErkenningsaanvraagIn", erkenningsaanvraag_request(aanvraag),
                                         hoedanigheid=hoedanigheid, referte=referte, keep=True))

    def geef_erkenningsaanvraag(self, aanvraagnummer: str, *,
                                hoedanigheid: Hoedanigheid = Hoedanigheid.TRAJECTBEGELEIDER) -> AanvraagStatus:
        """Where a request this organisation filed stands (another's is answered as unknown)."""
        return aanvraag_status(self._ask("GeefErkenningsaanvraag", {"Aanvraagnummer": aanvraagnummer},
                                         hoedanigheid=hoedanigheid))

    # tasks

    def geef_taken(self, cursor: int = 0) -> Takenpagina:
        """One page (at most 100) of the tasks created or changed after *cursor*; send
        :attr:`Pagina.cursor` next."""
        return takenpagina(self._ask("GeefTaken", {"Cursor": cursor}))

    def alle_taken(self, cursor: int = 0) -> Iterator[Taak]:
        """Every task changed after *cursor*, page after page; resume from the last :attr:`Taak.volgnummer`."""
        while True:
            page = self.geef_taken(cursor)
            yield from page.items
            if not page.meer or page.cursor == cursor:  # the second: never loop on a page that moves nothing
                return
            cursor = page.cursor

    def handel_taak_af(self, taaknummer: str, optie: Taakoptie, *, einddatum: dt.date | None = None,
                       reden: str | None = None, ondertekend_document: Document | None = None,
                       referte: str | None = None) -> Taak:
        """Resolve a task with one of its options: BEEINDIGEN with einddatum and reden, REGISTREREN
        with the signed addendum, STOPZETTEN with reden, AANPASSEN (the agreement moves)."""
        inhoud = taakafhandeling_request(taaknummer, optie, einddatum=einddatum, reden=reden,
                                         ondertekend_document=ondertekend_document)
        return taak(self._ask("HandelTaakAf", inhoud, referte=referte, keep=True))

    # workplaces

    def zoek_werkplekken(self, opleiding: str, *, provincie: Provincie | None = None, postcode: str | None = None,
                         vervolg: str | None = None) -> Werkplekkenpagina:
        """One page (at most 25) of recognised workplaces with room for *opleiding*, by province or
        postcode; pass the page's :attr:`~Werkplekkenpagina.vervolg` for the next."""
        inhoud = zoekvraag_request(opleiding, provincie=provincie, postcode=postcode, vervolg=vervolg)
        result = self._ask("ZoekWerkplekken", inhoud, may_be_empty=True)
        return Werkplekkenpagina(()) if result is None else werkplekkenpagina(result)

    def alle_werkplekken(self, opleiding: str, *, provincie: Provincie | None = None,
                         postcode: str | None = None) -> Iterator[Werkplek]:
        """Every matching workplace, following Vervolg page after page."""
        vervolg: str | None = None
        seen: set[str] = set()
        while True:
            page = self.zoek_werkplekken(opleiding, provincie=provincie, postcode=postcode, vervolg=vervolg)
            yield from page.werkplekken
            if page.vervolg is None or page.vervolg in seen:  # never loop on a token that comes back
                return
            seen.add(page.vervolg)
            vervolg = page.vervolg

