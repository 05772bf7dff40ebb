"""Steps for features/reporting: reports on the hand-checked ledger (both database backends)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import Engine

from ledger.storage.db import unit_of_work
from ledger.storage.keys import local_of
from reporting.commissioner import commissioner_report
from reporting.provider import provider_report
from reporting.write_text import write_csv, write_json
from reporting.write_xlsx import write_xlsx
from tests.integration.test_reports_world import CONTRACT, build_ledger

pytestmark = pytest.mark.usefixtures("world")

# the reporting features of their own step modules (e.g. test_insight_reports.py) are not these
scenarios("reporting/commissioner_report.feature", "reporting/provider_report.feature")

PROVIDERS = {"North Care": "north-care", "South Care": "south-care"}


@dataclass
class World:
    engine: Engine
    folder: Path
    files: list[Path] = field(default_factory=list)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> World:
    return World(engine, tmp_path)


@given("the accommodation contract has been reconciled for 2015-Q1 and 2015-Q2")
def reconciled(world: World) -> None:
    build_ledger(world.engine, world.folder / "ledger")


@when(parsers.parse("the council downloads its payment report for {period} as a workbook"))
def download_workbook(world: World, period: str) -> None:
    out = world.folder / "payment.xlsx"
    with unit_of_work(world.engine) as session:
        made = commissioner_report(session, CONTRACT, period, "council")
    write_xlsx(made, out)
    world.files.append(out)
    text = io.StringIO()
    write_json(made, text)
    world.tables = json.loads(text.getvalue())["tables"]


@when(parsers.parse("the council downloads its payment report for {period} as csv twice"))
def download_csv_twice(world: World, period: str) -> None:
    for copy in (1, 2):
        out = world.folder / f"payment-{copy}.csv"
        with unit_of_work(world.engine) as session, out.open("w", newline="") as handle:
            write_csv(commissioner_report(session, CONTRACT, period, "council"), handle)
        world.files.append(out)


@when(parsers.parse("{provider}'s service manager downloads the progress report for {period}"))
def download_progress(world: World, provider: str, period: str) -> None:
    with unit_of_work(world.engine) as session:
        made = provider_report(session, CONTRACT, period, PROVIDERS[provider])
    text = io.StringIO()
    write_json(made, text)
    world.tables = json.loads(text.getvalue())["tables"]


@then(parsers.parse("the workbook has the sheets {names}"))
def has_sheets(world: World, names: str) -> None:
    expected = [n.strip() for n in names.replace(" and ", ", ").split(",")]
    assert load_workbook(world.files[-1]).sheetnames == expected


@then(parsers.parse("the lines add up to the claim of {amount}"))
def lines_add_up(world: World, amount: str) -> None:
    sheet = load_workbook(world.files[-1])["Lines"]
    header = [c.value for c in sheet[1]]
    column = header.index("amount") + 1
    total = sum(Decimal(str(sheet.cell(row, column).value)) for row in range(2, sheet.max_row + 1))
    claim = {r["item"]: r["amount"] for r in world.tables["summary"]}["Claim this period"]
    assert total == Decimal(claim) == Decimal(amount)


@then("the summary shows:")
def summary_shows(world: World, datatable: list[list[str]]) -> None:
    summary = {r["item"]: r["amount"] for r in world.tables["summary"]}
    for item, amount in datatable[1:]:
        assert summary[item] == amount, item


@then("every amount is shown in pounds")
def in_pounds(world: World) -> None:
    sheet = load_workbook(world.files[-1])["Lines"]
    header = [c.value for c in sheet[1]]
    for name in ("amount", "tariff"):
        column = header.index(name) + 1
        formats = {sheet.cell(row, column).number_format for row in range(2, sheet.max_row + 1)}
        assert formats == {'"£"#,##0.00'}


@then(
    parsers.parse(
        "the line for {participant}'s {metric} is an adjustment of {amount} correcting {period}"
    )
)
def adjustment_line(world: World, participant: str, metric: str, amount: str, period: str) -> None:
    # a commissioner's report names each participant by its ledger key, provider first
    (line,) = [
        r
        for r in world.tables["lines"]
        if local_of(r["participant_id"]) == participant and r["metric"] == metric
    ]
    assert line["participant_id"] == f"{line['provider']}/{participant}"
    assert (line["kind"], line["amount"], line["corrects_period"]) == (
        "adjustment",
        amount,
        period,
    )
    assert line["reason"]  # says why: what is owed now against what was posted


@then("the report lists as not payable:")
def not_payable(world: World, datatable: list[list[str]]) -> None:
    # each evidence row by its ledger key: its participant's provider, then the provider's id
    rows = world.tables["not_payable"]
    got = [[local_of(r["evidence_id"]), r["reason"]] for r in rows]
    assert got == datatable[1:]
    assert all(r["evidence_id"].startswith(f"{r['provider']}/") for r in rows)


@then("the two files are identical")
def identical(world: World) -> None:
    first, second = (path.read_bytes() for path in world.files[-2:])
    assert first == second
    rows = list(csv.DictReader(io.StringIO(first.decode())))
    assert rows  # the lines, not an empty file


@then(parsers.parse('the report flags "{name}" at {value}'))
def flags(world: World, name: str, value: str) -> None:
    assert [(r["flag"], r["value"]) for r in world.tables["flags"]] == [(name, value)]


@then("the report lists these deadlines:")
def deadlines(world: World, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    got = [[str(r[column]) for column in header] for r in world.tables["deadlines"]]
    assert got == rows


@then(
    parsers.parse("it says {participant}'s 3-month sustainment was due on {day} and never claimed")
)
def unclaimed(world: World, participant: str, day: str) -> None:
    rows = world.tables["likely_unclaimed"]
    assert [(r["participant_id"], r["metric"], r["expected_by"]) for r in rows] == [
        (participant, "sustained_3m", day)
    ]


@then(parsers.parse("no participant of {provider} appears anywhere in it"))
def nobody_else(world: World, provider: str) -> None:
    text = json.dumps(world.tables)
    assert provider == "South Care"
    # neither South Care's own ids nor its ledger keys (south-care/P5) appear
    assert "P5" not in text and "P6" not in text and PROVIDERS[provider] not in text
    assert '"P1"' in text  # the report is not simply empty, and speaks North Care's own ids
