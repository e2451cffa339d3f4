"""Opvragen erkenningen against the database the migrations build (SQLite, and PostgreSQL when set).

Every search is checked against the rule itself, applied to every company in Python: whichever
source the query reads and whether the count stays within the cap or the page is walked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ketenserver.db import make_engine, make_session_factory
from ketenserver.migrate import upgrade
from ketenserver.recognitions import domain, search, storage
from ketenserver.recognitions.storage import CompanyModel, CompanyWordModel, RecognitionModel

TODAY = dt.date(2025, 3, 1)
KEY = b"test token key"


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as session:
        yield session
        session.rollback()


def _pages(session: Session, query: search.SearchQuery) -> tuple[list[search.SearchResult], list[str]]:
    directory = storage.SqlCompanyDirectory(session)
    results, ids, token = [], [], None
    while len(results) < 500:  # a page that does not move on fails the test instead of hanging it
        result = search.search(search.SearchQuery(**{**vars(query), "token": token}), index=directory, on=TODAY,
                               token_key=KEY)
        results.append(result)
        ids.extend(hit.company.leerbedrijf_id for hit in result.hits)
        token = result.next_token
        if token is None:
            break
    return results, ids


def _meets(company: domain.Company, wanted: search.Criteria) -> bool:
    """The rule of the search module's docstring, company by company."""
    crebos = wanted.crebos
    names, places = search.search_words(company.name, company_name=True), search.search_words(company.address.place)
    return (
        any(r.is_current_on(TODAY) and (crebos is None or r.crebo in crebos) for r in company.recognitions)
        and wanted.leerbedrijf_id in (None, company.leerbedrijf_id)
        and wanted.country in (None, company.address.country_code)
        and all(any(w.startswith(prefix) for w in names) for prefix in wanted.name_words)
        and all(any(w.startswith(prefix) for w in places) for prefix in wanted.place_words)
    )


QUERIES = [
    search.SearchQuery(crebo="25173"),
    search.SearchQuery(qualification_name="medewerker"),  # several qualifications
    search.SearchQuery(company_name="b"),
    search.SearchQuery(company_name="supermarkt"),  # a range of one word: walked in its own index
    search.SearchQuery(company_name="supermarkt h"),
    search.SearchQuery(company_name="bakk vri"),
    search.SearchQuery(company_name="de", place="a"),  # two word ranges: the smaller is read
    search.SearchQuery(company_name="s", place="s hert"),  # 's-Hertogenbosch: two place words
    search.SearchQuery(crebo="25167", country="BE"),  # one crebo in one country: walked in its own index
    search.SearchQuery(qualification_name="kok", country="NL"),
    search.SearchQuery(crebo="25173", company_name="bakk"),  # crebo and a word: either may be read
    search.SearchQuery(qualification_name="medewerker", place="a", country="NL"),
    search.SearchQuery(company_name="e", country="DE"),
    search.SearchQuery(leerbedrijf_id="100000001", crebo="25173", company_name="vri", place="amst", country="NL"),
    search.SearchQuery(leerbedrijf_id="100000002"),  # known, not recognised
    search.SearchQuery(company_name="zzzz"),
]


@pytest.mark.parametrize("cap", [search.COUNT_CAP, 2], ids=["exact", "capped"])
@pytest.mark.parametrize("query", QUERIES, ids=repr)
def test_every_search_finds_exactly_the_companies_meeting_it(
    session: Session, monkeypatch: pytest.MonkeyPatch, query: search.SearchQuery, cap: int
) -> None:
    monkeypatch.setattr(search, "COUNT_CAP", cap)
    wanted = search.criteria(query, storage.SqlCompanyDirectory(session))
    rows = session.scalars(select(CompanyModel).order_by(CompanyModel.leerbedrijf_id))
    expected = [c.leerbedrijf_id for c in map(storage.to_company, rows) if _meets(c, wanted)]

    results, ids = _pages(session, search.SearchQuery(**{**vars(query), "page_size": 2}))

    assert ids == expected
    first = results[0]
    assert (first.total, first.total_capped) == ((cap, True) if len(expected) > cap else (len(expected), False))
    assert all((r.total, r.total_capped) == (first.total, first.total_capped) for r in results)


def test_the_broad_queries_above_really_are_broader_than_the_small_cap(session: Session) -> None:
    broad = [q for q in QUERIES if len(_pages(session, q)[1]) > 2]
    assert len(broad) >= 8  # so each walk in leerbedrijf-id order is exercised


def test_a_capped_total_says_so(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "COUNT_CAP", 3)
    result = search.search(search.SearchQuery(company_name="b"), index=storage.SqlCompanyDirectory(session),
                           on=TODAY, token_key=KEY)
    assert (result.total, result.total_capped) == (3, True)
    assert result.melding == "Meer dan 3 erkende leerbedrijven gevonden."
    assert len(result.hits) == search.DEFAULT_PAGE_SIZE and result.next_token is not None


def test_a_recognition_takes_the_country_of_its_company(session: Session) -> None:
    session.add(CompanyModel(leerbedrijf_id="999000001", name="Garage Test", name_key="garagetest",
                             kvk_number="11111111", street="Kerkstraat", house_number=1, postcode="2000",
                             place="Antwerpen", country_code="BE"))
    session.flush()
    session.add(RecognitionModel(leerbedrijf_id="999000001", crebo="25242", start_date=dt.date(2020, 1, 1)))
    session.execute(sa.insert(CompanyWordModel), storage.word_rows("999000001", "Garage Test", "Antwerpen"))
    session.flush()
    assert session.scalar(select(RecognitionModel.country_code).where(
        RecognitionModel.leerbedrijf_id == "999000001")) == "BE"
    found = search.search(search.SearchQuery(crebo="25242", country="BE", company_name="garage t"),
                          index=storage.SqlCompanyDirectory(session), on=TODAY, token_key=KEY)
    assert [h.company.leerbedrijf_id for h in found.hits] == ["999000001"]


def test_word_rows_carry_all_words_of_the_company() -> None:
    rows = storage.word_rows("123456789", "Bakkerij De Vries B.V.", "'s-Hertogenbosch")
    shared = {"leerbedrijf_id": "123456789", "names": " bakkerij de vries", "places": " s hertogenbosch"}
    assert rows == [{"kind": kind, "word": word, **shared} for kind, word in (
        ("n", "bakkerij"), ("n", "de"), ("n", "vries"), ("p", "s"), ("p", "hertogenbosch"))]


def test_the_migration_derives_countries_and_words_of_existing_companies(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'upgrade.sqlite3'}")
    upgrade(engine, "0005")
    old_words = sa.table("sbb_company_words", sa.column("kind"), sa.column("word"), sa.column("leerbedrijf_id"))
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO sbb_companies (leerbedrijf_id, name, name_key, kvk_number, street, house_number, postcode,"
            " place, country_code) VALUES ('100000009', 'Bakkerij Peeters', 'bakkerijpeeters', '12345678',"
            " 'Kouter', 1, '9000', 'Gent', 'BE')"))
        connection.execute(sa.text("INSERT INTO sbb_qualifications (crebo, name, level) VALUES ('25173', 'Bakker', 2)"))
        connection.execute(sa.text("INSERT INTO sbb_recognitions (leerbedrijf_id, crebo, start_date)"
                                   " VALUES ('100000009', '25173', '2020-01-01')"))
        connection.execute(sa.insert(old_words), [{"kind": "n", "word": "oud", "leerbedrijf_id": "100000009"}])
    upgrade(engine)
    with make_session_factory(engine)() as session:
        assert session.scalar(select(RecognitionModel.country_code)) == "BE"
        words = session.execute(select(CompanyWordModel.kind, CompanyWordModel.word, CompanyWordModel.names,
                                       CompanyWordModel.places)).all()
        assert sorted(words) == [("n", "bakkerij", " bakkerij peeters", " gent"),
                                 ("n", "peeters", " bakkerij peeters", " gent"),
                                 ("p", "gent", " bakkerij peeters", " gent")]
        found = search.search(search.SearchQuery(crebo="25173", country="BE", company_name="peet"),
                              index=storage.SqlCompanyDirectory(session), on=TODAY, token_key=KEY)
        assert [h.company.leerbedrijf_id for h in found.hits] == ["100000009"]
    engine.dispose()
