"""Any text the ledger can store comes back out of every writer as the same visible text, as a
value (issue 13, finding 1 and the control characters of finding 6).

Random text, hostile on purpose (formula starts, error values, tabs, CR, control characters),
is put into the text columns of real report tables (the commissioner's lines, the provider's
deadlines) and into the cover, and written by the real writers; the files are read back the
way their readers would read them (openpyxl, the csv module, json) and compared with what
docs/reports.md ("Text from outside is data") promises:

- xlsx: every text is a string cell (data_type "s", never "f" or "e") holding the same text,
  except that a character XML cannot hold is shown by its stand-in (a C0 control character by
  its Unicode control picture, U+FFFE and U+FFFF by U+FFFD);
- csv: no text cell begins with = + - @ tab or CR; a text cell that begins with an apostrophe
  had one added, and without it the cell is the text; amounts the ledger computed are plain
  numbers (no apostrophe, a minus sign where negative);
- json: the text itself.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from ledger.services.export import EXPORT_COLUMNS, write_rows
from reporting.deadlines import DEADLINE_COLUMNS
from reporting.payment_lines import LINE_COLUMNS
from reporting.report import Column, Kind, Report, Table
from reporting.write_text import write_csv, write_json
from reporting.write_xlsx import write_xlsx
from tests.read_back import FORMULA_STARTS, from_csv, shown_in_xlsx

HOSTILE = (
    '=HYPERLINK("http://evil.example","Click for details")',
    "=1+1",
    "+1",
    "-2+3",
    "@SUM(A1)",
    "=cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "'=1+1",
    "'",
    "#N/A",
    "#DIV/0!",
    "bell\x07ring",
    "\x00nul",
    "esc\x1b[31mred",
    "line\nbreak",
    "cr\r\nlf",
    "  padded  ",
    "\ufffe\uffff",
    "-250.00",
)
# any text a database can hold (hypothesis leaves out lone surrogates, which no UTF-8 store
# can hold), often beginning with a formula start, and the classics above
texts = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=30),
    st.tuples(st.sampled_from([*FORMULA_STARTS, "'", "#"]), st.text(max_size=20)).map("".join),
)
# what the typed columns hold: the ledger's own numbers and dates
TYPED = {
    Kind.MONEY: -25000,
    Kind.DATE: date(2015, 5, 1),
    Kind.INTEGER: 2,
    Kind.PERCENT: "66.7",
    Kind.BOOLEAN: True,
}


def _table(name: str, columns: tuple[Column, ...], cells: list[str]) -> Table:
    # each row holds one of the texts in every text column (shifted, so columns differ)
    rows = [
        [
            TYPED[c.kind] if c.kind is not Kind.TEXT else cells[(number + i) % len(cells)]
            for i, c in enumerate(columns)
        ]
        for number in range(len(cells))
    ]
    frame = pd.DataFrame(rows, columns=[c.name for c in columns], dtype="object")
    return Table(name, name.title(), columns, frame)


def report(cells: list[str]) -> Report:
    lines = _table("lines", LINE_COLUMNS, cells)
    deadlines = _table("deadlines", DEADLINE_COLUMNS, cells)
    cover = tuple((f"label {i}", text) for i, text in enumerate(cells))
    return Report(
        "commissioner", "Payment report: " + cells[0], "c", cells[0], "GBP", 2, "2015-Q2",
        datetime(2015, 7, 5, 9, tzinfo=UTC), 1, cover, (lines, deadlines), "lines",
    )  # fmt: skip


def _text_columns(table: Table) -> list[int]:
    return [i for i, c in enumerate(table.columns) if c.kind is Kind.TEXT]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(texts, min_size=1, max_size=6))
def test_a_workbook_shows_every_text_as_a_string_cell_with_the_same_text(
    cells: list[str],
) -> None:
    made = report(cells)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "report.xlsx"
        write_xlsx(made, out)
        book = load_workbook(out)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is not None:
                    assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    for table in made.tables:
        sheet = book[table.title]
        for number, values in enumerate(table.frame.itertuples(index=False, name=None)):
            for column in _text_columns(table):
                cell = sheet.cell(number + 2, column + 1)
                text = values[column]
                if text == "":
                    assert cell.value is None
                    continue
                assert (cell.data_type, cell.value) == ("s", shown_in_xlsx(text))
        amount = [c.name for c in table.columns].index("amount") if table.name == "lines" else -1
        if amount >= 0:
            assert sheet.cell(2, amount + 1).value == -250  # the ledger's number, a number
    cover = {row[0].value: row[1] for row in book["Cover"].iter_rows(min_row=3) if row[0].value}
    for label, text in made.cover:
        if text:
            assert (cover[label].data_type, cover[label].value) == ("s", shown_in_xlsx(text))


@settings(max_examples=200, deadline=None)
@given(st.lists(texts, min_size=1, max_size=6))
def test_a_csv_report_gives_back_every_text_and_no_cell_starts_a_formula(
    cells: list[str],
) -> None:
    made = report(cells)
    out = io.StringIO(newline="")
    write_csv(made, out)
    table = made.table(made.main)
    rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert rows[0] == table.column_names
    amount = table.column_names.index("amount")
    for got, values in zip(rows[1:], table.frame.itertuples(index=False, name=None), strict=True):
        for column in _text_columns(table):
            assert not got[column].startswith(FORMULA_STARTS), got[column]
            assert from_csv(got[column]) == values[column]
        assert got[amount] == "-250.00"  # a number the ledger computed: no apostrophe


@settings(max_examples=100, deadline=None)
@given(st.lists(texts, min_size=1, max_size=6))
def test_a_json_report_holds_every_text_as_it_is(cells: list[str]) -> None:
    made = report(cells)
    out = io.StringIO()
    write_json(made, out)
    doc = json.loads(out.getvalue())
    for table in made.tables:
        for got, values in zip(
            doc["tables"][table.name], table.frame.itertuples(index=False, name=None), strict=True
        ):
            for column in _text_columns(table):
                assert got[table.columns[column].name] == values[column]
    assert doc["cover"] == dict(made.cover)


NUMBERS = {"spec_version": "1", "occurrence": "1", "amount": "-250.00"}
MOMENTS = {"achieved_on": "2015-05-01", "posted_at": "2015-07-05T09:00:00+00:00"}


@settings(max_examples=200, deadline=None)
@given(st.lists(texts, min_size=1, max_size=6))
def test_the_ledger_export_gives_back_every_text_and_no_cell_starts_a_formula(
    cells: list[str],
) -> None:
    text_columns = [c for c in EXPORT_COLUMNS if c not in NUMBERS and c not in MOMENTS]
    rows = [
        tuple(
            NUMBERS.get(c) or MOMENTS.get(c) or cells[(number + i) % len(cells)]
            for i, c in enumerate(EXPORT_COLUMNS)
        )
        for number in range(len(cells))
    ]
    out = io.StringIO(newline="")
    assert write_rows(rows, out) == len(rows)
    got = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    for read, written in zip(got, rows, strict=True):
        sent = dict(zip(EXPORT_COLUMNS, written, strict=True))
        for name in text_columns:
            assert not read[name].startswith(FORMULA_STARTS), (name, read[name])
            assert from_csv(read[name]) == sent[name], name
        for name, value in {**NUMBERS, **MOMENTS}.items():
            assert read[name] == value, name  # the ledger's numbers and dates, untouched
