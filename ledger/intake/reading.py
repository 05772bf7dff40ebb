"""Reading an uploaded .csv or .xlsx into a frame of strings, each row with its file row number,
and refusing what no contract could accept.

Whoever sends a file and however (CLI, multipart upload, JSON rows written as csv), it must be
a .csv in UTF-8 (a BOM is fine) or an .xlsx workbook, within the limits (bytes, rows, characters
per cell: `UploadLimits`), with no control character in any cell: a tab, a line break or a bell
in an id or a reference is refused at its row and column, never stored. Every other problem of
the file as a whole (a PNG named .csv, a damaged zip) is named in words. Nothing here knows a
contract or touches the database, so the API and the CLI read a file *before* the write
transaction opens (on SQLite a writer holds the whole database's lock) and hand the services
the `Upload`.

Every value comes back as a stripped string ("" when empty) so that the caller's checks treat
both formats the same way. Empty rows are skipped, but row numbers stay those of the file (the
header is row 1).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

import numpy as np
import pandas as pd

from ledger.domain.errors import MAX_LISTED, RowError, UploadTooLarge
from ledger.intake.file_kinds import binary_kind, encoding_problem
from ledger.intake.xlsx_reading import read_xlsx
from ledger.storage.settings import get_settings

ROW = "row"  # the column holding each row's number in the file
MAX_COLUMNS = 256  # a file's header: the engine's columns and a spec's declared attributes
UTF8 = "save it as UTF-8 CSV (in Excel: Save As, CSV UTF-8)"


@dataclass(frozen=True)
class UploadLimits:
    """How much one upload may hold: bytes, rows under the header, characters in a cell."""

    max_bytes: int
    max_rows: int
    max_cell_chars: int


def cli_limits() -> UploadLimits:
    """The limits of a file imported by an operator (OUTCOMES_CLI_UPLOAD_*)."""
    s = get_settings()
    return UploadLimits(s.cli_upload_max_bytes, s.cli_upload_max_rows, s.upload_max_cell_chars)


def api_limits() -> UploadLimits:
    """The limits of one upload through the API (OUTCOMES_API_UPLOAD_*)."""
    s = get_settings()
    return UploadLimits(s.api_upload_max_bytes, s.api_upload_max_rows, s.upload_max_cell_chars)


@dataclass(frozen=True)
class FileBytes:
    """An upload's name and content, as received (the API's multipart part or JSON rows)."""

    name: str
    content: bytes


@dataclass(frozen=True)
class Upload:
    """The rows of a file as strings (`row`, then the file's columns), and what was wrong with
    it: the first problems found, and a count of the `more` that were not kept."""

    name: str
    frame: pd.DataFrame
    errors: tuple[RowError, ...]
    header: tuple[str, ...] = ()
    more: int = 0


# what an import service reads: a file on disk, or an upload already read (and checked)
Source = Path | Upload


def read_file(source: Path | FileBytes, limits: UploadLimits | None = None) -> Upload:
    """Read a .csv or .xlsx (the CLI's limits unless told otherwise). A file over a limit is
    refused at once (UploadTooLarge); every other problem is in the Upload's errors."""
    limits = limits or cli_limits()
    name = source.name
    suffix = PurePath(name).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        message = f"{suffix or 'no extension'}: upload a .csv or .xlsx"
        return Upload(name, _frame([], []), (RowError(name, 0, "file", message),))
    size = source.stat().st_size if isinstance(source, Path) else len(source.content)
    if size > limits.max_bytes:
        over(name, f"is {size} bytes: at most {limits.max_bytes} bytes per upload")
    data = source.read_bytes() if isinstance(source, Path) else source.content
    if suffix == ".csv":
        header, frame, errors, scan = _read_csv(name, data)
    else:
        header, rows, errors = read_xlsx(name, data, limits.max_rows, limits.max_bytes)
        frame, scan = _frame(header, rows), True
    if len(frame) > limits.max_rows:
        over(name, f"has {len(frame)} rows: at most {limits.max_rows} rows per upload")
    found = text_errors(name, header, frame, limits.max_cell_chars, scan=scan)
    return Upload(name, frame, (*errors, *found), tuple(header), found.more)


def over(name: str, message: str) -> None:
    """Refuse a whole file for a limit, before anything more of it is read."""
    raise UploadTooLarge([RowError(name, 0, "file", message)])


# --- the header, against the columns an import expects ---------------------------------------


def read_upload(path: Path, required: Sequence[str], optional: Sequence[str] = ()) -> Upload:
    """Read `path` (.csv or .xlsx); every column must be in `required` or `optional`."""
    return check_header(read_file(path), required, optional)


def check_header(upload: Upload, required: Sequence[str], optional: Sequence[str] = ()) -> Upload:
    """The upload with its header checked against the columns expected, and every expected
    column present in its frame (empty where the file had none)."""
    name, frame = upload.name, upload.frame
    errors = [*upload.errors]
    if not any(e.row == 0 for e in errors):  # a file that is not a table has no header to check
        errors += _header_errors(name, list(upload.header), len(frame), required, optional)
    missing = {c: pd.array([""] * len(frame), dtype="str") for c in (*required, *optional)}
    frame = frame.assign(**{c: v for c, v in missing.items() if c not in frame})
    return Upload(name, frame, tuple(errors), upload.header, upload.more)


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


def _frame(header: list[str], rows: list[tuple[int, list[str]]]) -> pd.DataFrame:
    columns: dict[str, Any] = {ROW: pd.array([row for row, _ in rows], dtype="int64")}
    for index, column in enumerate(header):
        if column and column not in columns:
            columns[column] = pd.array(
                [values[index] if index < len(values) else "" for _, values in rows], dtype="str"
            )
    return pd.DataFrame(columns)


# --- text: no control characters, no cell longer than the limit ------------------------------

# C0 (tab, line breaks and NUL included), DEL and C1: invisible, they break reports and
# spreadsheets (openpyxl refuses them at save time) and make two ids look the same
_CONTROL = "[\x00-\x1f\x7f-\x9f]"
_CONTROL_RE = re.compile(_CONTROL)


class Found(list[RowError]):
    """Problems of a file's text: at most MAX_LISTED per column kept, the rest counted."""

    more: int = 0

    def add(self, name: str, rows: Sequence[int], column: str, messages: Sequence[str]) -> None:
        self.extend(
            RowError(name, int(row), column, message)
            for row, message in zip(rows[:MAX_LISTED], messages[:MAX_LISTED], strict=True)
        )
        self.more += max(0, len(rows) - MAX_LISTED)


def control_message(value: str) -> str:
    """What is wrong with a cell holding a control character, and what to do."""
    found = _CONTROL_RE.search(value)
    char = found.group() if found else ""
    if char == "\t":
        return "contains a tab: remove it (a cell holds one value)"
    if char in "\r\n":
        return "contains a line break: keep the value on one line"
    return f"contains a control character (U+{ord(char):04X}): remove it"


def text_errors(
    name: str, header: list[str], frame: pd.DataFrame, max_chars: int, *, scan: bool = True
) -> Found:
    """Every cell (the header's too) holding a control character or more than `max_chars`
    characters. `scan=False` when the bytes already showed that no cell holds a control."""
    found = Found()
    for index, cell in enumerate(header):
        column = cell if len(cell) <= max_chars and not _CONTROL_RE.search(cell) else ""
        problem = _cell_problem(cell, max_chars)
        if problem:
            found.add(name, [1], column or f"column {index + 1}", [problem])
    for column in frame.columns:
        if column == ROW:
            continue
        values = frame[column]
        if scan:
            bad = values.str.contains(_CONTROL, regex=True).to_numpy(bool)
            if bad.any():
                texts = [control_message(v) for v in values[bad][: MAX_LISTED + 1]]
                found.add(name, frame[ROW][bad].tolist(), column, texts)
        long = (values.str.len() > max_chars).to_numpy(bool)
        if long.any():
            rows = frame[ROW][long].tolist()
            found.add(name, rows, column, [_too_long(max_chars)] * min(len(rows), MAX_LISTED))
    return found


def _cell_problem(value: str, max_chars: int) -> str | None:
    if _CONTROL_RE.search(value):
        return control_message(value)
    if len(value) > max_chars:
        return _too_long(max_chars)
    return None


def _too_long(max_chars: int) -> str:
    return f"is too long: at most {max_chars} characters"


# --- csv --------------------------------------------------------------------------------------

Read = tuple[list[str], pd.DataFrame, list[RowError], bool]


def _read_csv(name: str, data: bytes) -> Read:
    """The header, the rows and the problems of a csv; and whether its cells need scanning
    for control characters."""
    if not data:
        return [], _frame([], []), [], False
    kind = binary_kind(data)
    if kind is not None:
        return _not_a_table(name, f"is {kind}, not a CSV file: export the data as CSV (UTF-8)")
    problem = encoding_problem(data)
    if problem is not None:
        return _not_a_table(name, f"is not UTF-8 ({problem}): {UTF8}")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    first = data.split(b"\n", 1)[0]
    if first.count(b",") >= MAX_COLUMNS:  # before pandas makes a column of each
        message = f"has more than {MAX_COLUMNS} columns: keep only the columns of the import"
        return [], _frame([], []), [RowError(name, 1, "file", message)], False
    fast = _read_csv_fast(data)
    if fast is not None:
        header, frame, records = fast
        return header, frame, [], _may_hold_controls(data, records)
    header, rows, errors = _read_csv_slow(name, data.decode("utf-8"))
    return header, _frame(header, rows), errors, True


def _not_a_table(name: str, message: str) -> Read:
    return [], _frame([], []), [RowError(name, 0, "file", message)], False


# bytes that are control characters in a cell wherever they appear (line breaks are row ends
# unless a quoted cell spans lines, which the record count shows)
_CONTROL_BYTES = bytes([*range(0x00, 0x0A), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


def _may_hold_controls(data: bytes, records: int) -> bool:
    """Whether some cell of the csv `data` (parsed into `records` records) may hold a control
    character: a per-cell scan costs more than reading millions of rows, the bytes much less."""
    if len(data.translate(None, _CONTROL_BYTES)) != len(data):
        return True
    if b"\xc2" in data:  # C1 controls are U+0080-U+009F: \xc2\x80-\xc2\x9f in UTF-8
        return True
    if data.count(b"\r") != data.count(b"\r\n"):  # a lone CR
        return True
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    return lines != records  # a quoted cell spans lines


def _read_csv_slow(
    name: str, text: str
) -> tuple[list[str], list[tuple[int, list[str]]], list[Any]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    errors: list[RowError] = []
    rows: list[tuple[int, list[str]]] = []
    header: list[str] = []
    try:
        header = [cell.strip() for cell in next(reader, [])]
        for number, values in enumerate(reader, start=2):
            if any(cell.strip() for cell in values):
                rows.append((number, [cell.strip() for cell in values]))
    except csv.Error as exc:
        message = f"is not a valid CSV file from line {reader.line_num} ({exc}): {UTF8}"
        return [], [], [RowError(name, 0, "file", message)]
    errors += [
        RowError(name, number, "row", f"has {len(values)} cells but the header has {len(header)}")
        for number, values in rows
        if len(values) > len(header)
    ]
    return header, rows, errors


def _read_csv_fast(data: bytes) -> tuple[list[str], pd.DataFrame, int] | None:
    """The csv read by pandas' C parser, the same strings and row numbers as `_read_csv_slow`,
    and the number of records it read; None when the file needs the careful reader (a row
    longer than the header, no header at all), which names each problem.

    At millions of rows the csv module's per-cell Python costs more than everything else an
    import does; this path does per column what `_read_csv_slow` does per cell."""
    try:
        raw = pd.read_csv(
            io.BytesIO(data),
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,  # a blank line still counts as a row, as csv.reader counts it
            encoding="utf-8",
        )
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError):  # EmptyDataError included
        return None
    records = len(raw)
    padded = may_be_padded(data)
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
    return header, pd.DataFrame(columns), records


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
