"""Opvragen erkenningen against the database the migrations build (SQLite, and PostgreSQL when set).

Every search is checked against the rule itself, applied to every company in Python: whichever
source the query reads and whether the count stays within the cap or the page is walked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketenserver.db import make_engine, make_session_factory
from ketenserver.migrate import upgrade
from ketenserver.recognitions import domain, search, storage
from ketenserver.recognitions.storage import CompanyModel, CompanyWordModel, RecognitionModel
from tests import factories

D = dt.date
TODAY = D(2025, 3, 1)
KEY = b"test token key"


@pytest.fixture
def population(db_session: Session) -> dict[str, str]:
    """Companies of the test's own, for every kind of search below (besides what the database
    holds already, which the rule is applied to as well): the placeholders of ``QUERIES``."""
    bakker = factories.qualification(db_session, name="Uitvoerend testbakker").crebo
    handel = factories.qualification(db_session, name="Medewerker testhandel").crebo
    kok = factories.qualification(db_session, name="Kok testkeuken").crebo

    def make(name: str, place: str, *recognised: str, country: str = "NL") -> CompanyModel:
        return factories.company(db_session, name=name, place=place, country_code=country,
                                 postcode={"NL": None, "BE": "9000", "DE": "50667"}[country], recognised_for=recognised)

    bakery = make("Bakkerij De Vries Test B.V.", "Amsterdam", bakker)
    factories.recognition(db_session, bakery, handel, withdrawn_on=D(2024, 1, 1))
    make("Bakkerij Vriesland", "'s-Hertogenbosch", bakker)
    make("Banketbakkerij Vrienden", "Amstelveen", bakker)
    factories.recognition(db_session, make("Bakker & Zn.", "Haarlem"), bakker, end=D(2024, 12, 31))
    make("Supermarkt Hoogvliet Test", "Haarlem", handel)
    make("Supermarkt Het Plein", "Amsterdam", handel)
    make("Supermarkt Hema", "'s-Hertogenbosch", handel, kok)
    make("Slagerij Smit", "'s-Hertogenbosch", kok)
    make("Schoenmaker Sam", "'s-Hertogenbosch", handel)
    factories.recognition(db_session, make("Bloemist Boeket", "'s-Hertogenbosch"), bakker, start=D(2026, 1, 1))
    make("Café De Hoek", "Alkmaar", kok)
    make("De Smaak Kok", "Antwerpen", bakker, kok, country="BE")
    make("Bakkerij Peeters", "Gent", bakker, country="BE")
    make("Brasserie Dewaele", "Brugge", bakker, country="BE")
    make("Eetcafé Emma", "Essen", kok, country="DE")
    make("Bäckerei Ernst", "Köln", bakker, country="DE")
    make("Elektro Engel", "Bonn", handel, country="DE")
    not_recognised = make("Bouwbedrijf Brand", "Utrecht")
    factories.recognition(db_session, make("Bakkerij Weg", "Utrecht"), bakker, withdrawn_on=D(2024, 6, 1))
    return {"<bakker>": bakker, "<bakery>": bakery.leerbedrijf_id, "<not recognised>": not_recognised.leerbedrijf_id}


def _resolved(query: search.SearchQuery, population: dict[str, str]) -> search.SearchQuery:
    return replace(query, **{name: population[value] for name, value in vars(query).items() if value in population})


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


QUERIES = [  # "<...>": a crebo or leerbedrijf-id of the population
    search.SearchQuery(crebo="<bakker>"),
    search.SearchQuery(qualification_name="medewerker"),  # several qualifications
    search.SearchQuery(company_name="b"),
    search.SearchQuery(company_name="supermarkt"),  # a range of one word: walked in its own index
    search.SearchQuery(company_name="supermarkt h"),
    search.SearchQuery(company_name="bakk vri"),
    search.SearchQuery(company_name="de", place="a"),  # two word ranges: the smaller is read
    search.SearchQuery(company_name="s", place="s hert"),  # 's-Hertogenbosch: two place words
    search.SearchQuery(crebo="<bakker>", country="BE"),  # one crebo in one country: walked in its own index
    search.SearchQuery(qualification_name="kok", country="NL"),
    search.SearchQuery(crebo="<bakker>", company_name="bakk"),  # crebo and a word: either may be read
    search.SearchQuery(qualification_name="medewerker", place="a", country="NL"),
    search.SearchQuery(company_name="e", country="DE"),
    search.SearchQuery(leerbedrijf_id="<bakery>", crebo="<bakker>", company_name="vri", place="amst", country="NL"),
    search.SearchQuery(leerbedrijf_id="<not recognised>"),  # known, not recognised
    search.SearchQuery(company_name="zzzz"),
]


@pytest.mark.parametrize("cap", [search.COUNT_CAP, 2], ids=["exact", "capped"])
@pytest.mark.parametrize("query", QUERIES, ids=repr)
def test_every_search_finds_exactly_the_companies_meeting_it(
    db_session: Session, population: dict[str, str], monkeypatch: pytest.MonkeyPatch, query: search.SearchQuery,
    cap: int
) -> None:
    monkeypatch.setattr(search, "COUNT_CAP", cap)
    query = _resolved(query, population)
    wanted = search.criteria(query, storage.SqlCompanyDirectory(db_session))
    rows = db_session.scalars(select(CompanyModel).order_by(CompanyModel.leerbedrijf_id))
    expected = [c.leerbedrijf_id for c in map(storage.to_company, rows) if _meets(c, wanted)]

    results, ids = _pages(db_session, search.SearchQuery(**{**vars(query), "page_size": 2}))

    assert ids == expected
    first = results[0]
    assert (first.total, first.total_capped) == ((cap, True) if len(expected) > cap else (len(expected), False))
    assert all((r.total, r.total_capped) == (first.total, first.total_capped) for r in results)


def test_the_broad_queries_above_really_are_broader_than_the_small_cap(
        db_session: Session, population: dict[str, str]) -> None:
    broad = [q for q in QUERIES if len(_pages(db_session, _resolved(q, population))[1]) > 2]
    assert len(broad) >= 8  # so each walk in leerbedrijf-id order is exercised


def test_a_capped_total_says_so(db_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    word, crebo = factories.unique_word(), factories.qualification(db_session).crebo
    for _ in range(search.DEFAULT_PAGE_SIZE + 1):
        factories.company(db_session, name=f"Bakkerij {word} {factories.unique_word()}", recognised_for=[crebo])
    monkeypatch.setattr(search, "COUNT_CAP", 3)
    result = search.search(search.SearchQuery(company_name=word), index=storage.SqlCompanyDirectory(db_session),
                           on=TODAY, token_key=KEY)
    assert (result.total, result.total_capped) == (3, True)
    assert result.melding == "Meer dan 3 erkende leerbedrijven gevonden."
    assert len(result.hits) == search.DEFAULT_PAGE_SIZE and result.next_token is not None


def test_a_recognition_takes_the_country_of_its_company(db_session: Session) -> None:
    crebo = factories.qualification(db_session).crebo
    garage = factories.company(db_session, name="Garage Test", place="Antwerpen", postcode="2000", country_code="BE")
    db_session.add(RecognitionModel(leerbedrijf_id=garage.leerbedrijf_id, crebo=crebo, start_date=D(2020, 1, 1)))
    db_session.flush()
    assert db_session.scalar(select(RecognitionModel.country_code).where(
        RecognitionModel.leerbedrijf_id == garage.leerbedrijf_id)) == "BE"
    found = search.search(search.SearchQuery(crebo=crebo, country="BE", company_name="garage t"),
                          index=storage.SqlCompanyDirectory(db_session), on=TODAY, token_key=KEY)
    assert [h.company.leerbedrijf_id for h in found.hits] == [garage.leerbedrijf_id]


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
