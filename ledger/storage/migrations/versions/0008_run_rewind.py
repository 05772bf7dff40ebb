"""a run's rewind

A run at a cut-off earlier than an earlier run of the contract (reconciliation.rewind) keeps the
operator's word for it: the cut-off, the reason given and the later run it went back from. One
nullable JSON column added in place (runs made before have none).

Revision ID: 0008_run_rewind
Revises: 0007_rerun_fast_path
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ledger.storage import immutability

revision: str = "0008_run_rewind"
down_revision: str | Sequence[str] | None = "0007_rerun_fast_path"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ADD COLUMN in place on both backends: a batch copy of the table on SQLite would drop the
    # triggers that keep runs append-only
    op.add_column("recon_runs", sa.Column("rewind", sa.JSON(), nullable=True))


def downgrade() -> None:
    # SQLite drops a column by copying the table, which loses its triggers: put them back after
    immutability.remove(op.get_bind(), ["recon_runs"])
    with op.batch_alter_table("recon_runs", schema=None) as batch_op:
        batch_op.drop_column("rewind")
    immutability.install(op.get_bind(), ["recon_runs"])
