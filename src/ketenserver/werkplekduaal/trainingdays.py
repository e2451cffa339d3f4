"""Training days (opleidingsdagen): Monday to Friday, Belgian public holidays excluded.

A provider registers a dual student's agreement by the 20th training day after the trajectory's
start (or after an early end): :func:`registration_deadline`. The legal public holidays of
Belgium are the fixed ones (1 January, 1 May, 21 July, 15 August, 1 November, 11 November,
25 December) and three that follow Easter: Easter Monday, Ascension Day (39 days after Easter)
and Whit Monday (50 days after). Easter Sunday and Whit Sunday fall on a Sunday anyway.
"""

from __future__ import annotations

import datetime as dt
import functools

DEADLINE_TRAINING_DAYS = 20
"""How many training days a provider has to register the agreement."""

_FIXED = ((1, 1), (5, 1), (7, 21), (8, 15), (11, 1), (11, 11), (12, 25))


def easter(year: int) -> dt.date:
    """Easter Sunday of the Gregorian calendar (the anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return dt.date(year, month, day + 1)


@functools.cache
def public_holidays(year: int) -> frozenset[dt.date]:
    """Belgium's ten legal public holidays in ``year``."""
    sunday = easter(year)
    moving = (sunday + dt.timedelta(days=1), sunday + dt.timedelta(days=39), sunday + dt.timedelta(days=50))
    return frozenset({dt.date(year, month, day) for month, day in _FIXED} | set(moving))


def is_training_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in public_holidays(day.year)


def training_day_after(start: dt.date, count: int) -> dt.date:
    """The ``count``-th training day after ``start`` (``start`` itself is not counted)."""
    if count < 1:
        raise ValueError("count is at least 1")
    day, found = start, 0
    while found < count:
        day += dt.timedelta(days=1)
        found += is_training_day(day)
    return day


def registration_deadline(start: dt.date) -> dt.date:
    """RegistratieUiterlijk: the :data:`DEADLINE_TRAINING_DAYS`-th training day after ``start``."""
    return training_day_after(start, DEADLINE_TRAINING_DAYS)
