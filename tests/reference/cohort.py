"""Reference cohort-level payments (SEMANTICS 4): one occurrence per current result."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from math import floor

from contract_specs.model import (
    CohortMetric,
    ContractSpec,
    Direction,
    PerUnitAboveThreshold,
    SlidingScale,
    Tiers,
)
from tests.reference.entitlement import Occurrence, Row, shares_on


def effect_and_improvement(metric: CohortMetric, result: Row) -> tuple[Fraction, Fraction]:
    observed = Fraction(Decimal(str(result["observed"])))
    comparison = Fraction(Decimal(str(result["comparison"])))
    if comparison == 0:
        return Fraction(0), Fraction(0)
    if metric.direction == Direction.LOWER_IS_BETTER:
        gain = comparison - observed
    else:
        gain = observed - comparison
    effect = gain / comparison * 100
    improvement = abs(gain) * int(result["units"]) if gain > 0 else Fraction(0)
    return effect, improvement


def rule_amount(metric: CohortMetric, result: Row) -> Fraction:
    effect, improvement = effect_and_improvement(metric, result)
    rule = metric.rule
    if isinstance(rule, PerUnitAboveThreshold):
        if effect >= Fraction(rule.threshold_percent):
            return Fraction(rule.price) * improvement
        return Fraction(0)
    if isinstance(rule, Tiers):
        reached = [b for b in rule.bands if Fraction(b.min_effect_percent) <= effect]
        if not reached:
            return Fraction(0)
        band = max(reached, key=lambda b: b.min_effect_percent)
        if band.payment is not None:
            return Fraction(band.payment)
        return Fraction(band.price or 0) * improvement
    if isinstance(rule, SlidingScale):
        lower, upper = Fraction(rule.lower_percent), Fraction(rule.upper_percent)
        if effect <= lower:
            return Fraction(0)
        if effect >= upper:
            return Fraction(rule.maximum)
        return Fraction(rule.maximum) * (effect - lower) / (upper - lower)
    raise TypeError(rule)


def half_up(amount: Fraction, exponent: int) -> int:
    return floor(amount * 10**exponent + Fraction(1, 2))


def cohort_occurrences(spec: ContractSpec, results: Sequence[Row]) -> list[Occurrence]:
    exponent = spec.contract.exponent
    by_id = {m.id: m for m in spec.cohort_metrics}
    current: dict[tuple[str, str], Row] = {}
    for result in results:
        metric = by_id.get(result["metric"])
        if metric is None:
            continue
        if (result["cohort"] == "pool") != metric.pooled:
            continue
        if not metric.pooled and result["cohort"] not in metric.cohorts:
            continue
        key = (result["metric"], result["cohort"])
        old = current.get(key)
        if old is None or (result["evaluated_on"], result["result_id"]) > (
            old["evaluated_on"],
            old["result_id"],
        ):
            current[key] = result
    gross = {key: half_up(rule_amount(by_id[key[0]], r), exponent) for key, r in current.items()}
    occurrences = []
    for (metric_id, cohort), result in current.items():
        metric = by_id[metric_id]
        amount = gross[(metric_id, cohort)]
        covered = set(metric.cohorts) if cohort == "pool" else {cohort}
        already = sum(
            value
            for (other, other_cohort), value in gross.items()
            if other in metric.net_of and (other_cohort in covered or other_cohort == "pool")
        )
        amount = max(0, amount - already)
        occurrences.append(
            Occurrence(
                participant_id=f"cohort:{cohort}",
                metric=metric_id,
                achieved_on=result["evaluated_on"],
                evidence_ids=[result["result_id"]],
                position=spec.metric_position(metric_id),
                price=amount,
                n=1,
                cohort=cohort,
                provider="",
                has_participant_cap=False,
                shares=shares_on(spec, metric.payer_shares, result["evaluated_on"]),
            )
        )
    return occurrences
