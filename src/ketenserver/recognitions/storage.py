"""SBB recognitions in the database: tables ``sbb_*`` and the queries the service needs.

Rows never leave this module: queries return the plain values of
:mod:`ketenserver.recognitions.domain`. Names and postcodes are stored twice where matching
needs it (``name`` as registered, ``name_key`` as :func:`~ketenserver.recognitions.domain.name_key`
computes it; ``postcode`` already normalised to 1234AB), so a lookup is one indexed equality.

Search (Opvragen erkenningen) reads ``sbb_company_words``: every search word
(:func:`~ketenserver.recognitions.search.search_words`) of a company's name (kind ``n``) and
place (kind ``p``), keyed (kind, word, leerbedrijf_id), so that a word prefix is one index range
(:func:`~ketenserver.recognitions.search.prefix_bounds`) on SQLite and PostgreSQL alike. Each row
also carries all of the company's name and place words, so that the other words of a search are
checked in the row found (no look-up per row). Whoever writes a company writes its words with it
(:func:`word_rows`). A recognition carries its company's country for the same reason (filled in
by itself on insert, see :func:`_company_country`). How a search uses them:
:mod:`~ketenserver.recognitions.search_queries`.

Placement agreements (bpv-overeenkomsten) and recognition mutations follow as further
``sbb_*`` tables referring to :class:`CompanyModel`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Select,
    String,
    UniqueConstraint,
    and_,
    bindparam,
    or_,
    select,
)
from sqlalchemy.engine import Row
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, selectinload
from sqlalchemy.orm.interfaces import LoaderOption
from sqlalchemy.sql.elements import ColumnElement

from ketenserver.db import Base
from ketenserver.recognitions import domain, search


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
    postal_street: Mapped[str | None] = mapped_column(String(100))
    """A postal address apart from the visiting one; ``Postbus`` for a PO box. All NULL: none."""
    postal_number: Mapped[int | None] = mapped_column(Integer)
    """House number, or the PO box number."""
    postal_suffix: Mapped[str | None] = mapped_column(String(10))
    postal_postcode: Mapped[str | None] = mapped_column(String(10))
    postal_place: Mapped[str | None] = mapped_column(String(80))
    postal_country_code: Mapped[str | None] = mapped_column(String(2))

    recognitions: Mapped[list[RecognitionModel]] = relationship(
        back_populates="company", order_by="(RecognitionModel.crebo, RecognitionModel.start_date)"
    )
    contacts: Mapped[list[ContactModel]] = relationship(order_by="ContactModel.id")
    placements: Mapped[list[PlacementModel]] = relationship(
        order_by="(PlacementModel.start_date, PlacementModel.id)"
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


def _company_country(context: DefaultExecutionContext) -> str | None:
    """The default of :attr:`RecognitionModel.country_code`: the country of the recognised company."""
    leerbedrijf_id = context.get_current_parameters()["leerbedrijf_id"]
    country: str | None = context.connection.scalar(
        select(CompanyModel.country_code).where(CompanyModel.leerbedrijf_id == leerbedrijf_id)
    )
    return country


class RecognitionModel(Base):
    """A recognition of one company for one qualification (see :func:`domain.is_current`)."""

    __tablename__ = "sbb_recognitions"
    __table_args__ = (
        UniqueConstraint("leerbedrijf_id", "crebo", "start_date"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_not_before_start"),
        CheckConstraint(
            "withdrawal_reason IS NULL OR withdrawn_on IS NOT NULL", name="reason_only_when_withdrawn"
        ),
        # Covering indexes: "is it current on day d" is answered from the index alone, by crebo and
        # country (search) and by company (natrekken, details, the search's walk in id order).
        Index("ix_sbb_recognitions_crebo_current", "crebo", "country_code", "leerbedrijf_id", "start_date",
              "end_date", "withdrawn_on"),
        Index("ix_sbb_recognitions_company_current", "leerbedrijf_id", "start_date", "end_date", "withdrawn_on",
              "crebo", "country_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    leerbedrijf_id: Mapped[str] = mapped_column(ForeignKey(CompanyModel.leerbedrijf_id))
    crebo: Mapped[str] = mapped_column(ForeignKey(QualificationModel.crebo))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)
    """First day the recognition no longer holds."""
    withdrawal_reason: Mapped[str | None] = mapped_column(String(200))
    country_code: Mapped[str] = mapped_column(String(2), default=_company_country)
    """The company's (a company never moves abroad): a search by crebo and country is one index range."""

    company: Mapped[CompanyModel] = relationship(back_populates="recognitions")
    qualification: Mapped[QualificationModel] = relationship()


class ContactModel(Base):
    """A contact person of a company (for the school's bpv administration)."""

    __tablename__ = "sbb_contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    leerbedrijf_id: Mapped[str] = mapped_column(ForeignKey(CompanyModel.leerbedrijf_id), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))


class PlacementModel(Base):
    """An open placement place (stageplaats): a vacancy for students of one qualification."""

    __tablename__ = "sbb_placements"
    __table_args__ = (
        CheckConstraint("learning_path IN ('BOL', 'BBL')", name="learning_path_bol_or_bbl"),
        CheckConstraint("places >= 1", name="places_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    leerbedrijf_id: Mapped[str] = mapped_column(ForeignKey(CompanyModel.leerbedrijf_id), index=True)
    learning_path: Mapped[str] = mapped_column(String(3))
    crebo: Mapped[str] = mapped_column(ForeignKey(QualificationModel.crebo), index=True)
    start_date: Mapped[dt.date] = mapped_column(Date)
    places: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(500))

    qualification: Mapped[QualificationModel] = relationship()


class CompanyWordModel(Base):
    """One search word of a company's name (kind ``n``) or place (kind ``p``), with all its words.

    The rows are the primary key's index (SQLite: a table without rowid; PostgreSQL: ``names`` and
    ``places`` included in it), so a range of words is read with everything a search checks.
    """

    __tablename__ = "sbb_company_words"
    __table_args__ = (
        PrimaryKeyConstraint("kind", "word", "leerbedrijf_id", postgresql_include=["names", "places"]),
        CheckConstraint("kind IN ('n', 'p')", name="kind_name_or_place"),
        Index("ix_sbb_company_words_company", "kind", "leerbedrijf_id", "word"),  # by company, in id order
        {"sqlite_with_rowid": False},
    )

    kind: Mapped[str] = mapped_column(String(1))
    word: Mapped[str] = mapped_column(String(search.WORD_LENGTH))
    leerbedrijf_id: Mapped[str] = mapped_column(ForeignKey(CompanyModel.leerbedrijf_id))
    names: Mapped[str] = mapped_column(String(500))
    """Every search word of the company's name, each after a space: ``" bakkerij de vries"``."""
    places: Mapped[str] = mapped_column(String(200))
    """The same of its place: ``" s hertogenbosch"``."""


def word_rows(leerbedrijf_id: str, name: str, place: str) -> list[dict[str, str]]:
    """The ``sbb_company_words`` rows of a company, for a bulk insert."""
    names, places = search.search_words(name, company_name=True), search.search_words(place)
    company = {"leerbedrijf_id": leerbedrijf_id, "names": _spaced(names), "places": _spaced(places)}
    return [{"kind": kind, "word": word, **company} for kind, words in (("n", names), ("p", places)) for word in words]


def _spaced(words: Sequence[str]) -> str:
    return "".join(f" {word}" for word in words)


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


def to_company(row: CompanyModel | Row[Any], recognitions: tuple[domain.Recognition, ...] | None = None
               ) -> domain.Company:
    """The company of an ORM row (with its recognitions), or of a plain row and *recognitions*."""
    if recognitions is None:
        recognitions = tuple(to_recognition(r) for r in row.recognitions)
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
        recognitions=recognitions,
        phone=row.phone,
        email=row.email,
        website=row.website,
        size_class=row.size_class,
        sbi_code=row.sbi_code,
    )


def to_placement(row: PlacementModel) -> domain.Placement:
    return domain.Placement(
        id=row.id, learning_path=row.learning_path, crebo=row.crebo,
        qualification_name=row.qualification.name, level=row.qualification.level,
        start=row.start_date, places=row.places, description=row.description,
    )


def to_details(row: CompanyModel) -> domain.CompanyDetails:
    postal = None
    if row.postal_street is not None and row.postal_number is not None:
        postal = domain.Address(
            street=row.postal_street, house_number=row.postal_number, house_number_suffix=row.postal_suffix,
            postcode=row.postal_postcode or "", place=row.postal_place or "",
            country_code=row.postal_country_code or row.country_code,
        )
    return domain.CompanyDetails(
        company=to_company(row),
        postal_address=postal,
        contacts=tuple(domain.ContactPerson(c.name, c.role, c.phone, c.email) for c in row.contacts),
        placement_places=sum(p.places for p in row.placements),
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


_COMPANY_COLUMNS = (
    CompanyModel.leerbedrijf_id, CompanyModel.name, CompanyModel.kvk_number, CompanyModel.kvk_establishment,
    CompanyModel.street, CompanyModel.house_number, CompanyModel.house_number_suffix, CompanyModel.postcode,
    CompanyModel.place, CompanyModel.country_code, CompanyModel.phone, CompanyModel.email, CompanyModel.website,
    CompanyModel.size_class, CompanyModel.sbi_code,
)


def _companies_statement(by_house_number: bool, by_suffix: bool) -> Select[Any]:
    matched = select(*_COMPANY_COLUMNS).where(CompanyModel.name_key == bindparam("name_key"),
                                              CompanyModel.postcode == bindparam("postcode"))
    if by_house_number:
        matched = matched.where(CompanyModel.house_number == bindparam("house_number"))
    if by_suffix:
        matched = matched.where(CompanyModel.house_number_suffix == bindparam("house_number_suffix"))
    company = matched.order_by(
        CompanyModel.house_number,
        CompanyModel.house_number_suffix.asc().nulls_first(),  # PostgreSQL puts NULL last by default
        CompanyModel.leerbedrijf_id,
    ).limit(bindparam("limit")).subquery()
    return (
        select(company, RecognitionModel.crebo, QualificationModel.name.label("qualification_name"),
               QualificationModel.level, RecognitionModel.start_date, RecognitionModel.end_date,
               RecognitionModel.withdrawn_on, RecognitionModel.withdrawal_reason)
        .select_from(company)
        .outerjoin(RecognitionModel, RecognitionModel.leerbedrijf_id == company.c.leerbedrijf_id)
        .outerjoin(QualificationModel, QualificationModel.crebo == RecognitionModel.crebo)
        .order_by(company.c.house_number, company.c.house_number_suffix.asc().nulls_first(),
                  company.c.leerbedrijf_id, RecognitionModel.crebo, RecognitionModel.start_date)
    )


_COMPANIES = {(number, suffix): _companies_statement(number, suffix) for number in (False, True)
              for suffix in (False, True)}
"""Built once: constructing this statement cost four times as much as running it."""


def find_companies(
    session: Session, *, name_key: str, postcode: str, house_number: int | None = None,
    house_number_suffix: str | None = None, limit: int = domain.MAX_MATCHES,
) -> list[domain.Company]:
    """Companies by name key and normalised postcode, optionally house number and addition.

    Ordered by house number, addition (none first) and leerbedrijf-id, so that a limited answer
    is the same every time. On every Vaststellen leerbedrijf's path, so one prepared Core query
    (the companies joined with their recognitions and qualifications, no ORM objects) rather than
    three ORM loads.
    """
    statement = _COMPANIES[house_number is not None, house_number_suffix is not None]
    parameters = {"name_key": name_key, "postcode": postcode, "house_number": house_number,
                  "house_number_suffix": house_number_suffix, "limit": limit}
    found: dict[str, tuple[Row[Any], list[domain.Recognition]]] = {}
    for row in session.execute(statement, parameters):
        _, recognitions = found.setdefault(row.leerbedrijf_id, (row, []))
        if row.crebo is not None:
            recognitions.append(domain.Recognition(
                crebo=row.crebo, qualification_name=row.qualification_name, level=row.level, start=row.start_date,
                end=row.end_date, withdrawn_on=row.withdrawn_on, withdrawal_reason=row.withdrawal_reason))
    return [to_company(row, tuple(recognitions)) for row, recognitions in found.values()]


def get_company(session: Session, leerbedrijf_id: str) -> domain.Company | None:
    statement = select(CompanyModel).where(CompanyModel.leerbedrijf_id == leerbedrijf_id)
    row = session.scalars(statement.options(_with_recognitions())).one_or_none()
    return None if row is None else to_company(row)


def get_details(session: Session, leerbedrijf_id: str) -> domain.CompanyDetails | None:
    statement = select(CompanyModel).where(CompanyModel.leerbedrijf_id == leerbedrijf_id).options(
        _with_recognitions(), selectinload(CompanyModel.contacts), selectinload(CompanyModel.placements)
    )
    row = session.scalars(statement).one_or_none()
    return None if row is None else to_details(row)


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
    """:class:`domain.CompanyDirectory` and :class:`search.RecognitionIndex` over the request's session."""

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

    def get(self, leerbedrijf_id: str) -> domain.Company | None:
        return get_company(self._session, leerbedrijf_id)

    def details(self, leerbedrijf_id: str) -> domain.CompanyDetails | None:
        return get_details(self._session, leerbedrijf_id)

    def qualifications(self) -> Sequence[tuple[str, str]]:
        rows = self._session.execute(select(QualificationModel.crebo, QualificationModel.name))
        return [(crebo, name) for crebo, name in rows]

    def search(self, criteria: search.Criteria, *, on: dt.date, after: str | None, limit: int
               ) -> tuple[Sequence[search.Hit], int]:
        # The search's queries build on the tables here, so they are imported when first needed.
        from ketenserver.recognitions.search_queries import search_recognised

        return search_recognised(self._session, criteria, on=on, after=after, limit=limit)
