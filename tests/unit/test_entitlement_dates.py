"""Calendar arithmetic on day numbers: month ends, windows, gaps and ages."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from contract_specs.model import AgeAtStart, Duration, Metric, Prerequisite
from ledger.domain.entitlement import compute_entitlement, facts_from_rows
from ledger.domain.entitlement.dates import add_months, age_in_years, day_number, from_day_number
from tests.reference.specs import fact, make_spec, person, prices


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ("2015-01-31", 1, "2015-02-28"),
        ("2016-01-31", 1, "2016-02-29"),  # leap year
        ("2015-03-31", -1, "2015-02-28"),
        ("2016-02-29", 12, "2017-02-28"),
        ("2015-11-15", 3, "2016-02-15"),
        ("2015-08-31", 1, "2015-09-30"),
        ("2015-12-31", 0, "2015-12-31"),
        ("2015-01-01", -13, "2013-12-01"),
    ],
)
def test_add_months_clips_to_the_month_end(start: str, months: int, expected: str) -> None:
    days = np.array([day_number(date.fromisoformat(start))], dtype=np.int64)
    assert from_day_number(int(add_months(days, months)[0])) == date.fromisoformat(expected)


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        ("2000-03-01", "2015-02-28", 14),
        ("2000-03-01", "2015-03-01", 15),  # birthday: a year older
        ("2000-02-29", "2015-02-28", 14),  # a leap-day birthday is not reached on 28 Feb
        ("2000-02-29", "2015-03-01", 15),
        ("2000-02-29", "2016-02-29", 16),
    ],
)
def test_age_in_whole_years(birth: str, on: str, age: int) -> None:
    births = np.array([day_number(date.fromisoformat(birth))], dtype=np.int64)
    ons = np.array([day_number(date.fromisoformat(on))], dtype=np.int64)
    assert age_in_years(births, ons).tolist() == [age]


@pytest.mark.parametrize(
    ("start", "achieved", "reason"),
    [
        ("2015-01-31", "2015-02-28", None),  # the window ends on the clipped month end
        ("2015-01-31", "2015-03-01", "outside_window"),
        ("2016-01-31", "2016-02-29", None),
        ("2016-01-31", "2016-03-01", "outside_window"),
        ("2015-01-31", "2015-01-30", "before_start"),
        ("2015-01-31", "2015-01-31", None),  # on the start date itself
    ],
)
def test_window_of_one_month(start: str, achieved: str, reason: str | None) -> None:
    spec = make_spec([Metric("entry", "Entry", tariff=prices("100.00"), window=Duration(months=1))])
    facts = facts_from_rows(spec, [person("P1", start)], [fact("E1", "P1", "entry", achieved)])
    result = compute_entitlement(spec, facts)
    assert result.not_payable.reason.tolist() == ([] if reason is None else [reason])
    assert len(result.lines) == (1 if reason is None else 0)


@pytest.mark.parametrize(
    ("entry", "sustained", "ok"),
    [
        ("2015-05-31", "2015-08-31", True),  # three months exactly
        ("2015-05-31", "2015-08-30", False),  # a day short
        # the gap counts back from the later date (SEMANTICS 3.3: entry <= this - gap), and
        # 29 Feb 2016 - 3 months is 29 Nov: an entry on 30 Nov is a day short there ...
        ("2015-11-30", "2016-02-29", False),
        ("2015-11-30", "2016-03-01", True),  # ... and in time a day later
        ("2015-11-29", "2016-02-29", True),
    ],
)
def test_prerequisite_gap_in_months(entry: str, sustained: str, ok: bool) -> None:
    spec = make_spec(
        [
            Metric("entry", "Entry", tariff=prices("100.00")),
            Metric(
                "sustained",
                "Sustained",
                tariff=prices("200.00"),
                prerequisites=(Prerequisite("entry", Duration(months=3)),),
            ),
        ]
    )
    facts = facts_from_rows(
        spec,
        [person("P1", "2015-02-01")],
        [fact("E1", "P1", "entry", entry), fact("E2", "P1", "sustained", sustained)],
    )
    result = compute_entitlement(spec, facts)
    assert ("sustained" in set(result.lines.metric)) == ok
    assert result.not_payable.reason.tolist() == ([] if ok else ["prerequisite_not_met"])


@pytest.mark.parametrize(
    ("birth", "reason"),
    [
        ("2001-02-01", None),  # turns 14 on the start date
        ("2001-02-02", "condition_not_met"),  # still 13
        ("2000-02-02", None),  # still 14, 15 the next day
        ("2000-02-01", "condition_not_met"),  # turns 15 on the start date
    ],
)
def test_age_at_start_condition(birth: str, reason: str | None) -> None:
    # "aged 14 at start", the start date being 2015-02-01
    spec = make_spec(
        [
            Metric(
                "school",
                "School",
                tariff=prices("100.00"),
                conditions=(AgeAtStart("date_of_birth", min=14, max=14),),
            )
        ]
    )
    facts = facts_from_rows(
        spec,
        [person("P1", "2015-02-01", date_of_birth=birth)],
        [fact("E1", "P1", "school", "2015-03-01")],
    )
    assert compute_entitlement(spec, facts).not_payable.reason.tolist() == (
        [] if reason is None else [reason]
    )
