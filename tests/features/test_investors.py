"""Step definitions for features/investors: the Peterborough investors, through the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import Engine

from contract_specs.model import add_months, from_minor
from ledger.domain.errors import RejectedUpload
from ledger.services.cash import distribute, import_cash
from ledger.services.contracts import ActiveSpec, active_spec, load_spec_file
from ledger.services.results import import_results
from ledger.storage.db import unit_of_work
from reporting.investor import investor_report
from reporting.report import Report

pytestmark = pytest.mark.usefixtures("world")

scenarios("investors")

CONTRACT = "peterborough"
SPEC = Path(__file__).parents[2] / "contract_specs" / "examples" / "peterborough.yaml"
RESULTS = "result_id,metric,cohort,observed,comparison,units,evaluated_on,reference"
CASH = "date,kind,tranche,party,amount,reference"


@dataclass
class World:
    engine: Engine
    folder: Path
    clock: datetime
    active: ActiveSpec | None = None
    files: int = 0
    refused: RejectedUpload | None = None

    def tick(self) -> datetime:
        self.clock += timedelta(hours=1)
        return self.clock

    def file(self, lines: list[str]) -> Path:
        self.files += 1
        path = self.folder / f"upload-{self.files}.csv"
        path.write_text("\n".join(lines) + "\n")
        return path

    def spec(self) -> ActiveSpec:
        assert self.active is not None
        return self.active

    def cash(self, lines: list[str]) -> None:
        with unit_of_work(self.engine) as session:
            import_cash(
                session, CONTRACT, self.spec(), self.file([CASH, *lines]), actor="sf",
                now=self.tick(),
            )  # fmt: skip

    def results(self, lines: list[str]) -> None:
        with unit_of_work(self.engine) as session:
            import_results(
                session, CONTRACT, self.spec(), self.file([RESULTS, *lines]), actor="assessor",
                now=self.tick(),
            )  # fmt: skip

    def report(self, period: str) -> Report:
        with unit_of_work(self.engine) as session:
            # the clock of this world is in 2016: the default cut-off (the period end) sees all
            return investor_report(session, CONTRACT, period)


def rows(report: Report, table: str) -> list[dict[str, object]]:
    records: list[dict[str, object]] = report.table(table).frame.to_dict("records")
    return records


def money(minor: object) -> Decimal:
    return from_minor(int(Decimal(str(minor))), 2)  # an int64 cell, or a float one beside a gap


@pytest.fixture
def world(engine: Engine, tmp_path: Path, now: datetime) -> World:
    return World(engine, tmp_path, now)


@given("the Peterborough contract is in force")
def in_force(world: World) -> None:
    with unit_of_work(world.engine) as session:
        load_spec_file(session, SPEC, actor="sf", now=world.tick())
        world.active = active_spec(session, CONTRACT)


@given(
    parsers.parse(
        "the foundations' capital of {amount} was drawn every quarter from {first}, {times:d} times"
    )
)
def drawn(world: World, amount: str, first: str, times: int) -> None:
    start = date.fromisoformat(first)
    world.cash(
        [
            f"{add_months(start, 3 * i)},capital_drawn,foundations,,{amount},DRAW-{i}"
            for i in range(times)
        ]
    )


@given(parsers.parse("every quarter {fee} paid the One Service and {cost} paid costs"))
def spent(world: World, fee: str, cost: str) -> None:
    start = date(2010, 10, 1)
    lines = []
    for i in range(20):
        day = add_months(start, 3 * i)
        lines.append(f"{day},service_fee,,one-service,{fee},FEE-{i}")
        lines.append(f"{day},cost,,,{cost},COST-{i}")
    world.cash(lines)


@given("the evaluator reports these results:")
def cohort_results(world: World, datatable: list[list[str]]) -> None:
    _, *table = datatable
    world.results([",".join([*row, "2016-07-27", "result"]) for row in table])


POOLED = (
    "the evaluator reports a pooled result of {observed} against {comparison} over {units:d} men"
)


@given(parsers.parse(POOLED))
def pooled(world: World, observed: str, comparison: str, units: int) -> None:
    world.results(
        [f"R3,reconviction_events_pooled,pool,{observed},{comparison},{units},2017-07-27,final"]
    )


@given(parsers.parse("the Ministry of Justice paid {amount} on {day}"))
def paid(world: World, amount: str, day: str) -> None:
    world.cash([f"{day},outcome_income,,moj,{amount},MOJ-{day}"])


@when(parsers.parse("the vehicle distributes its cash on {day}"))
def distributes(world: World, day: str) -> None:
    with unit_of_work(world.engine) as session:
        distribute(
            session, CONTRACT, world.spec(), date.fromisoformat(day), actor="sf", now=world.tick()
        )


@when("the intermediary imports this cash file:")
def imports(world: World, datatable: list[list[str]]) -> None:
    try:
        world.cash([",".join(row) for row in datatable[1:]])
    except RejectedUpload as refused:
        world.refused = refused


@then(parsers.parse('the file is refused because row {row:d} names tranche "{name}"'))
def refused(world: World, row: int, name: str) -> None:
    assert world.refused is not None
    assert [(e.row, e.column) for e in world.refused.errors] == [(row, "tranche")]


@then(
    parsers.parse(
        "the investor report for {period} shows {amount} of capital returned to the foundations"
    )
)
def capital_returned(world: World, period: str, amount: str) -> None:
    (row,) = rows(world.report(period), "capital")
    assert money(row["capital_returned"]) == Decimal(amount)
    assert row["capital_outstanding"] == 0


@then(parsers.parse("the investor report for {period} shows {amount} drawn"))
def drawn_so_far(world: World, period: str, amount: str) -> None:
    (row,) = rows(world.report(period), "capital")
    assert money(row["drawn"]) == Decimal(amount)


@then(parsers.parse("the investors earned between {low:g}% and {high:g}% a year"))
def earned(world: World, low: float, high: float) -> None:
    overall = rows(world.report("2017-Q3"), "returns")[-1]
    assert low <= float(str(overall["irr_percent"])) <= high


@then("nothing more is owed by the Ministry of Justice")
def nothing_owed(world: World) -> None:
    assert {row["owed"] for row in rows(world.report("2017-Q3"), "forecast")} == {0}


@then(parsers.parse("the investor report for {period} shows no outcome income"))
def no_income(world: World, period: str) -> None:
    assert rows(world.report(period), "income") == []


@then(parsers.parse("the investors lost {amount} with a negative return"))
def lost(world: World, amount: str) -> None:
    overall = rows(world.report("2017-Q3"), "returns")[-1]
    assert money(overall["gain"]) == -Decimal(amount)
    assert float(str(overall["irr_percent"])) < 0
