"""The generated population at scale: deterministic per seed number, batching invisible, real proportions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ketenserver.db import Base, make_engine, make_session_factory
from ketenserver.recognitions import seed
from ketenserver.recognitions.storage import (
    CompanyModel,
    CompanyWordModel,
    ContactModel,
    PlacementModel,
    RecognitionModel,
)

MODELS = (CompanyModel, RecognitionModel, ContactModel, PlacementModel, CompanyWordModel)
Tables = dict[str, list[tuple[object, ...]]]


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = make_engine("sqlite://")  # in memory: one shared connection
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _tables(session: Session) -> Tables:
    """Every seeded row of every table, without generated surrogate keys (recognition and contact ids)."""
    tables: Tables = {}
    for model in MODELS:
        columns = [c for c in model.__table__.columns if not (c.name == "id" and model is not PlacementModel)]
        tables[model.__tablename__] = sorted(
            (tuple(row) for row in session.execute(select(*columns))), key=repr
        )
    return tables


def _seeded(number: int, companies: int) -> Tables:
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    with make_session_factory(engine).begin() as session:
        seed.seed(session, number, companies=companies)
        tables = _tables(session)
    engine.dispose()
    return tables


def test_the_same_seed_number_gives_the_same_rows_and_another_gives_others() -> None:
    first, again, other = _seeded(3, 300), _seeded(3, 300), _seeded(4, 300)
    assert first == again
    for table in ("sbb_companies", "sbb_recognitions", "sbb_contacts", "sbb_placements"):
        assert first[table] != other[table], table
    demo = {d.leerbedrijf_id for d in seed.DEMO_COMPANIES}
    assert {r for r in first["sbb_companies"] if r[0] in demo} == {r for r in other["sbb_companies"] if r[0] in demo}


def test_batches_do_not_change_the_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = _seeded(5, 250)
    monkeypatch.setattr(seed, "BATCH", 7)
    assert _seeded(5, 250) == whole


def test_a_larger_population_begins_with_the_smaller_one() -> None:
    small, large = _seeded(0, 120), _seeded(0, 240)
    ids = {row[0] for row in small["sbb_companies"]}
    assert len(ids) == 120
    for table, rows in small.items():
        key = 2 if table == "sbb_company_words" else 0  # leerbedrijf_id's place in the row
        if table == "sbb_placements":
            key = 1
        assert [r for r in large[table] if r[key] in ids] == rows, table


def test_proportions_at_scale_are_those_of_the_benchmark(engine: Engine) -> None:
    """About 2.4 recognitions and 0.8 open placement places per company (600,000 and 200,000 at 250,000)."""
    with make_session_factory(engine).begin() as session:
        assert seed.seed(session, 0, companies=2000) == 2000
        companies = _count(session, CompanyModel)
        recognitions = _count(session, RecognitionModel) / companies
        placements = _count(session, PlacementModel) / companies
        contacts = _count(session, ContactModel) / companies
        most = session.scalar(select(func.count()).select_from(RecognitionModel)
                              .group_by(RecognitionModel.leerbedrijf_id).order_by(func.count().desc()).limit(1))
        ids = session.scalars(select(PlacementModel.id).order_by(PlacementModel.id)).all()
    assert companies == 2000
    assert 2.25 <= recognitions <= 2.55, recognitions
    assert 0.7 <= placements <= 0.9, placements
    assert 1.5 <= contacts <= 2.1, contacts
    assert most == 4
    assert ids == list(range(1, len(ids) + 1))  # consecutive, however many places were filled


def test_seeding_again_adds_nothing(engine: Engine) -> None:
    calls: list[tuple[int, int]] = []
    with make_session_factory(engine).begin() as session:
        assert seed.seed(session, 0, companies=50) == 50
    with make_session_factory(engine).begin() as session:
        before = _tables(session)
        assert seed.seed(session, 1, companies=80, progress=lambda done, total: calls.append((done, total))) == 0
        assert _tables(session) == before
    assert calls == []
