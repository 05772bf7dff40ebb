"""Time cannot run backwards (issue 13, finding 4), against a real database (SQLite and
PostgreSQL): evidence dated after its submission, cut-offs in the future, runs at a cut-off
earlier than an earlier run's, periods outside the contract, and what `explain` knew then.

The contract is the small rate card of tests/conftest.py (quarterly from 2015-01-01, last outcome
date 2017-12-31, payment terms 30 days: periods 2015-Q1 to 2018-Q1; job entry 3,500 split 80/20
between dwp and topup)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from ledger.domain.errors import RejectedUpload
from ledger.services.contracts import ActiveSpec
from ledger.services.explain import explain_participant
from ledger.storage.db import unit_of_work
from ledger.storage.tables import AuditLog, Evidence, Posting
from reconciliation.errors import ReconciliationError
from reconciliation.periods import periods_so_far
from reconciliation.rewind import Rewind, RewindChangedError, RewindRequiredError
from reconciliation.runs import preview_rewind, reconcile
from reconciliation.tables import ClaimRow, PeriodRow, ReconcileRun
from tests.integration.test_reconciliation_runs import World, at


@pytest.fixture
def world(engine: Engine, active: ActiveSpec, tmp_path: Path) -> World:
    w = World(engine, active, tmp_path)
    people = "".join(f"P{n},c1,acme,2015-02-01,1995-06-01\n" for n in range(1, 5))
    w.enrol(people)
    return w


def store_unchecked(
    engine: Engine, evidence_id: str, person: str, achieved: str, when: str
) -> None:
    """An evidence row as intake before this rule let it in (or any path around intake)."""
    with unit_of_work(engine) as session:
        session.add(
            Evidence(
                contract_id="dwp-test",
                # ledger keys, as intake stores them: <provider>/<local id>
                evidence_id=f"acme/{evidence_id}",
                participant_id=f"acme/{person}",
                metric="job_entry",
                achieved_on=date.fromisoformat(achieved),
                evidence_type="payslip",
                submitted_at=at(when),
                submitted_by="acme",
                source="direct",
            )
        )


def counts(engine: Engine) -> tuple[int, int, int, int]:
    """Postings, runs, claims and periods of the contract: what a refused run must not change."""
    with unit_of_work(engine) as session:
        postings, runs, claims, periods = (
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Posting, ReconcileRun, ClaimRow, PeriodRow)
        )
    return postings, runs, claims, periods


# --- evidence achieved tomorrow ------------------------------------------------------------------


def test_evidence_achieved_tomorrow_is_not_paid_by_todays_run_nor_any_later(world: World) -> None:
    world.evidence("E1,P1,job_entry,2015-05-10,payslip,,\n", when="2015-05-20T09:00")
    store_unchecked(world.engine, "E2", "P2", "2015-05-21", when="2015-05-20T09:00")
    world.decide("E1,verified,\nE2,verified,\n", when="2015-05-20T10:00")
    today = world.reconcile("2015-Q2", when="2015-05-20T11:00")
    assert today.by_payer == {"dwp": 280_000, "topup": 70_000}  # E1 only
    later = world.reconcile("2015-Q2", when="2015-07-03")
    assert later.postings == 0
    assert {p[1] for p in world.postings()} == {"acme/P1"}
    with unit_of_work(world.engine) as session:
        story = explain_participant(session, "dwp-test", "acme/P2", at("2015-07-03"))
    (item,) = story.metrics[0].evidence
    assert item.not_payable == (
        "achieved_after_submission: achieved 2015-05-21 after it was submitted on 2015-05-20"
    )


def test_intake_refuses_evidence_achieved_after_today_with_its_row(world: World) -> None:
    with pytest.raises(RejectedUpload) as refused:
        world.evidence(
            "E1,P1,job_entry,2015-05-20,payslip,,\nE2,P2,job_entry,2015-05-21,payslip,,\n",
            when="2015-05-20T23:30",
        )
    (line,) = refused.value.lines()
    assert line.endswith(
        ":3: achieved_on: 2015-05-21 is after today (2015-05-20, UTC): evidence is for an "
        "outcome already achieved; check the date, or send the row once it is achieved"
    )
    with unit_of_work(world.engine) as session:
        assert session.scalar(select(func.count()).select_from(Evidence)) == 0


# --- a cut-off in the future ---------------------------------------------------------------------


def test_a_cut_off_in_the_future_is_refused_and_nothing_is_written(world: World) -> None:
    world.evidence("E1,P1,job_entry,2015-05-10,payslip,,\n", when="2015-05-20")
    world.decide("E1,verified,\n", when="2015-06-01")
    before = counts(world.engine)
    with pytest.raises(ReconciliationError) as refused:
        reconcile(
            world.engine,
            "dwp-test",
            "2015-Q2",
            as_of=at("2015-07-04T00:00:01"),
            actor="manager",
            now=at("2015-07-04"),
        )
    (problem,) = refused.value.problems
    assert problem.place == "--as-of"
    assert problem.message == (
        "cut-off 2015-07-04 00:00:01 UTC is in the future (now is 2015-07-04 00:00:00 UTC): "
        "only what is known by now can count; give a cut-off at or before now, or leave it out"
    )
    assert counts(world.engine) == before


def test_explain_refuses_a_cut_off_in_the_future(world: World, session: Session) -> None:
    from ledger.services.cut_off import CutOffInFuture

    with pytest.raises(CutOffInFuture):
        explain_participant(
            session, "dwp-test", "P1", datetime.now().astimezone() + timedelta(minutes=5)
        )


# --- a run at a cut-off earlier than an earlier run's --------------------------------------------


@pytest.fixture
def late_q3(world: World) -> World:
    """Q3 reconciled late (2015-10-20), after evidence submitted in October was paid."""
    world.evidence("E1,P1,job_entry,2015-08-10,payslip,,\n", when="2015-08-20")
    world.decide("E1,verified,\n", when="2015-08-25")
    world.evidence(
        "E2,P2,job_entry,2015-09-10,payslip,,\nE3,P3,job_entry,2015-09-20,payslip,,\n",
        when="2015-10-10",
    )
    world.decide("E2,verified,\nE3,verified,\n", when="2015-10-12")
    q3 = world.reconcile("2015-Q3", when="2015-10-20")
    assert q3.postings == 6
    return world


def rewound(world: World, token: str | None = None, **fields: Any) -> Rewind:
    values = {"to": at("2015-10-05"), "reason": "bank statement of 5 October", "token": token}
    return Rewind(**{**values, **fields})


def test_a_later_period_at_an_earlier_cut_off_is_refused_unless_rewound(late_q3: World) -> None:
    before = counts(late_q3.engine)
    with pytest.raises(RewindRequiredError) as refused:
        reconcile(
            late_q3.engine,
            "dwp-test",
            "2015-Q4",
            as_of=at("2015-10-05"),
            actor="manager",
            now=at("2015-10-21"),
        )
    (problem,) = refused.value.problems
    assert problem.place == "--as-of"
    assert "is earlier than the cut-off of run" in problem.message
    assert "2015-Q3, 2015-10-20 00:00:00 UTC" in problem.message
    assert '--rewind-to 2015-10-05T00:00:00 --reason "..."' in problem.message
    assert counts(late_q3.engine) == before


def test_a_run_made_with_a_future_cut_off_before_this_rule_blocks_no_later_run(
    world: World,
) -> None:
    # made as if on 2030-01-01 (its own clock), so its cut-off was not in the future then; it
    # finished today, and knew only what was known today
    reconcile(
        world.engine,
        "dwp-test",
        "2018-Q1",
        as_of=at("2030-01-01"),
        actor="manager",
        now=at("2030-01-01"),
    )
    later = reconcile(world.engine, "dwp-test", "2018-Q1", actor="manager")
    assert later.cut_off < at("2030-01-01")


def test_a_rewind_shows_what_it_would_post_first_and_posts_nothing(late_q3: World) -> None:
    before = counts(late_q3.engine)
    preview = preview_rewind(
        late_q3.engine, "dwp-test", "2015-Q4", rewound(late_q3), actor="m", now=at("2015-10-21")
    )
    assert counts(late_q3.engine) == before  # nothing posted, claimed, run or opened
    assert preview.latest.cut_off == at("2015-10-20")
    assert preview.postings == 4
    by_payer = {p.payer: (p.postings, p.amount, p.clawbacks, p.clawed_back) for p in preview.payers}
    # what was submitted after 5 October is clawed back, as if it had never arrived
    assert by_payer == {"dwp": (2, -560_000, 2, -560_000), "topup": (2, -140_000, 2, -140_000)}
    assert sorted((c.participant_id, c.payer, c.amount) for c in preview.clawbacks) == [
        ("acme/P2", "dwp", -280_000),
        ("acme/P2", "topup", -70_000),
        ("acme/P3", "dwp", -280_000),
        ("acme/P3", "topup", -70_000),
    ]
    assert {p.claim for p in preview.payers} == {
        "DWP-TEST-2015-Q4-DWP-2",
        "DWP-TEST-2015-Q4-TOPUP-2",
    }
    assert len(preview.token) == 64


def test_a_confirmed_rewind_posts_what_was_shown_and_keeps_the_reason(late_q3: World) -> None:
    engine = late_q3.engine
    preview = preview_rewind(
        engine, "dwp-test", "2015-Q4", rewound(late_q3), actor="m", now=at("2015-10-21")
    )
    run = reconcile(
        engine,
        "dwp-test",
        "2015-Q4",
        actor="manager",
        now=at("2015-10-21"),
        rewind=rewound(late_q3, preview.token),
    )
    assert run.cut_off == at("2015-10-05")
    assert run.by_payer == {"dwp": -560_000, "topup": -140_000}
    with unit_of_work(engine) as session:
        stored = session.scalars(select(ReconcileRun).where(col(ReconcileRun.run_id) == run.run_id))
        kept = stored.one().rewind
        entry = session.scalars(
            select(AuditLog)
            .where(col(AuditLog.action) == "reconcile.run")
            .order_by(col(AuditLog.id).desc())
        ).first()
    assert kept is not None
    assert kept == {
        "to": "2015-10-05T00:00:00+00:00",
        "reason": "bank statement of 5 October",
        "latest_cut_off": "2015-10-20T00:00:00+00:00",
        "latest_run": kept["latest_run"],
    }
    assert entry is not None and entry.details["rewind"] == kept


def test_a_rewind_whose_ledger_changed_since_the_preview_posts_nothing(late_q3: World) -> None:
    engine = late_q3.engine
    preview = preview_rewind(
        engine, "dwp-test", "2015-Q4", rewound(late_q3), actor="m", now=at("2015-10-21")
    )
    # a revocation decided (by 5 October's standards, it was already known then) meanwhile
    late_q3.decide("E1,revoked,letter withdrawn\n", when="2015-10-04")
    before = counts(engine)
    with pytest.raises(RewindChangedError):
        reconcile(
            engine,
            "dwp-test",
            "2015-Q4",
            actor="manager",
            now=at("2015-10-21"),
            rewind=rewound(late_q3, preview.token),
        )
    assert counts(engine) == before


def test_a_rewind_needs_a_reason_and_one_cut_off(late_q3: World) -> None:
    for bad, place in (
        (rewound(late_q3, reason="  "), "--reason"),
        (rewound(late_q3, to=at("2015-10-25")), "--rewind-to"),  # not earlier than any run
    ):
        with pytest.raises(ReconciliationError) as refused:
            preview_rewind(
                late_q3.engine, "dwp-test", "2015-Q4", bad, actor="m", now=at("2015-10-26")
            )
        assert refused.value.problems[0].place == place
    with pytest.raises(ReconciliationError) as refused:
        reconcile(
            late_q3.engine,
            "dwp-test",
            "2015-Q4",
            as_of=at("2015-10-06"),
            actor="m",
            now=at("2015-10-21"),
            rewind=rewound(late_q3, "0" * 64),
        )
    assert refused.value.problems[0].place == "--rewind-to"


def test_the_re_run_fast_path_is_not_fooled_by_a_rewind(late_q3: World) -> None:
    engine = late_q3.engine
    preview = preview_rewind(
        engine, "dwp-test", "2015-Q4", rewound(late_q3), actor="m", now=at("2015-10-21")
    )
    reconcile(
        engine,
        "dwp-test",
        "2015-Q4",
        actor="m",
        now=at("2015-10-21"),
        rewind=rewound(late_q3, preview.token),
    )
    # the period at now again: what the rewind clawed back is owed again, computed, not reused
    again = late_q3.reconcile("2015-Q4", when="2015-10-21T01:00")
    assert again.by_payer == {"dwp": 560_000, "topup": 140_000}
    with unit_of_work(engine) as session:
        last = session.scalars(select(ReconcileRun).order_by(col(ReconcileRun.id).desc())).first()
    assert last is not None and last.reused_run_id is None
    # and a re-run with nothing changed since is reused, posting nothing
    assert late_q3.reconcile("2015-Q4", when="2015-10-21T02:00").postings == 0
    with unit_of_work(engine) as session:
        last = session.scalars(select(ReconcileRun).order_by(col(ReconcileRun.id).desc())).first()
    assert last is not None and last.reused_run_id is not None


# --- periods from service start to the last outcome date plus payment terms ----------------------


@pytest.mark.parametrize("period", ["2014-Q4", "2018-Q2", "2026-Q1"])
def test_a_period_outside_the_contract_is_refused_with_the_range(world: World, period: str) -> None:
    before = counts(world.engine)
    with pytest.raises(ReconciliationError) as refused:
        world.reconcile(period, when="2026-06-01")
    (problem,) = refused.value.problems
    assert problem.place == "--period"
    assert problem.message == (
        f"{period} is not a period of dwp-test: its periods run from 2015-Q1 (service start "
        "2015-01-01) to 2018-Q1 (last outcome date 2017-12-31 + 30 days' payment terms)"
    )
    assert counts(world.engine) == before


def test_periods_of_a_contract_that_ended_years_ago_stop_at_its_end(active: ActiveSpec) -> None:
    listed = periods_so_far(active.spec.contract, date(2026, 6, 1))
    assert (listed[0].id, listed[-1].id, len(listed)) == ("2015-Q1", "2018-Q1", 13)
    # a contract still running lists up to today's period, never beyond
    assert periods_so_far(active.spec.contract, date(2016, 5, 1))[-1].id == "2016-Q2"


# --- explain as of a past cut-off ----------------------------------------------------------------


def test_explain_as_of_a_past_cut_off_counts_only_what_was_known_then(late_q3: World) -> None:
    with unit_of_work(late_q3.engine) as session:
        then = explain_participant(session, "dwp-test", "acme/P2", at("2015-10-15"))
        now = explain_participant(session, "dwp-test", "acme/P2", at("2015-10-21"))
    (story,) = then.metrics
    # on 15 October E2 was submitted and verified, but nothing had been posted yet
    assert (story.paid, story.owed, story.postings) == (Decimal(0), Decimal(3500), ())
    assert [e.evidence_id for e in story.evidence] == ["acme/E2"]
    (story,) = now.metrics
    assert (story.paid, len(story.postings)) == (Decimal(3500), 2)
    # evidence submitted and decisions made after the cut-off are not shown
    with unit_of_work(late_q3.engine) as session:
        before_it = explain_participant(session, "dwp-test", "acme/P2", at("2015-10-01"))
    assert before_it.metrics == ()
