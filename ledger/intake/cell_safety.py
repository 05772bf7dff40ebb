"""Text that came from outside, made safe for the files the ledger hands out: data, never code.

Ids, references, reasons and names are whatever a provider, a verifier, a payer or a spec
author typed. A spreadsheet runs a cell that begins with `=` (and, in csv, `+`, `-` or `@`) as
a formula: `=HYPERLINK(...)` sends the reader to a web site, `=cmd|...` asks to start a
program. The rules for every writer live here, in one place (docs/reports.md, "Text from
outside is data"):

- csv (OWASP's rule): a text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage
  return gets a leading apostrophe `'`. So does one that already begins with an apostrophe, so
  a reader gets the text back exactly by removing one leading apostrophe from a text cell that
  has one. Numbers and dates the ledger wrote itself (an amount of -250.00) are not text and
  keep their sign; which columns are text is the writer's to say.
- xlsx: text is a string cell, never a formula or an error value (the writer's part), and
  characters a workbook's XML cannot hold are shown by a visible stand-in instead of breaking
  the file: a C0 control character other than tab, line feed and carriage return by its
  Unicode control picture (U+2400 + its code: NUL as ␀, BEL as ␇, ESC as ␛), U+FFFE, U+FFFF and
  a lone surrogate by U+FFFD; a text longer than a cell holds (32,767 characters) is cut to
  32,766 and ends with "…".
- csv cells keep every other character as it is; one with a carriage return or a line feed
  inside is quoted, so it stays one cell (the csv module quotes a carriage return only when it
  is part of the line terminator, which here is "\\n": `csv_row_writer` quotes such a row).

Pure, no I/O: the writers (reporting.write_text, reporting.write_xlsx, ledger.services.export, the
API's csv of JSON rows) call it.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Sequence
from typing import TextIO

# what a spreadsheet takes for the start of a formula in a csv cell, and the apostrophe itself
CSV_ESCAPED_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
CSV_GUARD = "'"
XLSX_MAX_CHARS = 32_767
CUT_MARK = "…"
# what XML 1.0 cannot hold: C0 controls but tab, LF, CR; the non-characters U+FFFE, U+FFFF;
# surrogates (a lone one can reach a str through a lenient decoder)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_C0_PICTURES = 0x2400
_REPLACEMENT = "\ufffd"


def csv_text(text: str) -> str:
    """`text` as a csv cell: with a leading apostrophe when it begins like a formula (or with
    an apostrophe), else as it is."""
    return CSV_GUARD + text if text.startswith(CSV_ESCAPED_STARTS) else text


def xlsx_text(text: str) -> str:
    """`text` as a workbook can hold it: characters XML cannot hold shown by their stand-in,
    and cut to what a cell holds."""
    if _NOT_XML.search(text):
        text = _NOT_XML.sub(_stand_in, text)
    if len(text) > XLSX_MAX_CHARS:
        text = text[: XLSX_MAX_CHARS - 1] + CUT_MARK
    return text


# what a terminal may act on: every C0 and C1 control (an ESC begins a sequence that can
# rewrite the screen or the window title), DEL, and what XML cannot hold either
_NOT_FOR_TERMINAL = re.compile("[\x00-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


def terminal_text(text: str) -> str:
    """`text` as a line the CLI may print: control characters shown by their stand-in (the
    control picture for C0, U+FFFD for the rest), so stored text never drives the terminal."""
    if _NOT_FOR_TERMINAL.search(text):
        return _NOT_FOR_TERMINAL.sub(_stand_in, text)
    return text


def _stand_in(found: re.Match[str]) -> str:
    char = found.group()
    return chr(_C0_PICTURES + ord(char)) if char < " " else _REPLACEMENT


def csv_row_writer(out: TextIO) -> Callable[[Sequence[object]], None]:
    """A function writing one csv row to `out` ("\\n" line ends, cells quoted as needed): a row
    with a carriage return in a cell is written with every cell quoted, so that the CR stays
    inside its cell for every reader."""
    plain = csv.writer(out, lineterminator="\n")
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def write(row: Sequence[object]) -> None:
        if any(isinstance(cell, str) and "\r" in cell for cell in row):
            quoted.writerow(row)
        else:
            plain.writerow(row)

    return write
