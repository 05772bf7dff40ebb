"""token contracts

A token reaches only the contracts it is linked to (a party id names an organisation only
within its contract), so the single nullable `api_tokens.contract_id` becomes a link table:
one row per token and contract. A token limited to one contract keeps it. A token made without
a contract (it reached every contract naming its party in its role, even ones written by
another intermediary for another council) is linked to none: it reaches nothing until the
intermediary issues a new one naming its contracts (docs/deployment.md, "Tokens after
upgrading to 0009").

Revision ID: 0009_token_contracts
Revises: 0008_run_rewind
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009_token_contracts"
down_revision: str | Sequence[str] | None = "0008_run_rewind"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LINKS = "api_token_contracts"


def _links_table() -> None:
    op.create_table(
        LINKS,
        sa.Column("token_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("contract_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_api_token_contracts_contract_id_contracts"),
        ),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_tokens.id"], name=op.f("fk_api_token_contracts_token_id_api_tokens")
        ),
        sa.PrimaryKeyConstraint("token_id", "contract_id", name=op.f("pk_api_token_contracts")),
    )


def upgrade() -> None:
    bind = op.get_bind()
    # read the limits first: on SQLite the batch copy below drops and rebuilds api_tokens, which
    # a table already referring to it (foreign keys on) would refuse
    limited = bind.execute(
        sa.text(
            "SELECT t.id, t.contract_id FROM api_tokens t "
            "JOIN contracts c ON c.id = t.contract_id ORDER BY t.id"
        )
    ).all()
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("contract_id")
    _links_table()
    if limited:
        links = sa.table(LINKS, sa.column("token_id"), sa.column("contract_id"))
        op.bulk_insert(links, [{"token_id": t, "contract_id": c} for t, c in limited])


def downgrade() -> None:
    bind = op.get_bind()
    # a token of several contracts keeps the first only: narrower, never wider (a NULL contract
    # meant every contract before this revision). A token linked to none was made without a
    # contract before this revision, and gets that NULL back, as it was.
    first = bind.execute(
        sa.text(f"SELECT token_id, MIN(contract_id) FROM {LINKS} GROUP BY token_id")
    ).all()
    op.drop_table(LINKS)
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("contract_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True)
        )
    for token_id, contract_id in first:
        bind.execute(
            sa.text("UPDATE api_tokens SET contract_id = :c WHERE id = :t"),
            {"c": contract_id, "t": token_id},
        )
