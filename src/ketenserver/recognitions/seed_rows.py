"""The rows of the seed, per ``sbb_*`` table, and their bulk insert (Core executemany, no ORM).

Also the company row that demo and generated companies share: its e-mail address and website use
the reserved top-level domain ``.example`` (RFC 2606).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from ketenserver.recognitions import domain
from ketenserver.recognitions.storage import (
    CompanyModel,
    CompanyWordModel,
    ContactModel,
    PlacementModel,
    RecognitionModel,
)

Row = dict[str, Any]


class _Rows:
    """Rows per table, in the order they are inserted (parents first)."""

    def __init__(self) -> None:
        self.companies: list[Row] = []
        self.recognitions: list[Row] = []
        self.contacts: list[Row] = []
        self.placements: list[Row] = []
        self.words: list[Row] = []

    def write(self, connection: Connection) -> None:
        """One executemany per table: plain Core inserts, no ORM bookkeeping per row."""
        for model, rows in ((CompanyModel, self.companies), (RecognitionModel, self.recognitions),
                            (ContactModel, self.contacts), (PlacementModel, self.placements),
                            (CompanyWordModel, self.words)):
            if rows:
                connection.execute(insert(model), rows)


def _company(leerbedrijf_id: str, name: str, key: str, label: str, **columns: Any) -> Row:
    row: Row = dict.fromkeys(("postal_street", "postal_number", "postal_suffix", "postal_postcode",
                              "postal_place", "postal_country_code"))
    row.update(leerbedrijf_id=leerbedrijf_id, name=name, name_key=key,
               email=f"info@{label}.example", website=f"https://www.{label}.example", country_code="NL")
    row.update(columns)
    return row


def _domain_label(name: str) -> str:
    return domain.name_key(name).encode("ascii", "ignore").decode() or "leerbedrijf"
