"""Test data for werkplekduaal: PDFs, test-range rijksregisternummers, KBO companies and MAGDA Bodies (lxml).

Independent of the code under test: the numbers are computed here from their published rules, and
the Bodies are written as a client writes them, so a service test reads them as the wire does.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree
from sqlalchemy.orm import Session

from ketenserver.werkplekduaal import NAMESPACE

VERSION = "02.00.0000"
DECLARATION_VERSION = "02.09.2019"
EXTRACT_MODEL = "596.2"
PROVIDER, COACH = "OPLEIDINGSVERSTREKKER", "TRAJECTBEGELEIDER"


def q(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def element(name: str, *children: etree._Element | None, text: str | None = None) -> etree._Element:
    """``<wpd:name>`` with ``children`` (None skipped) or ``text``."""
    made = etree.Element(q(name), nsmap={"wpd": NAMESPACE})
    if text is not None:
        made.text = text
    for child in children:
        if child is not None:
            made.append(child)
    return made


def leaf(name: str, value: object) -> etree._Element:
    if isinstance(value, bool):
        return element(name, text="true" if value else "false")
    if isinstance(value, dt.date):
        return element(name, text=value.isoformat())
    return element(name, text=str(value))


# ------------------------------------------------------------------------------------ documents
def pdf(size: int = 400, *, fill: bytes = b"%") -> bytes:
    """A document that is a PDF by its content (``%PDF-1.4``), ``size`` bytes long (at least 10)."""
    head = b"%PDF-1.4\n"
    return head + fill * (size - len(head))


def document(name: str = "document.pdf", content: bytes | None = None) -> etree._Element:
    """A ``Document``-typed element's children wrapped in a ``Document`` element."""
    return element("Document", leaf("Bestandsnaam", name),
                   leaf("Inhoud", base64.b64encode(pdf() if content is None else content).decode("ascii")))


def _renamed(made: etree._Element, name: str) -> etree._Element:
    made.tag = q(name)
    return made


# --------------------------------------------------------------------------------- people
def test_rijksregisternummer(birth: dt.date, serial: int) -> str:
    """A rijksregisternummer of the Flemish test range (the month raised by 60) for someone born on
    ``birth``: YYMMDD + serial (1..997) + 97 - (nine digits mod 97), a 2 before them from 2000."""
    nine = f"{birth.year % 100:02d}{birth.month + 60:02d}{birth.day:02d}{serial:03d}"
    check = 97 - (int(("2" if birth.year >= 2000 else "") + nine) % 97)
    return f"{nine}{check:02d}"


test_rijksregisternummer.__test__ = False  # type: ignore[attr-defined]  # a factory, not a test


def born(age: int, on: dt.date, *, days_later: int = 0) -> dt.date:
    """The birth date of someone who turns ``age`` on ``on`` (``days_later``: born that many days after)."""
    try:
        birthday = on.replace(year=on.year - age)
    except ValueError:  # 29 February
        birthday = dt.date(on.year - age, 3, 1)
    return birthday + dt.timedelta(days=days_later)


_serials = itertools.count(random.Random().randint(1, 400))


def serial() -> int:
    """A fresh serial for :func:`test_rijksregisternummer` (1..997)."""
    return next(_serials) % 997 + 1


# ----------------------------------------------------------------------------------- KBO
_numbers = itertools.count(random.Random().randint(1, 5_000_000))


def _checked(first8: str) -> str:
    return f"{first8}{97 - int(first8) % 97:02d}"


def enterprise_number() -> str:
    """A fresh valid KBO enterprise number (starting with 1: no seed uses that range)."""
    return _checked(f"1{next(_numbers) % 10_000_000:07d}")


def establishment_number() -> str:
    """A fresh valid KBO establishment number (starting with 8)."""
    return _checked(f"8{next(_numbers) % 10_000_000:07d}")


@dataclass(frozen=True)
class Company:
    enterprise: str
    establishments: tuple[str, ...]
    joint_committee: str | None


def kbo_company(session: Session, *, joint_committee: str | None = "118", establishments: int = 1,
                status: str = "AC", establishment_status: str = "AC", postcode: str = "9000") -> Company:
    """An enterprise with its establishments in the counter's KBO (and its joint committee)."""
    from ketenserver.werkplekduaal.kbo_storage import EmployerRow, EnterpriseRow, EstablishmentRow

    number = enterprise_number()
    session.add(EnterpriseRow(number=number, name=f"Testbedrijf {number}", status=status,
                              start_date=dt.date(2010, 1, 4)))
    if joint_committee is not None:
        session.add(EmployerRow(enterprise_number=number, joint_committee=joint_committee))
    made = []
    for index in range(establishments):
        at = establishment_number()
        session.add(EstablishmentRow(number=at, enterprise_number=number, name=f"Vestiging {index + 1}",
                                     street="Veldstraat", house_number=str(index + 1), box=None, postcode=postcode,
                                     municipality="Gent", status=establishment_status,
                                     start_date=dt.date(2010, 1, 4)))
        made.append(at)
    session.flush()
    return Company(number, tuple(made), joint_committee)


# ----------------------------------------------------------------------- recognition requests
def mentor(on: dt.date, *, age: int = 35, number: str | None = None, birth: dt.date | None = None,
           voornaam: str = "An", naam: str = "Peeters", experience: int = 8, relevant: bool = False,
           extract_model: str | None = EXTRACT_MODEL, extract_content: bytes | None = None,
           commits: bool = True) -> etree._Element:
    """A valid ``Mentor`` (``age`` on ``on``) unless told otherwise; ``extract_model=None`` leaves out
    the Strafregisteruittreksel."""
    birth = birth or born(age, on, days_later=-40)
    number = number or test_rijksregisternummer(birth, serial())
    extract = None if extract_model is None else element(
        "Strafregisteruittreksel", leaf("Model", extract_model), leaf("Afgiftedatum", on - dt.timedelta(days=20)),
        document("uittreksel.pdf", extract_content))
    return element("Mentor", leaf("Rijksregisternummer", number), leaf("Voornaam", voornaam), leaf("Naam", naam),
                   leaf("Geboortedatum", birth), leaf("JarenErvaring", experience),
                   leaf("RelevanteVooropleiding", relevant), extract, leaf("EngagementMentoropleiding", commits))


def erkenningsaanvraag(enterprise: str, establishment: str, on: dt.date, *, opleiding: str = "BAKKER",
                       mentors: int | Sequence[etree._Element] = 1, mandate: bool | bytes = True,
                       declaration_version: str = DECLARATION_VERSION,
                       declaration: bytes | None = None) -> etree._Element:
    """A valid ``Erkenningsaanvraag`` filed on ``on`` with ``mentors`` (a count of valid ones, or the
    elements); ``mandate`` False leaves the Machtiging out, bytes give its content."""
    listed = [mentor(on) for _ in range(mentors)] if isinstance(mentors, int) else list(mentors)
    machtiging = None if mandate is False else _renamed(
        document("machtiging.pdf", None if mandate is True else mandate), "Machtiging")
    return element(
        "Erkenningsaanvraag",
        element("Werkplaats", leaf("Ondernemingsnummer", enterprise), leaf("Vestigingsnummer", establishment)),
        leaf("Opleiding", opleiding), machtiging,
        element("VerklaringOpEer", leaf("Versie", declaration_version), document("verklaring.pdf", declaration)),
        element("Mentoren", *listed))


def aanvraag_selectie(number: str) -> etree._Element:
    return element("AanvraagSelectie", leaf("Aanvraagnummer", number))


# ------------------------------------------------------------------------------------- MAGDA
def magda_body(operation: str, content_element: etree._Element, *, sender: str, capacity: str,
               referte: str | None = None, now: dt.datetime | None = None,
               vraag_referte: str = "vraag-1") -> etree._Element:
    """The ``<operation>`` Body element: Verzoek/Context (Naam = ``operation``, Versie 02.00.0000,
    Bericht of Type VRAAG, Tijdstip, Afzender) and one Vraag whose Inhoud holds the children of
    ``content_element`` (whatever its name)."""
    moment = now or dt.datetime.now(dt.UTC)
    inhoud = element("Inhoud", *[etree.fromstring(etree.tostring(child)) for child in content_element])
    return element(
        operation,
        element("Verzoek",
                element("Context",
                        leaf("Naam", operation), leaf("Versie", VERSION),
                        element("Bericht",
                                leaf("Type", "VRAAG"),
                                element("Tijdstip", leaf("Datum", moment.date()),
                                        leaf("Tijd", moment.time().replace(microsecond=0, tzinfo=None).isoformat())),
                                element("Afzender", leaf("Identificatie", sender),
                                        leaf("Referte", referte or uuid.uuid4().hex),
                                        leaf("Hoedanigheid", capacity)))),
                element("Vragen", element("Vraag", leaf("Referte", vraag_referte), inhoud))))
