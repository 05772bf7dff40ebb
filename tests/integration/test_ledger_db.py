"""The schema, migrations and the unit of work, on every backend."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, inspect, select

from ledger.storage.db import (
    current_revisions,
    ensure_schema,
    head_revisions,
    make_engine,
    unit_of_work,
)
from ledger.storage.tables import AuditLog, ContractRow


def test_one_alembic_head() -> None:
    assert len(head_revisions()) == 1


def test_migrations_create_every_table_and_reach_head(engine: Engine) -> None:
    names = set(inspect(engine).get_table_names())
    assert {"contracts", "spec_versions", "participants", "evidence", "postings"} <= names
    assert current_revisions(engine) == head_revisions()


def test_empty_database_is_upgraded_on_first_use_only(db_url: str) -> None:
    engine = make_engine(db_url)
    assert ensure_schema(engine) is True
    assert ensure_schema(engine) is False
    engine.dispose()


def test_unit_of_work_is_all_or_nothing(engine: Engine) -> None:
    at = datetime(2016, 1, 1, tzinfo=UTC)
    with pytest.raises(RuntimeError), unit_of_work(engine) as session:
        session.add(ContractRow(id="x", name="X", currency="GBP", created_at=at))
        session.flush()
        raise RuntimeError("boom")
    with unit_of_work(engine) as session:
        assert session.scalar(select(func.count()).select_from(ContractRow)) == 0
        session.add(AuditLog(actor="t", action="a", subject="s", at=at, details={"k": 1}))
    with unit_of_work(engine) as session:
        row = session.scalars(select(AuditLog)).one()
        assert row.at == at and row.details == {"k": 1}
