"""The access matrix: every route x every role, on the caller's own contract and on a contract
of other parties, plus no token at all. Expected: 401 without a token, 403 for a role that may
never do the action (whatever the contract), 404 on a contract the caller is no party of, and
on its own contract an answer that is about the request itself (2xx, or 4xx about content)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from contract_specs.model import Role
from tests.api.conftest import OWN, RIVAL, UPLOADS, token_for, verified_outcomes

ALL = frozenset(Role)
UPLOADERS = frozenset({Role.INTERMEDIARY, Role.PROVIDER})
VERIFIERS = frozenset({Role.INTERMEDIARY, Role.COMMISSIONER, Role.EVALUATOR})
EVALUATORS = frozenset({Role.INTERMEDIARY, Role.EVALUATOR})
MANAGER = frozenset({Role.INTERMEDIARY})
MONEY_READERS = frozenset({Role.INTERMEDIARY, Role.COMMISSIONER, Role.INVESTOR})
PAYERS = frozenset({Role.INTERMEDIARY, Role.COMMISSIONER})
PROVIDERS = frozenset({Role.INTERMEDIARY, Role.PROVIDER})
INVESTORS = frozenset({Role.INTERMEDIARY, Role.INVESTOR})

EMPTY_ROWS: dict[str, Any] = {"json": {"rows": []}}
EMPTY_FILE: dict[str, Any] = {"files": {"file": ("empty.csv", b"")}}

# (method, path with {c} for the contract, request keywords, roles allowed)
ROUTES = [
    ("GET", "/api/contracts/{c}", {}, ALL),
    ("GET", "/api/contracts/{c}/versions", {}, ALL),
    ("GET", "/api/contracts/{c}/versions/1", {}, ALL),
    ("GET", "/api/contracts/{c}/versions/1/compare/1", {}, ALL),
    ("POST", "/api/contracts/{c}/participants", EMPTY_ROWS, UPLOADERS),
    ("POST", "/api/contracts/{c}/participants/upload", EMPTY_FILE, UPLOADERS),
    ("POST", "/api/contracts/{c}/evidence", EMPTY_ROWS, UPLOADERS),
    ("POST", "/api/contracts/{c}/evidence/upload", EMPTY_FILE, UPLOADERS),
    ("POST", "/api/contracts/{c}/verifications", EMPTY_ROWS, VERIFIERS),
    ("POST", "/api/contracts/{c}/verifications/upload", EMPTY_FILE, VERIFIERS),
    ("POST", "/api/contracts/{c}/results", EMPTY_ROWS, EVALUATORS),
    ("POST", "/api/contracts/{c}/results/upload", EMPTY_FILE, EVALUATORS),
    ("GET", "/api/contracts/{c}/postings", {}, ALL),
    ("GET", "/api/contracts/{c}/participants/P1/explain", {}, ALL),
    ("POST", "/api/contracts/{c}/versions/1/activate", {}, MANAGER),
    ("POST", "/api/contracts/{c}/reconciliations", {"json": {"period": "2015-Q1"}}, MANAGER),
    ("GET", "/api/contracts/{c}/reconciliations", {}, MONEY_READERS),
    ("GET", "/api/contracts/{c}/reconciliations/{run}", {}, MONEY_READERS),
    ("GET", "/api/contracts/{c}/periods", {}, MONEY_READERS),
    ("POST", "/api/contracts/{c}/periods/2015-Q4/close", {"json": {}}, MANAGER),
    ("POST", "/api/contracts/{c}/remittances", EMPTY_ROWS, MANAGER),
    ("POST", "/api/contracts/{c}/remittances/upload", EMPTY_FILE, MANAGER),
    ("GET", "/api/contracts/{c}/reports/commissioner?period=2015-Q1&payer=dwp", {}, PAYERS),
    ("GET", "/api/contracts/{c}/reports/provider?period=2015-Q1&format=csv", {}, PROVIDERS),
    ("GET", "/api/contracts/{c}/progress?period=2015-Q1", {}, PROVIDERS),
    # dwp-test declares no investment: the investors' routes answer 422 on it, never 403/404
    ("GET", "/api/contracts/{c}/reports/investor?period=2015-Q1", {}, INVESTORS),
    ("GET", "/api/contracts/{c}/returns", {}, INVESTORS),
    ("GET", "/api/contracts/{c}/cash", {}, INVESTORS),
    ("POST", "/api/contracts/{c}/cash", EMPTY_ROWS, MANAGER),
    ("POST", "/api/contracts/{c}/cash/upload", EMPTY_FILE, MANAGER),
]


def _enrol_p1(client: TestClient[Litestar], headers: dict[str, str], contract: str) -> None:
    body = (UPLOADS / "participants_good.csv").read_bytes()
    answer = client.post(
        f"/api/contracts/{contract}/participants/upload",
        headers=headers,
        files={"file": ("participants_good.csv", body)},
    )
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "allowed"), ROUTES, ids=[r[1] for r in ROUTES]
)
def test_every_role_on_every_route(
    client: TestClient[Litestar],
    as_role: dict[Role, dict[str, str]],
    method: str,
    path: str,
    kwargs: dict[str, Any],
    allowed: frozenset[Role],
) -> None:
    _enrol_p1(client, as_role[Role.INTERMEDIARY], OWN)
    run = ""
    if "{run}" in path:
        started = client.post(
            f"/api/contracts/{OWN}/reconciliations",
            headers=as_role[Role.INTERMEDIARY],
            json={"period": "2015-Q1"},
        )
        run = started.json()["run_id"]
    wrong: list[str] = []

    def check(role: Role | None, contract: str, expect: Any) -> None:
        headers = {} if role is None else as_role[role]
        url = path.format(c=contract, run=run)
        got = client.request(method, url, headers=headers, **kwargs)
        ok = expect(got.status_code)
        if not ok:
            wrong.append(f"{role} on {contract}: {got.status_code} {got.text[:200]}")

    check(None, OWN, lambda s: s == 401)
    for role in Role:
        if role in allowed:
            check(role, OWN, lambda s: s < 500 and s not in (401, 403, 404))
            check(role, RIVAL, lambda s: s == 404)
        else:
            check(role, OWN, lambda s: s == 403)
            check(role, RIVAL, lambda s: s == 403)
    assert wrong == []


def test_a_missing_contract_looks_like_another_partys(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    rival = client.get(f"/api/contracts/{RIVAL}", headers=as_role[Role.COMMISSIONER])
    missing = client.get("/api/contracts/no-such", headers=as_role[Role.COMMISSIONER])
    assert (rival.status_code, missing.status_code) == (404, 404)
    assert rival.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"


def test_each_role_lists_only_its_contracts(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    for role in Role:
        listed = client.get("/api/contracts", headers=as_role[role])
        assert [c["id"] for c in listed.json()] == [OWN], role


def test_a_provider_sees_only_its_own_participants(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    _enrol_p1(client, as_role[Role.INTERMEDIARY], OWN)
    explain = f"/api/contracts/{OWN}/participants/P1/explain"
    assert client.get(explain, headers=as_role[Role.PROVIDER]).status_code == 200
    bravo = token_for(client, Role.PROVIDER, "bravo")
    assert client.get(explain, headers=bravo).status_code == 404


def _postings(client: TestClient[Litestar], headers: dict[str, str], **params: str) -> Any:
    return client.get(f"/api/contracts/{OWN}/postings", headers=headers, params=params)


def _reconciled_two_payers(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    """Real postings of both payers (80/20) for Acme's P1 and Bravo's B1."""
    verified_outcomes(client, as_role)
    for period in ("2015-Q1", "2015-Q2"):
        run = client.post(
            f"/api/contracts/{OWN}/reconciliations",
            headers=as_role[Role.INTERMEDIARY],
            json={"period": period},
        )
        assert run.status_code == 201, run.text


# What the two reconciled quarters post: P1's job entry (3,500) and B1's level 2 (3,300), each
# split 80/20 between dwp and topup; as (participant, payer, amount) in ledger keys.
EVERY_POSTING = {
    ("acme/P1", "dwp", "2800.00"),
    ("acme/P1", "topup", "700.00"),
    ("bravo/B1", "dwp", "2640.00"),
    ("bravo/B1", "topup", "660.00"),
}
# Acme's provider token reads its own participant with its own id; dwp's token its own payer.
SEES = {
    Role.INTERMEDIARY: EVERY_POSTING,
    Role.INVESTOR: EVERY_POSTING,
    Role.EVALUATOR: EVERY_POSTING,
    Role.COMMISSIONER: {p for p in EVERY_POSTING if p[1] == "dwp"},
    Role.PROVIDER: {
        ("P1", payer, amount) for who, payer, amount in EVERY_POSTING if who == "acme/P1"
    },
}


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_postings_each_role_sees_exactly_its_own(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], role: Role
) -> None:
    _reconciled_two_payers(client, as_role)
    answer = _postings(client, as_role[role])
    assert answer.status_code == 200, answer.text
    page = answer.json()
    seen = [(p["participant_id"], p["payer"], p["amount"]) for p in page["items"]]
    assert sorted(seen) == sorted(SEES[role])
    assert page["total"] == len(SEES[role])


def test_postings_show_the_other_provider_only_its_participants(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    _reconciled_two_payers(client, as_role)
    bravo = _postings(client, token_for(client, Role.PROVIDER, "bravo")).json()
    seen = {(p["participant_id"], p["payer"], p["amount"]) for p in bravo["items"]}
    assert seen == {("B1", "dwp", "2640.00"), ("B1", "topup", "660.00")}


def test_postings_show_each_commissioner_only_its_own_payers(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    _reconciled_two_payers(client, as_role)
    everyone = _postings(client, as_role[Role.INTERMEDIARY]).json()
    assert {p["payer"] for p in everyone["items"]} == {"dwp", "topup"}
    topup = token_for(client, Role.COMMISSIONER, "topup")
    for headers, own, other in (
        (as_role[Role.COMMISSIONER], "dwp", "topup"),
        (topup, "topup", "dwp"),
    ):
        mine = _postings(client, headers)
        assert mine.status_code == 200
        assert {p["payer"] for p in mine.json()["items"]} == {own}
        assert mine.json()["total"] == 2
        assert _postings(client, headers, payer=own).json() == mine.json()
        assert _postings(client, headers, payer=other).status_code == 404


def test_a_token_reaches_only_the_contracts_it_was_issued_for(client: TestClient[Litestar]) -> None:
    both = token_for(client, Role.COMMISSIONER, "council", [OWN, RIVAL])
    only_rival = token_for(client, Role.COMMISSIONER, "council", RIVAL)
    assert [c["id"] for c in client.get("/api/contracts", headers=both).json()] == [OWN, RIVAL]
    assert [c["id"] for c in client.get("/api/contracts", headers=only_rival).json()] == [RIVAL]
    assert client.get(f"/api/contracts/{OWN}", headers=only_rival).status_code == 404
    assert client.get(f"/api/contracts/{RIVAL}", headers=only_rival).status_code == 200


def test_a_revoked_token_is_refused(client: TestClient[Litestar], engine: Any) -> None:
    from datetime import UTC, datetime

    from ledger.storage.db import unit_of_work
    from ledger.storage.tokens import create_token, revoke_token

    with unit_of_work(engine) as session:
        made = create_token(session, "investor", "fund", OWN, actor="t", now=datetime.now(UTC))
    headers = {"Authorization": f"Bearer {made.secret}"}
    assert client.get("/api/contracts", headers=headers).status_code == 200
    with unit_of_work(engine) as session:
        assert revoke_token(session, made.caller.token_id, actor="t", now=datetime.now(UTC))
    refused = client.get("/api/contracts", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthenticated"
