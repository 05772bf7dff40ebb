"""Reconciling periods against a real database: what each run posts and claims, and nothing more.

The contract is the small rate card of tests/conftest.py (quarterly; job entry 3,500 split
80/20 between dwp and topup; sustained job 2,000 at least 91 days after entry).
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import col

from contract_specs.model import ContractSpec, Dated, Schedule
from ledger.services.contracts import ActiveSpec, register_spec, remember
from ledger.services.enrolment import import_participants
from ledger.services.evidence import import_evidence
from ledger.services.verification import import_decisions
from ledger.storage.db import unit_of_work
from ledger.storage.tables import Posting
from reconciliation.claims import claim_lines, load_claims
from reconciliation.errors import PeriodClosedError, ReconciliationError, RunInProgressError
from reconciliation.runs import RunReport, reconcile
from reconciliation.status import reconciled_periods
from reconciliation.tables import ReconcileRun


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


class World:
    """Files a provider and a payer would send, fed through the ledger's own imports."""

    def __init__(self, engine: Engine, active: ActiveSpec, folder: Path) -> None:
        self.engine, self.active, self.folder = engine, active, folder
        self.files = 0

    def _file(self, text: str) -> Path:
        self.files += 1
        path = self.folder / f"upload-{self.files}.csv"
        path.write_text(text)
        return path

    def _import(self, service: Any, header: str, rows: str, when: str, *spec: ActiveSpec) -> None:
        with unit_of_work(self.engine) as session:
            service(session, "dwp-test", *spec, self._file(header + rows), actor="t", now=at(when))

    def enrol(self, rows: str, when: str = "2015-02-01") -> None:
        header = "participant_id,cohort,provider,start_date,date_of_birth\n"
        self._import(import_participants, header, rows, when, self.active)

    def evidence(self, rows: str, when: str) -> None:
        header = "evidence_id,participant_id,metric,achieved_on,evidence_type,quantity,reference\n"
        self._import(import_evidence, header, rows, when, self.active)

    def decide(self, rows: str, when: str) -> None:
        self._import(import_decisions, "evidence_id,decision,reason\n", rows, when)

    def reconcile(self, period: str, when: str, close: bool = False) -> RunReport:
        return reconcile(
            self.engine, "dwp-test", period, close=close, actor="manager", now=at(when)
        )

    def postings(self) -> list[tuple[str, str, str, str, int, str, str | None]]:
        with unit_of_work(self.engine) as session:
            rows = session.scalars(select(Posting).order_by(col(Posting.id))).all()
            return [
                (r.period, r.participant_id, r.metric, r.payer, r.amount, r.kind, r.corrects_period)
                for r in rows
            ]


@pytest.fixture
def world(engine: Engine, active: ActiveSpec, tmp_path: Path) -> World:
    w = World(engine, active, tmp_path)
    w.enrol("P1,c1,acme,2015-02-01,1995-06-01\nP2,c1,acme,2015-03-01,1996-01-01\n")
    return w


def test_a_quarter_posts_what_was_achieved_and_claims_it_per_payer(world: World) -> None:
    world.evidence("E1,P1,job_entry,2015-05-10,payslip,,\n", when="2015-05-20")
    world.decide("E1,verified,\n", when="2015-06-01")
    report = world.reconcile("2015-Q2", when="2015-07-03")
    assert report.by_payer == {"dwp": 280_000, "topup": 70_000}
    with unit_of_work(world.engine) as session:
        claims = {c.payer: c for c in load_claims(session, "dwp-test", "2015-Q2")}
        assert {p: c.amount for p, c in claims.items()} == report.by_payer
        assert claims["dwp"].reference == "DWP-TEST-2015-Q2-DWP-1"
        behind = claim_lines(session, "dwp-test", claims["dwp"].reference)
        assert len(behind) == 1
    # the claims were just sent: nothing received yet, nothing overdue
    assert report.bridge.verdict == "reconciled_with_pending"
    assert report.bridge.unexplained == 0


def test_re_running_posts_nothing_and_claims_nothing(world: World) -> None:
    world.evidence("E1,P1,job_entry,2015-05-10,payslip,,\n", when="2015-05-20")
    world.decide("E1,verified,\n", when="2015-06-01")
    world.reconcile("2015-Q2", when="2015-07-03")
    before = world.postings()
    again = world.reconcile("2015-Q2", when="2015-07-04")
    assert (again.postings, again.claims) == (0, ())
    assert world.postings() == before
    with unit_of_work(world.engine) as session:
        assert len(load_claims(session, "dwp-test")) == 2
        assert reconciled_periods(session, "dwp-test") == {"2015-Q2"}
    world.evidence("E2,P2,job_entry,2015-06-10,payslip,,\n", when="2015-07-05")
    world.reconcile("2015-Q2", when="2015-07-06")
    with unit_of_work(world.engine) as session:
        runs = session.scalars(select(ReconcileRun).order_by(col(ReconcileRun.id))).all()
    # the same facts give the same digest; one more (pending) evidence row changes it
    assert runs[0].inputs_hash == runs[1].inputs_hash != runs[2].inputs_hash
    assert [(r.evidence, r.postings) for r in runs] == [(1, 2), (1, 0), (2, 0)]


def test_outcomes_achieved_after_the_period_wait_for_their_own_period(world: World) -> None:
    world.evidence(
        "E1,P1,job_entry,2015-06-30,payslip,,\nE2,P2,job_entry,2015-07-01,payslip,,\n",
        when="2015-07-02",
    )
    world.decide("E1,verified,\nE2,verified,\n", when="2015-07-02")
    q2 = world.reconcile("2015-Q2", when="2015-07-03")
    assert q2.by_payer == {"dwp": 280_000, "topup": 70_000}  # P1 only
    q3 = world.reconcile("2015-Q3", when="2015-10-03")
    assert {p[1] for p in world.postings() if p[0] == "2015-Q3"} == {"acme/P2"}
    assert q3.corrections == {}


def test_a_closed_period_refuses_postings_and_late_evidence_lands_in_the_next(
    world: World,
) -> None:
    world.evidence("E1,P1,job_entry,2015-05-10,payslip,,\n", when="2015-05-20")
    world.decide("E1,verified,\n", when="2015-06-01")
    closing = world.reconcile("2015-Q2", when="2015-07-03", close=True)
    assert closing.closed
    # P2's job started in Q2, but the evidence only arrived after Q2 was closed
    world.evidence("E2,P2,job_entry,2015-06-20,payslip,,\n", when="2015-07-10")
    world.decide("E2,verified,\n", when="2015-07-11")
    with pytest.raises(PeriodClosedError) as refused:
        world.reconcile("2015-Q2", when="2015-07-12")
    assert "try 2015-Q3" in str(refused.value)
    late = world.reconcile("2015-Q3", when="2015-10-03")
    assert late.corrections == {"2015-Q2": 350_000}
    q3 = [p for p in world.postings() if p[0] == "2015-Q3"]
    assert {(p[1], p[3], p[4], p[5], p[6]) for p in q3} == {
        ("acme/P2", "dwp", 280_000, "outcome_payment", "2015-Q2"),
        ("acme/P2", "topup", 70_000, "outcome_payment", "2015-Q2"),
    }
    first = [p for p in world.postings() if p[1] == "acme/P1"]
    assert first and all(p[0] == "2015-Q2" for p in first)


def test_revocation_after_payment_is_a_negative_adjustment(world: World) -> None:
    world.evidence("E1,P1,job_entry,2015-05-10,payslip,,\n", when="2015-05-20")
    world.decide("E1,verified,\n", when="2015-06-01")
    world.reconcile("2015-Q2", when="2015-07-03", close=True)
    world.decide("E1,revoked,employer letter withdrawn\n", when="2015-08-01")
    report = world.reconcile("2015-Q3", when="2015-10-03")
    assert report.by_payer == {"dwp": -280_000, "topup": -70_000}
    q3 = [p for p in world.postings() if p[0] == "2015-Q3"]
    assert {(p[3], p[4], p[5], p[6]) for p in q3} == {
        ("dwp", -280_000, "adjustment", "2015-Q2"),
        ("topup", -70_000, "adjustment", "2015-Q2"),
    }
    with unit_of_work(world.engine) as session:
        credits = load_claims(session, "dwp-test", "2015-Q3")
    assert sorted(c.amount for c in credits) == [-280_000, -70_000]
    assert world.reconcile("2015-Q3", when="2015-10-04").postings == 0


def test_a_tariff_amendment_posts_the_difference_under_the_new_version(
    world: World, spec: ContractSpec
) -> None:
    world.evidence("E1,P1,job_entry,2015-05-10,payslip,,\n", when="2015-05-20")
    world.decide("E1,verified,\n", when="2015-06-01")
    world.reconcile("2015-Q2", when="2015-07-03", close=True)
    job_entry = dataclasses.replace(
        spec.metric("job_entry"),
        tariff=Schedule((Dated(spec.contract.service_start, Decimal("4000.00")),)),
    )
    amended = dataclasses.replace(
        spec,
        metrics=tuple(job_entry if m.id == "job_entry" else m for m in spec.metrics),
        content_hash="test-small-spec-amended",
    )
    with unit_of_work(world.engine) as session:
        register_spec(session, amended, {"amended": True}, actor="manager", now=at("2015-08-01"))
    remember(amended)
    report = world.reconcile("2015-Q3", when="2015-10-03")
    assert report.spec_version == 2
    assert report.by_payer == {"dwp": 40_000, "topup": 10_000}
    with unit_of_work(world.engine) as session:
        versions = {(r.period, r.spec_version) for r in session.scalars(select(Posting)).all()}
    assert versions == {("2015-Q2", 1), ("2015-Q3", 2)}


def test_a_cut_off_before_the_period_starts_is_refused(world: World) -> None:
    with pytest.raises(ReconciliationError) as refused:
        reconcile(world.engine, "dwp-test", "2015-Q3", as_of=at("2015-06-01"), actor="m")
    assert refused.value.problems[0].place == "--as-of"


def test_a_monthly_period_id_for_a_quarterly_contract_is_refused(world: World) -> None:
    with pytest.raises(ReconciliationError) as refused:
        world.reconcile("2015-07", when="2015-10-03")
    assert refused.value.problems[0].place == "--period"
    assert "2025-Q3" in refused.value.problems[0].message


def test_two_runs_at_the_same_moment_post_once(world: World) -> None:
    world.evidence(
        "".join(f"E{n},P{n % 2 + 1},job_entry,2015-05-{n:02d},payslip,,\n" for n in (1, 2)),
        when="2015-05-20",
    )
    world.decide("E1,verified,\nE2,verified,\n", when="2015-06-01")
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def run() -> None:
        start.wait()
        try:
            outcomes.append(world.reconcile("2015-Q2", when="2015-07-03"))
        except RunInProgressError as held:
            outcomes.append(held)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    posted = [o for o in outcomes if not isinstance(o, RunInProgressError)]
    refused = [o for o in outcomes if isinstance(o, RunInProgressError)]
    assert (len(posted), len(refused)) == (1, 1)
    assert "reconciled by run" in str(refused[0]) or "being reconciled" in str(refused[0])
    assert len(world.postings()) == 4  # two participants x two payers, once


def _reconcile_in_process(url: str, start: Any, results: Any) -> None:
    """A separate process: its own engine, the spec parsed as the service would have it."""
    from ledger.services.contracts import remember
    from ledger.storage.db import make_engine
    from tests.conftest import small_spec

    remember(small_spec())
    engine = make_engine(url)
    start.wait()
    try:
        report = reconcile(engine, "dwp-test", "2015-Q2", actor="worker", now=at("2015-07-03"))
        results.put(("posted", report.postings))
    except RunInProgressError as held:
        results.put(("refused", str(held)))
    finally:
        engine.dispose()


@pytest.mark.slow
def test_two_processes_at_the_same_moment_post_once(world: World, db_url: str) -> None:
    import multiprocessing

    world.evidence("E1,P1,job_entry,2015-05-01,payslip,,\n", when="2015-05-20")
    world.decide("E1,verified,\n", when="2015-06-01")
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(2), context.Queue()
    workers = [
        context.Process(target=_reconcile_in_process, args=(db_url, start, results))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    outcomes = sorted(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
    assert [kind for kind, _ in outcomes] == ["posted", "refused"]
    assert outcomes[0][1] == 2
    assert len(world.postings()) == 2
