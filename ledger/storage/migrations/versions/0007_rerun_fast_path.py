"""re-run fast path

A reconcile run keeps its facts stamp (reconciliation.rerun: fact counts as of its cut-off, the
spec, the contract's postings after it) and the run whose computation it reused, if any: two
nullable columns added in place. Indexes make the stamp's counts index range scans:
participants by enrolment time, cohort results by submission time, postings by id within a
contract (evidence and decisions already have theirs).

Revision ID: 0007_rerun_fast_path
Revises: 0006_run_findings
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from ledger.storage import immutability

revision: str = "0007_rerun_fast_path"
down_revision: str | Sequence[str] | None = "0006_run_findings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_participants_contract_enrolled", "participants", ["contract_id", "enrolled_at"]),
    ("ix_cohort_results_contract_submitted", "cohort_results", ["contract_id", "submitted_at"]),
    ("ix_postings_contract_id", "postings", ["contract_id", "id"]),
)


def upgrade() -> None:
    # ADD COLUMN in place on both backends: a batch copy of the table on SQLite would drop the
    # triggers that keep runs append-only
    op.add_column("recon_runs", sa.Column("facts_stamp", sa.JSON(), nullable=True))
    op.add_column(
        "recon_runs",
        sa.Column("reused_run_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    )
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
    # SQLite drops a column by copying the table, which loses its triggers: put them back after
    immutability.remove(op.get_bind(), ["recon_runs"])
    with op.batch_alter_table("recon_runs", schema=None) as batch_op:
        batch_op.drop_column("reused_run_id")
        batch_op.drop_column("facts_stamp")
    immutability.install(op.get_bind(), ["recon_runs"])
