"""Steps for features/reconciliation: quarter ends on a real database (both backends)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import Engine

from contract_specs.model import ContractSpec, from_minor
from ledger.services.contracts import ActiveSpec
from ledger.storage.db import unit_of_work
from reconciliation.claims import load_claims
from reconciliation.errors import ReconciliationError
from reconciliation.matching import Status
from reconciliation.remittances import import_remittances, load_remittances
from reconciliation.runs import RunReport, reconcile
from reconciliation.status import current_matching, period_bridge
from tests.integration.test_reconciliation_rerun import assert_same_report, reused_from
from tests.integration.test_reconciliation_runs import World, at

pytestmark = pytest.mark.usefixtures("quarter")

scenarios("reconciliation")

CONTRACT = "dwp-test"


@dataclass
class Quarter:
    """What the intermediary has done so far in a scenario."""

    world: World
    spec: ContractSpec
    runs: list[RunReport] = field(default_factory=list)
    refused: ReconciliationError | None = None


@pytest.fixture
def quarter(engine: Engine, active: ActiveSpec, tmp_path: Path) -> Quarter:
    return Quarter(World(engine, active, tmp_path), active.spec)


def rows(datatable: list[list[str]]) -> list[dict[str, str]]:
    header, *body = datatable
    return [dict(zip(header, row, strict=True)) for row in body]


def money(minor: int) -> str:
    return str(from_minor(minor, 2))


@given("the Innovation Fund test contract is in force")
def contract_in_force(quarter: Quarter) -> None:
    assert quarter.spec.contract.id == CONTRACT


@given("these young people are enrolled:")
def enrolled(quarter: Quarter, datatable: list[list[str]]) -> None:
    quarter.world.enrol(
        "".join(
            f"{r['participant_id']},c1,acme,{r['start_date']},{r['date_of_birth']}\n"
            for r in rows(datatable)
        )
    )


@given(parsers.parse("the provider sent this evidence on {day} and it was verified:"))
def evidence_verified(quarter: Quarter, day: str, datatable: list[list[str]]) -> None:
    found = rows(datatable)
    quarter.world.evidence(
        "".join(
            f"{r['evidence_id']},{r['participant_id']},{r['metric']},{r['achieved_on']},"
            f"{r['evidence_type']},,\n"
            for r in found
        ),
        when=day,
    )
    quarter.world.decide("".join(f"{r['evidence_id']},verified,\n" for r in found), when=day)


def _reconcile(quarter: Quarter, period: str, day: str, close: bool) -> None:
    try:
        quarter.runs.append(quarter.world.reconcile(period, when=day, close=close))
    except ReconciliationError as refused:
        quarter.refused = refused


@given(parsers.parse("the intermediary reconciles and closes {period} on {day}"))
def reconcile_and_close(quarter: Quarter, period: str, day: str) -> None:
    _reconcile(quarter, period, day, close=True)


@when(parsers.parse("the intermediary reconciles {period} on {day}"))
def reconcile_period(quarter: Quarter, period: str, day: str) -> None:
    _reconcile(quarter, period, day, close=False)


def _pay(quarter: Quarter, lines: list[str]) -> None:
    path = quarter.world.folder / f"remittances-{len(quarter.runs)}.csv"
    path.write_text("payer,amount,date,reference\n" + "".join(lines))
    with unit_of_work(quarter.world.engine) as session:
        import_remittances(
            session, CONTRACT, quarter.spec, path, actor="finance", now=at("2016-01-01")
        )


@when("the payers pay, quoting the claim references:")
def pay_quoting_claims(quarter: Quarter, datatable: list[list[str]]) -> None:
    last = quarter.runs[-1]
    with unit_of_work(quarter.world.engine) as session:
        reference = {c.payer: c.reference for c in load_claims(session, CONTRACT, last.period)}
    _pay(
        quarter,
        [
            f"{r['payer']},{r['amount']},{r['date']},{reference[r['payer']]}\n"
            for r in rows(datatable)
        ],
    )


@when("the payers pay:")
def pay(quarter: Quarter, datatable: list[list[str]]) -> None:
    _pay(
        quarter,
        [f"{r['payer']},{r['amount']},{r['date']},{r['reference']}\n" for r in rows(datatable)],
    )


@then(parsers.parse("these claims are sent for {period}:"))
def claims_sent(quarter: Quarter, period: str, datatable: list[list[str]]) -> None:
    with unit_of_work(quarter.world.engine) as session:
        claims = load_claims(session, CONTRACT, period)
    assert sorted((c.payer, money(c.amount)) for c in claims) == sorted(
        (r["payer"], r["amount"]) for r in rows(datatable)
    )


def _verdict(quarter: Quarter, day: str, period: str) -> tuple[str, int]:
    with unit_of_work(quarter.world.engine) as session:
        bridge = period_bridge(session, quarter.spec, period, date.fromisoformat(day))
    return bridge.verdict.value, bridge.unexplained


@then(parsers.parse('on {day} the quarter {period} is "{verdict}"'))
def quarter_verdict(quarter: Quarter, day: str, period: str, verdict: str) -> None:
    assert _verdict(quarter, day, period)[0] == verdict


@then(parsers.parse('on {day} the quarter {period} is "{verdict}" with nothing unexplained'))
def quarter_verdict_explained(quarter: Quarter, day: str, period: str, verdict: str) -> None:
    assert _verdict(quarter, day, period) == (verdict, 0)


@then("the second run posted nothing and sent no claim")
def second_run_idle(quarter: Quarter) -> None:
    first, second = quarter.runs
    assert first.postings > 0
    assert (second.postings, second.claims) == (0, ())


@then("the run is refused because the quarter is closed")
def refused_closed(quarter: Quarter) -> None:
    assert quarter.refused is not None
    assert "is closed" in str(quarter.refused)


@then(parsers.parse("the {period} claims correct {corrected} by {amount}"))
def claims_correct(quarter: Quarter, period: str, corrected: str, amount: str) -> None:
    run = next(r for r in quarter.runs if r.period == period)
    assert {p: money(v) for p, v in run.corrections.items()} == {corrected: amount}


@then("the breaks are:")
def breaks(quarter: Quarter, datatable: list[list[str]]) -> None:
    with unit_of_work(quarter.world.engine) as session:
        matching = current_matching(session, quarter.spec, date(2015, 8, 10))
    found = sorted(
        (m.claims[0][0], m.kind.value, money(m.difference))
        for m in matching.matches
        if m.status is Status.BREAK
    )
    assert found == sorted((r["payer"], r["kind"], r["difference"]) for r in rows(datatable))


@then(parsers.parse('the money received from {payer} on {day} is a break: "{kind}"'))
def money_break(quarter: Quarter, payer: str, day: str, kind: str) -> None:
    with unit_of_work(quarter.world.engine) as session:
        matching = current_matching(session, quarter.spec, date.fromisoformat(day))
        received = {
            r.remittance_id: r
            for r in load_remittances(session, CONTRACT)
            if (r.payer, r.received_on.isoformat()) == (payer, day)
        }
    (found,) = [m for m in matching.matches if set(m.remittances) & set(received)]
    assert (found.status, found.kind.value) == (Status.BREAK, kind)


# A re-run with nothing changed (features/reconciliation/rerun.feature)


@when(parsers.parse("the intermediary reconciles {period} at {moment}"))
def reconcile_at(quarter: Quarter, period: str, moment: str) -> None:
    quarter.runs.append(
        reconcile(quarter.world.engine, CONTRACT, period, actor="manager", now=at(moment))
    )


@when(parsers.parse("the verifier revokes {evidence_id} at {moment}"))
def revoke(quarter: Quarter, evidence_id: str, moment: str) -> None:
    quarter.world.decide(f"{evidence_id},revoked,withdrawn\n", when=moment)


@then("the second run reused the first run's work and posted nothing")
def second_run_reused(quarter: Quarter) -> None:
    first, second = quarter.runs
    assert reused_from(quarter.world, second) == first.run_id
    assert (second.postings, second.claims) == (0, ())


@then("the second run reports what working it all out again reports")
def second_run_as_computed(quarter: Quarter) -> None:
    second = quarter.runs[-1]
    again = reconcile(
        quarter.world.engine,
        CONTRACT,
        second.period,
        second.cut_off,
        actor="manager",
        now=second.cut_off,
        reuse=False,
    )
    assert reused_from(quarter.world, again) is None
    assert_same_report(second, again)


@then("the second run worked everything out again and posted:")
def second_run_computed(quarter: Quarter, datatable: list[list[str]]) -> None:
    second = quarter.runs[-1]
    assert reused_from(quarter.world, second) is None
    posted = {payer: money(amount) for payer, amount in second.by_payer.items()}
    assert posted == {r["payer"]: r["amount"] for r in rows(datatable)}
