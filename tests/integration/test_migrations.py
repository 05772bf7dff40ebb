"""`outcomes db upgrade` from an empty database and from every earlier revision, on both backends,
keeping the data written at that revision; and the migrated schema equals the models."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import Connection, Engine, MetaData, func, inspect, select, table

import reconciliation.tables  # noqa: F401  (its tables are part of the one metadata)
from api.cli import main
from ledger.audit import GENESIS, verify_chain
from ledger.db import alembic_config, current_revisions, head_revisions, make_engine, upgrade
from ledger.tables import SQLModel

REVISIONS = [r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions()]
REVISIONS.reverse()  # oldest first

AT = datetime(2016, 3, 1, 9, 30, tzinfo=UTC)

# One row per table, as a user of an older release would have left it. A row is inserted at a
# revision only when its table exists there and has no required column the row lacks.
SEED: list[tuple[str, dict[str, Any]]] = [
    ("contracts", {"id": "old", "name": "Old contract", "currency": "GBP", "created_at": AT}),
    (
        "spec_versions",
        {
            "id": 1,
            "contract_id": "old",
            "version": 1,
            "content_hash": "h1",
            "document": {"contract": {"id": "old"}},
            "loaded_at": AT,
            "loaded_by": "ops",
            "active": True,
        },
    ),
    (
        "participants",
        {
            "id": 1,
            "contract_id": "old",
            "participant_id": "P1",
            "cohort": "c1",
            "provider": "acme",
            "start_date": date(2015, 6, 1),
            "attributes": {"date_of_birth": "1997-01-01"},
            "enrolled_at": AT,
            "source_file": "p.csv",
            "source_row": 2,
        },
    ),
    (
        "evidence",
        {
            "id": 1,
            "contract_id": "old",
            "evidence_id": "E1",
            "participant_id": "P1",
            "metric": "job_entry",
            "achieved_on": date(2015, 9, 1),
            "evidence_type": "payslip",
            "quantity": None,
            "reference": "",
            "submitted_at": AT,
            "submitted_by": "acme",
            "source": "e.csv:2",
        },
    ),
    (
        "postings",
        {
            "id": 1,
            "posting_id": "p-1",
            "contract_id": "old",
            "spec_version": 1,
            "period": "2015-Q3",
            "participant_id": "P1",
            "metric": "job_entry",
            "occurrence": 1,
            "payer": "dwp",
            "amount": 350000,
            "kind": "entitlement",
            "reason": "paid",
            "achieved_on": date(2015, 9, 1),
            "evidence_ids": "E1",
            "run_id": "r1",
            "posted_at": AT,
            "corrects_period": None,
        },
    ),
    *[
        (
            "audit_log",
            {
                "id": n,
                "actor": "ops",
                "action": action,
                "subject": "contract:old",
                "at": AT,
                "details": {"n": n, "note": "ünïcode"},
            },
        )
        for n, action in ((1, "spec.load"), (2, "participants.import"), (3, "evidence.import"))
    ],
    (
        "api_tokens",
        {
            "id": "t1",
            "secret_sha256": "0" * 64,
            "role": "provider",
            "party_id": "acme",
            "contract_id": "old",
            "created_at": AT,
            "created_by": "ops",
            "revoked_at": None,
        },
    ),
    (
        "cash_transactions",
        {
            "id": 1,
            "contract_id": "old",
            "reference": "cash-1",
            "transacted_on": date(2015, 10, 1),
            "kind": "capital_drawn",
            "tranche": "senior",
            "party": "fund",
            "component": "",
            "amount": 100000,
            "recorded_at": AT,
            "recorded_by": "ops",
            "source": "cash.csv:2",
        },
    ),
    (
        "recon_periods",
        {"contract_id": "old", "period": "2015-Q3", "status": "open", "opened_at": AT},
    ),
]


def _seed(connection: Connection) -> dict[str, int]:
    """Insert the seed rows that fit the schema as it is; the number inserted per table."""
    inspector = inspect(connection)
    present = set(inspector.get_table_names())
    metadata = MetaData()
    metadata.reflect(connection, only=sorted({t for t, _ in SEED} & present))
    inserted: dict[str, int] = {}
    for name, row in SEED:
        if name not in present:
            continue
        table = metadata.tables[name]
        required = {c.name for c in table.columns if not c.nullable and c.server_default is None}
        if not required <= set(row):
            continue
        connection.execute(table.insert().values(**{k: v for k, v in row.items() if k in table.c}))
        inserted[name] = inserted.get(name, 0) + 1
    return inserted


@pytest.mark.parametrize("revision", ["base", *REVISIONS])
def test_upgrade_to_head_from_every_revision_keeps_the_data(db_url: str, revision: str) -> None:
    engine = make_engine(db_url)
    try:
        if revision != "base":
            upgrade(engine, revision)
        with engine.begin() as connection:
            inserted = _seed(connection)
        upgrade(engine)
        assert current_revisions(engine) == head_revisions()
        with engine.connect() as connection:
            for name, count in inserted.items():
                stored = connection.scalar(select(func.count()).select_from(table(name)))
                assert stored == count, name
            chain = verify_chain(connection)
        # audit records written before the chain existed were chained by the upgrade
        assert chain.intact, chain.broken
        assert chain.records == inserted.get("audit_log", 0)
        assert (chain.head == GENESIS) == (chain.records == 0)
    finally:
        engine.dispose()


def test_some_revision_really_had_old_data_to_carry(db_url: str) -> None:
    # guards the test above: at the first revision every seed table of that release is filled
    engine = make_engine(db_url)
    try:
        upgrade(engine, REVISIONS[0])
        with engine.begin() as connection:
            inserted = _seed(connection)
        assert inserted["audit_log"] == 3 and inserted["postings"] == 1
    finally:
        engine.dispose()


def test_models_and_migrations_describe_the_same_schema(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_db_upgrade_command_from_empty_then_again(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledger.settings import get_settings

    monkeypatch.setenv("OUTCOMES_DATABASE_URL", db_url)
    get_settings.cache_clear()
    runner = CliRunner()
    first = runner.invoke(main, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert f"from empty to {head_revisions()[0]}" in first.output
    again = runner.invoke(main, ["db", "upgrade"])
    assert "already at" in again.output
    current = runner.invoke(main, ["db", "current"])
    assert current.output.count(head_revisions()[0]) == 2
    get_settings.cache_clear()
