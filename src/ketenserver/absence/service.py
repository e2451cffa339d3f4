"""DUO's Verzuimloket service: wire in, domain, wire out.

Every operation has the same shape: read the :class:`~ketenserver.context.CallContext`, map
the request to :mod:`~ketenserver.absence.domain` values, call the operation of
:mod:`~ketenserver.absence.counter` (its errors propagate to the pipeline, see
:mod:`ketenserver.soap`), map the result back. Operations are declared document/literal
*bare*: the Body element of a request is the ``@rpc`` argument itself, named and namespaced as
in ``xsd/duo-verzuimloket.xsd``; spyne dispatches on that element's QName. The counter is called
through its module attribute, so a test can replace an operation.

Storage is reached through ports (:mod:`~ketenserver.absence.ports`), as in the recognitions
feature, so that only storage code knows SQLAlchemy; the counter builds its port over the call
context's session in one place, so that an operation receives exactly the request's values.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from spyne import ServiceBase

from ketenserver.absence import counter, domain, wire
from ketenserver.soap import call_context

# --- Wire to domain ------------------------------------------------------------------------------


def _student(leerling: Any) -> domain.Student:
    address = leerling.Woonadres
    return domain.Student(
        bsn=leerling.Bsn, onderwijsnummer=leerling.Onderwijsnummer, given_names=leerling.Voornamen,
        prefix=leerling.Voorvoegsel, surname=leerling.Achternaam, birth_date=leerling.Geboortedatum,
        address=domain.Address(street=address.Straat, house_number=address.Huisnummer,
                               house_number_suffix=address.HuisnummerToevoeging, postcode=address.Postcode,
                               place=address.Plaats),
    )


def _period(periode: Any) -> domain.Period:
    return domain.Period(start=periode.Begindatum, end=periode.Einddatum)


def _content(inhoud: Any) -> bytes:
    """xs:base64Binary as spyne decodes it: bytes, or a sequence of bytes chunks (None when empty)."""
    if inhoud is None:
        return b""
    if isinstance(inhoud, bytes | bytearray):
        return bytes(inhoud)
    return b"".join(inhoud)


def _attachments(bijlagen: Any) -> tuple[domain.Attachment, ...]:
    if bijlagen is None:
        return ()
    return tuple(domain.Attachment(file_name=b.Bestandsnaam, content=_content(b.Inhoud))
                 for b in bijlagen.Bijlage or ())


def new_report(request: Any) -> domain.NewReport:
    """The domain value of an ``IndienenVerzuimmelding``."""
    melder = request.Melder
    return domain.NewReport(
        student=_student(request.Leerling), brin=request.School.Brin,
        establishment=request.School.Vestigingsnummer, school_year=request.Schooljaar, level=request.Niveau,
        learning_path=request.Leerweg, full_time=request.Voltijd, kind=request.Verzuimsoort,
        period=_period(request.Periode), presumed_reason=request.VermoedelijkeReden,
        explanation=request.Toelichting, action_taken=request.OndernomenActie,
        action_explanation=request.ToelichtingActie,
        reporter=domain.Reporter(email=melder.Email, role=melder.Rol, contact=melder.Contactpersoon,
                                 phone=melder.Telefoon),
        all_lessons_missed=request.AlleLessenVerzuimd, attachments=_attachments(request.Bijlagen),
    )


def clone_request(request: Any) -> domain.CloneRequest:
    """The domain value of a ``KlonenVerzuimmelding``."""
    return domain.CloneRequest(
        meldingnummer=request.Meldingnummer, period=_period(request.Periode),
        presumed_reason=request.VermoedelijkeReden, explanation=request.Toelichting,
        all_lessons_missed=request.AlleLessenVerzuimd, attachments=_attachments(request.Bijlagen),
    )


def absence_days(verzuimdagen: Iterable[Any]) -> tuple[domain.AbsenceDay, ...]:
    """The domain values of ``Verzuimdag`` elements (HeleDag absent: not a whole day)."""
    return tuple(domain.AbsenceDay(day=d.Datum, whole_day=bool(d.HeleDag), lesson_hours=tuple(d.Lesuur or ()))
                 for d in verzuimdagen)


# --- Domain to wire ------------------------------------------------------------------------------


def _gemeente(municipality: domain.Municipality) -> Any:
    return wire.models().Gemeente(Code=municipality.code, Naam=municipality.name)


def _bijlagen_gegevens(attachments: Iterable[domain.AttachmentInfo]) -> Any:
    return wire.models().BijlagenGegevens(BijlageGegevens=[
        wire.models().BijlageGegevens(Bestandsnaam=a.file_name, Inhoudstype=a.media_type, Grootte=a.size,
                                      Sha256=a.sha256)
        for a in attachments
    ])


def _verzuimdag(day: domain.AbsenceDay) -> Any:
    if day.whole_day:
        return wire.models().Verzuimdag(Datum=day.day, HeleDag=True, Lesuur=[])
    return wire.models().Verzuimdag(Datum=day.day, HeleDag=None, Lesuur=list(day.lesson_hours))


def _terugmelding(reply: domain.Reply) -> Any:
    handler = reply.handler
    return wire.models().Terugmelding(
        Volgnummer=reply.sequence, Meldingnummer=reply.meldingnummer, Status=reply.status.value,
        Behandelaar=wire.models().Behandelaar(Naam=handler.name, Telefoon=handler.phone, Email=handler.email),
        Toelichting=reply.explanation, Tijdstip=reply.at,
    )


def _leerling(student: domain.Student) -> Any:
    address = student.address
    return wire.models().Leerling(
        Bsn=student.bsn, Onderwijsnummer=student.onderwijsnummer, Voornamen=student.given_names,
        Voorvoegsel=student.prefix, Achternaam=student.surname, Geboortedatum=student.birth_date,
        Woonadres=wire.models().Woonadres(Straat=address.street, Huisnummer=address.house_number,
                                 HuisnummerToevoeging=address.house_number_suffix, Postcode=address.postcode,
                                 Plaats=address.place),
    )


def verzuimmelding(report: domain.Report) -> Any:
    """A ``Verzuimmelding`` of a report as the counter holds it."""
    content, reporter, withdrawal = report.content, report.content.reporter, report.withdrawal
    return wire.models().Verzuimmelding(
        Meldingnummer=report.meldingnummer, Wijzigingsvolgnummer=report.change_number,
        Status=report.status.value, Geregistreerd=report.registered_at, VorigMeldingnummer=report.previous,
        Gemeente=_gemeente(report.municipality), Leerling=_leerling(content.student),
        School=wire.models().School(Brin=content.brin, Vestigingsnummer=content.establishment),
        Schooljaar=content.school_year, Niveau=content.level, Leerweg=content.learning_path,
        Voltijd=content.full_time, Verzuimsoort=content.kind,
        Periode=wire.models().Periode(Begindatum=content.period.start, Einddatum=content.period.end),
        VermoedelijkeReden=content.presumed_reason, Toelichting=content.explanation,
        OndernomenActie=content.action_taken, ToelichtingActie=content.action_explanation,
        Melder=wire.models().Melder(Email=reporter.email, Rol=reporter.role, Contactpersoon=reporter.contact,
                           Telefoon=reporter.phone),
        AlleLessenVerzuimd=content.all_lessons_missed,
        OntvangenBijlagen=_bijlagen_gegevens(report.attachments),
        Verzuimdagspecificatie=wire.models().Verzuimdagspecificatie(
            ZichtbaarVoorGemeente=report.visible_to_municipality,
            Verzuimdagen=wire.models().Verzuimdagen(Verzuimdag=[_verzuimdag(d) for d in report.days]),
        ),
        Intrekking=None if withdrawal is None else wire.models().Intrekking(Reden=withdrawal.reason,
                                                                            Tijdstip=withdrawal.at),
        Terugmeldingen=wire.models().Terugmeldingen(Terugmelding=[_terugmelding(r) for r in report.replies]),
    )


def registration_response(registration: domain.Registration) -> Any:
    """A ``IndienenVerzuimmeldingResponse`` of a registered report."""
    return wire.models().IndienenVerzuimmeldingResponse(
        Meldingnummer=registration.meldingnummer, Status=registration.status.value,
        Geregistreerd=registration.registered_at, Gemeente=_gemeente(registration.municipality),
        OntvangenBijlagen=_bijlagen_gegevens(registration.attachments),
    )


def clone_response(registration: domain.Registration) -> Any:
    """A ``KlonenVerzuimmeldingResponse`` of a registered follow-up report."""
    return wire.models().KlonenVerzuimmeldingResponse(
        Meldingnummer=registration.meldingnummer, VorigMeldingnummer=registration.previous,
        Status=registration.status.value, Geregistreerd=registration.registered_at,
        Gemeente=_gemeente(registration.municipality), OntvangenBijlagen=_bijlagen_gegevens(registration.attachments),
    )


# --- The service ---------------------------------------------------------------------------------


@functools.cache
def build_service() -> type[ServiceBase]:
    """The spyne service, built on first use: its ``@rpc`` declarations need :func:`wire.models`."""
    operation = wire.models().operation

    class VerzuimloketService(ServiceBase):
        """DUO Verzuimloket, machine link (``wsdl/duo-verzuimloket.wsdl``)."""

        @operation("IndienenVerzuimmelding")
        def IndienenVerzuimmelding(ctx: Any, request: Any) -> Any:  # the contract's name
            """Submit an absence report (counter.submit)."""
            call = call_context(ctx)
            report = new_report(request)
            registration = counter.submit(call, report)
            return registration_response(registration)

        @operation("AanleverenVerzuimdagspecificatie")
        def AanleverenVerzuimdagspecificatie(ctx: Any, request: Any) -> Any:  # the contract's name
            """Add or replace missed days of a report (counter.add_days)."""
            call = call_context(ctx)
            days = absence_days(request.Verzuimdag or ())
            specification = counter.add_days(call, request.Meldingnummer, days)
            return wire.models().AanleverenVerzuimdagspecificatieResponse(
                Meldingnummer=specification.meldingnummer, AantalDagen=specification.day_count,
                ZichtbaarVoorGemeente=specification.visible_to_municipality,
            )

        @operation("KlonenVerzuimmelding")
        def KlonenVerzuimmelding(ctx: Any, request: Any) -> Any:  # the contract's name
            """A follow-up report for continued absence (counter.clone)."""
            call = call_context(ctx)
            clone = clone_request(request)
            registration = counter.clone(call, clone)
            return clone_response(registration)

        @operation("IntrekkenVerzuimmelding")
        def IntrekkenVerzuimmelding(ctx: Any, request: Any) -> Any:  # the contract's name
            """Withdraw a report with a reason (counter.withdraw)."""
            call = call_context(ctx)
            change = counter.withdraw(call, request.Meldingnummer, request.Reden)
            return wire.models().IntrekkenVerzuimmeldingResponse(Meldingnummer=change.meldingnummer,
                                                                 Status=change.status.value)

        @operation("OpvragenVerzuimmelding")
        def OpvragenVerzuimmelding(ctx: Any, request: Any) -> Any:  # the contract's name
            """One report with everything the counter holds of it (counter.read)."""
            call = call_context(ctx)
            report = counter.read(call, request.Meldingnummer)
            return wire.models().OpvragenVerzuimmeldingResponse(Verzuimmelding=verzuimmelding(report))

        @operation("SynchroniserenVerzuimmeldingen")
        def SynchroniserenVerzuimmeldingen(ctx: Any, request: Any) -> Any:  # the contract's name
            """The school's reports changed after a cursor, one page (counter.synchronise)."""
            call = call_context(ctx)
            page = counter.synchronise(call, request.Cursor, request.PaginaGrootte)
            return wire.models().SynchroniserenVerzuimmeldingenResponse(
                Verzuimmelding=[verzuimmelding(r) for r in page.items], VolgendeCursor=page.cursor, Meer=page.more,
            )

        @operation("OphalenTerugmeldingen")
        def OphalenTerugmeldingen(ctx: Any, request: Any) -> Any:  # the contract's name
            """The municipalities' replies after a cursor, one page (counter.replies)."""
            call = call_context(ctx)
            page = counter.replies(call, request.Cursor, request.PaginaGrootte)
            return wire.models().OphalenTerugmeldingenResponse(
                Terugmelding=[_terugmelding(r) for r in page.items], VolgendeCursor=page.cursor, Meer=page.more,
            )

    return VerzuimloketService
