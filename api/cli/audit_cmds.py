"""`outcomes audit verify`: walk the audit log's hash chain and say whether it holds."""

from __future__ import annotations

import click

from ledger.storage.audit import verify_chain
from ledger.storage.db import make_engine


def register(main: click.Group) -> None:
    """Add `outcomes audit` to `main`."""

    @main.group()
    def audit() -> None:
        """The tamper-evident audit log (OUTCOMES_DATABASE_URL)."""

    @audit.command("verify")
    def verify() -> None:
        """Recompute every record's hash; exit 1 naming the first broken link."""
        engine = make_engine()
        try:
            with engine.connect() as connection:
                check = verify_chain(connection)
        finally:
            engine.dispose()
        if check.broken is not None:
            click.echo(
                f"audit record {check.broken.id}: {check.broken.problem} "
                f"({check.records} records before it are intact)",
                err=True,
            )
            raise SystemExit(1)
        click.echo(f"{check.records} records, chain intact (head {check.head})")
