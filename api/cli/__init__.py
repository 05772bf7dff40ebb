"""The `outcomes` command line. Each area registers its verbs in its own module; the commands
only translate arguments into service calls and results into text and exit codes.

The group is lazy: `outcomes --help` and `outcomes spec validate` must start at once, so a
command's module (and pandas, SQLAlchemy, openpyxl behind it) is imported only when that command
runs. The one-line help of each command is written down here for the same reason; a test keeps
it equal to the commands' own docstrings.
"""

from __future__ import annotations

from importlib import import_module

import click

# Command name -> (the modules whose register() adds it, its one-line help). `report` has
# verbs in two modules.
COMMANDS: dict[str, tuple[tuple[str, ...], str]] = {
    "audit": (("audit_cmds",), "The tamper-evident audit log (OUTCOMES_DATABASE_URL)."),
    "cash": (("investor_cmds",), "Cash transactions of the investment vehicle."),
    "contract": (("ledger_cmds",), "Contract specs in the ledger."),
    "db": (("db_cmds",), "The ledger database (OUTCOMES_DATABASE_URL)."),
    "demo": (("demo_cmds",), "Load the Fair Chance Fund demo (first start only), print..."),
    "distribute": (
        ("investor_cmds",),
        "Pay the cash on hand on --date through the waterfall and...",
    ),
    "evidence": (("ledger_cmds",), "Evidence of outcomes, and its verification."),
    "export": (("export_cmds",), "Share a contract with the sector in a published data..."),
    "generate": (("demo_cmds",), "Generate made-up participants and evidence for SPEC_FILE..."),
    "ledger": (("ledger_cmds",), "Read the ledger."),
    "openapi": (("serve_cmds",), "Write the API's OpenAPI document (docs/openapi.json is..."),
    "participants": (("ledger_cmds",), "Participants of a contract."),
    "periods": (
        ("reconcile_cmds",),
        "Each period of CONTRACT so far (from service start to its...",
    ),
    "reconcile": (
        ("reconcile_cmds",),
        "Post what is owed and not yet posted into PERIOD, claim...",
    ),
    "remittances": (("reconcile_cmds",), "Money received from outcome payers."),
    "report": (("report_cmds", "investor_cmds"), "Reports for commissioners and providers."),
    "results": (("ledger_cmds",), "Cohort-level results from evaluators."),
    "scheduler": (
        ("reconcile_cmds",),
        "Reconcile every active contract's periods as they end...",
    ),
    "serve": (("serve_cmds",), "Serve the HTTP API (OUTCOMES_DATABASE_URL) with uvicorn."),
    "spec": (("spec_cmds",), "Check contract specs."),
    "token": (("serve_cmds",), "Bearer tokens of the HTTP API."),
}


def registered(modules: tuple[str, ...]) -> click.Group:
    """A scratch group holding every command the named modules register."""
    scratch = click.Group()
    for name in modules:
        import_module(f"api.cli.{name}").register(scratch)
    return scratch


class LazyGroup(click.Group):
    """Imports a command's module when the command is looked up to run, not to list it."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        return registered(COMMANDS[cmd_name][0]).commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="outcomes-ledger")
def main() -> None:
    """Run outcomes contracts: specs, ledger, reconciliation and reports."""
