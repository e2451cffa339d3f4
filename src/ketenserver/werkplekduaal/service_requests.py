"""DienErkenningsaanvraagIn and GeefErkenningsaanvraag: recognition requests (wire in, domain, wire out).

Asked as TRAJECTBEGELEIDER (a provider's or a coach organisation's trajectory coach). The rules are
in :mod:`~ketenserver.werkplekduaal.requests` and :mod:`~ketenserver.werkplekduaal.requests_rules`;
a broken one raises and the pipeline answers with the Uitzondering (nothing stored).
"""

from __future__ import annotations

import functools
from typing import Any

from spyne import ServiceBase

from ketenserver.context import CallContext
from ketenserver.dates import belgian_date
from ketenserver.soap import call_context
from ketenserver.werkplekduaal import magda, requests
from ketenserver.werkplekduaal.kbo_storage import SqlKboRegister
from ketenserver.werkplekduaal.requests_storage import SqlRecognitionRegister, SqlRequestBook
from ketenserver.werkplekduaal.settings import WerkplekduaalSettings
from ketenserver.werkplekduaal.wire import models

CAPACITIES = frozenset({magda.COACH})


# ------------------------------------------------------------------------------ wire to domain
def _content(inhoud: Any) -> bytes:
    """xs:base64Binary as spyne decodes it: bytes, or a sequence of bytes chunks (None when empty)."""
    if inhoud is None:
        return b""
    if isinstance(inhoud, bytes | bytearray):
        return bytes(inhoud)
    return b"".join(inhoud)


def _document(document: Any) -> requests.Document:
    return requests.Document(name=document.Bestandsnaam, content=_content(document.Inhoud))


def _mentor(mentor: Any) -> requests.Mentor:
    extract = mentor.Strafregisteruittreksel
    return requests.Mentor(
        rijksregisternummer=mentor.Rijksregisternummer, given_name=mentor.Voornaam, surname=mentor.Naam,
        birth_date=mentor.Geboortedatum, years_experience=mentor.JarenErvaring,
        relevant_prior_education=bool(mentor.RelevanteVooropleiding),
        extract=None if extract is None else requests.Extract(model=extract.Model, issued=extract.Afgiftedatum,
                                                              document=_document(extract.Document)),
        commits_to_training=bool(mentor.EngagementMentoropleiding))


def new_request(inhoud: Any) -> requests.NewRequest:
    """The domain value of an ``Erkenningsaanvraag``."""
    verklaring = inhoud.VerklaringOpEer
    mentoren = inhoud.Mentoren
    return requests.NewRequest(
        enterprise_number=inhoud.Werkplaats.Ondernemingsnummer,
        establishment_number=inhoud.Werkplaats.Vestigingsnummer, opleiding=inhoud.Opleiding,
        mandate=None if inhoud.Machtiging is None else _document(inhoud.Machtiging),
        declaration_version=verklaring.Versie, declaration=_document(verklaring.Document),
        mentors=tuple(_mentor(each) for each in ((None if mentoren is None else mentoren.Mentor) or ())))


# ------------------------------------------------------------------------------ domain to wire
def erkenning(recognition: requests.Recognition) -> Any:
    m = models()
    return m.Erkenning(Erkenningsnummer=recognition.number, Vestigingsnummer=recognition.establishment_number,
                       Opleiding=recognition.opleiding, GeldigVan=recognition.valid_from,
                       GeldigTot=recognition.valid_until, Status=recognition.status, Plaatsen=recognition.places)


def aanvraag_status(found: requests.RequestStatus) -> Any:
    """The ``AanvraagStatus`` of a request: its assignment, and the decision and recognition once decided."""
    m = models()
    decision = found.decision
    return m.AanvraagStatus(
        Aanvraagnummer=found.number, Status=found.status,
        Werkplaats=m.Werkplaats(Ondernemingsnummer=found.enterprise_number,
                                Vestigingsnummer=found.establishment_number),
        Opleiding=found.opleiding,
        Partnerschap=m.Partnerschap(Code=found.partnership.code, Naam=found.partnership.name[:500]),
        Ingediend=found.filed, BeslissingUiterlijk=found.decide_by,
        Beslissing=None if decision is None else m.Beslissing(Uitkomst=decision.outcome, Datum=decision.day,
                                                              Reden=None if decision.reason is None
                                                              else decision.reason[:500]),
        Erkenning=None if found.recognition is None else erkenning(found.recognition))


# --------------------------------------------------------------------------------- the service
def _storage(call: CallContext, sender: str) -> tuple[SqlKboRegister, SqlRequestBook, SqlRecognitionRegister]:
    """The ports of one call: the counter's KBO, the sender's requests, the recognitions (read on today)."""
    return (SqlKboRegister(call.session), SqlRequestBook(call.session, sender),
            SqlRecognitionRegister(call.session, today=belgian_date(call.now)))


@functools.cache
def build_service() -> type:
    m = models()

    class RequestsService(ServiceBase):
        @m.operation("DienErkenningsaanvraagIn")
        def DienErkenningsaanvraagIn(ctx: Any, request: Any) -> Any:
            call = call_context(ctx)
            asked = magda.question(request, call, operation="DienErkenningsaanvraagIn", capacities=CAPACITIES)
            kbo, book, register = _storage(call, asked.sender)
            filed = requests.file(new_request(asked.content), sender=asked.sender, today=belgian_date(call.now),
                                  settings=call.settings.of(WerkplekduaalSettings), kbo=kbo, book=book,
                                  register=register)
            return magda.answer(asked, call, aanvraag_status(filed))

        @m.operation("GeefErkenningsaanvraag")
        def GeefErkenningsaanvraag(ctx: Any, request: Any) -> Any:
            call = call_context(ctx)
            asked = magda.question(request, call, operation="GeefErkenningsaanvraag", capacities=CAPACITIES)
            _kbo, book, _register = _storage(call, asked.sender)
            found = requests.status(asked.content.Aanvraagnummer, book=book, today=belgian_date(call.now))
            return magda.answer(asked, call, aanvraag_status(found))

    return RequestsService
