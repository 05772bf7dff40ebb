"""The re-run fast path: a run that would compute what the last run computed reuses it.

Reconciling a period loads every fact of the contract and computes the whole entitlement, only
to find, when nothing changed, that nothing is owed (at a million participants, over a minute).
What decides that computation is known without doing it:

- the facts as of the cut-off. Fact tables are append-only (ledger.storage.immutability), so the
rows
  of a table visible as of a cut-off only ever grow: equal counts mean equal rows. A run keeps
  the count of each table as of its cut-off (participants by enrolment, evidence by
  submission, verification decisions and revocations by decision time, cohort results by
  submission, withdrawals by when they were recorded), taken *before* it reads the facts, so
  a row committed meanwhile makes the stamp smaller than the facts, never larger: the next
  run then computes, which is always safe;
- the spec version in force and its content hash;
- the postings so far, which decide what is still owed: the contract's posting count and
  highest posting id right after the run (taken under the postings lock).

The last run of the same contract and period can be reused when all of these are equal now and
its cut-off is the same, or earlier on the same UTC day (the findings age by the day, and equal
counts at a later cut-off mean no fact was stamped between the two). The run then posts nothing,
as the full computation would (that run already posted the difference), and reuses its fact
counts, digest, entitlement per payer and the findings that depend only on the facts and the
cut-off's day. Everything that depends on other state is done as before by the caller: periods
not reconciled, claims, matching, income, closing, the run's row and its audit entry.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from contract_specs.model import ContractSpec
from ledger.services.facts import utc
from ledger.services.postings import PostResult
from ledger.storage.db import hold_until_commit
from ledger.storage.run_records import store_postings
from ledger.storage.tables import (
    CohortResult,
    Evidence,
    Participant,
    Posting,
    SpecVersion,
    VerificationDecision,
    Withdrawal,
    table_of,
)
from reconciliation.periods import Period
from reconciliation.run_findings import reused_findings
from reconciliation.settle import Settlement
from reconciliation.tables import ReconcileRun

# each fact table and the time that says when a row became known
_STAMPED = (
    ("participants", Participant, "enrolled_at"),
    ("evidence", Evidence, "submitted_at"),
    ("decisions", VerificationDecision, "decided_at"),
    ("results", CohortResult, "submitted_at"),
    # a withdrawal changes what counts (after_withdrawal) and how conditions are judged
    ("withdrawals", Withdrawal, "recorded_at"),
)


def facts_stamp(
    session: Session, contract_id: str, version: SpecVersion, cut_off: datetime
) -> dict[str, Any]:
    """The spec in force and the count of each fact table of the contract as of `cut_off`
    (call it before the facts are read: see the module's docstring)."""
    counts = {}
    for name, model, moment in _STAMPED:
        table = table_of(model)
        counts[name] = (
            session.connection()
            .execute(
                select(func.count()).where(
                    table.c.contract_id == contract_id, table.c[moment] <= cut_off
                )
            )
            .scalar_one()
        )
    return {
        "spec_version": version.version,
        "spec_hash": version.content_hash,
        "facts": counts,
    }


def postings_mark(session: Session, contract_id: str) -> dict[str, int]:
    """How many postings the contract has and its highest posting id (0 when none)."""
    table = table_of(Posting)
    count, highest = (
        session.connection()
        .execute(
            select(func.count(), func.coalesce(func.max(table.c.id), 0)).where(
                table.c.contract_id == contract_id
            )
        )
        .one()
    )
    return {"count": int(count), "max_id": int(highest)}


def stamp_document(
    stamp: dict[str, Any], session: Session, contract_id: str, owed: dict[str, int]
) -> dict[str, Any]:
    """The stamp a run keeps: `stamp` (facts_stamp), the postings after the run, and what the
    run found owed per payer (which a run that reuses it reports again)."""
    return {**stamp, "postings": postings_mark(session, contract_id), "owed": owed}


def reusable_run(
    session: Session, contract_id: str, period: str, cut_off: datetime, stamp: dict[str, Any]
) -> ReconcileRun | None:
    """The last run of the period, when this run would compute exactly what it did; else None.

    Takes the postings lock before reading the postings (as posting does), so no other run
    posts between the check and this run's commit."""
    runs = table_of(ReconcileRun)
    newest = (
        session.connection()
        .execute(
            select(runs.c.id)
            .where(runs.c.contract_id == contract_id, runs.c.period == period)
            .order_by(runs.c.finished_at.desc(), runs.c.id.desc())
            .limit(1)
        )
        .scalar()
    )
    last = session.get(ReconcileRun, newest) if newest is not None else None
    if last is None or last.facts_stamp is None or last.findings is None:
        return None
    kept = last.facts_stamp
    earlier = utc(last.cut_off)
    if not (earlier <= cut_off and earlier.date() == cut_off.date()):
        return None
    if {k: kept.get(k) for k in stamp} != stamp:
        return None
    # only now, as posting does: a run that computes anyway keeps the lock as short as before
    hold_until_commit(session, f"postings:{contract_id}")
    return last if kept.get("postings") == postings_mark(session, contract_id) else None


def settle_as_before(
    session: Session,
    spec: ContractSpec,
    last: ReconcileRun,
    period: Period,
    cut_off: datetime,
    run_id: str,
    *,
    actor: str,
    now: datetime,
) -> Settlement:
    """Settle the period as `last` did: post nothing (audited as an empty posting is), reuse
    its computation, and recompute the findings that depend on other state."""
    assert last.facts_stamp is not None and last.findings is not None  # reusable_run says so
    store_postings(
        session, {}, 0, contract_id=last.contract_id, run_id=run_id, actor=actor, now=now
    )
    return Settlement(
        owed={str(p): int(v) for p, v in last.facts_stamp["owed"].items()},
        posted=PostResult(last.contract_id, period.id, run_id, last.spec_version, 0, {}),
        findings=reused_findings(session, spec, last.findings, period, cut_off),
        participants=last.participants,
        evidence=last.evidence,
        results=last.results,
        inputs_hash=last.inputs_hash,
        reused_from=last.reused_run_id or last.run_id,
        not_payable=last.not_payable,  # kept with the run that computed them
    )
