"""Steps for features/reporting: reports on the hand-checked ledger (both database backends)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import Engine, select
from sqlmodel import col

from ledger.storage.db import unit_of_work
from ledger.storage.keys import local_of
from ledger.storage.tables import Participant
from reporting.commissioner import commissioner_report
from reporting.provider import provider_report
from reporting.write_text import write_csv, write_json
from reporting.write_xlsx import write_xlsx
from tests.integration.test_reports_world import CONTRACT, build_ledger
from tests.read_back import money, sheet_rows

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
    reader: str = ""  # the provider whose report `tables` holds

    def sheet(self, title: str) -> list[dict[str, object]]:
        """A sheet of the workbook downloaded last, read as the council reads it."""
        return sheet_rows(self.files[-1], title)


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
    world.reader = provider
    text = io.StringIO()
    write_json(made, text)
    world.tables = json.loads(text.getvalue())["tables"]


@then(parsers.parse("the workbook has the sheets {names}"))
def has_sheets(world: World, names: str) -> None:
    expected = [n.strip() for n in names.replace(" and ", ", ").split(",")]
    assert load_workbook(world.files[-1]).sheetnames == expected


@then(parsers.parse("the lines add up to the claim of {amount}"))
def lines_add_up(world: World, amount: str) -> None:
    total = sum((money(line["amount"]) for line in world.sheet("Lines")), Decimal(0))
    claim = {r["item"]: r["amount"] for r in world.sheet("Summary")}["Claim this period"]
    assert total == money(claim) == Decimal(amount)


@then("the summary shows:")
def summary_shows(world: World, datatable: list[list[str]]) -> None:
    summary = {r["item"]: r["amount"] for r in world.sheet("Summary")}
    for item, amount in datatable[1:]:
        assert money(summary[item]) == Decimal(amount), item


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
        for r in world.sheet("Lines")
        if local_of(str(r["participant_id"])) == participant and r["metric"] == metric
    ]
    assert line["participant_id"] == f"{line['provider']}/{participant}"
    assert (line["kind"], money(line["amount"]), line["corrects_period"]) == (
        "adjustment",
        Decimal(amount),
        period,
    )
    assert line["reason"]  # says why: what is owed now against what was posted


@then("the report lists as not payable:")
def not_payable(world: World, datatable: list[list[str]]) -> None:
    # each evidence row by its ledger key: its participant's provider, then the provider's id
    rows = world.sheet("Not payable")
    got = [[local_of(str(r["evidence_id"])), r["reason"]] for r in rows]
    assert got == datatable[1:]
    assert all(str(r["evidence_id"]).startswith(f"{r['provider']}/") for r in rows)


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
    theirs, own = _enrolled_by(world, PROVIDERS[provider]), _enrolled_by(world, world.reader)
    assert theirs and provider != world.reader
    shown = set(_cells(world.tables))
    # neither the other provider's own ids nor its ledger keys (south-care/P5) nor its name
    hidden = {local_of(key) for key in theirs} - {local_of(key) for key in own}
    assert not shown & (hidden | theirs | {PROVIDERS[provider], provider})
    # the report is not simply empty: it speaks of the reader's participants by their own ids
    assert shown & {local_of(key) for key in own}


def _enrolled_by(world: World, provider: str) -> set[str]:
    """The ledger keys of the participants a provider (named or by id) enrolled."""
    party = PROVIDERS.get(provider, provider)
    with unit_of_work(world.engine) as session:
        found = session.scalars(
            select(col(Participant.participant_id)).where(col(Participant.provider) == party)
        )
        return set(found)


def _cells(tables: dict[str, list[dict[str, Any]]]) -> Iterator[str]:
    for rows in tables.values():
        for row in rows:
            yield from (str(value) for value in row.values())
