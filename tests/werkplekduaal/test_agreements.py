"""Agreements: the three kinds, the workplace and mentor, amendments and addenda, early ends (WPD-1010..1052)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from ketenserver.werkplekduaal import agreements, errors, trainingdays
from tests.werkplekduaal import agreement_builders as b
from tests.werkplekduaal import factories


@pytest.fixture
def desk(db_session: Session) -> b.Desk:
    return b.Desk(db_session, b.FakeRegister())


@pytest.fixture
def place(desk: b.Desk) -> b.Workplace:
    assert isinstance(desk.register, b.FakeRegister)
    return b.workplace(desk.session, desk.register)


def _broken(digits: str) -> str:
    """The same number with its last check digit changed."""
    return digits[:-1] + str((int(digits[-1]) + 1) % 10)


def test_a_valid_agreement_is_registered_for_the_sender_only(desk: b.Desk, place: b.Workplace) -> None:
    new = b.terms(place)
    made = desk.register_agreement(new)
    assert made.status == agreements.REGISTERED and made.provider == b.PROVIDER
    assert made.terms == new
    assert desk.book.get(made.number) == made
    assert desk.other().book.get(made.number) is None
    with pytest.raises(errors.UnknownAgreement):
        desk.other().terminate(made.number, new.start)


def test_every_kind_is_registered_within_its_rules(desk: b.Desk) -> None:
    assert isinstance(desk.register, b.FakeRegister)
    place = b.workplace(desk.session, desk.register, joint_committee="124")  # building: part-time work allowed
    for kind, hours, allowance in ((agreements.STAGE, 16, None), (agreements.STAGE, 19, 0),
                                   (agreements.ALTERNATING, 38, 520), (agreements.PART_TIME, 20, None)):
        made = desk.register_agreement(b.terms(place, kind=kind, hours=hours, allowance=allowance))
        assert made.terms.kind == kind


Mutation = Callable[[agreements.Terms, b.Workplace], agreements.Terms]
RULES: list[tuple[str, Mutation, type[errors.WerkplekduaalError], str]] = [
    ("student", lambda t, _p: dataclasses.replace(t, student=dataclasses.replace(
        t.student, rijksregisternummer=_broken(t.student.rijksregisternummer))),
     errors.InvalidRijksregisternummer, "Leerling/Rijksregisternummer"),
    ("student birth", lambda t, _p: dataclasses.replace(t, student=dataclasses.replace(
        t.student, birth_date=t.student.birth_date - dt.timedelta(days=1))),
     errors.InvalidRijksregisternummer, "Leerling/Rijksregisternummer"),
    ("enterprise", lambda t, _p: dataclasses.replace(t, enterprise_number=_broken(t.enterprise_number)),
     errors.InvalidEnterpriseNumber, "Ondernemingsnummer"),
    ("establishment", lambda t, _p: dataclasses.replace(t, establishment_number=_broken(t.establishment_number)),
     errors.InvalidEstablishmentNumber, "Vestigingsnummer"),
    ("unknown enterprise", lambda t, _p: dataclasses.replace(t, enterprise_number=factories.enterprise_number()),
     errors.UnknownEnterprise, "Ondernemingsnummer"),
    ("unknown establishment", lambda t, _p: dataclasses.replace(
        t, establishment_number=factories.establishment_number()), errors.UnknownEstablishment, "Vestigingsnummer"),
    ("opleiding", lambda t, _p: dataclasses.replace(t, opleiding="ASTRONAUT"), errors.UnknownOpleiding, "Opleiding"),
    ("mentor number", lambda t, _p: dataclasses.replace(t, mentor=_broken(t.mentor)),
     errors.InvalidRijksregisternummer, "Mentor"),
    ("period", lambda t, _p: dataclasses.replace(t, end=t.start), errors.InvalidPeriod, "Einddatum"),
    ("stage hours", lambda t, _p: dataclasses.replace(t, kind=agreements.STAGE, hours_per_week=Decimal(20),
                                                       allowance=None, timetable=b.week(20)),
     errors.HoursForKind, "UrenPerWeek"),
    ("alternating hours", lambda t, _p: dataclasses.replace(t, hours_per_week=Decimal("19.5"),
                                                             timetable=b.week(Decimal("19.5"))),
     errors.HoursForKind, "UrenPerWeek"),
    ("at most 38", lambda t, _p: dataclasses.replace(t, hours_per_week=Decimal("38.5"),
                                                      timetable=b.week(Decimal("38.5"), ("MAANDAG", "DINSDAG",
                                                                                         "WOENSDAG", "DONDERDAG",
                                                                                         "VRIJDAG"))),
     errors.HoursForKind, "UrenPerWeek"),
    ("stage allowance", lambda t, _p: dataclasses.replace(t, kind=agreements.STAGE, hours_per_week=Decimal(16),
                                                           allowance=Decimal(100), timetable=b.week(16)),
     errors.AllowanceForKind, "Leervergoeding"),
    ("alternating allowance", lambda t, _p: dataclasses.replace(t, allowance=agreements.MAX_ALLOWANCE + 1),
     errors.AllowanceForKind, "Leervergoeding"),
    ("part-time allowance", lambda t, _p: dataclasses.replace(t, kind=agreements.PART_TIME),
     errors.AllowanceForKind, "Leervergoeding"),
    ("timetable total", lambda t, _p: dataclasses.replace(t, timetable=b.week(t.hours_per_week - 1)),
     errors.TimetableHours, "Uurrooster"),
    ("timetable day twice", lambda t, _p: dataclasses.replace(t, timetable=b.week(t.hours_per_week, (
        "MAANDAG", "MAANDAG", "DINSDAG", "WOENSDAG"))), errors.TimetableHours, "Uurrooster"),
    ("timetable day hours", lambda t, _p: dataclasses.replace(t, timetable=b.week(t.hours_per_week, (
        "MAANDAG", "DINSDAG"))), errors.TimetableHours, "Uurrooster"),
    ("no recognition on start", lambda t, _p: dataclasses.replace(t, start=dt.date(2024, 12, 31)),
     errors.NoRecognition, "Vestigingsnummer"),
    ("mentor of recognition", lambda t, _p: dataclasses.replace(t, mentor=b.person(50)[0]),
     errors.MentorNotOfRecognition, "Mentor"),
]


@pytest.mark.parametrize(("case", "mutate", "error", "field"), RULES, ids=[r[0] for r in RULES])
def test_each_rule_refuses_with_its_code_and_field(desk: b.Desk, place: b.Workplace, case: str, mutate: Mutation,
                                                   error: type[errors.WerkplekduaalError], field: str) -> None:
    new = mutate(b.terms(place), place)
    with pytest.raises(error) as raised:
        desk.register_agreement(new)
    assert raised.value.code == error.spec.code and raised.value.field == field
    assert desk.book.select() == []


def test_part_time_employment_only_where_the_sector_allows_it(desk: b.Desk) -> None:
    assert isinstance(desk.register, b.FakeRegister)
    place = b.workplace(desk.session, desk.register, joint_committee="201")  # trade: not in PART_TIME_EMPLOYMENT
    with pytest.raises(errors.KindNotInSector) as raised:
        desk.register_agreement(b.terms(place, kind=agreements.PART_TIME, allowance=None))
    assert raised.value.field == "Soort"


def test_one_agreement_per_student_and_opleiding_at_a_time_whoever_registers(desk: b.Desk,
                                                                             place: b.Workplace) -> None:
    first = desk.register_agreement(b.terms(place))
    later = b.terms(place, who=first.terms.student, start=first.terms.end - dt.timedelta(days=1),
                    end=first.terms.end + dt.timedelta(days=90))
    with pytest.raises(errors.AgreementOverlaps) as raised:
        desk.other().register_agreement(later)
    assert raised.value.field == "Leerling/Rijksregisternummer"
    after = dataclasses.replace(later, start=first.terms.end + dt.timedelta(days=1))
    assert desk.other().register_agreement(after).provider == b.OTHER_PROVIDER


# ------------------------------------------------------------------------------- amendments
def test_mentor_and_timetable_change_at_once_without_an_addendum(desk: b.Desk, place: b.Workplace) -> None:
    made = desk.register_agreement(b.terms(place))
    days = b.week(made.terms.hours_per_week, ("DINSDAG", "WOENSDAG", "DONDERDAG", "VRIJDAG"))
    changed = desk.amend(agreements.Amendment(made.number, mentor=place.mentors[1], timetable=days))
    assert changed.terms.mentor == place.mentors[1] and changed.terms.timetable == days
    assert changed.addenda == ()
    assert desk.board.open_tasks(frozenset({agreements.ADDENDUM})) == []


def test_a_change_of_terms_shows_at_once_and_makes_an_addendum_and_its_task(desk: b.Desk,
                                                                            place: b.Workplace) -> None:
    made = desk.register_agreement(b.terms(place))
    new_end = made.terms.end - dt.timedelta(days=30)
    changed = desk.amend(agreements.Amendment(made.number, end=new_end, allowance=Decimal(450)), today=b.TODAY)
    assert changed.terms.end == new_end and changed.terms.allowance == Decimal(450)
    (addendum,) = changed.addenda
    assert addendum.status == agreements.TO_REGISTER and addendum.created == b.TODAY
    assert {c.field: (c.old, c.new) for c in addendum.changes} == {
        "Einddatum": (made.terms.end.isoformat(), new_end.isoformat()), "Leervergoeding": ("400", "450")}
    (task,) = desk.board.open_tasks(frozenset({agreements.ADDENDUM}), agreement=made.number)
    assert task.options == (agreements.REGISTER,) and task.addendum == addendum
    with pytest.raises(errors.AddendumOpen) as raised:
        desk.amend(agreements.Amendment(made.number, mentor=place.mentors[1]))
    assert raised.value.code == "WPD-1052"


def test_an_amendment_that_changes_nothing_is_refused(desk: b.Desk, place: b.Workplace) -> None:
    made = desk.register_agreement(b.terms(place))
    with pytest.raises(errors.NothingToAmend):
        desk.amend(agreements.Amendment(made.number, mentor=made.terms.mentor, end=made.terms.end))


def test_an_amendment_is_checked_by_every_rule_of_its_kind(desk: b.Desk, place: b.Workplace) -> None:
    made = desk.register_agreement(b.terms(place))
    with pytest.raises(errors.TimetableHours):  # other hours need the timetable that adds up to them
        desk.amend(agreements.Amendment(made.number, hours_per_week=made.terms.hours_per_week + 2))
    with pytest.raises(errors.AllowanceForKind):
        desk.amend(agreements.Amendment(made.number, allowance=agreements.MAX_ALLOWANCE + 1))
    with pytest.raises(errors.MentorNotOfRecognition):
        desk.amend(agreements.Amendment(made.number, mentor=b.person(50)[0]))
    with pytest.raises(errors.InvalidPeriod):
        desk.amend(agreements.Amendment(made.number, end=made.terms.start))
    assert desk.book.get(made.number) == made


def test_moving_to_an_unrecognised_establishment_is_refused(desk: b.Desk) -> None:
    assert isinstance(desk.register, b.FakeRegister)
    place = b.workplace(desk.session, desk.register, establishments=2)
    made = desk.register_agreement(b.terms(place))
    with pytest.raises(errors.NoRecognition):
        desk.amend(agreements.Amendment(made.number, establishment_number=place.company.establishments[1]))
    with pytest.raises(errors.UnknownEstablishment):
        desk.amend(agreements.Amendment(made.number, establishment_number=factories.establishment_number()))


# ------------------------------------------------------------------------------- early ends
def test_an_early_end_lies_within_the_period(desk: b.Desk, place: b.Workplace) -> None:
    made = desk.register_agreement(b.terms(place))
    for end in (made.terms.start - dt.timedelta(days=1), made.terms.end):
        with pytest.raises(errors.EndDateOutsidePeriod) as raised:
            desk.terminate(made.number, end)
        assert raised.value.field == "Einddatum"


def test_an_early_end_ends_the_agreement_and_restarts_the_training_day_rule(desk: b.Desk,
                                                                          place: b.Workplace) -> None:
    made = desk.register_agreement(b.terms(place))
    end = made.terms.start + dt.timedelta(days=40)
    ended = desk.terminate(made.number, end, "Verhuis")
    assert ended.status == agreements.ENDED_EARLY and ended.ending == agreements.Ending(end, "Verhuis")
    trajectory = desk.trajectories.latest(made.terms.student.rijksregisternummer, made.terms.opleiding)
    assert trajectory is not None and trajectory.deadline == trainingdays.registration_deadline(end)
    with pytest.raises(errors.AgreementEnded):
        desk.terminate(made.number, end)
    with pytest.raises(errors.AgreementEnded):
        desk.amend(agreements.Amendment(made.number, mentor=place.mentors[1]))
    # the ended agreement no longer blocks a new one after its early end
    again = b.terms(place, who=made.terms.student, start=end + dt.timedelta(days=1))
    assert desk.register_agreement(again).status == agreements.REGISTERED


def test_the_selection_is_the_senders_by_student_and_status(desk: b.Desk, place: b.Workplace) -> None:
    one, two = desk.register_agreement(b.terms(place)), desk.register_agreement(b.terms(place))
    desk.terminate(two.number, two.terms.start)
    assert [a.number for a in agreements.select(desk.book, student=None, status=None)] == [one.number, two.number]
    assert [a.number for a in agreements.select(desk.book, student=one.terms.student.rijksregisternummer,
                                                status=None)] == [one.number]
    assert [a.number for a in agreements.select(desk.book, student=None, status=agreements.ENDED_EARLY)] == [
        two.number]
    assert agreements.select(desk.other().book, student=None, status=None) == []
    with pytest.raises(errors.InvalidRijksregisternummer):
        agreements.select(desk.book, student=_broken(one.terms.student.rijksregisternummer), status=None)
