"""`outcomes serve`, `outcomes token ...` and `outcomes openapi`: the HTTP API from the shell."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy.engine import make_url

from ledger.domain.errors import LedgerError
from ledger.storage.db import ensure_schema, make_engine, normalise_url, unit_of_work
from ledger.storage.settings import get_settings
from ledger.storage.tokens import ListedToken, create_token, list_tokens, revoke_token

ROLES = ("intermediary", "commissioner", "investor", "provider", "evaluator")


def openapi_document() -> dict[str, Any]:
    """The app's OpenAPI document as data (the same one `/schema/openapi.json` serves)."""
    from api.app import create_app

    schema = create_app().openapi_schema.to_schema()
    document: dict[str, Any] = json.loads(json.dumps(schema, sort_keys=True, default=str))
    return document


def openapi_text() -> str:
    """The OpenAPI document as the text kept in docs/openapi.json."""
    return json.dumps(openapi_document(), indent=2, sort_keys=True) + "\n"


def embedded_scheduler(choice: bool | None, database_url: str, workers: int) -> bool:
    """Whether `outcomes serve` runs the reconciliation scheduler in its own process: as asked,
    else only in the embedded topology (SQLite, one worker). Scaled out, N workers would each
    run every job, so one `outcomes scheduler` process does it instead (DESIGN.md, Topology)."""
    if choice is not None:
        return choice
    return make_url(normalise_url(database_url)).get_backend_name() == "sqlite" and workers == 1


@contextmanager
def scheduler_running(enabled: bool) -> Iterator[None]:
    """Run the reconciliation scheduler in this process while the block runs (if enabled)."""
    if not enabled:
        yield
        return
    from reconciliation.scheduler import database_scheduler

    engine = make_engine()
    try:
        ensure_schema(engine)
        jobs = database_scheduler(engine)
        jobs.start()
        click.echo("reconciliation scheduler running in this process", err=True)
        try:
            yield
        finally:
            jobs.shutdown()
    finally:
        engine.dispose()


def _state(token: ListedToken) -> str:
    """A token's state in `token list`: what it reaches now, and why not when it does not."""
    row = token.row
    if row.revoked_at is not None:
        return f"revoked {row.revoked_at:%Y-%m-%d}"
    if not token.contracts:
        return "reaches nothing (made without a contract): issue a new one with --contract"
    lost = [c for c in token.contracts if c not in token.reaching]
    if not lost:
        return "active"
    where = ",".join(lost)
    if not token.reaching:
        return f"reaches nothing: not named in force by {where}"
    return f"active (not in {where}: not named in force there)"


def register(main: click.Group) -> None:
    """Add `outcomes serve`, `outcomes token` and `outcomes openapi` to `main`."""

    @main.command("serve")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=8000, show_default=True, type=int)
    @click.option("--workers", default=1, show_default=True, type=int)
    @click.option(
        "--scheduler/--no-scheduler",
        default=None,
        help="Reconcile periods as they end from inside this process. Default: on with SQLite "
        "and one worker (the embedded topology); off otherwise, where one `outcomes scheduler` "
        "process runs beside the workers.",
    )
    def serve(host: str, port: int, workers: int, scheduler: bool | None) -> None:
        """Serve the HTTP API (OUTCOMES_DATABASE_URL) with uvicorn."""
        import uvicorn

        with scheduler_running(embedded_scheduler(scheduler, get_settings().database_url, workers)):
            uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers)

    @main.group()
    def token() -> None:
        """Bearer tokens of the HTTP API."""

    @token.command("create")
    @click.option("--role", required=True, type=click.Choice(ROLES))
    @click.option("--party", required=True, help="The party id, as the contract's spec names it.")
    @click.option(
        "--contract",
        "contracts",
        multiple=True,
        required=True,
        help="A contract the token is for (repeat for several): the party must be named with "
        "that role by the contract's spec in force. A party id means an organisation only "
        "within its contract, so a token reaches no contract it does not name.",
    )
    @click.option("--actor", default="cli", show_default=True, help="Who is doing this.")
    def token_create(role: str, party: str, contracts: tuple[str, ...], actor: str) -> None:
        """Make a token and print its secret (shown this once only)."""
        engine = make_engine()
        try:
            ensure_schema(engine)
            with unit_of_work(engine) as session:
                made = create_token(
                    session, role, party, contracts, actor=actor, now=datetime.now(UTC)
                )
        except LedgerError as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            engine.dispose()
        reach = ", ".join(sorted(made.caller.contracts))
        click.echo(f"token {made.caller.token_id} for {made.caller.actor} in {reach}", err=True)
        click.echo("the secret below is shown once: keep it safe", err=True)
        click.echo(made.secret)

    @token.command("revoke")
    @click.argument("token_id")
    @click.option("--actor", default="cli", show_default=True, help="Who is doing this.")
    def token_revoke(token_id: str, actor: str) -> None:
        """Revoke the token TOKEN_ID: it stops working at once."""
        engine = make_engine()
        try:
            with unit_of_work(engine) as session:
                done = revoke_token(session, token_id, actor=actor, now=datetime.now(UTC))
        except LedgerError as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            engine.dispose()
        click.echo(f"token {token_id} {'revoked' if done else 'was already revoked'}")

    @token.command("list")
    def token_list() -> None:
        """Every token: id, role, party, contracts, state (never a secret)."""
        engine = make_engine()
        try:
            with unit_of_work(engine) as session:
                listed = list_tokens(session)
        finally:
            engine.dispose()
        for token in listed:
            row = token.row
            contracts = ",".join(token.contracts) or "-"
            click.echo(f"{row.id} {row.role}:{row.party_id} {contracts} {_state(token)}")

    @main.command("openapi")
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Default: stdout.")
    def openapi(out: Path | None) -> None:
        """Write the API's OpenAPI document (docs/openapi.json is kept this way)."""
        if out is None:
            click.echo(openapi_text(), nl=False)
        else:
            out.write_text(openapi_text(), encoding="utf-8")
            click.echo(f"OpenAPI written to {out}", err=True)
