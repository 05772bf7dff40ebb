"""Migration 0012: participants stored before it get a key of their own and their attributes
sealed; the plaintext in `participants.attributes` is gone; the downgrade opens them again."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine, MetaData, select

from ledger.storage.db import downgrade, make_engine, upgrade
from ledger.storage.sealed import opened_attributes

AT = datetime(2015, 6, 1, 12, tzinfo=UTC)


def _table(engine: Engine, name: str) -> list[dict[str, object]]:
    tables = MetaData()
    tables.reflect(engine, only=[name])
    with engine.connect() as connection:
        return [dict(r) for r in connection.execute(select(tables.tables[name])).mappings()]


def test_stored_attributes_are_sealed_by_the_upgrade_and_opened_by_the_downgrade(
    db_url: str,
) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0011_run_record")
        tables = MetaData()
        tables.reflect(engine, only=["contracts", "participants"])
        with engine.begin() as connection:
            connection.execute(
                tables.tables["contracts"]
                .insert()
                .values(id="old", name="Old", currency="GBP", created_at=AT)
            )
            connection.execute(
                tables.tables["participants"]
                .insert()
                .values(
                    contract_id="old",
                    participant_id="acme/P1",
                    cohort="c1",
                    provider="acme",
                    start_date=date(2015, 6, 1),
                    attributes={"date_of_birth": "1997-03-04"},
                    enrolled_at=AT,
                    source_file="p.csv",
                    source_row=2,
                )
            )
        upgrade(engine)
        assert [r["attributes"] for r in _table(engine, "participants")] in ([{}], ["{}"])
        with engine.connect() as connection:
            assert opened_attributes(connection, "old") == {
                "acme/P1": {"date_of_birth": "1997-03-04"}
            }
        sealed = _table(engine, "participant_attributes")
        blob = sealed[0]["sealed"]
        assert len(sealed) == 1 and isinstance(blob, bytes | memoryview)
        assert b"1997" not in bytes(blob)

        downgrade(engine, "0011_run_record")
        stored = _table(engine, "participants")[0]["attributes"]
        assert stored in ({"date_of_birth": "1997-03-04"}, '{"date_of_birth": "1997-03-04"}')
    finally:
        engine.dispose()
