"""Writing a report as csv (its main table) or json (the cover and every table in one document).

Both stream row by row and hold no clock: the same report gives the same bytes. Money leaves as
a decimal string with exactly the currency's decimals ("1500.00"), never a float.

In csv, a text column's cells follow ledger.intake.cell_safety's rule (a cell that would begin like
a
formula gets a leading apostrophe); money, dates, counts, percentages and booleans are the
ledger's own and are written as they are. json holds every text as it is: it is data already.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, TextIO

from contract_specs.model import from_minor
from ledger.intake.cell_safety import csv_row_writer, csv_text
from reporting import memo
from reporting.report import Column, Kind, Report, Table, as_date, as_utc, is_missing


def text_value(column: Column, value: object, exponent: int) -> str:
    """A cell as csv text: money as a decimal string, dates ISO, booleans true/false."""
    if is_missing(value):
        return ""
    if column.kind is Kind.MONEY:
        return str(from_minor(int(value), exponent))  # type: ignore[call-overload]
    if column.kind is Kind.DATE:
        day = as_date(value)
        return day.isoformat() if day else ""
    if column.kind is Kind.INTEGER:
        return str(int(value))  # type: ignore[call-overload]
    if column.kind is Kind.BOOLEAN:
        return "true" if bool(value) else "false"
    if column.kind is Kind.MOMENT:
        moment = as_utc(value)
        return moment.isoformat() if moment else ""
    return str(value)


def json_value(column: Column, value: object, exponent: int) -> Any:
    """A cell as a JSON value: integers and booleans native, money and percentages as strings."""
    if is_missing(value):
        return None
    if column.kind is Kind.INTEGER:
        return int(value)  # type: ignore[call-overload]
    if column.kind is Kind.BOOLEAN:
        return bool(value)
    return text_value(column, value, exponent)


def table_rows(table: Table) -> Iterator[tuple[object, ...]]:
    """The table's rows in column order (no index)."""
    frame = table.frame[table.column_names]
    yield from frame.itertuples(index=False, name=None)


def write_csv(report: Report, out: TextIO) -> int:
    """Write the report's main table (the lines a payer reconciles) as csv; returns the rows."""
    table = report.table(report.main)
    write = csv_row_writer(out)
    write(table.column_names)
    count = 0
    for count, row in enumerate(table_rows(table), start=1):  # noqa: B007
        write([csv_cell(c, v, report.exponent) for c, v in zip(table.columns, row, strict=True)])
    return count


def csv_cell(column: Column, value: object, exponent: int) -> str:
    """A cell as csv text: a text column's made safe (ledger.intake.cell_safety), others as they
    are."""
    text = text_value(column, value, exponent)
    return csv_text(text) if column.kind is Kind.TEXT else text


def _moment(value: datetime | date) -> str:
    return value.isoformat()


def write_json(report: Report, out: TextIO) -> None:
    """Write the cover and every table as one JSON document, one table row per line."""
    kept = memo.kept_text(report, "json", lambda: _json_text(report))
    if kept is not None:  # a report served again (a provider polling its progress)
        out.write(kept)
        return
    _write_json(report, out)


def _json_text(report: Report) -> str:
    text = io.StringIO()
    _write_json(report, text)
    return text.getvalue()


def _write_json(report: Report, out: TextIO) -> None:
    head = {
        "report": report.kind,
        "title": report.title,
        "contract": report.contract_id,
        "contract_name": report.contract_name,
        "currency": report.currency,
        "period": report.period,
        "cut_off": _moment(report.cut_off),
        "spec_version": report.spec_version,
        "cover": dict(report.cover),
    }
    text = json.dumps(head, ensure_ascii=False, indent=1)
    out.write(text[:-2] + ',\n "tables": {')
    for number, table in enumerate(report.tables):
        out.write("," if number else "")
        out.write(f"\n  {json.dumps(table.name)}: [")
        for index, row in enumerate(table_rows(table)):
            record = {
                c.name: json_value(c, v, report.exponent)
                for c, v in zip(table.columns, row, strict=True)
            }
            out.write("," if index else "")
            out.write("\n   " + json.dumps(record, ensure_ascii=False))
        out.write("\n  ]")
    out.write("\n }\n}\n")
