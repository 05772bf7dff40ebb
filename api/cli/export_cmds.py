"""`outcomes export indigo CONTRACT`: the contract shared with the sector, as JSON on stdout."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from api.cli import common
from api.cli.common import existing_file


def register(main: click.Group) -> None:
    """Add `outcomes export` to `main`."""

    @main.group()
    def export() -> None:
        """Share a contract with the sector in a published data standard."""

    @export.command("indigo")
    @click.argument("contract_id", metavar="CONTRACT")
    @click.option(
        "--as-of",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        help="The day the export is as of (payments received up to its end); default: today.",
    )
    @click.option(
        "--profile",
        type=existing_file,
        help="The contract's INDIGO profile (YAML): its INDIGO ids, policy sector, jurisdiction.",
    )
    def export_indigo(contract_id: str, as_of: datetime | None, profile: Path | None) -> None:
        """CONTRACT in the INDIGO impact bond data standard's project fields (JSON on stdout):
        outcome metrics, payments to date, investments and results; totals only, no
        participant."""
        from reporting.indigo import encode, indigo_export
        from reporting.indigo_profile import read_profile

        day = (as_of or common.now()).date()
        with common.user_errors():
            known = None if profile is None else read_profile(profile)
            with common.session() as session:
                document = indigo_export(session, contract_id, day, known)
        click.echo(encode(document).decode("utf-8"), nl=False)
