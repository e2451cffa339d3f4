"""SBB recognitions in the database: tables ``sbb_*`` and the queries the service needs.

Rows never leave this module: queries return the plain values of
:mod:`ketenserver.recognitions.domain`. Names and postcodes are stored twice where matching
needs it (``name`` as registered, ``name_key`` as :func:`~ketenserver.recognitions.domain.name_key`
computes it; ``postcode`` already normalised to 1234AB), so a lookup is one indexed equality.

Placements (stageplaatsen), placement agreements (bpv-overeenkomsten) and recognition
mutations follow as further ``sbb_*`` tables referring to :class:`CompanyModel`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    and_,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, selectinload
from sqlalchemy.orm.interfaces import LoaderOption
from sqlalchemy.sql.elements import ColumnElement

from ketenserver.db import Base
from ketenserver.recognitions import domain


class CompanyModel(Base):
    """A company (establishment) known to SBB, recognised or not: a leerbedrijf."""

    __tablename__ = "sbb_companies"
    __table_args__ = (
        CheckConstraint("length(leerbedrijf_id) = 9", name="leerbedrijf_id_9_digits"),
        CheckConstraint("house_number >= 1", name="house_number_positive"),
        Index("ix_sbb_companies_name_key_postcode", "name_key", "postcode"),
    )

    leerbedrijf_id: Mapped[str] = mapped_column(String(9), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    """:func:`domain.name_key` of ``name``; the index (name_key, postcode) serves name-only lookups too."""
    kvk_number: Mapped[str] = mapped_column(String(8), index=True)
    kvk_establishment: Mapped[str | None] = mapped_column(String(12))
    street: Mapped[str] = mapped_column(String(100))
    house_number: Mapped[int] = mapped_column(Integer)
    house_number_suffix: Mapped[str | None] = mapped_column(String(10))
    """Stored as :func:`domain.normalise_suffix` returns it (upper case, no spaces or hyphens)."""
    postcode: Mapped[str] = mapped_column(String(10))
    """Dutch postcodes normalised to 1234AB; foreign ones as written."""
    place: Mapped[str] = mapped_column(String(80))
    country_code: Mapped[str] = mapped_column(String(2), default="NL")
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    website: Mapped[str | None] = mapped_column(String(200))
    size_class: Mapped[str | None] = mapped_column(String(20))
    sbi_code: Mapped[str | None] = mapped_column(String(6))

    recognitions: Mapped[list[RecognitionModel]] = relationship(
        back_populates="company", order_by="(RecognitionModel.crebo, RecognitionModel.start_date)"
    )


class QualificationModel(Base):
    """An mbo qualification (kwalificatie) by its crebo code."""

    __tablename__ = "sbb_qualifications"
    __table_args__ = (
        CheckConstraint("length(crebo) = 5", name="crebo_5_digits"),
        CheckConstraint("level BETWEEN 1 AND 4", name="level_1_to_4"),
    )

    crebo: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(Integer)


class RecognitionModel(Base):
    """A recognition of one company for one qualification (see :func:`domain.is_current`)."""

    __tablename__ = "sbb_recognitions"
    __table_args__ = (
        UniqueConstraint("leerbedrijf_id", "crebo", "start_date"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_not_before_start"),
        CheckConstraint(
            "withdrawal_reason IS NULL OR withdrawn_on IS NOT NULL", name="reason_only_when_withdrawn"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    leerbedrijf_id: Mapped[str] = mapped_column(ForeignKey(CompanyModel.leerbedrijf_id), index=True)
    crebo: Mapped[str] = mapped_column(ForeignKey(QualificationModel.crebo), index=True)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)
    """First day the recognition no longer holds."""
    withdrawal_reason: Mapped[str | None] = mapped_column(String(200))

    company: Mapped[CompanyModel] = relationship(back_populates="recognitions")
    qualification: Mapped[QualificationModel] = relationship()


# --- Rows to domain values -------------------------------------------------------------------


def to_recognition(row: RecognitionModel) -> domain.Recognition:
    return domain.Recognition(
        crebo=row.crebo,
        qualification_name=row.qualification.name,
        level=row.qualification.level,
        start=row.start_date,
        end=row.end_date,
        withdrawn_on=row.withdrawn_on,
        withdrawal_reason=row.withdrawal_reason,
    )


def to_company(row: CompanyModel) -> domain.Company:
    return domain.Company(
        leerbedrijf_id=row.leerbedrijf_id,
        name=row.name,
        kvk_number=row.kvk_number,
        kvk_establishment=row.kvk_establishment,
        address=domain.Address(
            street=row.street,
            house_number=row.house_number,
            house_number_suffix=row.house_number_suffix,
            postcode=row.postcode,
            place=row.place,
            country_code=row.country_code,
        ),
        recognitions=tuple(to_recognition(r) for r in row.recognitions),
        phone=row.phone,
        email=row.email,
        website=row.website,
        size_class=row.size_class,
        sbi_code=row.sbi_code,
    )


# --- Queries ---------------------------------------------------------------------------------


def current_on(on: dt.date) -> ColumnElement[bool]:
    """SQL for :func:`domain.is_current` (kept equal to it by a test): for searches by crebo."""
    return and_(
        RecognitionModel.start_date <= on,
        or_(RecognitionModel.end_date.is_(None), RecognitionModel.end_date >= on),
        or_(RecognitionModel.withdrawn_on.is_(None), RecognitionModel.withdrawn_on > on),
    )


def _with_recognitions() -> LoaderOption:
    return selectinload(CompanyModel.recognitions).selectinload(RecognitionModel.qualification)


def find_companies(
    session: Session, *, name_key: str, postcode: str, house_number: int | None = None,
    house_number_suffix: str | None = None, limit: int = domain.MAX_MATCHES,
) -> list[domain.Company]:
    """Companies by name key and normalised postcode, optionally house number and addition.

    Ordered by house number, addition (none first) and leerbedrijf-id, so that a limited answer
    is the same every time.
    """
    statement = select(CompanyModel).where(
        CompanyModel.name_key == name_key, CompanyModel.postcode == postcode
    )
    if house_number is not None:
        statement = statement.where(CompanyModel.house_number == house_number)
    if house_number_suffix is not None:
        statement = statement.where(CompanyModel.house_number_suffix == house_number_suffix)
    statement = (
        statement.order_by(
            CompanyModel.house_number,
            CompanyModel.house_number_suffix.asc().nulls_first(),  # PostgreSQL puts NULL last by default
            CompanyModel.leerbedrijf_id,
        )
        .limit(limit)
        .options(_with_recognitions())
    )
    return [to_company(row) for row in session.scalars(statement)]


def get_company(session: Session, leerbedrijf_id: str) -> domain.Company | None:
    statement = select(CompanyModel).where(CompanyModel.leerbedrijf_id == leerbedrijf_id)
    row = session.scalars(statement.options(_with_recognitions())).one_or_none()
    return None if row is None else to_company(row)


def current_recognitions(session: Session, leerbedrijf_id: str, on: dt.date) -> list[domain.Recognition]:
    """The recognitions of a company that hold on *on*, by crebo."""
    statement = (
        select(RecognitionModel)
        .where(RecognitionModel.leerbedrijf_id == leerbedrijf_id, current_on(on))
        .order_by(RecognitionModel.crebo, RecognitionModel.start_date)
        .options(selectinload(RecognitionModel.qualification))
    )
    return [to_recognition(row) for row in session.scalars(statement)]


class SqlCompanyDirectory:
    """:class:`domain.CompanyDirectory` over the request's session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def find_by_name_and_postcode(
        self, *, name_key: str, postcode: str, house_number: int | None,
        house_number_suffix: str | None, limit: int,
    ) -> Sequence[domain.Company]:
        return find_companies(
            self._session, name_key=name_key, postcode=postcode, house_number=house_number,
            house_number_suffix=house_number_suffix, limit=limit,
        )
