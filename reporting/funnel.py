"""The funnel along prerequisite chains (entered accommodation, sustained 3/6/12/18 months). Pure.

A chain starts at a metric that others require and that requires nothing itself. Its steps are
that metric and every metric that requires it, directly or through others, ordered by how deep
they sit and then by the gap they need (3 months before 6). A participant counts at a step when
they achieved it and every metric it requires (live evidence), so each step is a subset of the
chain's start and the rates read as "of those who entered, how many sustained".

Parallel branches (entry leads both to a job and to a sustained tenancy) are drawn as branches:
each step names the step it follows (`after`, its prerequisite latest in the chain) and
`of_previous` is its share of that step, never of a sibling branch's step, so it is never above
100% (a participant counts at a step only with everything it requires).
"""

from __future__ import annotations

import pandas as pd

from contract_specs.model import ContractSpec, Metric
from reporting.progress import achievers
from reporting.report import Column, Kind, Table, percent

FUNNEL_COLUMNS = (
    Column("chain"),
    Column("step", Kind.INTEGER),
    Column("metric"),
    Column("name"),
    Column("after"),
    Column("participants", Kind.INTEGER),
    Column("of_previous", Kind.PERCENT),
    Column("of_start", Kind.PERCENT),
    Column("target", Kind.INTEGER),
)


def _gap_days(metric: Metric) -> int:
    # a rough length only to order steps (months as 31 days): never used for a due date
    return max(
        (
            p.min_gap.days + 7 * p.min_gap.weeks + 31 * p.min_gap.months
            for p in metric.prerequisites
        ),
        default=0,
    )


def chains(spec: ContractSpec) -> list[list[Metric]]:
    """Each chain's metrics in funnel order (a metric may sit in several chains)."""
    required = {p.metric for m in spec.metrics for p in m.prerequisites}
    roots = [m for m in spec.metrics if m.id in required and not m.prerequisites]
    found = []
    for root in roots:
        depth = {root.id: 0}
        changed = True
        while changed:  # the spec checks refuse cycles, so this settles
            changed = False
            for metric in spec.metrics:
                reach = [depth[p.metric] + 1 for p in metric.prerequisites if p.metric in depth]
                if reach and depth.get(metric.id) != max(reach):
                    depth[metric.id] = max(reach)
                    changed = True
        steps = [m for m in spec.metrics if m.id in depth]
        found.append(
            sorted(steps, key=lambda m: (depth[m.id], _gap_days(m), spec.metric_position(m.id)))
        )
    return found


def _complete(spec: ContractSpec, metric: Metric, achieved: dict[str, set[str]]) -> set[str]:
    """Participants who achieved `metric` and, recursively, everything it requires."""
    people = set(achieved.get(metric.id, set()))
    for prerequisite in metric.prerequisites:
        people &= _complete(spec, spec.metric(prerequisite.metric), achieved)
    return people


def _parent(metric: Metric, order: list[str]) -> str | None:
    """The step `metric` follows in its chain: its prerequisite that comes latest."""
    inside = [p.metric for p in metric.prerequisites if p.metric in order]
    return max(inside, key=order.index) if inside else None


def funnel(spec: ContractSpec, evidence: pd.DataFrame) -> Table:
    """One row per step of each chain, with the rate from the step before and from the start."""
    achieved = achievers(evidence)
    rows: list[tuple[object, ...]] = []
    for chain in chains(spec):
        start: int | None = None
        counts: dict[str, int] = {}
        order = [m.id for m in chain]
        for step, metric in enumerate(chain, start=1):
            count = len(_complete(spec, metric, achieved))
            start = count if start is None else start
            parent = _parent(metric, order)
            counts[metric.id] = count
            rows.append(
                (
                    chain[0].id,
                    step,
                    metric.id,
                    metric.name,
                    parent or "",
                    count,
                    percent(count, counts[parent]) if parent is not None else None,
                    percent(count, start),
                    metric.target,
                )
            )
    frame = pd.DataFrame(rows, columns=[c.name for c in FUNNEL_COLUMNS], dtype="object")
    return Table(
        "funnel",
        "Funnel",
        FUNNEL_COLUMNS,
        frame,
        "participants at each step of a prerequisite chain; "
        "of_previous: the share of the step it follows (after)",
    )
