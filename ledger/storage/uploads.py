"""The shared end of every import: its checked rows stored in bulk and audited, all at once.

The rows were checked before (ledger.intake.row_checks), in a read-only session where the
database is involved; here they are only inserted, under the write lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, SQLModel

from ledger.storage import audit
from ledger.storage.bulk import insert_columns
from ledger.storage.tables import table_of


@dataclass(frozen=True)
class ImportSummary:
    """What an import stored: `new` rows, and rows already stored exactly as uploaded."""

    new: int
    unchanged: int

    def __str__(self) -> str:
        return f"{self.new} new, {self.unchanged} unchanged"


def store_new(
    session: Session,
    model: type[SQLModel],
    rows: list[dict[str, Any]],
    unchanged: int,
    *,
    action: str,
    contract_id: str,
    file: str,
    actor: str,
    now: datetime,
) -> ImportSummary:
    """Bulk-insert the new rows of an import (driver executemany, no ORM objects) and audit it."""
    return store_columns(
        session,
        model,
        columns_of(rows),
        len(rows),
        unchanged,
        action=action,
        contract_id=contract_id,
        file=file,
        actor=actor,
        now=now,
    )


def columns_of(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Rows (dicts with the same keys) as columns, for store_columns."""
    names = list(rows[0]) if rows else []
    return {name: [row[name] for row in rows] for name in names}


def store_columns(
    session: Session,
    model: type[SQLModel],
    columns: Mapping[str, Any],
    count: int,
    unchanged: int,
    *,
    action: str,
    contract_id: str,
    file: str,
    actor: str,
    now: datetime,
) -> ImportSummary:
    """Bulk-insert `count` new rows given column by column (ledger.storage.bulk) and audit the
    import."""
    insert_columns(session.connection(), table_of(model), columns, count)
    summary = ImportSummary(new=count, unchanged=unchanged)
    details = {"file": file, "new": summary.new, "unchanged": summary.unchanged}
    audit.record(session, actor, action, f"contract:{contract_id}", now, details)
    return summary
