"""Steps for features/security/formulas.feature: hostile text in the council's payment report
(tests/integration/hostile_world.py's ledger, on both database backends)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import Engine

from ledger.storage.db import make_engine, unit_of_work
from reporting.commissioner import commissioner_report
from reporting.payment_lines import LINE_COLUMNS
from reporting.report import Kind
from reporting.write_text import write_csv
from reporting.write_xlsx import write_xlsx
from tests.integration.hostile_world import build_hostile_ledger, shown
from tests.integration.test_reports_world import CONTRACT
from tests.read_back import FORMULA_STARTS

pytestmark = pytest.mark.usefixtures("world")

scenarios("security/formulas.feature")

TEXT_COLUMNS = {c.name for c in LINE_COLUMNS if c.kind is Kind.TEXT}


@dataclass
class World:
    engine: Engine
    url: str
    folder: Path
    workbook: Path | None = None
    csv_rows: list[dict[str, str]] = field(default_factory=list)
    expected: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def world(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[World]:
    made = World(engine, db_url, tmp_path)
    yield made
    if made.engine is not engine:
        made.engine.dispose()


def _sheet(path: Path, title: str) -> list[dict[str, Any]]:
    """A sheet's rows by its header, each value with its cell type: (value, data_type)."""
    rows = list(load_workbook(path)[title].iter_rows())
    header = [c.value for c in rows[0]]
    return [
        {h: (c.value, c.data_type) for h, c in zip(header, row, strict=True)} for row in rows[1:]
    ]


@given("the accommodation contract has been reconciled for 2015-Q1 and 2015-Q2")
def reconciled(world: World) -> None:
    build_hostile_ledger(world.engine, world.url, world.folder / "ledger")
    # what the building engine kept (ledger.memo) was read before the ledger was aged: the
    # council's reports are read through an engine of their own, as a fresh process would
    world.engine = make_engine(world.url)


@given(parsers.parse("a provider's participant id stored before ids were checked is {value}"))
def stored_id(world: World, value: str) -> None:
    assert shown("XPIDQ1") == value  # the aged ledger holds it
    world.expected["participant_id"] = value


@given(parsers.parse("North Care sent evidence whose reference is {value}"))
def sent_reference(world: World, value: str) -> None:
    assert shown("LL-E2") == value  # sent through the intake as it is
    world.expected["reference"] = value


@given("an evidence id stored before control characters were refused holds a vertical tab")
def stored_control(world: World) -> None:
    assert "\x0b" in shown("XEVQ8")
    world.expected["evidence_id"] = shown("XEVQ8")


@when(parsers.parse("the council downloads its payment report for {period} as a workbook"))
def download_workbook(world: World, period: str) -> None:
    world.workbook = world.folder / "payment.xlsx"
    with unit_of_work(world.engine) as session:
        made = commissioner_report(session, CONTRACT, period, "council")
    write_xlsx(made, world.workbook)


@when(parsers.parse("the council downloads its payment report for {period} as csv"))
def download_csv(world: World, period: str) -> None:
    out = io.StringIO(newline="")
    with unit_of_work(world.engine) as session:
        write_csv(commissioner_report(session, CONTRACT, period, "council"), out)
    world.csv_rows = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))


@then("no cell of the workbook is a formula")
def no_formula(world: World) -> None:
    assert world.workbook is not None
    types = {
        c.data_type
        for sheet in load_workbook(world.workbook).worksheets
        for row in sheet.iter_rows()
        for c in row
        if c.value is not None
    }
    assert "f" not in types and "e" not in types


@then(parsers.parse("the lines show the participant id {value} as text"))
def id_as_text(world: World, value: str) -> None:
    assert world.workbook is not None
    assert (value, "s") in [row["participant_id"] for row in _sheet(world.workbook, "Lines")]


@then(parsers.parse("the lines show the reference {value} as text"))
def reference_as_text(world: World, value: str) -> None:
    assert world.workbook is not None
    assert (value, "s") in [row["evidence_references"] for row in _sheet(world.workbook, "Lines")]


@then("no cell of the csv file starts with = + - @ a tab or a carriage return")
def csv_starts_no_formula(world: World) -> None:
    assert world.csv_rows
    for row in world.csv_rows:
        for name in TEXT_COLUMNS:
            assert not row[name].startswith(FORMULA_STARTS), (name, row[name])


@then(parsers.parse("the reference reads {value} with one apostrophe in front"))
def apostrophe(world: World, value: str) -> None:
    assert value == "'" + shown("LL-E2")
    assert value in {row["evidence_references"] for row in world.csv_rows}


@then(parsers.parse("the amounts are plain numbers, the adjustment {amount} included"))
def plain_numbers(world: World, amount: str) -> None:
    amounts = [row["amount"] for row in world.csv_rows]
    assert amount in amounts
    assert all(a.lstrip("-").replace(".", "").isdigit() for a in amounts)


@then(
    parsers.parse(
        "the not payable sheet shows that evidence id with the vertical tab drawn as {picture}"
    )
)
def control_drawn(world: World, picture: str) -> None:
    assert world.workbook is not None
    drawn = world.expected["evidence_id"].replace("\x0b", picture)
    shown_ids = [row["evidence_id"] for row in _sheet(world.workbook, "Not payable")]
    # the commissioner reads evidence by its ledger key, <provider>/<local id>
    assert any(t == "s" and v.endswith("/" + drawn) for v, t in shown_ids), shown_ids
