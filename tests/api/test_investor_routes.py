"""The investment vehicle through the API, on the Peterborough contract: the intermediary records
cash (JSON or a file, all or nothing, idempotent), investors read the cash and their returns."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine

from api.app import create_app
from contract_specs.model import Role
from ledger.services.contracts import load_spec_file
from ledger.storage.db import unit_of_work
from ledger.storage.tokens import create_token
from tests.api.conftest import bearer

SPEC = Path(__file__).parents[2] / "contract_specs" / "examples" / "peterborough.yaml"
PB = "peterborough"
CASH = f"/api/contracts/{PB}/cash"
PARTIES = {
    Role.INTERMEDIARY: "social-finance",
    Role.INVESTOR: "social-impact-partnership",
    Role.COMMISSIONER: "moj",
    Role.PROVIDER: "one-service",
}
ROWS = [
    {"date": "2010-10-01", "kind": "capital_drawn", "tranche": "foundations",
     "amount": "250000.00", "reference": "DRAW-1"},
    {"date": "2011-01-01", "kind": "capital_drawn", "tranche": "foundations",
     "amount": "250000.00", "reference": "DRAW-2"},
    {"date": "2011-01-05", "kind": "service_fee", "party": "one-service", "component": "fixed",
     "amount": "200000.00", "reference": "FEE-1"},
    {"date": "2014-06-30", "kind": "distribution", "tranche": "foundations",
     "component": "capital", "amount": "100000.00", "reference": "DIST-1"},
]  # fmt: skip


@pytest.fixture
def pb(engine: Engine) -> tuple[TestClient[Litestar], dict[Role, dict[str, str]]]:
    at = datetime(2016, 1, 1, tzinfo=UTC)
    with unit_of_work(engine) as session:
        load_spec_file(session, SPEC, actor="test", now=at)
        headers = {
            role: bearer(create_token(session, role.value, party, PB, actor="t", now=at).secret)
            for role, party in PARTIES.items()
        }
    return TestClient(create_app(engine=engine)), headers


def test_cash_is_recorded_once_and_returns_follow(
    pb: tuple[TestClient[Litestar], dict[Role, dict[str, str]]],
) -> None:
    client, headers = pb
    with client:
        manager, investor = headers[Role.INTERMEDIARY], headers[Role.INVESTOR]
        stored = client.post(CASH, headers=manager, json={"rows": ROWS})
        assert (stored.status_code, stored.json()) == (201, {"new": 4, "unchanged": 0})
        again = client.post(CASH, headers=manager, json={"rows": ROWS})
        assert (again.status_code, again.json()) == (200, {"new": 0, "unchanged": 4})

        cash = client.get(CASH, headers=investor).json()
        assert [(c["reference"], c["amount"]) for c in cash] == [
            (r["reference"], r["amount"]) for r in ROWS
        ]
        before = client.get(
            f"/api/contracts/{PB}/returns", headers=investor, params={"on": "2014-06-29"}
        ).json()
        after = client.get(
            f"/api/contracts/{PB}/returns", headers=investor, params={"on": "2014-06-30"}
        ).json()
        (tranche,) = [r for r in after if r["subject"] == "foundations"]
        assert (tranche["drawn"], tranche["capital_returned"]) == ("500000.00", "100000.00")
        assert (tranche["capital_outstanding"], tranche["gain"]) == ("400000.00", "-400000.00")
        assert tranche["committed"] == "5000000.00"
        # less came back than went in: the rate is negative once anything came back at all
        assert before[0]["irr_percent"] is None
        assert tranche["irr_percent"] is not None and tranche["irr_percent"].startswith("-")
        assert Decimal(tranche["money_multiple"]) == Decimal("0.2")


def test_a_bad_cash_row_stores_nothing(
    pb: tuple[TestClient[Litestar], dict[Role, dict[str, str]]],
) -> None:
    client, headers = pb
    with client:
        rows = [ROWS[0], {**ROWS[1], "tranche": "seniors"}]
        refused = client.post(CASH, headers=headers[Role.INTERMEDIARY], json={"rows": rows})
        assert refused.status_code == 422
        assert [d["path"] for d in refused.json()["error"]["details"]] == ["$.rows[1].tranche"]
        assert client.get(CASH, headers=headers[Role.INTERMEDIARY]).json() == []


def test_who_may_read_and_record_the_vehicles_cash(
    pb: tuple[TestClient[Litestar], dict[Role, dict[str, str]]],
) -> None:
    client, headers = pb
    with client:
        returns = f"/api/contracts/{PB}/returns"
        for role in (Role.COMMISSIONER, Role.PROVIDER):
            assert client.get(CASH, headers=headers[role]).status_code == 403
            assert client.get(returns, headers=headers[role]).status_code == 403
        recorded = client.post(CASH, headers=headers[Role.INVESTOR], json={"rows": ROWS})
        assert recorded.status_code == 403
        assert client.get(returns, headers=headers[Role.INTERMEDIARY]).status_code == 200
