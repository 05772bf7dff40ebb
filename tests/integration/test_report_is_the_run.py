"""Issue 18, "the run is the record": the commissioner report of a claimed period shows what the
run that made the claim decided (its spec version, cut-off, lines, not-payable rows and totals),
whatever version is in force when the report is built, and says what a later version would
change."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, select

from ledger.storage.db import unit_of_work
from ledger.storage.tables import RunNotPayable, table_of
from reconciliation.runs import reconcile
from reconciliation.tables import ReconcileRun
from tests.integration.test_reports_commissioner import activate_a_dearer_version, as_json, report
from tests.integration.test_reports_world import CONTRACT, Q2_RUN, build_ledger, fixed

# the run is made on 5 July with the books as they stood at the end of June (--as-of)
AS_OF = datetime(2015, 6, 30, 23, 0, tzinfo=UTC)


def _claim_q2_as_of_end_of_june(engine: Engine, tmp_path: Path) -> None:
    build_ledger(engine, tmp_path, q2=False, reconciled=True)
    reconcile(
        engine, CONTRACT, "2015-Q2", AS_OF, actor="intermediary", now=Q2_RUN, clock=fixed(Q2_RUN)
    )


def test_a_later_dearer_version_changes_nothing_in_the_report_of_a_claimed_period(
    engine: Engine, tmp_path: Path
) -> None:
    _claim_q2_as_of_end_of_june(engine, tmp_path)
    before = as_json(report(engine))
    activate_a_dearer_version(engine, tmp_path)
    made = report(engine)
    after = as_json(made)

    # the version and the cut-off of the run that made the claim, not of today
    assert made.spec_version == 1
    assert made.cut_off == AS_OF
    cover = after["cover"]
    assert cover["Spec version"].startswith("1 ")
    assert cover["Cut-off"].startswith("2015-06-30 23:00:00")

    # every figure is that run's: its lines (at the tariff it priced), its not-payable rows,
    # its totals
    lines = after["tables"]["lines"]
    assert lines, "the run posted lines into 2015-Q2"
    assert {x["spec_version"] for x in lines} == {1}
    assert "9000.00" not in {x["tariff"] for x in lines}
    for name in ("lines", "not_payable", "summary", "payments_by_period"):
        assert after["tables"][name] == before["tables"][name], name
    summary = {r["item"]: r for r in after["tables"]["summary"]}
    assert summary["Claimed on claim documents"]["note"] == "agrees with the lines"
    with unit_of_work(engine) as session:
        runs = table_of(ReconcileRun)
        totals = session.connection().execute(
            select(runs.c.totals).where(runs.c.period == "2015-Q2")
        )
        (run_totals,) = totals.scalars().all()
    assert summary["Claim this period"]["amount"] == _money(run_totals["council"]["claimed"])

    # and it says what version 2 would change
    later = cover["Later version"]
    assert "version 2 is in force now" in later
    assert "version 2 would change what council owes for outcomes achieved in 2015-Q2" in later


def test_the_not_payable_rows_are_the_ones_the_run_kept(engine: Engine, tmp_path: Path) -> None:
    _claim_q2_as_of_end_of_june(engine, tmp_path)
    with unit_of_work(engine) as session:
        kept = table_of(RunNotPayable)
        stored = {
            (r.evidence_id, r.reason)
            for r in session.connection().execute(select(kept.c.evidence_id, kept.c.reason))
        }
    shown = {
        (r["evidence_id"], r["reason"]) for r in as_json(report(engine))["tables"]["not_payable"]
    }
    assert shown, "some Q2 evidence earns nothing"
    assert shown <= stored


def _money(minor: int) -> str:
    return str(Decimal(minor).scaleb(-2))
