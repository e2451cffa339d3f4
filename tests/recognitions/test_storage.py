"""SBB tables, the seed and the queries, on a real SQLite file with the server's pragmas."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ketenserver.db import Base, make_engine, make_session_factory
from ketenserver.recognitions import domain, seed, storage
from ketenserver.recognitions.storage import CompanyModel, QualificationModel, RecognitionModel

D = dt.date
TODAY = D(2025, 3, 1)


def _engine(path: str) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    return engine


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = _engine(str(tmp_path_factory.mktemp("sbb") / "storage.sqlite3"))
    with make_session_factory(engine).begin() as session:
        assert seed.seed(session, 0, companies=500) == 500
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """One transaction per test, rolled back."""
    with make_session_factory(engine)() as session:
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


def test_find_by_normalised_name_and_postcode(session: Session) -> None:
    key = domain.name_key("bakkerij de vries")
    (bakery,) = storage.find_companies(session, name_key=key, postcode="1012AB")
    assert bakery.leerbedrijf_id == "100000001"
    assert [r.crebo for r in bakery.recognitions] == ["25173", "25174", "25183"]  # all, current or not
    assert storage.find_companies(session, name_key="bakkerijdevries", postcode="1012AC") == []


def test_house_number_narrows_and_order_is_stable(session: Session) -> None:
    key, postcode = domain.name_key("Schildersbedrijf Bakker"), "2517AB"
    assert [c.leerbedrijf_id for c in storage.find_companies(session, name_key=key, postcode=postcode)] == [
        "100000003", "100000004"
    ]
    narrowed = storage.find_companies(session, name_key=key, postcode=postcode, house_number=14)
    assert [c.leerbedrijf_id for c in narrowed] == ["100000004"]


def test_order_is_number_then_addition_then_id_and_limited(session: Session) -> None:
    addresses = [("999000005", 3, "B"), ("999000004", 3, None), ("999000003", 3, "A"),
                 ("999000002", 1, None), ("999000001", 3, None), ("999000006", 20, None)]
    for leerbedrijf_id, number, suffix in addresses:
        session.add(CompanyModel(
            leerbedrijf_id=leerbedrijf_id, name="Garage Test", name_key="garagetest", kvk_number="11111111",
            street="Kerkstraat", house_number=number, house_number_suffix=suffix, postcode="9711AB",
            place="Groningen", country_code="NL",
        ))
    session.flush()
    found = storage.find_companies(session, name_key="garagetest", postcode="9711AB", limit=5)
    expected = ["999000002", "999000001", "999000004", "999000003", "999000005"]
    assert [c.leerbedrijf_id for c in found] == expected
    with_addition = storage.find_companies(
        session, name_key="garagetest", postcode="9711AB", house_number=3, house_number_suffix="A"
    )
    assert [c.leerbedrijf_id for c in with_addition] == ["999000003"]


@pytest.mark.parametrize(
    ("leerbedrijf_id", "on", "crebos"),
    [
        ("100000001", D(2018, 7, 31), []),
        ("100000001", D(2018, 8, 1), ["25173", "25174"]),
        ("100000001", D(2023, 8, 31), ["25173", "25174", "25183"]),
        ("100000001", D(2023, 9, 1), ["25173", "25174"]),  # 25183 withdrawn from that day
        ("100000002", D(2022, 5, 31), ["25242"]),
        ("100000002", D(2022, 6, 1), []),
    ],
)
def test_current_recognitions_by_date(
    session: Session, leerbedrijf_id: str, on: dt.date, crebos: list[str]
) -> None:
    assert [r.crebo for r in storage.current_recognitions(session, leerbedrijf_id, on)] == crebos


def test_the_sql_currency_rule_equals_the_domain_rule(session: Session) -> None:
    rows = session.scalars(select(RecognitionModel)).all()
    days = {TODAY, D(2000, 1, 1)}
    for r in rows:  # every boundary the data has, and the days around them
        for day in (r.start_date, r.end_date, r.withdrawn_on):
            if day is not None:
                days |= {day - dt.timedelta(days=1), day, day + dt.timedelta(days=1)}
    assert any(r.end_date for r in rows) and any(r.withdrawn_on for r in rows)
    for day in sorted(days):
        by_sql = set(session.scalars(select(RecognitionModel.id).where(storage.current_on(day))))
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
        lambda: QualificationModel(crebo="99999", name="Niveau vijf", level=5),
        lambda: QualificationModel(crebo="9999", name="Te kort", level=2),
        lambda: RecognitionModel(leerbedrijf_id="100000001", crebo="25180", start_date=D(2020, 1, 1),
                                 end_date=D(2019, 1, 1)),
        lambda: RecognitionModel(leerbedrijf_id="100000001", crebo="25180", start_date=D(2020, 1, 1),
                                 withdrawal_reason="bedrijf gestopt"),
        lambda: RecognitionModel(leerbedrijf_id="100000001", crebo="00000", start_date=D(2020, 1, 1)),
        lambda: RecognitionModel(leerbedrijf_id="100000001", crebo="25173", start_date=D(2018, 8, 1)),
    ],
    ids=["level", "crebo-length", "end-before-start", "reason-not-withdrawn", "unknown-crebo", "duplicate"],
)
def test_the_database_refuses_impossible_rows(session: Session, row: object) -> None:
    session.add(row())  # type: ignore[operator]
    with pytest.raises(IntegrityError):
        session.flush()
