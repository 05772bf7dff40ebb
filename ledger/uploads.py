"""Reading an uploaded .csv or .xlsx into a frame of strings, each row with its file row number.

Nothing here knows a contract: the caller says which columns are required and which extra
columns may appear (the spec's declared attributes). Every value comes back as a stripped
string ("" when empty) so that the caller's checks treat both formats the same way. Empty rows
are skipped, but row numbers stay those of the file (the header is row 1).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlmodel import Session, SQLModel

from ledger import audit
from ledger.bulk import insert_columns
from ledger.errors import RejectedUpload, RowError
from ledger.tables import table_of

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
        fast = _read_csv_fast(path, required)
        if fast is not None:
            header, frame = fast
            return Upload(
                name, frame, tuple(_header_errors(name, header, len(frame), required, optional))
            )
        header, rows, problems = _read_csv(path)
    elif suffix == ".xlsx":
        header, rows, problems = _read_xlsx(path)
    else:
        error = RowError(name, 0, "file", f"{suffix or 'no extension'}: upload a .csv or .xlsx")
        return Upload(name, _frame([], [], required), (error,))
    errors = [RowError(name, row, column, message) for row, column, message in problems]
    errors += _header_errors(name, header, len(rows), required, optional)
    return Upload(name, _frame(header, rows, required), tuple(errors))


def _header_errors(
    name: str, header: list[str], rows: int, required: Sequence[str], optional: Sequence[str]
) -> list[RowError]:
    if not header and not rows:
        return [RowError(name, 1, "file", "the file is empty: " + _header_hint(required))]
    errors = _check_header(name, header, required, optional)
    if not rows:
        errors.append(
            RowError(name, 2, "file", "the file has no rows: add one row per item under the header")
        )
    return errors


def _header_hint(required: Sequence[str]) -> str:
    return f"write a header row ({', '.join(required)}) and one row per item under it"


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


def _read_csv_fast(path: Path, required: Sequence[str]) -> tuple[list[str], pd.DataFrame] | None:
    """The csv read by pandas' C parser, the same strings and row numbers as `_read_csv`; None
    when the file needs the careful reader (a row longer than the header, no header at all,
    bytes that are not UTF-8), which names each problem.

    At millions of rows the csv module's per-cell Python costs more than everything else an
    import does; this path does per column what `_read_csv` does per cell."""
    data = path.read_bytes()
    try:
        raw = pd.read_csv(
            io.BytesIO(data),
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,  # a blank line still counts as a row, as csv.reader counts it
            encoding="utf-8-sig",
        )
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError):  # EmptyDataError included
        return None
    padded = may_be_padded(data)
    del data
    raw = raw.fillna("")  # a row shorter than the header
    cells = [raw[c].str.strip() if padded else raw[c] for c in raw.columns]
    header = [str(cell) for cell in (c.iloc[0] if len(c) else "" for c in cells)]
    cells = [c.iloc[1:].reset_index(drop=True).astype("str") for c in cells]
    empty = pd.Series(True, index=cells[0].index) if cells else pd.Series([], dtype=bool)
    for column in cells:
        empty &= column == ""
    keep = ~empty.to_numpy(bool)
    rows = np.flatnonzero(keep) + 2
    columns: dict[str, Any] = {ROW: pd.array(rows, dtype="int64")}
    for name, column in zip(header, cells, strict=True):
        if name and name not in columns:
            columns[name] = column[keep].reset_index(drop=True)
    for name in required:
        columns.setdefault(name, pd.array([""] * len(rows), dtype="str"))
    return header, pd.DataFrame(columns)


# Each ASCII byte Python's str.strip removes (line breaks aside) becomes a space, each byte a
# cell can begin after or end before (comma, line break, quote) a comma.
_BLANKS = b" \t\x0b\x0c\x1c\x1d\x1e\x1f"
_EDGES = b',\n\r"'
_CLASSES = bytes.maketrans(_BLANKS + _EDGES, b" " * len(_BLANKS) + b"," * len(_EDGES))


def may_be_padded(data: bytes) -> bool:
    """Whether some cell of the csv `data` may begin or end with whitespace, so that its cells
    must be stripped (False only when none can: stripping would change nothing).

    Stripping millions of cells costs more than parsing them, and a file with free text
    (a reason, a name) has spaces inside cells that need none. A padded cell shows in the bytes
    as a blank beside a comma, a line break, a quote or the file's edge, or as a quoted cell
    beginning or ending with a line break: one translation and a few byte searches, at memory
    speed. Any non-ASCII byte may be a Unicode space, which Python's strip strips too."""
    if not data.isascii():
        return True
    classes = data.translate(_CLASSES)
    if classes.startswith(b" ") or classes.endswith(b" "):
        return True
    if b", " in classes or b" ," in classes:
        return True
    return b'"' in data and any(pair in data for pair in (b'"\n', b'"\r', b'\n"', b'\r"'))


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
    if values.empty:  # partition of an empty series has no columns to pick
        return pd.Series([], index=values.index, dtype="int64")
    after = values.str.partition(".")[2]
    return after.str.len().astype("int64")


def scaled_integers(values: pd.Series, decimals: pd.Series) -> pd.Series:
    """Decimal strings as integers scaled by 10**decimals (exact: done on the digits, no float).

    Callers check first that each value is a decimal with at most its number of decimals.
    """
    if values.empty:
        return pd.Series([], index=values.index, dtype="Int64")
    parts = values.str.partition(".")
    whole, fraction = parts[0], parts[2]
    padded = [
        f"{w}{f.ljust(d, '0')}" if w not in ("", "+", "-") else f"{w}0{f.ljust(d, '0')}"
        for w, f, d in zip(whole, fraction, decimals, strict=True)
    ]
    return pd.Series([int(p) for p in padded], index=values.index, dtype="Int64")


# --- checking rows: every problem collected as a RowError, vectorised per check -------------


class RowChecks:
    """Collects every problem of an upload's frame as RowErrors, one vectorised check at a time.

    `bad` marks rows with at least one problem, so that later checks that only make sense on an
    otherwise good row (eligibility, capacity) can skip the others.
    """

    def __init__(self, file: str, frame: pd.DataFrame) -> None:
        self.file = file
        self.frame = frame
        self.errors: list[RowError] = []
        self.bad = pd.Series(False, index=frame.index)

    def flag(self, mask: pd.Series, column: str, message: str | pd.Series) -> None:
        """Record `message` (one text, or one per row) for every row where `mask` holds."""
        mask = mask.reindex(self.frame.index, fill_value=False).fillna(False).astype(bool)
        if not mask.any():
            return
        rows = self.frame.loc[mask, ROW]
        texts = message[mask] if isinstance(message, pd.Series) else [message] * len(rows)
        self.errors.extend(
            RowError(self.file, int(row), column, str(text))
            for row, text in zip(rows, texts, strict=True)
        )
        self.bad |= mask

    def require(self, columns: Sequence[str]) -> None:
        """Each of `columns` must hold a value on every row."""
        for column in columns:
            self.flag(self.frame[column] == "", column, "is empty: every row needs one")

    def unique(self, column: str) -> None:
        """`column` identifies a row: the same value twice in one file is an error."""
        values = self.frame[column]
        again = values.duplicated(keep="first") & (values != "")
        if again.any():
            first = self.frame.groupby(column)[ROW].transform("min").astype(str)
            self.flag(again, column, "appears again in this file (first at row " + first + ")")

    def date(self, column: str) -> pd.Series:
        """`column` as datetime64 (NaT when empty); a value that is not a date is an error."""
        raw = self.frame[column]
        dates = parse_dates(raw)
        self.flag(dates.isna() & (raw != ""), column, "is not a date: write it as YYYY-MM-DD")
        return dates

    def scaled(
        self,
        column: str,
        decimals: int | pd.Series,
        *,
        not_a_number: str,
        too_many: str | pd.Series,
        where: pd.Series | None = None,
    ) -> pd.Series:
        """`column` as integers scaled by 10**decimals (exact, on the digits) on the rows
        `where` holds that have a value; a value that is not a plain decimal, or has more
        decimals than allowed (one number, or one per row), is an error. Other rows are NA."""
        raw = self.frame[column]
        allowed = (
            decimals
            if isinstance(decimals, pd.Series)
            else pd.Series(decimals, index=raw.index, dtype="int64")
        )
        rows = raw != "" if where is None else where & (raw != "")
        # string checks on the rows that have a value only: most evidence rows have none
        number = pd.Series(False, index=raw.index)
        if rows.any():
            number[rows] = is_decimal(raw[rows])
        self.flag(rows & ~number, column, not_a_number)
        usable = rows & number
        fits = pd.Series(True, index=raw.index)
        if usable.any():
            fits[usable] = decimals_of(raw[usable]) <= allowed[usable]
        self.flag(usable & ~fits, column, too_many)
        usable &= fits
        scaled = pd.Series(pd.NA, index=raw.index, dtype="Int64")
        if usable.any():
            scaled[usable] = scaled_integers(raw[usable], allowed[usable])
        return scaled

    def amount(
        self, column: str, exponent: int, *, allow_zero: bool = False, allow_negative: bool = True
    ) -> pd.Series:
        """`column` as money in minor units of a currency with `exponent` decimals: a decimal
        string with at most that many decimals, not zero (unless allowed: a zero row records
        nothing) and not negative (unless allowed). Empty or bad values come back as 0; their
        rows have errors."""
        minor = self.scaled(
            column,
            exponent,
            not_a_number=f"is not an amount: write a decimal like {1500:.{exponent}f} "
            f"(at most {exponent} decimals)",
            too_many=f"has more than the currency's {exponent} decimals: round it",
        )
        if not allow_zero:
            self.flag(minor == 0, column, "is zero: leave the row out")
        if not allow_negative:
            self.flag(minor < 0, column, "is negative: write the amount without a sign")
        return minor.fillna(0).astype("int64")

    def against_stored(
        self,
        key: str,
        canonical: pd.Series | Callable[[pd.Series], pd.Series],
        stored: Mapping[str, str],
        what: str,
    ) -> pd.Series:
        """Rows whose `key` is already stored: same canonical content is unchanged, different
        content is a conflict naming the fields. Returns the mask of rows already stored.

        `canonical` is each row's canonical text, or a function giving it for the rows of a
        mask (only rows already stored are compared: a first import of millions builds none)."""
        nothing = pd.Series(None, index=self.frame.index)
        previous = self.frame[key].map(stored) if stored else nothing
        exists = previous.notna()
        if callable(canonical):
            canonical = canonical(exists).reindex(self.frame.index)
        conflict = exists & (previous != canonical)
        if conflict.any():
            fields = pd.Series(
                [
                    differing_fields(new, old)
                    for new, old in zip(canonical[conflict], previous[conflict], strict=True)
                ],
                index=canonical.index[conflict],
            )
            self.flag(
                conflict,
                key,
                f"already {what} with different " + fields + f": a stored {key.split('_')[0]} "
                "cannot be changed by upload",
            )
        return exists


def canonical_json(records: Iterable[Mapping[str, Any]]) -> list[str]:
    """Each record as one canonical JSON text (sorted keys), for comparing with what is stored."""
    return [json.dumps(record, sort_keys=True, default=str) for record in records]


def differing_fields(new: str, old: str) -> str:
    """The fields that differ between two canonical JSON records."""
    a, b = json.loads(new), json.loads(old)
    return ", ".join(sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))) or "content"


# --- the shared beginning and end of every import ---------------------------------------------


@dataclass(frozen=True)
class ImportSummary:
    """What an import stored: `new` rows, and rows already stored exactly as uploaded."""

    new: int
    unchanged: int

    def __str__(self) -> str:
        return f"{self.new} new, {self.unchanged} unchanged"


def open_checks(path: Path, required: Sequence[str], optional: Sequence[str] = ()) -> RowChecks:
    """Read `path` for checking; a file that cannot be read as expected is refused at once."""
    upload = read_upload(path, required, optional)
    if upload.errors:
        raise RejectedUpload(upload.errors)
    for column in optional:
        if column not in upload.frame:
            upload.frame[column] = pd.array([""] * len(upload.frame), dtype="str")
    return RowChecks(upload.name, upload.frame)


def store_new(
    session: Session,
    model: type[SQLModel],
    rows: list[dict[str, Any]],
    unchanged: int,
    *,
    action: str,
    contract_id: str,
    file: str,
    actor: str,
    now: datetime,
) -> ImportSummary:
    """Bulk-insert the new rows of an import (driver executemany, no ORM objects) and audit it."""
    names = list(rows[0]) if rows else []
    columns = {name: [row[name] for row in rows] for name in names}
    return store_columns(
        session,
        model,
        columns,
        len(rows),
        unchanged,
        action=action,
        contract_id=contract_id,
        file=file,
        actor=actor,
        now=now,
    )


def store_columns(
    session: Session,
    model: type[SQLModel],
    columns: Mapping[str, Any],
    count: int,
    unchanged: int,
    *,
    action: str,
    contract_id: str,
    file: str,
    actor: str,
    now: datetime,
) -> ImportSummary:
    """Bulk-insert `count` new rows given column by column (ledger.bulk) and audit the import."""
    insert_columns(session.connection(), table_of(model), columns, count)
    summary = ImportSummary(new=count, unchanged=unchanged)
    details = {"file": file, "new": summary.new, "unchanged": summary.unchanged}
    audit.record(session, actor, action, f"contract:{contract_id}", now, details)
    return summary
