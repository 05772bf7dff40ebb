"""Flags: the spec's management triggers, and metrics straying from their own recent normal. Pure.

The rate of a metric in a period is taken over those it fell due for: an occurrence of `of` on
day d makes the metric due on d + the gap it requires after `of` (d itself when none); of the
participants due in the period, the share who achieved the metric on or after d and by the
period's end. Evidence rejected or revoked does not count. A metric that requires nothing is
watched by its count of participants achieving it in the period instead.

A deviation compares the report period's value with the mean and spread (sample standard
deviation) of the previous periods (4 by default); it is flagged, rise or drop, when it lies
at least 2 spreads away. The spread is floored at one unit (a percentage point or one person)
so that a run of identical periods does not make every small wobble a flag. All arithmetic is
Decimal, so the same ledger prints the same numbers.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from contract_specs.model import ContractSpec, Duration, Metric, Trigger
from reconciliation.periods import Period, period_containing
from reporting.progress import live
from reporting.report import Column, Table, as_date

HISTORY = 4
SPREADS = Decimal(2)
UNIT = Decimal(1)
ONE_PLACE = Decimal("0.1")

FLAG_COLUMNS = (
    Column("kind"),
    Column("flag"),
    Column("metric"),
    Column("period"),
    Column("value"),
    Column("bound"),
    Column("detail"),
)


@dataclass(frozen=True)
class PeriodValue:
    """A metric's value in one period: `achieved` of `due` (a rate), or a count when due is None."""

    period: str
    achieved: int
    due: int | None

    @property
    def value(self) -> Decimal | None:
        if self.due is None:
            return Decimal(self.achieved)
        if self.due == 0:
            return None
        return Decimal(self.achieved) * 100 / Decimal(self.due)

    def text(self) -> str:
        if self.due is None:
            return str(self.achieved)
        if self.value is None:
            return "nothing due"
        return f"{_one(self.value)}% ({self.achieved} of {self.due})"


def _one(value: Decimal | None) -> str:
    return "" if value is None else str(value.quantize(ONE_PLACE, rounding=ROUND_HALF_UP))


def _dates(evidence: pd.DataFrame, metric: str) -> dict[str, list[date]]:
    kept = live(evidence)
    kept = kept[kept["metric"] == metric]
    found: dict[str, list[date]] = {}
    for participant_id, day in zip(kept["participant_id"], kept["achieved_on"], strict=True):
        achieved = as_date(day)
        if achieved is not None:
            found.setdefault(str(participant_id), []).append(achieved)
    return found


def gap_after(metric: Metric, of: str) -> Duration:
    """The gap `metric` requires after `of` (zero when `of` is not one of its prerequisites)."""
    return next((p.min_gap for p in metric.prerequisites if p.metric == of), Duration())


def rates(
    metric: Metric, of: str, evidence: pd.DataFrame, periods: Sequence[Period]
) -> list[PeriodValue]:
    """Per period: of the participants `metric` fell due for, how many achieved it."""
    gap = gap_after(metric, of)
    starts, done = _dates(evidence, of), _dates(evidence, metric.id)
    frequency = periods[0].frequency if periods else None
    due: dict[str, set[str]] = {p.id: set() for p in periods}
    achieved: dict[str, set[str]] = {p.id: set() for p in periods}
    ends = {p.id: p.end for p in periods}
    for participant_id, days in starts.items():
        for day in days:
            if frequency is None:
                break
            period = period_containing(gap.after(day), frequency).id
            if period not in due:
                continue
            due[period].add(participant_id)
            if any(day <= d <= ends[period] for d in done.get(participant_id, [])):
                achieved[period].add(participant_id)
    return [PeriodValue(p.id, len(achieved[p.id]), len(due[p.id])) for p in periods]


def counts(metric: Metric, evidence: pd.DataFrame, periods: Sequence[Period]) -> list[PeriodValue]:
    """Per period: how many participants achieved `metric` in it."""
    done = _dates(evidence, metric.id)
    return [
        PeriodValue(
            p.id, sum(1 for days in done.values() if any(p.start <= d <= p.end for d in days)), None
        )
        for p in periods
    ]


def series(metric: Metric, evidence: pd.DataFrame, periods: Sequence[Period]) -> list[PeriodValue]:
    """The values a metric is watched by: rates after its first prerequisite, else counts."""
    if metric.prerequisites:
        return rates(metric, metric.prerequisites[0].metric, evidence, periods)
    return counts(metric, evidence, periods)


def trigger_flags(
    spec: ContractSpec, evidence: pd.DataFrame, periods: Sequence[Period]
) -> list[tuple[object, ...]]:
    """A row per trigger whose bound was passed in each of its last N periods (N consecutive)."""
    rows: list[tuple[object, ...]] = []
    for trigger in spec.triggers:
        values = rates(spec.metric(trigger.metric), trigger.of, evidence, periods)
        window = values[-trigger.consecutive_periods :]
        if len(window) < trigger.consecutive_periods or not all(
            _passes(trigger, v.value) for v in window
        ):
            continue
        bound, side = _bound(trigger)
        rows.append(
            (
                "trigger",
                trigger.name,
                trigger.metric,
                window[-1].period,
                window[-1].text(),
                f"{side} {bound}%",
                "; ".join(f"{v.period}: {v.text()}" for v in window)
                + f" of {trigger.of} falling due ({trigger.id})",
            )
        )
    return rows


def _bound(trigger: Trigger) -> tuple[Decimal, str]:
    if trigger.below_percent is not None:
        return trigger.below_percent, "below"
    return trigger.above_percent or Decimal(0), "above"


def _passes(trigger: Trigger, value: Decimal | None) -> bool:
    if value is None:
        return False  # nothing fell due: no rate, no flag
    bound, side = _bound(trigger)
    return value < bound if side == "below" else value > bound


def deviation_flags(
    spec: ContractSpec, evidence: pd.DataFrame, periods: Sequence[Period], history: int = HISTORY
) -> list[tuple[object, ...]]:
    """A row per metric whose value in the last period is 2+ spreads from its previous ones."""
    rows: list[tuple[object, ...]] = []
    for metric in spec.metrics:
        values = series(metric, evidence, periods)
        if len(values) < 3:
            continue
        current = values[-1]
        before = [v for v in values[-1 - history : -1] if v.value is not None]
        if current.value is None or len(before) < 2:
            continue
        numbers = [v.value for v in before if v.value is not None]
        mean = statistics.mean(numbers)
        spread = statistics.stdev(numbers)
        distance = (current.value - mean) / max(spread, UNIT)
        if abs(distance) < SPREADS:
            continue
        unit = "%" if current.due is not None else ""
        rows.append(
            (
                "deviation",
                f"{metric.name}: {'rise' if distance > 0 else 'drop'} from its recent normal",
                metric.id,
                current.period,
                current.text(),
                f"mean {_one(mean)}{unit}, spread {_one(spread)}",
                f"{_one(distance)} spreads from the mean of "
                + "; ".join(f"{v.period}: {v.text()}" for v in before),
            )
        )
    return rows


def flags(spec: ContractSpec, evidence: pd.DataFrame, periods: Sequence[Period]) -> Table:
    """The triggers that fired and the metrics off their normal, up to the last of `periods`."""
    rows = trigger_flags(spec, evidence, periods) + deviation_flags(spec, evidence, periods)
    frame = pd.DataFrame(rows, columns=[c.name for c in FLAG_COLUMNS], dtype="object")
    return Table(
        "flags",
        "Flags",
        FLAG_COLUMNS,
        frame,
        "management triggers that fired, and metrics 2+ spreads from their last periods' mean",
    )
