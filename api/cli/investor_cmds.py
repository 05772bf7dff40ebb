"""`outcomes cash import`, `outcomes distribute` and `outcomes report investor`.

The commands translate arguments into the investor-finance services (ledger.services.cash,
reporting.investor) and their results into text; the `investor` report joins the `report`
group the reporting commands create (registered after them), or creates it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click

from api.cli import common
from api.cli.common import actor_option, import_command
from api.cli.report_cmds import report_options, run_report
from contract_specs.model import from_minor, to_minor
from ledger.services.cash import distribute
from ledger.services.contracts import active_spec
from reconciliation.income import import_cash_by_hand
from reporting.investor import investor_report


def _day(_ctx: click.Context, _param: click.Parameter, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date: write it as YYYY-MM-DD") from None


def _amount(_ctx: click.Context, _param: click.Parameter, value: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not an amount: write e.g. 25000.00") from None
    if not amount.is_finite() or amount < 0:
        raise click.BadParameter(f"{value!r}: write an amount of 0 or more, e.g. 25000.00")
    return amount


def register(main: click.Group) -> None:
    """Add `outcomes cash`, `outcomes distribute` and `outcomes report investor` to `main`."""

    @main.group()
    def cash() -> None:
        """Cash transactions of the investment vehicle."""

    import_command(
        cash,
        "import",
        "Record the cash transactions in FILE (date, kind, tranche, party, component, amount, "
        "reference)",
        import_cash_by_hand,
    )

    @main.command("distribute")
    @click.argument("contract_id", metavar="CONTRACT")
    @click.option("--date", "day", required=True, callback=_day, help="YYYY-MM-DD")
    @click.option(
        "--reserve", default="0", callback=_amount, help="Cash kept back for costs (e.g. 5000.00)."
    )
    @actor_option
    def distribute_cmd(contract_id: str, day: date, reserve: Decimal, actor: str) -> None:
        """Pay the cash on hand on --date through the waterfall and record each payment."""
        with common.session() as session:
            active = active_spec(session, contract_id)
            e = active.spec.contract.exponent
            done = distribute(
                session, contract_id, active, day, actor=actor, now=common.now(),
                reserve=to_minor(reserve, e),
            )  # fmt: skip
        for f in done.transactions:
            to = f"{f.tranche} ({f.party})" if f.tranche else f.party
            click.echo(f"{f.on} {f.kind} {to} {f.component}: {from_minor(f.amount, e)}")
        waterfall = done.waterfall
        click.echo(
            f"{contract_id}: {from_minor(waterfall.paid, e)} paid of "
            f"{from_minor(waterfall.cash, e)} on hand, {from_minor(waterfall.retained, e)} kept"
        )

    report = main.commands.get("report")
    if not isinstance(report, click.Group):

        @main.group("report")
        def report_group() -> None:
            """Reports."""

        report = report_group

    @report.command("investor")
    @report_options
    def investor(
        contract_id: str, period: str, fmt: str, out: Path, as_of: datetime | None
    ) -> None:
        """Capital, outcome income, distributions, returns to date and the forecast."""
        run_report(lambda s: investor_report(s, contract_id, period, as_of), fmt, out)
