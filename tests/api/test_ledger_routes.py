"""Reading the ledger through the API: postings filtered and paged (a provider sees only its own
participants'), explanations, and money as decimal strings in both the answers and the OpenAPI
document."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine

from api.cli.serve_cmds import openapi_document
from contract_specs.model import Role
from ledger.services.postings import post_entitlement
from ledger.storage.db import unit_of_work
from tests.api.conftest import OWN, token_for, verified_outcomes

URL = f"/api/contracts/{OWN}/postings"


@pytest.fixture
def posted(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], engine: Engine
) -> None:
    verified_outcomes(client, as_role)
    with unit_of_work(engine) as session:
        post_entitlement(session, OWN, "2015-Q2", datetime.now(UTC), "run-1")


def _lines(answer: Any) -> set[tuple[str, str, str]]:
    assert answer.status_code == 200, answer.text
    return {(p["participant_id"], p["payer"], p["amount"]) for p in answer.json()["items"]}


def test_postings_filter_and_page(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], posted: None
) -> None:
    investor = as_role[Role.INVESTOR]
    everything = client.get(URL, headers=investor)
    # every provider's postings: each participant by its ledger key, provider first
    assert _lines(everything) == {
        ("acme/P1", "dwp", "2800.00"),
        ("acme/P1", "topup", "700.00"),
        ("bravo/B1", "dwp", "2640.00"),
        ("bravo/B1", "topup", "660.00"),
    }
    assert everything.json()["total"] == 4
    assert _lines(client.get(URL, headers=investor, params={"payer": "topup"})) == {
        ("acme/P1", "topup", "700.00"),
        ("bravo/B1", "topup", "660.00"),
    }
    only = client.get(URL, headers=investor, params={"metric": "nqf2", "payer": "dwp"})
    assert _lines(only) == {("bravo/B1", "dwp", "2640.00")}
    theirs = client.get(URL, headers=investor, params={"participant_id": "bravo/B1"})
    assert {p for p, _, _ in _lines(theirs)} == {"bravo/B1"}
    assert client.get(URL, headers=investor, params={"period": "2015-Q3"}).json()["total"] == 0

    pages = [
        client.get(URL, headers=investor, params={"limit": 3, "offset": offset}).json()
        for offset in (0, 3)
    ]
    assert [len(p["items"]) for p in pages] == [3, 1]
    assert {p["total"] for p in pages} == {4}
    assert [i["posting_id"] for p in pages for i in p["items"]] == [
        i["posting_id"] for i in everything.json()["items"]
    ]


def test_a_provider_reads_only_its_participants_postings(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], posted: None
) -> None:
    acme = client.get(URL, headers=as_role[Role.PROVIDER])
    assert {p for p, _, _ in _lines(acme)} == {"P1"}
    assert acme.json()["total"] == 2
    bravo = client.get(URL, headers=token_for(client, Role.PROVIDER, "bravo"))
    assert {p for p, _, _ in _lines(bravo)} == {"B1"}
    # asking for another provider's participant by name finds nothing, not the other's money
    other = client.get(URL, headers=as_role[Role.PROVIDER], params={"participant_id": "B1"})
    assert other.json() == {"items": [], "total": 0, "limit": 100, "offset": 0}
    # a provider names its own participant by its own id
    own = client.get(URL, headers=as_role[Role.PROVIDER], params={"participant_id": "P1"})
    assert own.json()["total"] == 2 and {i["evidence_ids"][0] for i in own.json()["items"]} == {
        "E1"
    }


def test_explain_gives_money_as_strings(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], posted: None
) -> None:
    # the intermediary sees both payers' shares (a commissioner its own: test_reach_routes.py)
    answer = client.get(
        f"/api/contracts/{OWN}/participants/P1/explain", headers=as_role[Role.INTERMEDIARY]
    )
    assert answer.status_code == 200, answer.text
    (story,) = answer.json()["metrics"]
    assert (story["metric"], story["paid"]) == ("job_entry", "3500.00")
    assert sorted(p["amount"] for p in story["postings"]) == ["2800.00", "700.00"]


def _money_properties(document: dict[str, Any]) -> dict[str, Any]:
    money = {"amount", "paid", "claimed", "received", "outstanding", "difference"}
    return {
        f"{name}.{prop}": schema
        for name, component in document["components"]["schemas"].items()
        for prop, schema in component.get("properties", {}).items()
        if prop in money
    }


def test_the_openapi_document_types_money_as_strings() -> None:
    found = _money_properties(openapi_document())
    assert {"MetricStory.paid", "PostingItem.amount", "PostingLine.amount"} <= set(found)
    for place, schema in found.items():
        types = {schema.get("type")} | {s.get("type") for s in schema.get("oneOf", [])}
        assert "number" not in types and "integer" not in types, place
        assert "string" in types, place
