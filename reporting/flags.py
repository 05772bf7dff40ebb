"""Flags: the spec's management triggers, and metrics straying from their own recent normal. Pure.

The rate of a metric in a period is taken over those it fell due for: an occurrence of `of` on
day d makes the metric due on d + the gap it requires after `of` (d itself when none); of the
participants due in the period, the share who achieved the metric on or after d and by the
period's end. Evidence rejected or revoked does not count. A metric that requires nothing falls
due at a participant's start.

A deviation compares the report period's rate with the mean and spread (sample standard
deviation) of the previous periods (4 by default); it is flagged, rise or drop, when it lies
at least 2 spreads away. Rates over fewer than 10 people due are not compared at all, and the
spread is never taken below the rate's own sampling error (the binomial standard error at the
mean for the number due) nor below one percentage point, so a handful of people or a run of
identical periods does not make every wobble a flag. All arithmetic is Decimal, so the same
ledger prints the same numbers.
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
MIN_DUE = 10
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
    """A metric's rate in one period: `achieved` of the `due` participants."""

    period: str
    achieved: int
    due: int

    @property
    def value(self) -> Decimal | None:
        if self.due == 0:
            return None
        return Decimal(self.achieved) * 100 / Decimal(self.due)

    def text(self) -> str:
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


def _starts(people: pd.DataFrame | None) -> dict[str, list[date]]:
    found: dict[str, list[date]] = {}
    if people is None:
        return found
    for participant_id, start in zip(people["participant_id"], people["start_date"], strict=True):
        day = as_date(start)
        if day is not None:
            found[str(participant_id)] = [day]
    return found


def gap_after(metric: Metric, of: str) -> Duration:
    """The gap `metric` requires after `of` (zero when `of` is not one of its prerequisites)."""
    return next((p.min_gap for p in metric.prerequisites if p.metric == of), Duration())


def rates(
    metric: Metric,
    of: str | None,
    evidence: pd.DataFrame,
    periods: Sequence[Period],
    starts: pd.DataFrame | None = None,
) -> list[PeriodValue]:
    """Per period: of the participants `metric` fell due for, how many achieved it.

    `of` None: the metric falls due at each participant's start (`starts`: participant_id and
    start_date)."""
    if of is None:
        begun = _starts(starts)
        gap = Duration()
    else:
        begun, gap = _dates(evidence, of), gap_after(metric, of)
    done = _dates(evidence, metric.id)
    frequency = periods[0].frequency if periods else None
    due: dict[str, set[str]] = {p.id: set() for p in periods}
    achieved: dict[str, set[str]] = {p.id: set() for p in periods}
    ends = {p.id: p.end for p in periods}
    for participant_id, days in begun.items():
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


def series(
    metric: Metric, evidence: pd.DataFrame, periods: Sequence[Period], starts: pd.DataFrame
) -> list[PeriodValue]:
    """The rates a metric is watched by: after its first prerequisite, else from start."""
    of = metric.prerequisites[0].metric if metric.prerequisites else None
    return rates(metric, of, evidence, periods, starts)


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


def _spread(numbers: list[Decimal], mean: Decimal, due: int) -> Decimal:
    """The sample deviation, never below the sampling error of a rate over `due` people."""
    share = min(max(mean / 100, Decimal(1) / (2 * due)), 1 - Decimal(1) / (2 * due))
    sampling = 100 * (share * (1 - share) / due).sqrt()
    return max(statistics.stdev(numbers), sampling, UNIT)


def deviation_flags(
    spec: ContractSpec,
    evidence: pd.DataFrame,
    periods: Sequence[Period],
    starts: pd.DataFrame,
    history: int = HISTORY,
) -> list[tuple[object, ...]]:
    """A row per metric whose rate in the last period is 2+ spreads from its previous ones."""
    rows: list[tuple[object, ...]] = []
    for metric in spec.metrics:
        values = series(metric, evidence, periods, starts)
        current = values[-1] if values else None
        before = [v for v in values[-1 - history : -1] if v.due >= MIN_DUE]
        if current is None or current.due < MIN_DUE or len(before) < 2:
            continue
        numbers = [v.value for v in before if v.value is not None]
        mean = statistics.mean(numbers)
        spread = _spread(numbers, mean, current.due)
        distance = (current.value - mean) / spread if current.value is not None else Decimal(0)
        if abs(distance) < SPREADS:
            continue
        rows.append(
            (
                "deviation",
                f"{metric.name}: {'rise' if distance > 0 else 'drop'} from its recent normal",
                metric.id,
                current.period,
                current.text(),
                f"mean {_one(mean)}%, spread {_one(spread)}",
                f"{_one(distance)} spreads from the mean of "
                + "; ".join(f"{v.period}: {v.text()}" for v in before),
            )
        )
    return rows


def flags(
    spec: ContractSpec, evidence: pd.DataFrame, periods: Sequence[Period], starts: pd.DataFrame
) -> Table:
    """The triggers that fired and the metrics off their normal, up to the last of `periods`."""
    found = trigger_flags(spec, evidence, periods)
    found += deviation_flags(spec, evidence, periods, starts)
    frame = pd.DataFrame(found, columns=[c.name for c in FLAG_COLUMNS], dtype="object")
    return Table(
        "flags",
        "Flags",
        FLAG_COLUMNS,
        frame,
        "management triggers that fired, and metrics 2+ spreads from their last periods' mean",
    )
