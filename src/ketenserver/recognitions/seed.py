"""Demo data for the SBB recognitions sandbox: :func:`seed` fills the ``sbb_*`` tables.

:func:`seed` first writes the fixed :data:`DEMO_COMPANIES` (always the same ids, names and
addresses, for the README and the tests), then a generated population: Dutch company names
from sector words, family names and legal forms, real places with their real 4-digit postcode
ranges and area codes, about 85% recognised for one to three qualifications of their sector,
some with an earlier recognition withdrawn or expired. The same ``seed_number`` always gives
the same data, and a larger population begins with the smaller one.

Every company also gets one to three contact persons, sometimes a postal address apart from the
visiting one (mostly a PO box, "Postbus"), and recognised ones open placement places (BOL and
BBL) for some of their qualifications, starting in 2026 or 2027. About 6% of the generated
companies are in Belgium and 4% in Germany (real places and postcodes) for the country filter.
These extras come from a second random stream, so the Dutch population of a seed number is the
same as before they existed. A third stream gives many recognitions an earlier one for the same
qualification (SBB recognises anew after a change of owner or a withdrawal) and leaves one in
six drawn placement places filled, which brings the proportions to SBB's: about 2.4
recognitions and 0.8 open placement places per company (250,000 companies: some 600,000 and
200,000), with the companies, contacts and remaining places of a seed number unchanged.

Rows are written with Core bulk inserts (executemany), :data:`BATCH` companies at a time, all in
the caller's transaction; a progress callback hears of each batch. The sandbox's thousands of
companies take about a second; 250,000 take about 35 seconds on SQLite and a minute on
PostgreSQL on a small machine.

E-mail addresses and websites use the reserved top-level domain ``.example`` (RFC 2606), so a
school system under test can never write to a real company. Nothing here commits: the caller
owns the transaction.

The pieces, by concern: :mod:`.seed_demo` (the fixed demo companies, with what each answers),
:mod:`.seed_tables` (the names, places and sectors a population is drawn from),
:mod:`.seed_population` (the deterministic generator of companies) and :mod:`.seed_rows` (the
rows per table and their bulk insert). This module reads the shipped qualifications and runs
the whole in batches.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ketenserver.recognitions.seed_demo import DEMO_COMPANIES, _demo_rows
from ketenserver.recognitions.seed_population import FIRST_GENERATED_ID, _Generator
from ketenserver.recognitions.seed_rows import _Rows
from ketenserver.recognitions.seed_tables import FOREIGN_PLACES, PLACES, SECTORS, WITHDRAWAL_REASONS
from ketenserver.recognitions.storage import CompanyModel, QualificationModel

__all__ = [  # with the demo companies and tables that tests and benchmarks read from here
    "BATCH", "DEMO_COMPANIES", "FIRST_GENERATED_ID", "FOREIGN_PLACES", "PLACES", "SECTORS", "WITHDRAWAL_REASONS",
    "Progress", "Qualification", "load_qualifications", "seed",
]


@dataclass(frozen=True)
class Qualification:
    crebo: str
    name: str
    level: int


def load_qualifications() -> tuple[Qualification, ...]:
    """The shipped ``kwalificaties.csv`` (lines starting with ``#`` cite the source)."""
    text = resources.files("ketenserver.recognitions").joinpath("kwalificaties.csv").read_text("utf-8")
    data = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))
    rows = csv.DictReader(io.StringIO(data))
    return tuple(Qualification(r["crebo"], r["naam"], int(r["niveau"])) for r in rows)


BATCH = 5_000
"""Companies generated and then written per round of inserts (with their recognitions, contacts, ...)."""
Progress = Callable[[int, int], object]
"""``progress(done, total)``: companies written so far, and in all."""


def seed(session: Session, seed_number: int = 0, companies: int = 500, *, progress: Progress | None = None) -> int:
    """Fill the SBB tables: qualifications, the demo companies, then generated ones up to *companies*.

    Skips everything and returns 0 when companies already exist; otherwise returns the number
    of companies added. Rows go in by bulk inserts of :data:`BATCH` companies at a time, after
    each of which *progress* is called (the last time with ``done == total``). Inserts and
    flushes, never commits: the whole seed is one transaction of the caller's.
    """
    if session.scalar(select(CompanyModel.leerbedrijf_id).limit(1)) is not None:
        return 0
    known = set(session.scalars(select(QualificationModel.crebo)))
    session.add_all(QualificationModel(crebo=q.crebo, name=q.name, level=q.level)
                    for q in load_qualifications() if q.crebo not in known)
    session.flush()
    connection = session.connection()
    rows = _Rows()
    placement_ids = [0]
    for demo in DEMO_COMPANIES:
        _demo_rows(rows, demo, placement_ids)
    total = max(companies, len(DEMO_COMPANIES))
    generator = _Generator(random.Random(seed_number),  # noqa: S311 - demo data, not secrets
                           random.Random(f"extras {seed_number}"),  # noqa: S311
                           random.Random(f"later {seed_number}"))  # noqa: S311
    generator.next_placement = placement_ids[0]
    done = 0
    while done < total:
        while len(rows.companies) < BATCH and done + len(rows.companies) < total:
            generator.company(rows)
        rows.write(connection)
        done += len(rows.companies)
        rows = _Rows()
        if progress is not None:
            progress(done, total)
    if connection.dialect.name == "postgresql":
        # The seed numbers placements itself; the id sequence must go on after them, or the next
        # placement stored the ordinary way would take id 1 again.
        connection.execute(text("SELECT setval(pg_get_serial_sequence('sbb_placements', 'id'), "
                                "(SELECT max(id) FROM sbb_placements))"))
    return total
