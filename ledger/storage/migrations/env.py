"""Alembic environment: one metadata (SQLModel's) for every package's tables, one head."""

from __future__ import annotations

import contextlib

from alembic import context
from sqlalchemy import Connection

from ledger.storage.db import make_engine, migrating
from ledger.storage.tables import SQLModel

# Other packages put their tables on the same metadata; import them when they exist so that
# autogenerate sees everything.
with contextlib.suppress(ImportError):
    import reconciliation.tables  # noqa: F401

config = context.config
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
