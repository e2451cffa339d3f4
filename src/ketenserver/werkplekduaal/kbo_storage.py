"""The counter's KBO tables, the register adapter, and applying (and generating) KBO update sets.

Three tables: KBO's enterprises and establishments (an establishment's name and address kept on
its row, as the counter shows them), and the employer data (joint committee per enterprise), which
KBO updates never touch. A stopped entity keeps its row with status ``ST``: recognitions and
agreements still refer to it.

:func:`apply_update` is set-based: it reads the rows the update concerns in chunks, writes with
executemany statements (one per kind of write, never an ORM object per row), and reads the same
rows again to see what changed, all in the caller's transaction. Those statements go past the
session's identity map, so it flushes first and expires the session's objects at the end.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Date, String, Table, bindparam, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from ketenserver.db import Base
from ketenserver.werkplekduaal import kbo

__all__ = ["EmployerRow", "EnterpriseRow", "EstablishmentRow", "SqlKboRegister", "apply_update",
           "generate_update"]

_CHUNK = 500
"""Numbers per ``IN (...)`` list: far below SQLite's limit on bound parameters."""
Progress = Callable[[int, int], object]


class EnterpriseRow(Base):
    __tablename__ = "wpd_kbo_enterprises"

    number: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(2))
    start_date: Mapped[dt.date] = mapped_column(Date)


class EstablishmentRow(Base):
    __tablename__ = "wpd_kbo_establishments"

    number: Mapped[str] = mapped_column(String(10), primary_key=True)
    enterprise_number: Mapped[str] = mapped_column(String(10), index=True)
    name: Mapped[str] = mapped_column(String(200))
    street: Mapped[str] = mapped_column(String(100))
    house_number: Mapped[str] = mapped_column(String(20))
    box: Mapped[str | None] = mapped_column(String(20))
    postcode: Mapped[str] = mapped_column(String(4), index=True)
    municipality: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(2))
    start_date: Mapped[dt.date] = mapped_column(Date)


class EmployerRow(Base):
    """Employer data (RSZ): the enterprise's joint committee; not part of KBO, kept across updates."""

    __tablename__ = "wpd_employers"

    enterprise_number: Mapped[str] = mapped_column(String(10), primary_key=True)
    joint_committee: Mapped[str] = mapped_column(String(7))


_ENTERPRISES: Table = EnterpriseRow.__table__  # type: ignore[assignment]
_ESTABLISHMENTS: Table = EstablishmentRow.__table__  # type: ignore[assignment]
_EMPLOYERS: Table = EmployerRow.__table__  # type: ignore[assignment]
_ESTABLISHMENT_COLUMNS = (_ESTABLISHMENTS.c.number, _ESTABLISHMENTS.c.enterprise_number, _ESTABLISHMENTS.c.name,
                          _ESTABLISHMENTS.c.street, _ESTABLISHMENTS.c.house_number, _ESTABLISHMENTS.c.box,
                          _ESTABLISHMENTS.c.postcode, _ESTABLISHMENTS.c.municipality, _ESTABLISHMENTS.c.status,
                          _ESTABLISHMENTS.c.start_date)


def _establishment(row: Any) -> kbo.Establishment:
    address = kbo.Address(row.street, row.house_number, row.box, row.postcode, row.municipality)
    return kbo.Establishment(row.number, row.enterprise_number, row.name, address, row.status, row.start_date)


class SqlKboRegister:
    """:class:`kbo.KboRegister` over the counter's tables (Core reads: never a stale mapped object)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def enterprise(self, number: str) -> kbo.Enterprise | None:
        row = self._session.execute(
            select(_ENTERPRISES, _EMPLOYERS.c.joint_committee)
            .outerjoin(_EMPLOYERS, _EMPLOYERS.c.enterprise_number == _ENTERPRISES.c.number)
            .where(_ENTERPRISES.c.number == number)).first()
        if row is None:
            return None
        return kbo.Enterprise(row.number, row.name, row.status, row.start_date, row.joint_committee)

    def establishment(self, number: str) -> kbo.Establishment | None:
        row = self._session.execute(select(*_ESTABLISHMENT_COLUMNS).where(_ESTABLISHMENTS.c.number == number)).first()
        return None if row is None else _establishment(row)

    def establishments_of(self, enterprise_number: str) -> list[kbo.Establishment]:
        rows = self._session.execute(select(*_ESTABLISHMENT_COLUMNS).where(
            _ESTABLISHMENTS.c.enterprise_number == enterprise_number).order_by(_ESTABLISHMENTS.c.number))
        return [_establishment(row) for row in rows]


# --- Applying an update set --------------------------------------------------------------------


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    items = sorted(values)
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


def _establishments(session: Session, numbers: Iterable[str]) -> dict[str, kbo.Establishment]:
    found: dict[str, kbo.Establishment] = {}
    for chunk in _chunks(numbers):
        for row in session.execute(select(*_ESTABLISHMENT_COLUMNS).where(_ESTABLISHMENTS.c.number.in_(chunk))):
            found[row.number] = _establishment(row)
    return found


def _enterprise_names(session: Session, numbers: Iterable[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for chunk in _chunks(numbers):
        found.update((number, name) for number, name in session.execute(
            select(_ENTERPRISES.c.number, _ENTERPRISES.c.name).where(_ENTERPRISES.c.number.in_(chunk))))
    return found


def _of_enterprises(session: Session, enterprises: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(enterprises):
        found.update(session.scalars(select(_ESTABLISHMENTS.c.number).where(
            _ESTABLISHMENTS.c.enterprise_number.in_(chunk))))
    return found


def _update_by_number(session: Session, table: Table, rows: Sequence[dict[str, object]]) -> None:
    """One executemany ``UPDATE table SET <the rows' other keys> WHERE number = :key``."""
    if not rows:
        return
    columns = [key for key in rows[0] if key != "key"]
    statement = update(table).where(table.c.number == bindparam("key")).values(
        {column: bindparam(f"new_{column}") for column in columns})
    session.execute(statement, [{"key": row["key"]} | {f"new_{c}": row[c] for c in columns} for row in rows])


def apply_update(session: Session, directory: Path, *,
                 progress: Progress | None = None) -> list[kbo.EstablishmentChange]:
    """Apply the KBO update set in *directory* and return the establishments that moved or stopped.

    Everything happens in the caller's transaction, which this never commits. A malformed set
    raises :class:`kbo.KboFileError` before anything is written. *progress(done, total)* hears of
    each stage (entities written), the last time with ``done == total``.
    """
    parsed = kbo.read_update(directory)
    session.flush()
    names = parsed.names()
    stopped_enterprises = parsed.stopped_enterprises()
    inserted = {e.number: e for e in parsed.establishments}
    addresses = parsed.establishment_addresses()
    touched = (set(parsed.deleted_of("establishment")) | inserted.keys() | addresses.keys()
               | {n for n in parsed.deleted_of("address") if n[0] not in "01"}
               | _of_enterprises(session, stopped_enterprises))
    before = _establishments(session, touched)
    enterprises = {e.number: e for e in parsed.enterprises}
    enterprise_names = _enterprise_names(session, set(enterprises) | {e.enterprise_number for e in inserted.values()})
    total = len(enterprises) + len(stopped_enterprises) + len(touched)

    # Check the whole set before writing: a new entity needs what its row cannot be without.
    for number in enterprises.keys() - enterprise_names.keys():
        if number not in names:
            raise kbo.KboFileError(f"enterprise_insert.csv: enterprise {kbo.written_number(number)} is new but "
                                   "denomination_insert.csv gives no name for it")
    for number in inserted.keys() - before.keys():
        if number not in addresses:
            raise kbo.KboFileError(f"establishment_insert.csv: establishment {kbo.written_number(number)} is new "
                                   "but address_insert.csv gives no address for it")

    new_enterprises = [{"number": n, "name": names[n], "status": e.status, "start_date": e.start_date}
                       for n, e in enterprises.items() if n not in enterprise_names]
    if new_enterprises:
        session.execute(insert(_ENTERPRISES), new_enterprises)
    _update_by_number(session, _ENTERPRISES, [
        {"key": n, "name": names.get(n, enterprise_names[n]), "status": e.status, "start_date": e.start_date}
        for n, e in enterprises.items() if n in enterprise_names])
    _update_by_number(session, _ENTERPRISES, [
        {"key": n, "status": kbo.STOPPED} for n in stopped_enterprises - enterprises.keys()])
    if progress is not None:
        progress(len(enterprises) + len(stopped_enterprises), total)

    fresh = []
    for number in sorted(inserted.keys() - before.keys()):
        record, address = inserted[number], addresses[number]
        fresh.append({"number": number, "enterprise_number": record.enterprise_number,
                      "name": names.get(number) or names.get(record.enterprise_number)
                      or enterprise_names.get(record.enterprise_number, number),
                      "street": address.street, "house_number": address.house_number, "box": address.box,
                      "postcode": address.postcode, "municipality": address.municipality,
                      "status": kbo.ACTIVE, "start_date": record.start_date})
    if fresh:
        session.execute(insert(_ESTABLISHMENTS), fresh)
    known = before.keys()
    _update_by_number(session, _ESTABLISHMENTS, [  # inserted again: active, perhaps of another enterprise
        {"key": n, "enterprise_number": r.enterprise_number, "start_date": r.start_date, "status": kbo.ACTIVE}
        for n, r in inserted.items() if n in known])
    _update_by_number(session, _ESTABLISHMENTS, [
        {"key": n, "street": a.street, "house_number": a.house_number, "box": a.box, "postcode": a.postcode,
         "municipality": a.municipality} for n, a in addresses.items() if n in known and before[n].address != a])
    _update_by_number(session, _ESTABLISHMENTS, [
        {"key": n, "name": name} for n, name in names.items() if n in known and before[n].name != name])
    _update_by_number(session, _ESTABLISHMENTS, [
        {"key": n, "status": kbo.STOPPED} for n in parsed.stopped_establishments() if n in known])
    for chunk in _chunks(stopped_enterprises):  # after the inserts: an establishment handed on is not stopped
        session.execute(update(_ESTABLISHMENTS).where(_ESTABLISHMENTS.c.enterprise_number.in_(chunk))
                        .values(status=kbo.STOPPED))
    session.expire_all()
    if progress is not None:
        progress(total, total)
    return _changes(before, _establishments(session, before))


def _changes(before: dict[str, kbo.Establishment],
             after: dict[str, kbo.Establishment]) -> list[kbo.EstablishmentChange]:
    changes = []
    for number in sorted(before):
        old, new = before[number], after[number]
        if old.status == kbo.ACTIVE and new.status == kbo.STOPPED:
            changes.append(kbo.EstablishmentChange(number, new.enterprise_number, kbo.STOPPED_CHANGE,
                                                   old.address, None))
        elif new.status == kbo.ACTIVE and new.address != old.address:
            changes.append(kbo.EstablishmentChange(number, new.enterprise_number, kbo.MOVED_CHANGE,
                                                   old.address, new.address))
    return changes


# --- Generating an update set ----------------------------------------------------------------

WHOLE_ENTERPRISE_SHARE = 0.25
"""Of the stops :func:`generate_update` writes, about this share stops a whole enterprise."""


def generate_update(session: Session, directory: Path, *, changes: int, seed: int, moved_share: float = 0.8) -> int:
    """Write a KBO update set of *changes* establishment changes against the current register.

    Deterministic per *seed* and register: each draw moves an active establishment to another
    Flemish address (with probability *moved_share*) or stops it, or (about one stop in four) its
    whole enterprise with all its active establishments, each counting as a change; so moves come
    out a little under *moved_share* of the changes (about 0.76 at 0.8). Returns the
    number of changes written: *changes*, or fewer when the register has fewer active establishments.
    The weekly sync uses this when no KBO files are given.
    """
    rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
    active = [_establishment(row) for row in session.execute(
        select(*_ESTABLISHMENT_COLUMNS).where(_ESTABLISHMENTS.c.status == kbo.ACTIVE)
        .order_by(_ESTABLISHMENTS.c.number))]
    of_enterprise: dict[str, list[str]] = {}
    for establishment in active:
        of_enterprise.setdefault(establishment.enterprise_number, []).append(establishment.number)
    rng.shuffle(active)
    writer, used, counted = kbo.UpdateWriter(), set[str](), 0
    for establishment in active:
        if counted >= changes:
            break
        if establishment.number in used:
            continue
        siblings = of_enterprise[establishment.enterprise_number]
        if rng.random() < moved_share:
            writer.delete("address", establishment.number)
            writer.address(establishment.number, _elsewhere(rng, establishment.address))
            stopping = [establishment.number]
        elif (rng.random() < WHOLE_ENTERPRISE_SHARE and used.isdisjoint(siblings)
              and counted + len(siblings) <= changes):
            for entity in ("enterprise", "denomination", "address"):
                writer.delete(entity, establishment.enterprise_number)
            for number in siblings:
                _stop(writer, number)
            stopping = siblings
        else:
            _stop(writer, establishment.number)
            stopping = [establishment.number]
        used.update(stopping)
        counted += len(stopping)
    writer.write(directory)
    return counted


def _stop(writer: kbo.UpdateWriter, number: str) -> None:
    for entity in ("establishment", "denomination", "address"):
        writer.delete(entity, number)


def _elsewhere(rng: random.Random, current: kbo.Address) -> kbo.Address:
    while True:
        postcode, municipality = rng.choice(kbo.FLEMISH_PLACES)
        address = kbo.Address(rng.choice(kbo.STREETS), str(rng.randint(1, 250)), None, postcode, municipality)
        if address != current:
            return address
