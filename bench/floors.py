"""The floors: the least work any implementation must do for a step, measured in the same run.

- Importing evidence: pandas reads the csv, and a bare sqlite3 `executemany` inserts the same
  rows (the columns the ledger stores, submitter and source included) into a table made with the
  ledger's own DDL (the same columns, constraints and indexes), in one transaction. No checks.
- Writing the commissioner report: openpyxl's write-only mode writes the same cells (values,
  and the number formats of money and dates), one sheet per table. No layout, no cover.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateIndex, CreateTable

from contract_specs.model import from_minor
from ledger.services.evidence import COLUMNS
from ledger.storage.tables import Evidence, table_of
from reporting.report import Kind, Report, as_date, is_missing
from reporting.write_text import table_rows
from reporting.write_xlsx import DATE_FORMAT, PERCENT_FORMAT, money_format

Cells = list[tuple[str, list[list[object]]]]


def evidence_ddl() -> list[str]:
    """The ledger's evidence table and its indexes, as SQLite DDL."""
    table = table_of(Evidence)
    dialect = sqlite.dialect()
    statements = [str(CreateTable(table).compile(dialect=dialect))]
    statements += [str(CreateIndex(index).compile(dialect=dialect)) for index in table.indexes]
    return statements


def insert_csv_rows(csv_path: Path, database: Path) -> int:
    """Read `csv_path` with pandas and insert every row into a fresh SQLite `database`."""
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    count = len(frame)
    columns = [frame[c].tolist() for c in COLUMNS]
    quantity = [q or None for q in columns[COLUMNS.index("quantity")]]
    columns[COLUMNS.index("quantity")] = quantity
    stamp = "2018-01-15 00:00:00.000000"
    sources = [f"{csv_path.name}:{n}" for n in range(2, count + 2)]
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        for statement in evidence_ddl():
            connection.execute(statement)
        names = ", ".join(["contract_id", *COLUMNS, "submitted_at", "submitted_by", "source"])
        marks = ", ".join("?" * (len(COLUMNS) + 4))
        connection.execute("BEGIN")
        connection.executemany(
            f"INSERT INTO evidence ({names}) VALUES ({marks})",
            zip(
                ["bench"] * count,
                *columns,
                [stamp] * count,
                ["provider"] * count,
                sources,
                strict=True,
            ),
        )
        connection.execute("COMMIT")
    finally:
        connection.close()
    return count


@dataclass(frozen=True)
class Formatted:
    """A cell written with a number format (money, dates, percentages), as the report has it."""

    value: object
    number_format: str


def report_cells(report: Report) -> Cells:
    """Every table of `report` as rows of plain cell values, money as Decimal and dates as
    date with the report's number formats (made untimed, before the floor's clock starts)."""
    money = money_format(report.currency, report.exponent)
    sheets: Cells = []
    for table in report.tables:
        kinds = [c.kind for c in table.columns]
        rows: list[list[object]] = [list(table.column_names)]
        for row in table_rows(table):
            rows.append(
                [_value(k, v, report.exponent, money) for k, v in zip(kinds, row, strict=True)]
            )
        sheets.append((table.name[:31], rows))
    return sheets


def _value(kind: Kind, value: object, exponent: int, money: str) -> object:
    if is_missing(value) or value == "":
        return None
    if kind is Kind.MONEY:
        return Formatted(from_minor(int(value), exponent), money)  # type: ignore[call-overload]
    if kind is Kind.DATE:
        return Formatted(as_date(value), DATE_FORMAT)
    if kind is Kind.PERCENT:
        return Formatted(Decimal(str(value)) / 100, PERCENT_FORMAT)
    if kind is Kind.INTEGER:
        return int(value)  # type: ignore[call-overload]
    if kind is Kind.BOOLEAN:
        return bool(value)
    return str(value)


def write_cells(sheets: Sequence[tuple[str, list[list[object]]]], out: Path) -> None:
    """Write the cells with openpyxl's write-only mode alone: one sheet per table, a cell with
    its number format where the report has one, plain values elsewhere."""
    workbook = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append([_cell(sheet, v) for v in row])
    workbook.save(out)


def _cell(sheet: Any, value: object) -> object:
    if isinstance(value, Formatted):
        cell = WriteOnlyCell(sheet, value=value.value)
        cell.number_format = value.number_format
        return cell
    return value
