"""Idempotent retries, spec loading and the one error shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import col

from contract_specs.model import Role
from ledger.storage.db import unit_of_work
from ledger.storage.tables import AuditLog, Participant
from tests.api.conftest import OWN, RIVAL, token_for

SPEC = Path(__file__).parents[1] / "fixtures" / "specs" / "job_outcomes.yaml"
ROW = {
    "participant_id": "K1",
    "cohort": "c1",
    "provider": "acme",
    "start_date": "2015-02-01",
    "date_of_birth": "1995-06-01",
}


def _participants(engine: Engine) -> int:
    with unit_of_work(engine) as session:
        return int(session.scalar(select(func.count()).select_from(Participant)) or 0)


def test_a_retried_write_is_answered_from_the_first(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], engine: Engine
) -> None:
    headers = {**as_role[Role.PROVIDER], "Idempotency-Key": "k-1"}
    url = f"/api/contracts/{OWN}/participants"
    first = client.post(url, headers=headers, json={"rows": [ROW]})
    retry = client.post(url, headers=headers, json={"rows": [ROW]})
    assert (first.status_code, first.json()) == (201, {"new": 1, "unchanged": 0})
    # the same answer as the first time (not "0 new, 1 unchanged"), and marked as a replay
    assert (retry.status_code, retry.json()) == (201, {"new": 1, "unchanged": 0})
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _participants(engine) == 1


def test_a_key_reused_for_another_request_is_refused(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], engine: Engine
) -> None:
    headers = {**as_role[Role.PROVIDER], "Idempotency-Key": "k-2"}
    url = f"/api/contracts/{OWN}/participants"
    assert client.post(url, headers=headers, json={"rows": [ROW]}).status_code == 201
    other = client.post(url, headers=headers, json={"rows": [{**ROW, "participant_id": "K2"}]})
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert _participants(engine) == 1


def test_a_failed_write_keeps_no_key(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], engine: Engine
) -> None:
    headers = {**as_role[Role.PROVIDER], "Idempotency-Key": "k-3"}
    url = f"/api/contracts/{OWN}/participants"
    bad = client.post(url, headers=headers, json={"rows": [{**ROW, "cohort": "nope"}]})
    assert bad.status_code == 422
    fixed = client.post(url, headers=headers, json={"rows": [ROW]})
    assert fixed.status_code == 201, fixed.text


def test_every_write_is_audited_with_the_tokens_party_and_role(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], engine: Engine
) -> None:
    url = f"/api/contracts/{OWN}/participants"
    assert client.post(url, headers=as_role[Role.PROVIDER], json={"rows": [ROW]}).status_code == 201
    with unit_of_work(engine) as session:
        entries = session.scalars(
            select(AuditLog).where(col(AuditLog.action) == "participants.import")
        ).all()
    assert [(e.actor, e.subject) for e in entries] == [("provider:acme", f"contract:{OWN}")]


def test_an_intermediary_loads_a_new_contract_it_is_named_in(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    text = SPEC.read_text(encoding="utf-8")
    url = "/api/contracts/test-jobs/versions"
    headers = {**as_role[Role.INTERMEDIARY], "Content-Type": "application/yaml"}
    refused = client.post(url, headers=headers, content=text)
    assert refused.status_code == 403
    assert refused.json()["error"]["details"][0]["path"] == "$.parties"
    named = text.replace(
        "parties:\n", "parties:\n  - {id: manager, role: intermediary, name: The manager}\n"
    )
    loaded = client.post(url, headers=headers, content=named)
    assert (loaded.status_code, loaded.json()["version"]) == (201, 1)
    again = client.post(url, headers=headers, content=named)
    assert (again.status_code, again.json()["created"]) == (200, False)
    amended = named.replace('price: "2000.00"', 'price: "2100.00"')
    assert client.post(url, headers=headers, content=amended).json()["version"] == 2
    compared = client.get(
        "/api/contracts/test-jobs/versions/1/compare/2", headers=as_role[Role.INTERMEDIARY]
    )
    changes = compared.json()["differences"]
    assert [(d["before"], d["after"]) for d in changes] == [("2000", "2100")]
    assert changes[0]["path"].startswith("$.metrics[1].tariff")
    # another intermediary cannot learn that the contract exists, nor amend it
    boss = token_for(client, Role.INTERMEDIARY, "boss", RIVAL)
    stranger = client.post(
        url, headers={**boss, "Content-Type": "application/yaml"}, content=amended
    )
    assert stranger.status_code == 404


def test_a_spec_with_errors_is_refused_with_json_paths(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    broken = SPEC.read_text(encoding="utf-8").replace("currency: GBP", "currency: XXX")
    checked = client.post("/api/specs/validate", headers=as_role[Role.PROVIDER], content=broken)
    assert checked.status_code == 200
    assert checked.json()["valid"] is False
    assert "$.contract.currency" in [e["path"] for e in checked.json()["errors"]]
    loaded = client.post(
        "/api/contracts/test-jobs/versions", headers=as_role[Role.INTERMEDIARY], content=broken
    )
    assert loaded.status_code == 422
    assert "$.contract.currency" in [d["path"] for d in loaded.json()["error"]["details"]]


def test_every_error_has_the_same_shape_and_no_trace(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    answers = [
        client.get("/api/contracts"),
        client.get("/api/contracts", headers={"Authorization": "Bearer wrong"}),
        client.post(
            f"/api/contracts/{OWN}/verifications", headers=as_role[Role.PROVIDER], json={"rows": []}
        ),
        client.get("/api/contracts/none", headers=as_role[Role.PROVIDER]),
        client.get(f"/api/contracts/{OWN}/postings?limit=0", headers=as_role[Role.PROVIDER]),
        client.post(
            f"/api/contracts/{OWN}/participants", headers=as_role[Role.PROVIDER], json={"nope": 1}
        ),
        client.delete(f"/api/contracts/{OWN}", headers=as_role[Role.PROVIDER]),
    ]
    assert [a.status_code for a in answers] == [401, 401, 403, 404, 400, 400, 405]
    for answer in answers:
        error = answer.json()["error"]
        assert set(error) == {"status", "code", "message", "details"}
        assert error["status"] == answer.status_code
        assert "Traceback" not in answer.text
        for detail in error["details"]:
            assert "message" in detail and ({"path", "row", "column", "field"} & set(detail))


def test_a_retry_with_its_keys_in_another_order_is_the_same_request(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], engine: Engine
) -> None:
    headers = {**as_role[Role.PROVIDER], "Idempotency-Key": "k-order"}
    url = f"/api/contracts/{OWN}/participants"
    row = {**ROW, "region": "north", "care_leaver": "true"}
    first = client.post(url, headers=headers, json={"rows": [row]})
    assert first.status_code == 201, first.text
    # the same JSON body with every object's keys reversed and other whitespace
    reordered = {"rows": [dict(reversed(list(row.items())))]}
    text = json.dumps(reordered, indent=3)
    retry = client.post(url, headers={**headers, "Content-Type": "application/json"}, content=text)
    assert (retry.status_code, retry.json()) == (201, first.json()), retry.text
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert _participants(engine) == 1


def test_a_json_spec_retried_in_another_key_order_is_a_replay_and_another_spec_is_refused(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    spec = json.loads(SPEC.with_suffix(".json").read_text(encoding="utf-8"))
    spec["parties"].append({"id": "manager", "role": "intermediary", "name": "The manager"})
    url = f"/api/contracts/{spec['contract']['id']}/versions"
    headers = {
        **as_role[Role.INTERMEDIARY],
        "Content-Type": "application/json",
        "Idempotency-Key": "k-spec",
    }
    first = client.post(url, headers=headers, content=json.dumps(spec))
    assert first.status_code == 201, first.text
    reordered = json.dumps(_reversed_keys(spec), indent=2)
    retry = client.post(url, headers=headers, content=reordered)
    assert (retry.status_code, retry.json()) == (201, first.json()), retry.text
    assert retry.headers.get("Idempotent-Replayed") == "true"
    spec["contract"]["name"] = "Another name"
    other = client.post(url, headers=headers, content=json.dumps(spec))
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"


def _reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reversed_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed_keys(v) for v in value]
    return value
