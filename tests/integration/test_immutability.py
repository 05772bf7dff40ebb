"""The database itself refuses to change or remove a fact: a direct SQL UPDATE or DELETE fails
on every append-only table, on both backends, whoever sends it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, inspect, select, table, text
from sqlalchemy.exc import DBAPIError

from api.demo import DEMO_CONTRACT, build_demo
from ledger.services.withdrawal import import_withdrawals
from ledger.storage.db import unit_of_work
from ledger.storage.immutability import PROTECTED
from ledger.storage.tables import CashTransaction, CohortResult, table_of

AT = datetime(2017, 1, 5, tzinfo=UTC)


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Engine:
    """The demo's reconciled quarters, plus an evaluator's result and a cash transaction, so
    every protected table holds rows the product wrote."""
    build_demo(engine, participants=40, seed=11)
    with engine.begin() as connection:
        connection.execute(
            insert(table_of(CohortResult)).values(
                contract_id=DEMO_CONTRACT,
                result_id="R1",
                metric="any",
                cohort="any",
                observed="0.1",
                comparison="0.2",
                units=40,
                evaluated_on=date(2016, 12, 31),
                submitted_at=AT,
                submitted_by="uni",
                source="results.csv:2",
            )
        )
        connection.execute(
            insert(table_of(CashTransaction)).values(
                contract_id=DEMO_CONTRACT,
                reference="C1",
                transacted_on=date(2015, 1, 5),
                kind="capital_drawn",
                amount=100_000,
                recorded_at=AT,
                recorded_by="fund",
                source="cash.csv:2",
            )
        )
    # one participant withdraws (their key is destroyed, their withdrawal is a fact)
    with engine.connect() as connection:
        first, start = connection.execute(
            text("SELECT participant_id, start_date FROM participants ORDER BY id LIMIT 1")
        ).one()
    provider, local = str(first).split("/", 1)
    file = tmp_path / "withdrawals.csv"
    file.write_text(f"participant_id,withdrawn_on\n{local},{str(start)[:10]}\n")
    with unit_of_work(engine) as session:
        import_withdrawals(
            session, DEMO_CONTRACT, file, actor="test", now=datetime.now(UTC), provider=provider
        )
    return engine


def _count(engine: Engine, name: str) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(table(name))) or 0)


def _refusal(engine: Engine, statement: str) -> str:
    """The database's error for `statement`, or "" when it was allowed (then rolled back)."""
    try:
        with engine.begin() as connection:
            connection.execute(text(statement))
            connection.rollback()
    except DBAPIError as error:
        return str(error.orig)
    return ""


def test_every_protected_table_refuses_update_delete_and_truncate(world: Engine) -> None:
    counts = {name: _count(world, name) for name in PROTECTED}
    assert all(counts.values()), f"the world leaves some protected tables empty: {counts}"
    columns = {name: inspect(world).get_columns(name)[-1]["name"] for name in PROTECTED}

    refused = {
        name: (
            _refusal(world, f"UPDATE {name} SET {columns[name]} = {columns[name]}"),
            _refusal(world, f"DELETE FROM {name}"),
        )
        for name in PROTECTED
    }

    allowed = {name: r for name, r in refused.items() if not all(r)}
    assert allowed == {}, "these tables let a fact be changed or removed"
    for name, (update, delete) in refused.items():
        assert f"UPDATE on {name} refused" in update
        assert f"DELETE on {name} refused" in delete
        assert "append-only" in update
    if world.dialect.name == "postgresql":  # TRUNCATE skips row triggers: refused on its own
        for name in PROTECTED:
            assert f"TRUNCATE on {name} refused" in _refusal(world, f"TRUNCATE {name} CASCADE")
    assert {name: _count(world, name) for name in PROTECTED} == counts

    # a period's status and a token's revocation change by design: not protected
    for statement in (
        "UPDATE recon_periods SET closed_by = closed_by",
        "UPDATE api_tokens SET revoked_at = revoked_at",
    ):
        assert _refusal(world, statement) == ""
