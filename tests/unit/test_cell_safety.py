"""The rules of docs/reports.md ("Text from outside is data"), example by example."""

from __future__ import annotations

import csv
import io

import pytest

from ledger.intake.cell_safety import csv_row_writer, csv_text, terminal_text, xlsx_text


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        (
            '=HYPERLINK("http://evil.example","Click")',
            '\'=HYPERLINK("http://evil.example","Click")',
        ),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("'quoted", "''quoted"),  # so that removing one apostrophe always gives the text back
        ("P1", "P1"),
        ("a=b", "a=b"),
        (" =1", " =1"),
        ("", ""),
    ],
)
def test_a_csv_text_cell_that_begins_like_a_formula_gets_an_apostrophe(
    text: str, cell: str
) -> None:
    assert csv_text(text) == cell


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("bell\x07", "bell␇"),
        ("\x00nul", "␀nul"),
        ("esc\x1b[31m", "esc␛[31m"),
        ("v\x0bt\x0cf", "v␋t␌f"),
        ("tab\tlf\ncr\r", "tab\tlf\ncr\r"),  # XML holds these: kept
        ("x\ufffe\uffff", "x\ufffd\ufffd"),
        ("=1+1", "=1+1"),  # a string cell holds it as it is: the writer makes it one
        ("café ☕", "café ☕"),
    ],
)
def test_a_workbook_shows_what_xml_cannot_hold_by_a_visible_stand_in(text: str, shown: str) -> None:
    assert xlsx_text(text) == shown


def test_a_text_longer_than_a_cell_holds_is_cut_and_says_so() -> None:
    cut = xlsx_text("x" * 40_000)
    assert len(cut) == 32_767 and cut.endswith("x…")
    assert xlsx_text("y" * 32_767) == "y" * 32_767


def test_a_carriage_return_stays_inside_its_csv_cell() -> None:
    out = io.StringIO(newline="")
    write = csv_row_writer(out)
    write(["a\rb", "-250.00", "c"])
    write(["plain", "1", "x"])
    text = out.getvalue()
    assert text.splitlines(keepends=True)[-1] == "plain,1,x\n"  # plain rows: unchanged bytes
    assert list(csv.reader(io.StringIO(text, newline=""))) == [
        ["a\rb", "-250.00", "c"],
        ["plain", "1", "x"],
    ]


def test_a_terminal_line_carries_no_control_character() -> None:
    # an ESC sequence stored in old data would retitle the window or rewrite the screen
    shown = terminal_text("P1 \x1b]0;pwned\x07 \x9b2J\x7f ok")
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in shown)
    assert shown == "P1 \u241b]0;pwned\u2407 \ufffd2J\ufffd ok"
    assert terminal_text("acme/P1: 3500.00 paid") == "acme/P1: 3500.00 paid"
