"""Outcome progress per cohort and metric, against the spec's targets. Pure.

Counts are of participants: enrolled in the cohort; achieved (evidence of the metric that is
not rejected or revoked: pending counts, it may still be verified); verified (verified
evidence); paid (the postings for the participant and metric sum above zero), with the amount
paid. A provider's report is built from its own participants only, but targets are the
contract's: the percentage says how far this provider alone takes the contract's target.
"""

from __future__ import annotations

import pandas as pd

from contract_specs.model import ContractSpec
from reporting.report import Column, Kind, Table, percent

NOT_ACHIEVED = ("rejected", "revoked")
ALL_COHORTS = "all"

PROGRESS_COLUMNS = (
    Column("cohort"),
    Column("metric"),
    Column("name"),
    Column("enrolled", Kind.INTEGER),
    Column("achieved", Kind.INTEGER),
    Column("verified", Kind.INTEGER),
    Column("paid", Kind.INTEGER),
    Column("paid_amount", Kind.MONEY),
    Column("target", Kind.INTEGER),
    Column("achieved_of_target", Kind.PERCENT),
)


def live(evidence: pd.DataFrame) -> pd.DataFrame:
    """Evidence that still says the outcome happened (not rejected, not revoked)."""
    return evidence[~evidence["status"].isin(NOT_ACHIEVED)]


def achievers(evidence: pd.DataFrame) -> dict[str, set[str]]:
    """Metric -> the participants with live evidence of it."""
    found: dict[str, set[str]] = {}
    for participant_id, metric in zip(
        live(evidence)["participant_id"], live(evidence)["metric"], strict=True
    ):
        found.setdefault(str(metric), set()).add(str(participant_id))
    return found


def progress(
    spec: ContractSpec, people: pd.DataFrame, evidence: pd.DataFrame, postings: pd.DataFrame
) -> Table:
    """One row per cohort and metric (and per metric over all cohorts when there are several)."""
    cohort_of = dict(zip(people["participant_id"], people["cohort"], strict=True))
    achieved = achievers(evidence)
    verified = achievers(evidence[evidence["status"] == "verified"])
    net = postings.groupby(["participant_id", "metric"])["amount"].sum()
    paid: dict[str, dict[str, int]] = {}
    for (participant_id, metric), amount in net.items():
        if amount > 0 and participant_id in cohort_of:
            paid.setdefault(str(metric), {})[str(participant_id)] = int(amount)
    groups = [(c.id, {p for p, k in cohort_of.items() if k == c.id}) for c in spec.cohorts]
    if len(spec.cohorts) > 1:
        groups.append((ALL_COHORTS, set(cohort_of)))
    rows = []
    for cohort, members in groups:
        for metric in spec.metrics:
            target = metric.cohort_targets.get(cohort)
            if cohort == ALL_COHORTS or (target is None and len(spec.cohorts) == 1):
                target = metric.target  # with one cohort, the contract's target is its own
            count = len(achieved.get(metric.id, set()) & members)
            money = {p: a for p, a in paid.get(metric.id, {}).items() if p in members}
            rows.append(
                (
                    cohort,
                    metric.id,
                    metric.name,
                    len(members),
                    count,
                    len(verified.get(metric.id, set()) & members),
                    len(money),
                    sum(money.values()),
                    target,
                    percent(count, target) if target else None,
                )
            )
    frame = pd.DataFrame(rows, columns=[c.name for c in PROGRESS_COLUMNS], dtype="object")
    return Table(
        "progress",
        "Progress",
        PROGRESS_COLUMNS,
        frame,
        "per cohort and metric: enrolled, achieved, verified, paid, against the target",
    )
