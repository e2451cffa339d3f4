"""The SBB White Label 2.1 recognitions service: wire in, domain, wire out.

Every operation has the same shape: read the :class:`~ketenserver.context.CallContext`, map
the request to domain values, call :mod:`~ketenserver.recognitions.domain` inside
:func:`~ketenserver.soap.domain_errors`, map the result back. Operations are declared
document/literal *bare*: the Body element of a request is the ``@rpc`` argument itself, named
and namespaced as in ``xsd/sbb-erkenningen.xsd``; spyne dispatches on that element's QName.
"""

from __future__ import annotations

from typing import Any

from ketenserver.recognitions import domain, storage, wire
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
