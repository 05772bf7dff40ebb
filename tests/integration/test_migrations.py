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
from sqlalchemy import Connection, Engine, MetaData, func, inspect, select, table, text
from sqlalchemy.exc import DBAPIError

import reconciliation.tables  # noqa: F401  (its tables are part of the one metadata)
from api.cli import main
from ledger.services.ids import participant_named
from ledger.storage import audit
from ledger.storage.audit import GENESIS, verify_chain
from ledger.storage.db import (
    alembic_config,
    current_revisions,
    downgrade,
    head_revisions,
    make_engine,
    unit_of_work,
    upgrade,
)
from ledger.storage.tables import SQLModel

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
    from ledger.storage.settings import get_settings

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


# --- 0008: participant and evidence ids become ledger keys <provider>/<local id> ------------

BEFORE_KEYS = "0009_token_contracts"
KEYS = "0010_provider_keys"
FINDINGS = {
    "counts": {"awaiting_verification": 1, "likely_unclaimed": 1, "caps_near_exhaustion": 2},
    "awaiting_verification": {
        "columns": ["evidence_id", "participant_id", "metric", "submitted_on", "age_days"],
        "rows": [["E2", "P2", "job_entry", "2015-10-01", 3]],
    },
    "likely_unclaimed": {
        "columns": ["participant_id", "metric", "prerequisite"],
        "rows": [["P1", "job_sustained", "job_entry"]],
    },
    "caps_near_exhaustion": {
        "columns": ["cap", "subject", "used", "limit", "used_percent"],
        "rows": [
            ["participant_cap", "P1", 800, 820, "97.5"],
            ["payer_commitment", "dwp", 900, 1000, "90.0"],
        ],
    },
    "unreconciled_periods": {"columns": ["period", "due_at", "days_late"], "rows": []},
}
OLD_FACTS: list[tuple[str, dict[str, Any]]] = [
    *SEED[:2],
    *(
        ("participants", {**SEED[2][1], "id": n, "participant_id": pid, "provider": who})
        for n, pid, who in ((1, "P1", "acme"), (2, "P2", "bravo"))
    ),
    *(
        ("evidence", {**SEED[3][1], "id": n, "evidence_id": eid, "participant_id": pid})
        for n, eid, pid in ((1, "E1", "P1"), (2, "E2", "P2"), (3, "E4", "P1"))
    ),
    (
        "verification_decisions",
        {
            "id": 1,
            "contract_id": "old",
            "evidence_pk": 1,
            "decision": "verified",
            "reason": "",
            "actor": "dwp",
            "decided_at": AT,
            "source": "d.csv:2",
        },
    ),
    *(
        (
            "postings",
            {
                **SEED[4][1],
                "id": n,
                "posting_id": f"p-{n}",
                "participant_id": pid,
                "evidence_ids": ids,
            },
        )
        for n, pid, ids in ((1, "P1", "E1;E4"), (2, "P2", ""), (3, "cohort:c1", "R1"))
    ),
    (
        "recon_runs",
        {
            "id": 1,
            "run_id": "r1",
            "contract_id": "old",
            "period": "2015-Q3",
            "spec_version": 1,
            "cut_off": AT,
            "requested_at": AT,
            "finished_at": AT,
            "actor": "ops",
            "participants": 2,
            "evidence": 3,
            "results": 0,
            "inputs_hash": "0" * 64,
            "postings": 3,
            "posted_total": 700000,
            "totals": {},
            "closed": False,
            "findings": FINDINGS,
            "facts_stamp": {"participants": 2},
            "reused_run_id": None,
        },
    ),
]


def _insert(connection: Connection, rows: list[tuple[str, dict[str, Any]]]) -> None:
    metadata = MetaData()
    metadata.reflect(connection, only=sorted({name for name, _ in rows}))
    for name, row in rows:
        connection.execute(metadata.tables[name].insert().values(**row))


def _read(connection: Connection, name: str, *columns: str) -> list[tuple[Any, ...]]:
    metadata = MetaData()
    metadata.reflect(connection, only=[name])
    found = metadata.tables[name]
    query = select(*(found.c[c] for c in columns)).order_by(found.c[columns[0]])
    return [tuple(row) for row in connection.execute(query)]


def test_0008_keys_every_id_by_its_provider_and_downgrades_back(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine, BEFORE_KEYS)
        with engine.begin() as connection:
            _insert(connection, OLD_FACTS)
        with unit_of_work(engine) as session:
            audit.record(session, "ops", "participants.import", "contract:old", AT, {"new": 2})
        upgrade(engine, KEYS)
        with engine.connect() as connection:
            assert _read(connection, "participants", "participant_id", "provider") == [
                ("acme/P1", "acme"),
                ("bravo/P2", "bravo"),
            ]
            assert _read(connection, "evidence", "evidence_id", "participant_id") == [
                ("acme/E1", "acme/P1"),
                ("acme/E4", "acme/P1"),
                ("bravo/E2", "bravo/P2"),
            ]
            # a cohort-level line keeps its key and its result ids
            assert _read(
                connection, "postings", "posting_id", "participant_id", "evidence_ids"
            ) == [
                ("p-1", "acme/P1", "acme/E1;acme/E4"),
                ("p-2", "bravo/P2", ""),
                ("p-3", "cohort:c1", "R1"),
            ]
            ((_, findings, stamp),) = _read(
                connection, "recon_runs", "run_id", "findings", "facts_stamp"
            )
            assert findings["awaiting_verification"]["rows"] == [
                ["bravo/E2", "bravo/P2", "job_entry", "2015-10-01", 3]
            ]
            assert findings["likely_unclaimed"]["rows"][0][0] == "acme/P1"
            assert [r[1] for r in findings["caps_near_exhaustion"]["rows"]] == ["acme/P1", "dwp"]
            # the run's stamp spoke of the old keys: the next run computes instead of reusing
            assert stamp is None
            assert verify_chain(connection).intact
        # still append-only after the tables were rewritten
        for name in ("participants", "evidence", "postings", "recon_runs"):
            with pytest.raises(DBAPIError), engine.begin() as connection:
                connection.execute(text(f"DELETE FROM {name}"))
        # the keys are what the code reads: acme's P1 is found by acme's own id
        with unit_of_work(engine) as session:
            assert participant_named(session, "old", "P1") == "acme/P1"

        downgrade(engine, BEFORE_KEYS)
        with engine.connect() as connection:
            assert _read(connection, "participants", "participant_id") == [("P1",), ("P2",)]
            assert _read(connection, "evidence", "evidence_id", "participant_id") == [
                ("E1", "P1"),
                ("E2", "P2"),
                ("E4", "P1"),
            ]
            assert [r[1] for r in _read(connection, "postings", "posting_id", "evidence_ids")] == [
                "E1;E4",
                "",
                "R1",
            ]
            ((_, findings),) = _read(connection, "recon_runs", "run_id", "findings")
            assert findings == FINDINGS
            assert verify_chain(connection).intact
        with pytest.raises(DBAPIError), engine.begin() as connection:
            connection.execute(text("DELETE FROM participants"))
    finally:
        engine.dispose()


def test_0008_downgrade_refuses_when_two_providers_share_a_local_id(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine, BEFORE_KEYS)
        with engine.begin() as connection:
            _insert(connection, OLD_FACTS[:3])
        upgrade(engine)
        with engine.begin() as connection:
            row = {**SEED[2][1], "id": 9, "participant_id": "bravo/P1", "provider": "bravo"}
            _insert(connection, [("participants", row)])
        with pytest.raises(RuntimeError, match="more than one provider"):
            downgrade(engine, BEFORE_KEYS)
        assert current_revisions(engine) == head_revisions()
    finally:
        engine.dispose()
