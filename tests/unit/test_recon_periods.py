"""Payment periods: ids, their first and last days, the periods of a contract, when each is due."""

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract_specs.model import Contract, Frequency
from reconciliation.errors import PeriodError
from reconciliation.periods import (
    Period,
    contract_periods,
    parse_period,
    period_containing,
)

Q, M = Frequency.QUARTERLY, Frequency.MONTHLY


@pytest.mark.parametrize(
    ("text", "frequency", "start", "end"),
    [
        ("2025-Q1", Q, date(2025, 1, 1), date(2025, 3, 31)),
        ("2025-Q3", Q, date(2025, 7, 1), date(2025, 9, 30)),
        ("2025-Q4", Q, date(2025, 10, 1), date(2025, 12, 31)),
        ("2024-02", M, date(2024, 2, 1), date(2024, 2, 29)),
        ("2025-02", M, date(2025, 2, 1), date(2025, 2, 28)),
        (" 2025-07 ", M, date(2025, 7, 1), date(2025, 7, 31)),
    ],
)
def test_a_period_id_gives_its_first_and_last_day(
    text: str, frequency: Frequency, start: date, end: date
) -> None:
    period = parse_period(text, frequency)
    assert (period.start, period.end) == (start, end)
    assert period.id == text.strip()


@pytest.mark.parametrize(
    ("period", "after"),
    [
        ("2025-Q4", "2026-Q1"),
        ("2025-Q1", "2025-Q2"),
        ("2025-12", "2026-01"),
        ("2025-07", "2025-08"),
    ],
)
def test_next_period_rolls_over_the_year(period: str, after: str) -> None:
    frequency = Q if "Q" in period else M
    assert parse_period(period, frequency).next().id == after
    assert parse_period(after, frequency).previous().id == period


@pytest.mark.parametrize(
    ("text", "frequency", "says"),
    [
        ("2025-07", Q, "paid quarterly"),
        ("2025-Q3", M, "paid monthly"),
        ("2025-Q5", Q, "YYYY-Qn"),
        ("2025-13", M, "YYYY-MM"),
        ("Q3 2025", Q, "not a period id"),
        ("", M, "not a period id"),
    ],
)
def test_a_wrong_period_id_says_what_to_type(text: str, frequency: Frequency, says: str) -> None:
    with pytest.raises(PeriodError) as raised:
        parse_period(text, frequency, place="--period")
    (problem,) = raised.value.problems
    assert problem.place == "--period"
    assert says in problem.message
    assert ("2025-Q3" if frequency is Q else "2025-07") in problem.message


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)), st.sampled_from([Q, M]))
def test_every_day_lies_in_exactly_its_period(day: date, frequency: Frequency) -> None:
    period = period_containing(day, frequency)
    assert period.contains(day)
    assert not period.previous().contains(day)
    assert not period.next().contains(day)
    assert period.next().start == period.end + timedelta(days=1)
    assert parse_period(period.id, frequency) == period


def contract(**changes: Any) -> Contract:
    fields: dict[str, Any] = {
        "id": "fcf",
        "name": "Fair Chance",
        "currency": "GBP",
        "payment_frequency": Q,
        "service_start": date(2015, 1, 15),
        "last_outcome_date": date(2017, 11, 20),
        "payment_terms_days": 30,
    }
    fields.update(changes)
    return Contract(**fields)


def test_contract_periods_run_from_service_start_to_last_outcome_plus_lag() -> None:
    periods = contract_periods(contract())
    assert periods[0].id == "2015-Q1"
    # 20 Nov 2017 + 30 days of payment terms is 20 Dec 2017: still Q4
    assert periods[-1].id == "2017-Q4"
    assert len(periods) == 12
    assert contract_periods(contract(), lag_days=60)[-1].id == "2018-Q1"


def test_monthly_contract_periods_are_months() -> None:
    periods = contract_periods(
        contract(payment_frequency=M, last_outcome_date=date(2015, 3, 1)), lag_days=0
    )
    assert [p.id for p in periods] == ["2015-01", "2015-02", "2015-03"]


def test_contract_without_last_outcome_date_needs_an_end() -> None:
    with pytest.raises(PeriodError) as raised:
        contract_periods(contract(last_outcome_date=None))
    assert raised.value.problems[0].place == "contract.last_outcome_date"
    periods = contract_periods(contract(last_outcome_date=None), until=date(2015, 5, 1))
    assert [p.id for p in periods] == ["2015-Q1", "2015-Q2"]


def test_periods_order_by_time() -> None:
    assert Period(2025, 4, Q) < Period(2026, 1, Q)
    assert sorted([Period(2025, 12, M), Period(2025, 2, M)])[0].id == "2025-02"


def test_a_period_is_due_the_midnight_after_its_end_plus_the_delay() -> None:
    from datetime import datetime

    from reconciliation.periods import due_at

    q3 = parse_period("2015-Q3", Q)
    assert due_at(q3, timedelta(days=5, hours=6)) == datetime(2015, 10, 6, 6, 0)


def test_periods_due_are_ended_plus_delay_and_not_done() -> None:
    from datetime import datetime

    from reconciliation.periods import periods_due

    delay = timedelta(days=5)
    just_before = datetime(2015, 10, 5, 23, 59)
    at = datetime(2015, 10, 6)
    assert [p.id for p in periods_due(contract(), just_before, delay, set())] == [
        "2015-Q1",
        "2015-Q2",
    ]
    assert [p.id for p in periods_due(contract(), at, delay, {"2015-Q1"})] == [
        "2015-Q2",
        "2015-Q3",
    ]
    # the last outcome date bounds the periods however late it is
    years_later = periods_due(contract(), datetime(2030, 1, 1), delay, set())
    assert years_later[-1].id == "2017-Q4"
    open_ended = contract(last_outcome_date=None)
    assert periods_due(open_ended, datetime(2016, 1, 10), delay, set())[-1].id == "2015-Q4"
