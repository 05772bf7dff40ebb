"""Which spec version of a contract is in force, as the audit log records it.

A load that is made active, or an activation, names the version in force; the latest such entry
decides. This is a read of stored records only (no spec parsing), so the storage layer's own
checks (a token's party named in the spec in force) can ask it without the services above.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from ledger.storage.tables import AuditLog

LOAD, ACTIVATE = "spec.load", "spec.activate"


def version_in_force(session: Session, contract_id: str) -> int | None:
    """The number of the version in force: the one the latest load in force or activation
    names (None when every version is a draft)."""
    entries = session.scalars(
        select(AuditLog)
        .where(
            col(AuditLog.subject) == f"contract:{contract_id}",
            col(AuditLog.action).in_((LOAD, ACTIVATE)),
        )
        .order_by(col(AuditLog.id).desc())
    )
    for entry in entries:
        if entry.action == ACTIVATE or entry.details.get("active"):
            return int(entry.details["version"])
    return None
