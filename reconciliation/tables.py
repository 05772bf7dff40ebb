"""Reconciliation's tables, on the ledger's SQLModel metadata (one schema, one migration head).

Money is integer minor units (BigInteger), dates are calendar dates, timestamps naive UTC.
Runs, claims, claim lines, remittances and match results are only ever inserted. A period's row
changes once, from open to closed, and never back: that single transition is what makes a closed
period refuse postings.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field

from ledger.storage.tables import CohortResult, Participant, Posting, SQLModel, table_of

__all__ = [
    "ClaimLine",
    "ClaimRow",
    "MatchRow",
    "PeriodRow",
    "ReconcileRun",
    "RemittanceRow",
]

OPEN, CLOSED = "open", "closed"


class PeriodRow(SQLModel, table=True):
    """A contract's payment period once reconciliation has touched it: open, then closed."""

    __tablename__ = "recon_periods"

    contract_id: str = Field(foreign_key="contracts.id", primary_key=True, max_length=100)
    period: str = Field(primary_key=True, max_length=10)
    status: str = Field(default=OPEN, max_length=10)
    opened_at: datetime
    closed_at: datetime | None = None
    closed_by: str | None = None
    close_run_id: str | None = Field(default=None, max_length=64)


class ReconcileRun(SQLModel, table=True):
    """One completed reconciliation of a period, with the inputs that decided what it posted.

    `totals` per payer: `entitlement` (owed in all as of the cut-off), `posted_elsewhere`
    (postings in other periods before the run), `posted` (this run), `claimed` (this run's
    claim). What the period owes a payer is `entitlement - posted_elsewhere` of its last run.
    """

    __tablename__ = "recon_runs"
    __table_args__ = (
        Index("ix_recon_runs_contract_period", "contract_id", "period", "finished_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(unique=True, max_length=64)
    contract_id: str = Field(foreign_key="contracts.id", max_length=100)
    period: str = Field(max_length=10)
    spec_version: int
    cut_off: datetime
    requested_at: datetime
    finished_at: datetime
    actor: str
    participants: int
    evidence: int
    results: int
    inputs_hash: str = Field(max_length=64)
    postings: int
    posted_total: int = Field(sa_type=BigInteger)
    totals: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    closed: bool = False
    # what the run found to act on as of its cut-off (reconciliation.run_findings' document);
    # None for runs made before runs kept their findings
    findings: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # what a later run compares to know it would compute the same (reconciliation.rerun's
    # document: fact counts as of the cut-off, spec, the contract's postings after this run);
    # None for runs made before runs kept one
    facts_stamp: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # the run whose computation this run reused, nothing having changed since (None: computed)
    reused_run_id: str | None = Field(default=None, max_length=64)
    # a run at a cut-off earlier than an earlier run's, as the operator confirmed it: the
    # cut-off, the reason given and the later run it went back from (reconciliation.rewind)
    rewind: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # how many not-payable rows the run that computed this one's settlement kept (itself, or
    # the run in reused_run_id: ledger.storage.run_records); None for runs made before runs
    # kept them
    not_payable: int | None = None


class ClaimRow(SQLModel, table=True):
    """A claim to one payer for one period: numbered per payer, the sum of the lines behind it."""

    __tablename__ = "recon_claims"
    __table_args__ = (
        UniqueConstraint("contract_id", "payer", "number"),
        UniqueConstraint("contract_id", "reference"),
        Index("ix_recon_claims_contract_period", "contract_id", "period"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contract_id: str = Field(foreign_key="contracts.id", max_length=100)
    payer: str = Field(max_length=100)
    period: str = Field(max_length=10)
    number: int
    amount: int = Field(sa_type=BigInteger)
    reference: str = Field(max_length=200)
    claimed_on: date
    due_on: date
    run_id: str = Field(max_length=64)


class ClaimLine(SQLModel, table=True):
    """A posting behind a claim (every posting is behind exactly one claim)."""

    __tablename__ = "recon_claim_lines"

    claim_pk: int = Field(foreign_key="recon_claims.id", primary_key=True)
    posting_id: str = Field(foreign_key="postings.posting_id", primary_key=True, max_length=64)


class RemittanceRow(SQLModel, table=True):
    """Money received from a payer, as imported from a bank statement or remittance advice."""

    __tablename__ = "recon_remittances"
    __table_args__ = (
        UniqueConstraint("contract_id", "remittance_id"),
        Index("ix_recon_remittances_contract_payer", "contract_id", "payer"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contract_id: str = Field(foreign_key="contracts.id", max_length=100)
    remittance_id: str = Field(max_length=64)
    payer: str = Field(max_length=100)
    amount: int = Field(sa_type=BigInteger)
    received_on: date
    reference: str = Field(default="", sa_type=Text)
    imported_at: datetime
    imported_by: str
    source_file: str
    source_row: int


class MatchRow(SQLModel, table=True):
    """One match as a run found it; claims are references, remittances their ids."""

    __tablename__ = "recon_matches"
    __table_args__ = (Index("ix_recon_matches_run", "run_id"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: str = Field(foreign_key="contracts.id", max_length=100)
    run_id: str = Field(max_length=64)
    status: str = Field(max_length=10)
    kind: str = Field(max_length=20)
    claims: list[str] = Field(sa_column=Column(JSON, nullable=False))
    remittances: list[str] = Field(sa_column=Column(JSON, nullable=False))
    claimed: int = Field(sa_type=BigInteger)
    received: int = Field(sa_type=BigInteger)
    allocated: list[Any] = Field(sa_column=Column(JSON, nullable=False))
    detail: str = Field(default="", sa_type=Text)


# The facts stamp counts each fact table of a contract as of a cut-off (reconciliation.rerun),
# and reads the contract's highest posting id: these indexes make each an index range scan
# (evidence and decisions already have theirs in ledger.storage.tables). They live here, beside the
# queries that need them, on the ledger's tables and in migration 0007.
Index(
    "ix_participants_contract_enrolled",
    table_of(Participant).c.contract_id,
    table_of(Participant).c.enrolled_at,
)
Index(
    "ix_cohort_results_contract_submitted",
    table_of(CohortResult).c.contract_id,
    table_of(CohortResult).c.submitted_at,
)
Index("ix_postings_contract_id", table_of(Posting).c.contract_id, table_of(Posting).c.id)
