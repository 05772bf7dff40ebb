"""Withdrawals through the API: a provider records its own participants' (never another's), the
intermediary anyone's; every row checked, all or nothing; and the count, never who."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import func, select

from contract_specs.model import Role
from ledger.storage.tables import ParticipantKey, Withdrawal, table_of
from tests.api.conftest import OWN, token_for, verified_outcomes

BASE = f"/api/contracts/{OWN}"


def _count(client: TestClient[Litestar], model: type) -> int:
    with client.app.state.engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(table_of(model))).scalar_one()
        )


def test_a_provider_withdraws_its_own_participant_and_never_another_providers(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    verified_outcomes(client, as_role)
    acme = as_role[Role.PROVIDER]
    keys = _count(client, ParticipantKey)

    # Bravo's B1 is, to Acme, an id nobody has: refused at its row and field, nothing stored
    theirs = client.post(
        f"{BASE}/withdrawals",
        headers=acme,
        json={"rows": [{"participant_id": "B1", "withdrawn_on": "2015-06-01"}]},
    )
    assert theirs.status_code == 422, theirs.text
    detail = theirs.json()["error"]["details"][0]
    assert detail["path"] == "$.rows[0].participant_id"
    assert "not one of your enrolled" in detail["message"]
    assert _count(client, Withdrawal) == 0

    # a bad date, or one before the start, is refused with its row; nothing of the file lands
    bad = client.post(
        f"{BASE}/withdrawals",
        headers=acme,
        json={
            "rows": [
                {"participant_id": "P1", "withdrawn_on": "2015-06-01"},
                {"participant_id": "P1", "withdrawn_on": "soon"},
            ]
        },
    )
    assert bad.status_code == 422
    assert "$.rows[1].withdrawn_on" in {d["path"] for d in bad.json()["error"]["details"]}
    assert _count(client, Withdrawal) == 0

    done = client.post(
        f"{BASE}/withdrawals",
        headers=acme,
        json={"rows": [{"participant_id": "P1", "withdrawn_on": "2015-06-01"}]},
    )
    assert (done.status_code, done.json()) == (201, {"new": 1, "unchanged": 0})
    assert _count(client, ParticipantKey) == keys - 1
    again = client.post(
        f"{BASE}/withdrawals",
        headers=acme,
        json={"rows": [{"participant_id": "P1", "withdrawn_on": "2015-06-01"}]},
    )
    assert (again.status_code, again.json()) == (200, {"new": 0, "unchanged": 1})
    other_day = client.post(
        f"{BASE}/withdrawals",
        headers=acme,
        json={"rows": [{"participant_id": "P1", "withdrawn_on": "2015-07-01"}]},
    )
    assert other_day.status_code == 422

    # counts, never who: Acme's own, Bravo's own (none), the intermediary's of everyone
    bravo = token_for(client, Role.PROVIDER, "bravo")
    assert client.get(f"{BASE}/withdrawals", headers=acme).json() == {
        "contract_id": OWN,
        "withdrawn": 1,
    }
    assert client.get(f"{BASE}/withdrawals", headers=bravo).json()["withdrawn"] == 0
    manager = as_role[Role.INTERMEDIARY]
    assert client.get(f"{BASE}/withdrawals", headers=manager).json()["withdrawn"] == 1


def test_the_intermediary_withdraws_anyones_and_a_commissioner_may_not(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    verified_outcomes(client, as_role)
    rows = {"rows": [{"participant_id": "bravo/B1", "withdrawn_on": "2015-06-01"}]}
    refused = client.post(f"{BASE}/withdrawals", headers=as_role[Role.COMMISSIONER], json=rows)
    assert refused.status_code == 403
    done = client.post(f"{BASE}/withdrawals", headers=as_role[Role.INTERMEDIARY], json=rows)
    assert done.status_code == 201, done.text
