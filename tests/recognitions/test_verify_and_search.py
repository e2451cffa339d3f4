"""Natrekken erkenning, Opvragen detailgegevens and Opvragen erkenningen: rules and queries."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from sqlalchemy.orm import Session

from ketencore.errors import BusinessError
from ketenserver.recognitions import domain, search, storage
from ketenserver.recognitions.domain import NatrekCode, Recognition
from tests import factories

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


# --- Against the database -------------------------------------------------------------------------


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


def test_search_by_crebo_finds_exactly_the_companies_recognised_for_it(db_session: Session) -> None:
    crebo = factories.qualification(db_session).crebo
    recognised = [factories.company(db_session, recognised_for=[crebo]).leerbedrijf_id for _ in range(5)]
    for lapsed in ({"end": D(2024, 12, 31)}, {"withdrawn_on": D(2025, 3, 1)}, {"start": D(2025, 3, 2)}):
        factories.recognition(db_session, factories.company(db_session), crebo, **lapsed)  # type: ignore[arg-type]
    factories.company(db_session, recognised_for=[factories.qualification(db_session)])
    assert _all_ids(db_session, crebo=crebo, page_size=3) == recognised
    assert _search(db_session, crebo=crebo).total == len(recognised)


def test_search_by_name_prefixes_ignores_case_and_diacritics(db_session: Session) -> None:
    word = factories.unique_word()
    crebo = factories.qualification(db_session).crebo

    def make(name: str, **lapsed: dt.date) -> str:
        made = factories.company(db_session, name=name)
        factories.recognition(db_session, made, crebo, **lapsed)
        return made.leerbedrijf_id

    expected = [make(f"Bakkerij {word.capitalize()} B.V."), make(f"{word.upper()} Bakkerswinkel"),
                make(f"Bäkkerij {word}")]
    make(f"Brood {word}")  # no word starting with "bakk"
    make(f"Bakkerij {word} Oud", end=D(2020, 1, 1))  # no longer recognised
    assert _all_ids(db_session, company_name=f"BÁKK {word.upper()}", page_size=100) == expected
    assert _search(db_session, company_name=f"bakkerijx {word}").total == 0


def test_search_by_qualification_name_place_and_country(db_session: Session) -> None:
    word = factories.unique_word()
    crebo = factories.qualification(db_session, name=f"Verzorgende {word}").crebo
    in_zwolle = factories.company(db_session, name=f"Zorgcentrum {factories.unique_word()}", place="Zwolle",
                                  recognised_for=[crebo]).leerbedrijf_id
    elsewhere = factories.company(db_session, place="Deventer", recognised_for=[crebo]).leerbedrijf_id
    belgian = factories.company(db_session, country_code="BE", place="Gent", recognised_for=[crebo]).leerbedrijf_id
    factories.company(db_session, place="Zwolle", recognised_for=[factories.qualification(db_session)])
    by_name = _all_ids(db_session, qualification_name=f"VERZORG {word}", page_size=100)  # word prefixes, any case
    assert by_name == [in_zwolle, elsewhere, belgian]
    assert _all_ids(db_session, qualification_name=word, place="zwol", page_size=100) == [in_zwolle]
    found = _search(db_session, qualification_name=word, country="BE", page_size=100)
    assert [h.company.leerbedrijf_id for h in found.hits] == [belgian]
    assert all(h.company.address.country_code == "BE" for h in found.hits)
    known = factories.company(db_session)
    assert _search(db_session, leerbedrijf_id=known.leerbedrijf_id).total == 0  # known, not recognised
    assert _search(db_session, leerbedrijf_id=in_zwolle, company_name="zorgcentrum").total == 1
    assert _search(db_session, leerbedrijf_id=in_zwolle, company_name="garage").total == 0


def test_placements_are_those_of_the_searched_qualification(db_session: Session) -> None:
    bakker, zelfstandig, banket = (factories.qualification(db_session).crebo for _ in range(3))
    bakery = factories.company(db_session, recognised_for=[bakker, zelfstandig])
    factories.recognition(db_session, bakery, banket, withdrawn_on=D(2023, 9, 1))
    factories.placement(db_session, bakery, bakker, learning_path="BOL", places=2)
    factories.placement(db_session, bakery, zelfstandig, learning_path="BBL")
    hit = _search(db_session, crebo=bakker, leerbedrijf_id=bakery.leerbedrijf_id).hits[0]
    assert [(p.learning_path, p.crebo) for p in hit.placements] == [("BOL", bakker)]
    hit = _search(db_session, leerbedrijf_id=bakery.leerbedrijf_id).hits[0]
    assert {(p.learning_path, p.crebo) for p in hit.placements} == {("BOL", bakker), ("BBL", zelfstandig)}
    assert {r.crebo for r in hit.current} == {bakker, zelfstandig}


def test_search_rules_refuse(db_session: Session) -> None:
    crebo, other = (factories.qualification(db_session).crebo for _ in range(2))
    for _ in range(2):
        factories.company(db_session, recognised_for=[crebo])
    token = _search(db_session, crebo=crebo, page_size=1).next_token
    assert token is not None
    for criteria, code, field in (
        ({"place": "Zwolle"}, "SBB-1006", "OpvragenErkenningen"),
        ({"company_name": "B.V."}, "SBB-1009", "Bedrijfsnaam"),
        ({"crebo": other, "country": "FR"}, "SBB-1009", "Land"),
        ({"crebo": other, "page_size": 101}, "SBB-1008", "PaginaGrootte"),
        ({"crebo": other, "token": token}, "SBB-1007", "VervolgToken"),  # a token of another search
    ):
        with pytest.raises(BusinessError) as refused:
            _search(db_session, **criteria)
        assert (refused.value.code, refused.value.field) == (code, field), criteria


def test_details_of_a_company(db_session: Session) -> None:
    made = factories.company(db_session, postal_street="Postbus", postal_number=1234, postal_postcode="1000AE",
                             postal_place="Amsterdam", postal_country_code="NL")
    for role in ("Eigenaar", "Praktijkopleider"):
        factories.contact(db_session, made, role=role)
    crebo = factories.qualification(db_session).crebo
    factories.placement(db_session, made, crebo, places=2)
    factories.placement(db_session, made, crebo, learning_path="BBL")
    details = domain.details(made.leerbedrijf_id, directory=storage.SqlCompanyDirectory(db_session))
    assert details.postal_address is not None
    assert (details.postal_address.street, details.postal_address.house_number) == ("Postbus", 1234)
    assert [c.role for c in details.contacts] == ["Eigenaar", "Praktijkopleider"]
    assert details.placement_places == 3
    plain = domain.details(factories.company(db_session).leerbedrijf_id,
                           directory=storage.SqlCompanyDirectory(db_session))
    assert (plain.postal_address, plain.contacts, plain.placement_places) == (None, (), 0)


def test_details_of_a_demo_company(db_session: Session) -> None:
    """The demo bakery as :mod:`ketenserver.recognitions.seed_demo` documents it: deliberately the
    seeded row, which every sandbox database (and the test database) holds."""
    details = domain.details("100000001", directory=storage.SqlCompanyDirectory(db_session))
    assert details.postal_address is not None and details.postal_address.street == "Postbus"
    assert [c.role for c in details.contacts] == ["Eigenaar", "Praktijkopleider"]
    assert details.placement_places == 3
    with pytest.raises(BusinessError):
        domain.details("999999999", directory=storage.SqlCompanyDirectory(db_session))
