"""Natrekken erkenning, Opvragen detailgegevens and Opvragen erkenningen: rules and queries."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ketencore.errors import BusinessError
from ketenserver.db import Base, make_engine, make_session_factory
from ketenserver.recognitions import domain, search, seed, storage
from ketenserver.recognitions.domain import NatrekCode, Recognition

D = dt.date
TODAY = D(2025, 3, 1)
KEY = b"test token key"


def _company(*recognitions: Recognition) -> domain.Company:
    return domain.Company("123456789", "Garage Test", "12345678",
                          domain.Address("Dorpsstraat", 1, None, "1234AB", "Ergens"), recognitions=recognitions)


# --- Natrekken erkenning: the rule ---------------------------------------------------------------

R = Recognition


@pytest.mark.parametrize(("recognitions", "on", "code"), [
    ((R("25242", "x", 2, D(2020, 1, 1)),), D(2025, 1, 1), NatrekCode.ERKEND),
    ((R("25242", "x", 2, D(2020, 1, 1), withdrawn_on=D(2024, 1, 1), withdrawal_reason="r"),), D(2024, 1, 1),
     NatrekCode.INGETROKKEN),
    ((R("25242", "x", 2, D(2020, 1, 1), withdrawn_on=D(2024, 1, 1)),), D(2023, 12, 31), NatrekCode.ERKEND),
    ((R("25242", "x", 2, D(2026, 1, 1)),), D(2025, 12, 31), NatrekCode.NOG_NIET_INGEGAAN),
    ((R("25242", "x", 2, D(2020, 1, 1), end=D(2022, 7, 31)),), D(2022, 8, 1), NatrekCode.BEEINDIGD),
    ((R("25242", "x", 2, D(2020, 1, 1), end=D(2022, 7, 31)),), D(2022, 7, 31), NatrekCode.ERKEND),
    ((R("25244", "y", 3, D(2020, 1, 1)),), D(2025, 1, 1), NatrekCode.ANDERE_KWALIFICATIE),
    ((R("25244", "y", 3, D(2020, 1, 1), end=D(2021, 1, 1)),), D(2025, 1, 1), NatrekCode.GEEN_ERKENNING),
    ((), D(2025, 1, 1), NatrekCode.GEEN_ERKENNING),
    # an old lapsed one and a future one: the one that started explains
    ((R("25242", "x", 2, D(2010, 1, 1), end=D(2015, 1, 1)), R("25242", "x", 2, D(2026, 1, 1))), D(2025, 1, 1),
     NatrekCode.BEEINDIGD),
    # ended first, withdrawn later: ended
    ((R("25242", "x", 2, D(2010, 1, 1), end=D(2015, 1, 1), withdrawn_on=D(2016, 1, 1)),), D(2020, 1, 1),
     NatrekCode.BEEINDIGD),
])
def test_judge_names_the_reason(recognitions: tuple[Recognition, ...], on: dt.date, code: NatrekCode) -> None:
    assert domain.judge(_company(*recognitions), "25242", on).signaalcode is code


def test_a_withdrawal_names_its_reason_and_the_last_day() -> None:
    withdrawn = R("25242", "x", 2, D(2020, 1, 1), withdrawn_on=D(2024, 1, 1), withdrawal_reason="bedrijf gestopt")
    result = domain.judge(_company(withdrawn), "25242", D(2024, 6, 1))
    assert "bedrijf gestopt" in result.melding and "2024-01-01" in result.melding
    assert result.recognition is withdrawn and not result.recognised


class _Directory:
    def __init__(self, *companies: domain.Company) -> None:
        self.companies = {c.leerbedrijf_id: c for c in companies}

    def get(self, leerbedrijf_id: str) -> domain.Company | None:
        return self.companies.get(leerbedrijf_id)


@pytest.mark.parametrize(("day", "allowed"), [
    (D(1999, 12, 31), False), (D(2000, 1, 1), True), (D(2027, 3, 1), True), (D(2027, 3, 2), False), (None, False),
])
def test_verify_accepts_dates_from_2000_to_two_years_ahead(day: dt.date | None, allowed: bool) -> None:
    directory = _Directory(_company(R("25242", "x", 2, D(2000, 1, 1))))
    if allowed:
        assert domain.verify("123456789", "25242", day, directory=directory, today=TODAY).recognised  # type: ignore[arg-type]
    else:
        with pytest.raises(BusinessError) as refused:
            domain.verify("123456789", "25242", day, directory=directory, today=TODAY)  # type: ignore[arg-type]
        assert (refused.value.code, refused.value.field) == ("SBB-1005", "Begindatum")


def test_verify_refuses_an_unknown_company() -> None:
    with pytest.raises(BusinessError) as refused:
        domain.verify("999999999", "25242", TODAY, directory=_Directory(), today=TODAY)  # type: ignore[arg-type]
    assert (refused.value.code, refused.value.field) == ("SBB-1001", "LeerbedrijfId")


def test_the_last_supported_date_of_a_leap_day() -> None:
    assert domain.last_supported_date(D(2024, 2, 29)) == D(2026, 2, 28)


# --- Search words, bounds and tokens --------------------------------------------------------------


@pytest.mark.parametrize(("raw", "words"), [
    ("Bakkerij De Vries B.V.", ("bakkerij", "de", "vries")),
    ("Öztürk Bouw", ("ozturk", "bouw")),
    ("Yılmaz & Zn.", ("yilmaz", "en", "zonen")),
    ("'s-Hertogenbosch", ("s", "hertogenbosch")),
    ("Eetcafé 't Hoekje", ("eetcafe", "t", "hoekje")),
])
def test_search_words_fold_case_diacritics_and_legal_forms(raw: str, words: tuple[str, ...]) -> None:
    assert search.search_words(raw, company_name=True) == words


@pytest.mark.parametrize(("prefix", "bounds"), [
    ("bakk", ("bakk", "bakl")), ("baz", ("baz", "bb")), ("a9", ("a9", "aa")), ("zz", ("zz", None)),
])
def test_prefix_bounds(prefix: str, bounds: tuple[str, str | None]) -> None:
    assert search.prefix_bounds(prefix) == bounds
    low, high = bounds
    for word in ("bakker", "bakl", "bb", "aa", "a9x", "zzz", "baz", "bazz"):
        assert (low <= word and (high is None or word < high)) is word.startswith(prefix)


def test_a_token_reads_back_only_for_its_own_search_and_key() -> None:
    print_a, print_b = b"a" * 16, b"b" * 16
    token = search.issue_token(KEY, print_a, "100000123")
    assert search.read_token(KEY, print_a, token) == "100000123"
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[8] ^= 1  # another last id
    tampered = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    for bad, fingerprint, key in ((token, print_b, KEY), (token, print_a, b"other key"), (tampered, print_a, KEY),
                                  ("garbage!", print_a, KEY), ("", print_a, KEY), (token[:-2], print_a, KEY)):
        with pytest.raises(BusinessError) as refused:
            search.read_token(key, fingerprint, bad)
        assert (refused.value.code, refused.value.field) == ("SBB-1007", "VervolgToken")


# --- Against the seeded database ------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('sbb') / 'search.sqlite3'}")
    Base.metadata.create_all(engine)
    with make_session_factory(engine).begin() as session:
        seed.seed(session, 0, companies=400)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as session:
        yield session
        session.rollback()


def _search(session: Session, **criteria: object) -> search.SearchResult:
    return search.search(search.SearchQuery(**criteria),  # type: ignore[arg-type]
                         index=storage.SqlCompanyDirectory(session), on=TODAY, token_key=KEY)


def _all_ids(session: Session, **criteria: object) -> list[str]:
    ids, token = [], None
    while True:
        page = _search(session, **criteria, token=token)
        ids.extend(h.company.leerbedrijf_id for h in page.hits)
        token = page.next_token
        if token is None:
            return ids


def _recognised(session: Session) -> list[domain.Company]:
    from sqlalchemy import select

    rows = session.scalars(select(storage.CompanyModel).order_by(storage.CompanyModel.leerbedrijf_id))
    companies = [storage.to_company(row) for row in rows]
    return [c for c in companies if any(r.is_current_on(TODAY) for r in c.recognitions)]


def test_search_by_crebo_finds_exactly_the_companies_recognised_for_it(session: Session) -> None:
    expected = [c.leerbedrijf_id for c in _recognised(session)
                if any(r.crebo == "25173" and r.is_current_on(TODAY) for r in c.recognitions)]
    assert len(expected) > 3
    assert _all_ids(session, crebo="25173", page_size=3) == expected
    assert _search(session, crebo="25173").total == len(expected)


def test_search_by_name_prefixes_ignores_case_and_diacritics(session: Session) -> None:
    expected = [c.leerbedrijf_id for c in _recognised(session)
                if all(any(w.startswith(p) for w in search.search_words(c.name)) for p in ("bakk",))]
    assert expected and _all_ids(session, company_name="BÁKK", page_size=100) == expected
    found = _search(session, company_name="bakk vri")
    assert [h.company.leerbedrijf_id for h in found.hits][:1] == ["100000001"]
    assert _search(session, company_name="bakkerijx").total == 0


def test_search_by_qualification_name_place_and_country(session: Session) -> None:
    recognised = _recognised(session)
    by_name = _all_ids(session, qualification_name="verzorg", page_size=100)
    crebos = {"25491"}  # the only qualification whose name has a word starting with "verzorg"
    assert by_name == [c.leerbedrijf_id for c in recognised
                       if any(r.crebo in crebos and r.is_current_on(TODAY) for r in c.recognitions)]
    in_zwolle = _all_ids(session, qualification_name="verzorg", place="zwol", page_size=100)
    assert "100000005" in in_zwolle and set(in_zwolle) < set(by_name)
    belgian = _search(session, qualification_name="medewerker", country="BE", page_size=100)
    assert belgian.total >= 1 and all(h.company.address.country_code == "BE" for h in belgian.hits)
    assert _search(session, leerbedrijf_id="100000002").total == 0  # known, not recognised
    assert _search(session, leerbedrijf_id="100000001", company_name="bakkerij").total == 1
    assert _search(session, leerbedrijf_id="100000001", company_name="garage").total == 0


def test_placements_are_those_of_the_searched_qualification(session: Session) -> None:
    hit = _search(session, crebo="25173", leerbedrijf_id="100000001").hits[0]
    assert [(p.learning_path, p.crebo) for p in hit.placements] == [("BOL", "25173")]
    hit = _search(session, leerbedrijf_id="100000001").hits[0]
    assert {(p.learning_path, p.crebo) for p in hit.placements} == {("BOL", "25173"), ("BBL", "25174")}
    assert {r.crebo for r in hit.current} == {"25173", "25174"}


def test_search_rules_refuse(session: Session) -> None:
    for criteria, code, field in (
        ({"place": "Zwolle"}, "SBB-1006", "OpvragenErkenningen"),
        ({"company_name": "B.V."}, "SBB-1009", "Bedrijfsnaam"),
        ({"crebo": "25173", "country": "FR"}, "SBB-1009", "Land"),
        ({"crebo": "25173", "page_size": 101}, "SBB-1008", "PaginaGrootte"),
        ({"crebo": "25173", "token": _search(session, crebo="25174", page_size=1).next_token}, "SBB-1007",
         "VervolgToken"),
    ):
        with pytest.raises(BusinessError) as refused:
            _search(session, **criteria)
        assert (refused.value.code, refused.value.field) == (code, field), criteria


def test_details_of_a_demo_company(session: Session) -> None:
    details = domain.details("100000001", directory=storage.SqlCompanyDirectory(session))
    assert details.postal_address is not None and details.postal_address.street == "Postbus"
    assert [c.role for c in details.contacts] == ["Eigenaar", "Praktijkopleider"]
    assert details.placement_places == 3
    with pytest.raises(BusinessError):
        domain.details("999999999", directory=storage.SqlCompanyDirectory(session))
