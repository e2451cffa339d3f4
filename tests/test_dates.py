"""Calendar days are judged in the country whose rule it is, never in the server's zone."""

from __future__ import annotations

import datetime as dt

import pytest

from ketenserver.dates import belgian_date, dutch_date, german_date


def test_a_late_utc_evening_is_already_the_next_day_in_the_netherlands_and_belgium():
    winter = dt.datetime(2026, 1, 15, 23, 30, tzinfo=dt.UTC)  # 00:30 CET
    summer = dt.datetime(2026, 7, 15, 22, 30, tzinfo=dt.UTC)  # 00:30 CEST
    for moment in (winter, summer):
        next_day = (moment + dt.timedelta(days=1)).date()
        assert dutch_date(moment) == belgian_date(moment) == german_date(moment) == next_day
    assert dutch_date(dt.datetime(2026, 7, 15, 21, 30, tzinfo=dt.UTC)) == dt.date(2026, 7, 15)  # 23:30 CEST


def test_a_naive_moment_has_no_calendar_day():
    with pytest.raises(ValueError, match="naive"):
        dutch_date(dt.datetime(2026, 1, 15, 12, 0))
