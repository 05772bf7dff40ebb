"""Alembic environment: one metadata (SQLModel's) for every package's tables, one head."""

from __future__ import annotations

import contextlib
import importlib

from alembic import context
from sqlalchemy import Connection

from ledger.storage.db import make_engine, migrating
from ledger.storage.tables import SQLModel

config = context.config

# Other packages above the ledger (reconciliation) put their tables on the same metadata, so
# that one schema history covers the one database. alembic.ini names their table modules
# (`table_modules`) instead of this file importing them: the ledger never imports the packages
# above it (tests/test_layers.py), and autogenerate still sees every table.
for name in (config.get_main_option("table_modules") or "").split():
    with contextlib.suppress(ImportError):
        importlib.import_module(name)

target_metadata = SQLModel.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate through the connection the caller passed in, or one opened on the URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or None)
    with migrating(engine) as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
