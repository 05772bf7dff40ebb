"""Storing what a reconcile run decided: its postings and the evidence rows it found not payable.

Both are bulk inserts column by column (ledger.storage.bulk) into append-only tables. Postings
are audited as what a run posted (`ledger.post`, naming the run), not as an imported file.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd
from sqlmodel import Session

from ledger.storage import audit
from ledger.storage.bulk import insert_columns
from ledger.storage.tables import Posting, RunNotPayable, table_of

NOT_PAYABLE_COLUMNS = ("evidence_id", "participant_id", "metric", "achieved_on", "reason", "detail")


def store_postings(
    session: Session,
    columns: Mapping[str, Any],
    count: int,
    *,
    contract_id: str,
    run_id: str,
    actor: str,
    now: datetime,
) -> None:
    """Insert the `count` postings of run `run_id` (given column by column) and audit them as
    that run's posting; a run that posts nothing is audited too (it looked, and found none)."""
    insert_columns(session.connection(), table_of(Posting), columns, count)
    details = {"run_id": run_id, "postings": count}
    audit.record(session, actor, "ledger.post", f"contract:{contract_id}", now, details)


def store_not_payable(session: Session, contract_id: str, run_id: str, rows: pd.DataFrame) -> int:
    """Insert the not-payable rows `rows` (NOT_PAYABLE_COLUMNS) of run `run_id`; their count."""
    columns: dict[str, Any] = {
        name: rows[name].astype("object").where(rows[name].notna(), "").astype("str")
        for name in NOT_PAYABLE_COLUMNS
        if name != "achieved_on"
    }
    columns["achieved_on"] = pd.to_datetime(rows["achieved_on"])
    insert_columns(
        session.connection(),
        table_of(RunNotPayable),
        {**columns, "contract_id": contract_id, "run_id": run_id},
        len(rows),
    )
    return len(rows)
