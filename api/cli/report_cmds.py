"""`outcomes report commissioner|provider CONTRACT --period P --format F --out FILE`.

Each command builds one report in one read-only unit of work and writes it: xlsx (every table,
charts), csv (the report's main table) or json (everything in one document). A request a user
got wrong (period, payer, provider) is printed one problem per line with exit code 1.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import click
from sqlmodel import Session

from api.cli import common
from reporting.commissioner import commissioner_report
from reporting.provider import provider_report
from reporting.report import Report
from reporting.write_file import FORMATS, write_report


def run_report(build: Callable[[Session], Report], fmt: str, out: Path) -> None:
    """Build a report in one unit of work and write it; a wrong request is printed one
    problem per line (exit code 1)."""
    with common.session() as session:
        report = build(session)
    write_report(report, fmt, out)
    click.echo(f"{report.title}: written to {out}", err=True)


def report_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options every report command takes: CONTRACT, --period, --format, --out, --as-of."""
    for option in reversed(
        (
            click.argument("contract_id", metavar="CONTRACT"),
            click.option("--period", required=True, help="e.g. 2025-Q3 or 2025-07"),
            click.option(
                "--format",
                "fmt",
                type=click.Choice(FORMATS),
                default="xlsx",
                show_default=True,
                help="xlsx: every table and charts; csv: the main table; json: everything",
            ),
            click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path)),
            click.option(
                "--as-of",
                type=click.DateTime(),
                help="Cut-off (UTC); default: fixed by the ledger (see docs/reports.md).",
            ),
        )
    ):
        command = option(command)
    return command


def register(main: click.Group) -> None:
    """Add `outcomes report commissioner|provider` to `main`."""

    @main.group()
    def report() -> None:
        """Reports for commissioners and providers."""

    @report.command("commissioner")
    @report_options
    @click.option("--payer", required=True, help="The outcome payer's party id.")
    def commissioner(
        contract_id: str,
        period: str,
        fmt: str,
        out: Path,
        as_of: datetime | None,
        payer: str,
    ) -> None:
        """What PAYER owes for the period and why: summary, lines, not payable, received."""
        run_report(lambda s: commissioner_report(s, contract_id, period, payer, as_of), fmt, out)

    @report.command("provider")
    @report_options
    @click.option("--provider", help="A provider's party id; default: the whole contract.")
    @click.option("--min-group", default=10, show_default=True, help="Smallest group shown.")
    def provider(
        contract_id: str,
        period: str,
        fmt: str,
        out: Path,
        as_of: datetime | None,
        provider: str | None,
        min_group: int,
    ) -> None:
        """Progress, funnel, deadlines, flags and what works for whom."""
        run_report(
            lambda s: provider_report(s, contract_id, period, provider, as_of, min_group),
            fmt,
            out,
        )
