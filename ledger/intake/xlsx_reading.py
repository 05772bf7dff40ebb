"""Reading the first sheet of an uploaded .xlsx workbook into rows of strings, bounded.

A workbook is a zip of XML, so a small file can unpack to gigabytes and a sheet can claim a
million rows of sixteen thousand columns. Before openpyxl reads a byte of XML the zip is opened
and its unpacked size held to XLSX_UNPACK_RATIO times the byte limit; the sheet is read only up
to the header's width and stops at the row limit. Anything openpyxl cannot read, whatever the
reason, is "not a valid .xlsx workbook": the file came from outside, and the person who sent it
can only fix it by saving it again from their spreadsheet.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from ledger.domain.errors import RowError, UploadTooLarge
from ledger.intake.file_kinds import ZIP, binary_kind, is_text

# an honest workbook unpacks to a few times its size; a zip bomb to thousands of times
XLSX_UNPACK_RATIO = 10
EXCEL_MAX_ROWS = 1_048_576  # no spreadsheet writes a row past this one
MAX_HEADER_CELLS = 256
SAVE_AGAIN = "open it in your spreadsheet and save it as Excel Workbook (.xlsx)"

Rows = list[tuple[int, list[str]]]


def read_xlsx(
    name: str, data: bytes, max_rows: int, max_bytes: int
) -> tuple[list[str], Rows, list[RowError]]:
    """The header, the rows (file row numbers) and the problems of a workbook's first sheet."""
    if not data:
        return [], [], []
    problem = _not_a_workbook(data)
    if problem is None:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                unpacked = sum(member.file_size for member in archive.infolist())
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            problem = "its zip archive is damaged"
        else:
            limit = max_bytes * XLSX_UNPACK_RATIO
            if unpacked > limit:
                raise UploadTooLarge(
                    [RowError(name, 0, "file", f"unpacks to {unpacked} bytes: at most {limit}")]
                )
            if "xl/workbook.xml" not in names:
                problem = "the zip archive holds no workbook"
    if problem is None:
        try:
            return _read_sheet(name, data, max_rows)
        except UploadTooLarge:
            raise
        except Exception:  # any failure to read a file from outside is the file's
            problem = "openpyxl cannot read it"
    message = f"is not a valid .xlsx workbook ({problem}): {SAVE_AGAIN}"
    return [], [], [RowError(name, 0, "file", message)]


def _not_a_workbook(data: bytes) -> str | None:
    if data.startswith(ZIP):
        return None
    kind = binary_kind(data)
    if kind is not None:
        return f"it is {kind}"
    if is_text(data):
        return "it is text: if it is a CSV file, give it the .csv extension"
    return "it is not a zip archive, which every .xlsx is"


def _read_sheet(name: str, data: bytes, max_rows: int) -> tuple[list[str], Rows, list[RowError]]:
    # openpyxl stays out of the domain; it is only needed when someone uploads a workbook
    from openpyxl import load_workbook

    # data_only=False: a formula comes back as its text, so we can refuse it (a cached value
    # may be stale or missing, and the provider's system should send values).
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        if not workbook.worksheets:
            return [], [], [RowError(name, 0, "file", f"has no worksheet: {SAVE_AGAIN}")]
        sheet = workbook.worksheets[0]
        at, header = _header(sheet)
        if not at:
            return [], [], []
        if len(header) > MAX_HEADER_CELLS:
            message = f"has more than {MAX_HEADER_CELLS} columns: keep only the import's columns"
            return [], [], [RowError(name, at, "file", message)]
        rows: Rows = []
        errors: list[tuple[int, str, str]] = []
        width = max(len(header), 1)
        # one tuple per row number from min_row on (openpyxl fills the gaps), each cut to the
        # header's width: cells beyond it are not data
        lines = sheet.iter_rows(min_row=at + 1, max_col=width)
        for number, cells in enumerate(lines, start=at + 1):
            if number > EXCEL_MAX_ROWS:
                message = f"has rows past row {EXCEL_MAX_ROWS}, the last of a sheet: {SAVE_AGAIN}"
                return [], [], [RowError(name, 0, "file", message)]
            values, formula = _values(cells, header, number, errors)
            if any(values) or formula:
                rows.append((number, values))
                if len(rows) > max_rows:
                    message = f"has more than {max_rows} rows: at most {max_rows} rows per upload"
                    raise UploadTooLarge([RowError(name, 0, "file", message)])
        return header, rows, [RowError(name, row, column, text) for row, column, text in errors]
    finally:
        workbook.close()


def _header(sheet: Any) -> tuple[int, list[str]]:
    """The first row with a value (its number and cells, trailing blanks dropped), or 0."""
    lines = sheet.iter_rows(max_col=MAX_HEADER_CELLS + 1)
    for number, cells in enumerate(lines, start=1):
        if number > EXCEL_MAX_ROWS:
            break
        header = [text(cell.value) for cell in cells]
        while header and not header[-1]:
            header.pop()
        if header:
            return number, header
    return 0, []


def _values(
    cells: tuple[Any, ...], header: list[str], number: int, errors: list[tuple[int, str, str]]
) -> tuple[list[str], bool]:
    values = []
    formula = False
    for index, cell in enumerate(cells):
        value = cell.value
        if cell.data_type == "f" or (isinstance(value, str) and value.startswith("=")):
            column = header[index] if index < len(header) else f"column {index + 1}"
            errors.append((number, column, "is a formula: paste the value instead"))
            values.append("")
            formula = True
        else:
            values.append(text(value))
    return values, formula


def text(value: object) -> str:
    """A cell's value as the text a csv would hold (dates ISO, booleans true/false)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        # repr is the shortest text that reads back as the same float: 800.1, not 800.1000000001
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value).strip()
