"""Reading an uploaded .csv or .xlsx into a frame of strings, each row with its file row number.

Nothing here knows a contract: the caller says which columns are required and which extra
columns may appear (the spec's declared attributes). Every value comes back as a stripped
string ("" when empty) so that the caller's checks treat both formats the same way. Empty rows
are skipped, but row numbers stay those of the file (the header is row 1).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from ledger.errors import RowError

ROW = "row"  # the column holding each row's number in the file


@dataclass(frozen=True)
class Upload:
    """The rows of a file as strings (columns as in the file plus `row`), and what was wrong."""

    name: str
    frame: pd.DataFrame
    errors: tuple[RowError, ...]


def read_upload(path: Path, required: Sequence[str], optional: Sequence[str] = ()) -> Upload:
    """Read `path` (.csv or .xlsx); every column must be in `required` or `optional`."""
    name = path.name
    suffix = path.suffix.lower()
    if suffix == ".csv":
        header, rows, problems = _read_csv(path)
    elif suffix == ".xlsx":
        header, rows, problems = _read_xlsx(path)
    else:
        error = RowError(name, 0, "file", f"{suffix or 'no extension'}: upload a .csv or .xlsx")
        return Upload(name, _frame([], [], required), (error,))
    errors = [RowError(name, row, column, message) for row, column, message in problems]
    errors += _check_header(name, header, required, optional)
    return Upload(name, _frame(header, rows, required), tuple(errors))


def _check_header(
    name: str, header: list[str], required: Sequence[str], optional: Sequence[str]
) -> list[RowError]:
    errors = []
    allowed = set(required) | set(optional)
    for column in required:
        if column not in header:
            errors.append(RowError(name, 1, column, "required column is missing: add it"))
    seen: set[str] = set()
    for column in header:
        if column in seen:
            errors.append(RowError(name, 1, column, "column appears twice: keep one"))
        seen.add(column)
        if column not in allowed:
            errors.append(
                RowError(
                    name,
                    1,
                    column or "(blank)",
                    "column not expected: only the spec's declared attributes may be uploaded "
                    f"beside {', '.join(required)}; remove it or declare it in the spec",
                )
            )
    return errors


def _frame(
    header: list[str], rows: list[tuple[int, list[str]]], required: Sequence[str]
) -> pd.DataFrame:
    columns: dict[str, Any] = {ROW: pd.array([row for row, _ in rows], dtype="int64")}
    for index, column in enumerate(header):
        if column and column not in columns:
            columns[column] = pd.array(
                [values[index] if index < len(values) else "" for _, values in rows], dtype="str"
            )
    for column in required:
        columns.setdefault(column, pd.array([""] * len(rows), dtype="str"))
    return pd.DataFrame(columns)


Raw = tuple[list[str], list[tuple[int, list[str]]], list[tuple[int, str, str]]]


def _read_csv(path: Path) -> Raw:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [cell.strip() for cell in next(reader, [])]
        rows = [
            (number, [cell.strip() for cell in values])
            for number, values in enumerate(reader, start=2)
            if any(cell.strip() for cell in values)
        ]
    errors = [
        (number, "row", f"has {len(values)} cells but the header has {len(header)}")
        for number, values in rows
        if len(values) > len(header)
    ]
    return header, rows, errors


def _read_xlsx(path: Path) -> Raw:
    # openpyxl stays out of the domain; it is only needed when someone uploads a workbook
    from openpyxl import load_workbook

    # data_only=False: a formula comes back as its text, so we can refuse it (a cached value
    # may be stale or missing, and the provider's system should send values).
    workbook = load_workbook(path, read_only=True, data_only=False)
    try:
        sheet = workbook.worksheets[0]
        lines = _xlsx_lines(sheet.iter_rows())
        first = next(lines, None)
        header = [_text(cell.value) for cell in first[1]] if first else []
        rows: list[tuple[int, list[str]]] = []
        errors: list[tuple[int, str, str]] = []
        for number, cells in lines:
            values = []
            has_formula = False
            for index, cell in enumerate(cells):
                column = header[index] if index < len(header) else f"column {index + 1}"
                if cell.data_type == "f" or (
                    isinstance(cell.value, str) and cell.value.startswith("=")
                ):
                    errors.append((number, column, "is a formula: paste the value instead"))
                    values.append("")
                    has_formula = True
                else:
                    values.append(_text(cell.value))
            if any(values) or has_formula:
                rows.append((number, values))
        return header, rows, errors
    finally:
        workbook.close()


def _xlsx_lines(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[int, tuple[Any, ...]]]:
    for cells in rows:
        real = [cell for cell in cells if hasattr(cell, "row")]
        if real:
            yield real[0].row, cells


def _text(value: object) -> str:
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


# --- typed values from the strings of an upload (vectorised; invalid -> missing) -------------

_INTEGER = r"^[+-]?\d+$"
_DECIMAL = r"^[+-]?(\d+(\.\d*)?|\.\d+)$"
_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})


def parse_dates(values: pd.Series) -> pd.Series:
    """ISO dates (YYYY-MM-DD) as datetime64; anything else (or empty) is NaT."""
    return pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")


def parse_booleans(values: pd.Series) -> pd.Series:
    """true/false, yes/no, y/n, 1/0 (any case) as a nullable boolean; anything else is NA."""
    lowered = values.str.lower()
    result = pd.Series(pd.NA, index=values.index, dtype="boolean")
    result[lowered.isin(_TRUE)] = True
    result[lowered.isin(_FALSE)] = False
    return result


def is_integer(values: pd.Series) -> pd.Series:
    """Which strings are whole numbers."""
    return values.str.fullmatch(_INTEGER).fillna(False).astype(bool)


def is_decimal(values: pd.Series) -> pd.Series:
    """Which strings are plain decimal numbers (no exponent, no thousands separator)."""
    return values.str.fullmatch(_DECIMAL).fillna(False).astype(bool)


def decimals_of(values: pd.Series) -> pd.Series:
    """How many digits follow the decimal point in each (decimal) string."""
    after = values.str.partition(".")[2]
    return after.str.len().astype("int64")


def scaled_integers(values: pd.Series, decimals: pd.Series) -> pd.Series:
    """Decimal strings as integers scaled by 10**decimals (exact: done on the digits, no float).

    Callers check first that each value is a decimal with at most its number of decimals.
    """
    parts = values.str.partition(".")
    whole, fraction = parts[0], parts[2]
    padded = [
        f"{w}{f.ljust(d, '0')}" if w not in ("", "+", "-") else f"{w}0{f.ljust(d, '0')}"
        for w, f, d in zip(whole, fraction, decimals, strict=True)
    ]
    return pd.Series([int(p) for p in padded], index=values.index, dtype="Int64")
