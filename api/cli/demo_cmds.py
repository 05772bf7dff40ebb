"""`outcomes demo`: the service a newcomer starts with, on a ledger with a history in it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from api.cli.serve_cmds import embedded_scheduler, scheduler_running
from ledger.storage.db import ensure_schema, make_engine
from ledger.storage.settings import get_settings

CURL = "curl -s -H 'Authorization: Bearer {secret}' \"http://{host}:{port}{path}\""


def _examples(role: str) -> list[str]:
    contract = "/api/contracts/fcf-ambition"
    paths = {
        "intermediary": [
            "/api/contracts",
            f"{contract}/periods",
            f"{contract}/reconciliations",
            f"{contract}/postings?limit=5",
        ],
        "commissioner": [
            f"{contract}/postings?payer=dclg&period=2015-Q3&limit=5",
            f"{contract}/reports/commissioner?period=2015-Q3&payer=dclg&format=json",
        ],
        "provider": [
            f"{contract}/progress?period=2016-Q4",
            f"{contract}/participants/P000001/explain",
        ],
        "investor": [
            f"{contract}/returns",
            f"{contract}/reports/investor?period=2017-Q1&format=json",
        ],
        "evaluator": ["/api/contracts"],
    }
    return paths.get(role, ["/api/contracts"])


def register(main: click.Group) -> None:
    """Add `outcomes generate` and `outcomes demo` to `main`."""

    @main.command("generate")
    @click.argument("spec_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--participants", default=1000, show_default=True, type=click.IntRange(min=1))
    @click.option("--seed", default=20151, show_default=True, type=int)
    @click.option(
        "--out",
        required=True,
        type=click.Path(file_okay=False, path_type=Path),
        help="Folder for participants.csv, evidence.csv, decisions.csv, revocations.csv.",
    )
    def generate_cmd(spec_file: Path, participants: int, seed: int, out: Path) -> None:
        """Generate made-up participants and evidence for SPEC_FILE (same seed, same files).

        For trying the product and for tests: nobody real is in these files."""
        from synthetic.generate import generate, write_csv

        data = generate(spec_file, participants, seed=seed)
        paths = write_csv(data, out, sidecars=False)
        contract = data.spec.contract.id
        for name, path in paths.items():
            click.echo(f"{name}: {path}")
        click.echo("next:")
        click.echo(f"  outcomes contract load {spec_file}")
        click.echo(f"  outcomes participants import {contract} {paths['participants']}")
        click.echo(f"  outcomes evidence import {contract} {paths['evidence']}")
        click.echo(f"  outcomes evidence verify {contract} {paths['decisions']}")
        first = data.participants["participant_id"].iloc[0]
        click.echo(f"  outcomes ledger explain {contract} {first}")

    @main.command("demo")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=8000, show_default=True, type=int)
    @click.option(
        "--participants",
        default=600,
        show_default=True,
        type=click.IntRange(min=10),
        help="How many participants to generate on first start.",
    )
    @click.option("--no-serve", is_flag=True, help="Build the demo and print tokens, then stop.")
    def demo(host: str, port: int, participants: int, no_serve: bool) -> None:
        """Load the Fair Chance Fund demo (first start only), print tokens, serve the API."""
        from api.demo import DEMO_CONTRACT, build_demo, demo_tokens, is_loaded

        settings = get_settings()
        engine = make_engine(settings.database_url)
        ensure_schema(engine)
        if is_loaded(engine):
            click.echo(f"demo: {DEMO_CONTRACT} is already loaded in {settings.database_url}")
        else:
            click.echo(
                f"demo: loading {DEMO_CONTRACT} with {participants} generated participants "
                f"and eight reconciled quarters into {settings.database_url} ..."
            )
            build_demo(engine, participants)
        tokens = demo_tokens(engine, datetime.now(UTC))
        engine.dispose()

        click.echo("")
        click.echo(f"outcomes-ledger is serving on http://{host}:{port}")
        click.echo(f"  health:        http://{host}:{port}/health")
        click.echo(f"  API document:  http://{host}:{port}/schema/openapi.json")
        click.echo("  tokens (new each start; shown once):")
        for token in tokens:
            click.echo(f"    {token.role.value:<13} {token.party:<18} {token.secret}")
        click.echo("  try:")
        for token in tokens:
            for path in _examples(token.role.value):
                click.echo(
                    "    " + CURL.format(secret=token.secret, host=host, port=port, path=path)
                )
        click.echo(f"  dashboard: open http://{host}:{port}/dash/ and sign in with a token:")
        for token in tokens:
            click.echo(f"    {token.role.value:<13} {token.party:<18} {token.secret}")
        click.echo("  the CLI works on the same ledger, e.g.:")
        click.echo(f"    .venv/bin/outcomes ledger explain {DEMO_CONTRACT} P000001")
        click.echo(
            f"    .venv/bin/outcomes report commissioner {DEMO_CONTRACT} --period 2015-Q3 "
            "--payer dclg --format xlsx --out q3.xlsx"
        )
        if no_serve:
            return
        import uvicorn

        from api.app import create_app

        # the embedded topology: the scheduler reconciles in this process as periods end
        with scheduler_running(embedded_scheduler(None, settings.database_url, 1)):
            uvicorn.run(create_app(settings), host=host, port=port)
