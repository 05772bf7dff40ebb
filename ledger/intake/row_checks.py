"""Checking the rows of an upload, before anything is stored.

The file itself is read by ledger.intake.reading (formats, encodings, limits, control
characters); the import services check its rows against the spec and what is stored
(`RowChecks`: every problem collected, vectorised per check), then store them all, or none
(ledger.storage.uploads). A service takes the file's path (read here) or an Upload the caller
read before opening the write transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from ledger.domain.errors import MAX_LISTED, RejectedUpload, RowError, RowErrors
from ledger.intake.reading import (
    ROW,
    FileBytes,
    Source,
    Upload,
    UploadLimits,
    api_limits,
    check_header,
    cli_limits,
    may_be_padded,
    read_file,
    read_upload,
)

__all__ = [
    "ROW",
    "FileBytes",
    "Source",
    "Upload",
    "UploadLimits",
    "api_limits",
    "cli_limits",
    "may_be_padded",
    "read_file",
    "read_upload",
]


# --- typed values from the strings of an upload (vectorised; invalid -> missing) -------------

# a number from a file has at most 18 digits once scaled to an integer (minor units of money,
# a measure's quantity), so that it fits a 64-bit integer (at most 9,223,372,036,854,775,807)
# wherever it is stored or computed with; anything larger is no amount a contract pays on
MAX_DIGITS = 18
_INTEGER = rf"^[+-]?0*\d{{1,{MAX_DIGITS}}}$"
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
    """Which strings are whole numbers (of at most MAX_DIGITS digits)."""
    return values.str.fullmatch(_INTEGER).fillna(False).astype(bool)


_ANY_INTEGER = r"^[+-]?\d+$"


def flag_whole_numbers(checks: RowChecks, column: str, values: pd.Series) -> pd.Series:
    """Flag the non-empty `values` of `column` that are not whole numbers, or are whole numbers
    of more than MAX_DIGITS digits (said as too large, with the limit); returns which are ok."""
    ok = is_integer(values)
    whole = values.str.fullmatch(_ANY_INTEGER).fillna(False).astype(bool)
    present = values != ""
    checks.flag(
        present & whole & ~ok,
        column,
        f"is too large: a whole number of at most {MAX_DIGITS} digits (at most {largest(0)})",
    )
    checks.flag(present & ~whole, column, "is not a whole number")
    return ok


def is_decimal(values: pd.Series) -> pd.Series:
    """Which strings are plain decimal numbers (no exponent, no thousands separator)."""
    return values.str.fullmatch(_DECIMAL).fillna(False).astype(bool)


def decimals_of(values: pd.Series) -> pd.Series:
    """How many digits follow the decimal point in each (decimal) string."""
    if values.empty:  # partition of an empty series has no columns to pick
        return pd.Series([], index=values.index, dtype="int64")
    after = values.str.partition(".")[2]
    return after.str.len().astype("int64")


def digits_scaled(values: pd.Series, decimals: pd.Series) -> pd.Series:
    """How many digits each decimal string has once scaled by 10**decimals (leading zeros and
    the sign aside): what must fit in MAX_DIGITS."""
    if values.empty:
        return pd.Series([], index=values.index, dtype="int64")
    whole = values.str.partition(".")[0].str.lstrip("+-").str.lstrip("0")
    return (whole.str.len() + decimals).astype("int64")


def largest(decimals: int) -> str:
    """The largest number of MAX_DIGITS digits with `decimals` of them after the point."""
    whole, fraction = "9" * (MAX_DIGITS - decimals), "9" * decimals
    return f"{whole}.{fraction}" if decimals else whole


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
        # each check keeps its first MAX_LISTED problems and counts the rest: a file of
        # millions of bad rows costs no millions of RowErrors, and the first MAX_LISTED of the
        # whole file (in file order) are among those kept
        self.errors = RowErrors()
        self.bad = pd.Series(False, index=frame.index)
        # per column, the rows whose cell reading refused (a control character, a formula)
        self.unread: dict[str, pd.Series] = {}

    def flag(self, mask: pd.Series, column: str, message: str | pd.Series) -> None:
        """Record `message` (one text, or one per row) for every row where `mask` holds."""
        mask = mask.reindex(self.frame.index, fill_value=False).fillna(False).astype(bool)
        if column in self.unread:  # a cell reading refused is told once, with reading's reason
            mask &= ~self.unread[column]
        if not mask.any():
            return
        rows = self.frame.loc[mask, ROW]
        kept = rows.iloc[:MAX_LISTED]
        texts = message[mask].iloc[:MAX_LISTED] if isinstance(message, pd.Series) else None
        self.errors.extend(
            RowError(self.file, int(row), column, str(message if texts is None else text))
            for row, text in zip(kept, kept if texts is None else texts, strict=True)
        )
        self.errors.more += len(rows) - len(kept)
        self.bad |= mask

    def found(self, errors: Sequence[RowError], more: int = 0) -> None:
        """Record problems found before the checks (in reading the file), and `more` counted."""
        self.errors.extend(errors)
        self.errors.more += more
        for column in {error.column for error in errors}:
            rows = [error.row for error in errors if error.column == column]
            self.unread[column] = self.frame[ROW].isin(rows)
            self.bad |= self.unread[column]

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
        small = pd.Series(True, index=raw.index)
        if usable.any():
            small[usable] = digits_scaled(raw[usable], allowed[usable]) <= MAX_DIGITS
        big = usable & ~small
        if big.any():
            at_most = ("is too large: at most " + allowed[big].map(largest)).reindex(raw.index)
            self.flag(big, column, at_most)
        usable &= small
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


def open_checks(source: Source, required: Sequence[str], optional: Sequence[str] = ()) -> RowChecks:
    """The rows of `source` (a path, read here; or an Upload already read) for checking; a file
    that cannot be read as expected is refused at once. The problems reading found in rows
    (a control character, a cell too long) are the checks' first: every other check still runs,
    so the whole file's problems are told in one pass."""
    upload = source if isinstance(source, Upload) else read_file(source)
    upload = check_header(upload, required, optional)
    refuse_unread(upload)
    checks = RowChecks(upload.name, upload.frame)
    checks.found(upload.errors, upload.more)
    return checks


def refuse_unread(upload: Upload) -> None:
    """Refuse a file whose rows cannot be checked (RejectedUpload): a problem of the whole file
    or of its header (row 1) found in reading it. Problems of single rows are left for the
    checks to tell with the rest (open_checks)."""
    if any(error.of_the_file for error in upload.errors):
        raise RejectedUpload(upload.errors, more=upload.more)
