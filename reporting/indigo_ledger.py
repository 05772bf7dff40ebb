"""What the INDIGO export reads from the ledger: totals and counts, never a participant.

Every query here aggregates in the database: the postings by period, payer and metric; how many
people are enrolled and how many were paid for each metric; the claims and remittances (matched
as reconciliation matches them); the vehicle's cash; the current cohort results. No participant
id or attribute is selected out of the database, so none can reach the export.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import pandas as pd
from sqlalchemy import func, select
from sqlmodel import Session

from contract_specs.model import ContractSpec, Results, to_minor
from ledger.domain.finance.flows import CashFlow
from ledger.services.cash import load_cash
from ledger.services.facts import results_frame
from ledger.storage.tables import Participant, Posting, table_of
from reconciliation.claims import load_claims
from reconciliation.matching import Claim, Matching, Remittance, match
from reconciliation.remittances import load_remittances


@dataclass(frozen=True)
class Posted:
    """The postings of one period, payer and metric, summed (minor units)."""

    period: str
    payer: str
    metric: str
    amount: int


@dataclass(frozen=True)
class LedgerTotals:
    """The ledger as the INDIGO export reads it on a day."""

    as_of: date
    enrolled: int
    posted: tuple[Posted, ...]
    # metric -> how many people its postings net to a payment for
    paid_people: dict[str, int]
    claims: tuple[Claim, ...]
    remittances: tuple[Remittance, ...]
    matching: Matching
    cash: tuple[CashFlow, ...]
    results: pd.DataFrame


def end_of(day: date) -> datetime:
    """The last moment of `day` (UTC): what was recorded that day counts."""
    return datetime.combine(day, time.max, tzinfo=UTC)


def ledger_totals(session: Session, spec: ContractSpec, as_of: date) -> LedgerTotals:
    """The contract's totals as of the end of `as_of`."""
    contract_id = spec.contract.id
    moment = end_of(as_of)
    claims = tuple(load_claims(session, contract_id))
    remittances = tuple(r for r in load_remittances(session, contract_id) if r.received_on <= as_of)
    tolerance = to_minor(spec.contract.remittance_tolerance, spec.contract.exponent)
    cumulative = [m.id for m in spec.cohort_metrics if m.results is Results.CUMULATIVE]
    return LedgerTotals(
        as_of=as_of,
        enrolled=_enrolled(session, contract_id, moment),
        posted=_posted(session, contract_id, moment),
        paid_people=_paid_people(session, contract_id, moment),
        claims=claims,
        remittances=remittances,
        matching=match(claims, remittances, tolerance, as_of),
        cash=tuple(c for c in load_cash(session, contract_id) if c.on <= as_of),
        results=results_frame(session, contract_id, moment, cumulative),
    )


def _enrolled(session: Session, contract_id: str, moment: datetime) -> int:
    table = table_of(Participant)
    query = select(func.count()).where(
        table.c.contract_id == contract_id, table.c.enrolled_at <= moment
    )
    return int(session.connection().execute(query).scalar_one())


def _posted(session: Session, contract_id: str, moment: datetime) -> tuple[Posted, ...]:
    table = table_of(Posting)
    query = (
        select(table.c.period, table.c.payer, table.c.metric, func.sum(table.c.amount))
        .where(table.c.contract_id == contract_id, table.c.posted_at <= moment)
        .group_by(table.c.period, table.c.payer, table.c.metric)
        .order_by(table.c.period, table.c.payer, table.c.metric)
    )
    rows = session.connection().execute(query)
    return tuple(
        Posted(period, payer, metric, int(amount)) for period, payer, metric, amount in rows
    )


def _paid_people(session: Session, contract_id: str, moment: datetime) -> dict[str, int]:
    """Per metric, how many ledger keys its postings net to more than nothing for (a cohort
    line's key is the cohort's, so a cohort metric counts its cohorts, not people)."""
    table = table_of(Posting)
    per_person = (
        select(table.c.metric.label("metric"))
        .where(table.c.contract_id == contract_id, table.c.posted_at <= moment)
        .group_by(table.c.metric, table.c.participant_id)
        .having(func.sum(table.c.amount) > 0)
        .subquery()
    )
    query = select(per_person.c.metric, func.count()).group_by(per_person.c.metric)
    return {metric: int(n) for metric, n in session.connection().execute(query)}
