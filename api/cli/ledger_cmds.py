"""`outcomes contract|participants|evidence|results|ledger ...`: load facts and read the ledger.

Each command opens one unit of work, calls one service function and prints its result. Errors
a user can fix are printed one per line (`FILE:ROW: column: reason`) with exit code 1.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click

from api.cli import common
from api.cli.common import (
    actor_option,
    checked_import_command,
    existing_file,
)
from contract_specs.loader import load_spec
from ledger.intake.cell_safety import terminal_text
from ledger.services.contracts import activate_version, checked_file, register_checked
from ledger.services.enrolment import participants_import
from ledger.services.evidence import evidence_import
from ledger.services.explain import explain_participant, render
from ledger.services.export import write_csv
from ledger.services.ids import participant_named
from ledger.services.results import results_import
from ledger.services.spec_preview import preview_document, preview_spec, render_preview
from ledger.services.verification import decisions_import
from ledger.services.withdrawal import withdrawals_import
from ledger.storage.db import reading


def register(main: click.Group) -> None:
    """Add `outcomes contract|participants|evidence|results|ledger` to `main`."""

    @main.group()
    def contract() -> None:
        """Contract specs in the ledger."""

    @contract.command("load")
    @click.argument("file", type=existing_file)
    @click.option("--draft", is_flag=True, help="Store the version without putting it in force.")
    @actor_option
    def contract_load(file: Path, draft: bool, actor: str) -> None:
        """Validate FILE and register it as its contract's next spec version."""
        # checked before the write transaction opens: parsing is the costly part
        with common.user_errors():
            checked = checked_file(file)
        with common.session() as session:
            done = register_checked(
                session, checked, actor=actor, now=common.now(), active=not draft
            )
        state = "in force" if done.active else "draft"
        if done.created:
            click.echo(f"{done.contract_id}: version {done.version} loaded ({state})")
        else:
            click.echo(f"{done.contract_id}: unchanged, same as version {done.version}")

    @contract.command("activate")
    @click.argument("contract_id", metavar="CONTRACT")
    @click.argument("version", type=click.IntRange(min=1))
    @actor_option
    def contract_activate(contract_id: str, version: int, actor: str) -> None:
        """Put VERSION of CONTRACT in force (a draft, or an earlier version again)."""
        with common.session() as session:
            done = activate_version(session, contract_id, version, actor, common.now())
        if not done.changed:
            click.echo(f"{contract_id}: version {version} is already in force")
        else:
            before = f"version {done.previous}" if done.previous else "no version"
            click.echo(f"{contract_id}: version {version} in force (was {before})")

    @contract.command("preview")
    @click.argument("contract_id", metavar="CONTRACT")
    @click.argument("new_spec", metavar="NEW_SPEC", type=existing_file)
    @click.option(
        "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
    )
    def contract_preview(contract_id: str, new_spec: Path, fmt: str) -> None:
        """The money NEW_SPEC would change against CONTRACT's facts as of now, per payer and
        period, per metric and line by line, before it is loaded. Nothing is written."""
        with common.user_errors():
            new = load_spec(new_spec)
        with common.database() as engine, reading(engine) as session:
            preview = preview_spec(session, contract_id, new, common.now())
        if fmt == "json":
            click.echo(json.dumps(preview_document(preview), indent=2))
        else:
            for line in render_preview(preview):
                click.echo(terminal_text(line))

    @main.group()
    def participants() -> None:
        """Participants of a contract."""

    @main.group()
    def evidence() -> None:
        """Evidence of outcomes, and its verification."""

    @main.group()
    def results() -> None:
        """Cohort-level results from evaluators."""

    checked_import_command(
        participants, "import", "Enrol the participants in FILE", participants_import
    )
    checked_import_command(
        participants,
        "withdraw",
        "Record the withdrawals in FILE (participant_id, withdrawn_on): nothing achieved or "
        "sent after a participant's withdrawal counts, and their declared attributes are erased",
        withdrawals_import,
    )
    checked_import_command(evidence, "import", "Submit the evidence rows in FILE", evidence_import)
    checked_import_command(results, "import", "Submit the cohort results in FILE", results_import)

    checked_import_command(
        evidence,
        "verify",
        "Record the decisions in FILE (evidence_id, decision, reason)",
        decisions_import,
    )

    @main.group()
    def ledger() -> None:
        """Read the ledger."""

    @ledger.command("export")
    @click.argument("contract_id", metavar="CONTRACT")
    @click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True)
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Default: stdout.")
    def ledger_export(contract_id: str, fmt: str, out: Path | None) -> None:
        """Every posting of CONTRACT, one row each, in the order they were posted."""
        del fmt  # csv is the only format; the option keeps the documented command line
        with common.session() as session:
            if out is None:
                write_csv(session, contract_id, sys.stdout)
            else:
                with out.open("w", newline="", encoding="utf-8") as handle:
                    count = write_csv(session, contract_id, handle)
                click.echo(f"{count} postings written to {out}", err=True)

    @ledger.command("explain")
    @click.argument("contract_id", metavar="CONTRACT")
    @click.argument("participant_id", metavar="PARTICIPANT")
    @click.option(
        "--as-of",
        type=click.DateTime(),
        help="Cut-off (UTC) for what counts; default: now.",
    )
    def ledger_explain(contract_id: str, participant_id: str, as_of: datetime | None) -> None:
        """Why PARTICIPANT was paid what, and why anything was not paid. PARTICIPANT is
        provider/id (as the ledger export shows it), or a provider's own id when only one
        provider has it."""
        with common.session() as session:
            key = participant_named(session, contract_id, participant_id)
            story = explain_participant(session, contract_id, key, as_of or common.now())
        for line in render(story):
            click.echo(terminal_text(line))
