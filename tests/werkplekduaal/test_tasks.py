"""The dashboard: tasks from KBO changes, addenda and missing agreements; paging by Volgnummer; handling
(WPD-1060..1064)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy.orm import Session

from ketenserver.werkplekduaal import agreements, errors, requests_storage, tasks, trainingdays
from ketenserver.werkplekduaal.agreements_storage import (
    check_missing_agreements,
    tasks_for_changes,
    tasks_for_withdrawal,
)
from ketenserver.werkplekduaal.kbo import MOVED_CHANGE, STOPPED_CHANGE, Address, EstablishmentChange
from ketenserver.werkplekduaal.requests_storage import SqlRecognitionRegister
from ketenserver.werkplekduaal.settings import WerkplekduaalSettings
from tests.werkplekduaal import agreement_builders as b
from tests.werkplekduaal import factories

SETTINGS = WerkplekduaalSettings()
OLD = Address("Veldstraat", "1", None, "9000", "Gent")
NEW = Address("Kouter", "12", "B", "9000", "Gent")


@pytest.fixture
def desk(db_session: Session) -> b.Desk:
    return b.Desk(db_session, SqlRecognitionRegister(db_session))


@pytest.fixture
def place(desk: b.Desk) -> b.Workplace:
    return b.workplace(desk.session)


def handle(desk: b.Desk, number: str, option: str, today: dt.date = b.TODAY, **given: object) -> agreements.Task:
    return tasks.handle(tasks.TaskHandling(number, option, **given),  # type: ignore[arg-type]
                        today=today, settings=SETTINGS, board=desk.board, book=desk.book,
                        trajectories=desk.trajectories)


def moved(place: b.Workplace) -> EstablishmentChange:
    return EstablishmentChange(place.establishment, place.company.enterprise, MOVED_CHANGE, OLD, NEW)


# ------------------------------------------------------------------------------- KBO changes
def test_a_move_gives_each_running_agreement_an_address_task_once(desk: b.Desk, place: b.Workplace) -> None:
    mine = desk.register_agreement(b.terms(place))
    theirs = desk.other().register_agreement(b.terms(place))
    past = desk.register_agreement(b.terms(place, start=dt.date(2025, 2, 3), end=b.TODAY - dt.timedelta(days=1)))
    assert tasks_for_changes(desk.session, [moved(place)], b.TODAY) == 2
    assert tasks_for_changes(desk.session, [moved(place)], b.TODAY) == 0
    (task,) = desk.board.open_tasks(frozenset({agreements.ADDRESS_CHANGE}))
    assert task.agreement == mine.number != past.number
    assert task.new_address == NEW and task.options == (agreements.ADJUST, agreements.END)
    (other,) = desk.other().board.open_tasks(frozenset({agreements.ADDRESS_CHANGE}))
    assert other.agreement == theirs.number
    assert SqlRecognitionRegister(desk.session).running(place.establishment, place.opleiding, b.TODAY) is not None


def test_adjusting_to_the_new_address_makes_an_addendum(desk: b.Desk, place: b.Workplace) -> None:
    made = desk.register_agreement(b.terms(place))
    tasks_for_changes(desk.session, [moved(place)], b.TODAY)
    (task,) = desk.board.open_tasks(frozenset({agreements.ADDRESS_CHANGE}))
    handled = handle(desk, task.number, agreements.ADJUST)
    assert handled.status == agreements.DONE and handled.handling == agreements.Handling(agreements.ADJUST, b.TODAY)
    assert handled.sequence > task.sequence
    agreement = desk.book.get(made.number)
    assert agreement is not None and agreement.status == agreements.REGISTERED
    (addendum,) = agreement.addenda
    assert addendum.changes == (agreements.Change("Adres", str(OLD), str(NEW)),)
    (follow,) = desk.board.open_tasks(frozenset({agreements.ADDENDUM}), agreement=made.number)
    assert follow.addendum == addendum


def test_ending_at_the_new_address_needs_a_date_and_reason(desk: b.Desk, place: b.Workplace) -> None:
    made = desk.register_agreement(b.terms(place))
    tasks_for_changes(desk.session, [moved(place)], b.TODAY)
    (task,) = desk.board.open_tasks(frozenset({agreements.ADDRESS_CHANGE}))
    with pytest.raises(errors.EndDateOutsidePeriod):
        handle(desk, task.number, agreements.END, reason="Te ver")
    with pytest.raises(errors.ReasonMissing):
        handle(desk, task.number, agreements.END, end=made.terms.start)
    handled = handle(desk, task.number, agreements.END, end=made.terms.start, reason="Te ver")
    assert handled.status == agreements.DONE and handled.handling is not None
    assert handled.handling.option == agreements.END
    ended = desk.book.get(made.number)
    assert ended is not None and ended.status == agreements.ENDED_EARLY
    with pytest.raises(errors.TaskClosed) as raised:
        handle(desk, task.number, agreements.END, end=made.terms.start, reason="Te ver")
    assert raised.value.code == "WPD-1062"


def test_a_stop_withdraws_the_recognition_and_gives_dissolution_tasks(desk: b.Desk, place: b.Workplace) -> None:
    made = desk.register_agreement(b.terms(place))
    stopped = EstablishmentChange(place.establishment, place.company.enterprise, STOPPED_CHANGE, OLD, None)
    assert tasks_for_changes(desk.session, [stopped], b.TODAY) == 1
    assert tasks_for_changes(desk.session, [stopped], b.TODAY) == 0
    register = SqlRecognitionRegister(desk.session)
    assert register.running(place.establishment, place.opleiding, b.TODAY) is None
    assert {r.status for r in register.of_establishment(place.establishment)} == {"INGETROKKEN"}
    (task,) = desk.board.open_tasks(frozenset({agreements.DISSOLUTION}), agreement=made.number)
    assert task.options == (agreements.END,)
    with pytest.raises(errors.OptionNotAllowed) as raised:
        handle(desk, task.number, agreements.ADJUST)
    assert raised.value.field == "Optie" and agreements.END in raised.value.message
    # ending the agreement directly closes the task too
    desk.terminate(made.number, made.terms.start)
    closed = desk.board.get(task.number)
    assert closed is not None and closed.status == agreements.DONE


def test_a_withdrawal_gives_every_agreement_running_under_it_a_dissolution_task(desk: b.Desk,
                                                                                 place: b.Workplace) -> None:
    mine = desk.register_agreement(b.terms(place))
    theirs = desk.other().register_agreement(b.terms(place))
    desk.register_agreement(b.terms(place, start=dt.date(2025, 2, 3), end=b.TODAY - dt.timedelta(days=1)))
    running = SqlRecognitionRegister(desk.session).running(place.establishment, place.opleiding, b.TODAY)
    assert running is not None
    withdrawn, made = requests_storage.withdraw_recognition(desk.session, running.number, "Geen mentor meer",
                                                            today=b.TODAY)
    assert withdrawn.status == "INGETROKKEN" and made == 2
    assert tasks_for_withdrawal(desk.session, withdrawn, b.TODAY) == 0  # once per agreement
    (task,) = desk.board.open_tasks(frozenset({agreements.DISSOLUTION}))
    assert task.agreement == mine.number and task.options == (agreements.END,)
    (other,) = desk.other().board.open_tasks(frozenset({agreements.DISSOLUTION}))
    assert other.agreement == theirs.number


# ---------------------------------------------------------------------------------- addenda
def _addendum_task(desk: b.Desk, place: b.Workplace) -> agreements.Task:
    made = desk.register_agreement(b.terms(place))
    desk.amend(agreements.Amendment(made.number, end=made.terms.end - dt.timedelta(days=7)))
    (task,) = desk.board.open_tasks(frozenset({agreements.ADDENDUM}), agreement=made.number)
    return task


@pytest.mark.parametrize(("document", "error", "field"), [
    (None, errors.AddendumUnsigned, "OndertekendDocument"),
    (agreements.Document("addendum.docx", b"PK\x03\x04" + b"x" * 400), errors.AttachmentTypeRefused,
     "OndertekendDocument/Inhoud"),
    (agreements.Document("addendum.pdf", factories.pdf(SETTINGS.attachment_min_bytes - 1)), errors.AttachmentSize,
     "OndertekendDocument/Inhoud"),
])
def test_an_addendum_is_registered_only_with_its_signed_pdf(desk: b.Desk, place: b.Workplace,
                                                           document: agreements.Document | None,
                                                           error: type[errors.WerkplekduaalError], field: str) -> None:
    task = _addendum_task(desk, place)
    with pytest.raises(error) as raised:
        handle(desk, task.number, agreements.REGISTER, document=document)
    assert raised.value.field == field
    still = desk.board.get(task.number)
    assert still is not None and still.status == agreements.OPEN


def test_registering_the_signed_addendum_closes_the_task(desk: b.Desk, place: b.Workplace) -> None:
    task = _addendum_task(desk, place)
    handled = handle(desk, task.number, agreements.REGISTER,
                     document=agreements.Document("addendum.pdf", factories.pdf(SETTINGS.attachment_min_bytes)))
    assert handled.status == agreements.DONE and handled.addendum is not None
    assert handled.addendum.status == agreements.REGISTERED and handled.addendum.registered == b.TODAY
    agreement = desk.book.get(handled.agreement or "")
    assert agreement is not None and agreement.open_addendum() is None
    assert desk.amend(agreements.Amendment(agreement.number, mentor=place.mentors[1])).terms.mentor == place.mentors[1]


def test_another_providers_task_is_unknown(desk: b.Desk, place: b.Workplace) -> None:
    task = _addendum_task(desk, place)
    with pytest.raises(errors.UnknownTask) as raised:
        handle(desk.other(), task.number, agreements.REGISTER)
    assert raised.value.field == "Taaknummer"


# -------------------------------------------------------------------------- missing agreements
def test_a_trajectory_without_agreement_gets_one_task_after_its_deadline(desk: b.Desk, place: b.Workplace) -> None:
    who = b.student()
    trajectory = agreements.start_trajectory(who, place.opleiding, b.START, book=desk.book,
                                             trajectories=desk.trajectories)
    deadline = trainingdays.registration_deadline(b.START)
    assert trajectory.deadline == deadline
    assert check_missing_agreements(desk.session, deadline) == 0
    assert check_missing_agreements(desk.session, deadline + dt.timedelta(days=1)) == 1
    assert check_missing_agreements(desk.session, deadline + dt.timedelta(days=2)) == 0
    (task,) = desk.board.open_tasks(frozenset({agreements.AGREEMENT_MISSING}))
    assert task.trajectory == trajectory.number and task.options == (agreements.STOP,)
    # registering the agreement (late) closes it
    desk.register_agreement(b.terms(place, who=who), today=deadline + dt.timedelta(days=3))
    closed = desk.board.get(task.number)
    assert closed is not None and closed.status == agreements.DONE
    assert closed.handling is not None and closed.handling.option == agreements.REGISTER


def test_stopping_the_trajectory_names_its_reason(desk: b.Desk, place: b.Workplace) -> None:
    trajectory = agreements.start_trajectory(b.student(), place.opleiding, b.START, book=desk.book,
                                             trajectories=desk.trajectories)
    assert trajectory.deadline is not None
    check_missing_agreements(desk.session, trajectory.deadline + dt.timedelta(days=1))
    (task,) = desk.board.open_tasks(frozenset({agreements.AGREEMENT_MISSING}), trajectory=trajectory.number)
    with pytest.raises(errors.ReasonMissing):
        handle(desk, task.number, agreements.STOP)
    handled = handle(desk, task.number, agreements.STOP, reason="Leerling koos voltijds onderwijs")
    assert handled.handling == agreements.Handling(agreements.STOP, b.TODAY, "Leerling koos voltijds onderwijs")
    assert desk.trajectories.latest(trajectory.student.rijksregisternummer, place.opleiding) is None


def test_an_early_end_without_another_agreement_starts_a_new_occasion(desk: b.Desk, place: b.Workplace) -> None:
    made = desk.register_agreement(b.terms(place))
    end = made.terms.start + dt.timedelta(days=10)
    desk.terminate(made.number, end)
    deadline = trainingdays.registration_deadline(end)
    assert check_missing_agreements(desk.session, deadline + dt.timedelta(days=1)) == 1
    (task,) = desk.board.open_tasks(frozenset({agreements.AGREEMENT_MISSING}))
    trajectory = desk.trajectories.get(task.trajectory or "")
    assert trajectory is not None and trajectory.student == made.terms.student


# ------------------------------------------------------------------------------------ paging
def test_tasks_page_by_volgnummer(desk: b.Desk) -> None:
    board = desk.board
    made = [board.add(agreements.NewTask(agreements.AGREEMENT_MISSING, b.TODAY, key=f"test:{i}"))
            for i in range(tasks.PAGE_SIZE + 5)]
    assert all(t is not None for t in made)
    first = tasks.list_tasks(board, None)
    assert len(first.tasks) == tasks.PAGE_SIZE and first.more
    assert [t.sequence for t in first.tasks] == sorted(t.sequence for t in first.tasks)
    second = tasks.list_tasks(board, first.cursor)
    assert len(second.tasks) == 5 and not second.more
    assert {t.number for t in first.tasks + second.tasks} == {t.number for t in made if t is not None}
    empty = tasks.list_tasks(board, second.cursor)
    assert empty.tasks == () and empty.cursor == second.cursor
    closed = board.close(made[0].number if made[0] else "", agreements.Handling(agreements.STOP, b.TODAY, "x"))
    assert [t.number for t in tasks.list_tasks(board, second.cursor).tasks] == [closed.number]
    assert tasks.list_tasks(desk.other().board, None).tasks == ()


@pytest.mark.parametrize("ahead", [1, 50])
def test_a_cursor_the_counter_never_issued_is_refused(desk: b.Desk, ahead: int) -> None:
    desk.board.add(agreements.NewTask(agreements.AGREEMENT_MISSING, b.TODAY, key="test:one"))
    with pytest.raises(errors.CursorNotIssued) as raised:
        tasks.list_tasks(desk.board, desk.board.last() + ahead)
    assert raised.value.code == "WPD-1063" and raised.value.field == "Cursor"
    with pytest.raises(errors.CursorNotIssued):
        tasks.list_tasks(desk.board, -1)
    assert dataclasses.is_dataclass(tasks.list_tasks(desk.board, desk.board.last()))
