"""A run's findings through the API: the run's answer and its read list what to act on as of the
cut-off (money as decimal strings); the list of runs leaves them out."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from contract_specs.model import Role
from tests.api.conftest import OWN, verified_outcomes

RUNS = f"/api/contracts/{OWN}/reconciliations"


def _pending_job_entry(client: TestClient[Litestar], manager: dict[str, str]) -> None:
    row = {
        "evidence_id": "E5",
        "participant_id": "B1",
        "metric": "job_entry",
        "achieved_on": "2015-04-01",
        "evidence_type": "payslip",
    }
    answer = client.post(f"/api/contracts/{OWN}/evidence", headers=manager, json={"rows": [row]})
    assert answer.status_code == 201, answer.text


def _overdue(cut_off: str, due: str) -> int:
    return (datetime.fromisoformat(cut_off).date() - date.fromisoformat(due)).days


def test_a_runs_findings_are_read_with_the_run(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    manager = as_role[Role.INTERMEDIARY]
    verified_outcomes(client, as_role)  # P1 entered a job on 2015-03-01, B1 gained a level 2
    _pending_job_entry(client, manager)  # B1's job entry waits for a verifier
    started = client.post(RUNS, headers=manager, json={"period": "2015-Q1"})
    assert started.status_code == 201, started.text
    run_id = started.json()["run_id"]

    read = client.get(f"{RUNS}/{run_id}", headers=as_role[Role.COMMISSIONER])
    assert read.status_code == 200
    run: dict[str, Any] = read.json()
    findings = run["findings"]
    assert findings == started.json()["findings"]
    cut_off = run["cut_off"]

    assert [
        (r["evidence_id"], r["participant_id"], r["age_days"], r["bucket"], r["past_sla"])
        for r in findings["awaiting_verification"]
    ] == [("bravo/E5", "bravo/B1", 0, "0-30", False)]
    # a sustained job is due 91 days after the entry (pending evidence of one counts too);
    # the longest overdue first
    assert [
        (r["participant_id"], r["metric"], r["expected_by"], r["days_overdue"])
        for r in findings["likely_unclaimed"]
    ] == [
        ("acme/P1", "job_sustained", "2015-05-31", _overdue(cut_off, "2015-05-31")),
        ("bravo/B1", "job_sustained", "2015-07-01", _overdue(cut_off, "2015-07-01")),
    ]
    assert findings["caps_near_exhaustion"] == []
    # every later period to the contract's last (2017-12-31 plus 30 days' terms) is due now
    late = [r["period"] for r in findings["unreconciled_periods"]]
    quarters = [f"{year}-Q{q}" for year in (2015, 2016, 2017) for q in (1, 2, 3, 4)]
    assert late == [*quarters[1:], "2018-Q1"]
    assert findings["unreconciled_periods"][0]["due_at"].startswith("2015-07-02T00:00:00")
    assert findings["counts"] == {
        "awaiting_verification": 1,
        "likely_unclaimed": 2,
        "caps_near_exhaustion": 0,
        "unreconciled_periods": 12,
    }

    listed = client.get(RUNS, headers=as_role[Role.INVESTOR]).json()
    assert [(r["run_id"], r["findings"]) for r in listed] == [(run_id, None)]
