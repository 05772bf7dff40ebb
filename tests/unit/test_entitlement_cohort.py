"""Cohort-level metrics (SEMANTICS 4), with Peterborough's published numbers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from contract_specs.model import (
    Cohort,
    CohortMetric,
    ContractCaps,
    ContractSpec,
    Direction,
    Payer,
    PerUnitAboveThreshold,
    SlidingScale,
    Tier,
    Tiers,
)
from ledger.domain.entitlement import compute_entitlement, facts_from_rows
from tests.reference.specs import START, make_spec, schedule, shares

COHORTS = (
    Cohort("c1", "Cohort 1", START, date(2015, 12, 31)),
    Cohort("c2", "Cohort 2", START, date(2015, 12, 31)),
)
PER_COHORT = CohortMetric(
    "reconviction_cohort",
    "10% per cohort",
    ("c1", "c2"),
    Direction.LOWER_IS_BETTER,
    PerUnitAboveThreshold(Decimal("10"), Decimal("700.00")),
)
POOLED = CohortMetric(
    "reconviction_pooled",
    "7.5% pooled",
    ("c1", "c2"),
    Direction.LOWER_IS_BETTER,
    PerUnitAboveThreshold(Decimal("7.5"), Decimal("700.00")),
    pooled=True,
    net_of=("reconviction_cohort",),
)


def result(
    rid: str,
    metric: str,
    cohort: str,
    observed: str,
    comparison: str,
    units: int = 1000,
    on: str = "2016-06-30",
) -> dict[str, Any]:
    return {
        "result_id": rid,
        "metric": metric,
        "cohort": cohort,
        "observed": observed,
        "comparison": comparison,
        "units": units,
        "evaluated_on": on,
        "reference": "evaluation",
    }


def amounts(spec: ContractSpec, results: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    lines = compute_entitlement(spec, facts_from_rows(spec, [], [], results)).lines
    return {(r.participant_id, r.metric): int(r.amount) for r in lines.itertuples()}


@pytest.mark.parametrize(
    ("observed", "paid"),
    [
        ("1.42", 0),  # cohort 1: 142 vs 155 events per 100 is 8.4%: nothing
        ("1.3951", 0),  # 9.99%: just below the trigger
        ("1.395", 10850000),  # exactly 10%: 0.155 x 1000 events x 700.00
        ("1.3949", 10857000),  # just above: a fraction of an event is paid (155.1 x 700)
        ("1.60", 0),  # worse than the comparison
    ],
)
def test_per_unit_above_threshold_at_the_trigger(observed: str, paid: int) -> None:
    spec = make_spec([], cohorts=COHORTS, cohort_metrics=(PER_COHORT,))
    got = amounts(spec, [result("R1", "reconviction_cohort", "c1", observed, "1.55")])
    assert got == {("cohort:c1", "reconviction_cohort"): paid}


def test_pooled_result_pays_net_of_what_the_cohorts_were_paid() -> None:
    spec = make_spec([], cohorts=COHORTS, cohort_metrics=(PER_COHORT, POOLED))
    got = amounts(
        spec,
        [
            result("R1", "reconviction_cohort", "c1", "1.395", "1.55"),  # 10%: 108,500.00
            result("R2", "reconviction_cohort", "c2", "1.42", "1.55"),  # 8.4%: nothing
            # 9.03% over both cohorts: 0.14 x 2000 x 700 = 196,000.00 less 108,500.00
            result("R3", "reconviction_pooled", "pool", "1.41", "1.55", units=2000),
        ],
    )
    assert got == {
        ("cohort:c1", "reconviction_cohort"): 10850000,
        ("cohort:c2", "reconviction_cohort"): 0,
        ("cohort:pool", "reconviction_pooled"): 8750000,
    }


def test_a_later_result_supersedes_an_earlier_one() -> None:
    spec = make_spec([], cohorts=COHORTS, cohort_metrics=(PER_COHORT,))
    got = amounts(
        spec,
        [
            result("R2", "reconviction_cohort", "c1", "1.42", "1.55", on="2017-01-31"),
            result("R1", "reconviction_cohort", "c1", "1.395", "1.55", on="2016-06-30"),
        ],
    )
    assert got == {("cohort:c1", "reconviction_cohort"): 0}


TIERS = Tiers(
    (Tier(Decimal("5"), payment=Decimal("10000.00")), Tier(Decimal("10"), price=Decimal("50.00")))
)


@pytest.mark.parametrize(
    ("observed", "paid"),
    [
        ("0.52", 0),  # 4%: below every band
        ("0.525", 1000000),  # 5% exactly: the first band's payment
        ("0.549", 1000000),  # 9.8%
        ("0.55", 250000),  # 10%: 0.05 x 1000 units x 50.00 (the highest band reached pays)
        ("0.56", 300000),
    ],
)
def test_tiers_pay_the_highest_band_reached(observed: str, paid: int) -> None:
    metric = CohortMetric("attendance", "Attendance", ("c1",), Direction.HIGHER_IS_BETTER, TIERS)
    spec = make_spec([], cohorts=COHORTS, cohort_metrics=(metric,))
    assert amounts(spec, [result("R1", "attendance", "c1", observed, "0.50")]) == {
        ("cohort:c1", "attendance"): paid
    }


@pytest.mark.parametrize(
    ("observed", "comparison", "maximum", "paid"),
    [
        ("1.05", "1.00", "50000.00", 0),  # 5%: the lower end pays nothing
        ("1.10", "1.00", "50000.00", 2500000),  # 10%: half way
        ("1.15", "1.00", "50000.00", 5000000),  # 15%: the maximum
        ("1.30", "1.00", "50000.00", 5000000),  # beyond: still the maximum
        # 0.2 / 3 = 6.666...%: a sixth of the maximum, 8,333.333... rounded once, at the end
        ("3.20", "3.00", "50000.00", 833333),
        ("1.10", "1.00", "0.03", 2),  # half of 3p is 1.5p: half-up
    ],
)
def test_sliding_scale(observed: str, comparison: str, maximum: str, paid: int) -> None:
    rule = SlidingScale(Decimal("5"), Decimal("15"), Decimal(maximum))
    metric = CohortMetric("wellbeing", "Wellbeing", ("c1",), Direction.HIGHER_IS_BETTER, rule)
    spec = make_spec([], cohorts=COHORTS, cohort_metrics=(metric,))
    assert amounts(spec, [result("R1", "wellbeing", "c1", observed, comparison)]) == {
        ("cohort:c1", "wellbeing"): paid
    }


def test_cohort_lines_are_split_and_capped_like_any_line_but_not_by_participant_caps() -> None:
    spec = make_spec(
        [],
        cohorts=COHORTS,
        cohort_metrics=(PER_COHORT,),
        payers=(Payer("moj"), Payer("big-lottery")),
        payer_shares=schedule((START, shares(moj="70", big_lottery="30"))),
        caps=ContractCaps(per_participant=Decimal("100.00"), contract=Decimal("100000.00")),
    )
    facts = facts_from_rows(
        spec, [], [], [result("R1", "reconviction_cohort", "c1", "1.395", "1.55")]
    )
    lines = compute_entitlement(spec, facts).lines
    assert {r.payer: int(r.amount) for r in lines.itertuples()} == {
        "moj": 7000000,
        "big-lottery": 3000000,
    }
    assert set(lines.cut_by) == {"contract_cap"}
    assert set(lines.evidence_ids) == {"R1"}
    assert set(lines.provider) == {""}
    assert set(lines.price) == {10850000}
