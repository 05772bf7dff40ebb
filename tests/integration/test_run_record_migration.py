"""Migration 0011: postings made before postings kept the engine's decision get their cohort and
provider from the participants (facts that never change); their tariff and cut stay unknown;
postings stay append-only afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from ledger.storage.db import make_engine, upgrade

AT = datetime(2016, 3, 1, 9, 30, tzinfo=UTC)
BEFORE = "0010_provider_keys"


def _old_world(connection: Connection) -> None:
    def run(sql: str, **values: object) -> None:
        connection.execute(text(sql), values)

    run(
        "INSERT INTO contracts (id, name, currency, created_at) VALUES ('c', 'c', 'GBP', :at)",
        at=AT,
    )
    run(
        "INSERT INTO spec_versions (contract_id, version, content_hash, document, loaded_at, "
        "loaded_by, active) VALUES ('c', 1, 'h', '{}', :at, 'ops', :yes)",
        at=AT,
        yes=True,
    )
    run(
        "INSERT INTO participants (contract_id, participant_id, cohort, provider, start_date, "
        "attributes, enrolled_at, source_file, source_row) VALUES "
        "('c', 'acme/P1', 'c1', 'acme', :day, '{}', :at, 'f.csv', 2)",
        day=date(2016, 1, 4),
        at=AT,
    )
    for number, who in enumerate(("acme/P1", "cohort:c2")):
        run(
            "INSERT INTO postings (posting_id, contract_id, spec_version, period, "
            "participant_id, metric, occurrence, payer, amount, kind, reason, evidence_ids, "
            "run_id, posted_at) VALUES (:id, 'c', 1, '2016-Q1', :who, 'entry', 1, 'dwp', 50000, "
            "'outcome_payment', 'entry at tariff', '', 'run-1', :at)",
            id=f"p{number}",
            who=who,
            at=AT,
        )


@pytest.fixture
def upgraded(db_url: str) -> Iterator[Engine]:
    """A database with postings at 0010, upgraded to the head."""
    engine = make_engine(db_url)
    try:
        upgrade(engine, BEFORE)
        with engine.begin() as connection:
            _old_world(connection)
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()


def test_old_postings_get_cohort_and_provider_and_no_made_up_tariff(upgraded: Engine) -> None:
    with upgraded.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT participant_id, cohort, provider, tariff, cut_by, cut_amount "
                "FROM postings ORDER BY posting_id"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("acme/P1", "c1", "acme", None, None, None),
        ("cohort:c2", "c2", "", None, None, None),
    ]


def test_postings_stay_append_only_after_the_migration(upgraded: Engine) -> None:
    with pytest.raises(DBAPIError), upgraded.begin() as connection:
        connection.execute(text("UPDATE postings SET cohort = 'x'"))
    with upgraded.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO run_not_payable (contract_id, run_id, evidence_id, participant_id, "
                "metric, reason, detail) VALUES ('c', 'run-2', 'acme/E1', 'acme/P1', 'entry', "
                "'not_verified', '')"
            )
        )
    with pytest.raises(DBAPIError), upgraded.begin() as connection:
        connection.execute(text("DELETE FROM run_not_payable"))
