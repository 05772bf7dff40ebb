"""The workbooks: sheets, number formats, frozen headers, filters, defined names, charts, and the
same bytes from the same ledger."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine

from ledger.storage.db import unit_of_work
from reporting.commissioner import commissioner_report
from reporting.provider import provider_report
from reporting.write_xlsx import money_format, write_xlsx
from tests.integration.test_reports_world import CONTRACT, build_ledger


@pytest.fixture
def ledger(engine: Engine, tmp_path: Path) -> Engine:
    build_ledger(engine, tmp_path / "ledger")
    return engine


def commissioner_book(engine: Engine, out: Path) -> Path:
    with unit_of_work(engine) as session:
        write_xlsx(commissioner_report(session, CONTRACT, "2015-Q2", "council"), out)
    return out


def test_the_commissioner_workbook(ledger: Engine, tmp_path: Path) -> None:
    book = load_workbook(commissioner_book(ledger, tmp_path / "c.xlsx"))
    assert book.sheetnames == [
        "Cover",
        "Summary",
        "Lines",
        "Not payable",
        "Money received",
        "Payments by period",
    ]
    cover = [row for row in book["Cover"].iter_rows(values_only=True) if row and row[0]]
    labels = {row[0]: row[1] for row in cover if len(row) > 1}
    assert labels["Spec version"].startswith("1")
    assert labels["Cut-off"].startswith("2015-07-05 09:00:00")
    lines = book["Lines"]
    header = [c.value for c in lines[1]]
    amount = header.index("amount") + 1
    values = [lines.cell(row, amount) for row in range(2, lines.max_row + 1)]
    assert sum(Decimal(str(c.value)) for c in values) == Decimal("2000")
    assert {c.number_format for c in values} == {'"£"#,##0.00'}
    for name in ("Lines", "Summary", "Not payable"):
        assert book[name].freeze_panes == "A2"
        assert book[name].auto_filter.ref.startswith("A1:")
    assert lines.auto_filter.ref == f"A1:P{lines.max_row}"  # 16 line columns
    assert book.defined_names["lines"].attr_text == f"'Lines'!$A$1:$P${lines.max_row}"
    assert set(book.defined_names) >= {"summary", "lines", "not_payable", "received"}
    assert lines.column_dimensions["A"].width >= len("posting_id")
    charts = book["Payments by period"]._charts
    assert len(charts) == 1 and charts[0].tagname == "lineChart"


def test_the_provider_workbook_has_its_charts(ledger: Engine, tmp_path: Path) -> None:
    out = tmp_path / "p.xlsx"
    with unit_of_work(ledger) as session:
        write_xlsx(provider_report(session, CONTRACT, "2015-Q2", "north-care"), out)
    book = load_workbook(out)
    assert [c.tagname for c in book["Funnel"]._charts] == ["barChart"]
    assert [c.tagname for c in book["Progress"]._charts] == ["barChart"]
    progress = book["Progress"]
    header = [c.value for c in progress[1]]
    rate = progress.cell(2, header.index("achieved_of_target") + 1)
    assert (Decimal(str(rate.value)), rate.number_format) == (Decimal("0.5"), "0.0%")


def test_the_same_ledger_gives_the_same_workbook_bytes(ledger: Engine, tmp_path: Path) -> None:
    first = commissioner_book(ledger, tmp_path / "one.xlsx").read_bytes()
    second = commissioner_book(ledger, tmp_path / "two.xlsx").read_bytes()
    assert first == second
    assert load_workbook(tmp_path / "one.xlsx").properties.modified.year == 2015


@pytest.mark.parametrize(
    ("currency", "exponent", "expected"),
    [
        ("GBP", 2, '"£"#,##0.00'),
        ("EUR", 2, '"€"#,##0.00'),
        ("JPY", 0, '"¥"#,##0'),
        ("SEK", 2, '#,##0.00 "SEK"'),
    ],
)
def test_money_formats_follow_the_currency(currency: str, exponent: int, expected: str) -> None:
    assert money_format(currency, exponent) == expected


@pytest.mark.parametrize("kind", ["commissioner", "provider"])
def test_every_sheet_prints_as_a_reader_would_want(
    ledger: Engine, tmp_path: Path, kind: str
) -> None:
    out = tmp_path / f"{kind}.xlsx"
    with unit_of_work(ledger) as session:
        report = (
            commissioner_report(session, CONTRACT, "2015-Q2", "council")
            if kind == "commissioner"
            else provider_report(session, CONTRACT, "2015-Q2", "north-care")
        )
    write_xlsx(report, out)
    book = load_workbook(out)
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert (setup.orientation, setup.paperSize) == ("landscape", 9), sheet.title  # A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), sheet.title
        assert sheet.oddFooter.center.text.endswith("page &P of &N"), sheet.title
        assert report.title.replace("&", "&&") in sheet.oddFooter.center.text
        if sheet.title != "Cover":
            assert sheet.print_title_rows == "$1:$1", sheet.title  # the header on every page
    assert book["Cover"].print_area == "'Cover'!$A$1:$B$" + str(book["Cover"].max_row)
