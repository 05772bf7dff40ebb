"""run record

A posting keeps what the engine decided for its line: the tariff in force, the participant's
cohort and provider, the cap that cut it and by how much (its run, in recon_runs, keeps the
cut-off and spec version). A run keeps the evidence rows it decided are not payable, with why,
in run_not_payable (append-only), and how many in recon_runs.not_payable. Reports read these instead of running the engine again under
whatever spec is in force when they are built (issue 18).

Existing postings: the new columns are nullable. Cohort and provider are facts that never
change (participants are append-only), so they are filled in from the participants (a
cohort-level line `cohort:<id>` gets its cohort and no provider). Tariff, cut_by and cut_amount
were never stored and cannot be known without deciding again, so they stay empty: a report
shows no tariff on those lines. Runs made before this migration kept no not-payable rows; a
report of a period whose run has none computes them as before.

Revision ID: 0011_run_record
Revises: 0010_provider_keys
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel.sql.sqltypes import AutoString
from alembic import op

from ledger.storage import immutability

revision: str = "0011_run_record"
down_revision: str | Sequence[str] | None = "0010_provider_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("tariff", sa.BigInteger()),
    ("cohort", AutoString(length=100)),
    ("provider", AutoString(length=100)),
    ("cut_by", AutoString(length=30)),
    ("cut_amount", sa.BigInteger()),
)

_FROM_PARTICIPANTS = """
UPDATE postings SET
  cohort = (SELECT p.cohort FROM participants p
            WHERE p.contract_id = postings.contract_id
              AND p.participant_id = postings.participant_id),
  provider = (SELECT p.provider FROM participants p
              WHERE p.contract_id = postings.contract_id
                AND p.participant_id = postings.participant_id)
WHERE participant_id NOT LIKE 'cohort:%'
"""
_COHORT_LINES = """
UPDATE postings SET cohort = substr(participant_id, 8), provider = ''
WHERE participant_id LIKE 'cohort:%'
"""


def upgrade() -> None:
    # ADD COLUMN in place on both backends: a batch copy on SQLite would drop the triggers
    for name, kind in COLUMNS:
        op.add_column("postings", sa.Column(name, kind, nullable=True))
    bind = op.get_bind()
    # filling in facts that were always true is no rewrite of history: the triggers that keep
    # postings append-only are suspended for it and put back
    immutability.remove(bind, ["postings"])
    op.execute(_FROM_PARTICIPANTS)
    op.execute(_COHORT_LINES)
    immutability.install(bind, ["postings"])
    op.create_table(
        "run_not_payable",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", AutoString(length=100), nullable=False),
        sa.Column("run_id", AutoString(length=64), nullable=False),
        sa.Column("evidence_id", AutoString(length=200), nullable=False),
        sa.Column("participant_id", AutoString(length=200), nullable=False),
        sa.Column("metric", AutoString(length=100), nullable=False),
        sa.Column("achieved_on", sa.Date(), nullable=True),
        sa.Column("reason", AutoString(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["contract_id"], ["contracts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_run_not_payable_run", "run_not_payable", ["run_id"], unique=False)
    # how many a run kept: None for the runs before, which kept none (a report computes them)
    op.add_column("recon_runs", sa.Column("not_payable", sa.Integer(), nullable=True))
    immutability.install(bind, ["run_not_payable"])


def downgrade() -> None:
    bind = op.get_bind()
    immutability.remove(bind, ["recon_runs"])
    with op.batch_alter_table("recon_runs", schema=None) as batch_op:
        batch_op.drop_column("not_payable")
    immutability.install(bind, ["recon_runs"])
    immutability.remove(bind, ["run_not_payable"])
    op.drop_index("ix_run_not_payable_run", table_name="run_not_payable")
    op.drop_table("run_not_payable")
    # SQLite drops a column by copying the table, which loses its triggers: put them back after
    immutability.remove(bind, ["postings"])
    with op.batch_alter_table("postings", schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
    immutability.install(bind, ["postings"])
