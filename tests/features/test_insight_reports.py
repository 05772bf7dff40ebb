"""Step definitions for features/reporting/investor_statement.feature: the investors' workbook,
read as they would read it (the cells, not the JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from pytest_bdd import given, parsers, scenarios, then, when

from contract_specs.model import add_months
from tests.integration.test_investor_report import SPEC, run

pytestmark = pytest.mark.usefixtures("statement")

scenarios("reporting/investor_statement.feature")


@dataclass
class Statement:
    folder: Path
    book: Workbook | None = None


@pytest.fixture
def statement(cli_env: str, tmp_path: Path) -> Statement:
    return Statement(tmp_path)


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
