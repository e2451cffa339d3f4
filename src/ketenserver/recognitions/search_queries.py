"""The SQL of the search for recognised companies (Opvragen erkenningen): its query planner.

:func:`search_recognised` answers :meth:`~ketenserver.recognitions.storage.SqlCompanyDirectory.search`
from the tables of :mod:`ketenserver.recognitions.storage` (mostly ``sbb_company_words``, described
there); the rules of a search (its criteria, words, token and count cap) are in
:mod:`ketenserver.recognitions.search`.

A search reads one *source* of rows -- the company asked for, the index range of one word
prefix, or the recognitions of the crebos asked for -- and checks the other criteria in each
row where the row holds them (the company's words in sbb_company_words; country and dates in
sbb_recognitions), else by one index look-up (EXISTS). Of several possible sources it takes the
likely smallest (_sources), unless that is a prefix so short that it may match a large share
of all words: then the one with the fewest rows, counted up to _SIZE_PROBE. (Counting them in
every search cost more than it saved: 3 ms at p95 of name and place on PostgreSQL.)

It first collects the companies found, in the order of the source's index, up to
search.COUNT_CAP + 1: that is the count, and when it stays within the cap, every company found,
from which the page is cut. A broader search takes its page from the companies found when the
source's range is in leerbedrijf-id order (one word; one crebo in one country), else by walking
the source's index by company from the token on; as more than COUNT_CAP companies match, a page
is reached soon. So a broad search stops after COUNT_CAP + 1 companies, where an exact count
would read every match (70,000 for "de" at 250,000 companies).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import SQLColumnExpression, and_, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from ketenserver.recognitions import domain, search
from ketenserver.recognitions.storage import (
    CompanyModel,
    CompanyWordModel,
    PlacementModel,
    QualificationModel,
    RecognitionModel,
    current_on,
    to_company,
)

_SIZE_PROBE = 1_000
"""Rows counted at most to compare the sources of a search; of those with more, the first is taken."""
_SHORT_PREFIX = 2
"""Prefixes this long or shorter may match a large share of all words ("de": 70,000 at 250,000 companies)."""
_BY_ID, _BY_CREBO = "id", "crebo"
_Source = tuple[str, str]
"""(_BY_ID, leerbedrijf-id), ("n" or "p", a word prefix) or (_BY_CREBO, "")."""


def _word_range(column: SQLColumnExpression[str], prefix: str) -> ColumnElement[bool]:
    low, high = search.prefix_bounds(prefix)
    return column >= low if high is None else and_(column >= low, column < high)


# Look-ups by company, as EXISTS of one column (of *, SQLite would not answer from a covering
# index). Only words are looked up from their own table (a walk of words), so only they need an
# alias: a table alias, as an ORM alias costs a millisecond to build.

def _has_word(company: SQLColumnExpression[str], kind: str, prefix: str) -> ColumnElement[bool]:
    words = CompanyWordModel.__table__.alias("other_words")
    return select(words.c.leerbedrijf_id).where(
        words.c.kind == kind, words.c.leerbedrijf_id == company, _word_range(words.c.word, prefix)
    ).exists()


def _recognised(company: SQLColumnExpression[str], crebos: frozenset[str] | None, on: dt.date) -> ColumnElement[bool]:
    conditions = [RecognitionModel.leerbedrijf_id == company, current_on(on)]
    if crebos is not None:
        conditions.append(RecognitionModel.crebo.in_(sorted(crebos)))
    return select(RecognitionModel.leerbedrijf_id).where(*conditions).exists()


def _in_country(company: SQLColumnExpression[str], country: str) -> ColumnElement[bool]:
    return select(CompanyModel.leerbedrijf_id).where(
        CompanyModel.leerbedrijf_id == company, CompanyModel.country_code == country
    ).exists()


def _sources(criteria: search.Criteria) -> list[_Source]:
    """The possible sources, likely smallest first: places (a town is a small share of all
    companies), then names, longer prefixes first; then crebos."""
    if criteria.leerbedrijf_id is not None:
        return [(_BY_ID, criteria.leerbedrijf_id)]
    places = sorted(criteria.place_words, key=len, reverse=True)
    names = sorted(criteria.name_words, key=len, reverse=True)
    return ([("p", word) for word in places] + [("n", word) for word in names]
            + ([(_BY_CREBO, "")] if criteria.crebos is not None else []))


def _source_rows(criteria: search.Criteria, source: _Source
                 ) -> tuple[SQLColumnExpression[str], list[ColumnElement[bool]], list[SQLColumnExpression[str]]]:
    """The company column of *source*, the conditions of its own rows (an index range) and the
    order of that index."""
    kind, value = source
    if kind == _BY_ID:
        return CompanyModel.leerbedrijf_id, [CompanyModel.leerbedrijf_id == value], []
    if kind == _BY_CREBO:
        own: list[ColumnElement[bool]] = [RecognitionModel.crebo.in_(sorted(criteria.crebos or ()))]
        if criteria.country is not None:
            own.append(RecognitionModel.country_code == criteria.country)
        order: list[SQLColumnExpression[str]] = [RecognitionModel.crebo, RecognitionModel.country_code,
                                                 RecognitionModel.leerbedrijf_id]
        return RecognitionModel.leerbedrijf_id, own, order
    own = [CompanyWordModel.kind == kind, _word_range(CompanyWordModel.word, value)]
    return CompanyWordModel.leerbedrijf_id, own, [CompanyWordModel.word, CompanyWordModel.leerbedrijf_id]


def _walked_rows(session: Session, criteria: search.Criteria, source: _Source
                 ) -> tuple[list[ColumnElement[bool]], bool]:
    """The conditions of *source*'s rows for a walk in leerbedrijf-id order, and whether its own
    index range is in that order (then the rows walked are those of the range, words and all).

    A range of one word, and one crebo in one country, are in id order in their own index. Any
    other source is walked in its index by company, its own test written so that no index serves
    it (``x || ''``): else the databases would read and sort the whole range."""
    kind, value = source
    if kind == _BY_ID:  # (one company is never walked)
        return [CompanyModel.leerbedrijf_id == value], False
    if kind == _BY_CREBO:
        crebos = sorted(criteria.crebos or ())
        in_id_order = len(crebos) == 1 and criteria.country is not None
        crebo: SQLColumnExpression[str] = RecognitionModel.crebo if in_id_order else RecognitionModel.crebo.concat("")
        own: list[ColumnElement[bool]] = [crebo.in_(crebos)]
        if criteria.country is not None:
            own.append(RecognitionModel.country_code == criteria.country)
        return own, in_id_order
    words = select(CompanyWordModel.word).where(CompanyWordModel.kind == kind,
                                                _word_range(CompanyWordModel.word, value))
    first, last = session.connection().execute(select(
        words.order_by(CompanyWordModel.word).limit(1).scalar_subquery(),
        words.order_by(CompanyWordModel.word.desc()).limit(1).scalar_subquery(),
    )).one()
    if first == last:
        return [CompanyWordModel.kind == kind, CompanyWordModel.word == first], True
    return [CompanyWordModel.kind == kind, _word_range(CompanyWordModel.word.concat(""), value)], False


def _other_criteria(criteria: search.Criteria, on: dt.date, source: _Source, company: SQLColumnExpression[str],
                    *, words_in_row: bool = True) -> list[ColumnElement[bool]]:
    """The conditions of every criterion *source* does not select by, in its rows or by a look-up.

    A walk of words in the index by company looks the other words up (*words_in_row* false): that
    index holds no ``names`` and ``places``, and reading them from the row costs more."""
    kind, _ = source
    rest: list[ColumnElement[bool]] = []
    if criteria.country is not None and kind != _BY_CREBO:
        rest.append(CompanyModel.country_code == criteria.country if kind == _BY_ID
                    else _in_country(company, criteria.country))
    in_row = kind in ("n", "p") and words_in_row
    for word_kind, words, column in (("n", criteria.name_words, CompanyWordModel.names),
                                     ("p", criteria.place_words, CompanyWordModel.places)):
        for word in words:
            if (word_kind, word) != source:
                rest.append(column.like(f"% {word}%") if in_row else _has_word(company, word_kind, word))
    # Last, as it is the one look-up every row of a word source needs.
    rest.append(current_on(on) if kind == _BY_CREBO else _recognised(company, criteria.crebos, on))
    return rest


def _smallest(session: Session, criteria: search.Criteria, sources: list[_Source]) -> _Source:
    """The source with the fewest rows (the first of those with _SIZE_PROBE or more), in one query."""
    counts = []
    for source in sources:
        company, own, _ = _source_rows(criteria, source)
        rows = select(company).where(*own).limit(_SIZE_PROBE).subquery()
        counts.append(select(func.count()).select_from(rows).scalar_subquery())
    sizes = session.connection().execute(select(*counts)).one()
    return sources[min(range(len(sources)), key=lambda i: sizes[i])]


def _distinct_ids(session: Session, statement: Select[str], wanted: int) -> list[str]:
    """The first *wanted* different ids *statement* yields (a company may come in several rows:
    one per matching word or recognition). Plain Core rows: the ORM would add a millisecond."""
    rows = wanted
    while True:
        ids = session.connection().execute(statement.limit(rows)).scalars().all()
        distinct = list(dict.fromkeys(ids))
        if len(distinct) >= wanted or len(ids) < rows:
            return distinct[:wanted]
        rows = rows * wanted // len(distinct) + wanted // 4  # as many more as the repeats so far suggest


def _hits(session: Session, ids: Sequence[str], criteria: search.Criteria, on: dt.date) -> list[search.Hit]:
    """The companies *ids*, in id order, with their current recognitions and open placement places
    (of the crebos searched for): three plain queries, a third of what the ORM's loading took."""
    if not ids:
        return []
    connection = session.connection()
    recognitions: dict[str, list[domain.Recognition]] = {}
    for recognition in connection.execute(
        select(RecognitionModel.leerbedrijf_id, *_RECOGNITION_FIELDS).join(QualificationModel)
        .where(RecognitionModel.leerbedrijf_id.in_(ids))
        .order_by(RecognitionModel.leerbedrijf_id, RecognitionModel.crebo, RecognitionModel.start_date)
    ):
        recognitions.setdefault(recognition[0], []).append(domain.Recognition(*recognition[1:]))
    placements: dict[str, list[domain.Placement]] = {}
    for placement in connection.execute(  # the crebos are left to Python: by crebo, SQLite would read them all
        select(PlacementModel.leerbedrijf_id, *_PLACEMENT_FIELDS).join(QualificationModel)
        .where(PlacementModel.leerbedrijf_id.in_(ids))
        .order_by(PlacementModel.leerbedrijf_id, PlacementModel.start_date, PlacementModel.id)
    ):
        if criteria.crebos is None or placement.crebo in criteria.crebos:
            placements.setdefault(placement[0], []).append(domain.Placement(*placement[1:]))
    hits = []
    for row in connection.execute(select(CompanyModel.__table__).where(CompanyModel.leerbedrijf_id.in_(ids))
                                  .order_by(CompanyModel.leerbedrijf_id)):
        company = to_company(row, tuple(recognitions.get(row.leerbedrijf_id, ())))
        hits.append(search.Hit(company, tuple(r for r in company.recognitions if r.is_current_on(on)),
                               tuple(placements.get(row.leerbedrijf_id, ()))))
    return hits


_RECOGNITION_FIELDS = (RecognitionModel.crebo, QualificationModel.name, QualificationModel.level,
                       RecognitionModel.start_date, RecognitionModel.end_date, RecognitionModel.withdrawn_on,
                       RecognitionModel.withdrawal_reason)
"""The columns of :class:`domain.Recognition`, in its order."""
_PLACEMENT_FIELDS = (PlacementModel.id, PlacementModel.learning_path, PlacementModel.crebo, QualificationModel.name,
                     QualificationModel.level, PlacementModel.start_date, PlacementModel.places,
                     PlacementModel.description)
"""The columns of :class:`domain.Placement`, in its order."""


def search_recognised(
    session: Session, criteria: search.Criteria, *, on: dt.date, after: str | None, limit: int
) -> tuple[list[search.Hit], int]:
    """Recognised companies meeting *criteria*, after leerbedrijf-id *after*, by id; and how many
    meet them, counted up to :data:`search.COUNT_CAP` + 1."""
    sources = _sources(criteria)
    short = len(sources) > 1 and len(sources[0][1]) <= _SHORT_PREFIX
    source = _smallest(session, criteria, sources) if short else sources[0]
    company, own, order = _source_rows(criteria, source)
    rest = _other_criteria(criteria, on, source, company)
    found = _distinct_ids(session, select(company).where(*own, *rest).order_by(*order), search.COUNT_CAP + 1)
    following = [i for i in found if after is None or i > after]
    if len(found) <= search.COUNT_CAP:
        return _hits(session, sorted(following)[:limit], criteria, on), len(found)
    walked, in_id_order = _walked_rows(session, criteria, source)
    if in_id_order and len(following) >= limit:  # then the companies found are the first ones by id
        return _hits(session, following[:limit], criteria, on), len(found)
    walk = select(company).where(
        *walked, *_other_criteria(criteria, on, source, company, words_in_row=in_id_order)
    ).order_by(company)
    page = _distinct_ids(session, walk if after is None else walk.where(company > after), limit)
    return _hits(session, page, criteria, on), len(found)
