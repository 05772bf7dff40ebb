"""The ledger's tables (SQLModel, one metadata for the whole product).

Rows are only ever built from data that has already been validated (STACK.md pitfall 1:
`table=True` models skip validation). Money is integer minor units (BigInteger), quantities are
integers scaled by the measure's decimals, dates are calendar dates and timestamps are naive UTC.
Facts (spec versions, evidence, verification decisions, postings) are append-only: no code path
updates or deletes them.

Other packages add their tables to the same metadata: `from ledger.storage.tables import SQLModel`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    Table,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

# Deterministic constraint names, so that Alembic batch migrations on SQLite can find them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# participant and evidence keys: at most 64 + 1 + 64 characters as imported (ledger.storage.keys),
# up
# to 165 for keys made by migration 0010 from older ids of up to 100
KEY_LENGTH = 200

__all__ = [
    "ApiToken",
    "AuditLog",
    "CashTransaction",
    "CohortResult",
    "ContractRow",
    "Evidence",
    "IdempotentRequest",
    "Participant",
    "ParticipantAttributes",
    "ParticipantConsents",
    "ParticipantKey",
    "PartyRow",
    "Posting",
    "SQLModel",
    "SpecVersion",
    "TokenContract",
    "VerificationDecision",
    "Withdrawal",
]


class ContractRow(SQLModel, table=True):
    """A contract known to the ledger (its terms live in its spec versions)."""

    __tablename__ = "contracts"

    id: str = Field(primary_key=True, max_length=100)
    name: str
    currency: str = Field(max_length=3)
    created_at: datetime


class SpecVersion(SQLModel, table=True):
    """One immutable version of a contract's spec; versions are numbered 1, 2, ... per contract.

    `active` records how the version was loaded (in force, or as a draft); which version is in
    force now is decided by `ledger.services.contracts.version_in_force` (the latest load or
    activation).
    """

    __tablename__ = "spec_versions"
    __table_args__ = (
        UniqueConstraint("contract_id", "version"),
        UniqueConstraint("contract_id", "content_hash"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contract_id: str = Field(foreign_key="contracts.id", max_length=100)
    version: int
    content_hash: str = Field(max_length=64)
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    loaded_at: datetime
    loaded_by: str
    active: bool = True


class PartyRow(SQLModel, table=True):
    """A party named by the contract's spec version in force (payer, provider, investor...).

    Reference data that mirrors the version in force (ledger.services.contracts): a party the
    version
    put in force no longer names is removed, and with it its tokens' reach of the contract.
    """

    __tablename__ = "parties"

    contract_id: str = Field(foreign_key="contracts.id", primary_key=True, max_length=100)
    party_id: str = Field(primary_key=True, max_length=100)
    role: str = Field(max_length=20)
    name: str


class Participant(SQLModel, table=True):
    """An enrolled participant: a pseudonymous id, cohort, provider and start date.

    The attributes the spec declares are kept apart, sealed with the person's own key
    (`ParticipantAttributes`, `ParticipantKey`): `attributes` here is `{}` for every row since
    migration 0012, so that a withdrawal can erase them while this row stays."""

    __tablename__ = "participants"
    __table_args__ = (
        UniqueConstraint("contract_id", "participant_id"),
        Index("ix_participants_contract_cohort", "contract_id", "cohort"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contract_id: str = Field(foreign_key="contracts.id", max_length=100)
    # the ledger key <provider>/<local id> (ledger.storage.keys): unique per contract by
    # construction
    participant_id: str = Field(max_length=KEY_LENGTH)
    cohort: str = Field(max_length=100)
    provider: str = Field(max_length=100)
    start_date: date
    attributes: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    enrolled_at: datetime
    source_file: str
    source_row: int


def _person() -> ForeignKeyConstraint:
    """A row of one enrolled participant (each table needs its own constraint object)."""
    return ForeignKeyConstraint(
        ["contract_id", "participant_id"],
        ["participants.contract_id", "participants.participant_id"],
    )


class ParticipantAttributes(SQLModel, table=True):
    """A participant's declared attributes, sealed (AES-GCM) with their own key
    (ledger.storage.sealed): readable only while `ParticipantKey` holds that key. Append-only."""

    __tablename__ = "participant_attributes"
    __table_args__ = (_person(),)

    contract_id: str = Field(primary_key=True, max_length=100)
    participant_id: str = Field(primary_key=True, max_length=KEY_LENGTH)
    # the nonce and the ciphertext with its tag
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class ParticipantKey(SQLModel, table=True):
    """The key that opens one participant's sealed attributes. Not a fact: destroying it (a
    withdrawal deletes the row) is how the attributes are erased while the ledger keeps the
    participant's id and every posting."""

    __tablename__ = "participant_keys"
    __table_args__ = (_person(),)

    contract_id: str = Field(primary_key=True, max_length=100)
    participant_id: str = Field(primary_key=True, max_length=KEY_LENGTH)
    key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class ParticipantConsents(SQLModel, table=True):
    """What a participant consented to at enrolment: consent name -> given (the spec's
    `consents`). Append-only; a withdrawal is its own fact (`Withdrawal`)."""

    __tablename__ = "participant_consents"
    __table_args__ = (_person(),)

    contract_id: str = Field(primary_key=True, max_length=100)
    participant_id: str = Field(primary_key=True, max_length=KEY_LENGTH)
    consents: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class Withdrawal(SQLModel, table=True):
    """A participant's withdrawal of their consent, dated: nothing achieved or sent after
    `withdrawn_on` counts. `judged` keeps their metric conditions as judged before their
    attributes were erased (ledger.domain.entitlement.judged): metric -> {conditions, from,
    to}, so what was owed before stays owed. Append-only; one per participant."""

    __tablename__ = "withdrawals"
    __table_args__ = (UniqueConstraint("contract_id", "participant_id"), _person())

    id: int | None = Field(default=None, primary_key=True)
    contract_id: str = Field(foreign_key="contracts.id", max_length=100)
    participant_id: str = Field(max_length=KEY_LENGTH)
    withdrawn_on: date
    judged: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    recorded_at: datetime
    recorded_by: str
    source_file: str
    source_row: int


class Evidence(SQLModel, table=True):
    """A claim that a participant achieved a metric (or a quantity of a measure) on a date."""

    __tablename__ = "evidence"
    __table_args__ = (
        UniqueConstraint("contract_id", "evidence_id"),
        ForeignKeyConstraint(
            ["contract_id", "participant_id"],
            ["participants.contract_id", "participants.participant_id"],
        ),
        Index("ix_evidence_contract_participant", "contract_id", "participant_id"),
        Index("ix_evidence_contract_metric", "contract_id", "metric"),
        Index("ix_evidence_contract_submitted", "contract_id", "submitted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contract_id: str = Field(foreign_key="contracts.id", max_length=100)
    # keys in the participant's provider's namespace (ledger.storage.keys)
    evidence_id: str = Field(max_length=KEY_LENGTH)
    participant_id: str = Field(max_length=KEY_LENGTH)
    metric: str = Field(max_length=100)
    achieved_on: date
    evidence_type: str = ""
    # the measure's minor units (quantity x 10**decimals); None unless the metric is a measure
    quantity: int | None = Field(default=None, sa_type=BigInteger)
    reference: str = ""
    submitted_at: datetime
    submitted_by: str
    source: str


class VerificationDecision(SQLModel, table=True):
    """A decision on one evidence row (append-only): the status as of T is the latest by T."""

    __tablename__ = "verification_decisions"
    __table_args__ = (
        Index("ix_verification_evidence_decided", "evidence_pk", "decided_at"),
        Index("ix_verification_contract_decided", "contract_id", "decided_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contract_id: str = Field(foreign_key="contracts.id", max_length=100)
    evidence_pk: int = Field(foreign_key="evidence.id")
    decision: str = Field(max_length=10)
    reason: str = ""
    actor: str
    decided_at: datetime
    source: str = ""


class CohortResult(SQLModel, table=True):
    """An evaluator's result for a cohort-level metric; a correction supersedes an older result."""

    __tablename__ = "cohort_results"
    __table_args__ = (
        UniqueConstraint("contract_id", "result_id"),
        Index("ix_cohort_results_contract_metric", "contract_id", "metric", "cohort"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contract_id: str = Field(foreign_key="contracts.id", max_length=100)
    result_id: str = Field(max_length=100)
    metric: str = Field(max_length=100)
    cohort: str = Field(max_length=100)
    # decimal strings: an effect is a ratio, never money, but still never a float
    observed: str
    comparison: str
    units: int = Field(sa_type=BigInteger)
    evaluated_on: date
    reference: str = ""
    supersedes: str | None = None
    submitted_at: datetime
    submitted_by: str
    source: str


class Posting(SQLModel, table=True):
    """One append-only ledger posting: an amount owed (or given back) by a payer for a key."""

    __tablename__ = "postings"
    __table_args__ = (
        ForeignKeyConstraint(
            ["contract_id", "spec_version"], ["spec_versions.contract_id", "spec_versions.version"]
        ),
        Index("ix_postings_contract_period", "contract_id", "period"),
        Index("ix_postings_key", "contract_id", "participant_id", "metric", "occurrence", "payer"),
        Index("ix_postings_contract_metric", "contract_id", "metric"),
        Index("ix_postings_run", "run_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    posting_id: str = Field(unique=True, max_length=64)
    contract_id: str = Field(foreign_key="contracts.id", max_length=100)
    spec_version: int
    period: str = Field(max_length=10)
    # a participant's key, or cohort:<id> / cohort:pool for a cohort-level line
    participant_id: str = Field(max_length=KEY_LENGTH)
    metric: str = Field(max_length=100)
    occurrence: int
    payer: str = Field(max_length=100)
    amount: int = Field(sa_type=BigInteger)
    kind: str = Field(max_length=20)
    reason: str = Field(sa_type=Text)
    achieved_on: date | None = None
    evidence_ids: str = Field(default="", sa_type=Text)
    run_id: str = Field(max_length=64)
    posted_at: datetime
    corrects_period: str | None = Field(default=None, max_length=10)
    # what the engine decided for the line, kept so that reports read it instead of deciding
    # again (issue 18); None on postings made before postings kept it (migration 0011 fills
    # cohort and provider from the participants, the rest is not known)
    tariff: int | None = Field(default=None, sa_type=BigInteger)
    cohort: str | None = Field(default=None, max_length=100)
    provider: str | None = Field(default=None, max_length=100)
    cut_by: str | None = Field(default=None, max_length=30)
    cut_amount: int | None = Field(default=None, sa_type=BigInteger)


class RunNotPayable(SQLModel, table=True):
    """One evidence row a run decided earns nothing, and why: the rows a period's report lists
    (achieved or submitted in the run's period), as the run found them at its cut-off."""

    __tablename__ = "run_not_payable"
    __table_args__ = (Index("ix_run_not_payable_run", "run_id"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: str = Field(foreign_key="contracts.id", max_length=100)
    run_id: str = Field(max_length=64)
    evidence_id: str = Field(max_length=KEY_LENGTH)
    participant_id: str = Field(max_length=KEY_LENGTH)
    metric: str = Field(max_length=100)
    achieved_on: date | None = None
    reason: str = Field(max_length=40)
    detail: str = Field(default="", sa_type=Text)


class AuditLog(SQLModel, table=True):
    """Who did what to which subject, when (details never hold personal data).

    The records form a hash chain (ledger.storage.audit): each carries the hash of the record before
    it, set when it is flushed. At most one record follows any other (unique `prev_hash`), so
    two writers can never fork the chain, even if one skipped the lock.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_subject", "subject", "at"), UniqueConstraint("prev_hash"))

    id: int | None = Field(default=None, primary_key=True)
    actor: str
    action: str = Field(max_length=50)
    subject: str
    at: datetime
    details: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(default="", max_length=64)
    hash: str = Field(default="", max_length=64)


class ApiToken(SQLModel, table=True):
    """A bearer token of the HTTP API: a role and a party, in the contracts it is linked to
    (`TokenContract`).

    Only the sha256 of the secret is kept; the secret is shown once when the token is made.
    Tokens are credentials, not facts: revoking one sets `revoked_at`.
    """

    __tablename__ = "api_tokens"

    id: str = Field(primary_key=True, max_length=32)
    secret_sha256: str = Field(unique=True, max_length=64)
    role: str = Field(max_length=20)
    party_id: str = Field(max_length=100)
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None


class TokenContract(SQLModel, table=True):
    """A contract a token was issued for: a party id names an organisation only within its
    contract, so a token reaches a contract only when linked to it (and only while the
    contract's spec in force names its party in its role)."""

    __tablename__ = "api_token_contracts"

    token_id: str = Field(foreign_key="api_tokens.id", primary_key=True, max_length=32)
    contract_id: str = Field(foreign_key="contracts.id", primary_key=True, max_length=100)


class IdempotentRequest(SQLModel, table=True):
    """A write the API has answered under an `Idempotency-Key`: a retry gets the same answer.

    Stored in the same transaction as the write, so a key exists only for a write that happened.
    """

    __tablename__ = "idempotent_requests"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    # who may replay it: the token's party and role (one party's keys never collide with another's)
    scope: str = Field(max_length=130)
    key: str = Field(max_length=200)
    request_sha256: str = Field(max_length=64)
    status: int
    response: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime


class CashTransaction(SQLModel, table=True):
    """A dated, append-only cash transaction of the investment vehicle (see ledger.services.cash).

    `amount` is positive minor units in the direction `kind` says (negative only to correct an
    earlier transaction); `reference` identifies it within the contract, so importing the same
    file twice stores nothing new.
    """

    __tablename__ = "cash_transactions"
    __table_args__ = (
        UniqueConstraint("contract_id", "reference"),
        Index("ix_cash_contract_date", "contract_id", "transacted_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contract_id: str = Field(foreign_key="contracts.id", max_length=100)
    reference: str = Field(max_length=120)
    transacted_on: date
    kind: str = Field(max_length=20)
    tranche: str = Field(default="", max_length=100)
    party: str = Field(default="", max_length=100)
    component: str = Field(default="", max_length=20)
    amount: int = Field(sa_type=BigInteger)
    recorded_at: datetime
    recorded_by: str
    source: str


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a table model (for bulk inserts and column-wise selects)."""
    return model.__table__  # type: ignore[attr-defined, no-any-return]
