"""Agreements, trajectories and the dashboard's tasks (wire in, domain, wire out).

Seven operations, asked as OPLEIDINGSVERSTREKKER: RegistreerOvereenkomst, WijzigOvereenkomst,
BeeindigOvereenkomst, GeefOvereenkomsten, RegistreerLeertraject, GeefTaken, HandelTaakAf. The
rules are in :mod:`~ketenserver.werkplekduaal.agreements` and :mod:`~ketenserver.werkplekduaal.tasks`;
the ports of one call are built in :func:`_ports` (a test may replace it).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from spyne import ServiceBase

from ketenserver.context import CallContext
from ketenserver.dates import belgian_date
from ketenserver.soap import call_context
from ketenserver.werkplekduaal import agreements, magda, tasks, trainingdays
from ketenserver.werkplekduaal.kbo import Address, KboRegister
from ketenserver.werkplekduaal.requests import RecognitionRegister
from ketenserver.werkplekduaal.settings import WerkplekduaalSettings
from ketenserver.werkplekduaal.wire import models

CAPACITIES = frozenset({magda.PROVIDER})


@dataclass(frozen=True)
class Ports:
    kbo: KboRegister
    register: RecognitionRegister
    book: agreements.AgreementBook
    board: agreements.TaskBoard
    trajectories: agreements.TrajectoryBook


def _ports(call: CallContext, sender: str) -> Ports:
    """The ports of one call: the counter's KBO, the recognitions, and the sender's agreements,
    dashboard and trajectories."""
    from ketenserver.werkplekduaal.agreements_storage import SqlAgreementBook, SqlTaskBoard, SqlTrajectoryBook
    from ketenserver.werkplekduaal.kbo_storage import SqlKboRegister
    from ketenserver.werkplekduaal.requests_storage import SqlRecognitionRegister

    session = call.session
    return Ports(SqlKboRegister(session), SqlRecognitionRegister(session), SqlAgreementBook(session, sender),
                 SqlTaskBoard(session, sender), SqlTrajectoryBook(session, sender))


# ------------------------------------------------------------------------------ wire to domain
def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _content(inhoud: Any) -> bytes:
    """xs:base64Binary as spyne decodes it: bytes, or a sequence of bytes chunks (None when empty)."""
    if inhoud is None:
        return b""
    if isinstance(inhoud, bytes | bytearray):
        return bytes(inhoud)
    return b"".join(inhoud)


def timetable(uurrooster: Any) -> tuple[agreements.Lesday, ...]:
    return tuple(agreements.Lesday(day.Weekdag, Decimal(str(day.Uren))) for day in (uurrooster.Lesdag or ()))


def student(leerling: Any) -> agreements.Student:
    return agreements.Student(leerling.Rijksregisternummer, leerling.Voornaam, leerling.Naam, leerling.Geboortedatum)


def terms(inhoud: Any) -> agreements.Terms:
    """The domain value of ``OvereenkomstGegevens``."""
    return agreements.Terms(
        kind=inhoud.Soort, student=student(inhoud.Leerling), enterprise_number=inhoud.Werkplaats.Ondernemingsnummer,
        establishment_number=inhoud.Werkplaats.Vestigingsnummer, opleiding=inhoud.Opleiding, mentor=inhoud.Mentor,
        start=inhoud.Startdatum, end=inhoud.Einddatum, hours_per_week=Decimal(str(inhoud.UrenPerWeek)),
        allowance=_decimal(inhoud.Leervergoeding), timetable=timetable(inhoud.Uurrooster))


def amendment(inhoud: Any) -> agreements.Amendment:
    """The domain value of ``OvereenkomstWijziging``."""
    return agreements.Amendment(
        number=inhoud.Overeenkomstnummer, establishment_number=inhoud.Vestigingsnummer, mentor=inhoud.Mentor,
        end=inhoud.Einddatum, hours_per_week=_decimal(inhoud.UrenPerWeek), allowance=_decimal(inhoud.Leervergoeding),
        timetable=None if inhoud.Uurrooster is None else timetable(inhoud.Uurrooster))


def task_handling(inhoud: Any) -> tasks.TaskHandling:
    """The domain value of ``TaakAfhandeling``."""
    document = inhoud.OndertekendDocument
    return tasks.TaskHandling(
        number=inhoud.Taaknummer, option=inhoud.Optie, end=inhoud.Einddatum, reason=inhoud.Reden,
        document=None if document is None else agreements.Document(document.Bestandsnaam, _content(document.Inhoud)))


# ------------------------------------------------------------------------------ domain to wire
def _adres(address: Address) -> Any:
    m = models()
    return m.Adres(Straat=address.street, Huisnummer=address.house_number, Bus=address.box,
                   Postcode=address.postcode, Gemeente=address.municipality)


def addendum_out(addendum: agreements.Addendum) -> Any:
    m = models()
    return m.Addendum(Addendumnummer=addendum.number, Status=addendum.status, Aangemaakt=addendum.created,
                      Wijzigingen=m.Wijzigingen(Wijziging=[
                          m.Wijziging(Veld=c.field[:64], Oud=c.old[:500], Nieuw=c.new[:500])
                          for c in addendum.changes]))


def overeenkomst(agreement: agreements.Agreement) -> Any:
    m = models()
    t = agreement.terms
    gegevens = m.OvereenkomstGegevens(
        Soort=t.kind, Leerling=m.Leerling(Rijksregisternummer=t.student.rijksregisternummer,
                                          Voornaam=t.student.given_name, Naam=t.student.surname,
                                          Geboortedatum=t.student.birth_date),
        Werkplaats=m.Werkplaats(Ondernemingsnummer=t.enterprise_number, Vestigingsnummer=t.establishment_number),
        Opleiding=t.opleiding, Mentor=t.mentor, Startdatum=t.start, Einddatum=t.end, UrenPerWeek=t.hours_per_week,
        Leervergoeding=t.allowance,
        Uurrooster=m.Uurrooster(Lesdag=[m.Lesdag(Weekdag=d.weekday, Uren=d.hours) for d in t.timetable]))
    ending = agreement.ending
    return m.Overeenkomst(
        Overeenkomstnummer=agreement.number, Status=agreement.status, Gegevens=gegevens,
        Beeindiging=None if ending is None else m.Beeindiging(Einddatum=ending.end, Reden=ending.reason[:500]),
        Addendum=[addendum_out(a) for a in agreement.addenda[-20:]])


def taak(task: agreements.Task) -> Any:
    m = models()
    handling = task.handling
    return m.Taak(
        Taaknummer=task.number, Volgnummer=task.sequence, Soort=task.kind, Status=task.status,
        Aangemaakt=task.created, Overeenkomstnummer=task.agreement, Trajectnummer=task.trajectory,
        Opties=m.Taakopties(Optie=list(task.options)),
        NieuwAdres=None if task.new_address is None else _adres(task.new_address),
        Addendum=None if task.addendum is None else addendum_out(task.addendum),
        Afhandeling=None if handling is None else m.Afhandeling(Optie=handling.option, Datum=handling.day))


def takenlijst(page: tasks.TaskPage) -> Any:
    m = models()
    return m.Takenlijst(Taak=[taak(t) for t in page.tasks], VolgendeCursor=page.cursor, Meer=page.more)


def bevestiging(trajectory: agreements.Trajectory) -> Any:
    return models().LeertrajectBevestiging(Trajectnummer=trajectory.number,
                                           RegistratieUiterlijk=trainingdays.registration_deadline(trajectory.start)
                                           if trajectory.deadline is None else trajectory.deadline)


# --------------------------------------------------------------------------------- the service
@functools.cache
def build_service() -> type:
    m = models()

    def asked_in(ctx: Any, request: Any, operation: str) -> tuple[CallContext, magda.Question, Ports]:
        call = call_context(ctx)
        asked = magda.question(request, call, operation=operation, capacities=CAPACITIES)
        return call, asked, _ports(call, asked.sender)

    class AgreementsService(ServiceBase):
        @m.operation("RegistreerOvereenkomst")
        def RegistreerOvereenkomst(ctx: Any, request: Any) -> Any:
            call, asked, p = asked_in(ctx, request, "RegistreerOvereenkomst")
            made = agreements.register(terms(asked.content), today=belgian_date(call.now), kbo=p.kbo,
                                       register=p.register, book=p.book, board=p.board, trajectories=p.trajectories)
            return magda.answer(asked, call, overeenkomst(made))

        @m.operation("WijzigOvereenkomst")
        def WijzigOvereenkomst(ctx: Any, request: Any) -> Any:
            call, asked, p = asked_in(ctx, request, "WijzigOvereenkomst")
            changed = agreements.amend(amendment(asked.content), today=belgian_date(call.now), kbo=p.kbo,
                                       register=p.register, book=p.book, board=p.board)
            return magda.answer(asked, call, overeenkomst(changed))

        @m.operation("BeeindigOvereenkomst")
        def BeeindigOvereenkomst(ctx: Any, request: Any) -> Any:
            call, asked, p = asked_in(ctx, request, "BeeindigOvereenkomst")
            inhoud = asked.content
            ended = agreements.terminate(inhoud.Overeenkomstnummer, inhoud.Einddatum, inhoud.Reden,
                                         today=belgian_date(call.now), book=p.book, board=p.board,
                                         trajectories=p.trajectories)
            return magda.answer(asked, call, overeenkomst(ended))

        @m.operation("GeefOvereenkomsten")
        def GeefOvereenkomsten(ctx: Any, request: Any) -> Any:
            call, asked, p = asked_in(ctx, request, "GeefOvereenkomsten")
            inhoud = asked.content
            found = agreements.select(p.book, student=inhoud.Rijksregisternummer, status=inhoud.Status)
            return magda.answer(asked, call, m.Overeenkomsten(Overeenkomst=[overeenkomst(a) for a in found]))

        @m.operation("RegistreerLeertraject")
        def RegistreerLeertraject(ctx: Any, request: Any) -> Any:
            call, asked, p = asked_in(ctx, request, "RegistreerLeertraject")
            inhoud = asked.content
            made = agreements.start_trajectory(student(inhoud.Leerling), inhoud.Opleiding, inhoud.Startdatum,
                                               book=p.book, trajectories=p.trajectories)
            return magda.answer(asked, call, bevestiging(made))

        @m.operation("GeefTaken")
        def GeefTaken(ctx: Any, request: Any) -> Any:
            call, asked, p = asked_in(ctx, request, "GeefTaken")
            return magda.answer(asked, call, takenlijst(tasks.list_tasks(p.board, asked.content.Cursor)))

        @m.operation("HandelTaakAf")
        def HandelTaakAf(ctx: Any, request: Any) -> Any:
            call, asked, p = asked_in(ctx, request, "HandelTaakAf")
            handled = tasks.handle(task_handling(asked.content), today=belgian_date(call.now),
                                   settings=call.settings.of(WerkplekduaalSettings), board=p.board, book=p.book,
                                   trajectories=p.trajectories)
            return magda.answer(asked, call, taak(handled))

    return AgreementsService
