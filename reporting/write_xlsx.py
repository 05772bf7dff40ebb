"""Writing a report as an Excel workbook, streamed (openpyxl write-only mode).

A cover sheet says what the report is; each table gets its own sheet with a frozen header row,
an auto-filter, widths that fit, the contract's currency format on money and a defined name
(the table's name) so a formula or a pivot can find it. Rows are streamed, so a report of
hundreds of thousands of lines runs in bounded memory (STACK.md pitfall 7). Money is written as
an exact Decimal, never a float.

Every text is a string cell, whatever it begins with: openpyxl would otherwise take a text that
begins with "=" for a formula and one such as "#N/A" for an error value, and a provider's id
would run in the reader's spreadsheet. Characters a workbook cannot hold are shown by a visible
stand-in (ledger.intake.cell_safety), so old data holding a control character never stops a report.

openpyxl stamps the save time into docProps/core.xml and the zip entries; both are set from the
report's cut-off instead, so the same ledger gives the same bytes.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from contract_specs.model import from_minor
from ledger.intake.cell_safety import xlsx_text
from reporting.report import Column, Kind, Report, Table, as_date, as_utc, is_missing
from reporting.write_text import table_rows
from reporting.xlsx_charts import add_chart, chart_anchor

SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "AUD": "A$", "CAD": "C$", "NZD": "NZ$", "JPY": "¥"}
DATE_FORMAT = "yyyy-mm-dd"
MOMENT_FORMAT = "yyyy-mm-dd hh:mm"
PERCENT_FORMAT = "0.0%"
MULTIPLE_FORMAT = '0.0000"x"'  # a money multiple: a number, read as 1.0668x
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
NUMBERS = (Kind.MONEY, Kind.INTEGER, Kind.PERCENT, Kind.MULTIPLE)
RIGHT = Alignment(horizontal="right")
WIDTHS = {
    Kind.MONEY: 16,
    Kind.DATE: 12,
    Kind.MOMENT: 17,
    Kind.INTEGER: 11,
    Kind.PERCENT: 10,
    Kind.BOOLEAN: 9,
}
MAX_WIDTH = 60
TYPED_BY_OPENPYXL = ("=", "#")  # what openpyxl would not keep as a string by itself
SAMPLE_ROWS = 200  # rows looked at to size a text column (the rest are streamed unseen)


def money_format(currency: str, exponent: int) -> str:
    """The Excel number format of an amount in `currency`, e.g. '"£"#,##0.00' for GBP."""
    digits = "#,##0" + ("." + "0" * exponent if exponent else "")
    symbol = SYMBOLS.get(currency)
    return f'"{symbol}"{digits}' if symbol else f'{digits} "{currency}"'


def write_xlsx(report: Report, out: Path) -> None:
    """Write the report as a workbook at `out` (replaced if it exists)."""
    workbook = Workbook(write_only=True)
    money = money_format(report.currency, report.exponent)
    footer = _footer(report)
    _cover(workbook, report, footer)
    sheets: dict[str, WriteOnlyWorksheet] = {}
    for table in report.tables:
        if table.name in report.front:
            continue  # on the first sheet, under the cover
        sheet = workbook.create_sheet(_sheet_title(table))
        sheets[table.name] = sheet
        last = _layout(sheet, table)
        print_ready(sheet, footer, header_rows="1:1")
        if table.printed:
            sheet.print_area = f"A1:{get_column_letter(table.printed)}{len(table.frame) + 1}"
        workbook.defined_names[table.name] = DefinedName(
            table.name, attr_text=f"{quote_sheetname(sheet.title)}!$A$1:${last}"
        )
        over = [c for c in report.charts if c.table == table.name]
        for index, chart in enumerate(over):
            add_chart(sheet, table, chart, anchor=chart_anchor(table, index))
        sheet.append(_header(sheet, table))
        for row in table_rows(table):
            sheet.append(_cells(sheet, table.columns, row, report.exponent, money))
    moment = report.cut_off.replace(tzinfo=None)
    workbook.properties.created = moment
    workbook.properties.creator = "outcomes-ledger"
    raw = out.with_name(out.name + ".partial")
    workbook.save(raw)
    _pin_times(raw, out, moment)


def print_ready(sheet: WriteOnlyWorksheet, footer: str, header_rows: str | None = None) -> None:
    """Print as a reader would want (set before the sheet's first row): A4 landscape, as
    wide as one page (as long as it needs), the header row repeated on every page, and
    `footer` with the page number and count."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as the rows need
    if header_rows is not None:
        sheet.print_title_rows = header_rows
    sheet.oddFooter.center.text = footer


def _footer(report: Report) -> str:
    """The footer of every printed page: what the report is, and page x of y. An `&` of the
    report's own text is doubled: alone it would start a header/footer code."""
    what = xlsx_text(report.title).replace("&", "&&")[:200]
    if report.reference and report.reference not in report.title:
        what = xlsx_text(report.reference).replace("&", "&&")[:120] + " · " + what[:100]
    return f"{what} · page &P of &N"


def _sheet_title(table: Table) -> str:
    # Excel forbids []:*?/\ in sheet titles and allows at most 31 characters
    return re.sub(r"[\[\]:*?/\\]", "-", table.title)[:31]


def _layout(sheet: WriteOnlyWorksheet, table: Table) -> str:
    """Widths, frozen header and filter (all set before the first row); the last cell."""
    rows = len(table.frame) + 1
    last = f"{get_column_letter(len(table.columns))}${rows}"
    for number, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = _width(table, column)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{last.replace('$', '')}"
    return last


def _width(table: Table, column: Column) -> float:
    header = len(column.label) + 3  # room for the filter button
    if column.kind in WIDTHS:
        return max(header, WIDTHS[column.kind])
    sample = table.frame[column.name].head(SAMPLE_ROWS)
    longest = max((len(str(v)) for v in sample if not is_missing(v)), default=0)
    return min(max(header, longest + 2), MAX_WIDTH)


def _header(sheet: WriteOnlyWorksheet, table: Table) -> list[WriteOnlyCell]:
    cells = []
    for column in table.columns:
        cell = text_cell(sheet, column.label)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        if column.kind in NUMBERS:  # over its right-aligned numbers, not a column away
            cell.alignment = RIGHT
        cells.append(cell)
    return cells


def _cells(
    sheet: WriteOnlyWorksheet,
    columns: tuple[Column, ...],
    row: tuple[object, ...],
    exponent: int,
    money: str,
) -> Iterator[object]:
    for column, value in zip(columns, row, strict=True):
        if is_missing(value) or value == "":
            yield None
        elif column.kind is Kind.MONEY:
            cell = WriteOnlyCell(sheet, value=from_minor(int(value), exponent))  # type: ignore[call-overload]
            cell.number_format = money
            yield cell
        elif column.kind is Kind.DATE:
            cell = WriteOnlyCell(sheet, value=as_date(value))
            cell.number_format = DATE_FORMAT
            yield cell
        elif column.kind is Kind.MOMENT:
            moment = as_utc(value)
            cell = WriteOnlyCell(sheet, value=moment.replace(tzinfo=None) if moment else None)
            cell.number_format = MOMENT_FORMAT  # UTC, as the heading says
            yield cell
        elif column.kind is Kind.PERCENT:
            cell = WriteOnlyCell(sheet, value=Decimal(str(value)) / 100)
            cell.number_format = PERCENT_FORMAT
            yield cell
        elif column.kind is Kind.MULTIPLE:
            cell = WriteOnlyCell(sheet, value=Decimal(str(value)))
            cell.number_format = MULTIPLE_FORMAT
            yield cell
        elif column.kind is Kind.INTEGER:
            yield int(value)  # type: ignore[call-overload]
        elif column.kind is Kind.BOOLEAN:
            yield bool(value)
        else:
            yield _text(sheet, value)


def _text(sheet: WriteOnlyWorksheet, value: object) -> str | WriteOnlyCell:
    """A table's text: a plain str where openpyxl makes it a string cell by itself (most
    cells, and the fast path for large reports), else a cell made a string explicitly."""
    text = xlsx_text(str(value))
    # openpyxl takes a str beginning with "=" for a formula and "#N/A" etc. for an error
    # value; tests/property/test_text_writers.py reads every text back as a string cell
    return text_cell(sheet, text) if text.startswith(TYPED_BY_OPENPYXL) else text


def text_cell(sheet: WriteOnlyWorksheet, value: object) -> WriteOnlyCell:
    """`value` as a string cell, never a formula or an error value, whatever it begins with."""
    cell = WriteOnlyCell(sheet, value=xlsx_text(str(value)))
    cell.data_type = "s"
    return cell


def _cover(workbook: Workbook, report: Report, footer: str) -> None:
    front = [t for t in report.tables if t.name in report.front]
    sheet = workbook.create_sheet("Claim" if front else "Cover")
    print_ready(sheet, footer)  # before the first row: a streamed sheet writes its setup then
    if front:
        _cover_front(workbook, sheet, report, front)
        return
    sheet.column_dimensions["A"].width = 28
    # one line a value, wide enough for a landscape page: a wrapped cell keeps its row's
    # height in a streamed sheet and would print over the next line
    sheet.column_dimensions["B"].width = 110
    title = text_cell(sheet, report.title)
    title.font = Font(bold=True, size=12)
    sheet.append([title])
    sheet.append([])
    for label, value in report.cover:
        cell = text_cell(sheet, label)
        cell.font = Font(bold=True)
        sheet.append([cell, text_cell(sheet, value)])
    sheet.append([])
    sheet.append(["Sheets"])
    for table in report.tables:
        sheet.append(
            [text_cell(sheet, _sheet_title(table)), text_cell(sheet, table.note or table.title)]
        )
    # the title may run past column B on screen; on paper the cover is columns A and B only
    sheet.print_area = f"A1:B{len(report.cover) + len(report.tables) + 4}"


FRONT_FIRST_WIDTH = 34  # the labels and the outcomes' names
FRONT_FIRST_MAX = 62  # an outcome's name in full ("Full-time employment ... 26 weeks")
FRONT_MAX_WIDTH = 44


def _cover_front(
    workbook: Workbook, sheet: WriteOnlyWorksheet, report: Report, front: list[Table]
) -> None:
    """The first sheet of a report with front tables (a claim): the cover's lines, then each
    front table under its title, a page a reader can approve from. Each table keeps its
    defined name, over its header and rows on this sheet."""
    money = money_format(report.currency, report.exponent)
    across = max(len(t.columns) for t in front)
    for number in range(1, across + 1):
        # a table's last text column runs on over the empty cells to its right: it sizes none
        widths = [
            _width(t, t.columns[number - 1])
            for t in front
            if len(t.columns) > number
            or (len(t.columns) == number and t.columns[-1].kind is not Kind.TEXT)
        ] or [WIDTHS[Kind.MONEY]]
        most = FRONT_MAX_WIDTH if number > 1 else FRONT_FIRST_MAX
        width = max(widths) if number > 1 else max(FRONT_FIRST_WIDTH, *widths)
        sheet.column_dimensions[get_column_letter(number)].width = min(width, most)
    title = text_cell(sheet, report.title)
    title.font = Font(bold=True, size=12)
    sheet.append([title])
    row = 1
    for label, value in report.cover:
        # the value runs on over the empty cells to its right, on screen and on paper
        cell = text_cell(sheet, label)
        cell.font = Font(bold=True)
        sheet.append([cell, text_cell(sheet, value)])
        row += 1
    for table in front:
        sheet.append([])
        # the title and its note in one cell, running on to the right: two cells would cut
        # the title at the next column's edge
        heading = text_cell(sheet, f"{table.title}: {table.note}" if table.note else table.title)
        heading.font = Font(bold=True, size=11)
        sheet.append([heading])
        sheet.append(_header(sheet, table))
        first = row + 3
        for values in table_rows(table):
            sheet.append(_cells(sheet, table.columns, values, report.exponent, money))
        row = first + len(table.frame)
        last = f"${get_column_letter(len(table.columns))}${row}"
        workbook.defined_names[table.name] = DefinedName(
            table.name, attr_text=f"{quote_sheetname(sheet.title)}!$A${first}:{last}"
        )
    sheet.print_area = f"A1:{get_column_letter(across)}{row}"


_CORE_TIMES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def _pin_times(raw: Path, out: Path, moment: datetime) -> None:
    """Copy the saved zip to `out` with every timestamp set to `moment` (streamed)."""
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    when = (max(moment.year, 1980), moment.month, moment.day, moment.hour, moment.minute, 0)
    try:
        with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w") as target:
            for info in source.infolist():
                pinned = zipfile.ZipInfo(info.filename, date_time=when)
                pinned.compress_type = zipfile.ZIP_DEFLATED
                pinned.external_attr = info.external_attr
                if info.filename == "docProps/core.xml":
                    data = _CORE_TIMES.sub(rb"\g<1>" + stamp + rb"\g<3>", source.read(info))
                    target.writestr(pinned, data)
                    continue
                with source.open(info) as reader, target.open(pinned, "w") as writer:
                    shutil.copyfileobj(reader, writer, 1 << 20)
    finally:
        raw.unlink(missing_ok=True)
