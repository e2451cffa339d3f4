"""The counter's KBO tables: the register adapter, applying update sets, the seed and generated updates."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ketenserver import identifiers
from ketenserver.werkplekduaal import kbo, kbo_seed
from ketenserver.werkplekduaal.kbo_storage import (
    EmployerRow,
    EnterpriseRow,
    EstablishmentRow,
    SqlKboRegister,
    apply_update,
    generate_update,
)

BAKERY = kbo_seed.DEMO[0]
ENTERPRISE = BAKERY.number
(GENT, GENT_ADDRESS), (ANTWERPEN, _) = BAKERY.establishments
SEED, SIZE = 7, 30


@pytest.fixture
def empty(db_session: Session) -> Session:
    """The test's own register: whatever the shared test database holds is gone in this transaction."""
    for model in (EstablishmentRow, EnterpriseRow, EmployerRow):
        db_session.execute(delete(model))
    return db_session


@pytest.fixture
def session(empty: Session) -> Session:
    """A register of the demo enterprises and :data:`SIZE` generated ones."""
    assert kbo_seed.seed_kbo(empty, SEED, enterprises=SIZE) == SIZE + len(kbo_seed.DEMO)
    return empty


def _count(session: Session, model: type, *criteria: object) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*criteria)) or 0  # type: ignore[arg-type]


def _snapshot(session: Session) -> list[tuple[object, ...]]:
    return [tuple(row) for model, key in ((EnterpriseRow, EnterpriseRow.number),
                                          (EstablishmentRow, EstablishmentRow.number),
                                          (EmployerRow, EmployerRow.enterprise_number))
            for row in session.execute(select(model.__table__).order_by(key))]


# --- the register ----------------------------------------------------------------------------


def test_the_register_gives_domain_values_with_the_joint_committee(session: Session) -> None:
    register = SqlKboRegister(session)
    enterprise = register.enterprise(ENTERPRISE)
    assert enterprise == kbo.Enterprise(ENTERPRISE, BAKERY.name, kbo.ACTIVE, BAKERY.start_date,
                                        BAKERY.joint_committee)
    gent = register.establishment(GENT)
    assert gent is not None and (gent.enterprise_number, gent.address) == (ENTERPRISE, GENT_ADDRESS)
    assert gent.address.province == "Oost-Vlaanderen"
    assert [e.number for e in register.establishments_of(ENTERPRISE)] == sorted(n for n, _ in BAKERY.establishments)
    assert register.enterprise("0200065765") is None and register.establishment("2000000097") is None
    assert register.establishments_of("0200065765") == []


# --- applying updates --------------------------------------------------------------------------


def test_a_move_is_reported_with_both_addresses_and_stored(session: Session, tmp_path: Path) -> None:
    new = kbo.Address("Korenmarkt", "5", "B", "9000", "Gent")
    writer = kbo.UpdateWriter()
    writer.delete("address", GENT)
    writer.address(GENT, new)
    writer.write(tmp_path)
    changes = apply_update(session, tmp_path)
    assert changes == [kbo.EstablishmentChange(GENT, ENTERPRISE, kbo.MOVED_CHANGE, GENT_ADDRESS, new)]
    assert SqlKboRegister(session).establishment(GENT).address == new  # type: ignore[union-attr]


def test_a_move_seen_through_mapped_objects_loaded_before_is_not_stale(session: Session, tmp_path: Path) -> None:
    row = session.get(EstablishmentRow, GENT)
    assert row is not None and row.street == GENT_ADDRESS.street
    writer = kbo.UpdateWriter()
    writer.delete("address", GENT)
    writer.address(GENT, kbo.Address("Korenmarkt", "5", None, "9000", "Gent"))
    writer.write(tmp_path)
    apply_update(session, tmp_path)
    assert row.street == "Korenmarkt"


def test_an_establishment_deleted_and_not_inserted_again_has_stopped(session: Session, tmp_path: Path) -> None:
    writer = kbo.UpdateWriter()
    writer.delete("establishment", ANTWERPEN)
    writer.write(tmp_path)
    before = SqlKboRegister(session).establishment(ANTWERPEN)
    assert before is not None
    changes = apply_update(session, tmp_path)
    assert changes == [kbo.EstablishmentChange(ANTWERPEN, ENTERPRISE, kbo.STOPPED_CHANGE, before.address, None)]
    register = SqlKboRegister(session)
    assert register.establishment(ANTWERPEN).status == kbo.STOPPED  # type: ignore[union-attr]
    assert register.establishment(GENT).status == kbo.ACTIVE  # type: ignore[union-attr]
    assert register.enterprise(ENTERPRISE).status == kbo.ACTIVE  # type: ignore[union-attr]


def test_a_stopped_enterprise_stops_its_establishments_and_keeps_its_joint_committee(
        session: Session, tmp_path: Path) -> None:
    writer = kbo.UpdateWriter()
    writer.delete("enterprise", ENTERPRISE)  # only the enterprise: its establishments follow it
    writer.write(tmp_path)
    changes = apply_update(session, tmp_path)
    assert {(c.establishment_number, c.kind) for c in changes} == {
        (number, kbo.STOPPED_CHANGE) for number, _address in BAKERY.establishments}
    enterprise = SqlKboRegister(session).enterprise(ENTERPRISE)
    assert enterprise is not None
    assert (enterprise.status, enterprise.joint_committee) == (kbo.STOPPED, BAKERY.joint_committee)


def test_an_enterprise_deleted_and_inserted_renamed_keeps_its_joint_committee(session: Session,
                                                                              tmp_path: Path) -> None:
    writer = kbo.UpdateWriter()
    for entity in ("enterprise", "denomination"):
        writer.delete(entity, ENTERPRISE)
    writer.enterprise(ENTERPRISE, BAKERY.start_date)
    writer.denomination(ENTERPRISE, "Bakkerij De Gouden Korst en Zonen BV")
    writer.write(tmp_path)
    assert apply_update(session, tmp_path) == []
    assert SqlKboRegister(session).enterprise(ENTERPRISE) == kbo.Enterprise(
        ENTERPRISE, "Bakkerij De Gouden Korst en Zonen BV", kbo.ACTIVE, BAKERY.start_date, BAKERY.joint_committee)


def test_an_establishment_handed_on_to_another_enterprise_does_not_stop_with_the_old_one(
        session: Session, tmp_path: Path) -> None:
    taker = kbo_seed.DEMO[1].number
    writer = kbo.UpdateWriter()
    writer.delete("enterprise", ENTERPRISE)
    writer.delete("establishment", GENT)
    writer.establishment(GENT, taker, dt.date(2026, 1, 5))
    writer.write(tmp_path)
    assert [(c.establishment_number, c.kind) for c in apply_update(session, tmp_path)] == [
        (ANTWERPEN, kbo.STOPPED_CHANGE)]
    gent = SqlKboRegister(session).establishment(GENT)
    assert gent is not None and (gent.enterprise_number, gent.status) == (taker, kbo.ACTIVE)


def test_rows_deleted_and_inserted_unchanged_are_no_change(session: Session, tmp_path: Path) -> None:
    writer = kbo.UpdateWriter()
    writer.delete("address", GENT)
    writer.address(GENT, GENT_ADDRESS)
    writer.write(tmp_path)
    before = _snapshot(session)
    assert apply_update(session, tmp_path) == []
    assert _snapshot(session) == before


def test_new_entities_are_added_and_are_no_change(session: Session, tmp_path: Path) -> None:
    enterprise = kbo_seed.enterprise_number(900_000)
    establishment = kbo_seed.establishment_number(9_000_000)
    place = kbo.Address("Stationsstraat", "2", None, "3500", "Hasselt")
    writer = kbo.UpdateWriter()
    writer.enterprise(enterprise, dt.date(2026, 2, 1))
    writer.denomination(enterprise, "Slagerij Smets BV")
    writer.establishment(establishment, enterprise, dt.date(2026, 2, 1))
    writer.address(establishment, place)
    writer.write(tmp_path)
    assert apply_update(session, tmp_path) == []
    register = SqlKboRegister(session)
    assert register.enterprise(enterprise) == kbo.Enterprise(enterprise, "Slagerij Smets BV", kbo.ACTIVE,
                                                             dt.date(2026, 2, 1), None)
    assert register.establishments_of(enterprise) == [
        kbo.Establishment(establishment, enterprise, "Slagerij Smets BV", place, kbo.ACTIVE, dt.date(2026, 2, 1))]


@pytest.mark.parametrize("lacking", ["denomination", "address"])
def test_a_new_entity_without_its_name_or_address_is_refused_and_nothing_written(
        session: Session, tmp_path: Path, lacking: str) -> None:
    enterprise, establishment = kbo_seed.enterprise_number(900_001), kbo_seed.establishment_number(9_000_001)
    writer = kbo.UpdateWriter()
    writer.enterprise(enterprise, dt.date(2026, 2, 1))
    writer.establishment(establishment, enterprise, dt.date(2026, 2, 1))
    writer.delete("address", GENT)
    writer.address(GENT, kbo.Address("Korenmarkt", "5", None, "9000", "Gent"))
    if lacking != "denomination":
        writer.denomination(enterprise, "Slagerij Smets BV")
    else:
        writer.address(establishment, kbo.Address("Markt", "1", None, "9000", "Gent"))
    writer.write(tmp_path)
    before = _snapshot(session)
    with pytest.raises(kbo.KboFileError, match=re.escape(f"{lacking}_insert.csv gives no")):
        apply_update(session, tmp_path)
    assert _snapshot(session) == before


def test_a_malformed_file_is_refused_before_anything_is_written(session: Session, tmp_path: Path) -> None:
    writer = kbo.UpdateWriter()
    writer.delete("establishment", ANTWERPEN)
    writer.delete("address", GENT)
    writer.write(tmp_path)
    (tmp_path / "address_insert.csv").write_text('"EntityNumber"\n', encoding="utf-8")
    before = _snapshot(session)
    with pytest.raises(kbo.KboFileError, match=re.escape("address_insert.csv, line 1")):
        apply_update(session, tmp_path)
    assert _snapshot(session) == before


# --- the seed --------------------------------------------------------------------------------


def test_the_seed_holds_the_demo_enterprises(session: Session) -> None:
    register = SqlKboRegister(session)
    for demo in kbo_seed.DEMO:
        enterprise = register.enterprise(demo.number)
        assert enterprise is not None
        assert (enterprise.name, enterprise.joint_committee, enterprise.status) == (
            demo.name, demo.joint_committee, kbo.ACTIVE)
        assert [(e.number, e.address) for e in register.establishments_of(demo.number)] == sorted(
            demo.establishments)
    assert {d.joint_committee for d in kbo_seed.DEMO} >= {"118", "124", "302"}
    assert {a.municipality for _n, a in BAKERY.establishments} == {"Gent", "Antwerpen"}


def test_the_seed_is_deterministic_per_seed_number(empty: Session) -> None:
    kbo_seed.seed_kbo(empty, SEED, enterprises=SIZE)
    first = _snapshot(empty)
    for model in (EstablishmentRow, EnterpriseRow, EmployerRow):
        empty.execute(delete(model))
    kbo_seed.seed_kbo(empty, SEED, enterprises=SIZE)
    assert _snapshot(empty) == first
    for model in (EstablishmentRow, EnterpriseRow, EmployerRow):
        empty.execute(delete(model))
    kbo_seed.seed_kbo(empty, SEED + 1, enterprises=SIZE)
    assert _snapshot(empty) != first


def test_the_seed_writes_nothing_when_the_register_holds_data(session: Session) -> None:
    before = _snapshot(session)
    assert kbo_seed.seed_kbo(session, SEED + 1, enterprises=5) == 0
    assert _snapshot(session) == before


def test_seeded_data_is_valid_kbo_data_in_flanders(session: Session) -> None:
    today = dt.date.today()
    enterprises = session.execute(select(EnterpriseRow.number, EnterpriseRow.name, EnterpriseRow.start_date)).all()
    assert len(enterprises) == SIZE + len(kbo_seed.DEMO)
    for number, name, start in enterprises:
        assert identifiers.kbo_enterprise_number(number) == number and number[0] == "0"
        assert name.rsplit(" ", 1)[1] in ("BV", "NV", "CV", "VOF") and start < today
    places = set(kbo.FLEMISH_PLACES) | {(a.postcode, a.municipality) for d in kbo_seed.DEMO
                                        for _n, a in d.establishments}
    per_enterprise: dict[str, int] = {}
    for row in session.execute(select(EstablishmentRow)).scalars():
        assert identifiers.kbo_establishment_number(row.number) == row.number and row.number[0] == "2"
        assert (row.postcode, row.municipality) in places and row.start_date < today
        per_enterprise[row.enterprise_number] = per_enterprise.get(row.enterprise_number, 0) + 1
    assert set(per_enterprise) == {number for number, _name, _start in enterprises}
    assert set(per_enterprise.values()) <= {1, 2, 3}
    committees = set(session.scalars(select(EmployerRow.joint_committee)))
    assert committees <= set(kbo_seed.JOINT_COMMITTEES) | {d.joint_committee for d in kbo_seed.DEMO}
    assert _count(session, EmployerRow) == len(enterprises)


def test_the_seed_reports_progress_up_to_the_total(empty: Session) -> None:
    calls: list[tuple[int, int]] = []
    size = kbo_seed.BATCH * 2 + 10
    added = kbo_seed.seed_kbo(empty, SEED, enterprises=size, progress=lambda done, total: calls.append((done, total)))
    assert added == size + len(kbo_seed.DEMO) == _count(empty, EnterpriseRow)
    assert len(calls) >= 3 and calls[-1] == (added, added)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


# --- generated updates -------------------------------------------------------------------------


def test_a_generated_update_applied_reports_exactly_what_it_holds(session: Session, tmp_path: Path) -> None:
    active = _count(session, EstablishmentRow, EstablishmentRow.status == kbo.ACTIVE)
    written = generate_update(session, tmp_path, changes=12, seed=3, moved_share=0.5)
    assert written == 12
    files = kbo.read_update(tmp_path)  # what the files say must happen, read independently of the apply
    of_stopped_enterprises = set(session.scalars(select(EstablishmentRow.number).where(
        EstablishmentRow.enterprise_number.in_(files.stopped_enterprises()))))
    expected_stops = set(files.stopped_establishments()) | of_stopped_enterprises
    expected_moves = files.establishment_addresses()
    changes = apply_update(session, tmp_path)
    assert len(changes) == written == len(expected_stops) + len(expected_moves)
    assert {c.establishment_number for c in changes if c.kind == kbo.STOPPED_CHANGE} == expected_stops
    assert {c.establishment_number: c.new_address for c in changes if c.kind == kbo.MOVED_CHANGE} == expected_moves
    assert all(c.old_address != c.new_address for c in changes)
    assert _count(session, EstablishmentRow, EstablishmentRow.status == kbo.ACTIVE) == active - len(expected_stops)
    assert set(kbo.province_of(a.postcode) for a in expected_moves.values()) <= {
        "Antwerpen", "Limburg", "Oost-Vlaanderen", "West-Vlaanderen", "Vlaams-Brabant"}


def test_generated_updates_are_deterministic_per_seed(session: Session, tmp_path: Path) -> None:
    generate_update(session, tmp_path / "a", changes=10, seed=5)
    generate_update(session, tmp_path / "b", changes=10, seed=5)
    generate_update(session, tmp_path / "c", changes=10, seed=6)

    def files(name: str) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in (tmp_path / name).iterdir()}

    assert files("a") == files("b") != files("c")


@pytest.mark.parametrize(("share", "kind"), [(1.0, kbo.MOVED_CHANGE), (0.0, kbo.STOPPED_CHANGE)])
def test_the_moved_share_decides_between_moves_and_stops(session: Session, tmp_path: Path, share: float,
                                                         kind: str) -> None:
    written = generate_update(session, tmp_path, changes=8, seed=1, moved_share=share)
    changes = apply_update(session, tmp_path)
    assert written == len(changes) == 8 and {c.kind for c in changes} == {kind}


def test_no_more_changes_are_generated_than_there_are_active_establishments(session: Session,
                                                                            tmp_path: Path) -> None:
    active = _count(session, EstablishmentRow, EstablishmentRow.status == kbo.ACTIVE)
    written = generate_update(session, tmp_path, changes=active + 50, seed=2)
    assert written == active == len(apply_update(session, tmp_path))
