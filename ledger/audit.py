"""The audit log: who did what to which subject, when. Details carry counts and ids, never
personal data."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

from ledger.tables import AuditLog


def record(
    session: Session,
    actor: str,
    action: str,
    subject: str,
    at: datetime,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Add one audit entry to the current unit of work (it commits or rolls back with it)."""
    session.add(
        AuditLog(actor=actor, action=action, subject=subject, at=at, details=dict(details or {}))
    )
