"""From claims to payable occurrences (SEMANTICS 3.1, 3.3, 3.4).

A claim (evidence row, metric, day) is checked against the metric's window, the contract's last
outcome date and the metric's conditions; the valid claims of one participant, metric and day
are one occurrence. Occurrences then need their prerequisites (in dependency order), their
spacing from the previous occurrence that counted (a metric's `min_spacing`), and are ranked
per participant and metric for the limit per participant.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from contract_specs.model import AgeAtOutcome, ClockFrom, Condition, ContractSpec
from ledger.domain.entitlement.clocks import Events, any_between, latest_on_or_before
from ledger.domain.entitlement.dates import NO_DAY, after, before, day_number
from ledger.domain.entitlement.people import People, outcome_rules_hold, rules_hold
from ledger.domain.entitlement.quantities import paid_units
from ledger.domain.entitlement.reasons import CODE, COUNTS
from ledger.domain.entitlement.thresholds import Claims


@dataclass(frozen=True)
class Occurrences:
    """Occurrences sorted by (participant, metric, day); `reason` COUNTS means payable."""

    person: np.ndarray
    metric: np.ndarray
    day: np.ndarray
    reason: np.ndarray
    n: np.ndarray  # rank among the participant's payable occurrences of the metric (0: none)
    of_claim: np.ndarray  # for each claim, its occurrence (-1 when the claim itself failed)
    units: np.ndarray  # a metric paid on a quantity: the units it is paid on (after max_units)


def check_claims(spec: ContractSpec, claims: Claims, people: People) -> np.ndarray:
    """Each claim's reason: outside_window, after_last_outcome_date, condition_not_met or COUNTS."""
    person = claims.person
    start = people.start[person]
    reason = np.full(len(claims.row), COUNTS, dtype=np.int8)
    last = spec.contract.last_outcome_date
    holds_cache: dict[tuple[Condition, ...], np.ndarray] = {}
    for position, metric in enumerate(spec.metrics):
        selected = np.flatnonzero(claims.metric == position)
        if selected.size == 0:
            continue
        day = claims.day[selected]
        outside = np.zeros(selected.size, dtype=bool)
        if metric.window is not None:
            outside = day > after(start[selected], metric.window)
        late = np.zeros(selected.size, dtype=bool)
        if last is not None:
            late = day > day_number(last)
        if metric.conditions not in holds_cache:
            holds_cache[metric.conditions] = rules_hold(metric.conditions, people)
        unmet = ~holds_cache[metric.conditions][person[selected]]
        if any(isinstance(rule, AgeAtOutcome) for rule in metric.conditions):
            # judged on the claim's own day (a milestone's: the day it was reached)
            unmet |= ~outcome_rules_hold(metric.conditions, people, person[selected], day)
        if people.judged is not None and position in people.judged:
            unmet = _judged_unmet(people.judged[position], person[selected], day, unmet)
        reason[selected] = np.select(
            [outside, late, unmet],
            [CODE["outside_window"], CODE["after_last_outcome_date"], CODE["condition_not_met"]],
            default=COUNTS,
        )
    return reason


def _judged_unmet(
    judged: tuple[np.ndarray, np.ndarray, np.ndarray],
    person: np.ndarray,
    day: np.ndarray,
    unmet: np.ndarray,
) -> np.ndarray:
    """For claims of participants whose conditions were judged before their attributes were
    erased: unmet unless the claim's day lies in the days the conditions held."""
    who, first, last = judged
    row = pd.Index(who).get_indexer(person)
    mine = row >= 0
    at = np.maximum(row, 0)
    held = (first[at] != NO_DAY) & (day >= first[at]) & (day <= last[at])
    return np.where(mine, ~held, unmet)


def occurrences_of(
    spec: ContractSpec,
    claims: Claims,
    claim_reason: np.ndarray,
    people_count: int,
    events: Events | None = None,
) -> Occurrences:
    """Merge valid claims into occurrences, then apply prerequisites and the limit."""
    valid = np.flatnonzero(claim_reason == COUNTS)
    person, metric, day = claims.person[valid], claims.metric[valid], claims.day[valid]
    order = np.lexsort((day, metric, person))
    person, metric, day = person[order], metric[order], day[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (np.diff(person) != 0) | (np.diff(metric) != 0) | (np.diff(day) != 0)
    group = np.cumsum(new) - 1
    of_claim = np.full(len(claims.row), -1, dtype=np.int64)
    of_claim[valid[order]] = group
    first = np.flatnonzero(new)
    units = claims.units[valid][order][first]
    person, metric, day = person[first], metric[first], day[first]
    reason = np.full(len(first), COUNTS, dtype=np.int8)

    _prerequisites(spec, person, metric, day, reason, people_count, events)
    _spacing(spec, person, metric, day, reason)
    n = _limit(spec, person, metric, reason)
    units = _max_units(spec, person, metric, reason, n, units)
    return Occurrences(person, metric, day, reason, n, of_claim, units)


def dependency_order(spec: ContractSpec) -> list[int]:
    """Metric positions with every prerequisite before the metrics that need it."""
    position = {m.id: i for i, m in enumerate(spec.metrics)}
    done: list[int] = []

    def visit(index: int) -> None:
        if index in done:
            return
        for prerequisite in spec.metrics[index].prerequisites:
            visit(position[prerequisite.metric])
        done.append(index)

    for index in range(len(spec.metrics)):
        visit(index)
    return done


def _prerequisites(
    spec: ContractSpec,
    person: np.ndarray,
    metric: np.ndarray,
    day: np.ndarray,
    reason: np.ndarray,
    people_count: int,
    events: Events | None,
) -> None:
    """Each occurrence needs each prerequisite; the first one it fails (in the order listed)
    names its reason: prerequisite_not_met, or interrupted when the occurrence it would count
    from is followed by an interrupting event before this one."""
    position = {m.id: i for i, m in enumerate(spec.metrics)}
    event_number = {e.id: i for i, e in enumerate(spec.events)}
    never = np.iinfo(np.int64).max
    for index in dependency_order(spec):
        needs = spec.metrics[index].prerequisites
        if not needs:
            continue
        selected = np.flatnonzero((metric == index) & (reason == COUNTS))
        failed = np.zeros(selected.size, dtype=np.int8)
        for prerequisite in needs:
            source = (metric == position[prerequisite.metric]) & (reason == COUNTS)
            latest_by = before(day[selected], prerequisite.min_gap)
            if prerequisite.measured_from is ClockFrom.ANY and not prerequisite.interrupted_by:
                # the earliest valid occurrence is the best a prerequisite can do
                earliest = np.full(people_count, never, dtype=np.int64)
                np.minimum.at(earliest, person[source], day[source])
                unmet = earliest[person[selected]] > latest_by
                interrupted = np.zeros(selected.size, dtype=bool)
            else:
                # the clock runs from the latest entry on or before the outcome (restarted by a
                # new entry), or, measured from any, from the latest one the gap allows
                latest = prerequisite.measured_from is ClockFrom.LATEST
                bound = day[selected] if latest else latest_by
                anchor = latest_on_or_before(person[source], day[source], person[selected], bound)
                unmet = (anchor == NO_DAY) | (anchor > latest_by)
                interrupted = np.zeros(selected.size, dtype=bool)
                if prerequisite.interrupted_by and events is not None:
                    who, when = events.of([event_number[e] for e in prerequisite.interrupted_by])
                    interrupted = ~unmet & any_between(
                        who, when, person[selected], anchor, day[selected]
                    )
            fresh = failed == 0
            failed[fresh & unmet] = CODE["prerequisite_not_met"]
            failed[fresh & interrupted] = CODE["interrupted"]
        reason[selected[failed > 0]] = failed[failed > 0]


def _spacing(
    spec: ContractSpec, person: np.ndarray, metric: np.ndarray, day: np.ndarray, reason: np.ndarray
) -> None:
    """An occurrence of a metric with a `min_spacing` counts only on or after the previous one
    that counted plus the spacing. Which one counted depends on the one before, so the walk goes
    by rank within each participant's occurrences (a loop over ranks, never over people)."""
    for index, item in enumerate(spec.metrics):
        if item.min_spacing is None:
            continue
        selected = np.flatnonzero((metric == index) & (reason == COUNTS))
        if selected.size < 2:
            continue
        # occurrences are sorted by (participant, metric, day): groups are runs of a participant
        new = np.ones(selected.size, dtype=bool)
        new[1:] = person[selected[1:]] != person[selected[:-1]]
        group = np.cumsum(new) - 1
        starts = np.flatnonzero(new)
        rank = np.arange(selected.size) - starts[group]
        # the day from which the next occurrence may count, per group (the first always does)
        allowed = np.full(len(starts), np.iinfo(np.int64).min, dtype=np.int64)
        by_rank = np.argsort(rank, kind="stable")
        bounds = np.searchsorted(rank[by_rank], np.arange(int(rank.max()) + 2))
        for k in range(len(bounds) - 1):
            at = by_rank[bounds[k] : bounds[k + 1]]
            these, owner = selected[at], group[at]
            counts = day[these] >= allowed[owner]
            reason[these[~counts]] = CODE["too_soon_after_previous"]
            allowed[owner[counts]] = after(day[these[counts]], item.min_spacing)


def _limit(
    spec: ContractSpec, person: np.ndarray, metric: np.ndarray, reason: np.ndarray
) -> np.ndarray:
    n = np.zeros(len(person), dtype=np.int64)
    valid = np.flatnonzero(reason == COUNTS)
    if valid.size == 0:
        return n
    new = np.ones(valid.size, dtype=bool)
    new[1:] = (np.diff(person[valid]) != 0) | (np.diff(metric[valid]) != 0)
    starts = np.flatnonzero(new)
    rank = np.arange(valid.size) - np.repeat(starts, np.diff(np.append(starts, valid.size))) + 1
    # a per-unit metric pays every day's units: only max_units limits it
    allowed = np.array(
        [np.iinfo(np.int64).max if m.per_unit else m.max_per_participant for m in spec.metrics],
        dtype=np.int64,
    )
    over = rank > allowed[metric[valid]]
    reason[valid[over]] = CODE["limit_per_participant"]
    n[valid[~over]] = rank[~over]
    return n


def _max_units(
    spec: ContractSpec,
    person: np.ndarray,
    metric: np.ndarray,
    reason: np.ndarray,
    n: np.ndarray,
    units: np.ndarray,
) -> np.ndarray:
    """The units each per-unit occurrence is paid on after its metric's max_units (in date
    order per participant); a day left with none is max_units_reached."""
    decimals = {m.id: m.decimals for m in spec.measures}
    units = units.copy()
    for index, item in enumerate(spec.metrics):
        if item.per_unit is None or item.per_unit.max_units is None:
            continue
        selected = np.flatnonzero((metric == index) & (reason == COUNTS))
        paid = paid_units(item, decimals[item.per_unit.measure], person[selected], units[selected])
        units[selected] = paid
        none = selected[paid <= 0]
        reason[none] = CODE["max_units_reached"]
        n[none] = 0
    return units
