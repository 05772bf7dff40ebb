"""Who achieves which outcome, and when: the funnel a real project shows, metric by metric.

Metrics are taken from the spec in prerequisite order. A metric without prerequisites is reached
by a share of participants some days after their start; a metric with prerequisites is reached
by a share of those who reached all of them, no earlier than the latest prerequisite plus its
gap. The shares and delays come from `Profile`s keyed by metric id (the Fair Chance Fund rate
card's by default, see `synthetic.profiles`); an unknown metric gets a modest default.

A small share of rows is recorded wrongly on purpose ("flaws"), so that the engine has
something to refuse: too early for a prerequisite's gap, or outside the metric's window. A row
whose prerequisite row is flawed is marked too, since its prerequisite is then not valid.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from contract_specs.model import (
    AgeAtOutcome,
    AgeAtStart,
    ContractSpec,
    Duration,
    Frequency,
    Metric,
    Prerequisite,
)
from ledger.domain.entitlement.dates import after, day_number
from reconciliation.errors import PeriodError
from reconciliation.periods import parse_period
from synthetic.dates import Days
from synthetic.people import Mask, People, rule_holds
from synthetic.profiles import DEFAULT_PROFILE, Profile

# Why a row was recorded wrongly on purpose; index 0 is "not flawed".
FLAWS = ("", "too_early", "outside_window", "prerequisite_flawed")
TOO_EARLY, OUTSIDE_WINDOW, PREREQUISITE_FLAWED = 1, 2, 3


@dataclass(frozen=True)
class PlantDrop:
    """From `from_quarter` (e.g. "2016-Q2"), `metric` is reached `percent`% less often at
    `provider`, counting by the quarter in which it falls due: the latest prerequisite plus
    its gap (entry + 3 months), or the start for a metric without prerequisites."""

    provider: str
    metric: str
    from_quarter: str
    percent: float


@dataclass(frozen=True)
class MetricOutcomes:
    """One metric over all participants: who reached it, when, and how it was recorded."""

    metric: Metric
    achieved: Mask
    day: Days  # the day it was truly achieved (what later outcomes count from)
    recorded: Days  # the achieved_on written in the evidence (differs only for flaws)
    due: Days  # the earliest day the spec allows: start, or prerequisites plus their gaps
    flaw: npt.NDArray[np.int8]


def stream(seed: int, *purpose: str) -> np.random.Generator:
    """An independent random stream per purpose, so that changing one part of the data (a
    planted drop, one metric's rate) leaves every other part byte-identical."""
    keys = [zlib.crc32(part.encode()) for part in purpose]
    return np.random.default_rng([seed, *keys])


def prerequisites(spec: ContractSpec, metric: Metric) -> tuple[Prerequisite, ...]:
    """Declared prerequisites; for a threshold metric without any, the next lower threshold on
    the same measure (cumulative quantities reach the lower milestone first)."""
    if metric.prerequisites or metric.threshold is None:
        return metric.prerequisites
    measure, quantity = metric.threshold.measure, metric.threshold.quantity
    lower = [
        m
        for m in spec.metrics
        if m.threshold and m.threshold.measure == measure and m.threshold.quantity < quantity
    ]
    if not lower:
        return ()
    highest = max(lower, key=lambda m: m.threshold.quantity if m.threshold else 0)
    return (Prerequisite(highest.id, Duration()),)


def in_funnel_order(spec: ContractSpec, profiles: Mapping[str, Profile]) -> list[Metric]:
    """The spec's metrics, each after its prerequisites and the funnel steps its profile
    names, otherwise in spec order."""
    known = {m.id for m in spec.metrics}

    def depends_on(metric: Metric) -> set[str]:
        profile = profiles.get(metric.id, DEFAULT_PROFILE)
        steps = {p.metric for p in prerequisites(spec, metric)}
        funnel = {profile.after} if profile.after else set()
        return steps | ((funnel | set(profile.instead_of)) & known)

    done: dict[str, Metric] = {}
    pending = list(spec.metrics)
    while pending:
        ready = [m for m in pending if depends_on(m) <= done.keys()]
        if not ready:
            names = ", ".join(m.id for m in pending)
            raise ValueError(f"metrics {names}: their prerequisites form a cycle or are unknown")
        for metric in ready:
            done[metric.id] = metric
        pending = [m for m in pending if m.id not in done]
    return list(done.values())


def simulate(
    spec: ContractSpec,
    people: People,
    seed: int,
    profiles: Mapping[str, Profile],
    flaw_share: float = 0.02,
    drop: PlantDrop | None = None,
) -> list[MetricOutcomes]:
    """Every metric's outcomes over `people`, in funnel order."""
    results: dict[str, MetricOutcomes] = {}
    for metric in in_funnel_order(spec, profiles):
        results[metric.id] = _reach(spec, metric, people, seed, profiles, results, drop)
        if flaw_share and metric.threshold is None:  # quantities are summed: left clean
            results[metric.id] = _with_flaws(spec, results, metric, people, seed, flaw_share)
    return list(results.values())


def _reach(
    spec: ContractSpec,
    metric: Metric,
    people: People,
    seed: int,
    profiles: Mapping[str, Profile],
    results: Mapping[str, MetricOutcomes],
    drop: PlantDrop | None,
) -> MetricOutcomes:
    """Who reaches `metric` and on which day, every row recorded as it truly happened."""
    profile = profiles.get(metric.id, DEFAULT_PROFILE)
    rng = stream(seed, "outcome", metric.id)
    size = people.start.size
    available = np.ones(size, dtype=bool)
    due = _gap_anchor(spec, metric, people, results)
    anchor = due
    for prerequisite in prerequisites(spec, metric):
        available &= results[prerequisite.metric].achieved
    step_before = results.get(profile.after or "")
    if step_before is not None:
        # the funnel's step before this one: sustained 6 months follows sustained 3 months
        available &= step_before.achieved
        anchor = np.maximum(anchor, step_before.day)
    for alternative in profile.instead_of:
        if alternative in results:
            available &= ~results[alternative].achieved
    for condition in metric.conditions:
        if not isinstance(condition, AgeAtOutcome):
            available &= rule_holds(condition, people.frame, people.start)
    earliest, latest = anchor + profile.delay_days[0], anchor + profile.delay_days[1]
    if metric.window is not None:
        # an outcome that cannot happen inside its window is not achieved (not claimed)
        window_end = after(people.start, metric.window)
        available &= anchor <= window_end
        latest = np.minimum(latest, window_end)
        earliest = np.minimum(earliest, latest)
    day = rng.integers(earliest, latest + 1, dtype=np.int64)
    for condition in metric.conditions:
        if isinstance(condition, AgeAtOutcome):  # an age judged on the day drawn
            at_outcome = AgeAtStart(condition.attribute, condition.min, condition.max)
            available &= rule_holds(at_outcome, people.frame, day)
    achieved = available & (rng.random(size) < profile.rate)
    if spec.contract.last_outcome_date is not None:
        achieved &= day <= day_number(spec.contract.last_outcome_date)
    if drop is not None and drop.metric == metric.id:
        achieved &= ~_dropped(drop, people, due, stream(seed, "drop", metric.id))
    return MetricOutcomes(metric, achieved, day, day.copy(), due, np.zeros(size, dtype=np.int8))


def _gap_anchor(
    spec: ContractSpec, metric: Metric, people: People, results: Mapping[str, MetricOutcomes]
) -> Days:
    """The earliest day the spec allows: the start, and each prerequisite plus its gap."""
    anchor = people.start.copy()
    for prerequisite in prerequisites(spec, metric):
        anchor = np.maximum(anchor, after(results[prerequisite.metric].day, prerequisite.min_gap))
    return anchor


def _with_flaws(
    spec: ContractSpec,
    results: Mapping[str, MetricOutcomes],
    metric: Metric,
    people: People,
    seed: int,
    share: float,
) -> MetricOutcomes:
    """The same outcomes with a `share` recorded too early for a gap, another `share` outside
    the window, and rows whose prerequisite row is flawed marked as such."""
    reached = results[metric.id]
    achieved, start = reached.achieved, people.start
    rng = stream(seed, "flaws", metric.id)
    draw = rng.random(start.size)
    shift = rng.integers(1, 61, size=start.size)
    flaw = np.zeros(start.size, dtype=np.int8)
    recorded = reached.day.copy()
    # Only an anchor after the start comes from a prerequisite's gap, so only then can a row
    # be early; it stays on or after the start so that its reason is the gap, not the start.
    anchor = reached.due
    too_early = achieved & (draw < share) & (anchor > start)
    flaw[too_early] = TOO_EARLY
    recorded[too_early] = np.maximum(anchor - shift % 15 - 1, start)[too_early]
    if metric.window is not None:
        late = achieved & (draw >= share) & (draw < 2 * share)
        flaw[late] = OUTSIDE_WINDOW
        recorded[late] = (after(start, metric.window) + shift)[late]
    for prerequisite in prerequisites(spec, metric):
        before = results[prerequisite.metric]
        flaw[achieved & (flaw == 0) & (before.flaw != 0)] = PREREQUISITE_FLAWED
    return MetricOutcomes(metric, achieved, reached.day, recorded, reached.due, flaw)


def check_drop(drop: PlantDrop, spec: ContractSpec, providers: Sequence[str]) -> None:
    """ValueError naming every part of `drop` that does not fit the spec, and what to give."""
    problems = []
    if drop.provider not in providers:
        problems.append(f"plant_drop.provider {drop.provider!r}: use one of {', '.join(providers)}")
    if drop.metric not in {m.id for m in spec.metrics}:
        problems.append(f"plant_drop.metric {drop.metric!r}: use a metric id of the spec")
    try:
        parse_period(drop.from_quarter, Frequency.QUARTERLY, "plant_drop.from_quarter")
    except PeriodError as error:
        problems += [str(problem) for problem in error.problems]
    if not 0 <= drop.percent <= 100:
        problems.append(f"plant_drop.percent {drop.percent}: give a percentage from 0 to 100")
    if problems:
        raise ValueError("; ".join(problems))


def _dropped(drop: PlantDrop, people: People, due: Days, rng: np.random.Generator) -> Mask:
    """Where the planted drop takes an outcome away."""
    at_provider = people.provider == people.providers.index(drop.provider)
    quarter = parse_period(drop.from_quarter, Frequency.QUARTERLY, "plant_drop.from_quarter")
    from_quarter = due >= day_number(quarter.start)
    dropped: Mask = at_provider & from_quarter & (rng.random(due.size) < drop.percent / 100)
    return dropped
