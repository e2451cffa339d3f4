"""Available workplaces (beschikbare werkplekken): recognised establishments with room, for students.

A provider searches on behalf of its students by opleiding and, optionally, a province or a
postcode. A workplace is an establishment holding a running recognition for the opleiding on the
counter's today, with room: its places (students per recognised mentor) minus the agreements
running there for that opleiding. Pages hold :data:`PAGE_SIZE` workplaces ordered by postcode and
establishment number; ``Vervolg`` is an opaque token bound to the search (HMAC with the server's
token key), so it cannot be replayed against another search or forged (WPD-1071).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from typing import Protocol

from ketenserver.werkplekduaal import catalogue, errors
from ketenserver.werkplekduaal.kbo import Address

PAGE_SIZE = 25
_TAG_BYTES = 12

PROVINCES = {"ANTWERPEN": "Antwerpen", "LIMBURG": "Limburg", "OOST_VLAANDEREN": "Oost-Vlaanderen",
             "VLAAMS_BRABANT": "Vlaams-Brabant", "WEST_VLAANDEREN": "West-Vlaanderen", "BRUSSEL": "Brussel"}
"""The contract's Provincie codes and the province names :attr:`kbo.Address.province` gives."""

POSTCODE_RANGES: dict[str, tuple[tuple[int, int], ...]] = {
    "BRUSSEL": ((1000, 1299),),
    "VLAAMS_BRABANT": ((1500, 1999), (3000, 3499)),
    "ANTWERPEN": ((2000, 2999),),
    "LIMBURG": ((3500, 3999),),
    "WEST_VLAANDEREN": ((8000, 8999),),
    "OOST_VLAANDEREN": ((9000, 9999),),
}
"""Which postcodes lie in each province (bpost's ranges), so a search filters on an index."""


@dataclass(frozen=True)
class WorkplaceQuery:
    opleiding: str
    province: str | None = None
    postcode: str | None = None
    token: str | None = None


@dataclass(frozen=True)
class Workplace:
    enterprise_number: str
    establishment_number: str
    name: str
    address: Address
    opleiding: str
    free_places: int
    recognised_until: dt.date


@dataclass(frozen=True)
class WorkplacePage:
    workplaces: tuple[Workplace, ...]
    token: str | None


@dataclass(frozen=True)
class After:
    """Where a page continues: after this (postcode, establishment number)."""

    postcode: str
    establishment_number: str


class WorkplaceIndex(Protocol):
    def search(self, opleiding: str, *, postcodes: tuple[tuple[int, int], ...] | None, on: dt.date,
               after: After | None, limit: int) -> list[Workplace]:
        """Workplaces with room on ``on``, ordered by (postcode, establishment number), after ``after``."""
        ...


def _fingerprint(query: WorkplaceQuery) -> bytes:
    return hashlib.sha256(f"{query.opleiding}|{query.province}|{query.postcode}".encode()).digest()[:8]


def issue_token(key: bytes, query: WorkplaceQuery, last: Workplace) -> str:
    body = f"{last.address.postcode}{last.establishment_number}".encode("ascii") + _fingerprint(query)
    tag = hmac.new(key, body, hashlib.sha256).digest()[:_TAG_BYTES]
    return base64.urlsafe_b64encode(body + tag).rstrip(b"=").decode("ascii")


def read_token(key: bytes, query: WorkplaceQuery, token: str) -> After:
    refused = errors.PageTokenInvalid("Vervolg was not issued for this search; start again without it.")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except ValueError:
        raise refused from None
    if len(raw) != 14 + 8 + _TAG_BYTES:
        raise refused
    body, tag = raw[:-_TAG_BYTES], raw[-_TAG_BYTES:]
    expected = hmac.new(key, body, hashlib.sha256).digest()[:_TAG_BYTES]
    if not hmac.compare_digest(tag, expected) or body[14:] != _fingerprint(query):
        raise refused
    position = body[:14].decode("ascii", "replace")
    if not position.isdigit():
        raise refused
    return After(position[:4], position[4:])


def search(query: WorkplaceQuery, *, index: WorkplaceIndex, on: dt.date, token_key: bytes) -> WorkplacePage:
    """One page of the available workplaces for ``query`` on the counter's day ``on``."""
    if catalogue.opleiding(query.opleiding) is None:
        raise errors.UnknownOpleiding("Opleiding is not a code of the counter's table of dual opleidingen.")
    if query.province is not None and query.province not in POSTCODE_RANGES:
        raise errors.UnknownRegion("Provincie is not a Flemish province or Brussel.")
    postcodes = POSTCODE_RANGES[query.province] if query.province else None
    if query.postcode is not None:
        code = int(query.postcode)
        if postcodes is not None and not any(low <= code <= high for low, high in postcodes):
            return WorkplacePage((), None)  # a postcode outside the province chosen: nothing there
        postcodes = ((code, code),)
    after = None if query.token is None else read_token(token_key, query, query.token)
    found = index.search(query.opleiding, postcodes=postcodes, on=on, after=after, limit=PAGE_SIZE + 1)
    page = tuple(found[:PAGE_SIZE])
    token = issue_token(token_key, query, page[-1]) if len(found) > PAGE_SIZE else None
    return WorkplacePage(page, token)
