"""Rules of agreements, nominations and mutations that need no database."""

from __future__ import annotations

import datetime as dt

import pytest

from ketenserver.recognitions import agreements
from ketenserver.recognitions.agreements import Agreement, NominationStatus

D = dt.date


def _agreement(planned_end: dt.date, ended_on: dt.date | None = None) -> Agreement:
    return Agreement(1, "S1", "100000001", "25173", D(2025, 9, 1), planned_end, "BOL", ended_on)


@pytest.mark.parametrize(("planned_end", "ended_on", "day", "running"), [
    (D(2026, 1, 31), None, D(2025, 8, 1), True),     # not yet started: the school relies on it already
    (D(2026, 1, 31), None, D(2026, 1, 31), True),    # last planned day
    (D(2026, 1, 31), None, D(2026, 2, 1), False),
    (D(2026, 1, 31), D(2025, 10, 1), D(2025, 10, 1), True),   # actual last day
    (D(2026, 1, 31), D(2025, 10, 1), D(2025, 10, 2), False),
])
def test_running_on(planned_end, ended_on, day, running):
    assert _agreement(planned_end, ended_on).is_running_on(day) is running


@pytest.mark.parametrize(("reference", "number"), [
    ("EV-000001", 1), ("EV-123456789", 123456789), ("EV-", None), ("XX-000001", None), ("EV-00a001", None),
    ("EV-٠٠٠٠٠١", None),  # Arabic-Indic digits are digits to str.isdigit, not to the contract
])
def test_nomination_reference_round_trip(reference, number):
    assert agreements.nomination_number(reference) == number
    if number is not None and number < 10**6:
        assert agreements.nomination_reference(number) == reference


def test_sbb_moves_nominations_forward_only():
    agreements.check_move(NominationStatus.ONTVANGEN, NominationStatus.IN_BEHANDELING)
    agreements.check_move(NominationStatus.IN_BEHANDELING, NominationStatus.ERKEND)
    for final in (NominationStatus.ERKEND, NominationStatus.AFGEWEZEN):
        with pytest.raises(ValueError):
            agreements.check_move(final, NominationStatus.IN_BEHANDELING)
    with pytest.raises(ValueError):
        agreements.check_move(NominationStatus.IN_BEHANDELING, NominationStatus.ONTVANGEN)


@pytest.mark.parametrize(("address", "accepted"), [
    ("https://sis.school.example/sbb-mutaties/2W-be-S", "https://sis.school.example/sbb-mutaties/2W-be-S"),
    ("  https://127.0.0.1:9443/x?tenant=25LX  ", "https://127.0.0.1:9443/x?tenant=25LX"),
    ("HTTPS://school.example/", "HTTPS://school.example/"),
    (None, None), ("   ", None),  # no address: pull only
])
def test_a_delivery_address_sbb_can_deliver_to(address, accepted):
    assert agreements.check_delivery_address(address) == accepted


@pytest.mark.parametrize("address", [
    "http://school.example/mutaties", "https://user:pw@school.example/m", "https://school.example/m#x",
    "https:///no-host", "https://school.example:0/m", "https://school.example:99999/m", "ftp://school.example/m",
    "https://school.example/a b", "https://school.example/" + "x" * 500, "https://[::1/m",
])
def test_a_delivery_address_sbb_cannot_deliver_to_is_sbb_1018(address):
    with pytest.raises(agreements.InvalidDeliveryAddress) as caught:
        agreements.check_delivery_address(address)
    assert caught.value.code == "SBB-1018" and caught.value.field == "Afleveradres"
    assert address.strip() not in caught.value.message  # the message states the rule, it never echoes input


def test_retries_wait_twice_as_long_each_time_up_to_the_cap():
    delays = [agreements.retry_delay(n, base=5, cap=3600).total_seconds() for n in range(1, 12)]
    assert delays == [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600]
    assert agreements.retry_delay(10_000, base=5, cap=3600).total_seconds() == 3600  # no overflow
    with pytest.raises(ValueError):
        agreements.retry_delay(0, base=5, cap=3600)
