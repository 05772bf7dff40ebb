"""Findings: things an intermediary should act on before they cost money. Pure, over frames.

- evidence waiting for verification, aged in buckets, flagged past the contract's SLA;
- likely unclaimed outcomes: a prerequisite was achieved, the date the next outcome was due has
  passed, and no evidence of it has arrived;
- payers' commitments and caps at or above 90% used;
- periods that should have been reconciled and were not.

Frames follow ledger/entitlement/types.py (dates as datetime64; plain `date` objects are also
accepted). Nothing here reads a database or personal data beyond pseudonymous ids.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

import pandas as pd

from contract_specs.model import ContractSpec, Metric, Prerequisite, to_minor
from reconciliation.periods import due_at, periods_due

BUCKETS = ((30, "0-30"), (60, "31-60"), (90, "61-90"))
OLDEST_BUCKET = "90+"
NOT_ACHIEVED = ("rejected", "revoked")

VERIFICATION_COLUMNS = (
    "evidence_id",
    "participant_id",
    "metric",
    "submitted_on",
    "age_days",
    "bucket",
    "past_sla",
)
UNCLAIMED_COLUMNS = (
    "participant_id",
    "metric",
    "prerequisite",
    "prerequisite_achieved_on",
    "expected_by",
    "days_overdue",
)
CAP_COLUMNS = ("cap", "subject", "used", "limit", "used_percent")
PERIOD_COLUMNS = ("period", "due_at", "days_late")


def _day(value: object) -> date:
    return pd.Timestamp(value).date()  # type: ignore[arg-type]


def bucket_of(age_days: int) -> str:
    """The ageing bucket of an age in days: 0-30, 31-60, 61-90 or 90+."""
    for upper, label in BUCKETS:
        if age_days <= upper:
            return label
    return OLDEST_BUCKET


def awaiting_verification(evidence: pd.DataFrame, as_of: date, sla_days: int) -> pd.DataFrame:
    """Evidence still pending as of `as_of`, oldest first, with its age, bucket and SLA flag.

    `evidence` needs evidence_id, participant_id, metric, submitted_at and status.
    """
    pending = evidence[evidence["status"] == "pending"]
    rows = []
    for row in pending.itertuples(index=False):
        submitted = _day(row.submitted_at)
        age = (as_of - submitted).days
        rows.append(
            (
                row.evidence_id,
                row.participant_id,
                row.metric,
                submitted,
                age,
                bucket_of(age),
                age > sla_days,
            )
        )
    frame = pd.DataFrame(rows, columns=list(VERIFICATION_COLUMNS))
    return frame.sort_values(["age_days", "evidence_id"], ascending=[False, True]).reset_index(
        drop=True
    )


def _expected_by(metric: Metric, prerequisite: Prerequisite, on: date, start: date) -> date | None:
    """When the outcome was due after its prerequisite was achieved on `on`, if it says."""
    if not prerequisite.min_gap.is_zero:
        return prerequisite.min_gap.after(on)
    if metric.window is not None:
        return metric.window.after(start)
    return None


def likely_unclaimed(
    spec: ContractSpec, participants: pd.DataFrame, evidence: pd.DataFrame, as_of: date
) -> pd.DataFrame:
    """Outcomes probably achieved but never evidenced.

    For each metric with a prerequisite, each participant's latest achieved prerequisite (its
    evidence not rejected or revoked: a restarted clock counts from the new entry) sets when
    the outcome was due: achieved_on + the prerequisite's minimum gap, or the end of the
    metric's window from start. Once that date has passed with no evidence of the metric on or
    after the prerequisite, the participant is listed.
    """
    live = evidence[~evidence["status"].isin(NOT_ACHIEVED)]
    starts = {row.participant_id: _day(row.start_date) for row in participants.itertuples()}
    achieved: dict[tuple[str, str], list[date]] = {}
    for row in live.itertuples(index=False):
        achieved.setdefault((row.participant_id, row.metric), []).append(_day(row.achieved_on))
    rows = []
    for metric in spec.metrics:
        for participant_id, start in starts.items():
            for prerequisite in metric.prerequisites:
                dates = achieved.get((participant_id, prerequisite.metric))
                if not dates:
                    continue
                latest = max(dates)
                due = _expected_by(metric, prerequisite, latest, start)
                if due is None or due >= as_of:
                    continue
                claimed = achieved.get((participant_id, metric.id), [])
                if any(day >= latest for day in claimed):
                    continue
                overdue = (as_of - due).days
                rows.append((participant_id, metric.id, prerequisite.metric, latest, due, overdue))
                break  # one line per participant and metric
    frame = pd.DataFrame(rows, columns=list(UNCLAIMED_COLUMNS))
    return frame.sort_values(["metric", "participant_id"]).reset_index(drop=True)


def _percent(used: int, limit: int) -> str:
    return str((Decimal(used) * 100 / Decimal(limit)).quantize(Decimal("0.1"), ROUND_DOWN))


def caps_near_exhaustion(
    spec: ContractSpec, postings: pd.DataFrame, threshold_percent: int = 90
) -> pd.DataFrame:
    """Commitments and caps with at least `threshold_percent` used by the postings so far.

    `postings` needs participant_id, metric, occurrence, payer and amount (minor units); money
    is compared in integers, the percentage is a decimal string rounded down.
    """
    exponent = spec.contract.exponent
    checks: list[tuple[str, str, int, int]] = []
    by_payer = postings.groupby("payer")["amount"].sum()
    for payer in spec.payers:
        if payer.commitment is not None:
            used = int(by_payer.get(payer.party, 0))
            checks.append(
                ("payer_commitment", payer.party, used, to_minor(payer.commitment, exponent))
            )
    if spec.caps.contract is not None:
        checks.append(
            (
                "contract_cap",
                spec.contract.id,
                int(postings["amount"].sum()),
                to_minor(spec.caps.contract, exponent),
            )
        )
    by_metric = postings.groupby("metric")["amount"].sum()
    keys = postings.groupby(["participant_id", "metric", "occurrence"])["amount"].sum()
    paid_keys = keys[keys > 0].reset_index().groupby("metric").size()
    for metric in spec.metrics:
        if metric.caps.amount is not None:
            checks.append(
                (
                    "metric_amount_cap",
                    metric.id,
                    int(by_metric.get(metric.id, 0)),
                    to_minor(metric.caps.amount, exponent),
                )
            )
        if metric.caps.count is not None:
            checks.append(
                ("metric_count_cap", metric.id, int(paid_keys.get(metric.id, 0)), metric.caps.count)
            )
    if spec.caps.per_participant is not None:
        limit = to_minor(spec.caps.per_participant, exponent)
        for participant_id, used in postings.groupby("participant_id")["amount"].sum().items():
            checks.append(("participant_cap", str(participant_id), int(used), limit))
    rows = [
        (cap, subject, used, limit, _percent(used, limit))
        for cap, subject, used, limit in checks
        if limit > 0 and used * 100 >= threshold_percent * limit
    ]
    return pd.DataFrame(rows, columns=list(CAP_COLUMNS))


def unreconciled_periods(
    spec: ContractSpec, now: datetime, delay: timedelta, reconciled: Collection[str]
) -> pd.DataFrame:
    """Periods ended (plus `delay`) by `now` with no completed run, and how late they are."""
    rows = [
        (period.id, due_at(period, delay), (now - due_at(period, delay)).days)
        for period in periods_due(spec.contract, now, delay, reconciled)
    ]
    return pd.DataFrame(rows, columns=list(PERIOD_COLUMNS))
