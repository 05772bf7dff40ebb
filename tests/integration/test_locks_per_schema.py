"""Advisory locks are named within the ledger's schema (ledger.storage.db.hold_until_commit):
two ledgers in schemas of one PostgreSQL database never wait on each other's locks. Without
the schema in the key, the tests' schema per test, run side by side, deadlocked on the audit
chain's lock."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlmodel import Session

from ledger.storage.db import hold_until_commit, normalise_url

pytestmark = pytest.mark.postgres


def _schema_url(server: str, schema: str) -> str:
    url = make_url(normalise_url(server)).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def test_the_same_lock_in_two_schemas_is_two_locks_and_in_one_schema_one() -> None:
    server = os.environ.get("OUTCOMES_TEST_POSTGRES_URL")
    if not server:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but OUTCOMES_TEST_POSTGRES_URL is not set")
        pytest.skip("OUTCOMES_TEST_POSTGRES_URL not set")
    schemas = [f"t_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    admin = create_engine(normalise_url(server), isolation_level="AUTOCOMMIT")
    engines = [create_engine(_schema_url(server, s)) for s in (schemas[0], schemas[1], schemas[0])]
    try:
        with admin.connect() as conn:
            for schema in schemas:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        with Session(engines[0]) as holder:
            hold_until_commit(holder, "audit_log:chain")
            with engines[1].connect() as other, engines[2].connect() as same:
                other.execute(text("SET lock_timeout = '2s'"))
                same.execute(text("SET lock_timeout = '200ms'"))
                # another schema's ledger takes its own lock of that name at once
                with Session(bind=other) as session:
                    hold_until_commit(session, "audit_log:chain")
                    session.rollback()
                # the same schema's second writer waits for the first
                with Session(bind=same) as session, pytest.raises(Exception, match="lock"):
                    hold_until_commit(session, "audit_log:chain")
            holder.rollback()
    finally:
        for engine in engines:
            engine.dispose()
        with admin.connect() as conn:
            for schema in schemas:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
