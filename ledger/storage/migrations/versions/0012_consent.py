"""consent

Participants' declared attributes move out of `participants.attributes` into
`participant_attributes`, sealed with a key of each person's own (`participant_keys`), so that
a withdrawal can erase them by destroying the key while the participant's row, their evidence,
every posting and the audit chain stay exactly as they were (ledger.storage.sealed). New:
`participant_consents` (what each person consented to at enrolment) and `withdrawals` (the day
a person withdrew, and their metric conditions as judged before the erasure).

Every stored participant gets a key and their attributes sealed; `participants.attributes`
is then `{}` on every row (its immutability triggers are suspended for that one rewrite and
put back). The downgrade opens the attributes that still have a key and writes them back; a
withdrawn person's stay erased.

Revision ID: 0012_consent
Revises: 0011_run_record
Create Date: 2026-12-04
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

from ledger.storage import immutability
from ledger.storage.sealed import sealed_rows, unseal

revision: str = "0012_consent"
down_revision: str | Sequence[str] | None = "0011_run_record"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_FACTS = ("participant_attributes", "participant_consents", "withdrawals")
BATCH = 5_000

PEOPLE = sa.table(
    "participants",
    sa.column("contract_id", sa.String()),
    sa.column("participant_id", sa.String()),
    sa.column("attributes", sa.JSON()),
)
SEALED = sa.table(
    "participant_attributes",
    sa.column("contract_id", sa.String()),
    sa.column("participant_id", sa.String()),
    sa.column("sealed", sa.LargeBinary()),
)
KEYS = sa.table(
    "participant_keys",
    sa.column("contract_id", sa.String()),
    sa.column("participant_id", sa.String()),
    sa.column("key", sa.LargeBinary()),
)


def _person_table(name: str, *columns: sa.Column[Any]) -> None:
    op.create_table(
        name,
        sa.Column("contract_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("participant_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(
            ["contract_id", "participant_id"],
            ["participants.contract_id", "participants.participant_id"],
            name=op.f(f"fk_{name}_contract_id_participant_id_participants"),
        ),
        sa.PrimaryKeyConstraint("contract_id", "participant_id", name=op.f(f"pk_{name}")),
    )


def _tables() -> None:
    _person_table("participant_attributes", sa.Column("sealed", sa.LargeBinary(), nullable=False))
    _person_table("participant_keys", sa.Column("key", sa.LargeBinary(), nullable=False))
    _person_table("participant_consents", sa.Column("consents", sa.JSON(), nullable=False))
    op.create_table(
        "withdrawals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("participant_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("withdrawn_on", sa.Date(), nullable=False),
        sa.Column("judged", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("source_file", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_withdrawals_contract_id_contracts")
        ),
        sa.ForeignKeyConstraint(
            ["contract_id", "participant_id"],
            ["participants.contract_id", "participants.participant_id"],
            name=op.f("fk_withdrawals_contract_id_participant_id_participants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_withdrawals")),
        sa.UniqueConstraint(
            "contract_id", "participant_id", name=op.f("uq_withdrawals_contract_id_participant_id")
        ),
    )


def _attributes(value: Any) -> dict[str, Any]:
    found = json.loads(value) if isinstance(value, str) else value
    return found if isinstance(found, dict) else {}


def upgrade() -> None:
    bind = op.get_bind()
    _tables()
    people = bind.execute(
        sa.select(PEOPLE.c.contract_id, PEOPLE.c.participant_id, PEOPLE.c.attributes).order_by(
            PEOPLE.c.contract_id, PEOPLE.c.participant_id
        )
    ).all()
    for start in range(0, len(people), BATCH):
        by_contract: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for contract_id, participant_id, attributes in people[start : start + BATCH]:
            by_contract.setdefault(contract_id, []).append(
                (participant_id, _attributes(attributes))
            )
        for contract_id, batch in by_contract.items():
            keys, sealed = sealed_rows(contract_id, batch)
            bind.execute(sa.insert(KEYS), keys)
            bind.execute(sa.insert(SEALED), sealed)
    if people:
        immutability.remove(bind, ["participants"])
        bind.execute(sa.update(PEOPLE).values(attributes={}))
        immutability.install(bind, ["participants"])
    immutability.install(bind, NEW_FACTS)


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(SEALED.c.contract_id, SEALED.c.participant_id, SEALED.c.sealed, KEYS.c.key).join(
            KEYS,
            (KEYS.c.contract_id == SEALED.c.contract_id)
            & (KEYS.c.participant_id == SEALED.c.participant_id),
        )
    ).all()
    immutability.remove(bind, ["participants", *NEW_FACTS])
    for contract_id, participant_id, blob, key in rows:
        bind.execute(
            sa.update(PEOPLE)
            .where(PEOPLE.c.contract_id == contract_id, PEOPLE.c.participant_id == participant_id)
            .values(attributes=unseal(bytes(key), contract_id, participant_id, bytes(blob)))
        )
    immutability.install(bind, ["participants"])
    for name in ("withdrawals", "participant_consents", "participant_keys", "participant_attributes"):
        op.drop_table(name)
