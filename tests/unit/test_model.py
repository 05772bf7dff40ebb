"""The spec model's value types: calendar durations, dated schedules, money in minor units."""

from datetime import date
from decimal import Decimal

import pytest

from contract_specs.model import Dated, Duration, Schedule, add_months, from_minor, to_minor


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2015, 1, 31), 1, date(2015, 2, 28)),
        (date(2016, 1, 31), 1, date(2016, 2, 29)),
        (date(2015, 11, 15), 3, date(2016, 2, 15)),
        (date(2015, 3, 31), -1, date(2015, 2, 28)),
    ],
)
def test_calendar_months_clip_the_day(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_duration_adds_months_then_days() -> None:
    assert Duration(months=3).after(date(2015, 2, 1)) == date(2015, 5, 1)
    assert Duration(weeks=13).after(date(2015, 1, 1)) == date(2015, 4, 2)
    assert Duration(days=91).before(date(2015, 4, 2)) == date(2015, 1, 1)


def test_schedule_returns_value_in_force() -> None:
    schedule = Schedule((Dated(date(2015, 1, 1), 1), Dated(date(2016, 4, 1), 2)))
    assert schedule.at(date(2014, 12, 31)) is None
    assert schedule.at(date(2016, 3, 31)) == 1
    assert schedule.at(date(2016, 4, 1)) == 2


@pytest.mark.parametrize(
    ("amount", "exponent", "minor", "back"),
    [
        (Decimal("1.005"), 2, 101, "1.01"),
        (Decimal("1.0049"), 2, 100, "1.00"),
        (Decimal("-2.5"), 0, -3, "-3"),
        (Decimal("12"), 0, 12, "12"),
    ],
)
def test_minor_units_round_half_up(amount: Decimal, exponent: int, minor: int, back: str) -> None:
    assert to_minor(amount, exponent) == minor
    assert str(from_minor(minor, exponent)) == back
