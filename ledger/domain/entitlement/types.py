"""What goes into and comes out of the entitlement engine (SEMANTICS.md sections 3 and 4).

The engine is a pure function: `compute_entitlement(spec, facts) -> Entitlement`. The storage
layer decides what is known as of a cut-off (submitted at or before T, latest verification
decision at or before T) and hands the engine plain frames; the engine decides what counts.

Input frames (`Facts`), one row each, any row order:

participants
    participant_id (str), cohort (str), provider (str), start_date (datetime64, a calendar date),
    plus one column per attribute the spec declares (dates as datetime64, booleans as bool,
    strings as str, integers as Int64, decimals as str). Only enrolled participants.
    Optionally withdrawn_on (datetime64, NaT when the participant has not withdrawn): evidence
    achieved or submitted after that day counts for nothing (after_withdrawal). A withdrawn
    participant's attributes may be missing (erased): see `judged`.
evidence
    evidence_id (str), participant_id (str), metric (str: a metric id, or a measure id for
    quantity evidence), achieved_on (datetime64), evidence_type (str, may be empty),
    quantity (Int64, nullable: the quantity in the measure's minor units, i.e. x 10**decimals),
    status (str: verified | pending | rejected | revoked, as of the cut-off),
    submitted_on (datetime64: the UTC day the row was submitted; NaT when not known, as in rows
    written by hand for examples). A row achieved after the day it was submitted is a claim about
    the future and counts for nothing (achieved_after_submission); since the storage layer hands
    over only rows submitted by the cut-off, nothing achieved after the cut-off counts either.
judged (optional)
    participant_id (str), metric (str), conditions (str: `condition_key` of the metric's
    conditions when judged), holds_from, holds_to (datetime64; NaT: they never held): a
    withdrawn participant's metric conditions as judged from their attributes before these were
    erased, over the days from their start to their withdrawal. Where a row matches the metric's
    conditions in the spec, the engine judges the claim's day against it instead of the
    attributes; a row for other conditions (the spec changed them since) is ignored.
results
    result_id (str), metric (cohort metric id), cohort (a cohort id, or "pool" for a pooled
    metric), observed (str decimal), comparison (str decimal), units (int),
    evaluated_on (datetime64), reference (str). Only the current (not superseded) results.

Output frames (`Entitlement`):

lines — one per key (participant_id, metric, occurrence, payer), zero amounts included so that a
    key that was paid and is no longer owed shows up (reconciliation posts the difference):
    participant_id (str; "cohort:<id>" or "cohort:pool" for cohort-level lines), cohort, provider
    ("" for cohort-level), metric, occurrence (int, 1-based rank among the participant's payable
    occurrences of the metric), payer, amount (int64 minor units), price (int64 minor units: the
    tariff in force, rounded half-up), achieved_on (datetime64), evidence_ids (str, ";"-joined,
    sorted; result ids for cohort-level lines), cut_by (str: "" or one of CUT_REASONS),
    cut_amount (int64 minor units: what the caps took from this payer's share of the price),
    reason (str: human-readable rule that produced the amount), tariff (Int64 minor units: the
    tariff in force for the occurrence, before any quantity; missing for cohort-level lines and
    where no tariff is in force).
not_payable — one per evidence row that counts for nothing:
    evidence_id, participant_id, metric, achieved_on, reason (one of NOT_PAYABLE_REASONS),
    detail (str: the numbers behind it, e.g. "achieved 2016-03-01 after window end 2016-02-01").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

PARTICIPANT_COLUMNS = ("participant_id", "cohort", "provider", "start_date")
EVIDENCE_COLUMNS = (
    "evidence_id",
    "participant_id",
    "metric",
    "achieved_on",
    "evidence_type",
    "quantity",
    "status",
    "submitted_on",
)
RESULT_COLUMNS = (
    "result_id",
    "metric",
    "cohort",
    "observed",
    "comparison",
    "units",
    "evaluated_on",
    "reference",
)
LINE_COLUMNS = (
    "participant_id",
    "cohort",
    "provider",
    "metric",
    "occurrence",
    "payer",
    "amount",
    "price",
    "achieved_on",
    "evidence_ids",
    "cut_by",
    "cut_amount",
    "reason",
    "tariff",
)
NOT_PAYABLE_COLUMNS = ("evidence_id", "participant_id", "metric", "achieved_on", "reason", "detail")

# Which cap cut a line (SEMANTICS.md 3.6 and 3.7).
CUT_REASONS = (
    "participant_cap",
    "metric_amount_cap",
    "metric_count_cap",
    "contract_cap",
    "payer_commitment",
)

# Why an evidence row counts for nothing (SEMANTICS.md 3.1-3.6).
NOT_PAYABLE_REASONS = (
    "not_enrolled",
    "unknown_metric",
    "threshold_not_claimable",
    "not_verified",
    "rejected",
    "revoked",
    "evidence_type_not_accepted",
    "before_start",
    "achieved_after_submission",
    "after_withdrawal",
    "outside_window",
    "after_last_outcome_date",
    "condition_not_met",
    "prerequisite_not_met",
    "interrupted",
    "too_soon_after_previous",
    "quantity_missing",
    "threshold_not_reached",
    "no_units",
    "below_scale",
    "limit_per_participant",
    "max_units_reached",
    "participant_cap_reached",
    "metric_cap_reached",
    "contract_cap_reached",
    "payer_commitment_exhausted",
)


JUDGED_COLUMNS = ("participant_id", "metric", "conditions", "holds_from", "holds_to")


def no_judgements() -> pd.DataFrame:
    """An empty `judged` frame: every participant judged on their attributes."""
    return pd.DataFrame(
        {
            "participant_id": pd.Series([], dtype="str"),
            "metric": pd.Series([], dtype="str"),
            "conditions": pd.Series([], dtype="str"),
            "holds_from": pd.Series([], dtype="datetime64[s]"),
            "holds_to": pd.Series([], dtype="datetime64[s]"),
        }
    )


@dataclass(frozen=True)
class Facts:
    participants: pd.DataFrame
    evidence: pd.DataFrame
    results: pd.DataFrame
    judged: pd.DataFrame = field(default_factory=no_judgements)


@dataclass(frozen=True)
class Entitlement:
    lines: pd.DataFrame
    not_payable: pd.DataFrame
