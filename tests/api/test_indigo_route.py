"""GET /api/contracts/{id}/indigo: the same INDIGO export as the CLI, for the intermediary only."""

from __future__ import annotations

import json
from datetime import date

from litestar import Litestar
from litestar.testing import TestClient

from contract_specs.model import Role
from ledger.storage.db import unit_of_work
from reporting.indigo import encode, indigo_export
from reporting.indigo_profile import profile_from
from tests.api.conftest import OWN, RIVAL

DAY = date(2016, 1, 1)


def test_the_intermediary_reads_the_same_export_as_the_cli(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
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
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    for role in (Role.COMMISSIONER, Role.INVESTOR, Role.PROVIDER, Role.EVALUATOR):
        refused = client.get(f"/api/contracts/{OWN}/indigo", headers=as_role[role])
        assert refused.status_code == 403, (role, refused.text)
    elsewhere = client.get(f"/api/contracts/{RIVAL}/indigo", headers=as_role[Role.INTERMEDIARY])
    assert elsewhere.status_code == 404, elsewhere.text


def test_a_profile_posted_gives_the_clis_export_with_indigos_ids(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    profile = {
        "project_id": "INDIGO-POJ-0999",
        "policy_sector": "Employment and training",
        "jurisdiction": "GB",
        "organisations": {"dwp": "INDIGO-ORG-0001"},
    }
    answer = client.post(
        f"/api/contracts/{OWN}/indigo",
        params={"as_of": DAY.isoformat()},
        json=profile,
        headers=as_role[Role.INTERMEDIARY],
    )
    assert answer.status_code == 200, answer.text
    with unit_of_work(client.app.state.engine) as session:
        expected = encode(indigo_export(session, OWN, DAY, profile_from(profile)))
    assert answer.content == expected
    document = json.loads(answer.content)
    assert document["project"]["id"] == "INDIGO-POJ-0999"
    assert {
        "id": "INDIGO-ORG-0001",
        "data": {"name": {"value": "Department for Work and Pensions"}},
    } in document["organisations"]


def test_a_bad_profile_is_refused_with_its_places(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    bad = {
        "project_id": "POJ-1",
        "policy_sector": "Space",
        "organisations": {"nobody": "INDIGO-ORG-0001"},
    }
    answer = client.post(
        f"/api/contracts/{OWN}/indigo", json=bad, headers=as_role[Role.INTERMEDIARY]
    )
    assert answer.status_code == 422, answer.text
    text = answer.text
    assert "project_id" in text and "policy_sector" in text
    unknown = client.post(
        f"/api/contracts/{OWN}/indigo",
        json={"organisations": {"nobody": "INDIGO-ORG-0001"}},
        headers=as_role[Role.INTERMEDIARY],
    )
    assert unknown.status_code == 422, unknown.text
    assert "nobody" in unknown.text and "not a party" in unknown.text
