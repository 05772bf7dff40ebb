"""A reconcile run lists what to act on as of its cut-off, keeps it with the run, and the CLI
says so: evidence waiting too long, a sustainment probably never claimed, a payer close to its
commitment, an earlier period never reconciled.

The contract is tests/conftest.py's small rate card (job entry 3,500 split 80/20 between dwp and
topup; sustained job 2,000 due 91 days after entry); here dwp commits at most 3,000.00.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlmodel import col

from contract_specs.model import Payer
from ledger.services.contracts import register_spec, remember
from ledger.storage.db import unit_of_work
from reconciliation.run_findings import Findings
from reconciliation.tables import ReconcileRun
from tests.conftest import small_spec
from tests.integration import test_reconciliation_runs
from tests.integration.test_ledger_cli import run
from tests.integration.test_reconciliation_runs import World, at

world = test_reconciliation_runs.world  # the runs' tests' fixture: P1 and P2 enrolled


@pytest.fixture
def committed(world: World) -> World:
    """The world under a version of the spec in which dwp commits 3,000.00 in all."""
    spec = dataclasses.replace(
        small_spec(),
        payers=(Payer("dwp", Decimal("3000.00")), Payer("topup")),
        content_hash="test-dwp-commits-3000",
    )
    with unit_of_work(world.engine) as session:
        register_spec(session, spec, {"commitment": "3000"}, actor="t", now=at("2015-01-15"))
    remember(spec)
    return world


def _one_of_each(world: World) -> None:
    # P1 enters a job on 10 Feb (verified): dwp pays 2,800.00 of its 3,000.00, and the
    # sustained job falls due 91 days later, on 12 May, with no evidence by 3 July
    world.evidence("E1,P1,job_entry,2015-02-10,payslip,,\n", when="2015-02-20")
    world.decide("E1,verified,\n", when="2015-03-01")
    # P2's qualification waits for a verifier from 1 April: 93 days by 3 July
    world.evidence("E2,P2,nqf2,2015-03-20,,,\n", when="2015-04-01")
    # P2's job entry was rejected: nothing is pending, and no sustainment is expected
    world.evidence("E3,P2,job_entry,2015-04-15,payslip,,\n", when="2015-04-20")
    world.decide("E3,rejected,not the participant's payslip\n", when="2015-05-01")


def _rows(findings: Findings, kind: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in findings.frames()[kind].itertuples(index=False)]


def test_a_run_lists_exactly_what_needs_acting_on_as_of_its_cut_off(committed: World) -> None:
    _one_of_each(committed)
    # 2015-Q1 ended on 31 March and was never reconciled: due on 2 April (a day's delay)
    report = committed.reconcile("2015-Q2", when="2015-07-03")
    found = report.findings
    assert found is not None
    assert _rows(found, "awaiting_verification") == [
        ("acme/E2", "acme/P2", "nqf2", date(2015, 4, 1), 93, "90+", True)
    ]
    assert _rows(found, "likely_unclaimed") == [
        ("acme/P1", "job_sustained", "job_entry", date(2015, 2, 10), date(2015, 5, 12), 52)
    ]
    assert _rows(found, "caps_near_exhaustion") == [
        ("payer_commitment", "dwp", 280_000, 300_000, "93.3")
    ]
    assert _rows(found, "unreconciled_periods") == [("2015-Q1", datetime(2015, 4, 2), 92)]

    with unit_of_work(committed.engine) as session:
        stored = session.scalars(
            select(ReconcileRun).where(col(ReconcileRun.run_id) == report.run_id)
        ).one()
        kept = Findings.from_document(stored.findings or {})
    for kind in found.frames():
        assert _rows(kept, kind) == _rows(found, kind), kind


def test_once_acted_on_a_later_run_finds_nothing(world: World) -> None:
    _one_of_each(world)
    world.reconcile("2015-Q1", when="2015-04-01")
    world.reconcile("2015-Q2", when="2015-07-03")
    world.evidence("E4,P1,job_sustained,2015-05-12,payslip,,\n", when="2015-07-10")
    world.decide("E2,verified,\nE4,verified,\n", when="2015-07-20")
    report = world.reconcile("2015-Q3", when="2015-10-02")
    assert report.findings is not None
    assert report.findings.counts() == {
        "awaiting_verification": 0,
        "likely_unclaimed": 0,
        "caps_near_exhaustion": 0,
        "unreconciled_periods": 0,
    }


def test_a_period_is_not_late_on_the_day_after_it_ends(world: World) -> None:
    # 2015-Q1's run is due from 2 April; a run of Q2 on 1 April does not call Q1 late
    world.evidence("E1,P1,job_entry,2015-02-10,payslip,,\n", when="2015-02-20")
    report = world.reconcile("2015-Q2", when="2015-04-01T23:59")
    assert report.findings is not None
    assert report.findings.unreconciled_periods.empty
    assert _rows(report.findings, "awaiting_verification") == [
        ("acme/E1", "acme/P1", "job_entry", date(2015, 2, 20), 40, "31-60", True)
    ]


def test_outcomes_reconcile_prints_the_findings(committed: World, cli_env: str) -> None:
    _one_of_each(committed)
    code, out, err = run("reconcile", "dwp-test", "--period", "2015-Q2", "--as-of", "2015-07-03")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    summary = (
        "  findings: 1 awaiting verification, 1 likely unclaimed, 1 cap(s) near exhaustion, "
        "1 period(s) not reconciled"
    )
    start = lines.index(summary)
    assert lines[start + 1 : start + 5] == [
        "    awaiting verification: acme/E2 (acme/P2, nqf2) submitted 2015-04-01: 93 days "
        "(90+, past SLA)",
        "    likely unclaimed: acme/P1 job_sustained: job_entry on 2015-02-10, due 2015-05-12, "
        "52 days overdue",
        "    cap(s) near exhaustion: payer_commitment dwp: 2800.00 of 3000.00 (93.3%)",
        "    period(s) not reconciled: 2015-Q1 was due 2015-04-02 00:00: 92 days late",
    ]
