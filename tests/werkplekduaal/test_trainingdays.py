"""Training days: Monday to Friday without Belgium's ten public holidays; RegistratieUiterlijk."""

from __future__ import annotations

import datetime as dt

import pytest

from ketenserver.werkplekduaal import trainingdays

# Easter Sunday as the churches' tables give it.
EASTER = {2024: dt.date(2024, 3, 31), 2025: dt.date(2025, 4, 20), 2026: dt.date(2026, 4, 5),
          2027: dt.date(2027, 3, 28), 2038: dt.date(2038, 4, 25)}


@pytest.mark.parametrize("year", sorted(EASTER))
def test_easter_follows_the_gregorian_computus(year: int) -> None:
    assert trainingdays.easter(year) == EASTER[year]


def test_the_ten_public_holidays() -> None:
    sunday = EASTER[2026]
    fixed = {dt.date(2026, m, d) for m, d in ((1, 1), (5, 1), (7, 21), (8, 15), (11, 1), (11, 11), (12, 25))}
    moving = {sunday + dt.timedelta(days=1), sunday + dt.timedelta(days=39), sunday + dt.timedelta(days=50)}
    assert trainingdays.public_holidays(2026) == fixed | moving
    assert {day.weekday() for day in moving} == {0, 3}  # Easter and Whit Monday, Ascension Thursday


def _count_by_hand(start: dt.date, count: int, holidays: set[dt.date]) -> dt.date:
    day = start
    while count:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            count -= 1
    return day


def test_twenty_training_days_in_weeks_without_holidays() -> None:
    monday = dt.date(2026, 1, 5)
    # Tuesday to Friday (4), three whole weeks (15), then the Monday after: four weeks of five days
    assert trainingdays.registration_deadline(monday) == monday + dt.timedelta(weeks=4)


def test_holidays_and_weekends_are_skipped() -> None:
    start = dt.date(2026, 3, 27)  # a Friday; Easter Monday 6 April lies in the 20 days
    expected = _count_by_hand(start, 20, {EASTER[2026] + dt.timedelta(days=1)})
    assert trainingdays.registration_deadline(start) == expected
    plain = _count_by_hand(start, 20, set())
    assert expected == plain + dt.timedelta(days=1 if plain.weekday() < 4 else 3)


def test_the_start_day_itself_is_not_counted() -> None:
    saturday = dt.date(2026, 9, 5)
    assert trainingdays.training_day_after(saturday, 1) == dt.date(2026, 9, 7)
    assert trainingdays.training_day_after(dt.date(2026, 9, 7), 1) == dt.date(2026, 9, 8)
    assert not trainingdays.is_training_day(dt.date(2026, 11, 11))
