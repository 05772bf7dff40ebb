"""Flags on hand-made evidence: consecutive-period triggers and deviations from the recent normal.

The contract pays an entry and a 3-month sustainment; each quarter some entries fall due for
sustainment 3 months later and some of them sustain. Rates are worked out by hand below.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd

from contract_specs.model import (
    ContractSpec,
    Dated,
    Duration,
    Metric,
    Prerequisite,
    Schedule,
    Trigger,
)
from reconciliation.periods import Period, period_containing, periods_between
from reporting.flags import deviation_flags, rates, trigger_flags
from tests.conftest import small_spec

Q = small_spec().contract.payment_frequency
PRICE = Schedule((Dated(date(2015, 1, 1), Decimal("1")),))
ENTRY = Metric("entry", "Entry", PRICE)
SUSTAINED = Metric(
    "sustained",
    "Sustained 3 months",
    PRICE,
    prerequisites=(Prerequisite("entry", Duration(months=3)),),
)


def spec(*triggers: Trigger) -> ContractSpec:
    return replace(small_spec(), metrics=(ENTRY, SUSTAINED), triggers=triggers)


def quarters(first: str, last: str) -> list[Period]:
    start = period_containing(date.fromisoformat(first), Q)
    return list(periods_between(start, period_containing(date.fromisoformat(last), Q)))


def evidence(plan: dict[date, tuple[int, int]]) -> pd.DataFrame:
    """For each entry day: (entries, of which sustained 3 months later), one person each."""
    rows = []
    number = 0
    for day, (entered, sustained) in plan.items():
        for k in range(entered):
            number += 1
            pid = f"P{number:03d}"
            rows.append((f"E{number}a", pid, "entry", day, "verified"))
            if k < sustained:
                rows.append((f"E{number}b", pid, "sustained", day + timedelta(days=95), "verified"))
    frame = pd.DataFrame(
        rows, columns=["evidence_id", "participant_id", "metric", "achieved_on", "status"]
    )
    frame["achieved_on"] = pd.to_datetime(frame["achieved_on"])
    return frame


# entries in the middle of each quarter of 2015 fall due in the next quarter
PLAN = {
    date(2015, 2, 1): (10, 9),  # due 2015-Q2: 90%
    date(2015, 5, 1): (10, 6),  # due 2015-Q3: 60%
    date(2015, 8, 1): (10, 5),  # due 2015-Q4: 50%
}
LOW = Trigger(
    "low",
    "Sustainment below 70% of entries",
    "sustained",
    "entry",
    below_percent=Decimal("70"),
    consecutive_periods=2,
)


def test_rates_are_of_those_due_in_the_period() -> None:
    values = rates(SUSTAINED, "entry", evidence(PLAN), quarters("2015-01-01", "2015-12-31"))
    assert [(v.period, v.achieved, v.due, v.text()) for v in values] == [
        ("2015-Q1", 0, 0, "nothing due"),
        ("2015-Q2", 9, 10, "90.0% (9 of 10)"),
        ("2015-Q3", 6, 10, "60.0% (6 of 10)"),
        ("2015-Q4", 5, 10, "50.0% (5 of 10)"),
    ]


def test_a_trigger_needs_every_one_of_its_consecutive_periods() -> None:
    data = evidence(PLAN)
    assert trigger_flags(spec(LOW), data, quarters("2015-01-01", "2015-09-30")) == []  # Q2 90%
    fired = trigger_flags(spec(LOW), data, quarters("2015-01-01", "2015-12-31"))
    assert [(row[2], row[3], row[4]) for row in fired] == [
        ("sustained", "2015-Q4", "50.0% (5 of 10)")
    ]
    assert "2015-Q3: 60.0% (6 of 10); 2015-Q4: 50.0% (5 of 10)" in str(fired[0][6])


def test_a_period_with_nothing_due_never_fires() -> None:
    one = replace(LOW, consecutive_periods=1)
    assert trigger_flags(spec(one), evidence(PLAN), quarters("2015-01-01", "2015-03-31")) == []


def test_an_above_trigger() -> None:
    high = replace(LOW, below_percent=None, above_percent=Decimal("85"), consecutive_periods=1)
    fired = trigger_flags(spec(high), evidence(PLAN), quarters("2015-01-01", "2015-06-30"))
    assert [row[5] for row in fired] == ["above 85%"]


# 40 entries a quarter, sustaining at 80%, 80%, 70%, 80%: mean 77.5%, sample deviation 5.0;
# the sampling error of a rate over 40 people at 77.5% is 100 x sqrt(.775 x .225 / 40) = 6.6
STEADY = {
    date(2015, 2, 1): (40, 32),
    date(2015, 5, 1): (40, 32),
    date(2015, 8, 1): (40, 28),
    date(2015, 11, 1): (40, 32),
}
SINCE = quarters("2015-01-01", "2016-06-30")


def starts(data: pd.DataFrame) -> pd.DataFrame:
    entries = data[data["metric"] == "entry"]
    return pd.DataFrame(
        {"participant_id": entries["participant_id"], "start_date": entries["achieved_on"]}
    )


def sustained_flags(last: tuple[int, int]) -> list[tuple[object, ...]]:
    data = evidence({**STEADY, date(2016, 2, 1): last})
    return [r for r in deviation_flags(spec(), data, SINCE, starts(data)) if r[2] == "sustained"]


def test_a_normal_quarter_is_not_flagged() -> None:
    assert sustained_flags((40, 32)) == []  # 80%


def test_a_drop_of_two_spreads_is_flagged_with_its_numbers() -> None:
    (flag,) = sustained_flags((40, 12))  # 30%: (30 - 77.5) / 6.6 = -7.2 spreads
    assert "drop" in str(flag[1])
    assert (flag[3], flag[4], flag[5]) == ("2016-Q2", "30.0% (12 of 40)", "mean 77.5%, spread 6.6")
    assert str(flag[6]).startswith("-7.2 spreads from the mean of 2015-Q2: 80.0% (32 of 40)")


def test_a_rise_is_flagged_too() -> None:
    (flag,) = sustained_flags((40, 40))  # 100%: 22.5 / 6.6 = 3.4 spreads
    assert "rise" in str(flag[1])
    assert str(flag[6]).startswith("3.4 spreads")


def test_a_small_number_due_is_never_compared() -> None:
    # 2 of 9 is 22%, far below the normal, but 9 people are too few to read anything into
    assert sustained_flags((9, 2)) == []


def test_the_sampling_error_keeps_a_wobble_over_few_people_quiet() -> None:
    # 6 of 10 (60%) is 3.5 deviations of 5.0 below 77.5%, but within 2 sampling errors (13.2)
    assert sustained_flags((10, 6)) == []


def test_metrics_without_prerequisites_fall_due_at_start() -> None:
    data = evidence(PLAN)
    people = starts(data).assign(start_date=lambda f: f["start_date"] - pd.Timedelta(days=10))
    values = rates(ENTRY, None, data, quarters("2015-01-01", "2015-12-31"), people)
    assert [v.text() for v in values] == [
        "100.0% (10 of 10)",
        "100.0% (10 of 10)",
        "100.0% (10 of 10)",
        "nothing due",
    ]
