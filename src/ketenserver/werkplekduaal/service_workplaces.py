"""ZoekWerkplekken: recognised workplaces with room, by opleiding and region (wire in, domain, wire out)."""

from __future__ import annotations

import functools
from typing import Any

from spyne import ServiceBase

from ketenserver.dates import belgian_date
from ketenserver.soap import call_context
from ketenserver.werkplekduaal import magda, workplaces
from ketenserver.werkplekduaal.wire import models


def query(inhoud: Any) -> workplaces.WorkplaceQuery:
    """The domain value of a ``WerkplekZoekvraag``."""
    return workplaces.WorkplaceQuery(opleiding=inhoud.Opleiding, province=inhoud.Provincie,
                                     postcode=inhoud.Postcode, token=inhoud.Vervolg)


def _address(address: Any) -> Any:
    m = models()
    return m.Adres(Straat=address.street, Huisnummer=address.house_number, Bus=address.box,
                   Postcode=address.postcode, Gemeente=address.municipality)


def page_out(page: workplaces.WorkplacePage) -> Any:
    m = models()
    return m.Werkplekken(
        Werkplek=[m.Werkplek(Werkplaats=m.Werkplaats(Ondernemingsnummer=w.enterprise_number,
                                                     Vestigingsnummer=w.establishment_number),
                             Naam=w.name[:500], Adres=_address(w.address), Opleiding=w.opleiding,
                             VrijePlaatsen=w.free_places, ErkendTot=w.recognised_until)
                  for w in page.workplaces],
        Vervolg=page.token)


def _index(call: Any) -> workplaces.WorkplaceIndex:
    from ketenserver.werkplekduaal.storage import SqlWorkplaceIndex

    return SqlWorkplaceIndex(call.session)


@functools.cache
def build_service() -> type:
    m = models()

    class WorkplacesService(ServiceBase):
        @m.operation("ZoekWerkplekken")
        def ZoekWerkplekken(ctx: Any, request: Any) -> Any:  # the contract's name
            call = call_context(ctx)
            asked = magda.question(request, call, operation="ZoekWerkplekken", capacities=frozenset({magda.PROVIDER}))
            page = workplaces.search(query(asked.content), index=_index(call), on=belgian_date(call.now),
                                     token_key=call.token_key)
            return magda.answer(asked, call, page_out(page))

    return WorkplacesService
