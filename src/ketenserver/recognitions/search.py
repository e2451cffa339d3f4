"""Opvragen erkenningen: the search rules (criteria, word matching, paging), typed, no spyne or SQL.

Criteria: ``Crebo``, ``Kwalificatienaam``, ``LeerbedrijfId`` and ``Bedrijfsnaam`` (at least one,
SBB-1006), narrowed by ``Plaats`` and ``Land`` (NL, BE or DE). All given criteria must hold.

Names and places match on **words and word prefixes**, ignoring case and diacritics: every word
of the criterion must begin a word of the name ("bakk vri" finds "Bakkerij De Vries B.V.").
Words are what :func:`search_words` makes of a text: case-folded, diacritics stripped,
punctuation glued or splitting as in :func:`~ketenserver.recognitions.domain.name_key`,
non-Latin letters dropped, legal forms at either end of a company name ignored. So
"'s-Hertogenbosch" has the words ``s`` and ``hertogenbosch``, and "Den Bosch" finds nothing.

Only companies recognised on the day of the request are found (for the qualifications asked
for, when Crebo or Kwalificatienaam is given). Results are ordered by leerbedrijf-id and paged
with :data:`DEFAULT_PAGE_SIZE` (at most :data:`MAX_PAGE_SIZE`, SBB-1008). A page that is not the
last carries a continuation token (:func:`issue_token`): the last leerbedrijf-id of the page and
a fingerprint of the search, with an HMAC tag, base64url. A token altered, made up or taken
from another search is refused (SBB-1007).

The total is exact up to :data:`COUNT_CAP`; when more companies match, counting stops there and
the result says so (:attr:`SearchResult.total_capped`, "Meer dan 500 ..."). An exact count would
read every match: at 250,000 companies "de" matches 70,000, and a bare index count of those alone
takes 17 ms on PostgreSQL, before checking that each is recognised today. Counting up to the cap
bounds the work of any search, whatever the number of companies. Each company counted costs a
look-up of its recognitions: with a cap of 1,000, name searches at 250,000 companies took up to
24 ms at p95 on PostgreSQL, with 500 they stay under 20 ms (``benchmarks/recognitions.py``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

from ketenserver.recognitions.domain import Company, Placement, Recognition, fold_words, strip_legal_forms
from ketenserver.recognitions.errors import (
    InvalidPageSize,
    InvalidPageToken,
    InvalidSearchTerm,
    MissingCriteria,
)

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
COUNTRIES = frozenset({"NL", "BE", "DE"})
COUNT_CAP = 500
"""Totals are exact up to this; beyond it a search reports this many and :attr:`SearchResult.total_capped`."""
WORD_LENGTH = 40
"""Words are indexed and compared up to this many characters."""
ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
"""Every character a search word can hold, in byte (and C collation) order."""
_LATIN = str.maketrans({"ı": "i", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th"})


class SearchCode(IntEnum):
    GEVONDEN = 0
    """At least one recognised company matches."""
    NIETS_GEVONDEN = 1
    """No recognised company matches (an empty page, total 0)."""


def search_words(raw: str, *, company_name: bool = False) -> tuple[str, ...]:
    """The words of *raw* as search compares them, each once, in order (see the module docstring)."""
    words = [w.translate(_LATIN).encode("ascii", "ignore").decode()[:WORD_LENGTH] for w in fold_words(raw)]
    words = [w for w in words if w]
    if company_name:
        words = strip_legal_forms(words)
    return tuple(dict.fromkeys(words))


def prefix_bounds(prefix: str) -> tuple[str, str | None]:
    """``(low, high)`` with ``low <= word < high`` exactly for the words starting with *prefix*.

    A range over an ordinary index, on SQLite and on PostgreSQL alike (``LIKE 'x%'`` needs a
    special index there). ``high`` is None when every longer word qualifies (``"zz"``).
    """
    stem = prefix
    while stem and stem[-1] == ALPHABET[-1]:
        stem = stem[:-1]
    if not stem:
        return prefix, None
    return prefix, stem[:-1] + ALPHABET[ALPHABET.index(stem[-1]) + 1]


@dataclass(frozen=True)
class SearchQuery:
    """An OpvragenErkenningen request, as received."""

    crebo: str | None = None
    qualification_name: str | None = None
    leerbedrijf_id: str | None = None
    company_name: str | None = None
    place: str | None = None
    country: str | None = None
    page_size: int | None = None
    token: str | None = None


@dataclass(frozen=True)
class Criteria:
    """A search in normal form: what the database is asked, and what the token's fingerprint covers."""

    crebos: frozenset[str] | None
    """None: any qualification; else the qualifications asked for (possibly none at all)."""
    leerbedrijf_id: str | None
    name_words: tuple[str, ...]
    place_words: tuple[str, ...]
    country: str | None

    def fingerprint(self, asked: tuple[str | None, tuple[str, ...]]) -> bytes:
        parts = (sorted(self.crebos) if self.crebos is not None else None, self.leerbedrijf_id,
                 self.name_words, self.place_words, self.country, asked)
        return hashlib.sha256(repr(parts).encode()).digest()[:16]


@dataclass(frozen=True)
class Hit:
    """One company found: its recognitions current today and its open placement places."""

    company: Company
    current: tuple[Recognition, ...]
    placements: tuple[Placement, ...]


class RecognitionIndex(Protocol):
    """What the search needs from storage (:class:`ketenserver.recognitions.storage.SqlCompanyDirectory`)."""

    def qualifications(self) -> Sequence[tuple[str, str]]:
        """Every qualification as (crebo, name): a small table, matched here."""
        ...

    def search(self, criteria: Criteria, *, on: dt.date, after: str | None, limit: int
               ) -> tuple[Sequence[Hit], int]:
        """Recognised companies meeting *criteria* with leerbedrijf-id above *after*, in id order,
        at most *limit*; and the number meeting them, counted up to :data:`COUNT_CAP` + 1."""
        ...


@dataclass(frozen=True)
class SearchResult:
    signaalcode: SearchCode
    melding: str
    total: int
    hits: tuple[Hit, ...]
    next_token: str | None
    total_capped: bool = False
    """More than :data:`COUNT_CAP` companies match: ``total`` is the cap, not the exact number."""


# --- Page tokens -----------------------------------------------------------------------------

_TAG_BYTES = 16
_ID_BYTES = 9


def issue_token(key: bytes, fingerprint: bytes, last_id: str) -> str:
    """The opaque continuation token after *last_id* (9 ASCII digits)."""
    body = last_id.encode("ascii") + fingerprint
    tag = hmac.new(key, body, hashlib.sha256).digest()[:_TAG_BYTES]
    return base64.urlsafe_b64encode(body + tag).rstrip(b"=").decode("ascii")


def read_token(key: bytes, fingerprint: bytes, token: str) -> str:
    """The last leerbedrijf-id a token of this search continues after; SBB-1007 for any other token."""
    refused = InvalidPageToken("VervolgToken was not issued for this search; start again without it.")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except ValueError:
        raise refused from None
    if len(raw) != _ID_BYTES + len(fingerprint) + _TAG_BYTES:
        raise refused
    body, tag = raw[:-_TAG_BYTES], raw[-_TAG_BYTES:]
    expected = hmac.new(key, body, hashlib.sha256).digest()[:_TAG_BYTES]
    if not hmac.compare_digest(tag, expected) or body[_ID_BYTES:] != fingerprint:
        raise refused
    last_id = body[:_ID_BYTES].decode("ascii", "replace")
    if not last_id.isdigit():
        raise refused
    return last_id


# --- The search ------------------------------------------------------------------------------


def _words(raw: str | None, field: str, *, company_name: bool = False) -> tuple[str, ...]:
    if raw is None or not raw.strip():
        return ()
    words = search_words(raw, company_name=company_name)
    if not words:
        raise InvalidSearchTerm(f"{field} holds no letter or digit to search on.", field=field)
    return words


def matching_crebos(qualifications: Iterable[tuple[str, str]], words: tuple[str, ...]) -> frozenset[str]:
    """The crebos whose name has, for every word, a word it begins."""
    found = set()
    for crebo, name in qualifications:
        own = search_words(name)
        if all(any(w.startswith(word) for w in own) for word in words):
            found.add(crebo)
    return frozenset(found)


def criteria(query: SearchQuery, index: RecognitionIndex) -> Criteria:
    crebo = (query.crebo or "").strip() or None
    leerbedrijf_id = (query.leerbedrijf_id or "").strip() or None
    qualification_words = _words(query.qualification_name, "Kwalificatienaam")
    name_words = _words(query.company_name, "Bedrijfsnaam", company_name=True)
    if not (crebo or leerbedrijf_id or qualification_words or name_words):
        raise MissingCriteria("Give at least one of Crebo, Kwalificatienaam, LeerbedrijfId and Bedrijfsnaam.")
    country = (query.country or "").strip().upper() or None
    if country is not None and country not in COUNTRIES:
        raise InvalidSearchTerm("Land is NL, BE or DE.", field="Land")
    crebos: frozenset[str] | None = None
    if crebo is not None:
        crebos = frozenset({crebo})
    if qualification_words:
        named = matching_crebos(index.qualifications(), qualification_words)
        crebos = named if crebos is None else crebos & named
    return Criteria(crebos, leerbedrijf_id, name_words, _words(query.place, "Plaats"), country)


def check_page_size(size: int | None) -> int:
    if size is None:
        return DEFAULT_PAGE_SIZE
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise InvalidPageSize(f"PaginaGrootte is 1 to {MAX_PAGE_SIZE}.")
    return size


def search(query: SearchQuery, *, index: RecognitionIndex, on: dt.date, token_key: bytes) -> SearchResult:
    """Opvragen erkenningen: one page of the recognised companies meeting the query."""
    size = check_page_size(query.page_size)
    wanted = criteria(query, index)
    fingerprint = wanted.fingerprint((query.crebo, search_words(query.qualification_name or "")))
    after = None if query.token is None else read_token(token_key, fingerprint, query.token)
    if wanted.crebos is not None and not wanted.crebos:
        hits: Sequence[Hit] = ()
        total = 0
    else:
        hits, total = index.search(wanted, on=on, after=after, limit=size + 1)
    page = tuple(hits[:size])
    next_token = issue_token(token_key, fingerprint, page[-1].company.leerbedrijf_id) if len(hits) > size else None
    if total == 0:
        return SearchResult(SearchCode.NIETS_GEVONDEN, "Geen erkende leerbedrijven gevonden.", 0, (), None)
    if total > COUNT_CAP:
        return SearchResult(SearchCode.GEVONDEN, f"Meer dan {COUNT_CAP} erkende leerbedrijven gevonden.", COUNT_CAP,
                            page, next_token, total_capped=True)
    return SearchResult(SearchCode.GEVONDEN, f"{total} erkende leerbedrijven gevonden.", total, page, next_token)
