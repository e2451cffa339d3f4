"""The provider's dashboard (taken): what makes tasks, how they are listed and how they are handled.

Tasks come from four occasions, each making one task (:attr:`agreements.NewTask.key`):

- an establishment moved in KBO (:func:`for_changes`): the partnership keeps the recognition at
  the new address and every running agreement there gets an ADRESWIJZIGING_VESTIGING task
  (AANPASSEN: the agreement continues at the new address, which makes an addendum; BEEINDIGEN:
  an early end);
- an establishment stopped in KBO: the partnership withdraws its running recognitions and every
  running agreement there gets an OPHEFFING task (BEEINDIGEN only); so does every agreement
  running under a recognition the partnership withdraws for another reason (:func:`for_withdrawal`);
- a change of an agreement's terms: an ADDENDUM task (REGISTREREN with the signed addendum);
- no agreement 20 training days after a trajectory's start or an early end
  (:func:`missing_agreement`): OVEREENKOMST_ONTBREEKT (STOPZETTEN; registering the agreement
  closes it too).

Every creation or change of a provider's task takes the provider's next Volgnummer;
:func:`list_tasks` pages by it (GeefTaken), as the absence feature pages by change number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from ketenserver.werkplekduaal import errors, requests_rules
from ketenserver.werkplekduaal.agreements import (
    ADDENDUM,
    ADDRESS_CHANGE,
    ADJUST,
    AGREEMENT_MISSING,
    DISSOLUTION,
    DONE,
    END,
    REGISTER,
    REGISTERED,
    STOP,
    TO_REGISTER,
    Agreement,
    AgreementBook,
    Change,
    Document,
    Handling,
    NewTask,
    Task,
    TaskBoard,
    Trajectory,
    TrajectoryBook,
    make_addendum,
    own,
    terminate,
)
from ketenserver.werkplekduaal.kbo import MOVED_CHANGE, STOPPED_CHANGE, EstablishmentChange
from ketenserver.werkplekduaal.requests import RUNNING as _RUNNING_RECOGNITION
from ketenserver.werkplekduaal.requests import Recognition, RecognitionRegister
from ketenserver.werkplekduaal.settings import WerkplekduaalSettings

PAGE_SIZE = 100
WITHDRAWAL_REASON = "De vestiging is in KBO stopgezet (opheffing)."
"""Why the partnership withdraws the recognitions of an establishment that stopped."""


@dataclass(frozen=True)
class TaskPage:
    tasks: tuple[Task, ...]
    cursor: int
    """VolgendeCursor."""
    more: bool


@dataclass(frozen=True)
class TaskHandling:
    """TaakAfhandeling."""

    number: str
    option: str
    end: dt.date | None = None
    reason: str | None = None
    document: Document | None = None


class RunningAgreements(Protocol):
    """What the KBO sync asks of every provider's agreements (implemented in storage)."""

    def running_at(self, establishment_number: str, day: dt.date) -> list[Agreement]:
        """Every provider's agreements at the establishment, GEREGISTREERD and not past their end on ``day``."""
        ...


def list_tasks(board: TaskBoard, cursor: int | None) -> TaskPage:
    """GeefTaken: the tasks created or changed after ``cursor``, at most :data:`PAGE_SIZE`."""
    last = board.last()  # read before the tasks: a task committed later has a higher number
    start = cursor or 0
    if start < 0 or start > last:
        raise errors.CursorNotIssued("Cursor is not a value the counter gave the sender (VolgendeCursor).")
    found = board.after(start, PAGE_SIZE + 1)
    page = tuple(found[:PAGE_SIZE])
    return TaskPage(page, page[-1].sequence if page else last, len(found) > PAGE_SIZE)


def handle(handling: TaskHandling, *, today: dt.date, settings: WerkplekduaalSettings, board: TaskBoard,
           book: AgreementBook, trajectories: TrajectoryBook) -> Task:
    """HandelTaakAf: one of the task's options (WPD-1060..1064)."""
    task = board.get(handling.number)
    if task is None:
        raise errors.UnknownTask("The sender's dashboard holds no task with this Taaknummer.")
    if task.status == DONE:
        raise errors.TaskClosed("The task was handled already.")
    if handling.option not in task.options:
        raise errors.OptionNotAllowed(f"A task {task.kind} is handled with " + " or ".join(task.options) + ".")
    if handling.option == END:
        return _end(task, handling, today=today, board=board, book=book, trajectories=trajectories)
    if handling.option == ADJUST:
        agreement = own(_agreement_of(task), book)
        if agreement.status != REGISTERED:
            raise errors.AgreementEnded("The agreement was ended; it does not continue at the new address.")
        if agreement.open_addendum() is not None:
            raise errors.AddendumOpen("The agreement's addendum awaits its registration; register it first.")
        make_addendum(agreement.number, (Change("Adres", str(task.old_address or "onbekend"),
                                                str(task.new_address or "onbekend")),),
                      today=today, book=book, board=board)
        return board.close(task.number, Handling(ADJUST, today))
    if handling.option == REGISTER:
        return _register_addendum(task, handling, today=today, settings=settings, board=board, book=book)
    reason = _reason(handling)
    trajectories.stop(_trajectory_of(task), reason, today)
    return board.close(task.number, Handling(STOP, today, reason))


def _agreement_of(task: Task) -> str:
    assert task.agreement is not None  # address, dissolution and addendum tasks name their agreement
    return task.agreement


def _trajectory_of(task: Task) -> str:
    assert task.trajectory is not None  # a missing-agreement task names its trajectory
    return task.trajectory


def _reason(handling: TaskHandling) -> str:
    if handling.reason is None or not handling.reason.strip():
        raise errors.ReasonMissing(f"Option {handling.option} names its Reden.", field="Reden")
    return handling.reason


def _end(task: Task, handling: TaskHandling, *, today: dt.date, board: TaskBoard, book: AgreementBook,
         trajectories: TrajectoryBook) -> Task:
    if handling.end is None:
        raise errors.EndDateOutsidePeriod("Option BEEINDIGEN names the Einddatum of the early end.")
    reason = _reason(handling)
    # terminate closes the agreement's open address and dissolution tasks, this one among them
    terminate(_agreement_of(task), handling.end, reason, today=today, book=book, board=board,
              trajectories=trajectories)
    closed = board.get(task.number)
    assert closed is not None
    return closed


def _register_addendum(task: Task, handling: TaskHandling, *, today: dt.date, settings: WerkplekduaalSettings,
                       board: TaskBoard, book: AgreementBook) -> Task:
    if handling.document is None:
        raise errors.AddendumUnsigned("Option REGISTREREN comes with the addendum signed by the parties "
                                      "(OndertekendDocument, a PDF).")
    requests_rules.stored(requests_rules.Document(handling.document.name, handling.document.content), ADDENDUM,
                          "OndertekendDocument/Inhoud", settings)
    addendum = task.addendum
    assert addendum is not None  # an addendum task names its addendum
    if addendum.status == TO_REGISTER:
        book.register_addendum(addendum.number, handling.document, today)
    return board.close(task.number, Handling(REGISTER, today))


# --------------------------------------------------------------------------- the counter's jobs
def for_changes(changes: Iterable[EstablishmentChange], today: dt.date, *, running: RunningAgreements,
                register: RecognitionRegister, board_of: Callable[[str], TaskBoard]) -> int:
    """The tasks a KBO update leads to (see the module's docstring); returns how many it made.
    Applying the same changes again makes none."""
    made = 0
    for change in changes:
        at = change.establishment_number
        if change.kind == STOPPED_CHANGE:
            for recognition in register.of_establishment(at):
                if recognition.status == _RUNNING_RECOGNITION:
                    register.withdraw(recognition.number, WITHDRAWAL_REASON, today)
        for agreement in running.running_at(at, today):
            if change.kind == MOVED_CHANGE:
                new = NewTask(ADDRESS_CHANGE, today, key=f"MOVED:{at}:{change.new_address}:{agreement.number}",
                              agreement=agreement.number, new_address=change.new_address,
                              old_address=change.old_address)
            elif change.kind == STOPPED_CHANGE:
                new = NewTask(DISSOLUTION, today, key=f"STOPPED:{at}:{agreement.number}", agreement=agreement.number,
                              old_address=change.old_address)
            else:
                continue
            made += board_of(agreement.provider).add(new) is not None
    return made


def for_withdrawal(recognition: Recognition, today: dt.date, *, running: RunningAgreements,
                   board_of: Callable[[str], TaskBoard]) -> int:
    """The OPHEFFING tasks of a withdrawn recognition: one per agreement running at its
    establishment for its opleiding, whichever provider holds it; returns how many it made.
    Withdrawing (or calling this) again makes none."""
    made = 0
    for agreement in running.running_at(recognition.establishment_number, today):
        if agreement.terms.opleiding != recognition.opleiding:
            continue
        new = NewTask(DISSOLUTION, today, key=f"WITHDRAWN:{recognition.number}:{agreement.number}",
                      agreement=agreement.number)
        made += board_of(agreement.provider).add(new) is not None
    return made


def missing_agreement(trajectory: Trajectory, *, today: dt.date, board: TaskBoard) -> bool:
    """The OVEREENKOMST_ONTBREEKT task of a trajectory whose RegistratieUiterlijk passed without an
    agreement: made once per occasion; True when made now."""
    if trajectory.deadline is None or trajectory.deadline >= today:
        return False
    key = f"ONTBREEKT:{trajectory.number}:{trajectory.occasion}"
    return board.add(NewTask(AGREEMENT_MISSING, today, key=key, trajectory=trajectory.number)) is not None


__all__ = ["ADDRESS_CHANGE", "AGREEMENT_MISSING", "DISSOLUTION", "PAGE_SIZE", "RunningAgreements", "TaskHandling",
           "TaskPage", "for_changes", "for_withdrawal", "handle", "list_tasks", "missing_agreement"]
