"""A run's findings as the API answers them: what to act on as of the run's cut-off.

Money leaves as decimal strings in the contract's currency; a count cap counts occurrences.
Participant ids are the contract's pseudonymous ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from contract_specs.model import from_minor
from ledger.services.facts import utc
from reconciliation.run_findings import Findings


@dataclass
class AwaitingOut:
    """Evidence still pending at the cut-off, its age in days and bucket (0-30 ... 90+), and
    whether it is past the contract's verification SLA."""

    evidence_id: str
    participant_id: str
    metric: str
    submitted_on: date
    age_days: int
    bucket: str
    past_sla: bool


@dataclass
class UnclaimedOut:
    """A likely unclaimed outcome: the prerequisite was achieved, the outcome's date passed,
    and no evidence of it arrived."""

    participant_id: str
    metric: str
    prerequisite: str
    prerequisite_achieved_on: date
    expected_by: date
    days_overdue: int


@dataclass
class CapOut:
    """A payer's commitment or a cap at or above 90% used. `cap` is payer_commitment,
    contract_cap, metric_amount_cap, metric_count_cap or participant_cap; `subject` the payer,
    contract, metric or participant. `used` and `limit` are money, except for
    metric_count_cap (occurrences paid)."""

    cap: str
    subject: str
    used: Decimal
    limit: Decimal
    used_percent: Decimal


@dataclass
class LatePeriodOut:
    """A period that should have been reconciled (the day after it ended, plus a day) and
    has no completed run."""

    period: str
    due_at: datetime
    days_late: int


@dataclass
class FindingsOut:
    """What the run found to act on as of its cut-off: how many of each kind (`counts`), and
    at most 1,000 of each, the most urgent first (the oldest evidence, the longest overdue
    outcomes); the provider report lists every one."""

    counts: dict[str, int]
    awaiting_verification: list[AwaitingOut]
    likely_unclaimed: list[UnclaimedOut]
    caps_near_exhaustion: list[CapOut]
    unreconciled_periods: list[LatePeriodOut]


def _records(findings: Findings, kind: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = findings.frames()[kind].to_dict("records")
    return records


def _cap(row: dict[str, Any], exponent: int) -> CapOut:
    counted = row["cap"] == "metric_count_cap"

    def amount(value: Any) -> Decimal:
        return Decimal(int(value)) if counted else from_minor(int(value), exponent)

    return CapOut(
        str(row["cap"]),
        str(row["subject"]),
        amount(row["used"]),
        amount(row["limit"]),
        Decimal(str(row["used_percent"])),
    )


def findings_out(findings: Findings, exponent: int) -> FindingsOut:
    """The API's answer for a run's findings (money in the contract's currency)."""
    return FindingsOut(
        counts=findings.counts(),
        awaiting_verification=[
            AwaitingOut(**row) for row in _records(findings, "awaiting_verification")
        ],
        likely_unclaimed=[UnclaimedOut(**row) for row in _records(findings, "likely_unclaimed")],
        caps_near_exhaustion=[
            _cap(row, exponent) for row in _records(findings, "caps_near_exhaustion")
        ],
        unreconciled_periods=[
            LatePeriodOut(row["period"], utc(row["due_at"]), row["days_late"])
            for row in _records(findings, "unreconciled_periods")
        ],
    )
