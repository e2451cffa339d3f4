"""Test data: valid rows with fresh values on every call, and the other things tests share.

Each factory takes the session to write in (``db_session`` for a test of its own, rolled back;
a committing session only where the server must see the rows), adds the rows, flushes, and
returns the model, so the test reads its generated keys. Values that must be unique are fresh
per call (a serial of this test process): a school's BRIN and OIN, a leerbedrijf-id, a crebo,
a KvK number, a word in a company's name. Keys that rows of others may also hold (leerbedrijf-ids,
crebos) are taken above the highest one in the database and above the ranges of the seed, so
they collide neither with the seeded demo data nor with rows made by the server (a nomination
that SBB recognises gets the next leerbedrijf-id too). Identifiers are checked with
:mod:`ketenserver.identifiers`, BSNs come from :func:`ketenserver.testing.valid_bsn`; nothing
here repeats a check-digit rule.

A factory writes what production code writes with such a row: a company gets its search-word
rows (:func:`ketenserver.recognitions.storage.word_rows`), a recognition takes its company's
country from the column default, as SBB's own moves do.

Also here: the golden messages (``tests/golden/``), a party's client credentials from the
development PKI, journal entries.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lxml import etree
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ketenclient import Credentials
from ketenserver import identifiers
from ketenserver.exchange.storage import JournalEntry, Organisation, add_journal_entry, register_organisation
from ketenserver.pki import DEMO_PARTIES, TEST_PARTIES, DevPki, school_oin
from ketenserver.recognitions import domain
from ketenserver.recognitions.bpv_storage import AgreementModel, SubscriptionModel
from ketenserver.recognitions.storage import (
    CompanyModel,
    CompanyWordModel,
    ContactModel,
    PlacementModel,
    QualificationModel,
    RecognitionModel,
    word_rows,
)
from ketenserver.testing import valid_bsn

_serial = itertools.count(1)

RECOGNISED_FROM = dt.date(2015, 1, 1)
"""Where the recognitions of :func:`company`'s ``recognised_for`` start (open-ended)."""
FIRST_LEERBEDRIJF_ID = 900_000_001
"""Factory-made companies start here, far above the seed's (100000001 and on)."""
FIRST_CREBO = 90_001
"""Factory-made qualifications start here; the shipped table's crebos are 2xxxx."""

_RESERVED_BRINS = frozenset(p.brin for p in (*DEMO_PARTIES, *TEST_PARTIES) if p.brin)


def serial() -> int:
    """A number no other call in this test process gets."""
    return next(_serial)


def unique_word(prefix: str = "q") -> str:
    """A word of letters found in no other name: ``qaaab``, ``qaaac``, ... (a search word as is)."""
    number, letters = serial(), ""
    for _ in range(4):
        number, digit = divmod(number, 26)
        letters = chr(ord("a") + digit) + letters
    return prefix + letters


# --- Organisations (who may call) ------------------------------------------------------------


_brin_numbers = itertools.count(0)
"""A counter of its own: there are only 67,600 BRIN codes."""


def fresh_brin() -> str:
    """A BRIN code (2 digits, 2 capitals) that no demo or test party has and no other call returns:
    ``00ZZ``, ``01ZZ``, ... ``99ZZ``, ``00ZY``, ..."""
    while True:
        number = next(_brin_numbers)
        letters = number // 100
        code = f"{number % 100:02d}{chr(ord('Z') - letters // 26 % 26)}{chr(ord('Z') - letters % 26)}"
        if code not in _RESERVED_BRINS:
            return identifiers.brin(code)


def fresh_oin() -> str:
    """A school's OIN (``00000007000`` + a fresh BRIN + ``00000``) that no other call returns."""
    return identifiers.oin(school_oin(fresh_brin()))


def school(session: Session, *, name: str | None = None) -> Organisation:
    """A school with a fresh BRIN, registered under the OIN its certificate would carry."""
    brin = fresh_brin()
    organisation = register_organisation(session, oin=identifiers.oin(school_oin(brin)),
                                         name=name or f"Testschool {brin}", kind="school", brin=brin)
    session.flush()
    return organisation


def kvk_number() -> str:
    """A fresh KvK number (8 digits, 9xxxxxxx)."""
    return identifiers.kvk_number(f"{90_000_000 + serial():08d}")


# --- SBB: qualifications, companies, recognitions ---------------------------------------------


def _next_key(session: Session, column: Any, first: int) -> int:
    highest = session.scalar(select(func.max(column)).where(column >= str(first)))
    return max(first, int(highest or 0) + 1)


def leerbedrijf_ids(session: Session, count: int) -> list[str]:
    """*count* fresh leerbedrijf-ids in ascending order, for companies a test wants to number itself."""
    first = _next_key(session, CompanyModel.leerbedrijf_id, FIRST_LEERBEDRIJF_ID)
    return [str(first + n) for n in range(count)]


def qualification(session: Session, *, name: str | None = None, level: int = 2) -> QualificationModel:
    """A qualification under a fresh crebo (9xxxx), named with a fresh word unless *name* is given."""
    crebo = identifiers.crebo(str(_next_key(session, QualificationModel.crebo, FIRST_CREBO)))
    row = QualificationModel(crebo=crebo, name=name or f"Testkwalificatie {unique_word()}", level=level)
    session.add(row)
    session.flush()
    return row


def _crebo(qualified: QualificationModel | str) -> str:
    return qualified if isinstance(qualified, str) else qualified.crebo


_DEFAULT_PLACES = {"NL": ("Groningen", None), "BE": ("Antwerpen", "2000"), "DE": ("Köln", "50667")}


def company(
    session: Session,
    *,
    name: str | None = None,
    place: str | None = None,
    country_code: str = "NL",
    postcode: str | None = None,
    street: str = "Teststraat",
    house_number: int = 1,
    house_number_suffix: str | None = None,
    leerbedrijf_id: str | None = None,
    recognised_for: Iterable[QualificationModel | str] = (),
    **columns: Any,
) -> CompanyModel:
    """A leerbedrijf with its search words; recognised for each of *recognised_for* from
    :data:`RECOGNISED_FROM`, open-ended (more with :func:`recognition`).

    Fresh unless given: the leerbedrijf-id, the KvK number and a word in the name (so its
    name key is nobody else's); a Dutch postcode is stored normalised, as SBB stores it.
    Further *columns* (``phone``, ``postal_street``, ...) go to the row as they are.
    """
    default_place, default_postcode = _DEFAULT_PLACES[country_code]
    name = name or f"Leerbedrijf {unique_word()}"
    place = place or default_place
    if country_code == "NL":
        postcode = domain.normalise_postcode(postcode or f"{1000 + serial() % 9000} TK")
    else:
        postcode = postcode or default_postcode
    row = CompanyModel(
        leerbedrijf_id=leerbedrijf_id or leerbedrijf_ids(session, 1)[0], name=name, name_key=domain.name_key(name),
        kvk_number=columns.pop("kvk_number", None) or kvk_number(), street=street, house_number=house_number,
        house_number_suffix=domain.normalise_suffix(house_number_suffix), postcode=postcode, place=place,
        country_code=country_code, **columns,
    )
    session.add(row)
    session.flush()
    session.execute(insert(CompanyWordModel), word_rows(row.leerbedrijf_id, name, place))
    for qualified in recognised_for:
        recognition(session, row, qualified)
    return row


def recognition(
    session: Session,
    recognised: CompanyModel,
    qualified: QualificationModel | str,
    *,
    start: dt.date = RECOGNISED_FROM,
    end: dt.date | None = None,
    withdrawn_on: dt.date | None = None,
    reason: str | None = None,
) -> RecognitionModel:
    """A recognition of *recognised* for a qualification (or crebo); withdrawn ones get a reason."""
    if withdrawn_on is not None and reason is None:
        reason = "bedrijf gestopt"
    row = RecognitionModel(leerbedrijf_id=recognised.leerbedrijf_id, crebo=_crebo(qualified), start_date=start,
                           end_date=end, withdrawn_on=withdrawn_on, withdrawal_reason=reason)
    session.add(row)
    session.flush()
    session.expire(recognised, ["recognitions"])  # loaded afresh when next read, in the mapped order
    return row


def contact(session: Session, of: CompanyModel, *, name: str | None = None, role: str = "Praktijkopleider",
            phone: str | None = None, email: str | None = None) -> ContactModel:
    row = ContactModel(leerbedrijf_id=of.leerbedrijf_id, name=name or f"Contact {unique_word()}", role=role,
                       phone=phone, email=email)
    session.add(row)
    session.flush()
    return row


def placement(session: Session, at: CompanyModel, qualified: QualificationModel | str, *,
              learning_path: str = "BOL", start: dt.date = dt.date(2026, 9, 1), places: int = 1,
              description: str = "Meewerken in het bedrijf.") -> PlacementModel:
    """An open placement place (stageplaats) at *at* for students of a qualification, numbered
    by the database (after the seed's own numbers, on PostgreSQL too)."""
    row = PlacementModel(leerbedrijf_id=at.leerbedrijf_id, learning_path=learning_path, crebo=_crebo(qualified),
                         start_date=start, places=places, description=description)
    session.add(row)
    session.flush()
    return row


# --- SBB: what a school keeps there -----------------------------------------------------------


def student_number() -> str:
    """A school's own student number (not a BSN), fresh per call."""
    return f"T{serial():07d}"


def agreement(session: Session, oin: str, at: CompanyModel | str, qualified: QualificationModel | str, *,
              start: dt.date, planned_end: dt.date, learning_path: str = "BOL", ended_on: dt.date | None = None,
              end_reason: str | None = None) -> AgreementModel:
    """A placement agreement (bpv-overeenkomst) of a fresh student of the school *oin* at a company."""
    if ended_on is not None and end_reason is None:
        end_reason = "student gestopt"
    row = AgreementModel(organisation_oin=oin, student_number=student_number(),
                         leerbedrijf_id=at if isinstance(at, str) else at.leerbedrijf_id, crebo=_crebo(qualified),
                         start_date=start, planned_end_date=planned_end, learning_path=learning_path,
                         ended_on=ended_on, end_reason=end_reason)
    session.add(row)
    session.flush()
    return row


def subscription(session: Session, oin: str, *, started_on: dt.date = dt.date(2025, 1, 1),
                 delivery_address: str | None = None) -> SubscriptionModel:
    """The mutation subscription of the school *oin* (pull only unless a delivery address is given)."""
    row = SubscriptionModel(organisation_oin=oin, started_on=started_on, acknowledged_up_to=0,
                            delivery_address=delivery_address, delivery_attempts=0)
    session.add(row)
    session.flush()
    return row


# --- Students (absence reports) ---------------------------------------------------------------

_bsn_seeds = itertools.count(1)
"""Below 1,000,000: the ranges other BSN counters of the suite draw from start above it."""


def bsn() -> str:
    """A BSN passing the 11-test that no other call in this process returns."""
    return valid_bsn(next(_bsn_seeds))


# --- The journal ------------------------------------------------------------------------------


def journal_values(*, arrived_at: dt.datetime | None = None, organisation: str | None = None,
                   tls: str | None = None, signer: str | None = None, **columns: Any) -> dict[str, Any]:
    """The columns of one journal entry (an accepted exchange with tiny bodies), for an insert."""
    values: dict[str, Any] = {
        "request_id": uuid.uuid4().hex, "arrived_at": arrived_at or dt.datetime.now(dt.UTC), "duration_ms": 1.0,
        "endpoint": "/t", "profile": "2W-be-S", "tls_oin": tls, "tls_subject": None, "signer_oin": signer,
        "signer_subject": None, "organisation_oin": organisation, "operation": "Test", "message_id": None,
        "outcome": "accepted", "verdict": "test", "fault_code": None, "request_size": 4, "request": b"<x/>",
        "response_size": 4, "response": b"<y/>", "body_cap": 4,
    }
    values.update(columns)
    return values


def journal_entries(session: Session, count: int = 1, **values: Any) -> None:
    """*count* journal entries (:func:`journal_values`), written as the journal writes them."""
    for _ in range(count):
        add_journal_entry(session, journal_values(**values))
    session.flush()


def journalled(session: Session, message_id: str) -> JournalEntry:
    """The one journal entry of the exchange with this MessageID."""
    return session.scalars(select(JournalEntry).where(JournalEntry.message_id == message_id)).one()


# --- Parties and golden messages --------------------------------------------------------------


def credentials(pki: DevPki, party: str, *, crls: bool = True) -> Credentials:
    """A party's client credentials from the development PKI: chain, key, trust (and the CRL)."""
    files = pki.party(party)
    return Credentials.from_pem(files.chain, files.key, trust=pki.trust_bundle, crls=[pki.crl] if crls else ())


GOLDEN = Path(__file__).resolve().parent / "golden"
"""The hand-written messages of each contract, ``tests/golden/<contract>/<Operation>.<kind>.xml``."""


def golden(contract: str, name: str, *, remove_blank_text: bool = False) -> etree._Element:
    """A golden message, parsed."""
    parser = etree.XMLParser(remove_blank_text=remove_blank_text)
    return etree.parse(str(GOLDEN / contract / name), parser).getroot()


def golden_body(contract: str, name: str) -> bytes:
    """A golden message's bytes after the XML declaration (a Body element, to send or to alter)."""
    return (GOLDEN / contract / name).read_bytes().split(b"?>", 1)[1]
