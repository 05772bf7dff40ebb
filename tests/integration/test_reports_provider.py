"""The provider progress report on the hand-checked ledger (test_reports_world.py).

North Care (P1-P4) as of the 2015-Q2 run (2015-07-05): P1 entered 2015-02-01 and sustained
3 months; P2's entry was revoked and its sustainment evidence has no entry; P3 entered
2015-03-01 (still pending) and never evidenced 3 months (due 2015-06-01); P4 has nothing.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from ledger.storage.db import unit_of_work
from reporting.provider import provider_report
from reporting.write_text import write_json
from tests.integration.test_reports_world import CONTRACT, build_ledger


def tables(engine: Engine, provider: str | None = "north-care", **kw: Any) -> dict[str, Any]:
    with unit_of_work(engine) as session:
        made = provider_report(session, CONTRACT, "2015-Q2", provider, **kw)
    out = io.StringIO()
    write_json(made, out)
    found: dict[str, Any] = json.loads(out.getvalue())["tables"]
    return found


@pytest.fixture
def ledger(engine: Engine, tmp_path: Path) -> Engine:
    build_ledger(engine, tmp_path)
    return engine


def test_progress_per_cohort_and_metric_against_targets(ledger: Engine) -> None:
    rows = tables(ledger)["progress"]
    got = {
        r["metric"]: (
            r["enrolled"],
            r["achieved"],
            r["verified"],
            r["paid"],
            r["paid_amount"],
            r["target"],
            r["achieved_of_target"],
        )
        for r in rows
    }
    assert got == {
        "entry": (4, 2, 1, 1, "500.00", 4, "50.0"),  # P1 and P3 (pending); P2 revoked
        "sustained_3m": (4, 2, 2, 1, "1500.00", 3, "66.7"),  # one cohort: contract target
        "sustained_6m": (4, 0, 0, 0, "0.00", None, None),
    }


def test_the_funnel_counts_those_who_reached_every_earlier_step(ledger: Engine) -> None:
    rows = tables(ledger)["funnel"]
    assert [(r["metric"], r["participants"], r["of_previous"], r["of_start"]) for r in rows] == [
        ("entry", 2, None, "100.0"),
        ("sustained_3m", 1, "50.0", "50.0"),  # P2's sustainment has no entry left
        ("sustained_6m", 0, "0.0", "0.0"),
    ]


def test_deadlines_within_90_days_of_the_cut_off(ledger: Engine) -> None:
    rows = tables(ledger)["deadlines"]
    assert [
        (r["participant_id"], r["metric"], r["on"], r["days_left"], r["within"]) for r in rows
    ] == [
        ("P1", "sustained_6m", "2015-08-01", 27, "0-30"),  # entry 2015-02-01 + 6 months
        ("P2", "entry", "2015-08-01", 27, "0-30"),  # start 2015-02-01 + 6-month window
        ("P3", "sustained_6m", "2015-09-01", 58, "31-60"),
        ("P4", "entry", "2015-09-01", 58, "31-60"),
    ]


def test_awaiting_verification_and_likely_unclaimed(ledger: Engine) -> None:
    found = tables(ledger)
    assert [
        (r["evidence_id"], r["age_days"], r["bucket"], r["past_sla"])
        for r in found["awaiting_verification"]
    ] == [("E5", 112, "90+", True)]  # submitted 2015-03-15
    assert [
        (r["participant_id"], r["metric"], r["expected_by"], r["days_overdue"])
        for r in found["likely_unclaimed"]
    ] == [("P3", "sustained_3m", "2015-06-01", 34)]


def test_the_trigger_flags_3_month_sustainment_below_70_percent(ledger: Engine) -> None:
    north = tables(ledger)["flags"]
    assert [(r["kind"], r["metric"], r["period"], r["value"]) for r in north] == [
        ("trigger", "sustained_3m", "2015-Q2", "50.0% (1 of 2)")  # P1 and P3 due, P1 did
    ]
    assert tables(ledger, "south-care")["flags"] == []  # P5 due and sustained: 100%


def test_a_provider_sees_only_its_own_participants(ledger: Engine) -> None:
    ids: set[str] = set()
    for rows in tables(ledger, "south-care").values():
        ids |= {r["participant_id"] for r in rows if "participant_id" in r}
    assert "P5" in ids and ids <= {"P5", "P6"}
    assert tables(ledger, "south-care")["progress"][0]["enrolled"] == 2
    text = json.dumps(tables(ledger, "north-care"))
    assert "P5" not in text and "P6" not in text


def test_what_works_for_whom_withholds_small_groups(ledger: Engine) -> None:
    withheld = tables(ledger)["by_group"]
    assert {r["note"] for r in withheld} == {"fewer than 10 participants: numbers withheld"}
    assert all(r["participants"] is None for r in withheld)
    shown = tables(ledger, None, min_group=2)["by_group"]
    entry = {
        (r["by"], r["group"]): (r["participants"], r["achieved"], r["rate"])
        for r in shown
        if r["metric"] == "entry"
    }
    assert entry == {
        ("provider", "north-care"): (4, 2, "50.0"),
        ("provider", "south-care"): (2, 1, "50.0"),  # P5; P6 rejected
        ("care_leaver", "false"): (3, 1, "33.3"),  # P3, P4 (unset), P6
        ("care_leaver", "true"): (3, 2, "66.7"),  # P1, P2 (revoked), P5
    }


def test_enrolled_counts_only_those_started_by_the_period_end(
    ledger: Engine, tmp_path: Path
) -> None:
    # issue 14: a participant recorded in June who starts in August is not yet enrolled at Q2
    from datetime import UTC, datetime

    from ledger.services.contracts import active_spec
    from ledger.services.enrolment import import_participants

    later = tmp_path / "later.csv"
    later.write_text("participant_id,cohort,provider,start_date,care_leaver\n"
                     "P9,c1,north-care,2015-08-03,true\n")  # fmt: skip
    with unit_of_work(ledger) as session:
        active = active_spec(session, CONTRACT)
        now = datetime(2015, 6, 2, tzinfo=UTC)
        import_participants(session, CONTRACT, active, later, actor="provider", now=now)
    rows = tables(ledger)["progress"]
    assert {r["enrolled"] for r in rows} == {4}


def test_this_period_beside_the_previous_and_a_year_ago(ledger: Engine) -> None:
    rows = {r["measure"]: r for r in tables(ledger)["this_period"]}
    got = {
        m: (r["this_period"], r["previous_period"], r["same_period_last_year"])
        for m, r in rows.items()
    }
    assert got == {
        "starts": (0, 4, 0),  # P1-P4 started in 2015-Q1; the service began in 2015
        "entry": (0, 2, 0),  # P1 and P3 (pending); P2's entry was revoked
        "sustained_3m": (2, 0, 0),  # P1 and P2 in 2015-Q2
        "sustained_6m": (0, 0, 0),
    }
    assert rows["starts"]["change_on_previous"] == -4
