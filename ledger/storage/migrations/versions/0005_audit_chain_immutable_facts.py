"""audit chain and immutable facts

Chains the existing audit records (prev_hash, hash: see ledger.storage.audit), then adds the triggers
that refuse UPDATE and DELETE on the append-only tables (ledger.storage.immutability).

Revision ID: 0005_audit_chain_immutable
Revises: 0004_reconciliation_tables
Create Date: 2026-11-22
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

from ledger.storage import immutability
from ledger.storage.audit import GENESIS, record_hash

revision: str = '0005_audit_chain_immutable'
down_revision: str | Sequence[str] | None = '0004_reconciliation_tables'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# frozen here: a later revision that protects more tables installs its own triggers
PROTECTED = (
    "spec_versions",
    "participants",
    "evidence",
    "verification_decisions",
    "cohort_results",
    "postings",
    "audit_log",
    "cash_transactions",
    "recon_runs",
    "recon_claims",
    "recon_claim_lines",
    "recon_remittances",
    "recon_matches",
)

AUDIT = sa.table(
    "audit_log",
    sa.column("id", sa.Integer()),
    sa.column("actor", sa.String()),
    sa.column("action", sa.String()),
    sa.column("subject", sa.String()),
    sa.column("at", sqlmodel.sql.sqltypes.UTCDateTime()),
    sa.column("details", sa.JSON()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    _chain_existing_records()
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.alter_column('prev_hash', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_log_prev_hash'), ['prev_hash'])
    immutability.install(op.get_bind(), PROTECTED)


def _chain_existing_records() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(AUDIT.c.id, AUDIT.c.actor, AUDIT.c.action, AUDIT.c.subject, AUDIT.c.at, AUDIT.c.details)
        .order_by(AUDIT.c.id)
    ).all()
    prev = GENESIS
    for row in rows:
        digest = record_hash(prev, row.actor, row.action, row.subject, row.at, row.details)
        bind.execute(
            sa.update(AUDIT).where(AUDIT.c.id == row.id).values(prev_hash=prev, hash=digest)
        )
        prev = digest


def downgrade() -> None:
    immutability.remove(op.get_bind(), PROTECTED)
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_log_prev_hash'), type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
