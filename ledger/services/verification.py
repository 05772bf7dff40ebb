"""Verification decisions on evidence, in bulk from a file: append-only, all or nothing.

An evidence row's status is the one rule's (ledger.domain.entitlement.status): its latest decision,
else `automatic` when the spec in force verifies its metric (or measure) automatically, else
pending. Allowed moves:

- pending/automatic/rejected/revoked -> verified (verifying automatic evidence records that
  someone checked it; it counted already),
- pending/automatic -> rejected (automatic evidence found false before anyone decided on it:
  it counts no more, and what was paid on it is paid back at the next run),
- verified/automatic -> revoked (the same for evidence paid and taken back: an automatic outcome
  later found false is clawed back like verified evidence).

Rejected evidence is not revoked (it never counted since) and verified evidence is revoked, not
rejected. Sending the decision the evidence already has is not an error: it changes nothing, so
re-importing a file adds nothing. Rejecting or revoking needs a reason.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlmodel import Session

from ledger.domain.entitlement.status import DECISIONS, PENDING, STATUSES, code, codes
from ledger.domain.errors import RejectedUpload
from ledger.intake.reading import Source
from ledger.intake.row_checks import ROW, open_checks
from ledger.services.checked_import import (
    CheckedImport,
    Insert,
    Store,
    contract_import,
    in_one_session,
)
from ledger.services.contracts import active_spec, require_contract
from ledger.services.ids import PROVIDER_COLUMN, resolve_column, wanted_keys
from ledger.services.verification_status import LOOKUP_AT_MOST, stored_evidence
from ledger.storage.tables import Evidence, VerificationDecision
from ledger.storage.uploads import ImportSummary

COLUMNS = ("evidence_id", "decision", "reason")
# decision -> the statuses it may follow (see the module docstring)
ALLOWED_FROM = {
    "verified": ("pending", "automatic", "rejected", "revoked"),
    "rejected": ("pending", "automatic"),
    "revoked": ("verified", "automatic"),
}
WHY_NOT = {
    "rejected": (
        "only pending or automatic evidence can be rejected (verified evidence is revoked instead)"
    ),
    "revoked": "only verified or automatic evidence can be revoked",
}
DECISION_HINT = f"must be one of {', '.join(DECISIONS)}"


def import_decisions(
    session: Session, contract_id: str, path: Source, *, actor: str, now: datetime
) -> ImportSummary:
    """Record every decision in `path`, or none (RejectedUpload)."""
    return in_one_session(session, decisions_import(contract_id, path, actor=actor, now=now))


def decisions_import(contract_id: str, path: Source, *, actor: str, now: datetime) -> CheckedImport:
    """The decisions import of `path` (see import_decisions), to check before the write lock
    and store under it (services.checked_import). One import of a contract's decisions is
    stored at a time, across processes: the second sees what the first stored (unchanged
    rows, the statuses they set), never a stale view that collides on a unique key."""
    return contract_import(
        f"decisions:{contract_id}",
        contract_id,
        (Evidence, VerificationDecision),
        lambda session: _check(session, contract_id, path, actor, now),
    )


def _check(session: Session, contract_id: str, path: Source, actor: str, now: datetime) -> Store:
    """Check the file against the evidence stored and its statuses under the spec in force."""
    require_contract(session, contract_id)
    # the spec in force says which metrics are automatic: their evidence counts undecided
    spec = active_spec(session, contract_id).spec
    checks = open_checks(path, COLUMNS, (PROVIDER_COLUMN,))
    f = checks.frame
    checks.require(("evidence_id", "decision"))
    # evidence ids as written (a key, a local id and a provider, a local id alone) become
    # the keys they name, before two rows can be found naming the same evidence
    stored = stored_evidence(
        session,
        contract_id,
        spec,
        len(f),
        lambda: wanted_keys(session, contract_id, f, "evidence_id", LOOKUP_AT_MOST),
    )
    at, flagged = resolve_column(checks, "evidence_id", stored.ids, "is evidence of")
    checks.unique("evidence_id")
    # the decision column as codes into STATUSES (-1: not a status), so that every check
    # below compares small integers, not millions of strings
    decision = pd.Series(codes(f["decision"]), index=f.index)
    is_decision = decision.isin([code(d) for d in DECISIONS])
    checks.flag(~is_decision & (f["decision"] != ""), "decision", DECISION_HINT)
    needs_reason = decision.isin([code(d) for d in WHY_NOT])
    checks.flag(
        needs_reason & (f["reason"] == ""),
        "reason",
        "is empty: say why the evidence is rejected or revoked",
    )
    standing = stored.standing(at)
    known = pd.Series(standing.stored, index=f.index)
    checks.flag(
        ~known & ~pd.Series(flagged, index=f.index) & (f["evidence_id"] != ""),
        "evidence_id",
        "is not evidence of this contract: import the evidence first",
    )
    status = pd.Series(standing.status, index=f.index)
    unchanged = known & (status == decision)
    for target, allowed in ALLOWED_FROM.items():
        deciding = known & (decision == code(target)) & ~unchanged
        # one check per status it cannot follow, each with its own message
        for before in STATUSES[PENDING:]:
            if before not in allowed:
                checks.flag(
                    deciding & (status == code(before)),
                    "decision",
                    f"cannot follow {before}: {WHY_NOT.get(target, '')}",
                )
    if checks.errors:
        raise RejectedUpload(checks.errors)
    new = (~unchanged).to_numpy(bool)
    rows = f[ROW][new]
    columns = {
        "contract_id": contract_id,
        "evidence_pk": pd.Series(standing.pk[new]),
        "decision": f["decision"][new],
        "reason": f["reason"][new],
        "actor": actor,
        "decided_at": now,
        "source": checks.file + ":" + rows.astype(str),
    }

    return Insert(
        VerificationDecision, columns, len(rows), int(unchanged.sum()), "evidence.verify",
        contract_id, checks.file, actor, now,
    )  # fmt: skip
