"""What the counter checks before it accepts a recognition request (WPD-1010..1029).

In the order a request is read: the workplace (enterprise and establishment numbers with their
check digits, the opleiding, both active in the counter's KBO and the establishment of that
enterprise), the company's signed mandate, the declaration on honour in its current version, then
each mentor: a valid rijksregisternummer that encodes the birth date given, named once, at least
:data:`MIN_AGE` on the filing day (:data:`MIN_AGE_WITH_EDUCATION` with relevant prior education),
:data:`MIN_EXPERIENCE` years of experience, the criminal-record extract model
:data:`EXTRACT_MODEL` (required since :data:`EXTRACT_REQUIRED_FROM`), and the commitment to a
mentor training. Every document is a PDF by its content within the size bounds of the settings.

A mentor's refusal names the mentor by position in its field (``Mentor[2]/Geboortedatum``);
messages never repeat what was sent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from ketenserver import identifiers
from ketenserver.werkplekduaal import catalogue, errors
from ketenserver.werkplekduaal.kbo import ACTIVE, KboRegister
from ketenserver.werkplekduaal.settings import WerkplekduaalSettings

MANDATE, DECLARATION, EXTRACT = "MACHTIGING", "VERKLARING", "UITTREKSEL"
"""The kinds of document a request carries."""

MIN_AGE, MIN_AGE_WITH_EDUCATION, MIN_EXPERIENCE = 25, 23, 5
EXTRACT_MODEL = "596.2"
"""The criminal-record extract for work with minors."""
EXTRACT_REQUIRED_FROM = dt.date(2019, 9, 2)
"""Since when a mentor's extract model 596.2 is required (the mentor rules of 2 September 2019)."""
PDF_MAGIC = b"%PDF-"


@dataclass(frozen=True)
class Document:
    name: str
    content: bytes
    """The decoded bytes."""


@dataclass(frozen=True)
class Extract:
    """A criminal-record extract (uittreksel uit het strafregister)."""

    model: str
    """e.g. ``596.2`` (work with minors, required for mentors) or ``596.1``."""
    issued: dt.date
    document: Document


@dataclass(frozen=True)
class Mentor:
    rijksregisternummer: str
    given_name: str
    surname: str
    birth_date: dt.date
    years_experience: int
    relevant_prior_education: bool
    extract: Extract | None
    commits_to_training: bool
    """EngagementMentoropleiding: a mentor training within a year."""


@dataclass(frozen=True)
class NewRequest:
    """An Erkenningsaanvraag as filed."""

    enterprise_number: str
    establishment_number: str
    opleiding: str
    mandate: Document | None
    declaration_version: str
    declaration: Document
    mentors: tuple[Mentor, ...]


@dataclass(frozen=True)
class StoredDocument:
    kind: str
    """:data:`MANDATE`, :data:`DECLARATION` or :data:`EXTRACT`."""
    name: str
    content: bytes
    size: int
    sha256: str
    mentor: str | None = None
    """For an extract: the rijksregisternummer of its mentor."""


@dataclass(frozen=True)
class Checked:
    """A request that passed :func:`check`: its numbers normalised, what routing needs, its documents."""

    enterprise_number: str
    establishment_number: str
    joint_committee: str | None
    mentors: tuple[Mentor, ...]
    documents: tuple[StoredDocument, ...]


def check(new: NewRequest, *, today: dt.date, settings: WerkplekduaalSettings, kbo: KboRegister) -> Checked:
    """Every rule of a new request, judged on the filing day ``today``; the first broken one raises."""
    enterprise_number, establishment_number, joint_committee = _workplace(new, kbo)
    if new.mandate is None:
        raise errors.MandateMissing("A trajectory coach files on a company's behalf only with the mandate document "
                                    "the company signed (Machtiging, a PDF).", field="Machtiging")
    documents = [stored(new.mandate, MANDATE, "Machtiging/Inhoud", settings)]
    if new.declaration_version != settings.declaration_version:
        raise errors.DeclarationOutdated(
            f"VerklaringOpEer/Versie must be the current version {settings.declaration_version} (adapted to the "
            "mentor rules of 2 September 2019); an older version is not accepted.", field="VerklaringOpEer/Versie")
    documents.append(stored(new.declaration, DECLARATION, "VerklaringOpEer/Document/Inhoud", settings))
    mentors = _mentors(new.mentors, today)
    for position, mentor in enumerate(mentors, start=1):
        if mentor.extract is not None:
            documents.append(stored(mentor.extract.document, EXTRACT,
                                    f"Mentor[{position}]/Strafregisteruittreksel/Document/Inhoud", settings,
                                    mentor=mentor.rijksregisternummer))
    return Checked(enterprise_number, establishment_number, joint_committee, mentors, tuple(documents))


def _workplace(new: NewRequest, kbo: KboRegister) -> tuple[str, str, str | None]:
    try:
        enterprise_number = identifiers.kbo_enterprise_number(new.enterprise_number)
    except identifiers.InvalidKboEnterpriseNumber as error:
        raise errors.InvalidEnterpriseNumber(str(error), field="Ondernemingsnummer") from None
    try:
        establishment_number = identifiers.kbo_establishment_number(new.establishment_number)
    except identifiers.InvalidKboEstablishmentNumber as error:
        raise errors.InvalidEstablishmentNumber(str(error), field="Vestigingsnummer") from None
    if catalogue.opleiding(new.opleiding) is None:
        raise errors.UnknownOpleiding("Opleiding is not a code of the counter's table of dual opleidingen.",
                                      field="Opleiding")
    enterprise = kbo.enterprise(enterprise_number)
    if enterprise is None or enterprise.status != ACTIVE:
        raise errors.UnknownEnterprise("Ondernemingsnummer names no active enterprise in KBO.",
                                       field="Ondernemingsnummer")
    establishment = kbo.establishment(establishment_number)
    if establishment is None or establishment.status != ACTIVE or establishment.enterprise_number != enterprise_number:
        raise errors.UnknownEstablishment("Vestigingsnummer names no active establishment of this enterprise in KBO.",
                                          field="Vestigingsnummer")
    return enterprise_number, establishment_number, enterprise.joint_committee


def age_on(birth: dt.date, day: dt.date) -> int:
    """Whole years from ``birth`` to ``day`` (someone born on 29 February has a birthday on 1 March)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _mentors(mentors: Sequence[Mentor], today: dt.date) -> tuple[Mentor, ...]:
    if not mentors:
        raise errors.NoMentor("A request names at least one mentor.", field="Mentoren")
    seen: set[str] = set()
    checked = []
    for position, mentor in enumerate(mentors, start=1):
        at = f"Mentor[{position}]"
        number = _rijksregisternummer(mentor, at)
        if number in seen:
            raise errors.MentorTwice(f"{at} was named before in this request; each mentor once.",
                                     field=f"{at}/Rijksregisternummer")
        seen.add(number)
        minimum = MIN_AGE_WITH_EDUCATION if mentor.relevant_prior_education else MIN_AGE
        if age_on(mentor.birth_date, today) < minimum:
            raise errors.MentorTooYoung(
                f"{at} must be at least {MIN_AGE} on the day of filing ({MIN_AGE_WITH_EDUCATION} with relevant prior "
                "education).", field=f"{at}/Geboortedatum")
        if mentor.years_experience < MIN_EXPERIENCE:
            raise errors.MentorInexperienced(f"{at} needs at least {MIN_EXPERIENCE} years of relevant experience.",
                                             field=f"{at}/JarenErvaring")
        extract = mentor.extract
        if today >= EXTRACT_REQUIRED_FROM and (extract is None or extract.model != EXTRACT_MODEL):
            raise errors.CriminalRecordExtract(
                f"{at} needs a criminal-record extract model {EXTRACT_MODEL} (work with minors), required since "
                "2 September 2019.", field=f"{at}/Strafregisteruittreksel")
        if not mentor.commits_to_training:
            raise errors.MentorTrainingNotCommitted(f"{at} must commit to a mentor training within a year.",
                                                    field=f"{at}/EngagementMentoropleiding")
        checked.append(Mentor(number, mentor.given_name, mentor.surname, mentor.birth_date, mentor.years_experience,
                              mentor.relevant_prior_education, extract, mentor.commits_to_training))
    return tuple(checked)


def _rijksregisternummer(mentor: Mentor, at: str) -> str:
    field = f"{at}/Rijksregisternummer"
    try:
        number = identifiers.rijksregisternummer(mentor.rijksregisternummer)
    except identifiers.InvalidRijksregisternummer as error:
        raise errors.InvalidRijksregisternummer(f"{at}: {error}", field=field) from None
    encoded = number.birth_date()
    if encoded is not None and encoded != mentor.birth_date:
        raise errors.InvalidRijksregisternummer(f"{at}: the rijksregisternummer encodes another birth date than "
                                                "Geboortedatum.", field=field)
    return number.number


def stored(document: Document, kind: str, field: str, settings: WerkplekduaalSettings, *,
           mentor: str | None = None) -> StoredDocument:
    """``document`` checked (a PDF by content, WPD-1028; within the size bounds, WPD-1029) as it is kept."""
    content = document.content
    if not content.startswith(PDF_MAGIC):
        raise errors.AttachmentTypeRefused(f"{field.split('/')[0]}: the document is not a PDF (judged by its "
                                           "content, not its name).", field=field)
    size = len(content)
    if not settings.attachment_min_bytes <= size <= settings.attachment_max_bytes:
        raise errors.AttachmentSize(f"{field.split('/')[0]}: a document holds between {settings.attachment_min_bytes} "
                                    f"and {settings.attachment_max_bytes} bytes.", field=field)
    return StoredDocument(kind, document.name, content, size, hashlib.sha256(content).hexdigest(), mentor)
