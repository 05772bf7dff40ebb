"""Claims: what each payer is asked to pay for a period, and the postings behind each claim.

A run that posts into a period issues one claim per payer it posted for, numbered per payer
across the contract (1, 2, 3 ...), for exactly the sum of those postings, so a period's claims
to a payer always add up to the payer's postings in the period (SEMANTICS.md 5). A re-run that
posts more issues a supplementary claim; one that posts nothing issues nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import func, insert, select
from sqlmodel import Session

from ledger.storage.tables import Posting, table_of
from reconciliation.matching import Claim
from reconciliation.tables import ClaimLine, ClaimRow


def claim_reference(contract_id: str, period: str, payer: str, number: int) -> str:
    """The reference a payer quotes when paying: contract, period, payer and claim number."""
    return f"{contract_id}-{period}-{payer}-{number}".upper()


def issue_claims(
    session: Session,
    contract_id: str,
    period: str,
    run_id: str,
    claimed_on: date,
    payment_terms_days: int,
) -> list[Claim]:
    """One claim per payer for the postings `run_id` made, with those postings as its lines."""
    postings = table_of(Posting)
    rows = session.connection().execute(
        select(postings.c.payer, postings.c.posting_id, postings.c.amount)
        .where(postings.c.contract_id == contract_id, postings.c.run_id == run_id)
        .order_by(postings.c.payer, postings.c.posting_id)
    )
    lines: dict[str, list[tuple[str, int]]] = {}
    for payer, posting_id, amount in rows:
        lines.setdefault(payer, []).append((posting_id, amount))
    issued = []
    for payer, behind in lines.items():
        number = _next_number(session, contract_id, payer)
        claim = Claim(
            payer=payer,
            period=period,
            number=number,
            amount=sum(amount for _, amount in behind),
            reference=claim_reference(contract_id, period, payer, number),
            due_on=claimed_on + timedelta(days=payment_terms_days),
        )
        _store(session, contract_id, claim, claimed_on, run_id, [p for p, _ in behind])
        issued.append(claim)
    return issued


def _next_number(session: Session, contract_id: str, payer: str) -> int:
    table = table_of(ClaimRow)
    last = session.connection().scalar(
        select(func.max(table.c.number)).where(
            table.c.contract_id == contract_id, table.c.payer == payer
        )
    )
    return int(last or 0) + 1


def _store(
    session: Session,
    contract_id: str,
    claim: Claim,
    claimed_on: date,
    run_id: str,
    posting_ids: Sequence[str],
) -> None:
    connection = session.connection()
    claim_pk = connection.execute(
        insert(table_of(ClaimRow))
        .values(
            contract_id=contract_id,
            payer=claim.payer,
            period=claim.period,
            number=claim.number,
            amount=claim.amount,
            reference=claim.reference,
            claimed_on=claimed_on,
            due_on=claim.due_on,
            run_id=run_id,
        )
        .returning(table_of(ClaimRow).c.id)
    ).scalar_one()
    connection.execute(
        insert(table_of(ClaimLine)),
        [{"claim_pk": claim_pk, "posting_id": posting_id} for posting_id in posting_ids],
    )


def load_claims(session: Session, contract_id: str, period: str | None = None) -> list[Claim]:
    """The contract's claims (of one period, if given), in claim order."""
    table = table_of(ClaimRow)
    query = select(
        table.c.payer,
        table.c.period,
        table.c.number,
        table.c.amount,
        table.c.reference,
        table.c.due_on,
    ).where(table.c.contract_id == contract_id)
    if period is not None:
        query = query.where(table.c.period == period)
    rows = session.connection().execute(query.order_by(table.c.payer, table.c.number))
    return [Claim(*row) for row in rows]


def claim_lines(session: Session, contract_id: str, reference: str) -> list[str]:
    """The posting ids behind one claim, by its reference."""
    claims, lines = table_of(ClaimRow), table_of(ClaimLine)
    rows = session.connection().execute(
        select(lines.c.posting_id)
        .join(claims, claims.c.id == lines.c.claim_pk)
        .where(claims.c.contract_id == contract_id, claims.c.reference == reference)
        .order_by(lines.c.posting_id)
    )
    return [row[0] for row in rows]
