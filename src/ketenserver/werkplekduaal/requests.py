"""Recognition requests (erkenningsaanvragen) and the recognitions they lead to: values, ports, life cycle.

A trajectory coach (of a provider or a coach organisation) files a request on a company's behalf
for one establishment and one opleiding. What the counter checks before it accepts one is in
:mod:`~ketenserver.werkplekduaal.requests_rules` (mandate, declaration on honour, mentors,
documents); this module holds the values, the ports storage implements, and what happens next:

- filing (:func:`file`): the request is assigned at once to the competent partnership
  (:func:`catalogue.partnership_for` of the enterprise's joint committee and the opleiding), status
  TOEGEWEZEN, to be decided by the filing day + ``decision_days``;
- deciding (:func:`decide`, :func:`decide_due`): ERKEND makes one :class:`Recognition` for the
  establishment and opleiding, valid ``recognition_years`` from the decision day, with
  ``students_per_mentor`` places per mentor; GEWEIGERD names its reason; a request is decided once;
- a recognition's life (:func:`withdraw`, :func:`appeal`, :func:`decide_appeal`):
  LOPEND -> INGETROKKEN -> IN_BEROEP -> INGETROKKEN (withdrawal upheld) or LOPEND (appeal granted).
  VERLOPEN is never stored: a recognition past GeldigTot reads so (:meth:`Recognition.on`).

Requests belong to the organisation that filed them (its KBO number): another's is unknown
(WPD-1031). Recognitions are public: the register is not narrowed to a sender.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Protocol

from ketenserver.werkplekduaal import catalogue, errors, requests_rules
from ketenserver.werkplekduaal.kbo import KboRegister
from ketenserver.werkplekduaal.requests_rules import (
    DECLARATION,
    EXTRACT,
    MANDATE,
    Document,
    Extract,
    Mentor,
    NewRequest,
    StoredDocument,
)
from ketenserver.werkplekduaal.settings import WerkplekduaalSettings

__all__ = [
    "ASSIGNED", "DECLARATION", "EXPIRED", "EXTRACT", "IN_APPEAL", "MANDATE", "OUTCOMES", "RECOGNISED", "REFUSED",
    "RUNNING", "WITHDRAWN", "Decision", "Document", "Extract", "FiledRequest", "Mentor", "NewRecognition",
    "NewRequest", "Recognition", "RecognitionBook", "RecognitionRegister", "RequestBook", "RequestDesk",
    "RequestStatus", "StoredDocument", "add_years", "appeal", "decide", "decide_appeal", "decide_due", "file",
    "status", "validity", "withdraw",
]

ASSIGNED, RECOGNISED, REFUSED = "TOEGEWEZEN", "ERKEND", "GEWEIGERD"
"""A request's statuses (the XSD's Aanvraagstatus)."""
OUTCOMES = frozenset({RECOGNISED, REFUSED})

RUNNING, IN_APPEAL, WITHDRAWN, EXPIRED = "LOPEND", "IN_BEROEP", "INGETROKKEN", "VERLOPEN"
"""A recognition's statuses (the XSD's Erkenningsstatus); EXPIRED is derived, never stored."""



# ------------------------------------------------------------------------------- values stored
@dataclass(frozen=True)
class FiledRequest:
    """A request that passed the counter's checks, as the book stores it."""

    sender: str
    """The filing organisation's KBO enterprise number; the request is its own."""
    enterprise_number: str
    establishment_number: str
    opleiding: str
    partnership: str
    """The code of the partnership it is assigned to."""
    filed: dt.date
    decide_by: dt.date
    declaration_version: str
    mentors: tuple[Mentor, ...]
    """With their rijksregisternummers normalised (11 digits)."""
    documents: tuple[StoredDocument, ...]


@dataclass(frozen=True)
class Decision:
    outcome: str
    """:data:`RECOGNISED` or :data:`REFUSED`."""
    day: dt.date
    reason: str | None = None


@dataclass(frozen=True)
class Recognition:
    """A workplace's recognition (erkenning) for one opleiding: the port other areas read."""

    number: str
    """ER + 8 digits."""
    establishment_number: str
    enterprise_number: str
    opleiding: str
    valid_from: dt.date
    valid_until: dt.date
    """The last day it is valid."""
    status: str
    """LOPEND, IN_BEROEP, INGETROKKEN, or VERLOPEN (derived from the day, see :meth:`on`)."""
    places: int
    """Students it takes at once: ``students_per_mentor`` per recognised mentor."""
    mentors: frozenset[str]
    """The recognised mentors' rijksregisternummers."""

    def on(self, day: dt.date) -> Recognition:
        """This recognition as it reads on ``day``: past GeldigTot, a running one (or one under
        appeal) is VERLOPEN."""
        if self.status in (RUNNING, IN_APPEAL) and day > self.valid_until:
            return replace(self, status=EXPIRED)
        return self

    def runs_on(self, day: dt.date) -> bool:
        """Whether a new agreement may start on ``day`` here: LOPEND and within its validity
        (not withdrawn, not under appeal, not expired)."""
        return self.status == RUNNING and self.valid_from <= day <= self.valid_until


@dataclass(frozen=True)
class NewRecognition:
    establishment_number: str
    enterprise_number: str
    opleiding: str
    valid_from: dt.date
    valid_until: dt.date
    places: int
    mentors: frozenset[str]


@dataclass(frozen=True)
class RequestStatus:
    """A request as the counter holds it (AanvraagStatus)."""

    number: str
    """EA + 8 digits."""
    status: str
    sender: str
    enterprise_number: str
    establishment_number: str
    opleiding: str
    partnership: catalogue.Partnership
    filed: dt.date
    decide_by: dt.date
    mentors: tuple[str, ...]
    """The mentors' rijksregisternummers, in the order filed."""
    decision: Decision | None = None
    recognition: Recognition | None = None


# ---------------------------------------------------------------------------------------- ports
class RequestBook(Protocol):
    """The requests one organisation filed (built over its KBO number), and the question filing asks
    of every organisation's requests."""

    def assigned(self, establishment_number: str, opleiding: str) -> bool:
        """Whether any organisation's request for this workplace awaits its decision."""
        ...

    def add(self, filed: FiledRequest) -> RequestStatus:
        """Store a new request; raises :class:`errors.RequestPending` when another for the same
        workplace became assigned meanwhile."""
        ...

    def get(self, number: str) -> RequestStatus | None:
        """The sender's own request by its number, else None."""
        ...


class RequestDesk(Protocol):
    """Every request, as the partnerships see them."""

    def get(self, number: str) -> RequestStatus | None: ...

    def due(self, day: dt.date) -> list[str]:
        """The numbers of the assigned requests to be decided by ``day`` (BeslissingUiterlijk <= day)."""
        ...

    def record(self, number: str, decision: Decision) -> bool:
        """Record the decision of an assigned request; False when it is no longer assigned (decided
        meanwhile: the update claims the request, so two deciders never both win)."""
        ...

    def link(self, number: str, recognition_number: str) -> None:
        """Name the recognition a decided request made."""
        ...


class RecognitionRegister(Protocol):
    """The recognitions, as the other areas read them (agreements, workplaces, the KBO sync)."""

    def running(self, establishment_number: str, opleiding: str, day: dt.date) -> Recognition | None:
        """The recognition on which an agreement may start on ``day`` (:meth:`Recognition.runs_on`)."""
        ...

    def of_establishment(self, establishment_number: str) -> list[Recognition]:
        """Every recognition of the establishment, in the order given."""
        ...

    def withdraw(self, number: str, reason: str, day: dt.date) -> Recognition:
        """Withdraw a running recognition (:func:`withdraw`: WPD-1033, WPD-1034)."""
        ...


class RecognitionBook(RecognitionRegister, Protocol):
    """What this area needs beyond :class:`RecognitionRegister`: making and changing recognitions."""

    def get(self, number: str) -> Recognition | None: ...

    def add(self, new: NewRecognition) -> Recognition: ...

    def set_status(self, number: str, status: str, day: dt.date, reason: str | None) -> Recognition:
        """Give recognition ``number`` ``status`` from ``day``; ``reason`` None keeps the one it has."""
        ...


# ---------------------------------------------------------------------------------------- filing
def file(new: NewRequest, *, sender: str, today: dt.date, settings: WerkplekduaalSettings, kbo: KboRegister,
         book: RequestBook, register: RecognitionRegister) -> RequestStatus:
    """Check ``new`` (every rule of :mod:`requests_rules`), assign it to the competent partnership
    and store it for ``sender``. ``today`` is the counter's day (the filing day)."""
    checked = requests_rules.check(new, today=today, settings=settings, kbo=kbo)
    establishment, opleiding = checked.establishment_number, new.opleiding
    if book.assigned(establishment, opleiding) or any(
            r.opleiding == opleiding and r.on(today).status in (RUNNING, IN_APPEAL)
            for r in register.of_establishment(establishment)):
        raise errors.RequestPending("A request for this establishment and opleiding awaits its decision, or the "
                                    "establishment's recognition for it runs.", field="Vestigingsnummer")
    partnership = catalogue.partnership_for(checked.joint_committee, opleiding)
    return book.add(FiledRequest(
        sender=sender, enterprise_number=checked.enterprise_number, establishment_number=establishment,
        opleiding=opleiding, partnership=partnership.code, filed=today,
        decide_by=today + dt.timedelta(days=settings.decision_days), declaration_version=new.declaration_version,
        mentors=checked.mentors, documents=checked.documents))


def status(number: str, *, book: RequestBook, today: dt.date) -> RequestStatus:
    """The sender's request ``number`` as it reads on ``today``; another's is unknown (WPD-1031)."""
    found = book.get(number)
    if found is None:
        raise errors.UnknownRequest("The sender filed no recognition request with this Aanvraagnummer.")
    if found.recognition is not None:
        return replace(found, recognition=found.recognition.on(today))
    return found


# -------------------------------------------------------------------------------------- deciding
def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` moved ``years`` years on; 29 February becomes 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


def validity(day: dt.date, years: int) -> tuple[dt.date, dt.date]:
    """A recognition decided on ``day``: valid from that day for ``years`` years (its last day included)."""
    return day, add_years(day, years) - dt.timedelta(days=1)


def decide(number: str, outcome: str, *, reason: str | None, day: dt.date, desk: RequestDesk,
           register: RecognitionBook, settings: WerkplekduaalSettings) -> RequestStatus:
    """The partnership's decision on request ``number`` on ``day``: ERKEND makes the recognition,
    GEWEIGERD names its reason (WPD-1034); a request is decided once (WPD-1032)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"a decision is {' or '.join(sorted(OUTCOMES))}")
    reason = (reason or "").strip() or None
    if outcome == REFUSED and reason is None:
        raise errors.ReasonMissing("A refusal names its reason.", field="Reden")
    found = desk.get(number)
    if found is None:
        raise errors.UnknownRequest("No recognition request has this Aanvraagnummer.")
    decided = errors.RequestDecided("The request was decided already; a partnership decides a request once.")
    if found.status != ASSIGNED or not desk.record(number, Decision(outcome, day, reason)):
        raise decided
    if outcome == RECOGNISED:
        valid_from, valid_until = validity(day, settings.recognition_years)
        recognition = register.add(NewRecognition(
            establishment_number=found.establishment_number, enterprise_number=found.enterprise_number,
            opleiding=found.opleiding, valid_from=valid_from, valid_until=valid_until,
            places=settings.students_per_mentor * len(found.mentors), mentors=frozenset(found.mentors)))
        desk.link(number, recognition.number)
        return replace(found, status=outcome, decision=Decision(outcome, day, reason), recognition=recognition)
    return replace(found, status=outcome, decision=Decision(outcome, day, reason))


def decide_due(today: dt.date, *, desk: RequestDesk, register: RecognitionBook,
               settings: WerkplekduaalSettings) -> list[RequestStatus]:
    """Decide every assigned request whose BeslissingUiterlijk is ``today`` or earlier: the sandbox's
    partnerships recognise what passed the counter's checks. Each decision is dated its
    BeslissingUiterlijk when the clock went past it (so a request is decided within
    ``decision_days``), else ``today``. A request decided meanwhile by another is passed over."""
    decided = []
    for number in desk.due(today):
        found = desk.get(number)
        if found is None or found.status != ASSIGNED:
            continue
        try:
            decided.append(decide(number, RECOGNISED, reason=None, day=min(today, found.decide_by), desk=desk,
                                  register=register, settings=settings))
        except errors.RequestDecided:
            continue
    return decided


# ----------------------------------------------------------------------- a recognition's life
def _recognition(number: str, register: RecognitionBook, day: dt.date, allowed: str, action: str) -> Recognition:
    found = register.get(number)
    if found is None or found.on(day).status != allowed:
        raise errors.RecognitionNotActive(f"{action} only a recognition that is {allowed}; this Erkenningsnummer "
                                          "names none.", field="Erkenningsnummer")
    return found


def withdraw(number: str, reason: str, day: dt.date, *, register: RecognitionBook) -> Recognition:
    """Withdraw running recognition ``number`` on ``day`` for ``reason`` (WPD-1034); one that is not
    running (withdrawn, under appeal, expired, unknown) is refused (WPD-1033)."""
    text = (reason or "").strip()
    if not text:
        raise errors.ReasonMissing("A withdrawal names its reason.", field="Reden")
    _recognition(number, register, day, RUNNING, "A partnership withdraws")
    return register.set_status(number, WITHDRAWN, day, text)


def appeal(number: str, day: dt.date, *, register: RecognitionBook) -> Recognition:
    """Appeal the withdrawal of recognition ``number``: IN_BEROEP (running agreements continue, no
    new ones start) until :func:`decide_appeal`."""
    _recognition(number, register, day, WITHDRAWN, "An appeal concerns")
    return register.set_status(number, IN_APPEAL, day, None)


def decide_appeal(number: str, *, granted: bool, day: dt.date, register: RecognitionBook) -> Recognition:
    """Decide the appeal against a withdrawal: granted, the recognition runs again (LOPEND); else the
    withdrawal is upheld (INGETROKKEN)."""
    _recognition(number, register, day, IN_APPEAL, "An appeal is decided for")
    return register.set_status(number, RUNNING if granted else WITHDRAWN, day, None)
