"""Cohort-level outcome metrics (SEMANTICS 4): what each current result pays, before caps.

There are few results, so this is plain exact arithmetic (Fractions), rounded half-up to the
minor unit only at the end. The lines these amounts become take part in the caps like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from math import floor

import pandas as pd

from contract_specs.model import (
    CohortMetric,
    ContractSpec,
    Direction,
    PerUnitAboveThreshold,
    SlidingScale,
    Tiers,
)

POOL = "pool"


@dataclass(frozen=True)
class CohortPayment:
    metric: CohortMetric
    cohort: str  # a cohort id, or "pool"
    result_id: str
    evaluated_on: date
    amount: int  # minor units, after netting, before caps
    label: str  # how the amount was worked out


def _decimal(value: Fraction) -> str:
    return f"{Decimal(value.numerator) / Decimal(value.denominator):f}"


def _percent(value: Fraction) -> str:
    return f"{Decimal(value.numerator) / Decimal(value.denominator):.2f}%"


def effect_of(metric: CohortMetric, observed: Fraction, comparison: Fraction) -> Fraction:
    """Relative effect in percent, positive when the cohort did better than the comparison."""
    if comparison == 0:
        return Fraction(0)
    gain = (
        comparison - observed
        if metric.direction == Direction.LOWER_IS_BETTER
        else observed - comparison
    )
    return gain / comparison * 100


def gross_amount(
    metric: CohortMetric, effect: Fraction, improvement: Fraction
) -> tuple[Fraction, str]:
    """What the metric's payment rule pays for an effect (in %) and an improvement in units."""
    rule = metric.rule
    said = f"effect {_percent(effect)}"
    if isinstance(rule, PerUnitAboveThreshold):
        if effect >= Fraction(rule.threshold_percent):
            units = _decimal(improvement)
            return Fraction(rule.price) * improvement, (
                f"{said} reaches {rule.threshold_percent}%: {units} units x {rule.price}"
            )
        return Fraction(0), f"{said} below the {rule.threshold_percent}% threshold"
    if isinstance(rule, Tiers):
        reached = [b for b in rule.bands if Fraction(b.min_effect_percent) <= effect]
        if not reached:
            return Fraction(0), f"{said} below every band"
        band = max(reached, key=lambda b: Fraction(b.min_effect_percent))
        if band.payment is not None:
            return Fraction(
                band.payment
            ), f"{said}: band from {band.min_effect_percent}% pays {band.payment}"
        price = band.price or Decimal(0)
        return Fraction(price) * improvement, (
            f"{said}: band from {band.min_effect_percent}% pays {price} per unit"
        )
    if isinstance(rule, SlidingScale):
        lower, upper = Fraction(rule.lower_percent), Fraction(rule.upper_percent)
        if effect <= lower:
            share = Fraction(0)
        elif effect >= upper:
            share = Fraction(1)
        else:
            share = (effect - lower) / (upper - lower)
        return Fraction(rule.maximum) * share, (
            f"{said} on the scale {rule.lower_percent}%-{rule.upper_percent}% of {rule.maximum}"
        )
    raise TypeError(f"unknown payment rule {rule!r}")


def _half_up(amount: Fraction, exponent: int) -> int:
    return floor(amount * 10**exponent + Fraction(1, 2))


def _current(spec: ContractSpec, results: pd.DataFrame) -> dict[tuple[str, str], dict[str, object]]:
    """The result that counts per (metric, cohort): the latest evaluation (then the greatest id)."""
    metrics = {m.id: m for m in spec.cohort_metrics}
    current: dict[tuple[str, str], dict[str, object]] = {}
    for row in results.to_dict("records"):
        metric = metrics.get(str(row["metric"]))
        cohort = str(row["cohort"])
        if metric is None or (cohort == POOL) != metric.pooled:
            continue
        if not metric.pooled and cohort not in metric.cohorts:
            continue
        row["evaluated_on"] = pd.Timestamp(row["evaluated_on"]).date()
        key = (metric.id, cohort)
        old = current.get(key)
        if old is None or (row["evaluated_on"], str(row["result_id"])) > (
            old["evaluated_on"],
            str(old["result_id"]),
        ):
            current[key] = row
    return current


def cohort_payments(spec: ContractSpec, results: pd.DataFrame) -> list[CohortPayment]:
    """One payment per current result; a metric `net_of` others pays what they have not already
    paid the same cohorts (their amounts before caps), never less than 0."""
    exponent = spec.contract.exponent
    metrics = {m.id: m for m in spec.cohort_metrics}
    current = _current(spec, results)
    gross: dict[tuple[str, str], tuple[int, str]] = {}
    for (metric_id, cohort), row in current.items():
        metric = metrics[metric_id]
        observed = Fraction(Decimal(str(row["observed"])))
        comparison = Fraction(Decimal(str(row["comparison"])))
        effect = effect_of(metric, observed, comparison)
        improvement = (
            abs(comparison - observed) * int(str(row["units"])) if effect > 0 else Fraction(0)
        )
        amount, label = gross_amount(metric, effect, improvement)
        gross[(metric_id, cohort)] = (_half_up(amount, exponent), label)

    payments = []
    for (metric_id, cohort), row in current.items():
        metric = metrics[metric_id]
        minor, label = gross[(metric_id, cohort)]
        covered = set(metric.cohorts) | {POOL} if cohort == POOL else {cohort, POOL}
        already = sum(
            value
            for (other, other_cohort), (value, _) in gross.items()
            if other in metric.net_of and other_cohort in covered
        )
        if metric.net_of:
            label += f"; less {already} minor units paid by {', '.join(metric.net_of)}"
        payments.append(
            CohortPayment(
                metric=metric,
                cohort=cohort,
                result_id=str(row["result_id"]),
                evaluated_on=row["evaluated_on"],  # type: ignore[arg-type]
                amount=max(0, minor - already),
                label=label,
            )
        )
    return payments
