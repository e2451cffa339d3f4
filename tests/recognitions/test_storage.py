"""SBB tables, the seed and the queries.

The seed is checked on a SQLite file of its own, with the server's pragmas; the queries and the
constraints on rows made by the factories, in the test database (SQLite, and PostgreSQL when set).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ketenserver.db import Base, make_engine, make_session_factory
from ketenserver.recognitions import domain, seed, storage
from ketenserver.recognitions.storage import CompanyModel, QualificationModel, RecognitionModel
from tests import factories

D = dt.date
TODAY = D(2025, 3, 1)


def _engine(path: str) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    return engine


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A SQLite file holding the seed alone (500 companies)."""
    engine = _engine(str(tmp_path_factory.mktemp("sbb") / "storage.sqlite3"))
    with make_session_factory(engine).begin() as session:
        assert seed.seed(session, 0, companies=500) == 500
    yield engine
    engine.dispose()


@pytest.fixture
def session(seeded: Engine) -> Iterator[Session]:
    """A session on the seeded file, rolled back after the test."""
    with make_session_factory(seeded)() as session:
        yield session
        session.rollback()


# --- The seed ------------------------------------------------------------------------------------


def test_seed_fills_the_requested_number_and_skips_when_filled(session: Session) -> None:
    assert session.scalar(select(func.count()).select_from(CompanyModel)) == 500
    assert seed.seed(session, 0, companies=500) == 0
    assert session.scalar(select(func.count()).select_from(CompanyModel)) == 500


def test_seed_is_deterministic_per_seed_number(tmp_path_factory: pytest.TempPathFactory) -> None:
    def population(number: int) -> list[tuple[object, ...]]:
        engine = _engine(str(tmp_path_factory.mktemp("again") / "seed.sqlite3"))
        with make_session_factory(engine).begin() as session:
            seed.seed(session, number, companies=60)
            rows = session.execute(
                select(CompanyModel.leerbedrijf_id, CompanyModel.name, CompanyModel.postcode,
                       func.count(RecognitionModel.id))
                .outerjoin(RecognitionModel).group_by(CompanyModel.leerbedrijf_id).order_by(CompanyModel.leerbedrijf_id)
            ).all()
        engine.dispose()
        return [tuple(row) for row in rows]

    assert population(7) == population(7)
    assert population(7) != population(8)


def test_the_demo_companies_are_there_as_documented(session: Session) -> None:
    for demo in seed.DEMO_COMPANIES:
        company = storage.get_company(session, demo.leerbedrijf_id)
        assert company is not None
        assert (company.name, company.address.postcode, company.address.house_number) == (
            demo.name, demo.postcode, demo.house_number
        )
        assert bool(storage.current_recognitions(session, demo.leerbedrijf_id, TODAY)) is demo.recognised
    assert [d.recognised for d in seed.DEMO_COMPANIES] == [True, False, True, True, True]


def test_generated_companies_look_dutch_and_are_consistent(session: Session) -> None:
    places = {name: (low, high) for name, low, high, _ in seed.PLACES}
    abroad = {name: (country, low, high, prefix) for country, name, low, high, prefix in seed.FOREIGN_PLACES}
    rows = session.scalars(select(CompanyModel)).all()
    assert len({r.leerbedrijf_id for r in rows}) == len(rows)
    for row in rows:
        assert len(row.leerbedrijf_id) == 9 and row.leerbedrijf_id.isdigit()
        assert len(row.kvk_number) == 8 and row.kvk_number.isdigit()
        establishment = row.kvk_establishment
        assert establishment is None or (len(establishment) == 12 and establishment.isdigit())
        if row.country_code == "NL":
            assert domain.normalise_postcode(row.postcode) == row.postcode
            low, high = places[row.place]
            assert low <= int(row.postcode[:4]) <= high, (row.place, row.postcode)
            assert row.phone is not None and row.phone.startswith("0") and len(row.phone.replace("-", "")) == 10
        else:
            country, low, high, prefix = abroad[row.place]
            assert row.country_code == country and low <= int(row.postcode) <= high, (row.place, row.postcode)
            assert len(row.postcode) == (4 if country == "BE" else 5)
            assert row.phone is not None and row.phone.startswith(prefix + " ")
        assert row.name_key == domain.name_key(row.name)
        assert row.email is not None and row.email.endswith(".example")
    generated = [r for r in rows if r.leerbedrijf_id >= str(seed.FIRST_GENERATED_ID)]
    assert len(generated) == 495


def test_about_85_percent_are_recognised_and_some_were_withdrawn(session: Session) -> None:
    companies = [storage.to_company(row) for row in session.scalars(select(CompanyModel))]
    recognised = sum(any(r.is_current_on(TODAY) for r in c.recognitions) for c in companies)
    assert 0.78 <= recognised / len(companies) <= 0.92
    reasons = {r.withdrawal_reason for c in companies for r in c.recognitions if r.withdrawn_on}
    assert reasons == set(seed.WITHDRAWAL_REASONS)
    counts = [len(c.recognitions) for c in companies]
    assert max(counts) <= 4 and 0 in counts


def test_qualifications_come_from_the_shipped_table(session: Session) -> None:
    shipped = seed.load_qualifications()
    assert len(shipped) >= 30
    assert all(len(q.crebo) == 5 and q.crebo.isdigit() and 1 <= q.level <= 4 for q in shipped)
    assert {q.crebo for q in shipped} >= {c for s in seed.SECTORS for c in s.crebos}
    stored = {q.crebo: (q.name, q.level) for q in session.scalars(select(QualificationModel))}
    assert stored == {q.crebo: (q.name, q.level) for q in shipped}
    assert stored["25180"] == ("Kok", 2)  # spot check against the source regulation


# --- Queries -------------------------------------------------------------------------------------


def test_find_by_normalised_name_and_postcode(db_session: Session) -> None:
    bakery_name = f"Bakkerij {factories.unique_word()} B.V."
    bakery = factories.company(db_session, name=bakery_name, postcode="1012 AB")
    crebos = [factories.qualification(db_session).crebo for _ in range(3)]
    factories.recognition(db_session, bakery, crebos[2], start=D(2019, 2, 1), withdrawn_on=D(2023, 9, 1))
    for crebo in crebos[:2]:
        factories.recognition(db_session, bakery, crebo, start=D(2018, 8, 1))
    key = domain.name_key(bakery_name.lower().removesuffix(" b.v."))
    (found,) = storage.find_companies(db_session, name_key=key, postcode="1012AB")
    assert found.leerbedrijf_id == bakery.leerbedrijf_id
    assert [r.crebo for r in found.recognitions] == crebos  # all, current or not
    assert storage.find_companies(db_session, name_key=key, postcode="1012AC") == []


def test_house_number_narrows_and_order_is_stable(db_session: Session) -> None:
    name = f"Schildersbedrijf {factories.unique_word()} B.V."
    at_12, at_14 = (factories.company(db_session, name=name, postcode="2517AB", house_number=number)
                    for number in (12, 14))
    key = domain.name_key(name)
    assert [c.leerbedrijf_id for c in storage.find_companies(db_session, name_key=key, postcode="2517AB")] == [
        at_12.leerbedrijf_id, at_14.leerbedrijf_id
    ]
    narrowed = storage.find_companies(db_session, name_key=key, postcode="2517AB", house_number=14)
    assert [c.leerbedrijf_id for c in narrowed] == [at_14.leerbedrijf_id]


def test_order_is_number_then_addition_then_id_and_limited(db_session: Session) -> None:
    name = f"Garage {factories.unique_word()}"
    ids = factories.leerbedrijf_ids(db_session, 6)  # written out of id order: the order is not the insertion's
    addresses = [(ids[4], 3, "B"), (ids[3], 3, None), (ids[2], 3, "A"), (ids[1], 1, None), (ids[0], 3, None),
                 (ids[5], 20, None)]
    for leerbedrijf_id, number, suffix in addresses:
        factories.company(db_session, leerbedrijf_id=leerbedrijf_id, name=name, house_number=number,
                          house_number_suffix=suffix, postcode="9711AB", place="Groningen")
    key = domain.name_key(name)
    found = storage.find_companies(db_session, name_key=key, postcode="9711AB", limit=5)
    assert [c.leerbedrijf_id for c in found] == [ids[1], ids[0], ids[3], ids[2], ids[4]]
    with_addition = storage.find_companies(
        db_session, name_key=key, postcode="9711AB", house_number=3, house_number_suffix="A"
    )
    assert [c.leerbedrijf_id for c in with_addition] == [ids[2]]


@pytest.fixture
def recognised(db_session: Session) -> dict[str, object]:
    """A company recognised for A and B since 2018-08-01 and for C from 2019-02-01 until its withdrawal
    on 2023-09-01, and one for D from 2015-08-01 until its withdrawal on 2022-06-01."""
    a, b, c, d = (factories.qualification(db_session).crebo for _ in range(4))
    several, withdrawn = factories.company(db_session), factories.company(db_session)
    factories.recognition(db_session, several, a, start=D(2018, 8, 1))
    factories.recognition(db_session, several, b, start=D(2018, 8, 1))
    factories.recognition(db_session, several, c, start=D(2019, 2, 1), withdrawn_on=D(2023, 9, 1))
    factories.recognition(db_session, withdrawn, d, start=D(2015, 8, 1), withdrawn_on=D(2022, 6, 1))
    return {"several": several.leerbedrijf_id, "withdrawn": withdrawn.leerbedrijf_id, "A": a, "B": b, "C": c, "D": d}


@pytest.mark.parametrize(
    ("company", "on", "crebos"),
    [
        ("several", D(2018, 7, 31), []),
        ("several", D(2018, 8, 1), ["A", "B"]),
        ("several", D(2023, 8, 31), ["A", "B", "C"]),
        ("several", D(2023, 9, 1), ["A", "B"]),  # C withdrawn from that day
        ("withdrawn", D(2022, 5, 31), ["D"]),
        ("withdrawn", D(2022, 6, 1), []),
    ],
)
def test_current_recognitions_by_date(
    db_session: Session, recognised: dict[str, str], company: str, on: dt.date, crebos: list[str]
) -> None:
    found = storage.current_recognitions(db_session, recognised[company], on)
    assert [r.crebo for r in found] == [recognised[crebo] for crebo in crebos]


def test_the_sql_currency_rule_equals_the_domain_rule(db_session: Session) -> None:
    crebo = factories.qualification(db_session).crebo
    made = factories.company(db_session)
    for start, end, withdrawn_on in [  # open, ended, withdrawn, both (either first), a single day, future
        (D(2018, 8, 1), None, None), (D(2016, 1, 1), D(2019, 12, 31), None), (D(2017, 3, 1), None, D(2021, 6, 1)),
        (D(2010, 1, 1), D(2015, 1, 1), D(2016, 1, 1)), (D(2011, 1, 1), D(2014, 1, 1), D(2013, 5, 1)),
        (D(2020, 2, 29), D(2020, 2, 29), None), (D(2030, 1, 1), None, None),
    ]:
        factories.recognition(db_session, made, crebo, start=start, end=end, withdrawn_on=withdrawn_on)
    own = RecognitionModel.leerbedrijf_id == made.leerbedrijf_id
    rows = db_session.scalars(select(RecognitionModel).where(own)).all()
    days = {TODAY, D(2000, 1, 1)}
    for r in rows:  # every boundary the data has, and the days around them
        for day in (r.start_date, r.end_date, r.withdrawn_on):
            if day is not None:
                days |= {day - dt.timedelta(days=1), day, day + dt.timedelta(days=1)}
    assert len(rows) == 7
    for day in sorted(days):
        by_sql = set(db_session.scalars(select(RecognitionModel.id).where(own, storage.current_on(day))))
        by_rule = {r.id for r in rows if domain.is_current(r.start_date, r.end_date, r.withdrawn_on, day)}
        assert by_sql == by_rule, day


@pytest.mark.parametrize(
    ("query", "code", "ids"),
    [  # the outcomes the seed module documents for its demo companies
        (domain.IdentifyQuery("Bakkerij De Vries", "1012 AB", 10), 0, ["100000001"]),
        (domain.IdentifyQuery("Autobedrijf Jansen", "3526KS"), 1, ["100000002"]),
        (domain.IdentifyQuery("Schildersbedrijf Bakker", "2517AB"), 3, ["100000003", "100000004"]),
        (domain.IdentifyQuery("Schildersbedrijf Bakker", "2517AB", 12), 0, ["100000003"]),
        (domain.IdentifyQuery("Schildersbedrijf Bakker", "2517AB", 14), 0, ["100000004"]),
        (domain.IdentifyQuery("Stichting Zorgcentrum De Linde", "8011AB"), 0, ["100000005"]),
        (domain.IdentifyQuery("Zorgcentrum De Linde", "8011AB"), 2, []),
    ],
)
def test_the_directory_serves_the_documented_demo_outcomes(
    session: Session, query: domain.IdentifyQuery, code: int, ids: list[str]
) -> None:
    result = domain.identify(query, directory=storage.SqlCompanyDirectory(session), on=TODAY)
    assert (result.signaalcode, [m.company.leerbedrijf_id for m in result.matches]) == (code, ids)


# --- Constraints ---------------------------------------------------------------------------------


def test_constraints_are_named_by_the_convention() -> None:
    tables = [table for table in Base.metadata.sorted_tables if table.name.startswith("sbb_")]
    names = {str(c.name) for table in tables for c in table.constraints} | {
        str(i.name) for table in tables for i in table.indexes
    }
    assert {
        "pk_sbb_companies", "pk_sbb_qualifications", "pk_sbb_recognitions",
        "ck_sbb_companies_leerbedrijf_id_9_digits", "ck_sbb_qualifications_level_1_to_4",
        "ck_sbb_recognitions_end_not_before_start", "ck_sbb_recognitions_reason_only_when_withdrawn",
        "fk_sbb_recognitions_leerbedrijf_id_sbb_companies", "fk_sbb_recognitions_crebo_sbb_qualifications",
        "uq_sbb_recognitions_leerbedrijf_id_crebo_start_date", "ix_sbb_companies_name_key_postcode",
    } <= names


@pytest.mark.parametrize(
    "row",
    [
        lambda made: QualificationModel(crebo=f"{int(made['crebo']) + 1}", name="Niveau vijf", level=5),
        lambda made: QualificationModel(crebo="9999", name="Te kort", level=2),
        lambda made: RecognitionModel(leerbedrijf_id=made["company"], crebo=made["crebo"], start_date=D(2020, 1, 1),
                                      end_date=D(2019, 1, 1)),
        lambda made: RecognitionModel(leerbedrijf_id=made["company"], crebo=made["crebo"], start_date=D(2020, 1, 1),
                                      withdrawal_reason="bedrijf gestopt"),
        lambda made: RecognitionModel(leerbedrijf_id=made["company"], crebo="00000", start_date=D(2020, 1, 1)),
        lambda made: RecognitionModel(leerbedrijf_id=made["company"], crebo=made["crebo"], start_date=D(2018, 8, 1)),
    ],
    ids=["level", "crebo-length", "end-before-start", "reason-not-withdrawn", "unknown-crebo", "duplicate"],
)
def test_the_database_refuses_impossible_rows(db_session: Session, row: Callable[[dict[str, str]], object]) -> None:
    qualification = factories.qualification(db_session)
    company = factories.company(db_session)
    factories.recognition(db_session, company, qualification, start=D(2018, 8, 1))
    db_session.add(row({"company": company.leerbedrijf_id, "crebo": qualification.crebo}))
    with pytest.raises(IntegrityError):
        db_session.flush()
