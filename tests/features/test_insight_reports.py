"""Step definitions for features/reporting/investor_statement.feature and
provider_progress.feature: the investors' and the provider's workbooks, read as they would read
them (the cells, not the JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import Engine

from contract_specs.model import add_months
from ledger.storage.db import unit_of_work
from reporting.provider import provider_report
from reporting.write_xlsx import write_xlsx
from tests.integration.test_investor_report import SPEC, run
from tests.integration.test_reports_world import CONTRACT, build_ledger

pytestmark = pytest.mark.usefixtures("statement")

scenarios("reporting/investor_statement.feature", "reporting/provider_progress.feature")


@dataclass
class Statement:
    folder: Path
    engine: Engine
    book: Workbook | None = None


@pytest.fixture
def statement(cli_env: str, engine: Engine, tmp_path: Path) -> Statement:
    return Statement(tmp_path, engine)


@given("the Peterborough contract is in force for the statement")
def in_force(statement: Statement) -> None:
    assert run("contract", "load", str(SPEC))[0] == 0


@given(
    parsers.parse(
        "{amount} of the foundations' capital was drawn every quarter from {first}, {times:d} times"
    )
)
def drawn(statement: Statement, amount: str, first: str, times: int) -> None:
    rows = ["date,kind,tranche,party,component,amount,reference"]
    for i in range(times):
        day = add_months(date.fromisoformat(first), 3 * i).isoformat()
        rows.append(f"{day},capital_drawn,foundations,,,{amount},DRAW-{i + 1}")
    cash = statement.folder / "cash.csv"
    cash.write_text("\n".join(rows) + "\n")
    assert run("cash", "import", "peterborough", str(cash))[0] == 0


@when(parsers.parse("the investors open the statement workbook for {period}"))
def open_statement(statement: Statement, period: str) -> None:
    out = statement.folder / "statement.xlsx"
    code, _, err = run(
        "report", "investor", "peterborough", "--period", period, "--format", "xlsx",
        "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    statement.book = load_workbook(out)


def _rows(statement: Statement, title_start: str) -> list[dict[str, object]]:
    assert statement.book is not None
    sheet = next(s for s in statement.book.worksheets if s.title.startswith(title_start))
    header = [c.value for c in sheet[1]]
    return [
        dict(zip(header, row, strict=False))
        for row in sheet.iter_rows(min_row=2, values_only=True)
        if any(v is not None for v in row)
    ]


@then(parsers.parse("the cash forecast draws the {amount} still undrawn, quarter by quarter"))
def forecast_draws(statement: Statement, amount: str) -> None:
    rows = _rows(statement, "Cash forecast")
    draws = [Decimal(str(r["capital_drawn"])) for r in rows if r["capital_drawn"]]
    assert sum(draws) == Decimal(amount)
    assert len(draws) > 1  # spread over the quarters still to come, not one lump


@then("every quarter of the cash forecast has a period and a closing cash")
def forecast_periods(statement: Statement) -> None:
    rows = _rows(statement, "Cash forecast")
    assert rows and all(r["period"] and r["closing_cash"] is not None for r in rows)
    periods = [str(r["period"]) for r in rows]
    assert periods == sorted(periods) and len(set(periods)) == len(periods)


@then('every money multiple in the workbook is a number shown with an "x"')
def multiples(statement: Statement) -> None:
    assert statement.book is not None
    seen = 0
    for sheet in statement.book.worksheets:
        header = [c.value for c in sheet[1]]
        for name in ("money_multiple", "implied_multiple"):
            if name in header:
                column = header.index(name) + 1
                for row in range(2, sheet.max_row + 1):
                    cell = sheet.cell(row, column)
                    if cell.value is not None:
                        seen += 1
                        assert isinstance(cell.value, int | float), cell.value
                        assert '"x"' in cell.number_format
    assert seen


@given("North Care's first two quarters are in the ledger")
def two_quarters(statement: Statement) -> None:
    build_ledger(statement.engine, statement.folder / "ledger")


@when(parsers.parse("North Care opens its progress workbook for {period}"))
def open_progress(statement: Statement, period: str) -> None:
    out = statement.folder / "progress.xlsx"
    with unit_of_work(statement.engine) as session:
        write_xlsx(provider_report(session, CONTRACT, period, "north-care"), out)
    statement.book = load_workbook(out)


def _measure(statement: Statement, measure: str) -> dict[str, object]:
    (row,) = [r for r in _rows(statement, "This period") if r["measure"] == measure]
    return row


@then(
    parsers.parse(
        "the quarter sheet shows {now:d} sustained 3 months this quarter, {before:d} the quarter "
        "before and {ago:d} a year ago"
    )
)
def sustained(statement: Statement, now: int, before: int, ago: int) -> None:
    row = _measure(statement, "sustained_3m")
    assert (row["this_period"], row["previous_period"], row["same_period_last_year"]) == (
        now,
        before,
        ago,
    )


@then(
    parsers.parse(
        "the quarter sheet shows {now:d} starts this quarter against {before:d} the quarter before"
    )
)
def starts(statement: Statement, now: int, before: int) -> None:
    row = _measure(statement, "starts")
    assert (row["this_period"], row["previous_period"]) == (now, before)


@then("no step of the funnel is above 100% of the step it follows")
def funnel_bounded(statement: Statement) -> None:
    rows = _rows(statement, "Funnel")
    assert rows
    assert all(r["of_previous"] is None or float(str(r["of_previous"])) <= 1.0 for r in rows)
