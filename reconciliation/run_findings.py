"""What a reconcile run found to act on, as of its cut-off, kept with the run.

A run already holds what the findings need: the facts as of its cut-off (participants, evidence
and its status) and the entitlement it settled, which is what the ledger holds per key once the
run has posted the difference. Only two things are read besides: when the pending evidence was
submitted (the engine's facts carry no submission time) and which periods have a completed run.

Runs are never updated, so the findings are written with the run, as a JSON document: per kind,
its column names and rows (dates as ISO text, money in minor units).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import exists, select
from sqlmodel import Session

from contract_specs.model import ContractSpec
from ledger.entitlement.types import Facts
from ledger.facts import fetch_columns
from ledger.tables import Evidence, VerificationDecision, table_of
from reconciliation.findings import (
    awaiting_verification,
    caps_near_exhaustion,
    likely_unclaimed,
    unreconciled_periods,
)
from reconciliation.periods import Period
from reconciliation.status import reconciled_periods

# A period should have been reconciled from the midnight after it ends plus this long: the
# scheduler's default delay, so a period the scheduler is about to run is not yet late.
DUE_AFTER = timedelta(days=1)
_DATES = frozenset({"submitted_on", "prerequisite_achieved_on", "expected_by"})
_TIMES = frozenset({"due_at"})


@dataclass(frozen=True)
class Findings:
    """One frame per kind of finding, with reconciliation.findings' columns."""

    awaiting_verification: pd.DataFrame
    likely_unclaimed: pd.DataFrame
    caps_near_exhaustion: pd.DataFrame
    unreconciled_periods: pd.DataFrame

    def frames(self) -> dict[str, pd.DataFrame]:
        """Kind -> its frame, in the order the kinds are listed."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def counts(self) -> dict[str, int]:
        """Kind -> how many findings of it."""
        return {kind: len(frame) for kind, frame in self.frames().items()}

    def document(self) -> dict[str, Any]:
        """The findings as a JSON document (kept with the run)."""
        return {kind: _document(frame) for kind, frame in self.frames().items()}

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Findings:
        """The findings a run kept (the inverse of `document`)."""
        return cls(**{f.name: _frame(document[f.name]) for f in fields(cls)})


def _document(frame: pd.DataFrame) -> dict[str, Any]:
    columns = [
        [v.isoformat() for v in frame[name]] if name in _DATES | _TIMES else frame[name].tolist()
        for name in frame.columns
    ]
    rows = [list(row) for row in zip(*columns, strict=True)]
    return {"columns": list(frame.columns), "rows": rows}


def _frame(part: dict[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame(part["rows"], columns=part["columns"], dtype="object")
    for name in frame.columns:
        if name in _DATES:
            frame[name] = frame[name].map(date.fromisoformat).astype("object")
        elif name in _TIMES:
            frame[name] = frame[name].map(datetime.fromisoformat).astype("object")
    return frame


def run_findings(
    session: Session,
    spec: ContractSpec,
    facts: Facts,
    settled: pd.DataFrame,
    period: Period,
    cut_off: datetime,
) -> Findings:
    """The findings of a run of `period` as of `cut_off` (aware UTC).

    `settled` holds, per key, what the ledger has posted once the run has posted: the
    entitlement lines the run settles (participant_id, metric, occurrence, payer, amount).
    """
    contract = spec.contract
    pending = _pending_with_submission(session, contract.id, facts.evidence, cut_off)
    done = reconciled_periods(session, contract.id) | {period.id}
    return Findings(
        awaiting_verification=awaiting_verification(
            pending, cut_off.date(), contract.verification_sla_days
        ),
        likely_unclaimed=likely_unclaimed(spec, facts.participants, facts.evidence, cut_off.date()),
        caps_near_exhaustion=caps_near_exhaustion(spec, settled),
        unreconciled_periods=unreconciled_periods(
            spec, cut_off.replace(tzinfo=None), DUE_AFTER, done
        ),
    )


def _pending_with_submission(
    session: Session, contract_id: str, evidence: pd.DataFrame, cut_off: datetime
) -> pd.DataFrame:
    """The facts' pending evidence with its submission time.

    Only evidence without a decision by the cut-off can be pending, so only its times are read
    (a handful, however much evidence was verified)."""
    table = table_of(Evidence)
    decisions = table_of(VerificationDecision)
    decided = exists().where(
        decisions.c.evidence_pk == table.c.id, decisions.c.decided_at <= cut_off
    )
    ids, submitted = fetch_columns(
        session,
        select(table.c.evidence_id, table.c.submitted_at).where(
            table.c.contract_id == contract_id, table.c.submitted_at <= cut_off, ~decided
        ),
    )
    times = pd.DataFrame(
        {
            "evidence_id": pd.array(ids, dtype="str"),
            "submitted_at": pd.to_datetime(pd.Series(submitted, dtype="object"), utc=True),
        }
    )
    pending = evidence[evidence["status"] == "pending"]
    return pending.merge(times, on="evidence_id", how="inner", validate="one_to_one")
