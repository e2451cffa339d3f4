"""The SBB White Label 2.1 recognitions service: wire in, domain, wire out.

Every operation has the same shape: read the :class:`~ketenserver.context.CallContext`, map
the request to domain values, call :mod:`~ketenserver.recognitions.domain` inside
:func:`~ketenserver.soap.domain_errors`, map the result back. Operations are declared
document/literal *bare*: the Body element of a request is the ``@rpc`` argument itself, named
and namespaced as in ``xsd/sbb-erkenningen.xsd``; spyne dispatches on that element's QName.
"""

from __future__ import annotations

from typing import Any

from ketenserver.recognitions import domain, search, storage, wire
from ketenserver.soap import call_context, domain_errors
from ketenserver.spyne_compat import load_spyne

load_spyne()

from spyne import ServiceBase, rpc  # noqa: E402


def _query(request: Any) -> domain.IdentifyQuery:
    return domain.IdentifyQuery(
        name=request.Naam or "",
        postcode=request.Postcode or "",
        house_number=request.Huisnummer,
        house_number_suffix=request.HuisnummerToevoeging,
    )


def _adres(address: domain.Address) -> Any:
    return wire.Adres(
        Straat=address.street,
        Huisnummer=address.house_number,
        HuisnummerToevoeging=address.house_number_suffix,
        Postcode=address.postcode,
        Plaats=address.place,
        Landcode=address.country_code,
    )


def _erkenning(recognition: domain.Recognition) -> Any:
    return wire.Erkenning(
        Crebo=recognition.crebo,
        Omschrijving=recognition.qualification_name,
        Niveau=recognition.level,
        Begindatum=recognition.start,
        Einddatum=recognition.last_day,
    )


def _leerbedrijf(match: domain.Match) -> Any:
    company = match.company
    return wire.Leerbedrijf(
        LeerbedrijfId=company.leerbedrijf_id,
        Naam=company.name,
        KvkNummer=company.kvk_number,
        KvkVestigingsnummer=company.kvk_establishment,
        Vestigingsadres=_adres(company.address),
        Erkend=match.recognised,
        Erkenningen=wire.Erkenningen(Erkenning=[_erkenning(r) for r in match.current]),
    )


def identification_response(result: domain.Identification) -> Any:
    """A :class:`wire.VaststellenLeerbedrijfResponse` of a domain result."""
    return wire.VaststellenLeerbedrijfResponse(
        Signaalcode=int(result.signaalcode),
        Melding=result.melding,
        Leerbedrijf=[_leerbedrijf(m) for m in result.matches],
    )


def verification_response(result: domain.Verification) -> Any:
    """A :class:`wire.NatrekkenErkenningResponse` of a domain result."""
    recognition = result.recognition
    return wire.NatrekkenErkenningResponse(
        Signaalcode=int(result.signaalcode),
        Melding=result.melding,
        Erkend=result.recognised,
        Begindatum=None if recognition is None else recognition.start,
        Einddatum=None if recognition is None else recognition.last_day,
    )


def _contactpersoon(contact: domain.ContactPerson) -> Any:
    return wire.Contactpersoon(Naam=contact.name, Functie=contact.role, Telefoon=contact.phone,
                               Email=contact.email)


def details_response(result: domain.CompanyDetails, on: Any) -> Any:
    """A :class:`wire.OpvragenDetailgegevensResponse` of a domain result (recognised on *on*)."""
    company = result.company
    postal = result.postal_address
    return wire.OpvragenDetailgegevensResponse(
        Signaalcode=0,
        Melding="Detailgegevens van het leerbedrijf.",
        Leerbedrijfgegevens=wire.Leerbedrijfgegevens(
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
            Contactpersonen=wire.Contactpersonen(Contactpersoon=[_contactpersoon(c) for c in result.contacts]),
        ),
    )


def _stageplaats(placement: domain.Placement) -> Any:
    return wire.Stageplaats(
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
    return wire.GevondenLeerbedrijf(
        LeerbedrijfId=hit.company.leerbedrijf_id,
        Naam=hit.company.name,
        Vestigingsadres=_adres(hit.company.address),
        Erkenningen=wire.Erkenningen(Erkenning=[_erkenning(r) for r in hit.current]),
        Stageplaatsen=wire.Stageplaatsen(Stageplaats=[_stageplaats(p) for p in hit.placements]),
    )


def search_response(result: search.SearchResult) -> Any:
    """A :class:`wire.OpvragenErkenningenResponse` of a domain result."""
    return wire.OpvragenErkenningenResponse(
        Signaalcode=int(result.signaalcode),
        Melding=result.melding,
        Totaal=result.total,
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


def _operation(name: str, request: Any, response: Any) -> Any:
    """``@rpc`` of a document/literal bare operation with the contract's element names."""
    return rpc(request, _returns=response, _body_style="bare", _in_message_name=wire.qualified(name),
               _out_message_name=wire.qualified(f"{name}Response"))


class ErkenningenService(ServiceBase):
    """SBB White Label 2.1 – erkenningen (``wsdl/sbb-erkenningen.wsdl``)."""

    @rpc(
        wire.VaststellenLeerbedrijf,
        _returns=wire.VaststellenLeerbedrijfResponse,
        _body_style="bare",
        _in_message_name=wire.qualified("VaststellenLeerbedrijf"),
        _out_message_name=wire.qualified("VaststellenLeerbedrijfResponse"),
    )
    def VaststellenLeerbedrijf(ctx: Any, request: Any) -> Any:  # the contract's name
        """Vaststellen leerbedrijf: identify a company by name and postcode (see domain.identify)."""
        call = call_context(ctx)
        with domain_errors(ctx):
            result = domain.identify(
                _query(request),
                directory=storage.SqlCompanyDirectory(call.session),
                on=domain.dutch_date(call.now),
            )
        return identification_response(result)

    @_operation("NatrekkenErkenning", wire.NatrekkenErkenning, wire.NatrekkenErkenningResponse)
    def NatrekkenErkenning(ctx: Any, request: Any) -> Any:  # the contract's name
        """Natrekken erkenning: recognised for this crebo on this date? (see domain.verify)."""
        call = call_context(ctx)
        with domain_errors(ctx):
            result = domain.verify(
                request.LeerbedrijfId or "", request.Crebo or "", request.Begindatum,
                directory=storage.SqlCompanyDirectory(call.session), today=domain.dutch_date(call.now),
            )
        return verification_response(result)

    @_operation("OpvragenDetailgegevens", wire.OpvragenDetailgegevens, wire.OpvragenDetailgegevensResponse)
    def OpvragenDetailgegevens(ctx: Any, request: Any) -> Any:  # the contract's name
        """Opvragen detailgegevens: all contact information of one company (see domain.details)."""
        call = call_context(ctx)
        with domain_errors(ctx):
            result = domain.details(request.LeerbedrijfId or "",
                                    directory=storage.SqlCompanyDirectory(call.session))
        return details_response(result, domain.dutch_date(call.now))

    @_operation("OpvragenErkenningen", wire.OpvragenErkenningen, wire.OpvragenErkenningenResponse)
    def OpvragenErkenningen(ctx: Any, request: Any) -> Any:  # the contract's name
        """Opvragen erkenningen: a page of recognised companies meeting the criteria (see search.search)."""
        call = call_context(ctx)
        with domain_errors(ctx):
            result = search.search(
                _search_query(request), index=storage.SqlCompanyDirectory(call.session),
                on=domain.dutch_date(call.now), token_key=call.token_key,
            )
        return search_response(result)
