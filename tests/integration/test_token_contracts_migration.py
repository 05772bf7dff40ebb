"""Migration 0009: a token limited to one contract keeps it; a token made without a contract
(it reached every contract naming its party) reaches nothing until it is issued again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Connection, Engine, text
from sqlmodel import Session

from ledger.storage.db import alembic_config, make_engine, upgrade
from ledger.storage.tokens import authenticate, digest

AT = datetime(2016, 3, 1, 9, 30, tzinfo=UTC)
BEFORE = "0008_run_rewind"


def _old_world(connection: Connection) -> None:
    for contract in ("old", "other"):
        connection.execute(
            text(
                "INSERT INTO contracts (id, name, currency, created_at) VALUES (:c, :c, 'GBP', :at)"
            ),
            {"c": contract, "at": AT},
        )
        connection.execute(
            text(
                "INSERT INTO parties (contract_id, party_id, role, name) "
                "VALUES (:c, 'acme', 'provider', 'Acme')"
            ),
            {"c": contract},
        )
    for token, reach in (("limited", "old"), ("anywhere", None)):
        connection.execute(
            text(
                "INSERT INTO api_tokens (id, secret_sha256, role, party_id, contract_id, "
                "created_at, created_by) VALUES (:t, :h, 'provider', 'acme', :c, :at, 'ops')"
            ),
            {"t": token, "h": digest(token), "c": reach, "at": AT},
        )


@pytest.fixture
def upgraded(db_url: str) -> Iterator[Engine]:
    """A database that had tokens at 0007, upgraded to the head."""
    engine = make_engine(db_url)
    try:
        upgrade(engine, BEFORE)
        with engine.begin() as connection:
            _old_world(connection)
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()


def test_old_tokens_keep_their_one_contract_or_reach_nothing(upgraded: Engine) -> None:
    with upgraded.connect() as connection:
        links = connection.execute(
            text("SELECT token_id, contract_id FROM api_token_contracts ORDER BY token_id")
        ).all()
    assert [tuple(r) for r in links] == [("limited", "old")]
    with Session(upgraded) as session:
        limited, anywhere = authenticate(session, "limited"), authenticate(session, "anywhere")
    assert limited is not None and limited.contracts == {"old"}
    # known, not revoked, but it reaches nothing: the API answers 401 and says why
    assert anywhere is not None and anywhere.contracts == frozenset()


def test_downgrade_gives_each_token_one_contract_back(upgraded: Engine) -> None:
    with upgraded.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO api_token_contracts (token_id, contract_id) "
                "VALUES ('limited', 'other')"
            )
        )
    config = alembic_config()
    with upgraded.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, BEFORE)
    with upgraded.connect() as connection:
        rows = connection.execute(text("SELECT id, contract_id FROM api_tokens ORDER BY id")).all()
    # never wider than it was: the first of its contracts
    assert [tuple(r) for r in rows] == [("anywhere", None), ("limited", "old")]
