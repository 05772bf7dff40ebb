"""Reading text back out of the ledger's files as docs/reports.md ("Text from outside is data")
tells a reader to: written down here once, independently of the writers, for the tests."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

# what a spreadsheet takes for the start of a formula in a csv cell: no text cell begins so
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def from_csv(cell: str) -> str:
    """A csv text cell read back: one leading apostrophe, the one the writer added, removed."""
    return cell[1:] if cell.startswith("'") else cell


def shown_in_xlsx(text: str) -> str:
    """The text a workbook shows for `text`: a C0 control character other than tab, line feed
    and carriage return as its control picture (U+2400 + code), U+FFFE and U+FFFF as U+FFFD."""
    out = []
    for char in text:
        if ord(char) < 0x20 and char not in "\t\n\r":
            out.append(chr(0x2400 + ord(char)))
        elif char in "\ufffe\uffff":
            out.append("\ufffd")
        else:
            out.append(char)
    return "".join(out)


def shown_in_html(page: str) -> str:
    """The words a browser shows for `page`: its text nodes joined, without tags or attribute
    values, so that a random token in a hidden field (the CSRF token) cannot match a name a test
    looks for."""
    from html.parser import HTMLParser

    words: list[str] = []

    class _Text(HTMLParser):
        def handle_data(self, data: str) -> None:
            words.append(data)

    reader = _Text()
    reader.feed(page)
    reader.close()
    return " ".join(words)


def sheet_rows(path: Path, title: str) -> list[dict[str, object]]:
    """A report sheet as a person reads it: its first row names the columns, each row below
    one record, each cell the value the spreadsheet holds (a number for money, None if empty)."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        rows = list(book[title].iter_rows(values_only=True))
    finally:
        book.close()
    header = [str(name) for name in rows[0]]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]


def money(cell: object) -> Decimal:
    """A money cell of a workbook as the amount it shows (the cell holds a number)."""
    return Decimal(str(cell))
