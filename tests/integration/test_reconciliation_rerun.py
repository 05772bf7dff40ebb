"""The re-run fast path (reconciliation.rerun): a run with nothing changed since the period's last
run reuses that run's computation and reports exactly what computing everything again reports;
any change to what decides the entitlement takes the long way.

The contract is the small rate card of tests/conftest.py; the world is test_reconciliation_runs'
(P1 and P2 enrolled on 2015-02-01).
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, select
from sqlmodel import col

from contract_specs.model import (
    CohortMetric,
    ContractSpec,
    Dated,
    Direction,
    PerUnitAboveThreshold,
    Schedule,
)
from ledger.services.contracts import ActiveSpec, register_spec, remember
from ledger.services.results import import_results
from ledger.storage.db import unit_of_work
from reconciliation import settle
from reconciliation.rewind import Rewind, RewindRequiredError
from reconciliation.runs import RunReport, preview_rewind, reconcile
from reconciliation.tables import ReconcileRun
from tests.integration.test_reconciliation_runs import World, at

CUT = "2015-07-03T10:00"


def run(
    world: World, as_of: str = CUT, when: str = CUT, period: str = "2015-Q2", reuse: bool = True
) -> RunReport:
    return reconcile(
        world.engine, "dwp-test", period, at(as_of), actor="manager", now=at(when), reuse=reuse
    )


def stored(world: World, run_id: str) -> ReconcileRun:
    with unit_of_work(world.engine) as session:
        row = session.scalars(select(ReconcileRun).where(col(ReconcileRun.run_id) == run_id)).one()
        session.expunge(row)
        return row


def reused_from(world: World, report: RunReport) -> str | None:
    return stored(world, report.run_id).reused_run_id


def assert_same_report(fast: RunReport, full: RunReport) -> None:
    """Every field of the two reports is equal, bar the run's own id; findings frame by frame."""
    for field in dataclasses.fields(RunReport):
        if field.name not in {"run_id", "findings"}:
            assert getattr(fast, field.name) == getattr(full, field.name), field.name
    assert fast.findings is not None and full.findings is not None
    assert fast.findings.counts() == full.findings.counts()
    for kind, frame in full.findings.frames().items():
        pd.testing.assert_frame_equal(fast.findings.frames()[kind], frame, obj=kind)


_OWN = {"id", "run_id", "requested_at", "finished_at", "reused_run_id"}


def assert_same_run(world: World, fast: RunReport, full: RunReport) -> None:
    """The stored runs agree in everything a run records about what it found and did."""
    a, b = stored(world, fast.run_id), stored(world, full.run_id)
    for name in ReconcileRun.model_fields:
        if name not in _OWN:
            assert getattr(a, name) == getattr(b, name), name


@pytest.fixture
def paid(engine: Engine, active: ActiveSpec, tmp_path: Path) -> World:
    """P1's job entry (Q1) verified and paid in Q2's first run; P2's job entry still pending.

    So a run finds something of each kind that depends on the facts: evidence awaiting
    verification (E2), a sustained job likely unclaimed (P1, due 91 days after 2015-03-01), and
    2015-Q1 never reconciled."""
    world = World(engine, active, tmp_path)
    world.enrol("P1,c1,acme,2015-02-01,1995-06-01\nP2,c1,acme,2015-03-01,1996-01-01\n")
    world.evidence(
        "E1,P1,job_entry,2015-03-01,payslip,,\nE2,P2,job_entry,2015-06-10,payslip,,\n",
        when="2015-06-20",
    )
    world.decide("E1,verified,\n", when="2015-06-21")
    first = run(world)
    assert first.postings == 2 and reused_from(world, first) is None
    return world


def test_nothing_changed_reuses_the_last_run_and_reports_what_computing_again_would(
    paid: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = stored(paid, paid_first(paid))
    with monkeypatch.context() as patched:
        # the fast path reads no facts and computes no entitlement
        patched.setattr(settle, "load_facts", _refuse)
        patched.setattr(settle, "compute_entitlement", _refuse)
        fast = run(paid)
    full = run(paid, reuse=False)
    assert reused_from(paid, fast) == first.run_id
    assert reused_from(paid, full) is None
    assert (fast.postings, fast.by_payer, fast.claims) == (0, {}, ())
    assert fast.findings is not None
    assert fast.findings.counts() == {
        "awaiting_verification": 1,
        "likely_unclaimed": 1,
        "caps_near_exhaustion": 0,
        "unreconciled_periods": 1,
    }
    assert_same_report(fast, full)
    assert_same_run(paid, fast, full)
    # the entitlement the first run found is reported again, with nothing left to post
    assert stored(paid, fast.run_id).totals == {
        "dwp": {"entitlement": 280_000, "posted_elsewhere": 0, "posted": 0, "claimed": 0},
        "topup": {"entitlement": 70_000, "posted_elsewhere": 0, "posted": 0, "claimed": 0},
    }
    # the next run reuses the latest run's computation
    assert reused_from(paid, run(paid)) == full.run_id


def paid_first(world: World) -> str:
    with unit_of_work(world.engine) as session:
        first = session.scalars(select(ReconcileRun).order_by(col(ReconcileRun.id))).first()
        assert first is not None
        return first.run_id


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the fast path computed again")


def test_periods_reconciled_since_are_found_again(paid: World) -> None:
    q1 = run(paid, period="2015-Q1")
    assert q1.postings == 0  # P1's Q1 outcome was already posted by Q2's run
    fast = run(paid)
    assert reused_from(paid, fast) is not None
    assert fast.findings is not None and fast.findings.unreconciled_periods.empty
    assert_same_report(fast, run(paid, reuse=False))


def test_later_on_the_same_day_with_nothing_changed_reuses_it(paid: World) -> None:
    fast = run(paid, as_of="2015-07-03T16:00", when="2015-07-03T16:00")
    assert reused_from(paid, fast) is not None
    assert_same_report(
        fast, run(paid, as_of="2015-07-03T16:00", when="2015-07-03T16:00", reuse=False)
    )


def test_the_fast_path_can_be_switched_off(paid: World) -> None:
    assert reused_from(paid, run(paid, reuse=False)) is None


def assert_computed(world: World, report: RunReport) -> None:
    assert reused_from(world, report) is None


def test_evidence_submitted_by_a_later_cut_off_the_same_day_is_counted(paid: World) -> None:
    paid.evidence("E3,P2,nqf2,2015-06-15,,,\n", when="2015-07-03T11:00")
    again = run(paid, as_of="2015-07-03T12:00", when="2015-07-03T12:00")
    assert_computed(paid, again)
    assert again.findings is not None
    assert set(again.findings.awaiting_verification["evidence_id"]) == {"acme/E2", "acme/E3"}


def test_evidence_submitted_after_the_cut_off_changes_nothing_as_of_it(paid: World) -> None:
    paid.evidence("E3,P2,nqf2,2015-06-15,,,\n", when="2015-07-04")
    paid.decide("E2,verified,\n", when="2015-07-04")
    again = run(paid, when="2015-07-05")
    assert reused_from(paid, again) is not None
    assert again.postings == 0


def test_a_backdated_submission_by_the_cut_off_is_counted(paid: World) -> None:
    paid.evidence("E3,P2,nqf2,2015-06-15,,,\n", when="2015-07-01")
    paid.decide("E3,verified,\n", when="2015-07-02")
    again = run(paid, when="2015-07-05")
    assert_computed(paid, again)
    assert again.by_payer == {"dwp": 264_000, "topup": 66_000}


def test_a_verification_is_posted(paid: World) -> None:
    paid.decide("E2,verified,\n", when="2015-07-03T09:00")
    again = run(paid)
    assert_computed(paid, again)
    assert again.by_payer == {"dwp": 280_000, "topup": 70_000}


def test_a_revocation_is_reversed(paid: World) -> None:
    paid.decide("E1,revoked,payslip withdrawn\n", when="2015-07-03T09:00")
    again = run(paid)
    assert_computed(paid, again)
    assert again.by_payer == {"dwp": -280_000, "topup": -70_000}


def test_a_new_participant_is_counted(paid: World) -> None:
    paid.enrol("P3,c1,acme,2015-04-01,1994-01-01\n", when="2015-07-03T09:00")
    again = run(paid)
    assert_computed(paid, again)
    assert stored(paid, again.run_id).participants == 3


def test_a_spec_activation_is_computed_under_the_new_version(
    paid: World, spec: ContractSpec
) -> None:
    shares = {"dwp": Decimal("90"), "topup": Decimal("10")}
    amended = dataclasses.replace(
        spec,
        payer_shares=Schedule((Dated(spec.contract.service_start, shares),)),
        content_hash="test-small-spec-90-10",
    )
    with unit_of_work(paid.engine) as session:
        register_spec(session, amended, {"amended": True}, actor="manager", now=at("2015-07-02"))
    remember(amended)
    again = run(paid)
    assert_computed(paid, again)
    assert (again.spec_version, again.by_payer) == (2, {"dwp": 35_000, "topup": -35_000})


def test_a_posting_by_another_periods_run_is_taken_into_account(paid: World) -> None:
    paid.evidence("E3,P2,nqf2,2015-07-10,,,\n", when="2015-07-15")
    paid.decide("E3,verified,\n", when="2015-07-16")
    q3 = run(paid, period="2015-Q3", as_of="2015-10-05", when="2015-10-05")
    assert q3.by_payer == {"dwp": 264_000, "topup": 66_000}
    # as of Q2's cut-off P2's qualification was not known: what Q3 paid for it is taken back,
    # which only a rewind may do (reconciliation.rewind)
    with pytest.raises(RewindRequiredError):
        run(paid, when="2015-10-06")
    again = rewound_run(paid, when="2015-10-06")
    assert_computed(paid, again)
    assert again.by_payer == {"dwp": -264_000, "topup": -66_000}


def test_a_different_day_is_computed_again(paid: World) -> None:
    again = run(paid, as_of="2015-07-04", when="2015-07-04")
    assert_computed(paid, again)
    assert again.postings == 0


def test_an_earlier_cut_off_is_computed_again(paid: World) -> None:
    again = rewound_run(paid, as_of="2015-07-03T09:00", when="2015-07-03T11:00")
    assert_computed(paid, again)
    assert again.postings == 0


def rewound_run(world: World, as_of: str = CUT, when: str = CUT) -> RunReport:
    """A run of 2015-Q2 at a cut-off earlier than an earlier run's: previewed, then confirmed."""
    asked = Rewind(at(as_of), "test: back to an earlier cut-off")
    shown = preview_rewind(world.engine, "dwp-test", "2015-Q2", asked, actor="m", now=at(when))
    return reconcile(
        world.engine,
        "dwp-test",
        "2015-Q2",
        actor="manager",
        now=at(when),
        rewind=dataclasses.replace(asked, token=shown.token),
    )


def test_a_cohort_result_is_counted(
    engine: Engine, active: ActiveSpec, tmp_path: Path, spec: ContractSpec
) -> None:
    fewer = PerUnitAboveThreshold(Decimal("10"), Decimal("700.00"))
    metric = CohortMetric(
        "reoffending", "Less reoffending", ("c1",), Direction.LOWER_IS_BETTER, fewer
    )
    cohorts = dataclasses.replace(spec, cohort_metrics=(metric,), content_hash="small-cohort")
    with unit_of_work(engine) as session:
        register_spec(session, cohorts, {"cohort": True}, actor="manager", now=at("2015-01-02"))
    remember(cohorts)
    world = World(engine, ActiveSpec(2, cohorts), tmp_path)
    world.enrol("P1,c1,acme,2015-02-01,1995-06-01\n")
    assert reused_from(world, run(world)) is None
    assert reused_from(world, run(world)) is not None
    results = tmp_path / "results.csv"
    results.write_text(
        "result_id,metric,cohort,observed,comparison,units,evaluated_on,reference,supersedes\n"
        "R1,reoffending,c1,1.20,1.55,1000,2015-06-30,MoJ,\n"
    )
    with unit_of_work(engine) as session:
        import_results(
            session, "dwp-test", world.active, results, actor="eval", now=at("2015-07-03T09:00")
        )
    again = run(world)
    assert_computed(world, again)
    assert stored(world, again.run_id).results == 1
    assert again.postings > 0
