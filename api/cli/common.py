"""What every `outcomes` command shares: the database, the clock, and user errors as text.

Errors a user can fix are printed on stderr, one per line with its place (`FILE:ROW: column:
reason`, a spec's JSON path, a period or an option), and the command exits with code 1. Nothing
is half written: the unit of work rolls back before the error is printed.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import click
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session

from api.cli.spec_cmds import finding_line
from contract_specs.findings import SpecError
from ledger.domain.errors import LedgerError, RejectedUpload
from ledger.intake.row_checks import Source, Upload, cli_limits, read_file, refuse_unread
from ledger.services.checked_import import CheckedImport, in_two_sessions
from ledger.storage.db import ensure_schema, is_busy, make_engine, unit_of_work
from reconciliation.errors import ReconciliationError
from reporting.errors import ReportError

actor_option = click.option(
    "--actor", default="cli", show_default=True, help="Who is doing this (kept in the ledger)."
)
existing_file = click.Path(exists=True, dir_okay=False, path_type=Path)


def now() -> datetime:
    """The time of a write: now, aware UTC."""
    return datetime.now(UTC)


@contextmanager
def user_errors() -> Iterator[None]:
    """Print the errors a user can fix, every problem on its own line, and exit with code 1."""
    try:
        yield
    except RejectedUpload as exc:
        for line in exc.lines():
            click.echo(line, err=True)
        click.echo(str(exc), err=True)
        sys.exit(1)
    except SpecError as exc:
        for finding in exc.findings:
            click.echo(finding_line(exc.source, finding), err=True)
        sys.exit(1)
    except (ReconciliationError, ReportError) as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        sys.exit(1)
    except LedgerError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except (DBAPIError, PoolTimeout) as exc:
        if not is_busy(exc):
            raise
        click.echo(BUSY, err=True)
        sys.exit(1)


BUSY = "error: the ledger is busy: try again (another write held the database; nothing was stored)"


def read_upload(path: Path) -> Upload:
    """Read an upload before any transaction opens (the CLI's limits), so that a large file
    holds no lock while it is parsed; refused at once when it cannot be read."""
    with user_errors():
        upload = read_file(path, cli_limits())
        refuse_unread(upload)
    return upload


@contextmanager
def database() -> Iterator[Engine]:
    """The configured database (OUTCOMES_DATABASE_URL, created on first use), user errors as
    text; disposed of at the end."""
    engine = make_engine()
    try:
        with user_errors():
            ensure_schema(engine)
            yield engine
    finally:
        engine.dispose()


@contextmanager
def session() -> Iterator[Session]:
    """One unit of work on the configured database: committed, or rolled back on any error."""
    with database() as engine, unit_of_work(engine) as work:
        yield work


class CheckedSpecImport(Protocol):
    """An import checked before the write lock and stored under it (services.checked_import)."""

    def __call__(
        self, contract_id: str, path: Source, *, actor: str, now: datetime
    ) -> CheckedImport: ...


def checked_import_command(
    group: click.Group, name: str, what: str, job: CheckedSpecImport
) -> None:
    """Register `<group> <name> CONTRACT FILE [--actor]` for an import whose rows are checked
    against what is stored in a read-only session, then inserted in one write transaction:
    the database's write lock is held only for the insert."""

    @group.command(name, help=f"{what}: a .csv or .xlsx file, all rows or none.")
    @click.argument("contract_id", metavar="CONTRACT")
    @click.argument("file", type=existing_file)
    @actor_option
    def command(contract_id: str, file: Path, actor: str) -> None:
        upload = read_upload(file)
        with database() as engine:
            summary = in_two_sessions(engine, job(contract_id, upload, actor=actor, now=now()))
        click.echo(str(summary))
