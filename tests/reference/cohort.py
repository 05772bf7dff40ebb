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
    Effect,
    PerUnitAboveThreshold,
    Results,
    SlidingScale,
    Tiers,
)
from tests.reference.entitlement import Occurrence, Row, shares_on


def effect_and_improvement(metric: CohortMetric, result: Row) -> tuple[Fraction, Fraction]:
    observed = Fraction(Decimal(str(result["observed"])))
    comparison = Fraction(Decimal(str(result["comparison"])))
    if metric.direction == Direction.LOWER_IS_BETTER:
        gain = comparison - observed
    else:
        gain = observed - comparison
    if metric.effect == Effect.ABSOLUTE:
        effect = gain  # points, not percent: a comparison of 0 is fine
    elif comparison == 0:
        return Fraction(0), Fraction(0)
    else:
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
    return floor(amount * Fraction(10) ** exponent + Fraction(1, 2))


def cohort_occurrences(spec: ContractSpec, results: Sequence[Row]) -> list[Occurrence]:
    exponent = spec.contract.exponent
    by_id = {m.id: m for m in spec.cohort_metrics}
    series: dict[tuple[str, str], list[Row]] = {}
    for result in results:
        metric = by_id.get(result["metric"])
        if metric is None:
            continue
        if (result["cohort"] == "pool") != metric.pooled:
            continue
        if not metric.pooled and result["cohort"] not in metric.cohorts:
            continue
        series.setdefault((result["metric"], result["cohort"]), []).append(result)
    for key, rows in series.items():
        rows.sort(key=lambda r: (r["evaluated_on"], r["result_id"]))
        if by_id[key[0]].results != Results.CUMULATIVE:
            series[key] = rows[-1:]  # the latest evaluation replaces the others
    gross = {
        key: [half_up(rule_amount(by_id[key[0]], r), exponent) for r in rows]
        for key, rows in series.items()
    }
    occurrences = []
    for (metric_id, cohort), rows in series.items():
        metric = by_id[metric_id]
        covered = set(metric.cohorts) if cohort == "pool" else {cohort}
        already = sum(
            values[-1]
            for (other, other_cohort), values in gross.items()
            if other in metric.net_of and (other_cohort in covered or other_cohort == "pool")
        )
        amounts = [max(0, amount - already) for amount in gross[(metric_id, cohort)]]
        owed = amounts[-1]  # what the whole series owes: the latest result's amount
        paid = 0
        for k, (result, amount) in enumerate(zip(rows, amounts, strict=True), start=1):
            if metric.results == Results.CUMULATIVE:
                # each result pays what it adds to those before it, never past what is owed
                amount = max(0, min(amount, owed) - paid)
                paid += amount
            occurrences.append(
                Occurrence(
                    participant_id=f"cohort:{cohort}",
                    metric=metric_id,
                    achieved_on=result["evaluated_on"],
                    evidence_ids=[result["result_id"]],
                    position=spec.metric_position(metric_id),
                    price=amount,
                    n=k,
                    cohort=cohort,
                    provider="",
                    has_participant_cap=False,
                    shares=shares_on(spec, metric.payer_shares, result["evaluated_on"]),
                )
            )
    return occurrences
