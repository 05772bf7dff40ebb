"""`outcomes db ...`: the database schema."""

from __future__ import annotations

import click

from ledger.storage.db import current_revisions, head_revisions, make_engine, upgrade


def register(main: click.Group) -> None:
    """Add `outcomes db` to `main`."""

    @main.group()
    def db() -> None:
        """The ledger database (OUTCOMES_DATABASE_URL)."""

    @db.command("upgrade")
    @click.option("--revision", default="head", show_default=True, help="Target revision.")
    def upgrade_cmd(revision: str) -> None:
        """Apply the schema migrations."""
        engine = make_engine()
        before = current_revisions(engine)
        upgrade(engine, revision)
        after = current_revisions(engine)
        engine.dispose()
        if before == after:
            click.echo(f"database already at {', '.join(after) or 'base'}")
        else:
            click.echo(
                f"database upgraded from {', '.join(before) or 'empty'} to {', '.join(after)}"
            )

    @db.command("current")
    def current_cmd() -> None:
        """Show the schema revision of the database and of this release."""
        engine = make_engine()
        click.echo(f"database: {', '.join(current_revisions(engine)) or 'empty'}")
        click.echo(f"release:  {', '.join(head_revisions())}")
        engine.dispose()
