"""Exporting a contract's postings: one row each, streamed, in a stable order.

Columns as DESIGN.md fixes them; `amount` is a decimal string in the contract's currency. Rows
come from the database in batches (server-side cursor on PostgreSQL), so a ledger of millions of
postings never sits in memory at once.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import TextIO

from sqlalchemy import select
from sqlmodel import Session

from contract_specs.model import CURRENCY_EXPONENTS, from_minor
from ledger.contracts import require_contract
from ledger.tables import Posting, table_of

EXPORT_COLUMNS = (
    "posting_id",
    "contract",
    "spec_version",
    "period",
    "participant_id",
    "metric",
    "occurrence",
    "payer",
    "amount",
    "kind",
    "reason",
    "achieved_on",
    "evidence_ids",
    "run_id",
    "posted_at",
)
BATCH = 5_000


def posting_rows(session: Session, contract_id: str) -> Iterator[tuple[str, ...]]:
    """Every posting of the contract as export text, in the order they were posted."""
    exponent = CURRENCY_EXPONENTS[require_contract(session, contract_id).currency]
    table = table_of(Posting)
    columns = [
        table.c.contract_id if name == "contract" else table.c[name] for name in EXPORT_COLUMNS
    ]
    result = (
        session.connection()
        .execution_options(yield_per=BATCH)
        .execute(
            select(*columns)
            .where(table.c.contract_id == contract_id)
            .order_by(table.c.posted_at, table.c.id)
        )
    )
    amount = EXPORT_COLUMNS.index("amount")
    for row in result:
        values = list(row)
        values[amount] = from_minor(values[amount], exponent)
        yield tuple(_text(value) for value in values)


def write_csv(session: Session, contract_id: str, out: TextIO) -> int:
    """Write the contract's postings as CSV with a header; returns the number of rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for count, row in enumerate(posting_rows(session, contract_id), start=1):  # noqa: B007
        writer.writerow(row)
    return count


def _text(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
