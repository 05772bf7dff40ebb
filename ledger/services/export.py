"""Reading a contract's postings: the whole export streamed, or one filtered page at a time.

Columns as DESIGN.md fixes them; `amount` is a decimal in the contract's currency. Both reads
share one query, in one stable order (as posted). The export comes from the database in batches
(server-side cursor on PostgreSQL), so a ledger of millions of postings never sits in memory.
A page can be limited to one provider's participants (a provider sees only its own).

In the csv, the text columns (ids, reference-like text a party wrote, the reason) follow
ledger.intake.cell_safety's rule: a cell that would begin like a formula gets a leading apostrophe.
The numbers and dates the ledger wrote itself (`NOT_TEXT`: the amount, with its minus sign
when negative) are written as they are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TextIO

from sqlalchemy import Select, func, select
from sqlmodel import Session

from contract_specs.model import CURRENCY_EXPONENTS, from_minor
from ledger.intake.cell_safety import csv_row_writer, csv_text
from ledger.services.contracts import require_contract
from ledger.storage.keys import local_text
from ledger.storage.tables import Participant, Posting, table_of

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
# the columns the ledger writes itself as numbers and dates: never escaped in the csv
NOT_TEXT = frozenset({"spec_version", "occurrence", "amount", "achieved_on", "posted_at"})
BATCH = 5_000
AMOUNT = EXPORT_COLUMNS.index("amount")
EVIDENCE = EXPORT_COLUMNS.index("evidence_ids")
_TEXT = tuple(name not in NOT_TEXT for name in EXPORT_COLUMNS)


@dataclass(frozen=True)
class PostingFilter:
    """Which postings to read: each field set keeps only postings with that value."""

    period: str | None = None
    payer: str | None = None
    participant_id: str | None = None
    metric: str | None = None
    kind: str | None = None
    # only the participants this provider serves (a provider's own view)
    provider: str | None = None


@dataclass(frozen=True)
class PostingLine:
    """One posting with the export's columns, amount as a Decimal in the contract's currency."""

    posting_id: str
    contract: str
    spec_version: int
    period: str
    participant_id: str
    metric: str
    occurrence: int
    payer: str
    amount: Decimal
    kind: str
    reason: str
    achieved_on: date | None
    evidence_ids: tuple[str, ...]
    run_id: str
    posted_at: datetime


@dataclass(frozen=True)
class PostingsPage:
    """One page of postings in the order they were posted, and how many match in all."""

    items: tuple[PostingLine, ...]
    total: int
    limit: int
    offset: int


def _query(contract_id: str, only: PostingFilter) -> Select[Any]:
    table = table_of(Posting)
    columns = [
        table.c.contract_id if name == "contract" else table.c[name] for name in EXPORT_COLUMNS
    ]
    where = [table.c.contract_id == contract_id]
    for name in ("period", "payer", "participant_id", "metric", "kind"):
        value = getattr(only, name)
        if value is not None:
            where.append(table.c[name] == value)
    if only.provider is not None:
        people = table_of(Participant)
        where.append(
            table.c.participant_id.in_(
                select(people.c.participant_id).where(
                    people.c.contract_id == contract_id, people.c.provider == only.provider
                )
            )
        )
    return select(*columns).where(*where).order_by(table.c.posted_at, table.c.id)


def _exponent(session: Session, contract_id: str) -> int:
    return CURRENCY_EXPONENTS[require_contract(session, contract_id).currency]


def _values(row: Any, exponent: int) -> list[Any]:
    values = list(row)
    values[AMOUNT] = from_minor(values[AMOUNT], exponent)
    return values


def posting_rows(session: Session, contract_id: str) -> Iterator[tuple[str, ...]]:
    """Every posting of the contract as export text, in the order they were posted."""
    exponent = _exponent(session, contract_id)
    result = (
        session.connection()
        .execution_options(yield_per=BATCH)
        .execute(_query(contract_id, PostingFilter()))
    )
    for row in result:
        yield tuple(_text(value) for value in _values(row, exponent))


def postings_page(
    session: Session,
    contract_id: str,
    only: PostingFilter,
    *,
    limit: int,
    offset: int,
) -> PostingsPage:
    """One page of the contract's postings that pass `only`, with the total that pass."""
    exponent = _exponent(session, contract_id)
    query = _query(contract_id, only)
    connection = session.connection()
    total = connection.execute(
        select(func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    items = []
    for row in connection.execute(query.limit(limit).offset(offset)):
        values = _values(row, exponent)
        values[EVIDENCE] = tuple(e for e in values[EVIDENCE].split(";") if e)
        items.append(PostingLine(**dict(zip(EXPORT_COLUMNS, values, strict=True))))
    return PostingsPage(tuple(items), int(total), limit, offset)


def write_csv(session: Session, contract_id: str, out: TextIO) -> int:
    """Write the contract's postings as CSV with a header; returns the number of rows."""
    return write_rows(posting_rows(session, contract_id), out)


def write_rows(rows: Iterable[tuple[str, ...]], out: TextIO) -> int:
    """Write export rows (text in EXPORT_COLUMNS' order) as CSV with a header, text columns
    made safe; returns the number of rows."""
    write = csv_row_writer(out)
    write(EXPORT_COLUMNS)
    count = 0
    for count, row in enumerate(rows, start=1):  # noqa: B007
        write([csv_text(v) if text else v for v, text in zip(row, _TEXT, strict=True)])
    return count


def _text(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def page_as_seen_by(page: PostingsPage, provider: str) -> PostingsPage:
    """A page of `provider`'s own postings as it reads them: its own ids as its case system
    wrote them (ledger.storage.keys)."""
    return dataclasses.replace(
        page,
        items=tuple(
            dataclasses.replace(
                line,
                participant_id=local_text(line.participant_id, provider),
                reason=local_text(line.reason, provider),
                evidence_ids=tuple(local_text(e, provider) for e in line.evidence_ids),
            )
            for line in page.items
        ),
    )
