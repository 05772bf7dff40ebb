"""What a reconcile run found to act on, as of its cut-off, kept with the run.

A run already holds what the findings need: the facts as of its cut-off (participants, evidence
and its status) and the entitlement it settled, which is what the ledger holds per key once the
run has posted the difference. Only two things are read besides: when the pending evidence was
submitted (the engine's facts carry no submission time) and which periods have a completed run.

Runs are never updated, so the findings are written with the run, as a JSON document: how many
of each kind, and per kind its column names and rows (dates as ISO text, money in minor units).
A run keeps at most KEPT rows of each kind, the most urgent first: at a million participants a
run may find a hundred thousand, which would make every run tens of megabytes to store and to
answer; the provider report lists every one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlmodel import Session

from contract_specs.model import ContractSpec
from ledger.domain.entitlement.types import Facts
from ledger.services.facts import fetch_columns
from ledger.storage.tables import Evidence, table_of
from reconciliation.findings import (
    awaiting_verification,
    caps_near_exhaustion,
    likely_unclaimed,
    typed,
    unreconciled_periods,
)
from reconciliation.periods import Period
from reconciliation.status import reconciled_periods

# A period should have been reconciled from the midnight after it ends plus this long: the
# scheduler's default delay, so a period the scheduler is about to run is not yet late.
DUE_AFTER = timedelta(days=1)
KEPT = 1_000
KINDS = (
    "awaiting_verification",
    "likely_unclaimed",
    "caps_near_exhaustion",
    "unreconciled_periods",
)
_DATES = frozenset({"submitted_on", "prerequisite_achieved_on", "expected_by"})
_TIMES = frozenset({"due_at"})


@dataclass(frozen=True)
class Findings:
    """One frame per kind of finding, with reconciliation.findings' columns, and how many of
    each kind there are in all (`totals`; the frames' lengths when None)."""

    awaiting_verification: pd.DataFrame
    likely_unclaimed: pd.DataFrame
    caps_near_exhaustion: pd.DataFrame
    unreconciled_periods: pd.DataFrame
    totals: dict[str, int] | None = None

    def frames(self) -> dict[str, pd.DataFrame]:
        """Kind -> its frame, in the order of KINDS."""
        return {kind: getattr(self, kind) for kind in KINDS}

    def counts(self) -> dict[str, int]:
        """Kind -> how many findings of it there are in all."""
        if self.totals is not None:
            return dict(self.totals)
        return {kind: len(frame) for kind, frame in self.frames().items()}

    def most_urgent(self, limit: int = KEPT) -> Findings:
        """At most `limit` rows of each kind, the most urgent first, with the counts of all."""
        frames = self.frames()
        # the oldest evidence, and the longest overdue outcomes, come first
        frames["likely_unclaimed"] = frames["likely_unclaimed"].sort_values(
            "days_overdue", ascending=False, kind="stable"
        )
        kept = {
            kind: typed(frame.head(limit).reset_index(drop=True)) for kind, frame in frames.items()
        }
        return Findings(**kept, totals=self.counts())

    def for_payer(self, payer: str) -> Findings:
        """What one payer may see: no other payer's commitment (the contract's own caps are
        the payers' shared terms, as in the commissioner report)."""
        caps = self.caps_near_exhaustion
        others = (caps["cap"] == "payer_commitment") & (caps["subject"] != payer)
        counts = self.counts()
        counts["caps_near_exhaustion"] -= int(others.sum())
        kept = typed(caps[~others].reset_index(drop=True))
        return dataclasses.replace(self, caps_near_exhaustion=kept, totals=counts)

    def document(self) -> dict[str, Any]:
        """The findings as a JSON document (kept with the run)."""
        parts = {kind: _document(frame) for kind, frame in self.frames().items()}
        return {"counts": self.counts(), **parts}

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Findings:
        """The findings a run kept (the inverse of `document`)."""
        frames = {kind: _frame(document[kind]) for kind in KINDS}
        return cls(**frames, totals={k: int(v) for k, v in document["counts"].items()})


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
            frame[name] = frame[name].map(datetime.fromisoformat)
    return typed(frame)


def run_findings(
    session: Session,
    spec: ContractSpec,
    facts: Facts,
    settled: pd.DataFrame,
    period: Period,
    cut_off: datetime,
) -> Findings:
    """The findings of a run of `period` as of `cut_off` (aware UTC): the most urgent KEPT
    of each kind, with the counts of all.

    `settled` holds, per key, what the ledger has posted once the run has posted: the
    entitlement lines the run settles (participant_id, metric, occurrence, payer, amount).
    """
    contract = spec.contract
    pending = _pending_with_submission(session, contract.id, facts.evidence, cut_off)
    found = Findings(
        awaiting_verification=awaiting_verification(
            pending, cut_off.date(), contract.verification_sla_days
        ),
        likely_unclaimed=likely_unclaimed(spec, facts.participants, facts.evidence, cut_off.date()),
        caps_near_exhaustion=caps_near_exhaustion(spec, settled),
        unreconciled_periods=_unreconciled(session, spec, period, cut_off),
    )
    return found.most_urgent()


def reused_findings(
    session: Session,
    spec: ContractSpec,
    document: dict[str, Any],
    period: Period,
    cut_off: datetime,
) -> Findings:
    """The findings of a run that reuses an earlier run's computation (reconciliation.rerun):
    what depends only on the facts, the settled entitlement and the cut-off's day is that run's
    (its `document`); the periods not reconciled are found again, as other runs may have
    completed since."""
    kept = Findings.from_document(document)
    periods = _unreconciled(session, spec, period, cut_off)
    counts = {**kept.counts(), "unreconciled_periods": len(periods)}
    return dataclasses.replace(kept, unreconciled_periods=periods, totals=counts).most_urgent()


def _unreconciled(
    session: Session, spec: ContractSpec, period: Period, cut_off: datetime
) -> pd.DataFrame:
    done = reconciled_periods(session, spec.contract.id) | {period.id}
    return unreconciled_periods(spec, cut_off.replace(tzinfo=None), DUE_AFTER, done)


def _pending_with_submission(
    session: Session, contract_id: str, evidence: pd.DataFrame, cut_off: datetime
) -> pd.DataFrame:
    """The facts' pending evidence with its submission time.

    The facts already say which evidence is pending (a few per cent of it at scale): only those
    rows' times are read, by id through the contract's unique (contract_id, evidence_id) index,
    never a probe of every evidence row for a decision."""
    pending = evidence[evidence["status"] == "pending"]
    table = table_of(Evidence)
    ids: list[Any] = []
    submitted: list[Any] = []
    wanted = pending["evidence_id"].astype("str").tolist()
    for start in range(0, len(wanted), _IDS_PER_QUERY):
        some_ids, some_times = fetch_columns(
            session,
            select(table.c.evidence_id, table.c.submitted_at).where(
                table.c.contract_id == contract_id,
                # no condition on submitted_at (the facts hold only evidence submitted by the
                # cut-off): with one, SQLite scans that index instead of looking ids up
                table.c.evidence_id.in_(wanted[start : start + _IDS_PER_QUERY]),
            ),
        )
        ids.extend(some_ids)
        submitted.extend(some_times)
    times = pd.DataFrame(
        {
            "evidence_id": pd.array(ids, dtype="str"),
            "submitted_at": pd.to_datetime(pd.Series(submitted, dtype="object"), utc=True),
        }
    )
    return pending.merge(times, on="evidence_id", how="inner", validate="one_to_one")


# ids bound per query: under SQLite's limit on host parameters (32,766), and a statement
# PostgreSQL plans quickly
_IDS_PER_QUERY = 20_000
