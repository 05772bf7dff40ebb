"""run findings

Each reconcile run keeps what it found to act on as of its cut-off (reconciliation.run_findings):
a nullable JSON column, written when the run is inserted; runs made before stay without.

Revision ID: 0006_run_findings
Revises: 0005_audit_chain_immutable
Create Date: 2026-11-23
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

from ledger.storage import immutability

revision: str = '0006_run_findings'
down_revision: str | Sequence[str] | None = '0005_audit_chain_immutable'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ADD COLUMN in place on both backends: a batch copy of the table on SQLite would drop the
    # triggers that keep runs append-only
    op.add_column('recon_runs', sa.Column('findings', sa.JSON(), nullable=True))


def downgrade() -> None:
    # SQLite drops a column by copying the table, which loses its triggers: put them back after
    immutability.remove(op.get_bind(), ['recon_runs'])
    with op.batch_alter_table('recon_runs', schema=None) as batch_op:
        batch_op.drop_column('findings')
    immutability.install(op.get_bind(), ['recon_runs'])
