"""GET /api/contracts/{id}/indigo: the same INDIGO export as the CLI, for the intermediary only."""

from __future__ import annotations

import json
from datetime import date

from litestar.testing import TestClient

from contract_specs.model import Role
from ledger.storage.db import unit_of_work
from reporting.indigo import encode, indigo_export
from tests.api.conftest import OWN, RIVAL

DAY = date(2016, 1, 1)


def test_the_intermediary_reads_the_same_export_as_the_cli(
    client: TestClient, as_role: dict[Role, dict[str, str]]
) -> None:
    answer = client.get(
        f"/api/contracts/{OWN}/indigo",
        params={"as_of": DAY.isoformat()},
        headers=as_role[Role.INTERMEDIARY],
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    with unit_of_work(client.app.state.engine) as session:
        expected = encode(indigo_export(session, OWN, DAY))
    assert answer.content == expected
    assert json.loads(answer.content)["project"]["id"] == OWN


def test_other_roles_and_other_contracts_are_refused(
    client: TestClient, as_role: dict[Role, dict[str, str]]
) -> None:
    for role in (Role.COMMISSIONER, Role.INVESTOR, Role.PROVIDER, Role.EVALUATOR):
        refused = client.get(f"/api/contracts/{OWN}/indigo", headers=as_role[role])
        assert refused.status_code == 403, (role, refused.text)
    elsewhere = client.get(f"/api/contracts/{RIVAL}/indigo", headers=as_role[Role.INTERMEDIARY])
    assert elsewhere.status_code == 404, elsewhere.text
