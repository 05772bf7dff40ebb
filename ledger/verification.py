"""Verification decisions on evidence, in bulk from a file: append-only, all or nothing.

An evidence row's status is its latest decision (pending while there is none). Allowed moves:
pending/rejected/revoked -> verified, pending -> rejected, verified -> revoked. Sending the
decision the evidence already has is not an error: it changes nothing, so re-importing a file
adds nothing. Rejecting or revoking needs a reason.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import select
from sqlmodel import Session

from ledger.contracts import require_contract
from ledger.db import hold_until_commit
from ledger.errors import RejectedUpload
from ledger.tables import Evidence, VerificationDecision, table_of
from ledger.uploads import ROW, ImportSummary, open_checks, store_new

COLUMNS = ("evidence_id", "decision", "reason")
DECISIONS = ("verified", "rejected", "revoked")
# decision -> the statuses it may follow
ALLOWED_FROM = {
    "verified": ("pending", "rejected", "revoked"),
    "rejected": ("pending",),
    "revoked": ("verified",),
}
WHY_NOT = {
    "rejected": "only pending evidence can be rejected (verified evidence is revoked instead)",
    "revoked": "only verified evidence can be revoked",
}


def import_decisions(
    session: Session, contract_id: str, path: Path, *, actor: str, now: datetime
) -> ImportSummary:
    """Record every decision in `path`, or none (RejectedUpload)."""
    require_contract(session, contract_id)
    # one import of this kind per contract at a time, across processes: the second reads what
    # the first stored (unchanged rows), never a stale view that collides on a unique key
    hold_until_commit(session, f"decisions:{contract_id}")
    checks = open_checks(path, COLUMNS)
    f = checks.frame
    checks.require(("evidence_id", "decision"))
    checks.unique("evidence_id")
    checks.flag(
        ~f["decision"].isin(DECISIONS) & (f["decision"] != ""),
        "decision",
        f"must be one of {', '.join(DECISIONS)}",
    )
    checks.flag(
        f["decision"].isin(("rejected", "revoked")) & (f["reason"] == ""),
        "reason",
        "is empty: say why the evidence is rejected or revoked",
    )
    pks = _evidence_pks(session, contract_id)
    evidence_pk = f["evidence_id"].map(pks)
    checks.flag(
        evidence_pk.isna() & (f["evidence_id"] != ""),
        "evidence_id",
        "is not evidence of this contract: import the evidence first",
    )
    known = current_status(session, contract_id)
    status = pd.Series(
        [known.get(pk, "pending") if pd.notna(pk) else "" for pk in evidence_pk],
        index=f.index,
        dtype="str",
    )
    unchanged = status == f["decision"]
    for decision, allowed in ALLOWED_FROM.items():
        wrong = (f["decision"] == decision) & ~status.isin(allowed) & ~unchanged
        checks.flag(
            wrong & evidence_pk.notna(),
            "decision",
            "cannot follow " + status + ": " + WHY_NOT.get(decision, ""),
        )
    if checks.errors:
        raise RejectedUpload(checks.errors)
    new = ~unchanged
    rows = [
        {
            "contract_id": contract_id,
            "evidence_pk": int(pk),
            "decision": decision,
            "reason": reason,
            "actor": actor,
            "decided_at": now,
            "source": f"{checks.file}:{row}",
        }
        for pk, decision, reason, row in zip(
            evidence_pk[new], f["decision"][new], f["reason"][new], f[ROW][new], strict=True
        )
    ]
    return store_new(
        session,
        VerificationDecision,
        rows,
        int(unchanged.sum()),
        action="evidence.verify",
        contract_id=contract_id,
        file=checks.file,
        actor=actor,
        now=now,
    )


def current_status(
    session: Session, contract_id: str, as_of: datetime | None = None
) -> dict[int, str]:
    """Evidence primary key -> latest decision at or before `as_of` (all of them when None).

    Evidence with no decision is absent (its status is pending)."""
    frame = decisions_frame(session, contract_id, as_of)
    latest = frame.drop_duplicates("evidence_pk", keep="last")
    return dict(zip(latest["evidence_pk"], latest["decision"], strict=True))


def decisions_frame(
    session: Session, contract_id: str, as_of: datetime | None = None
) -> pd.DataFrame:
    """Every decision at or before `as_of`, oldest first (ties in the order they were stored)."""
    table = table_of(VerificationDecision)
    query = select(
        table.c.evidence_pk, table.c.decision, table.c.reason, table.c.actor, table.c.decided_at
    ).where(table.c.contract_id == contract_id)
    if as_of is not None:
        query = query.where(table.c.decided_at <= as_of)
    rows = session.connection().execute(query.order_by(table.c.decided_at, table.c.id))
    return pd.DataFrame(
        rows.all(), columns=["evidence_pk", "decision", "reason", "actor", "decided_at"]
    )


def _evidence_pks(session: Session, contract_id: str) -> dict[str, int]:
    table = table_of(Evidence)
    rows = session.connection().execute(
        select(table.c.evidence_id, table.c.id).where(table.c.contract_id == contract_id)
    )
    return {evidence_id: pk for evidence_id, pk in rows}
