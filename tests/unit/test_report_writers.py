"""The text writers on a hand-made report: exact money in the currency's decimals, empty cells,
dates, and one json document holding the cover and every table."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from reporting.report import Column, Kind, Report, Table, percent
from reporting.write_text import write_csv, write_json

COLUMNS = (
    Column("who"),
    Column("amount", Kind.MONEY),
    Column("on", Kind.DATE),
    Column("count", Kind.INTEGER),
    Column("share", Kind.PERCENT),
    Column("late", Kind.BOOLEAN),
)


def report(currency: str = "GBP", exponent: int = 2) -> Report:
    frame = pd.DataFrame(
        [
            ("P1", 150000, pd.Timestamp("2015-03-01"), 3, "66.7", True),
            ("P2", -40001, date(2015, 4, 1), None, None, False),
            ("P3", None, pd.NaT, pd.NA, "", None),
        ],
        columns=[c.name for c in COLUMNS],
        dtype="object",
    )
    table = Table("lines", "Lines", COLUMNS, frame)
    other = Table("empty", "Empty", (Column("x"),), pd.DataFrame({"x": []}, dtype="object"))
    return Report(
        "commissioner", "T", "c", "C", currency, exponent, "2015-Q1",
        datetime(2015, 4, 5, 9, tzinfo=UTC), 2, (("Report", "what"),), (table, other), "lines",
    )  # fmt: skip


def test_csv_holds_the_main_table_with_exact_money() -> None:
    out = io.StringIO()
    assert write_csv(report(), out) == 3
    assert out.getvalue().splitlines() == [
        "who,amount,on,count,share,late",
        "P1,1500.00,2015-03-01,3,66.7,true",
        "P2,-400.01,2015-04-01,,,false",
        "P3,,,,,",
    ]


def test_money_follows_the_currency_exponent() -> None:
    out = io.StringIO()
    write_csv(report("JPY", 0), out)
    assert out.getvalue().splitlines()[1].split(",")[1] == "150000"


def test_json_is_one_document_with_cover_and_every_table() -> None:
    out = io.StringIO()
    write_json(report(), out)
    doc = json.loads(out.getvalue())
    assert (doc["report"], doc["cut_off"], doc["spec_version"]) == (
        "commissioner",
        "2015-04-05T09:00:00+00:00",
        2,
    )
    assert doc["cover"] == {"Report": "what"}
    assert doc["tables"]["empty"] == []
    assert doc["tables"]["lines"][1] == {
        "who": "P2",
        "amount": "-400.01",
        "on": "2015-04-01",
        "count": None,
        "share": None,
        "late": False,
    }


@pytest.mark.parametrize(
    ("part", "whole", "text"),
    [(2, 3, "66.7"), (1, 3, "33.3"), (1, 8, "12.5"), (1, 16, "6.3"), (0, 5, "0.0"), (1, 0, "")],
)
def test_percentages_are_exact_and_round_half_up(part: int, whole: int, text: str) -> None:
    assert percent(part, whole) == text
