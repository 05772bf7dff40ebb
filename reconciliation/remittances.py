"""Remittances: money received from payers, imported from a .csv or .xlsx file.

Columns `payer, amount, date, reference` (amount a decimal in the contract's currency; negative
for a refund paid back to the payer). Every row is checked and every problem reported as
`FILE:ROW: column: reason` (ledger/uploads.py); a file with any bad row stores nothing.

A bank statement has no ids, so a remittance's id is a digest of its payer, amount, date and
reference, and of how many identical rows came before it in the file. Importing the same file
again stores nothing new; two identical rows in one file are two payments (which matching will
call a duplicate, for a person to look at).
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime

import pandas as pd
from sqlalchemy import select
from sqlmodel import Session

from contract_specs.model import ContractSpec
from ledger.domain.errors import RejectedUpload
from ledger.intake.reading import Source
from ledger.intake.references import reference_problems
from ledger.intake.row_checks import ROW, RowChecks, open_checks
from ledger.services.checked_import import (
    CheckedImport,
    Insert,
    Store,
    contract_import,
    in_one_session,
)
from ledger.services.contracts import active_spec, require_contract
from ledger.storage.tables import table_of
from ledger.storage.uploads import ImportSummary, columns_of
from reconciliation.matching import Remittance
from reconciliation.tables import RemittanceRow

REQUIRED = ("payer", "amount", "date", "reference")
# the longest remittance information a payment carries (SEPA's and SWIFT's: 140 characters)
REFERENCE_MAX = 140


def remittance_id(payer: str, amount: int, received_on: date, reference: str, nth: int) -> str:
    """A stable id for a remittance that came without one."""
    text = f"{payer}|{amount}|{received_on.isoformat()}|{reference}|{nth}"
    return "R" + hashlib.sha256(text.encode()).hexdigest()[:31]


def check_rows(checks: RowChecks, spec: ContractSpec) -> list[Remittance]:
    """Check every row against the spec (payers, currency decimals); the rows as remittances."""
    frame = checks.frame
    payers = [p.party for p in spec.payers]
    checks.require(("payer", "amount", "date"))
    said = reference_problems(frame["reference"], REFERENCE_MAX)
    checks.flag(said != "", "reference", said)
    checks.flag(
        (frame["payer"] != "") & ~frame["payer"].isin(payers),
        "payer",
        "is not an outcome payer of this contract: use one of " + ", ".join(payers),
    )
    days = checks.date("date")
    # negative: a refund paid back to the payer
    minor = checks.amount("amount", spec.contract.exponent)
    seen: dict[tuple[str, int, date, str], int] = {}
    remittances = []
    for payer, value, day, reference in zip(
        frame["payer"], minor, days, frame["reference"], strict=True
    ):
        received_on = date.min if pd.isna(day) else day.date()
        signature = (payer, int(value), received_on, reference)
        nth = seen.get(signature, 0)
        seen[signature] = nth + 1
        remittances.append(
            Remittance(remittance_id(*signature, nth), payer, int(value), received_on, reference)
        )
    return remittances


def import_remittances(
    session: Session,
    contract_id: str,
    spec: ContractSpec,
    path: Source,
    *,
    actor: str,
    now: datetime,
) -> ImportSummary:
    """Store every remittance in `path`, or none (RejectedUpload with every bad row)."""
    job = remittances_import(contract_id, path, actor=actor, now=now, spec=spec)
    return in_one_session(session, job)


def remittances_import(
    contract_id: str,
    path: Source,
    *,
    actor: str,
    now: datetime,
    spec: ContractSpec | None = None,
) -> CheckedImport:
    """The remittances import of `path` (see import_remittances), to check before the write
    lock and store under it (ledger.services.checked_import); `spec`: the spec to check
    against (by default the one in force when it is checked). One import of a contract's
    remittances is stored at a time, across processes: the second reads what the first
    stored (unchanged rows), never a stale view that collides on a unique key."""
    return contract_import(
        f"remittances:{contract_id}",
        contract_id,
        (RemittanceRow,),
        lambda session: _check(session, contract_id, spec, path, actor, now),
    )


def _check(
    session: Session,
    contract_id: str,
    spec: ContractSpec | None,
    path: Source,
    actor: str,
    now: datetime,
) -> Store:
    """Check the file against the spec's payers and what is stored."""
    require_contract(session, contract_id)
    spec = spec or active_spec(session, contract_id).spec
    checks = open_checks(path, REQUIRED)
    remittances = check_rows(checks, spec)
    if checks.errors:
        raise RejectedUpload(checks.errors)
    stored = {r.remittance_id for r in load_remittances(session, contract_id)}
    rows = [
        {
            "contract_id": contract_id,
            "remittance_id": r.remittance_id,
            "payer": r.payer,
            "amount": r.amount,
            "received_on": r.received_on,
            "reference": r.reference,
            "imported_at": now,
            "imported_by": actor,
            "source_file": checks.file,
            "source_row": int(row),
        }
        for r, row in zip(remittances, checks.frame[ROW], strict=True)
        if r.remittance_id not in stored
    ]
    unchanged = len(remittances) - len(rows)

    return Insert(
        RemittanceRow, columns_of(rows), len(rows), unchanged,
        "remittances.import", contract_id, checks.file, actor, now,
    )  # fmt: skip


def load_remittances(session: Session, contract_id: str) -> list[Remittance]:
    """Every remittance recorded for the contract, in the order received."""
    table = table_of(RemittanceRow)
    rows = session.connection().execute(
        select(
            table.c.remittance_id,
            table.c.payer,
            table.c.amount,
            table.c.received_on,
            table.c.reference,
        )
        .where(table.c.contract_id == contract_id)
        .order_by(table.c.received_on, table.c.remittance_id)
    )
    return [Remittance(*row) for row in rows]
