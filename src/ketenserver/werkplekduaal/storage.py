"""The counter's tables, all of them (``Feature.tables`` imports this), and the workplace index.

Each area keeps its tables and adapters in its own module (``kbo_storage``, ``requests_storage``,
``agreements_storage``); this module imports them so that ``Base.metadata`` knows every table, and
holds the one query that reads across them: available workplaces (:class:`SqlWorkplaceIndex`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ketenserver.werkplekduaal import (  # noqa: F401 (their tables join Base.metadata)
    agreements_storage,
    kbo_storage,
    requests_storage,
    sync,
)
from ketenserver.werkplekduaal.kbo import ACTIVE, Address
from ketenserver.werkplekduaal.workplaces import After, Workplace


class SqlWorkplaceIndex:
    """:class:`~ketenserver.werkplekduaal.workplaces.WorkplaceIndex`: running recognitions of active
    establishments with more places than agreements running there (one query, keyset paging)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def search(self, opleiding: str, *, postcodes: tuple[tuple[int, int], ...] | None, on: dt.date,
               after: After | None, limit: int) -> list[Workplace]:
        recognition = requests_storage.RecognitionRow
        place = kbo_storage.EstablishmentRow
        agreement = agreements_storage.AgreementRow
        taken = (select(func.count()).where(
            agreement.establishment_number == recognition.establishment_number,
            agreement.opleiding == recognition.opleiding, agreement.start <= on, agreement.last_day >= on)
            .scalar_subquery())
        # ix_wpd_recognitions_search gives the rows in page order: no sort, and a page reads about
        # as many rows as it shows (the recognition's copy of the postcode, kept in step by the sync)
        query = (select(recognition.enterprise_number, recognition.establishment_number, recognition.places,
                        recognition.valid_until, place.name, place.street, place.house_number, place.box,
                        place.postcode, place.municipality, taken.label("taken"))
                 .join(place, place.number == recognition.establishment_number)
                 .where(recognition.opleiding == opleiding, recognition.status == "LOPEND",
                        recognition.valid_from <= on, recognition.valid_until >= on, place.status == ACTIVE,
                        recognition.places > taken)
                 .order_by(recognition.postcode, recognition.establishment_number).limit(limit))
        if postcodes is not None:
            query = query.where(or_(*(recognition.postcode.between(f"{low:04d}", f"{high:04d}")
                                      for low, high in postcodes)))
        if after is not None:
            query = query.where(or_(recognition.postcode > after.postcode,
                                    and_(recognition.postcode == after.postcode,
                                         recognition.establishment_number > after.establishment_number)))
        return [Workplace(row.enterprise_number, row.establishment_number, row.name,
                          Address(row.street, row.house_number, row.box, row.postcode, row.municipality),
                          opleiding, row.places - row.taken, row.valid_until)
                for row in self._session.execute(query)]
