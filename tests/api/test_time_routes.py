"""Time through the API (issue 13, finding 4): a cut-off in the future is a 4xx and writes
nothing; a run at a cut-off earlier than an earlier run's is refused unless previewed and
confirmed; periods are the contract's own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from contract_specs.model import Role
from tests.api.conftest import OWN, verified_outcomes

RUNS = f"/api/contracts/{OWN}/reconciliations"
TOMORROW = (datetime.now(UTC) + timedelta(days=1)).replace(tzinfo=None).isoformat()


def _start(client: TestClient[Litestar], headers: dict[str, str], **body: Any) -> Any:
    return client.post(RUNS, headers=headers, json=body)


def _runs(client: TestClient[Litestar], headers: dict[str, str]) -> list[dict[str, Any]]:
    answer = client.get(RUNS, headers=headers)
    assert answer.status_code == 200
    runs: list[dict[str, Any]] = answer.json()
    return runs


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("reports/commissioner", {"period": "2015-Q1", "payer": "dwp", "fmt": "json"}),
        ("reports/provider", {"period": "2015-Q1", "fmt": "json"}),
        ("participants/P1/explain", {}),
    ],
)
def test_a_report_or_explanation_in_the_future_is_refused(
    client: TestClient[Litestar],
    as_role: dict[Role, dict[str, str]],
    path: str,
    params: dict[str, str],
) -> None:
    verified_outcomes(client, as_role)
    answer = client.get(
        f"/api/contracts/{OWN}/{path}",
        headers=as_role[Role.INTERMEDIARY],
        params={**params, "as_of": TOMORROW},
    )
    assert answer.status_code == 422, answer.text
    assert "is in the future" in answer.text


def test_a_run_in_the_future_is_refused_and_writes_nothing(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    verified_outcomes(client, as_role)
    manager = as_role[Role.INTERMEDIARY]
    answer = _start(client, manager, period="2015-Q1", as_of=TOMORROW)
    assert answer.status_code == 422, answer.text
    (detail,) = answer.json()["error"]["details"]
    assert detail["field"] == "as-of" and "is in the future" in detail["message"]
    assert _runs(client, manager) == []
    periods = client.get(f"/api/contracts/{OWN}/periods", headers=manager).json()
    assert {p["status"] for p in periods} == {"not reconciled"}


def test_periods_are_the_contracts_and_a_period_outside_is_refused(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    manager = as_role[Role.INTERMEDIARY]
    periods = client.get(f"/api/contracts/{OWN}/periods", headers=manager).json()
    assert (periods[0]["period"], periods[-1]["period"], len(periods)) == ("2015-Q1", "2018-Q1", 13)
    answer = _start(client, manager, period="2019-Q1")
    assert answer.status_code == 422
    assert "its periods run from 2015-Q1" in answer.json()["error"]["details"][0]["message"]


def test_a_rewind_is_refused_previewed_and_posted_only_when_confirmed(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    verified_outcomes(client, as_role)
    manager = as_role[Role.INTERMEDIARY]
    assert _start(client, manager, period="2015-Q1").status_code == 201  # as of now
    # a later period at a cut-off in 2015: everything imported since would be clawed back
    refused = _start(client, manager, period="2015-Q2", as_of="2015-07-05T00:00:00")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "rewind_required"
    assert len(_runs(client, manager)) == 1

    rewind = {"period": "2015-Q2", "rewind_to": "2015-07-05T00:00:00", "reason": "audit"}
    # a rewind without a preview's confirmation posts nothing
    unconfirmed = _start(client, manager, **rewind)
    assert unconfirmed.status_code == 422
    shown = client.post(f"{RUNS}/preview", headers=manager, json=rewind)
    assert shown.status_code == 200, shown.text
    preview = shown.json()
    assert preview["postings"] == 2 and preview["clawbacks_count"] == 2
    assert {p["payer"]: p["clawed_back"] for p in preview["payers"]} == {
        "dwp": "-2800.00",
        "topup": "-700.00",
    }
    assert {c["participant_id"] for c in preview["clawbacks"]} == {"acme/P1"}
    assert len(_runs(client, manager)) == 1  # the preview stored nothing
    assert (
        client.post(f"{RUNS}/preview", headers=as_role[Role.COMMISSIONER], json=rewind).status_code
        == 403
    )

    wrong = _start(client, manager, **rewind, confirmation="0" * 64)
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (409, "preview_changed")
    posted = _start(client, manager, **rewind, confirmation=preview["confirmation"])
    assert posted.status_code == 201, posted.text
    run = posted.json()
    assert (run["postings"], run["posted"]) == (2, "-3500.00")
    assert run["rewind"]["reason"] == "audit"
    read = client.get(f"{RUNS}/{run['run_id']}", headers=as_role[Role.COMMISSIONER])
    assert read.json()["rewind"]["to"] == "2015-07-05T00:00:00+00:00"
