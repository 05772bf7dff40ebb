"""The audit log is a hash chain: `outcomes audit verify` finds it intact after real work, and
names the first broken link after someone with the power to bypass the triggers rewrote,
removed or forged a record."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError

from api.cli import main
from ledger.services.contracts import ActiveSpec
from ledger.services.enrolment import import_participants
from ledger.storage import audit, immutability
from ledger.storage.db import unit_of_work
from ledger.storage.tables import AuditLog, table_of
from ledger.storage.tokens import create_token


def _verify() -> Result:
    return CliRunner().invoke(main, ["audit", "verify"])


def _write(engine: Engine, n: int, actor: str = "ops") -> None:
    at = datetime(2016, 1, 1, tzinfo=UTC)
    for i in range(n):
        with unit_of_work(engine) as session:
            audit.record(session, actor, "test.write", f"thing:{i}", at + timedelta(seconds=i))


def _tamper(engine: Engine, statement: str) -> None:
    """Run `statement` as an operator who dropped the audit log's triggers first."""
    with engine.begin() as connection:
        immutability.remove(connection, ["audit_log"])
        connection.execute(text(statement))


def test_real_work_leaves_an_intact_chain_verify_says_so(
    cli_env: str, engine: Engine, active: ActiveSpec, uploads: Path, now: datetime
) -> None:
    with unit_of_work(engine) as session:
        create_token(session, "provider", "acme", "dwp-test", actor="ops", now=now)
        # two records in one transaction: they chain in the order they were added
        audit.record(session, "ops", "note", "contract:dwp-test", now, {"é": [1, 2]})
    with unit_of_work(engine) as session:
        import_participants(
            session, "dwp-test", active, uploads / "participants_good.csv", actor="acme", now=now
        )
    with engine.connect() as connection:
        rows = connection.execute(select(table_of(AuditLog)).order_by(text("id"))).all()
    assert [r.action for r in rows] == ["spec.load", "token.create", "note", "participants.import"]
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    assert rows[0].prev_hash == audit.GENESIS

    result = _verify()
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"4 records, chain intact (head {rows[-1].hash})")


def test_an_empty_log_is_intact(cli_env: str) -> None:
    result = _verify()
    assert result.exit_code == 0
    assert result.output.startswith("0 records, chain intact")


def test_a_rewritten_record_is_named(cli_env: str, engine: Engine) -> None:
    _write(engine, 4)
    _tamper(engine, "UPDATE audit_log SET actor = 'someone else' WHERE subject = 'thing:2'")
    result = _verify()
    assert result.exit_code == 1
    assert result.output.startswith("audit record 3: its content")
    assert "changed after it was written" in result.output
    assert "2 records before it are intact" in result.output


def test_a_removed_record_breaks_the_link_after_it(cli_env: str, engine: Engine) -> None:
    _write(engine, 4)
    _tamper(engine, "DELETE FROM audit_log WHERE subject = 'thing:1'")
    result = _verify()
    assert result.exit_code == 1
    assert result.output.startswith("audit record 3: does not follow record 1")


def test_a_record_rewritten_with_a_fresh_hash_breaks_the_next_link(
    cli_env: str, engine: Engine
) -> None:
    _write(engine, 3)
    with engine.connect() as connection:
        second = connection.execute(text("SELECT * FROM audit_log WHERE id = 2")).one()
    forged_at = second.at if isinstance(second.at, datetime) else datetime.fromisoformat(second.at)
    forged = audit.record_hash(
        second.prev_hash,
        "forger",
        second.action,
        second.subject,
        forged_at.replace(tzinfo=UTC),
        json.loads(second.details) if isinstance(second.details, str) else second.details,
    )
    _tamper(engine, f"UPDATE audit_log SET actor = 'forger', hash = '{forged}' WHERE id = 2")
    result = _verify()
    assert result.exit_code == 1
    assert result.output.startswith("audit record 3: does not follow record 2")


def test_the_database_refuses_a_fork(engine: Engine) -> None:
    _write(engine, 1)
    table = table_of(AuditLog)
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            table.insert().values(
                actor="x",
                action="fork",
                subject="s",
                at=datetime(2016, 1, 1, tzinfo=UTC),
                details={},
                prev_hash=audit.GENESIS,
                hash="f" * 64,
            )
        )


def test_concurrent_writers_never_fork_the_chain(engine: Engine) -> None:
    # real connections from threads: on PostgreSQL they race for the chain's lock, on SQLite
    # for the single writer's; either way one chain, every record in it
    writers, each = 6, 5
    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(lambda w: _write(engine, each, actor=f"w{w}"), range(writers)))
    with engine.connect() as connection:
        check = audit.verify_chain(connection)
    assert check.intact, check.broken
    assert check.records == writers * each
