"""Where a contract's periods stand, read from the database: periods, runs, postings, bridges.

Matching is never stored as the truth: it is recomputed from the claims and remittances as of
a date (a pure function), so a remittance imported after a run is counted as soon as anyone
asks. Runs keep the match results they saw, for the record.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from contract_specs.model import ContractSpec, to_minor
from ledger.services.contracts import active_spec
from ledger.storage.tables import Posting, SpecVersion, table_of
from ledger.storage.versions import version_in_force
from reconciliation.claims import load_claims
from reconciliation.matching import Matching, match
from reconciliation.remittances import load_remittances
from reconciliation.tables import CLOSED, PeriodRow, ReconcileRun
from reconciliation.verdict import PeriodBridge, bridge


def postings_by_payer(
    session: Session, contract_id: str, period: str, *, inside: bool = True
) -> dict[str, int]:
    """Sum of postings per payer in `period` (or, with inside=False, in every other period)."""
    table = table_of(Posting)
    where = table.c.period == period if inside else table.c.period != period
    rows = session.connection().execute(
        select(table.c.payer, func.sum(table.c.amount))
        .where(table.c.contract_id == contract_id, where)
        .group_by(table.c.payer)
    )
    return {payer: int(total) for payer, total in rows}


def period_row(session: Session, contract_id: str, period: str) -> PeriodRow | None:
    """The period's row, None until reconciliation first touches it."""
    return session.get(PeriodRow, (contract_id, period))


def is_closed(session: Session, contract_id: str, period: str) -> bool:
    """Whether the period has been closed."""
    row = period_row(session, contract_id, period)
    return row is not None and row.status == CLOSED


def last_run(session: Session, contract_id: str, period: str) -> ReconcileRun | None:
    """The most recent completed run of the period."""
    table = table_of(ReconcileRun)
    found = session.connection().execute(
        select(table.c.run_id)
        .where(table.c.contract_id == contract_id, table.c.period == period)
        .order_by(table.c.finished_at.desc(), table.c.id.desc())
        .limit(1)
    )
    run_id = found.scalar()
    if run_id is None:
        return None
    return session.scalars(select(ReconcileRun).where(ReconcileRun.run_id == run_id)).one()


def reconciled_periods(session: Session, contract_id: str) -> set[str]:
    """The ids of the contract's periods with at least one completed run."""
    table = table_of(ReconcileRun)
    rows = session.connection().execute(
        select(table.c.period).where(table.c.contract_id == contract_id).distinct()
    )
    return {row[0] for row in rows}


def owed_by_payer(totals: Mapping[str, Any]) -> dict[str, int]:
    """What a period owes each payer, from a run's totals (entitlement minus other periods)."""
    return {
        payer: int(values["entitlement"]) - int(values["posted_elsewhere"])
        for payer, values in totals.items()
    }


def current_matching(session: Session, spec: ContractSpec, as_of: date) -> Matching:
    """The contract's claims matched against every remittance recorded, as of a day."""
    contract = spec.contract
    tolerance = to_minor(contract.remittance_tolerance, contract.exponent)
    return match(
        load_claims(session, contract.id),
        load_remittances(session, contract.id),
        tolerance,
        as_of,
    )


def period_bridge(session: Session, spec: ContractSpec, period: str, as_of: date) -> PeriodBridge:
    """The period's bridge from owed to received, and so its verdict, as of a day."""
    contract_id = spec.contract.id
    run = last_run(session, contract_id, period)
    owed = None if run is None else owed_by_payer(run.totals)
    return bridge(
        period,
        owed,
        postings_by_payer(session, contract_id, period),
        load_claims(session, contract_id, period),
        current_matching(session, spec, as_of),
    )


def active_contracts(session: Session) -> list[ContractSpec]:
    """The spec in force of every contract that has one (the contracts the scheduler runs)."""
    # a version is put in force by a load or a later activation, so ask the ledger which
    ids = session.connection().execute(select(table_of(SpecVersion).c.contract_id).distinct())
    return [
        active_spec(session, contract_id).spec
        for (contract_id,) in sorted(ids)
        if version_in_force(session, contract_id) is not None
    ]
