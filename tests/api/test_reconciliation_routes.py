"""Reconciliation through the API: a run posts and claims what is owed, remittances (JSON or a
file, idempotent) are matched, the verdict follows the money, and a closed period refuses runs."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from contract_specs.model import Role
from tests.api.conftest import OWN, verified_outcomes

RUNS = f"/api/contracts/{OWN}/reconciliations"
Q1 = "2015-Q1"
# P1's job entry (2015-03-01) is in the first quarter: 3,500 split 80/20
DWP_CLAIM, TOPUP_CLAIM = f"{OWN}-{Q1}-DWP-1".upper(), f"{OWN}-{Q1}-TOPUP-1".upper()


def _start(client: TestClient[Litestar], headers: dict[str, str], **body: Any) -> Any:
    return client.post(RUNS, headers=headers, json={"period": Q1, **body})


def _payers(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["payer"]: p for p in run["payers"]}


def test_a_run_posts_claims_and_a_rerun_posts_nothing(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    verified_outcomes(client, as_role)
    manager = as_role[Role.INTERMEDIARY]
    first = _start(client, manager)
    assert first.status_code == 201, first.text
    run = first.json()
    # B1's qualification (2015-05-01) waits for its own quarter
    assert (run["period"], run["postings"], run["posted"]) == (Q1, 2, "3500.00")
    assert sorted(run["claims"]) == sorted([DWP_CLAIM, TOPUP_CLAIM])
    assert {p: (v["posted"], v["claimed"]) for p, v in _payers(run).items()} == {
        "dwp": ("2800.00", "2800.00"),
        "topup": ("700.00", "700.00"),
    }
    assert run["verdict"] != "reconciled"  # nothing received yet

    again = _start(client, manager)
    assert (again.status_code, again.json()["postings"], again.json()["claims"]) == (201, 0, [])
    listed = client.get(RUNS, headers=as_role[Role.COMMISSIONER], params={"period": Q1})
    assert [r["run_id"] for r in listed.json()] == [run["run_id"], again.json()["run_id"]]
    read = client.get(f"{RUNS}/{run['run_id']}", headers=as_role[Role.INVESTOR])
    assert read.status_code == 200 and read.json()["posted"] == "3500.00"
    assert client.get(f"{RUNS}/nope", headers=manager).status_code == 404


def test_a_retried_start_is_answered_once(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    verified_outcomes(client, as_role)
    headers = {**as_role[Role.INTERMEDIARY], "Idempotency-Key": "run-q1"}
    first = _start(client, headers)
    retry = _start(client, headers)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert len(client.get(RUNS, headers=as_role[Role.INTERMEDIARY]).json()) == 1
    other = _start(client, headers, close=True)
    assert other.json()["error"]["code"] == "idempotency_key_reused"


def test_money_received_reconciles_the_period_and_imports_are_idempotent(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    verified_outcomes(client, as_role)
    manager = as_role[Role.INTERMEDIARY]
    run_id = _start(client, manager).json()["run_id"]
    rows = [
        {"payer": "dwp", "amount": "2800.00", "date": "2015-05-01", "reference": DWP_CLAIM},
        {"payer": "topup", "amount": "700.00", "date": "2015-05-02", "reference": TOPUP_CLAIM},
    ]
    url = f"/api/contracts/{OWN}/remittances"
    stored = client.post(url, headers=manager, json={"rows": rows})
    assert (stored.status_code, stored.json()) == (201, {"new": 2, "unchanged": 0})
    again = client.post(url, headers=manager, json={"rows": rows})
    assert (again.status_code, again.json()) == (200, {"new": 0, "unchanged": 2})
    csv = "payer,amount,date,reference\n" + "".join(
        f"{r['payer']},{r['amount']},{r['date']},{r['reference']}\n" for r in rows
    )
    upload = client.post(
        f"{url}/upload", headers=manager, files={"file": ("bank.csv", csv.encode())}
    )
    assert (upload.status_code, upload.json()) == (200, {"new": 0, "unchanged": 2})

    run = client.get(f"{RUNS}/{run_id}", headers=manager).json()
    assert (run["verdict"], run["unexplained"]) == ("reconciled", "0.00")
    assert {p: v["received"] for p, v in _payers(run).items()} == {
        "dwp": "2800.00",
        "topup": "700.00",
    }
    # a commissioner reads its own payer's line only (tests/api/test_reach_routes.py)
    own = client.get(f"{RUNS}/{run_id}", headers=as_role[Role.COMMISSIONER]).json()
    assert {p: v["received"] for p, v in _payers(own).items()} == {"dwp": "2800.00"}


def test_a_bad_remittance_row_is_named_and_nothing_is_stored(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    manager = as_role[Role.INTERMEDIARY]
    url = f"/api/contracts/{OWN}/remittances"
    rows = [
        {"payer": "dwp", "amount": "10.00", "date": "2015-05-01", "reference": "A"},
        {"payer": "dwp", "amount": "ten", "date": "2015-05-01", "reference": "B"},
    ]
    refused = client.post(url, headers=manager, json={"rows": rows})
    assert refused.status_code == 422
    assert [d["path"] for d in refused.json()["error"]["details"]] == ["$.rows[1].amount"]
    assert client.post(url, headers=manager, json={"rows": rows[:1]}).json()["new"] == 1


def test_a_closed_period_refuses_runs(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    verified_outcomes(client, as_role)
    manager = as_role[Role.INTERMEDIARY]
    closed = client.post(f"/api/contracts/{OWN}/periods/{Q1}/close", headers=manager, json={})
    assert closed.status_code == 201, closed.text
    assert (closed.json()["closed"], closed.json()["posted"]) == (True, "3500.00")
    refused = _start(client, manager)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "period_closed")
    periods = client.get(f"/api/contracts/{OWN}/periods", headers=as_role[Role.INVESTOR]).json()
    status = {p["period"]: p["status"] for p in periods}
    assert (status[Q1], status["2015-Q2"]) == ("closed", "not reconciled")


def test_a_period_that_is_not_one_is_named(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    answer = client.post(RUNS, headers=as_role[Role.INTERMEDIARY], json={"period": "2015-13"})
    assert answer.status_code == 422
    assert [d["field"] for d in answer.json()["error"]["details"]] == ["period"]
