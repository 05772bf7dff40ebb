"""Forecast of outcome income from the people already enrolled (pure).

For each individual metric, from what the ledger has seen so far:
- the conversion rate p: among participants "matured" for the metric (started at least its
  window ago, or the longest delay yet observed when it has no window), the share with a
  payable occurrence; with nobody matured yet, the share of all enrolled (a lower bound);
- the timing: the delays (achieved_on - start_date) observed among those who achieved it.
A participant who has not achieved the metric after e days does so later with probability
p (1 - F(e)) / (1 - p F(e)), F the share of observed delays <= e (a "cure" model: some never
will), on start + the median of the observed delays longer than e. Each is priced with the
tariff in force then; the caps are walked in the canonical order (forecast_caps).

Low, central and high cases take p at -1.645, 0 and +1.645 standard errors (a 90% band).
Only the first occurrence of each metric is forecast, and cohort-level metrics are forecast
only from results already in (their income is in the entitlement).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from statistics import median

import pandas as pd

from contract_specs.model import ContractSpec, Frequency, Metric, add_months
from ledger.domain.entitlement.types import Entitlement, Facts

CASES = {"low": -1.645, "central": 0.0, "high": 1.645}


@dataclass(frozen=True)
class Conversion:
    """What was observed for one metric, and the rate each case assumes."""

    metric: str
    enrolled: int
    achieved: int
    matured: int
    rate: float
    rates: dict[str, float]
    delays: tuple[int, ...]


@dataclass(frozen=True)
class Expected:
    """One expected occurrence: probability-weighted, priced (Decimal, the currency)."""

    participant_id: str
    metric: str
    position: int
    on: date
    probability: float
    price: Decimal

    @property
    def value(self) -> Decimal:
        return self.price * Decimal(repr(self.probability))


def _days(start: pd.Series, end: pd.Series) -> pd.Series:
    return (end - start).dt.days


def conversions(spec: ContractSpec, facts: Facts, ent: Entitlement, on: date) -> list[Conversion]:
    """The observed conversion of every individual metric as of `on`."""
    people = facts.participants[["participant_id", "start_date"]]
    lines = ent.lines[~ent.lines["participant_id"].str.startswith("cohort:")]
    lines = lines[lines["occurrence"] == 1].drop_duplicates(["participant_id", "metric"])
    today = pd.Timestamp(on)
    found = []
    for metric in spec.metrics:
        done = lines[lines["metric"] == metric.id].merge(people, on="participant_id")
        delays = tuple(sorted(int(d) for d in _days(done["start_date"], done["achieved_on"])))
        horizon = _horizon(metric, delays)
        elapsed = _days(people["start_date"], pd.Series(today, index=people.index))
        matured = people[elapsed >= horizon] if horizon is not None else people.iloc[0:0]
        if len(matured):
            hits = int(matured["participant_id"].isin(done["participant_id"]).sum())
            n, rate = len(matured), hits / len(matured)
        else:
            n = len(people)
            rate = len(done) / n if n else 0.0
        se = math.sqrt(rate * (1 - rate) / n) if n else 0.0
        rates = {case: min(max(rate + z * se, 0.0), 1.0) for case, z in CASES.items()}
        found.append(
            Conversion(metric.id, len(people), len(done), len(matured), rate, rates, delays)
        )
    return found


def _horizon(metric: Metric, delays: Sequence[int]) -> int | None:
    """Days after start by which a participant has had every chance to achieve the metric."""
    if metric.window is not None:
        nominal = date(2001, 1, 1)  # any day: a window's length in days barely depends on it
        return (metric.window.after(nominal) - nominal).days
    return max(delays) if delays else None


def still_to_come(p: float, delays: Sequence[int], elapsed: int) -> tuple[float, int | None]:
    """Probability that someone without the outcome after `elapsed` days achieves it later,
    and the delay (from start) it is expected at; (0, None) when no later delay is known."""
    later = [d for d in delays if d > elapsed]
    if not later or p <= 0:
        return 0.0, None
    seen = (len(delays) - len(later)) / len(delays)
    return p * (1 - seen) / (1 - p * seen), int(median(later))


def expected_occurrences(
    spec: ContractSpec,
    facts: Facts,
    ent: Entitlement,
    on: date,
    found: Sequence[Conversion],
    case: str,
) -> list[Expected]:
    """Every expected first occurrence not yet achieved, for one case, in the cap order."""
    people = facts.participants
    lines = ent.lines
    rows: list[Expected] = []
    last = spec.contract.last_outcome_date
    for position, (metric, conv) in enumerate(zip(spec.metrics, found, strict=True)):
        done = set(lines.loc[lines["metric"] == metric.id, "participant_id"])
        for pid, cohort, start in zip(
            people["participant_id"], people["cohort"], people["start_date"], strict=True
        ):
            if pid in done:
                continue
            begun = start.date()
            probability, delay = still_to_come(conv.rates[case], conv.delays, (on - begun).days)
            if delay is None or probability <= 0:
                continue
            when = max(begun + timedelta(days=delay), on + timedelta(days=1))
            if metric.window is not None and when > metric.window.after(begun):
                continue
            if last is not None and when > last:
                continue
            price = _price(spec, metric, cohort, when)
            if price:
                rows.append(Expected(pid, metric.id, position, when, probability, price))
    return sorted(rows, key=lambda r: (r.on, r.position, r.participant_id))


def _price(spec: ContractSpec, metric: Metric, cohort: str, on: date) -> Decimal | None:
    schedule = spec.cohort(cohort).tariffs.get(metric.id, metric.tariff)
    return schedule.at(on)


def payment_date(spec: ContractSpec, achieved: date) -> date:
    """When an outcome achieved on `achieved` is paid: the end of its payment period plus the
    payer's terms."""
    months = 3 if spec.contract.payment_frequency is Frequency.QUARTERLY else 1
    first_month = (achieved.month - 1) // months * months + 1
    period_end = add_months(date(achieved.year, first_month, 1), months) - timedelta(days=1)
    return period_end + timedelta(days=spec.contract.payment_terms_days)
