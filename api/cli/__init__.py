"""The `outcomes` command line. Each area registers its verbs in its own module; the commands
only translate arguments into service calls and results into text and exit codes."""

from __future__ import annotations

import click

from api.cli import (
    audit_cmds,
    db_cmds,
    demo_cmds,
    investor_cmds,
    ledger_cmds,
    reconcile_cmds,
    report_cmds,
    serve_cmds,
    spec_cmds,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="outcomes-ledger")
def main() -> None:
    """Run outcomes contracts: specs, ledger, reconciliation and reports."""


for module in (
    spec_cmds,
    ledger_cmds,
    db_cmds,
    serve_cmds,
    demo_cmds,
    report_cmds,
    investor_cmds,
    reconcile_cmds,
    audit_cmds,
):
    module.register(main)
