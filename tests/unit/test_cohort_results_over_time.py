"""Cohort results (issue 16, item 5): an absolute effect in points, a comparison of zero, and a
series of results over time where a later one nets off, and claws back, an earlier payment."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from contract_specs.model import (
    CohortMetric,
    ContractSpec,
    Direction,
    Effect,
    PerUnitAboveThreshold,
    Results,
    SlidingScale,
)
from ledger.domain.entitlement import compute_entitlement, facts_from_rows
from tests.reference.entitlement import reference_entitlement
from tests.reference.specs import make_spec, metric


def spec_of(rule: PerUnitAboveThreshold | SlidingScale, results: Results) -> ContractSpec:
    measured = CohortMetric(
        "attainment",
        "Points gained",
        ("c1",),
        Direction.HIGHER_IS_BETTER,
        rule,
        effect=Effect.ABSOLUTE,
        results=results,
    )
    return make_spec([metric("unused")], cohort_metrics=(measured,))


def result(rid: str, observed: str, comparison: str, on: str, units: int = 100) -> dict[str, Any]:
    return {
        "result_id": rid,
        "metric": "attainment",
        "cohort": "c1",
        "observed": observed,
        "comparison": comparison,
        "units": units,
        "evaluated_on": date.fromisoformat(on),
        "reference": "",
    }


def owed(spec: ContractSpec, results: list[dict[str, Any]]) -> dict[int, int]:
    """Amount per occurrence (result number); the reference agrees."""
    lines = compute_entitlement(spec, facts_from_rows(spec, [], [], results)).lines
    got = {int(n): int(a) for n, a in zip(lines.occurrence, lines.amount, strict=True)}
    reference = reference_entitlement(spec, [], [], results)
    assert {x.occurrence: x.amount for x in reference.lines} == got
    return got


@pytest.mark.parametrize(
    ("observed", "paid"),
    [("4.99", 0), ("5.00", 500000), ("5.01", 501000)],  # below, at and above 5 points
)
def test_an_absolute_effect_against_a_comparison_of_zero(observed: str, paid: int) -> None:
    spec = spec_of(PerUnitAboveThreshold(Decimal("5"), Decimal("10.00")), Results.LATEST)
    # improvement: (observed - 0) x 100 units x 10.00
    assert owed(spec, [result("R1", observed, "0", "2016-06-30")]) == {1: paid}


def test_a_relative_effect_against_zero_stays_zero() -> None:
    spec = spec_of(PerUnitAboveThreshold(Decimal("5"), Decimal("10.00")), Results.LATEST)
    relative = replace(spec.cohort_metrics[0], effect=Effect.RELATIVE)
    spec = replace(spec, cohort_metrics=(relative,))
    assert owed(spec, [result("R1", "5.00", "0", "2016-06-30")]) == {1: 0}


def test_each_result_pays_what_it_adds_and_a_lower_one_claws_back() -> None:
    spec = spec_of(
        SlidingScale(Decimal("0"), Decimal("10"), Decimal("1000.00")), Results.CUMULATIVE
    )
    year_1 = result("R1", "4", "0", "2016-06-30")  # 40% of 1000
    year_2 = result("R2", "7", "0", "2017-06-30")  # 70%: 300 more
    year_3 = result("R3", "5", "0", "2018-06-30")  # 50%: 200 back from year 2
    assert owed(spec, [year_1]) == {1: 40000}
    assert owed(spec, [year_1, year_2]) == {1: 40000, 2: 30000}
    assert owed(spec, [year_1, year_2, year_3]) == {1: 40000, 2: 10000, 3: 0}
    # below the first: even year 1 is paid back in part
    year_3 = result("R3", "1", "0", "2018-06-30")
    assert owed(spec, [year_1, year_2, year_3]) == {1: 10000, 2: 0, 3: 0}


def test_with_latest_only_the_last_evaluation_counts() -> None:
    spec = spec_of(SlidingScale(Decimal("0"), Decimal("10"), Decimal("1000.00")), Results.LATEST)
    rows = [result("R1", "4", "0", "2016-06-30"), result("R2", "7", "0", "2017-06-30")]
    assert owed(spec, rows) == {1: 70000}
