"""Calendar days where the rules are judged: the shared date pieces of every feature.

A rule about a day (a start date, a deadline, the age of a student, a validity of five years) is
judged on the calendar of the country whose organisation applies it, at a timezone-aware moment
(business time from the call context, see :class:`ketenserver.context.CallContext`). A naive
datetime has no calendar day and is refused, so no rule silently runs on the server's zone.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

DUTCH_TIME = ZoneInfo("Europe/Amsterdam")
BELGIAN_TIME = ZoneInfo("Europe/Brussels")
GERMAN_TIME = ZoneInfo("Europe/Berlin")


def local_date(moment: dt.datetime, zone: ZoneInfo) -> dt.date:
    """The calendar day in *zone* at *moment* (timezone-aware)."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no calendar day; pass an aware one (UTC)")
    return moment.astimezone(zone).date()


def dutch_date(moment: dt.datetime) -> dt.date:
    """The calendar day in the Netherlands at *moment*: the day a Dutch rule is judged on."""
    return local_date(moment, DUTCH_TIME)


def belgian_date(moment: dt.datetime) -> dt.date:
    """The calendar day in Belgium at *moment*: the day a Flemish rule is judged on."""
    return local_date(moment, BELGIAN_TIME)


def german_date(moment: dt.datetime) -> dt.date:
    """The calendar day in Germany at *moment*."""
    return local_date(moment, GERMAN_TIME)
