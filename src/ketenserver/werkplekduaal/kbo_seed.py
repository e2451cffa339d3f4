"""Seed the counter's KBO: the fixed demo enterprises, then a generated population.

:func:`seed_kbo` is deterministic per seed number: Flemish company names from a trade, a family
name and a legal form ("Bakkerij Peeters BV", "Garage De Smet NV"), each enterprise with one to
three establishments at real Flemish municipalities and postcodes (:data:`kbo.FLEMISH_PLACES`), a
joint committee that fits its trade, and start dates between 1980 and 2024. Generated enterprise
numbers are ``07`` + 6 digits + check (so at most 1,000,000 of them), establishment numbers ``2`` +
7 digits + check; none is a demo number.

The demo enterprises (:data:`DEMO`) are always there, with the same numbers, for the README flow
and the tests:

- ``0353456320`` Bakkerij De Gouden Korst BV, joint committee 118 (food): establishments
  ``2147812701`` (Veldstraat 12, 9000 Gent) and ``2147812897`` (Meir 40, 2000 Antwerpen);
- ``0654321022`` Bouwbedrijf Van den Broeck NV, 124 (construction): establishment ``2654321064``
  (Diestsesteenweg 101, 3000 Leuven);
- ``0678901218`` Brasserie 't Pleintje BV, 302 (hospitality): establishments ``2678901260``
  (Markt 7, 8000 Brugge) and ``2678901359`` (Grote Markt 3, 3500 Hasselt).

Rows go in with Core bulk inserts (executemany), :data:`BATCH` enterprises at a time, in the
caller's transaction (never committed here). 50,000 enterprises take a few seconds on SQLite.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ketenserver.werkplekduaal import kbo
from ketenserver.werkplekduaal.kbo_storage import EmployerRow, EnterpriseRow, EstablishmentRow

__all__ = ["BATCH", "DEMO", "JOINT_COMMITTEES", "DemoEnterprise", "seed_kbo"]

BATCH = 2_000
"""Enterprises generated and then written per round of inserts."""


@dataclass(frozen=True)
class DemoEnterprise:
    number: str
    name: str
    joint_committee: str
    establishments: tuple[tuple[str, kbo.Address], ...]
    start_date: dt.date = dt.date(2004, 3, 1)


DEMO: tuple[DemoEnterprise, ...] = (
    DemoEnterprise("0353456320", "Bakkerij De Gouden Korst BV", "118", (
        ("2147812701", kbo.Address("Veldstraat", "12", None, "9000", "Gent")),
        ("2147812897", kbo.Address("Meir", "40", None, "2000", "Antwerpen")))),
    DemoEnterprise("0654321022", "Bouwbedrijf Van den Broeck NV", "124", (
        ("2654321064", kbo.Address("Diestsesteenweg", "101", None, "3000", "Leuven")),), dt.date(1998, 9, 15)),
    DemoEnterprise("0678901218", "Brasserie 't Pleintje BV", "302", (
        ("2678901260", kbo.Address("Markt", "7", None, "8000", "Brugge")),
        ("2678901359", kbo.Address("Grote Markt", "3", "2", "3500", "Hasselt"))), dt.date(2015, 6, 1)),
)
"""The fixed demo enterprises (see the module docstring)."""

_TRADES = (("Bakkerij", "118"), ("Slagerij", "118"), ("Bouwbedrijf", "124"), ("Schrijnwerkerij", "124"),
           ("Dakwerken", "124"), ("Brasserie", "302"), ("Restaurant", "302"), ("Hotel", "302"),
           ("Garage", "112"), ("Elektro", "149.01"), ("Metaalwerken", "111"), ("Winkel", "201"),
           ("Transport", "140"), ("Kapsalon", "314"), ("Woonzorgcentrum", "330"), ("Drukkerij", "130"))
"""A trade word of the name, and the joint committee (paritair comité) such an employer falls under."""
JOINT_COMMITTEES = tuple(sorted({committee for _trade, committee in _TRADES}))
_SURNAMES = ("Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters",
             "De Smet", "Dubois", "Hermans", "Aerts", "Lambrechts", "Vermeulen", "Van den Broeck", "De Clercq",
             "Verstraete", "Desmet", "Coppens", "Van Damme", "Pauwels", "Vandenberghe", "De Backer", "Michiels",
             "Smets", "Segers", "Leysen", "De Wolf", "Van de Velde")
_FORMS = ("BV", "BV", "BV", "NV", "CV", "VOF")
_FIRST_START, _START_DAYS = dt.date(1980, 1, 1), 16_000  # enterprises: 1980 to October 2023
_LAST_START = dt.date(2024, 12, 31)
"""No establishment opens later: start dates stay in the past whenever the seed runs."""


def _checked(first_eight: str) -> str:
    return f"{first_eight}{97 - int(first_eight) % 97:02d}"


def enterprise_number(index: int) -> str:
    """The *index*-th generated enterprise number (``07`` + 6 digits + check)."""
    return _checked(f"07{index:06d}")


def establishment_number(index: int) -> str:
    """The *index*-th establishment number (``2`` + 7 digits + check), before demo numbers are skipped."""
    return _checked(f"2{index:07d}")


def seed_kbo(session: Session, seed_number: int, *, enterprises: int = 50_000,
             progress: Callable[[int, int], object] | None = None) -> int:
    """Fill the register: the demo enterprises, then *enterprises* generated ones (1–3 establishments each).

    Returns the number of enterprises added; 0, writing nothing, when the register holds any
    enterprise already. *progress(done, total)* hears of each batch, the last time with
    ``done == total``. Never commits.
    """
    if not 0 <= enterprises <= 1_000_000:
        raise ValueError("seed_kbo generates between 0 and 1,000,000 enterprises")
    if session.scalar(select(EnterpriseRow.number).limit(1)) is not None:
        return 0
    rows = _Rows()
    for demo in DEMO:
        rows.enterprise(demo.number, demo.name, demo.start_date, demo.joint_committee)
        for number, address in demo.establishments:
            rows.establishment(number, demo.number, f"{demo.name} {address.municipality}", address, demo.start_date)
    rng = random.Random(seed_number)  # noqa: S311 (demo data, not secrets)
    taken = {number for demo in DEMO for number, _address in demo.establishments}
    total, next_establishment = enterprises + len(DEMO), 0
    for index in range(enterprises):
        trade, committee = rng.choice(_TRADES)
        name = f"{trade} {rng.choice(_SURNAMES)} {rng.choice(_FORMS)}"
        number = enterprise_number(index)
        start = _FIRST_START + dt.timedelta(days=rng.randrange(_START_DAYS))
        rows.enterprise(number, name, start, committee)
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            while (establishment := establishment_number(next_establishment)) in taken:
                next_establishment += 1
            next_establishment += 1
            postcode, municipality = rng.choice(kbo.FLEMISH_PLACES)
            box = str(rng.randint(1, 9)) if rng.random() < 0.1 else None
            address = kbo.Address(rng.choice(kbo.STREETS), str(rng.randint(1, 250)), box, postcode, municipality)
            rows.establishment(establishment, number, f"{name} {municipality}", address,
                               start + dt.timedelta(days=rng.randrange((_LAST_START - start).days + 1)))
        if len(rows.enterprises) >= BATCH:
            rows.write(session)
            if progress is not None:
                progress(index + 1 + len(DEMO), total)
    rows.write(session)
    if progress is not None:
        progress(total, total)
    return total


class _Rows:
    """The rows of one batch, per table, as the bulk inserts take them."""

    def __init__(self) -> None:
        self.enterprises: list[dict[str, object]] = []
        self.employers: list[dict[str, object]] = []
        self.establishments: list[dict[str, object]] = []

    def enterprise(self, number: str, name: str, start: dt.date, committee: str) -> None:
        self.enterprises.append({"number": number, "name": name, "status": kbo.ACTIVE, "start_date": start})
        self.employers.append({"enterprise_number": number, "joint_committee": committee})

    def establishment(self, number: str, enterprise: str, name: str, address: kbo.Address, start: dt.date) -> None:
        self.establishments.append({
            "number": number, "enterprise_number": enterprise, "name": name, "street": address.street,
            "house_number": address.house_number, "box": address.box, "postcode": address.postcode,
            "municipality": address.municipality, "status": kbo.ACTIVE, "start_date": start})

    def write(self, session: Session) -> None:
        for model, rows in ((EnterpriseRow, self.enterprises), (EmployerRow, self.employers),
                            (EstablishmentRow, self.establishments)):
            if rows:
                session.execute(insert(model), rows)
                rows.clear()
