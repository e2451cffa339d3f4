"""SBB White Label 2.1: what a school registers at SBB and hears back.

Placement agreements (bpv-overeenkomsten), nominations of companies for recognition
(erkenningsvoordracht) and the mutation service (Actualiseren erkenning, pull; for push see
:class:`ketenclient.MutatieOntvanger`). The methods are
part of :class:`ketenclient.SbbErkenningenClient`. The state-changing ones accept ``message_id``:
pass the MessageID of a request whose answer was lost (:attr:`ServiceClient.last_message_id`) to
resend it as a retry; the server then answers with the original reply and does the work once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BpvOvereenkomst",
    "BpvOvereenkomsten",
    "Erkenningsvoordracht",
    "Mutatie",
    "MutatiePagina",
    "Mutatieabonnement",
]


@dataclass(frozen=True)
class BpvOvereenkomst:
    """A placement agreement as SBB holds it."""

    overeenkomst_id: int
    studentnummer: str
    leerbedrijf_id: str
    crebo: str
    begindatum: dt.date
    geplande_einddatum: dt.date
    leerweg: str
    """``BOL`` or ``BBL``."""
    einddatum: dt.date | None = None
    """The actual last day, once ended."""
    reden_beeindiging: str | None = None


@dataclass(frozen=True)
class BpvOvereenkomsten:
    """One page (or all) of the school's running agreements."""

    totaal: int
    overeenkomsten: tuple[BpvOvereenkomst, ...] = ()
    vervolg_na: int | None = None
    """Pass as ``na`` for the next page; None on the last."""


@dataclass(frozen=True)
class Erkenningsvoordracht:
    referentie: str
    """``EV-`` and six or more digits."""
    status: str
    """``Ontvangen``, ``In behandeling``, ``Erkend`` or ``Afgewezen``."""
    melding: str
    leerbedrijf_id: str | None = None
    """The new company's id once ``Erkend``."""


@dataclass(frozen=True)
class Mutatieabonnement:
    abonnement_id: int
    soort: str
    ingangsdatum: dt.date
    bevestigd_tot: int
    """The highest sequence number acknowledged."""
    afleverwijze: str = "Ophalen"
    """``Ophalen`` (pull only) or ``Aanbieden`` (SBB also pushes to :attr:`afleveradres`)."""
    afleveradres: str | None = None
    """The school's own receiver (:class:`ketenclient.MutatieOntvanger`), with ``Aanbieden``."""


@dataclass(frozen=True)
class Mutatie:
    """A recognition of the company for the crebo was withdrawn or ended."""

    volgnummer: int
    leerbedrijf_id: str
    crebo: str
    soort: str
    """``ingetrokken`` or ``beeindigd``."""
    reden: str
    ingangsdatum: dt.date
    """First day the recognition no longer holds."""


@dataclass(frozen=True)
class MutatiePagina:
    mutaties: tuple[Mutatie, ...]
    meer: bool
    """More mutations follow the last one of this page."""
    bevestigd_tot: int


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def bpv_overeenkomst(value: Any) -> BpvOvereenkomst:
    return BpvOvereenkomst(int(value.OvereenkomstId), str(value.Studentnummer), str(value.LeerbedrijfId),
                           str(value.Crebo), value.Begindatum, value.GeplandeEinddatum, str(value.Leerweg),
                           value.Einddatum, _text(value.RedenBeeindiging))


def _voordracht(value: Any) -> Erkenningsvoordracht:
    return Erkenningsvoordracht(str(value.Referentie), str(value.Status), str(value.Melding or ""),
                                _text(getattr(value, "LeerbedrijfId", None)))


def _abonnement(value: Any) -> Mutatieabonnement:
    return Mutatieabonnement(int(value.AbonnementId), str(value.Soort), value.Ingangsdatum, int(value.BevestigdTot),
                             str(value.Afleverwijze), _text(value.Afleveradres))


class BpvOperations:
    """The agreement, nomination and mutation operations of :class:`SbbErkenningenClient`."""

    def _call(self, operation_name: str, message_id: str | None = None, **kwargs: Any) -> Any:
        raise NotImplementedError  # provided by ServiceClient

    def registreren_bpv_overeenkomst(
        self, studentnummer: str, leerbedrijf_id: str, crebo: str, begindatum: dt.date,
        geplande_einddatum: dt.date, leerweg: str, *, message_id: str | None = None,
    ) -> BpvOvereenkomst:
        """Register an agreement; the company must be recognised for *crebo* on *begindatum*
        (``SBB-1010`` otherwise, ``SBB-1001`` unknown company, ``SBB-1012`` end before start)."""
        result = self._call("RegistrerenBpvOvereenkomst", message_id, Studentnummer=studentnummer,
                            LeerbedrijfId=leerbedrijf_id, Crebo=crebo, Begindatum=begindatum,
                            GeplandeEinddatum=geplande_einddatum, Leerweg=leerweg)
        return bpv_overeenkomst(result.BpvOvereenkomst)

    def wijzigen_bpv_overeenkomst(
        self, overeenkomst_id: int, *, geplande_einddatum: dt.date | None = None, leerweg: str | None = None,
        message_id: str | None = None,
    ) -> BpvOvereenkomst:
        """Amend a running agreement (``SBB-1011`` not one of this school's, ``SBB-1013`` ended)."""
        result = self._call("WijzigenBpvOvereenkomst", message_id, OvereenkomstId=overeenkomst_id,
                            GeplandeEinddatum=geplande_einddatum, Leerweg=leerweg)
        return bpv_overeenkomst(result.BpvOvereenkomst)

    def beeindigen_bpv_overeenkomst(
        self, overeenkomst_id: int, einddatum: dt.date, reden: str, *, message_id: str | None = None,
    ) -> BpvOvereenkomst:
        """End a running agreement on its actual last day, with a reason."""
        result = self._call("BeeindigenBpvOvereenkomst", message_id, OvereenkomstId=overeenkomst_id,
                            Einddatum=einddatum, Reden=reden)
        return bpv_overeenkomst(result.BpvOvereenkomst)

    def opvragen_bpv_overeenkomsten(self, *, pagina_grootte: int | None = None, na: int | None = None
                                    ) -> BpvOvereenkomsten:
        """The school's running agreements: all, or one page after agreement id *na*."""
        result = self._call("OpvragenBpvOvereenkomsten", PaginaGrootte=pagina_grootte, NaOvereenkomstId=na)
        return BpvOvereenkomsten(int(result.Totaal),
                                 tuple(bpv_overeenkomst(a) for a in result.BpvOvereenkomst or ()),
                                 None if result.VervolgNa is None else int(result.VervolgNa))

    def indienen_erkenningsvoordracht(
        self, naam: str, *, straat: str, huisnummer: int, postcode: str, plaats: str, kvk_nummer: str,
        crebo: str, contact_naam: str, contact_functie: str, contact_telefoon: str | None = None,
        contact_email: str | None = None, huisnummer_toevoeging: str | None = None, landcode: str = "NL",
        message_id: str | None = None,
    ) -> Erkenningsvoordracht:
        """Nominate a company for recognition; keep :attr:`Erkenningsvoordracht.referentie`."""
        result = self._call(
            "IndienenErkenningsvoordracht", message_id, Naam=naam,
            Vestigingsadres={"Straat": straat, "Huisnummer": huisnummer, "HuisnummerToevoeging": huisnummer_toevoeging,
                             "Postcode": postcode, "Plaats": plaats, "Landcode": landcode},
            KvkNummer=kvk_nummer, Crebo=crebo,
            Contactpersoon={"Naam": contact_naam, "Functie": contact_functie, "Telefoon": contact_telefoon,
                            "Email": contact_email},
        )
        return _voordracht(result)

    def opvragen_status_erkenningsvoordracht(self, referentie: str) -> Erkenningsvoordracht:
        """The status of a nomination this school submitted (``SBB-1015`` otherwise)."""
        return _voordracht(self._call("OpvragenStatusErkenningsvoordracht", Referentie=referentie))

    def aanmelden_mutatieabonnement(self, *, afleveradres: str | None = None, message_id: str | None = None
                                    ) -> Mutatieabonnement:
        """Subscribe to recognition mutations; subscribing again returns the running subscription.

        With *afleveradres* (the https URL of the school's :class:`ketenclient.MutatieOntvanger`)
        SBB also offers each mutation there, signed and in order, until the receiver acknowledges it.
        """
        return _abonnement(self._call("AanmeldenMutatieabonnement", message_id,
                                      Afleveradres=afleveradres).Mutatieabonnement)

    def wijzigen_mutatieabonnement(self, afleveradres: str | None, *, message_id: str | None = None
                                   ) -> Mutatieabonnement:
        """Push mutations to *afleveradres* from now on, or (None) only pull them (``SBB-1016``, ``SBB-1018``)."""
        return _abonnement(self._call("WijzigenMutatieabonnement", message_id,
                                      Afleveradres=afleveradres).Mutatieabonnement)

    def opvragen_abonnementen(self) -> tuple[Mutatieabonnement, ...]:
        """The school's running subscriptions."""
        return tuple(_abonnement(a) for a in self._call("OpvragenAbonnementen").Mutatieabonnement or ())

    def ophalen_mutaties(self, *, na: int | None = None, pagina_grootte: int | None = None) -> MutatiePagina:
        """Mutations after sequence number *na* (default: what was acknowledged), in order."""
        result = self._call("OphalenMutaties", NaVolgnummer=na, PaginaGrootte=pagina_grootte)
        return MutatiePagina(
            tuple(Mutatie(int(m.Volgnummer), str(m.LeerbedrijfId), str(m.Crebo), str(m.Soort), str(m.Reden),
                          m.Ingangsdatum) for m in result.Mutatie or ()),
            bool(result.Meer), int(result.BevestigdTot))

    def alle_mutaties(self, *, na: int | None = None) -> Iterator[Mutatie]:
        """Every mutation after *na*, page after page (acknowledge with :meth:`bevestigen_mutaties`)."""
        while True:
            page = self.ophalen_mutaties(na=na, pagina_grootte=100)
            yield from page.mutaties
            if not page.meer or not page.mutaties:
                return
            na = page.mutaties[-1].volgnummer

    def bevestigen_mutaties(self, tot_en_met: int, *, message_id: str | None = None) -> int:
        """Acknowledge every mutation up to and including *tot_en_met*; returns the new position."""
        return int(self._call("BevestigenMutaties", message_id, TotEnMetVolgnummer=tot_en_met).BevestigdTot)
