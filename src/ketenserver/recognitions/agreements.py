"""The rules of what a school keeps at SBB: placement agreements, nominations and mutations.

Typed, free of spyne and SQL, like :mod:`~ketenserver.recognitions.domain`. Everything here is
seen through one school (the calling organisation): a :class:`SchoolLedger` only ever returns
that school's rows, so another school's agreement or nomination is answered exactly as one that
does not exist (SBB-1011, SBB-1015) — its existence is not disclosed.

Placement agreements (bpv-overeenkomsten)
    Registered only when the company is recognised for the crebo on the start date (the rule
    of :func:`~ketenserver.recognitions.domain.judge`, else SBB-1010 naming the reason). An
    agreement is *running* on a day when it has not been ended before that day and its planned
    end is not before it; agreements that start later count as running (the school already
    relies on the company). Running agreements make a company relevant to a school for the
    mutation service.

Erkenningsvoordracht (nomination)
    A school nominates a company that is not recognised; SBB moves it from Ontvangen through
    In behandeling to Erkend or Afgewezen (``ketenserver sbb voordracht``).

Mutations (Actualiseren erkenning, pull and push)
    When SBB withdraws or ends a recognition, every school with a running agreement at that
    company for that crebo gets one mutation, numbered by a sequence that only grows. A school
    fetches the mutations after a cursor (at least once: until it acknowledges them, the same
    ones come again) and acknowledges up to a sequence number. A school that gives a delivery
    address (Afleveradres) is also *offered* its mutations there, one at a time in sequence
    order; its signed answer acknowledges the mutation, and an attempt that fails is repeated
    after :func:`retry_delay` (exponential backoff) — see :mod:`~ketenserver.recognitions.delivery`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol
from urllib.parse import urlsplit

from ketenserver.recognitions.domain import CompanyDirectory, NatrekCode, check_reference_date, judge
from ketenserver.recognitions.errors import (
    AgreementEnded,
    InvalidAgreementDates,
    InvalidDeliveryAddress,
    InvalidSequence,
    NoSubscription,
    NotRecognisedForAgreement,
    UnknownAgreement,
    UnknownLeerbedrijf,
    UnknownNomination,
    UnknownQualification,
)

LEARNING_PATHS = frozenset({"BOL", "BBL"})
MAX_PAGE = 100
"""At most this many agreements or mutations per reply."""
NOMINATION_PREFIX = "EV-"


@dataclass(frozen=True)
class Agreement:
    """A placement agreement (bpv-overeenkomst) of one student of the school."""

    id: int
    student_number: str
    """The school's own student number (not a BSN)."""
    leerbedrijf_id: str
    crebo: str
    start: dt.date
    planned_end: dt.date
    learning_path: str
    ended_on: dt.date | None = None
    """The actual last day, once ended."""
    end_reason: str | None = None

    def is_running_on(self, day: dt.date) -> bool:
        return self.planned_end >= day and (self.ended_on is None or self.ended_on >= day)


@dataclass(frozen=True)
class NewAgreement:
    student_number: str
    leerbedrijf_id: str
    crebo: str
    start: dt.date
    planned_end: dt.date
    learning_path: str


class NominationStatus(StrEnum):
    ONTVANGEN = "Ontvangen"
    IN_BEHANDELING = "In behandeling"
    ERKEND = "Erkend"
    AFGEWEZEN = "Afgewezen"

    @property
    def final(self) -> bool:
        return self in (NominationStatus.ERKEND, NominationStatus.AFGEWEZEN)


@dataclass(frozen=True)
class NewNomination:
    """An erkenningsvoordracht as a school submits it."""

    name: str
    street: str
    house_number: int
    house_number_suffix: str | None
    postcode: str
    place: str
    country_code: str
    kvk_number: str
    crebo: str
    contact_name: str
    contact_role: str
    contact_phone: str | None
    contact_email: str | None


@dataclass(frozen=True)
class Nomination:
    reference: str
    status: NominationStatus
    crebo: str
    leerbedrijf_id: str | None = None
    """The company created when SBB recognised it."""


class MutationKind(StrEnum):
    INGETROKKEN = "ingetrokken"
    BEEINDIGD = "beeindigd"


@dataclass(frozen=True)
class Mutation:
    sequence: int
    leerbedrijf_id: str
    crebo: str
    kind: MutationKind
    reason: str
    effective: dt.date
    """First day the recognition no longer holds."""


@dataclass(frozen=True)
class Subscription:
    id: int
    started_on: dt.date
    acknowledged_up_to: int
    delivery_address: str | None = None
    """Where mutations are offered (push); None: the school only fetches them (pull)."""


@dataclass(frozen=True)
class Delivery:
    """One attempt to offer a school its next unacknowledged mutation at its delivery address."""

    subscription_id: int
    organisation_oin: str
    address: str
    attempt: int
    """1 for the first attempt at this mutation (since the last success or address change)."""
    mutation: Mutation


def nomination_reference(number: int) -> str:
    return f"{NOMINATION_PREFIX}{number:06d}"


def nomination_number(reference: str) -> int | None:
    digits = reference.removeprefix(NOMINATION_PREFIX)
    if reference == digits or not digits.isdigit() or not digits.isascii():
        return None
    return int(digits)


class SchoolLedger(Protocol):
    """What SBB keeps for one school (the database, scoped to the calling organisation)."""

    def qualification_known(self, crebo: str) -> bool: ...

    def add_agreement(self, new: NewAgreement) -> Agreement: ...

    def agreement(self, agreement_id: int) -> Agreement | None:
        """The school's own agreement, or None (also when another school registered it)."""
        ...

    def update_agreement(self, agreement: Agreement) -> Agreement: ...

    def running_agreements(self, on: dt.date, *, after: int, limit: int | None) -> Sequence[Agreement]:
        """Running agreements with an id above *after*, by id."""
        ...

    def count_running(self, on: dt.date) -> int: ...

    def add_nomination(self, new: NewNomination, on: dt.date) -> Nomination: ...

    def nomination(self, number: int) -> Nomination | None: ...

    def subscription(self) -> Subscription | None: ...

    def subscribe(self, on: dt.date, delivery_address: str | None) -> Subscription: ...

    def set_delivery_address(self, address: str | None) -> Subscription:
        """Point deliveries elsewhere (None: pull only); the next attempt is due at once."""
        ...

    def mutations(self, *, after: int, limit: int) -> Sequence[Mutation]: ...

    def last_sequence(self) -> int: ...

    def acknowledge(self, up_to: int) -> Subscription: ...


# --- Placement agreements ----------------------------------------------------------------------


def _check_dates(start: dt.date, end: dt.date, field: str) -> None:
    if end < start:
        raise InvalidAgreementDates(f"{field} lies before Begindatum.", field=field)


def _check_learning_path(path: str) -> str:
    if path not in LEARNING_PATHS:  # the XSD refuses it first
        raise ValueError("Leerweg is BOL or BBL")
    return path


def register(new: NewAgreement, *, ledger: SchoolLedger, directory: CompanyDirectory, today: dt.date) -> Agreement:
    """RegistrerenBpvOvereenkomst: only at a company recognised for the crebo on the start date."""
    start = check_reference_date(new.start, today)
    _check_dates(start, new.planned_end, "GeplandeEinddatum")
    _check_learning_path(new.learning_path)
    company = directory.get(new.leerbedrijf_id)
    if company is None:
        raise UnknownLeerbedrijf("LeerbedrijfId is not known to Stagemarkt.")
    verdict = judge(company, new.crebo, start)
    if verdict.signaalcode is not NatrekCode.ERKEND:
        raise NotRecognisedForAgreement(
            f"Leerbedrijf is not recognised for this Crebo on Begindatum "
            f"(NatrekkenErkenning signaalcode {int(verdict.signaalcode)}: {verdict.signaalcode.name.lower()})."
        )
    return ledger.add_agreement(new)


def _own_running(agreement_id: int, ledger: SchoolLedger) -> Agreement:
    agreement = ledger.agreement(agreement_id)
    if agreement is None:
        raise UnknownAgreement("OvereenkomstId names no agreement of this school.")
    if agreement.ended_on is not None:
        raise AgreementEnded("The agreement has been ended; register a new one.")
    return agreement


def amend(agreement_id: int, *, planned_end: dt.date | None, learning_path: str | None,
          ledger: SchoolLedger) -> Agreement:
    """WijzigenBpvOvereenkomst: a new planned end date and/or learning path."""
    agreement = _own_running(agreement_id, ledger)
    new_end = agreement.planned_end if planned_end is None else planned_end
    _check_dates(agreement.start, new_end, "GeplandeEinddatum")
    path = agreement.learning_path if learning_path is None else _check_learning_path(learning_path)
    return ledger.update_agreement(
        Agreement(agreement.id, agreement.student_number, agreement.leerbedrijf_id, agreement.crebo,
                  agreement.start, new_end, path)
    )


def end(agreement_id: int, *, ended_on: dt.date, reason: str, ledger: SchoolLedger) -> Agreement:
    """BeeindigenBpvOvereenkomst: the actual last day and why."""
    agreement = _own_running(agreement_id, ledger)
    _check_dates(agreement.start, ended_on, "Einddatum")
    return ledger.update_agreement(
        Agreement(agreement.id, agreement.student_number, agreement.leerbedrijf_id, agreement.crebo,
                  agreement.start, agreement.planned_end, agreement.learning_path, ended_on, reason.strip())
    )


@dataclass(frozen=True)
class AgreementPage:
    agreements: tuple[Agreement, ...]
    total: int
    next_after: int | None
    """Pass as ``after`` for the next page; None on the last."""


def running(*, ledger: SchoolLedger, today: dt.date, after: int = 0, page_size: int | None = None) -> AgreementPage:
    """OpvragenBpvOvereenkomsten: the school's running agreements, all or one page (keyset on id)."""
    limit = None if page_size is None else page_size + 1
    found = list(ledger.running_agreements(today, after=after, limit=limit))
    more = page_size is not None and len(found) > page_size
    page = tuple(found[:page_size] if page_size is not None else found)
    return AgreementPage(page, ledger.count_running(today), page[-1].id if more and page else None)


# --- Erkenningsvoordracht ----------------------------------------------------------------------


def nominate(new: NewNomination, *, ledger: SchoolLedger, today: dt.date) -> Nomination:
    """IndienenErkenningsvoordracht: status Ontvangen and a reference (EV-000001)."""
    if not ledger.qualification_known(new.crebo):
        raise UnknownQualification("Crebo is not a known qualification.")
    return ledger.add_nomination(new, today)


def nomination_status(reference: str, *, ledger: SchoolLedger) -> Nomination:
    """OpvragenStatusErkenningsvoordracht: only for the school that submitted it."""
    number = nomination_number(reference)
    found = None if number is None else ledger.nomination(number)
    if found is None:
        raise UnknownNomination("Referentie names no nomination of this school.")
    return found


ALLOWED_MOVES = {
    NominationStatus.ONTVANGEN: {NominationStatus.IN_BEHANDELING, NominationStatus.ERKEND, NominationStatus.AFGEWEZEN},
    NominationStatus.IN_BEHANDELING: {NominationStatus.ERKEND, NominationStatus.AFGEWEZEN},
}
"""How SBB moves a nomination on; Erkend and Afgewezen are final."""


def check_move(current: NominationStatus, new: NominationStatus) -> None:
    if new not in ALLOWED_MOVES.get(current, set()):
        raise ValueError(f"a nomination cannot move from {current.value} to {new.value}")


# --- Mutations -----------------------------------------------------------------------------------


MAX_ADDRESS_LENGTH = 500


def check_delivery_address(address: str | None) -> str | None:
    """An Afleveradres SBB can deliver to (SBB-1018), without surrounding blanks; None stays None.

    Only https (every WUS profile is two-way TLS), a host, no user name or password (the TLS
    certificate authenticates SBB) and no fragment (it never reaches the server).
    """
    if address is None or not address.strip():
        return None
    address = address.strip()
    refused = InvalidDeliveryAddress(
        "Afleveradres must be an https URL with a host, without user name, password or fragment, "
        f"of at most {MAX_ADDRESS_LENGTH} characters.")
    if len(address) > MAX_ADDRESS_LENGTH or any(c.isspace() for c in address):
        raise refused
    try:
        parts = urlsplit(address)
        port = parts.port  # a port outside 0-65535 raises
    except ValueError:
        raise refused from None
    if parts.scheme.lower() != "https" or not parts.hostname or parts.username or parts.password \
            or parts.fragment or "#" in address or port == 0:
        raise refused
    return address


def subscribe(*, ledger: SchoolLedger, today: dt.date, delivery_address: str | None = None
              ) -> tuple[Subscription, bool]:
    """AanmeldenMutatieabonnement: the running subscription, and whether it is new.

    Subscribing again changes nothing, not even the address (that is
    :func:`change_delivery`'s job), so a retried or repeated subscription is harmless.
    """
    address = check_delivery_address(delivery_address)
    existing = ledger.subscription()
    if existing is not None:
        return existing, False
    return ledger.subscribe(today, address), True


def change_delivery(*, ledger: SchoolLedger, delivery_address: str | None) -> Subscription:
    """WijzigenMutatieabonnement: push to *delivery_address*, or pull only when None."""
    address = check_delivery_address(delivery_address)
    _subscription(ledger)
    return ledger.set_delivery_address(address)


def retry_delay(attempt: int, *, base: float, cap: float) -> dt.timedelta:
    """The pause after failed attempt number *attempt* (1, 2, ...): base, 2×base, 4×base, ... at most cap."""
    if attempt < 1:
        raise ValueError("attempts are counted from 1")
    return dt.timedelta(seconds=min(cap, base * 2.0 ** min(attempt - 1, 60)))


def _subscription(ledger: SchoolLedger) -> Subscription:
    found = ledger.subscription()
    if found is None:
        raise NoSubscription("No running Mutatieabonnement: call AanmeldenMutatieabonnement first.")
    return found


@dataclass(frozen=True)
class MutationPage:
    mutations: tuple[Mutation, ...]
    more: bool
    acknowledged_up_to: int


def fetch(*, ledger: SchoolLedger, after: int | None, page_size: int) -> MutationPage:
    """OphalenMutaties: in sequence order after *after* (default: what was acknowledged)."""
    subscription = _subscription(ledger)
    cursor = subscription.acknowledged_up_to if after is None else after
    found = list(ledger.mutations(after=cursor, limit=page_size + 1))
    return MutationPage(tuple(found[:page_size]), len(found) > page_size, subscription.acknowledged_up_to)


def acknowledge(up_to: int, *, ledger: SchoolLedger) -> Subscription:
    """BevestigenMutaties: processed up to and including *up_to*; never moves back."""
    subscription = _subscription(ledger)
    if up_to > ledger.last_sequence():
        raise InvalidSequence("Volgnummer lies beyond the last mutation issued to this school.")
    if up_to <= subscription.acknowledged_up_to:
        return subscription
    return ledger.acknowledge(up_to)
