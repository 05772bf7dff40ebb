"""Append-only facts, enforced by the database itself: triggers refuse UPDATE and DELETE.

The product only ever inserts into these tables (corrections are new rows: a revoked decision,
a superseding result, an offsetting posting), so a change or removal can only come from
outside it: a stray script, a bad hand-written fix, an attacker. The triggers make such a
write fail instead of silently rewriting history, on PostgreSQL and SQLite alike.

Not protected, on purpose: the participants' keys (a withdrawal destroys one to erase the
person's sealed attributes: ledger.storage.sealed), rows the product changes by design (a
period's open -> closed
status in recon_periods, a token's revocation in api_tokens, the parties, which mirror the
spec version in force), the contracts register and the API's idempotency records.

SQLite drops a table's triggers with the table, and Alembic's batch mode rebuilds a table to
alter it: a migration that alters a protected table on SQLite must call `install` again (the
immutability tests fail at head otherwise).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, text

PROTECTED: tuple[str, ...] = (
    "spec_versions",
    "participants",
    "participant_attributes",
    "participant_consents",
    "withdrawals",
    "evidence",
    "verification_decisions",
    "cohort_results",
    "postings",
    "run_not_payable",
    "audit_log",
    "cash_transactions",
    "recon_runs",
    "recon_claims",
    "recon_claim_lines",
    "recon_remittances",
    "recon_matches",
)

FUNCTION = "outcomes_refuse_change"
_REFUSAL = "is append-only: record a correction as a new row instead"


def install(connection: Connection, tables: Iterable[str] = PROTECTED) -> None:
    """Create the triggers that refuse UPDATE and DELETE (and TRUNCATE) on `tables`."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            text(
                f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                "BEGIN\n"
                f"  RAISE EXCEPTION '% on % refused: % {_REFUSAL}', TG_OP, TG_TABLE_NAME, "
                "TG_TABLE_NAME;\n"
                "END $$"
            )
        )
    for table in tables:
        for statement in _create(connection.dialect.name, table):
            connection.execute(text(statement))


def remove(connection: Connection, tables: Iterable[str] = PROTECTED) -> None:
    """Drop the triggers of `install` (for a downgrade, or a deliberate repair by an operator)."""
    postgres = connection.dialect.name == "postgresql"
    for table in tables:
        for name in _names(table):
            on = f" ON {table}" if postgres else ""
            connection.execute(text(f"DROP TRIGGER IF EXISTS {name}{on}"))
    if postgres and not connection.scalar(text(_STILL_USED), {"function": FUNCTION}):
        connection.execute(text(f"DROP FUNCTION IF EXISTS {FUNCTION}()"))


# other tables' triggers may still call the function (only some tables were released)
_STILL_USED = """
SELECT count(*) FROM pg_trigger t JOIN pg_proc p ON t.tgfoid = p.oid
WHERE p.proname = :function AND p.pronamespace = current_schema()::regnamespace
"""


def _names(table: str) -> tuple[str, str, str]:
    return f"{table}_no_update", f"{table}_no_delete", f"{table}_no_truncate"


def _create(dialect: str, table: str) -> list[str]:
    no_update, no_delete, no_truncate = _names(table)
    if dialect == "postgresql":
        rows = f"ON {table} FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
        return [
            f"CREATE TRIGGER {no_update} BEFORE UPDATE {rows}",
            f"CREATE TRIGGER {no_delete} BEFORE DELETE {rows}",
            # TRUNCATE skips row triggers: refuse it for the whole statement
            f"CREATE TRIGGER {no_truncate} BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()",
        ]
    return [
        f"CREATE TRIGGER {name} BEFORE {op} ON {table} BEGIN "
        f"SELECT RAISE(ABORT, '{op} on {table} refused: {table} {_REFUSAL}'); END"
        for name, op in ((no_update, "UPDATE"), (no_delete, "DELETE"))
    ]
