"""Steps for features/ledger: the ledger's own services on a real database (both backends)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import Engine, select
from sqlmodel import col

from contract_specs.model import from_minor
from ledger.domain.entitlement import compute_entitlement
from ledger.services.contracts import ActiveSpec
from ledger.services.enrolment import import_participants
from ledger.services.evidence import import_evidence
from ledger.services.explain import explain_participant, render
from ledger.services.facts import load_facts
from ledger.services.ids import participant_named
from ledger.services.postings import post_entitlement
from ledger.services.verification import import_decisions
from ledger.storage import keys
from ledger.storage.db import unit_of_work
from ledger.storage.tables import Evidence, Posting

# requested up front so that every scenario runs once per database backend
pytestmark = pytest.mark.usefixtures("world")

scenarios("ledger/payments.feature")

CONTRACT = "dwp-test"
EVIDENCE_HEADER = "evidence_id,participant_id,metric,achieved_on,evidence_type,quantity,reference"


@dataclass
class World:
    """What a scenario has done so far: a clock that moves forward with every step."""

    engine: Engine
    active: ActiveSpec
    folder: Path
    clock: datetime
    files: int = 0
    runs: list[str] = field(default_factory=list)

    def tick(self) -> datetime:
        self.clock += timedelta(hours=1)
        return self.clock

    def file(self, lines: list[str]) -> Path:
        self.files += 1
        path = self.folder / f"upload-{self.files}.csv"
        path.write_text("\n".join(lines) + "\n")
        return path


def table_lines(datatable: list[list[str]]) -> list[str]:
    return [",".join(row) for row in datatable]


@pytest.fixture
def world(engine: Engine, active: ActiveSpec, tmp_path: Path, now: datetime) -> World:
    return World(engine, active, tmp_path, now)


@given("the Innovation Fund test contract is in force")
def contract_in_force(world: World) -> None:
    assert world.active.spec.contract.id == CONTRACT


@given("these young people are enrolled:")
def enrolled(world: World, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    lines = [",".join(["cohort", "provider", *header])]
    lines += [",".join(["c1", "acme", *row]) for row in rows]
    with unit_of_work(world.engine) as session:
        import_participants(
            session, CONTRACT, world.active, world.file(lines), actor="acme", now=world.tick()
        )


@given(parsers.parse("it is {day}"))
def it_is(world: World, day: str) -> None:
    # evidence is sent once the outcome is achieved: the clock moves to the day given
    world.clock = datetime.fromisoformat(day).replace(tzinfo=world.clock.tzinfo)


@given("the provider sends this evidence and it is verified:")
def evidence_verified(world: World, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    full = EVIDENCE_HEADER.split(",")
    lines = [EVIDENCE_HEADER]
    for row in rows:
        values = dict(zip(header, row, strict=True))
        lines.append(",".join(values.get(column, "") for column in full))
    with unit_of_work(world.engine) as session:
        import_evidence(
            session, CONTRACT, world.active, world.file(lines), actor="acme", now=world.tick()
        )
    decisions = ["evidence_id,decision,reason"] + [f"{row[0]},verified," for row in rows]
    with unit_of_work(world.engine) as session:
        import_decisions(
            session, CONTRACT, world.file(decisions), actor="verifier", now=world.tick()
        )


@when(parsers.parse('the verifier revokes {evidence_id} because "{reason}"'))
def revoke(world: World, evidence_id: str, reason: str) -> None:
    lines = ["evidence_id,decision,reason", f"{evidence_id},revoked,{reason}"]
    with unit_of_work(world.engine) as session:
        import_decisions(session, CONTRACT, world.file(lines), actor="verifier", now=world.tick())


@when(parsers.parse("the quarter {period} is reconciled"))
def reconcile(world: World, period: str) -> None:
    at = world.tick()
    run = f"run-{len(world.runs) + 1}"
    world.runs.append(run)
    with unit_of_work(world.engine) as session:
        post_entitlement(session, CONTRACT, period, at, run, now=at)


def _participant(world: World, named: str) -> str:
    """The ledger key of a participant the scenario names by its provider's own id, resolved
    as the intermediary's CLI resolves it (one provider has it)."""
    with unit_of_work(world.engine) as session:
        return participant_named(session, CONTRACT, named)


def _evidence(world: World, named: str) -> str:
    """The ledger key of evidence the scenario names by its provider's own id."""
    with unit_of_work(world.engine) as session:
        stored = pa.array(
            session.scalars(select(col(Evidence.evidence_id))).all(), pa.large_string()
        )
    found = keys.resolve(pd.Series([named], dtype="str"), None, stored)
    assert found.at[0] >= 0, f"no evidence {named}"
    return str(found.keys.iloc[0])


def _postings(world: World) -> list[Posting]:
    with unit_of_work(world.engine) as session:
        return list(session.scalars(select(Posting).order_by(col(Posting.id))).all())


@then(parsers.parse("{participant} has been paid {amount} in all"))
def paid_in_all(world: World, participant: str, amount: str) -> None:
    exponent = world.active.spec.contract.exponent
    key = _participant(world, participant)
    total = sum(p.amount for p in _postings(world) if p.participant_id == key)
    assert from_minor(total, exponent) == Decimal(amount)


@then(parsers.parse("the quarter {period} holds these postings:"))
def quarter_holds(world: World, period: str, datatable: list[list[str]]) -> None:
    _holds(world, period, None, datatable)


@then(parsers.parse("the quarter {period} holds these postings for {metric}:"))
def quarter_holds_for(world: World, period: str, metric: str, datatable: list[list[str]]) -> None:
    _holds(world, period, metric, datatable)


def _holds(world: World, period: str, metric: str | None, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    if "participant_id" in header:
        at = header.index("participant_id")
        rows = [[*r[:at], _participant(world, r[at]), *r[at + 1 :]] for r in rows]
    exponent = world.active.spec.contract.exponent
    actual = sorted(
        tuple(
            str(from_minor(p.amount, exponent)) if column == "amount" else str(getattr(p, column))
            for column in header
        )
        for p in _postings(world)
        if p.period == period and (metric is None or p.metric == metric)
    )
    assert actual == sorted(tuple(row) for row in rows)


@then(parsers.parse('evidence {evidence_id} is not paid because "{reason}"'))
def not_paid(world: World, evidence_id: str, reason: str) -> None:
    with unit_of_work(world.engine) as session:
        facts = load_facts(session, CONTRACT, world.clock, world.active.spec)
    frame = compute_entitlement(world.active.spec, facts).not_payable
    reasons = list(frame.loc[frame["evidence_id"] == _evidence(world, evidence_id), "reason"])
    assert reasons == [reason]


@then(parsers.parse('the explanation for {participant} says "{text}"'))
def explanation_says(world: World, participant: str, text: str) -> None:
    with unit_of_work(world.engine) as session:
        key = participant_named(session, CONTRACT, participant)
        story = explain_participant(session, CONTRACT, key, world.clock)
    assert any(text in line for line in render(story)), render(story)
