"""Money received becomes the vehicle's outcome income once it is matched to a claim.

A remittance that matching settles against claims (exact, within tolerance, split or combined)
is money actually received for outcomes, so the investment vehicle records it as cash of kind
`outcome_income` from that payer, on the day it was received, under the reference
`remittance:<id>`. Breaks (unknown references, duplicates, over- and underpayments) wait for a
person. A remittance is recorded once: re-running a period finds it already there.

Contracts without an `investment:` section have no vehicle and record nothing.

So that no payment is counted twice, a contract whose money received is reconciled here (it has
a remittance on record) takes its outcome income only from matched remittances: a cash import
(`import_cash_by_hand`, the CLI's `cash import` and the API's cash routes) refuses its
outcome_income rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from ledger.domain.finance.flows import CashFlow, CashKind
from ledger.intake.reading import Source
from ledger.services.cash import cash_import, record_cash
from ledger.services.checked_import import CheckedImport, in_one_session
from ledger.services.contracts import ActiveSpec
from ledger.storage.tables import CashTransaction, table_of
from ledger.storage.uploads import ImportSummary
from reconciliation.matching import Matching, Remittance, Status
from reconciliation.remittances import load_remittances
from reconciliation.tables import RemittanceRow

PREFIX = "remittance:"
_IN_BATCH = 1_000  # references per IN (...) list


def matched_income(matching: Matching, remittances: Sequence[Remittance]) -> list[CashFlow]:
    """Each remittance in a matched match as outcome income from its payer, in the order
    received."""
    matched = {
        remittance_id
        for m in matching.matches
        if m.status is Status.MATCHED
        for remittance_id in m.remittances
    }
    return [
        CashFlow(
            r.received_on,
            CashKind.OUTCOME_INCOME,
            r.amount,
            party=r.payer,
            reference=PREFIX + r.remittance_id,
        )
        for r in remittances
        if r.remittance_id in matched
    ]


def record_matched_income(
    session: Session,
    active: ActiveSpec,
    matching: Matching,
    *,
    actor: str,
    now: datetime,
    source: str,
    remittances: Sequence[Remittance] | None = None,
) -> int:
    """Record as outcome income every matched remittance not recorded yet, all or nothing;
    returns how many were recorded (0 for a contract without an investment vehicle). A caller
    that has read the remittances `matching` matched passes them."""
    contract_id = active.spec.contract.id
    if active.spec.investment is None:
        return 0
    if remittances is None:
        remittances = load_remittances(session, contract_id)
    flows = matched_income(matching, remittances)
    stored = _stored_references(session, contract_id, [f.reference for f in flows])
    new = [f for f in flows if f.reference not in stored]
    if not new:
        return 0
    record_cash(session, contract_id, active, new, actor=actor, now=now, source=source)
    return len(new)


def _stored_references(session: Session, contract_id: str, references: list[str]) -> set[str]:
    table = table_of(CashTransaction)
    found: set[str] = set()
    for start in range(0, len(references), _IN_BATCH):
        rows = session.connection().execute(
            select(table.c.reference).where(
                table.c.contract_id == contract_id,
                table.c.reference.in_(references[start : start + _IN_BATCH]),
            )
        )
        found.update(rows.scalars())
    return found


def reconciles_money(session: Session, contract_id: str) -> bool:
    """Whether the contract's money received is reconciled here: a remittance is on record."""
    table = table_of(RemittanceRow)
    found = session.connection().execute(
        select(table.c.id).where(table.c.contract_id == contract_id).limit(1)
    )
    return found.first() is not None


def import_cash_by_hand(
    session: Session,
    contract_id: str,
    active: ActiveSpec,
    path: Source,
    *,
    actor: str,
    now: datetime,
) -> ImportSummary:
    """A cash file imported by a person, in the caller's transaction (see cash_by_hand_import)."""
    job = cash_by_hand_import(contract_id, path, actor=actor, now=now, active=active)
    return in_one_session(session, job)


def cash_by_hand_import(
    contract_id: str,
    path: Source,
    *,
    actor: str,
    now: datetime,
    active: ActiveSpec | None = None,
) -> CheckedImport:
    """A cash file imported by a person (ledger.services.cash.cash_import), refusing
    outcome_income rows once the contract's remittances are reconciled here: they become
    outcome income when they match a claim, so the same money imported by hand would count
    twice. A remittance stored between the check and the insert has the file checked again."""
    return cash_import(
        contract_id,
        path,
        actor=actor,
        now=now,
        active=active,
        income_elsewhere=lambda session: reconciles_money(session, contract_id),
        watching=(RemittanceRow,),
    )
