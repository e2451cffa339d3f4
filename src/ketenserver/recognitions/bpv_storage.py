"""What SBB keeps per school, in the database: ``sbb_agreements``, ``sbb_nominations``,
``sbb_subscriptions`` and ``sbb_mutations``, and SBB's own moves on them (the ``sbb`` commands).

Every query of :class:`SqlSchoolLedger` is narrowed to the calling organisation's OIN, so no
path leads to another school's rows. Mutation sequence numbers come from one growing key
(``sbb_mutations.sequence``); a school's mutations after a cursor are one range of the index
``(organisation_oin, sequence)``. Writers of mutations take a table lock on PostgreSQL, so that
sequence numbers become visible in order and a reader never acknowledges past a gap that a
slower transaction fills later (SQLite serialises writers anyway).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    and_,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from ketenserver.db import Base
from ketenserver.recognitions import agreements, domain
from ketenserver.recognitions.storage import (
    CompanyModel,
    CompanyWordModel,
    QualificationModel,
    RecognitionModel,
    current_on,
    word_rows,
)


class AgreementModel(Base):
    """A placement agreement (bpv-overeenkomst) registered by one school."""

    __tablename__ = "sbb_agreements"
    __table_args__ = (
        CheckConstraint("learning_path IN ('BOL', 'BBL')", name="learning_path_bol_or_bbl"),
        CheckConstraint("planned_end_date >= start_date", name="planned_end_not_before_start"),
        CheckConstraint("ended_on IS NULL OR ended_on >= start_date", name="ended_not_before_start"),
        CheckConstraint("end_reason IS NULL OR ended_on IS NOT NULL", name="reason_only_when_ended"),
        Index("ix_sbb_agreements_organisation_oin_id", "organisation_oin", "id"),
        Index("ix_sbb_agreements_leerbedrijf_id_crebo", "leerbedrijf_id", "crebo"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organisation_oin: Mapped[str] = mapped_column(String(20))
    student_number: Mapped[str] = mapped_column(String(20))
    leerbedrijf_id: Mapped[str] = mapped_column(ForeignKey(CompanyModel.leerbedrijf_id))
    crebo: Mapped[str] = mapped_column(ForeignKey(QualificationModel.crebo))
    start_date: Mapped[dt.date] = mapped_column(Date)
    planned_end_date: Mapped[dt.date] = mapped_column(Date)
    learning_path: Mapped[str] = mapped_column(String(3))
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(200))


class NominationModel(Base):
    """An erkenningsvoordracht: reference ``EV-`` and the zero-padded id."""

    __tablename__ = "sbb_nominations"
    __table_args__ = (
        CheckConstraint("status IN ('Ontvangen', 'In behandeling', 'Erkend', 'Afgewezen')", name="status_known"),
        CheckConstraint("length(kvk_number) = 8", name="kvk_number_8_digits"),
        CheckConstraint("leerbedrijf_id IS NULL OR status = 'Erkend'", name="company_only_when_recognised"),
        Index("ix_sbb_nominations_organisation_oin_id", "organisation_oin", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organisation_oin: Mapped[str] = mapped_column(String(20))
    submitted_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    street: Mapped[str] = mapped_column(String(100))
    house_number: Mapped[int] = mapped_column(Integer)
    house_number_suffix: Mapped[str | None] = mapped_column(String(10))
    postcode: Mapped[str] = mapped_column(String(10))
    place: Mapped[str] = mapped_column(String(80))
    country_code: Mapped[str] = mapped_column(String(2))
    kvk_number: Mapped[str] = mapped_column(String(8))
    crebo: Mapped[str] = mapped_column(ForeignKey(QualificationModel.crebo))
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_role: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    leerbedrijf_id: Mapped[str | None] = mapped_column(ForeignKey(CompanyModel.leerbedrijf_id))


class SubscriptionModel(Base):
    """A school's running mutation subscription (one per school), and its push delivery state.

    With a ``delivery_address`` the school's next unacknowledged mutation is due for delivery
    at ``next_delivery_at`` (NULL: at once). A deliverer claims the subscription by setting
    ``delivery_lease_until`` in one conditional UPDATE, so server processes never offer the
    same mutation at the same time; a deliverer that dies leaves a lease that simply expires.
    """

    __tablename__ = "sbb_subscriptions"
    __table_args__ = (
        CheckConstraint("acknowledged_up_to >= 0", name="acknowledged_not_negative"),
        CheckConstraint("delivery_attempts >= 0", name="delivery_attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organisation_oin: Mapped[str] = mapped_column(String(20), unique=True)
    started_on: Mapped[dt.date] = mapped_column(Date)
    acknowledged_up_to: Mapped[int] = mapped_column(Integer, default=0)
    delivery_address: Mapped[str | None] = mapped_column(String(500))
    delivery_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Failed attempts at the current mutation since the last success or address change."""
    next_delivery_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    delivery_lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class MutationModel(Base):
    """One recognition mutation for one school."""

    __tablename__ = "sbb_mutations"
    __table_args__ = (
        CheckConstraint("kind IN ('ingetrokken', 'beeindigd')", name="kind_known"),
        Index("ix_sbb_mutations_organisation_oin_sequence", "organisation_oin", "sequence", unique=True),
    )

    sequence: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organisation_oin: Mapped[str] = mapped_column(String(20))
    leerbedrijf_id: Mapped[str] = mapped_column(ForeignKey(CompanyModel.leerbedrijf_id))
    crebo: Mapped[str] = mapped_column(ForeignKey(QualificationModel.crebo))
    kind: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(String(200))
    effective_date: Mapped[dt.date] = mapped_column(Date)


def to_agreement(row: AgreementModel) -> agreements.Agreement:
    return agreements.Agreement(row.id, row.student_number, row.leerbedrijf_id, row.crebo, row.start_date,
                                row.planned_end_date, row.learning_path, row.ended_on, row.end_reason)


def to_nomination(row: NominationModel) -> agreements.Nomination:
    return agreements.Nomination(agreements.nomination_reference(row.id), agreements.NominationStatus(row.status),
                                 row.crebo, row.leerbedrijf_id)


def to_mutation(row: MutationModel) -> agreements.Mutation:
    return agreements.Mutation(row.sequence, row.leerbedrijf_id, row.crebo, agreements.MutationKind(row.kind),
                               row.reason, row.effective_date)


def to_subscription(row: SubscriptionModel) -> agreements.Subscription:
    return agreements.Subscription(row.id, row.started_on, row.acknowledged_up_to, row.delivery_address)


def running_on(day: dt.date) -> ColumnElement[bool]:
    """SQL for :meth:`agreements.Agreement.is_running_on`."""
    return (AgreementModel.planned_end_date >= day) & or_(AgreementModel.ended_on.is_(None),
                                                           AgreementModel.ended_on >= day)


class SqlSchoolLedger:
    """:class:`agreements.SchoolLedger` over the request's session, for one organisation."""

    def __init__(self, session: Session, organisation_oin: str) -> None:
        self._session = session
        self._oin = organisation_oin

    def qualification_known(self, crebo: str) -> bool:
        return self._session.get(QualificationModel, crebo) is not None

    def add_agreement(self, new: agreements.NewAgreement) -> agreements.Agreement:
        row = AgreementModel(organisation_oin=self._oin, student_number=new.student_number,
                             leerbedrijf_id=new.leerbedrijf_id, crebo=new.crebo, start_date=new.start,
                             planned_end_date=new.planned_end, learning_path=new.learning_path)
        self._session.add(row)
        self._session.flush()
        return to_agreement(row)

    def _agreement_row(self, agreement_id: int) -> AgreementModel | None:
        return self._session.scalars(select(AgreementModel).where(
            AgreementModel.id == agreement_id, AgreementModel.organisation_oin == self._oin)).one_or_none()

    def agreement(self, agreement_id: int) -> agreements.Agreement | None:
        row = self._agreement_row(agreement_id)
        return None if row is None else to_agreement(row)

    def update_agreement(self, agreement: agreements.Agreement) -> agreements.Agreement:
        row = self._agreement_row(agreement.id)
        if row is None:
            raise LookupError(agreement.id)
        row.planned_end_date, row.learning_path = agreement.planned_end, agreement.learning_path
        row.ended_on, row.end_reason = agreement.ended_on, agreement.end_reason
        self._session.flush()
        return to_agreement(row)

    def running_agreements(self, on: dt.date, *, after: int, limit: int | None) -> Sequence[agreements.Agreement]:
        statement = (select(AgreementModel)
                     .where(AgreementModel.organisation_oin == self._oin, AgreementModel.id > after, running_on(on))
                     .order_by(AgreementModel.id).limit(limit))
        return [to_agreement(row) for row in self._session.scalars(statement)]

    def count_running(self, on: dt.date) -> int:
        statement = select(func.count()).select_from(AgreementModel).where(
            AgreementModel.organisation_oin == self._oin, running_on(on))
        return self._session.scalar(statement) or 0

    def add_nomination(self, new: agreements.NewNomination, on: dt.date) -> agreements.Nomination:
        row = NominationModel(
            organisation_oin=self._oin, submitted_on=on, status=agreements.NominationStatus.ONTVANGEN.value,
            name=new.name, street=new.street, house_number=new.house_number,
            house_number_suffix=new.house_number_suffix, postcode=new.postcode, place=new.place,
            country_code=new.country_code, kvk_number=new.kvk_number, crebo=new.crebo,
            contact_name=new.contact_name, contact_role=new.contact_role, contact_phone=new.contact_phone,
            contact_email=new.contact_email,
        )
        self._session.add(row)
        self._session.flush()
        return to_nomination(row)

    def nomination(self, number: int) -> agreements.Nomination | None:
        row = self._session.scalars(select(NominationModel).where(
            NominationModel.id == number, NominationModel.organisation_oin == self._oin)).one_or_none()
        return None if row is None else to_nomination(row)

    def _subscription_row(self) -> SubscriptionModel | None:
        return self._session.scalars(
            select(SubscriptionModel).where(SubscriptionModel.organisation_oin == self._oin)).one_or_none()

    def subscription(self) -> agreements.Subscription | None:
        row = self._subscription_row()
        return None if row is None else to_subscription(row)

    def subscribe(self, on: dt.date, delivery_address: str | None) -> agreements.Subscription:
        row = SubscriptionModel(organisation_oin=self._oin, started_on=on, acknowledged_up_to=0,
                                delivery_address=delivery_address, delivery_attempts=0)
        self._session.add(row)
        self._session.flush()
        return to_subscription(row)

    def set_delivery_address(self, address: str | None) -> agreements.Subscription:
        row = self._subscription_row()
        if row is None:
            raise LookupError(self._oin)
        row.delivery_address = address
        row.delivery_attempts, row.next_delivery_at = 0, None
        self._session.flush()
        return to_subscription(row)

    def mutations(self, *, after: int, limit: int) -> Sequence[agreements.Mutation]:
        statement = (select(MutationModel)
                     .where(MutationModel.organisation_oin == self._oin, MutationModel.sequence > after)
                     .order_by(MutationModel.sequence).limit(limit))
        return [to_mutation(row) for row in self._session.scalars(statement)]

    def last_sequence(self) -> int:
        statement = select(func.max(MutationModel.sequence)).where(MutationModel.organisation_oin == self._oin)
        return self._session.scalar(statement) or 0

    def acknowledge(self, up_to: int) -> agreements.Subscription:
        row = self._subscription_row()
        if row is None:
            raise LookupError(self._oin)
        row.acknowledged_up_to = up_to
        if row.delivery_address is not None:  # what was pulled and acknowledged is not offered again
            row.delivery_attempts, row.next_delivery_at = 0, None
        self._session.flush()
        return to_subscription(row)


# --- SBB's own moves (the ``ketenserver sbb`` commands) ---------------------------------------------


def _next_leerbedrijf_id(session: Session) -> str:
    highest = session.scalar(select(func.max(CompanyModel.leerbedrijf_id)))
    number = max(int(highest or 0) + 1, 100_000_001)
    if number > 999_999_999:
        raise ValueError("no 9-digit leerbedrijf-id left")
    return str(number)


def move_nomination(session: Session, reference: str, status: agreements.NominationStatus,
                    *, today: dt.date) -> agreements.Nomination:
    """Move a nomination on as SBB does; on Erkend the company and its recognition appear."""
    number = agreements.nomination_number(reference)
    row = None if number is None else session.get(NominationModel, number)
    if row is None:
        raise ValueError(f"no nomination {reference}")
    agreements.check_move(agreements.NominationStatus(row.status), status)
    row.status = status.value
    if status is agreements.NominationStatus.ERKEND:
        leerbedrijf_id = _next_leerbedrijf_id(session)
        postcode = row.postcode
        if row.country_code == "NL":
            postcode = domain.normalise_postcode(postcode)
        session.add(CompanyModel(
            leerbedrijf_id=leerbedrijf_id, name=row.name, name_key=domain.name_key(row.name),
            kvk_number=row.kvk_number, street=row.street, house_number=row.house_number,
            house_number_suffix=domain.normalise_suffix(row.house_number_suffix), postcode=postcode,
            place=row.place, country_code=row.country_code,
        ))
        session.flush()
        session.add(RecognitionModel(leerbedrijf_id=leerbedrijf_id, crebo=row.crebo, start_date=today))
        session.execute(insert(CompanyWordModel), word_rows(leerbedrijf_id, row.name, row.place))
        row.leerbedrijf_id = leerbedrijf_id
    session.flush()
    return to_nomination(row)


def lapse_recognition(session: Session, leerbedrijf_id: str, crebo: str, kind: agreements.MutationKind,
                      reason: str, *, effective: dt.date, today: dt.date) -> list[str]:
    """Withdraw or end the recognition for *crebo* current on *effective* (its first day without),
    and give each school with an agreement running *today* there for that crebo one mutation.

    Returns the OINs that got a mutation. The caller commits (one transaction)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE sbb_mutations IN EXCLUSIVE MODE"))  # readers go on, writers queue
    statement = select(RecognitionModel).where(
        RecognitionModel.leerbedrijf_id == leerbedrijf_id, RecognitionModel.crebo == crebo, current_on(effective),
    ).order_by(RecognitionModel.start_date.desc())
    recognition = session.scalars(statement).first()
    if recognition is None:
        raise ValueError(f"leerbedrijf {leerbedrijf_id} holds no recognition for crebo {crebo} on {effective}")
    if effective <= recognition.start_date:
        raise ValueError("the date lies on or before the start of the recognition")
    if kind is agreements.MutationKind.INGETROKKEN:
        recognition.withdrawn_on, recognition.withdrawal_reason = effective, reason
    else:
        recognition.end_date = effective - dt.timedelta(days=1)
    schools = sorted(set(session.scalars(select(AgreementModel.organisation_oin).where(
        AgreementModel.leerbedrijf_id == leerbedrijf_id, AgreementModel.crebo == crebo, running_on(today)))))
    session.add_all(MutationModel(organisation_oin=oin, leerbedrijf_id=leerbedrijf_id, crebo=crebo,
                                  kind=kind.value, reason=reason, effective_date=effective) for oin in schools)
    session.flush()
    return schools



# --- Push delivery (SBB's deliverer, across schools) -------------------------------------------------


def _undelivered() -> ColumnElement[bool]:
    return exists().where(MutationModel.organisation_oin == SubscriptionModel.organisation_oin,
                          MutationModel.sequence > SubscriptionModel.acknowledged_up_to)


def _free(now: dt.datetime) -> ColumnElement[bool]:
    return or_(SubscriptionModel.delivery_lease_until.is_(None), SubscriptionModel.delivery_lease_until <= now)


def due_subscriptions(session: Session, now: dt.datetime, *, limit: int) -> list[int]:
    """Subscriptions with a delivery address, an unacknowledged mutation, due and not claimed."""
    statement = (select(SubscriptionModel.id)
                 .where(SubscriptionModel.delivery_address.is_not(None), _free(now),
                        or_(SubscriptionModel.next_delivery_at.is_(None), SubscriptionModel.next_delivery_at <= now),
                        _undelivered())
                 .order_by(SubscriptionModel.next_delivery_at.is_not(None), SubscriptionModel.next_delivery_at,
                           SubscriptionModel.id)
                 .limit(limit))
    return list(session.scalars(statement))


def claim_delivery(session: Session, subscription_id: int, now: dt.datetime, *, lease_until: dt.datetime
                   ) -> agreements.Delivery | None:
    """Claim a due subscription for one attempt; None when another deliverer was first or nothing is due.

    The claim is one conditional UPDATE (the row lock of PostgreSQL, the single writer of SQLite
    decide between deliverers). The caller commits it before delivering, so no transaction is
    open while the school's server is called.
    """
    claimed = session.execute(
        update(SubscriptionModel)
        .where(SubscriptionModel.id == subscription_id, SubscriptionModel.delivery_address.is_not(None),
               _free(now), or_(SubscriptionModel.next_delivery_at.is_(None),
                               SubscriptionModel.next_delivery_at <= now))
        .values(delivery_lease_until=lease_until)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
        return None
    row = session.get(SubscriptionModel, subscription_id, populate_existing=True)
    assert row is not None and row.delivery_address is not None
    mutation = session.scalars(
        select(MutationModel)
        .where(MutationModel.organisation_oin == row.organisation_oin,
               MutationModel.sequence > row.acknowledged_up_to)
        .order_by(MutationModel.sequence).limit(1)).first()
    if mutation is None:
        row.delivery_lease_until = None
        session.flush()
        return None
    return agreements.Delivery(row.id, row.organisation_oin, row.delivery_address, row.delivery_attempts + 1,
                               to_mutation(mutation))


def finish_delivery(session: Session, delivery: agreements.Delivery, *, delivered: bool,
                    next_attempt: dt.datetime | None) -> None:
    """Record an attempt's result and release the claim.

    Delivered: the mutation counts as acknowledged (never moving the cursor back). Not
    delivered: one more failed attempt, due again at *next_attempt*, unless the school changed
    its address in the meantime (then the new address starts afresh).
    """
    row = session.get(SubscriptionModel, delivery.subscription_id, populate_existing=True)
    if row is None:
        return
    row.delivery_lease_until = None
    if delivered:
        row.acknowledged_up_to = max(row.acknowledged_up_to, delivery.mutation.sequence)
        row.delivery_attempts, row.next_delivery_at = 0, None
    elif row.delivery_address == delivery.address:
        row.delivery_attempts = delivery.attempt
        row.next_delivery_at = next_attempt
    session.flush()


def pending_count(session: Session) -> int:
    """Subscriptions with a delivery address and at least one unacknowledged mutation."""
    statement = select(func.count()).select_from(SubscriptionModel).where(
        and_(SubscriptionModel.delivery_address.is_not(None), _undelivered()))
    return session.scalar(statement) or 0
