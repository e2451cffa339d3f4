"""The SBB White Label 2.1 recognitions service: wire in, domain, wire out.

Every operation has the same shape: read the :class:`~ketenserver.context.CallContext`, map
the request to domain values, call :mod:`~ketenserver.recognitions.domain` (its errors
propagate to the pipeline, see :mod:`ketenserver.soap`), map the result back. Operations are declared
document/literal *bare*: the Body element of a request is the ``@rpc`` argument itself, named
and namespaced as in ``xsd/sbb-erkenningen.xsd``; spyne dispatches on that element's QName.
"""

from __future__ import annotations

import functools
from typing import Any

from spyne import ServiceBase

from ketenserver.recognitions import agreements, bpv_storage, domain, search, storage, wire
from ketenserver.soap import call_context


def _query(request: Any) -> domain.IdentifyQuery:
    return domain.IdentifyQuery(
        name=request.Naam or "",
        postcode=request.Postcode or "",
        house_number=request.Huisnummer,
        house_number_suffix=request.HuisnummerToevoeging,
    )


def _adres(address: domain.Address) -> Any:
    return wire.models().Adres(
        Straat=address.street,
        Huisnummer=address.house_number,
        HuisnummerToevoeging=address.house_number_suffix,
        Postcode=address.postcode,
        Plaats=address.place,
        Landcode=address.country_code,
    )


def _erkenning(recognition: domain.Recognition) -> Any:
    return wire.models().Erkenning(
        Crebo=recognition.crebo,
        Omschrijving=recognition.qualification_name,
        Niveau=recognition.level,
        Begindatum=recognition.start,
        Einddatum=recognition.last_day,
    )


def _leerbedrijf(match: domain.Match) -> Any:
    company = match.company
    return wire.models().Leerbedrijf(
        LeerbedrijfId=company.leerbedrijf_id,
        Naam=company.name,
        KvkNummer=company.kvk_number,
        KvkVestigingsnummer=company.kvk_establishment,
        Vestigingsadres=_adres(company.address),
        Erkend=match.recognised,
        Erkenningen=wire.models().Erkenningen(Erkenning=[_erkenning(r) for r in match.current]),
    )


def identification_response(result: domain.Identification) -> Any:
    """A ``VaststellenLeerbedrijfResponse`` of a domain result."""
    return wire.models().VaststellenLeerbedrijfResponse(
        Signaalcode=int(result.signaalcode),
        Melding=result.melding,
        Leerbedrijf=[_leerbedrijf(m) for m in result.matches],
    )


def verification_response(result: domain.Verification) -> Any:
    """A ``NatrekkenErkenningResponse`` of a domain result."""
    recognition = result.recognition
    return wire.models().NatrekkenErkenningResponse(
        Signaalcode=int(result.signaalcode),
        Melding=result.melding,
        Erkend=result.recognised,
        Begindatum=None if recognition is None else recognition.start,
        Einddatum=None if recognition is None else recognition.last_day,
    )


def _contactpersoon(contact: domain.ContactPerson) -> Any:
    return wire.models().Contactpersoon(Naam=contact.name, Functie=contact.role, Telefoon=contact.phone,
                               Email=contact.email)


def details_response(result: domain.CompanyDetails, on: Any) -> Any:
    """A ``OpvragenDetailgegevensResponse`` of a domain result (recognised on *on*)."""
    company = result.company
    postal = result.postal_address
    return wire.models().OpvragenDetailgegevensResponse(
        Signaalcode=0,
        Melding="Detailgegevens van het leerbedrijf.",
        Leerbedrijfgegevens=wire.models().Leerbedrijfgegevens(
            LeerbedrijfId=company.leerbedrijf_id,
            Naam=company.name,
            KvkNummer=company.kvk_number,
            KvkVestigingsnummer=company.kvk_establishment,
            Vestigingsadres=_adres(company.address),
            Postadres=None if postal is None else _adres(postal),
            Telefoon=company.phone,
            Email=company.email,
            Website=company.website,
            Grootteklasse=company.size_class,
            SbiCode=company.sbi_code,
            AantalStageplaatsen=result.placement_places,
            Erkend=any(r.is_current_on(on) for r in company.recognitions),
            Contactpersonen=wire.models().Contactpersonen(Contactpersoon=[_contactpersoon(c) for c in result.contacts]),
        ),
    )


def _stageplaats(placement: domain.Placement) -> Any:
    return wire.models().Stageplaats(
        StageplaatsId=placement.id,
        Leerweg=placement.learning_path,
        Crebo=placement.crebo,
        Omschrijving=placement.qualification_name,
        Niveau=placement.level,
        Begindatum=placement.start,
        AantalPlaatsen=placement.places,
        Toelichting=placement.description,
    )


def _gevonden(hit: search.Hit) -> Any:
    return wire.models().GevondenLeerbedrijf(
        LeerbedrijfId=hit.company.leerbedrijf_id,
        Naam=hit.company.name,
        Vestigingsadres=_adres(hit.company.address),
        Erkenningen=wire.models().Erkenningen(Erkenning=[_erkenning(r) for r in hit.current]),
        Stageplaatsen=wire.models().Stageplaatsen(Stageplaats=[_stageplaats(p) for p in hit.placements]),
    )


def search_response(result: search.SearchResult) -> Any:
    """A ``OpvragenErkenningenResponse`` of a domain result."""
    return wire.models().OpvragenErkenningenResponse(
        Signaalcode=int(result.signaalcode),
        Melding=result.melding,
        Totaal=result.total,
        MeerDanTotaal=True if result.total_capped else None,
        VervolgToken=result.next_token,
        Leerbedrijf=[_gevonden(hit) for hit in result.hits],
    )


def _search_query(request: Any) -> search.SearchQuery:
    return search.SearchQuery(
        crebo=request.Crebo,
        qualification_name=request.Kwalificatienaam,
        leerbedrijf_id=request.LeerbedrijfId,
        company_name=request.Bedrijfsnaam,
        place=request.Plaats,
        country=request.Land,
        page_size=request.PaginaGrootte,
        token=request.VervolgToken,
    )


def _overeenkomst(agreement: agreements.Agreement) -> Any:
    return wire.models().BpvOvereenkomst(
        OvereenkomstId=agreement.id, Studentnummer=agreement.student_number,
        LeerbedrijfId=agreement.leerbedrijf_id, Crebo=agreement.crebo, Begindatum=agreement.start,
        GeplandeEinddatum=agreement.planned_end, Leerweg=agreement.learning_path,
        Einddatum=agreement.ended_on, RedenBeeindiging=agreement.end_reason,
    )


def agreements_response(page: agreements.AgreementPage) -> Any:
    found = bool(page.agreements)
    return wire.models().OpvragenBpvOvereenkomstenResponse(
        Signaalcode=0 if found else 1,
        Melding="Lopende bpv-overeenkomsten." if found else "Geen lopende bpv-overeenkomsten.",
        Totaal=page.total, VervolgNa=page.next_after,
        BpvOvereenkomst=[_overeenkomst(a) for a in page.agreements],
    )


def _new_nomination(request: Any) -> agreements.NewNomination:
    address, contact = request.Vestigingsadres, request.Contactpersoon
    return agreements.NewNomination(
        name=request.Naam, street=address.Straat, house_number=address.Huisnummer,
        house_number_suffix=address.HuisnummerToevoeging, postcode=address.Postcode, place=address.Plaats,
        country_code=address.Landcode, kvk_number=request.KvkNummer, crebo=request.Crebo,
        contact_name=contact.Naam, contact_role=contact.Functie, contact_phone=contact.Telefoon,
        contact_email=contact.Email,
    )


NOMINATION_TEXT = {
    agreements.NominationStatus.ONTVANGEN: "Erkenningsvoordracht ontvangen.",
    agreements.NominationStatus.IN_BEHANDELING: "Erkenningsvoordracht in behandeling bij SBB.",
    agreements.NominationStatus.ERKEND: "Leerbedrijf erkend voor deze kwalificatie.",
    agreements.NominationStatus.AFGEWEZEN: "Erkenningsvoordracht afgewezen.",
}


def _abonnement(subscription: agreements.Subscription) -> Any:
    return wire.models().Mutatieabonnement(AbonnementId=subscription.id, Soort="Erkenningsmutaties",
                                  Ingangsdatum=subscription.started_on,
                                  BevestigdTot=subscription.acknowledged_up_to,
                                  Afleverwijze="Ophalen" if subscription.delivery_address is None else "Aanbieden",
                                  Afleveradres=subscription.delivery_address)


def mutations_response(page: agreements.MutationPage) -> Any:
    found = bool(page.mutations)
    return wire.models().OphalenMutatiesResponse(
        Signaalcode=0 if found else 1, Melding="Mutaties." if found else "Geen nieuwe mutaties.",
        BevestigdTot=page.acknowledged_up_to, Meer=page.more,
        Mutatie=[wire.models().Mutatie(Volgnummer=m.sequence, LeerbedrijfId=m.leerbedrijf_id, Crebo=m.crebo,
                              Soort=m.kind.value, Reden=m.reason, Ingangsdatum=m.effective)
                 for m in page.mutations],
    )


def _ledger(call: Any) -> bpv_storage.SqlSchoolLedger:
    return bpv_storage.SqlSchoolLedger(call.session, call.organisation_oin)


DEFAULT_MUTATION_PAGE = 25


@functools.cache
def build_service() -> type[ServiceBase]:
    """The spyne service, built on first use: its ``@rpc`` declarations need :func:`wire.models`."""
    operation = wire.models().operation

    class ErkenningenService(ServiceBase):
        """SBB White Label 2.1 – erkenningen (``wsdl/sbb-erkenningen.wsdl``)."""

        @operation("VaststellenLeerbedrijf")
        def VaststellenLeerbedrijf(ctx: Any, request: Any) -> Any:  # the contract's name
            """Vaststellen leerbedrijf: identify a company by name and postcode (see domain.identify)."""
            call = call_context(ctx)
            result = domain.identify(
                _query(request),
                directory=storage.SqlCompanyDirectory(call.session),
                on=domain.dutch_date(call.now),
            )
            return identification_response(result)

        @operation("NatrekkenErkenning")
        def NatrekkenErkenning(ctx: Any, request: Any) -> Any:  # the contract's name
            """Natrekken erkenning: recognised for this crebo on this date? (see domain.verify)."""
            call = call_context(ctx)
            result = domain.verify(
                request.LeerbedrijfId or "", request.Crebo or "", request.Begindatum,
                directory=storage.SqlCompanyDirectory(call.session), today=domain.dutch_date(call.now),
            )
            return verification_response(result)

        @operation("OpvragenDetailgegevens")
        def OpvragenDetailgegevens(ctx: Any, request: Any) -> Any:  # the contract's name
            """Opvragen detailgegevens: all contact information of one company (see domain.details)."""
            call = call_context(ctx)
            result = domain.details(request.LeerbedrijfId or "",
                                    directory=storage.SqlCompanyDirectory(call.session))
            return details_response(result, domain.dutch_date(call.now))

        @operation("OpvragenErkenningen")
        def OpvragenErkenningen(ctx: Any, request: Any) -> Any:  # the contract's name
            """Opvragen erkenningen: a page of recognised companies meeting the criteria (see search.search)."""
            call = call_context(ctx)
            result = search.search(
                _search_query(request), index=storage.SqlCompanyDirectory(call.session),
                on=domain.dutch_date(call.now), token_key=call.token_key,
            )
            return search_response(result)

        # --- Placement agreements (state-changing ones are listed in feature.py) ---------------------

        @operation("RegistrerenBpvOvereenkomst")
        def RegistrerenBpvOvereenkomst(ctx: Any, request: Any) -> Any:  # the contract's name
            """Register an agreement at a company recognised for the crebo on the start date (agreements.register)."""
            call = call_context(ctx)
            new = agreements.NewAgreement(request.Studentnummer, request.LeerbedrijfId, request.Crebo,
                                          request.Begindatum, request.GeplandeEinddatum, request.Leerweg)
            agreement = agreements.register(new, ledger=_ledger(call),
                                            directory=storage.SqlCompanyDirectory(call.session),
                                            today=domain.dutch_date(call.now))
            return wire.models().RegistrerenBpvOvereenkomstResponse(
                Signaalcode=0, Melding="Bpv-overeenkomst geregistreerd.", BpvOvereenkomst=_overeenkomst(agreement))

        @operation("WijzigenBpvOvereenkomst")
        def WijzigenBpvOvereenkomst(ctx: Any, request: Any) -> Any:  # the contract's name
            """Amend planned end date and/or learning path (agreements.amend)."""
            call = call_context(ctx)
            agreement = agreements.amend(request.OvereenkomstId, planned_end=request.GeplandeEinddatum,
                                         learning_path=request.Leerweg, ledger=_ledger(call))
            return wire.models().WijzigenBpvOvereenkomstResponse(Signaalcode=0, Melding="Bpv-overeenkomst gewijzigd.",
                                                        BpvOvereenkomst=_overeenkomst(agreement))

        @operation("BeeindigenBpvOvereenkomst")
        def BeeindigenBpvOvereenkomst(ctx: Any, request: Any) -> Any:  # the contract's name
            """End an agreement with its actual last day and a reason (agreements.end)."""
            call = call_context(ctx)
            agreement = agreements.end(request.OvereenkomstId, ended_on=request.Einddatum, reason=request.Reden,
                                       ledger=_ledger(call))
            return wire.models().BeeindigenBpvOvereenkomstResponse(Signaalcode=0, Melding="Bpv-overeenkomst beëindigd.",
                                                          BpvOvereenkomst=_overeenkomst(agreement))

        @operation("OpvragenBpvOvereenkomsten")
        def OpvragenBpvOvereenkomsten(ctx: Any, request: Any) -> Any:  # the contract's name
            """The school's running agreements, all or one page (agreements.running)."""
            call = call_context(ctx)
            page = agreements.running(ledger=_ledger(call), today=domain.dutch_date(call.now),
                                      after=request.NaOvereenkomstId or 0, page_size=request.PaginaGrootte)
            return agreements_response(page)

        # --- Erkenningsvoordracht ----------------------------------------------------------------------

        @operation("IndienenErkenningsvoordracht")
        def IndienenErkenningsvoordracht(ctx: Any, request: Any) -> Any:  # the contract's name
            """Nominate a company for recognition (agreements.nominate)."""
            call = call_context(ctx)
            nomination = agreements.nominate(_new_nomination(request), ledger=_ledger(call),
                                             today=domain.dutch_date(call.now))
            return wire.models().IndienenErkenningsvoordrachtResponse(
                Signaalcode=0, Melding=NOMINATION_TEXT[nomination.status], Referentie=nomination.reference,
                Status=nomination.status.value)

        @operation("OpvragenStatusErkenningsvoordracht")
        def OpvragenStatusErkenningsvoordracht(ctx: Any, request: Any) -> Any:  # the contract's name
            """The status of the school's own nomination (agreements.nomination_status)."""
            call = call_context(ctx)
            nomination = agreements.nomination_status(request.Referentie or "", ledger=_ledger(call))
            return wire.models().OpvragenStatusErkenningsvoordrachtResponse(
                Signaalcode=0, Melding=NOMINATION_TEXT[nomination.status], Referentie=nomination.reference,
                Status=nomination.status.value, LeerbedrijfId=nomination.leerbedrijf_id)

        # --- Actualiseren erkenning (pull and push) -------------------------------------------------------------

        @operation("AanmeldenMutatieabonnement")
        def AanmeldenMutatieabonnement(ctx: Any, request: Any) -> Any:  # the contract's name
            """Subscribe the school to recognition mutations (agreements.subscribe)."""
            call = call_context(ctx)
            subscription, new = agreements.subscribe(ledger=_ledger(call), today=domain.dutch_date(call.now),
                                                     delivery_address=request.Afleveradres)
            return wire.models().AanmeldenMutatieabonnementResponse(
                Signaalcode=0 if new else 1,
                Melding="Aangemeld voor mutaties." if new else "Al aangemeld voor mutaties.",
                Mutatieabonnement=_abonnement(subscription))

        @operation("WijzigenMutatieabonnement")
        def WijzigenMutatieabonnement(ctx: Any, request: Any) -> Any:  # the contract's name
            """Push to an Afleveradres, or pull only (agreements.change_delivery)."""
            call = call_context(ctx)
            subscription = agreements.change_delivery(ledger=_ledger(call), delivery_address=request.Afleveradres)
            melding = ("Mutaties worden aangeboden op het afleveradres." if subscription.delivery_address
                       else "Mutaties worden opgehaald.")
            return wire.models().WijzigenMutatieabonnementResponse(Signaalcode=0, Melding=melding,
                                                          Mutatieabonnement=_abonnement(subscription))

        @operation("OpvragenAbonnementen")
        def OpvragenAbonnementen(ctx: Any, request: Any) -> Any:  # the contract's name
            """The school's running subscriptions (at most one)."""
            subscription = _ledger(call_context(ctx)).subscription()
            found = [] if subscription is None else [_abonnement(subscription)]
            return wire.models().OpvragenAbonnementenResponse(
                Signaalcode=0 if found else 1,
                Melding="Lopende abonnementen." if found else "Geen lopende abonnementen.",
                Mutatieabonnement=found)

        @operation("OphalenMutaties")
        def OphalenMutaties(ctx: Any, request: Any) -> Any:  # the contract's name
            """The school's mutations after a cursor, in order (agreements.fetch)."""
            call = call_context(ctx)
            page = agreements.fetch(ledger=_ledger(call), after=request.NaVolgnummer,
                                    page_size=request.PaginaGrootte or DEFAULT_MUTATION_PAGE)
            return mutations_response(page)

        @operation("BevestigenMutaties")
        def BevestigenMutaties(ctx: Any, request: Any) -> Any:  # the contract's name
            """Acknowledge up to a sequence number (agreements.acknowledge)."""
            call = call_context(ctx)
            subscription = agreements.acknowledge(request.TotEnMetVolgnummer, ledger=_ledger(call))
            return wire.models().BevestigenMutatiesResponse(Signaalcode=0, Melding="Mutaties bevestigd.",
                                                   BevestigdTot=subscription.acknowledged_up_to)

    return ErkenningenService
