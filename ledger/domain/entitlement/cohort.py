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
    Effect,
    PerUnitAboveThreshold,
    Results,
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
    occurrence: int = 1  # the result's number in its cohort's series (cumulative results)


def _decimal(value: Fraction) -> str:
    return f"{Decimal(value.numerator) / Decimal(value.denominator):f}"


def _percent(value: Fraction) -> str:
    return f"{Decimal(value.numerator) / Decimal(value.denominator):.2f}%"


def effect_of(metric: CohortMetric, observed: Fraction, comparison: Fraction) -> Fraction:
    """Relative effect in percent, positive when the cohort did better than the comparison."""
    gain = (
        comparison - observed
        if metric.direction == Direction.LOWER_IS_BETTER
        else observed - comparison
    )
    if metric.effect is Effect.ABSOLUTE:
        return gain  # in the result's own units: a comparison of 0 is a value like any other
    if comparison == 0:
        return Fraction(0)
    return gain / comparison * 100


def gross_amount(
    metric: CohortMetric, effect: Fraction, improvement: Fraction
) -> tuple[Fraction, str]:
    """What the metric's payment rule pays for an effect (in %) and an improvement in units."""
    rule = metric.rule
    said = f"effect {_percent(effect)}"
    if metric.effect is Effect.ABSOLUTE:
        said = f"effect {_decimal(effect)} points"
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
    return floor(amount * Fraction(10) ** exponent + Fraction(1, 2))


def _counted(
    spec: ContractSpec, results: pd.DataFrame
) -> dict[tuple[str, str], list[dict[str, object]]]:
    """The results that count per (metric, cohort), in order of evaluation (then result id):
    the latest alone, or every one for a metric whose results are cumulative."""
    metrics = {m.id: m for m in spec.cohort_metrics}
    counted: dict[tuple[str, str], list[dict[str, object]]] = {}
    for row in results.to_dict("records"):
        metric = metrics.get(str(row["metric"]))
        cohort = str(row["cohort"])
        if metric is None or (cohort == POOL) != metric.pooled:
            continue
        if not metric.pooled and cohort not in metric.cohorts:
            continue
        row["evaluated_on"] = pd.Timestamp(row["evaluated_on"]).date()
        counted.setdefault((metric.id, cohort), []).append(row)
    for (metric_id, _), rows in counted.items():
        rows.sort(key=lambda r: (r["evaluated_on"], str(r["result_id"])))
        if metrics[metric_id].results is Results.LATEST:
            del rows[:-1]
    return counted


def cohort_payments(spec: ContractSpec, results: pd.DataFrame) -> list[CohortPayment]:
    """One payment per result that counts; a metric `net_of` others pays what they have not
    already paid the same cohorts (their latest amounts before caps), never less than 0. In a
    series of cumulative results, each pays what it adds to the ones before it (after netting):
    together they pay the latest one's amount, so a lower later result claws back."""
    exponent = spec.contract.exponent
    metrics = {m.id: m for m in spec.cohort_metrics}
    counted = _counted(spec, results)
    gross: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for (metric_id, cohort), rows in counted.items():
        metric = metrics[metric_id]
        gross[(metric_id, cohort)] = []
        for row in rows:
            observed = Fraction(Decimal(str(row["observed"])))
            comparison = Fraction(Decimal(str(row["comparison"])))
            effect = effect_of(metric, observed, comparison)
            improvement = (
                abs(comparison - observed) * int(str(row["units"])) if effect > 0 else Fraction(0)
            )
            amount, label = gross_amount(metric, effect, improvement)
            gross[(metric_id, cohort)].append((_half_up(amount, exponent), label))

    payments = []
    for (metric_id, cohort), rows in counted.items():
        metric = metrics[metric_id]
        covered = set(metric.cohorts) | {POOL} if cohort == POOL else {cohort, POOL}
        already = sum(
            series[-1][0]
            for (other, other_cohort), series in gross.items()
            if other in metric.net_of and other_cohort in covered
        )
        net = [(max(0, minor - already), label) for minor, label in gross[(metric_id, cohort)]]
        owed = net[-1][0]
        best = 0  # the most the series has owed so far
        for k, (row, (minor, label)) in enumerate(zip(rows, net, strict=True), start=1):
            if metric.net_of:
                label += f"; less {already} minor units paid by {', '.join(metric.net_of)}"
            pays = minor
            if metric.results is Results.CUMULATIVE:
                pays = min(max(best, minor), owed) - min(best, owed)
                best = max(best, minor)
                label += f"; result {k} of {len(rows)}: what it adds to the results before it"
            payments.append(
                CohortPayment(
                    metric=metric,
                    cohort=cohort,
                    result_id=str(row["result_id"]),
                    evaluated_on=row["evaluated_on"],  # type: ignore[arg-type]
                    amount=pays,
                    label=label,
                    occurrence=k,
                )
            )
    return payments
