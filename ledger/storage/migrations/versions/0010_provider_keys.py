"""provider keys

Participant and evidence ids become ledger keys `<provider>/<local id>` (ledger.storage.keys): a
participant's with its own provider, an evidence row's with its participant's provider, so
that the unique keys separate providers by construction. Rewritten: participants, evidence,
the postings' participant ids and evidence id lists (cohort-level lines keep `cohort:<id>` and
their result ids) and the ids in the findings each run kept; a run's facts stamp, which spoke
of the old ids, is cleared so that the next run computes instead of reusing. The columns are
widened for the keys. The audit log holds no ids (its chain is untouched).

The rewrite updates append-only tables, so their immutability triggers are suspended for it
and put back (SQLite rebuilds a table to widen a column, which drops its triggers anyway). The
downgrade strips the providers again, and refuses while two providers share a local id.

Revision ID: 0010_provider_keys
Revises: 0009_token_contracts
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

from ledger.storage import immutability

revision: str = "0010_provider_keys"
down_revision: str | Sequence[str] | None = "0009_token_contracts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REWRITTEN = ("participants", "evidence", "postings", "recon_runs")
# (table, column, length before, length after): a new key is at most 64 + 1 + 64 characters,
# a key made here from an older id (up to 100) at most 165
WIDENED = (
    ("participants", "participant_id", 100, 200),
    ("evidence", "evidence_id", 100, 200),
    ("evidence", "participant_id", 100, 200),
    ("postings", "participant_id", 120, 200),
)
EVIDENCE_FK = "fk_evidence_contract_id_participant_id_participants"
COHORT_LINE = "cohort:%"

PEOPLE = sa.table(
    "participants",
    sa.column("contract_id", sa.String()),
    sa.column("participant_id", sa.String()),
    sa.column("provider", sa.String()),
)
EVIDENCE = sa.table(
    "evidence",
    sa.column("contract_id", sa.String()),
    sa.column("evidence_id", sa.String()),
    sa.column("participant_id", sa.String()),
)
POSTINGS = sa.table(
    "postings",
    sa.column("contract_id", sa.String()),
    sa.column("participant_id", sa.String()),
    sa.column("evidence_ids", sa.Text()),
)
RUNS = sa.table(
    "recon_runs",
    sa.column("id", sa.Integer()),
    sa.column("contract_id", sa.String()),
    sa.column("findings", sa.JSON()),
    sa.column("facts_stamp", sa.JSON()),
)


def upgrade() -> None:
    bind = op.get_bind()
    immutability.remove(bind, REWRITTEN)
    _unconstrain_evidence(bind)
    _widen(upgrade=True)
    owners = _owners(bind)
    # evidence and postings first: they find their provider through the participants' old ids
    provider = _provider_of(EVIDENCE.c.contract_id, EVIDENCE.c.participant_id)
    bind.execute(
        sa.update(EVIDENCE).values(
            evidence_id=provider + "/" + EVIDENCE.c.evidence_id,
            participant_id=provider + "/" + EVIDENCE.c.participant_id,
        )
    )
    provider = _provider_of(POSTINGS.c.contract_id, POSTINGS.c.participant_id)
    ids = POSTINGS.c.evidence_ids
    bind.execute(
        sa.update(POSTINGS)
        .where(~POSTINGS.c.participant_id.like(COHORT_LINE), provider.is_not(None))
        .values(
            participant_id=provider + "/" + POSTINGS.c.participant_id,
            # every id of a participant's line is that participant's evidence
            evidence_ids=sa.case(
                (ids == "", ids), else_=provider + "/" + sa.func.replace(ids, ";", ";" + provider + "/")
            ),
        )
    )
    bind.execute(
        sa.update(PEOPLE).values(participant_id=PEOPLE.c.provider + "/" + PEOPLE.c.participant_id)
    )
    _rewrite_findings(bind, lambda contract, pid: _key(owners, contract, pid))
    bind.execute(sa.update(RUNS).values(facts_stamp=None))
    _constrain_evidence(bind)
    immutability.install(bind, REWRITTEN)


def downgrade() -> None:
    bind = op.get_bind()
    _refuse_shared_local_ids(bind)
    immutability.remove(bind, REWRITTEN)
    _unconstrain_evidence(bind)
    bind.execute(sa.update(EVIDENCE).values(
        evidence_id=_after_slash(bind, EVIDENCE.c.evidence_id),
        participant_id=_after_slash(bind, EVIDENCE.c.participant_id),
    ))  # fmt: skip
    prefix = sa.func.substr(
        POSTINGS.c.participant_id, 1, _slash_at(bind, POSTINGS.c.participant_id)
    )
    bind.execute(
        sa.update(POSTINGS)
        .where(~POSTINGS.c.participant_id.like(COHORT_LINE), _slash_at(bind, POSTINGS.c.participant_id) > 0)
        .values(
            evidence_ids=sa.func.replace(POSTINGS.c.evidence_ids, prefix, ""),
            participant_id=_after_slash(bind, POSTINGS.c.participant_id),
        )
    )
    bind.execute(
        sa.update(PEOPLE).values(participant_id=_after_slash(bind, PEOPLE.c.participant_id))
    )
    _rewrite_findings(bind, lambda contract, key: key.partition("/")[2] or key)
    _widen(upgrade=False)
    _constrain_evidence(bind)
    immutability.install(bind, REWRITTEN)


def _widen(*, upgrade: bool) -> None:
    """Each id column to its new length (upgrade) or back."""
    for name in dict.fromkeys(t for t, *_ in WIDENED):
        with op.batch_alter_table(name, schema=None) as batch_op:
            for table, column, before, after in WIDENED:
                if table == name:
                    old, new = (before, after) if upgrade else (after, before)
                    batch_op.alter_column(
                        column,
                        existing_type=sqlmodel.sql.sqltypes.AutoString(length=old),
                        type_=sqlmodel.sql.sqltypes.AutoString(length=new),
                        existing_nullable=False,
                    )


def _unconstrain_evidence(bind: sa.Connection) -> None:
    """PostgreSQL checks the evidence's foreign key to the participants on every update:
    dropped while the ids change, made again once they agree (SQLite migrates with foreign
    keys off and checks them before the commit: ledger.storage.db.migrating)."""
    if bind.dialect.name == "postgresql":
        op.drop_constraint(EVIDENCE_FK, "evidence", type_="foreignkey")


def _constrain_evidence(bind: sa.Connection) -> None:
    if bind.dialect.name == "postgresql":
        op.create_foreign_key(
            EVIDENCE_FK,
            "evidence",
            "participants",
            ["contract_id", "participant_id"],
            ["contract_id", "participant_id"],
        )


def _provider_of(contract: Any, participant: Any) -> Any:
    """SQL: the provider of the participant with this (old) id."""
    return (
        sa.select(PEOPLE.c.provider)
        .where(PEOPLE.c.contract_id == contract, PEOPLE.c.participant_id == participant)
        .scalar_subquery()
    )


def _slash_at(bind: sa.Connection, column: Any) -> Any:
    name = "strpos" if bind.dialect.name == "postgresql" else "instr"
    return getattr(sa.func, name)(column, "/")


def _after_slash(bind: sa.Connection, column: Any) -> Any:
    return sa.func.substr(column, _slash_at(bind, column) + 1)


def _owners(bind: sa.Connection) -> dict[tuple[str, str], str]:
    """(contract, old participant id) -> provider, for the contracts whose runs kept findings."""
    contracts = bind.execute(
        sa.select(RUNS.c.contract_id).where(RUNS.c.findings.is_not(None)).distinct()
    ).scalars().all()
    if not contracts:
        return {}
    rows = bind.execute(
        sa.select(PEOPLE.c.contract_id, PEOPLE.c.participant_id, PEOPLE.c.provider).where(
            PEOPLE.c.contract_id.in_(contracts)
        )
    )
    return {(contract, pid): provider for contract, pid, provider in rows}


def _key(owners: dict[tuple[str, str], str], contract: str, pid: str) -> str:
    provider = owners.get((contract, pid))
    return pid if provider is None else f"{provider}/{pid}"


def _rewrite_findings(bind: sa.Connection, key: Callable[[str, str], str]) -> None:
    """The participant and evidence ids in each run's kept findings, through `key` (an evidence
    row goes with its participant's provider)."""
    runs = bind.execute(sa.select(RUNS.c.id, RUNS.c.contract_id, RUNS.c.findings)).all()
    for run_id, contract, findings in runs:
        if not findings:
            continue
        document = dict(findings)
        for kind, part in findings.items():
            if not isinstance(part, dict) or "columns" not in part:
                continue
            columns = list(part["columns"])
            document[kind] = {**part, "rows": [_row(columns, row, contract, key) for row in part["rows"]]}
        bind.execute(sa.update(RUNS).where(RUNS.c.id == run_id).values(findings=document))


def _row(columns: list[str], row: list[Any], contract: str, key: Callable[[str, str], str]) -> list[Any]:
    values = dict(zip(columns, row, strict=True))
    out = list(row)
    if "participant_id" in values:
        pid = str(values["participant_id"])
        new = key(contract, pid)
        out[columns.index("participant_id")] = new
        if "evidence_id" in values:
            # the evidence id takes exactly what its participant's id took (or gave back)
            added = new[: len(new) - len(pid)] if new.endswith(pid) else ""
            removed = pid[: len(pid) - len(new)] if pid.endswith(new) else ""
            eid = str(values["evidence_id"])
            out[columns.index("evidence_id")] = added + eid.removeprefix(removed)
    if values.get("cap") == "participant_cap" and "subject" in values:
        out[columns.index("subject")] = key(contract, str(values["subject"]))
    return out


def _refuse_shared_local_ids(bind: sa.Connection) -> None:
    local = _after_slash(bind, PEOPLE.c.participant_id)
    shared = bind.execute(
        sa.select(PEOPLE.c.contract_id, local)
        .group_by(PEOPLE.c.contract_id, local)
        .having(sa.func.count() > 1)
        .limit(5)
    ).all()
    local = _after_slash(bind, EVIDENCE.c.evidence_id)
    shared += bind.execute(
        sa.select(EVIDENCE.c.contract_id, local)
        .group_by(EVIDENCE.c.contract_id, local)
        .having(sa.func.count() > 1)
        .limit(5)
    ).all()
    if shared:
        named = ", ".join(f"{contract}: {pid}" for contract, pid in shared)
        raise RuntimeError(
            "cannot downgrade below 0010_provider_keys: more than one provider uses the same "
            f"local id ({named}); before 0008 ids were one namespace per contract"
        )
