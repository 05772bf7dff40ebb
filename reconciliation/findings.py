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

import numpy as np
import pandas as pd

from contract_specs.model import ContractSpec, Metric, Prerequisite, to_minor
from ledger.domain.entitlement.coding import positions
from ledger.domain.entitlement.dates import NO_DAY, after, day_number, day_numbers
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
# each column's dtype, so that findings have one shape however they were made (computed, or
# read back from a stored run) and even when there are none; dates stay `date` objects
COLUMN_TYPES = {
    **dict.fromkeys(
        ("evidence_id", "participant_id", "metric", "bucket", "prerequisite", "cap", "subject"),
        "str",
    ),
    **dict.fromkeys(("used_percent", "period"), "str"),
    **dict.fromkeys(("age_days", "days_overdue", "used", "limit", "days_late"), "int64"),
    "past_sla": "bool",
    "due_at": "datetime64[us]",
}


_LABELS = np.array([label for _, label in BUCKETS] + [OLDEST_BUCKET])
_UPPERS = np.array([upper for upper, _ in BUCKETS])


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with each column of COLUMN_TYPES in its dtype."""
    return frame.astype({c: COLUMN_TYPES[c] for c in frame.columns if c in COLUMN_TYPES})


def bucket_of(age_days: int) -> str:
    """The ageing bucket of an age in days: 0-30, 31-60, 61-90 or 90+."""
    return str(_LABELS[np.searchsorted(_UPPERS, age_days)])


def _utc_days(moments: pd.Series) -> np.ndarray:
    """The UTC calendar day of each timestamp (aware or naive UTC) as a day number."""
    stamps = pd.to_datetime(moments)
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return day_numbers(stamps)


def _as_dates(days: np.ndarray) -> pd.Series:
    """Day numbers as a column of `date` objects (what the report writers and JSON expect)."""
    return pd.Series(days.astype("datetime64[D]")).dt.date.astype("object")


def awaiting_verification(evidence: pd.DataFrame, as_of: date, sla_days: int) -> pd.DataFrame:
    """Evidence still pending as of `as_of`, oldest first, with its age, bucket and SLA flag.

    `evidence` needs evidence_id, participant_id, metric, submitted_at and status.
    """
    pending = evidence[evidence["status"] == "pending"]
    submitted = _utc_days(pending["submitted_at"])
    age = day_number(as_of) - submitted
    frame = pd.DataFrame(
        {
            "evidence_id": pending["evidence_id"].astype("str").to_numpy(),
            "participant_id": pending["participant_id"].astype("str").to_numpy(),
            "metric": pending["metric"].astype("str").to_numpy(),
            "submitted_on": _as_dates(submitted),
            "age_days": age.astype("int64"),
            "bucket": _LABELS[np.searchsorted(_UPPERS, age)],
            "past_sla": age > sla_days,
        },
        columns=list(VERIFICATION_COLUMNS),
    )
    return frame.sort_values(["age_days", "evidence_id"], ascending=[False, True]).reset_index(
        drop=True
    )


def _latest_by_metric(
    spec: ContractSpec, people: pd.Index, evidence: pd.DataFrame
) -> dict[str, np.ndarray]:
    """Metric (those with or behind a prerequisite) -> each participant's latest live
    achieved_on as a day number (NO_DAY when none), one slot per participant in `people`."""
    # whole columns as integer codes, masked below: no copy of millions of text cells
    live = (
        ~evidence["status"].isin(NOT_ACHIEVED).to_numpy()
        & evidence["achieved_on"].notna().to_numpy()
    )
    who = positions(evidence["participant_id"], people)
    days = day_numbers(evidence["achieved_on"])
    metric_codes, metric_ids = pd.factorize(evidence["metric"].astype("str"))
    code_of = {str(m): i for i, m in enumerate(metric_ids)}
    wanted = {m.id for m in spec.metrics if m.prerequisites}
    wanted |= {p.metric for m in spec.metrics for p in m.prerequisites}
    latest = {}
    for metric in sorted(wanted):
        rows = live & (metric_codes == code_of.get(metric, -2)) & (who >= 0)
        slots = np.full(len(people), NO_DAY, dtype="int64")
        np.maximum.at(slots, who[rows], days[rows])
        latest[metric] = slots
    return latest


def _overdue(
    metric: Metric,
    prerequisite: Prerequisite,
    latest: dict[str, np.ndarray],
    starts: np.ndarray,
    today: int,
) -> np.ndarray:
    """Positions of the participants whose `metric` fell due after `prerequisite` before
    `today` and has no live evidence since, and when it fell due (two rows)."""
    earlier = latest[prerequisite.metric]
    who = np.flatnonzero(earlier != NO_DAY)
    achieved = earlier[who]
    if metric.window is None or not prerequisite.min_gap.is_zero:
        due = after(achieved, prerequisite.min_gap)
    else:
        due = after(starts[who], metric.window)
    keep = (due < today) & (latest[metric.id][who] < achieved)
    return np.vstack([who[keep], due[keep]])


def likely_unclaimed(
    spec: ContractSpec, participants: pd.DataFrame, evidence: pd.DataFrame, as_of: date
) -> pd.DataFrame:
    """Outcomes probably achieved but never evidenced.

    For each metric with a prerequisite, each participant's latest achieved prerequisite (its
    evidence not rejected or revoked: a restarted clock counts from the new entry) sets when
    the outcome was due: achieved_on + the prerequisite's minimum gap, or the end of the
    metric's window from start. Once that date has passed with no evidence of the metric on or
    after the prerequisite, the participant is listed (once per metric: for the first of its
    prerequisites, in the spec's order, that says so).
    """
    people = pd.Index(participants["participant_id"].astype("str"))
    starts = day_numbers(participants["start_date"])
    latest = _latest_by_metric(spec, people, evidence)
    today = day_number(as_of)
    parts = []
    for metric in spec.metrics:
        listed = np.zeros(len(people), dtype=bool)
        for prerequisite in metric.prerequisites:
            if prerequisite.min_gap.is_zero and metric.window is None:
                continue  # nothing says when it falls due
            who, due = _overdue(metric, prerequisite, latest, starts, today)
            fresh = ~listed[who]
            who, due = who[fresh], due[fresh]
            listed[who] = True
            parts.append((metric.id, prerequisite.metric, who, due))
    who = np.concatenate([p[2] for p in parts]) if parts else np.empty(0, dtype="int64")
    due = np.concatenate([p[3] for p in parts]) if parts else np.empty(0, dtype="int64")
    sizes = [len(p[2]) for p in parts]
    achieved = (
        np.concatenate([latest[p[1]][p[2]] for p in parts]) if parts else np.empty(0, "int64")
    )
    frame = pd.DataFrame(
        {
            "participant_id": people[who].to_numpy(),
            "metric": np.repeat([p[0] for p in parts], sizes).astype("str"),
            "prerequisite": np.repeat([p[1] for p in parts], sizes).astype("str"),
            "prerequisite_achieved_on": _as_dates(achieved),
            "expected_by": _as_dates(due),
            "days_overdue": (today - due).astype("int64"),
        },
        columns=list(UNCLAIMED_COLUMNS),
    )
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
    by_payer = postings.groupby("payer", sort=False)["amount"].sum()
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
    by_metric = postings.groupby("metric", sort=False)["amount"].sum()
    counted = [m.id for m in spec.metrics if m.caps.count is not None]
    # a key still paid counts one occurrence (a key paid back counts none)
    capped = postings[postings["metric"].isin(counted)]
    keys = capped.groupby(["participant_id", "metric", "occurrence"], sort=False)["amount"].sum()
    paid_keys = keys[keys > 0].reset_index().groupby("metric", sort=False).size()
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
        # cohort-level lines ("cohort:<id>") are paid to no participant: no participant cap
        people = postings[~postings["participant_id"].astype("str").str.startswith("cohort:")]
        used_by = people.groupby("participant_id", sort=False)["amount"].sum()
        near = used_by[used_by * 100 >= threshold_percent * limit].sort_index()
        checks += [("participant_cap", str(p), int(used), limit) for p, used in near.items()]
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
