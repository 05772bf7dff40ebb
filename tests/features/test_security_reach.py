"""Steps for features/security/reach.feature: reach follows the contract in force, tokens reach
only the contracts they were issued for, each payer sees only its own money (issue 13).

The API tests' world (tests/api/conftest.py: dwp-test and rival, one token per role of
dwp-test's parties) on each database backend.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import Engine

from contract_specs.model import ContractSpec, Party, Role
from ledger.storage.db import unit_of_work
from ledger.storage.tokens import TokenError, create_token
from tests.api.conftest import (
    LITESTAR_DEPRECATIONS,
    OWN,
    RIVAL,
    load_version,
    own_spec,
    rival_spec,
    token_for,
    verified_outcomes,
)

pytestmark = [pytest.mark.usefixtures("client"), pytest.mark.filterwarnings(LITESTAR_DEPRECATIONS)]

scenarios("security/reach.feature")

CONTRACT = f"/api/contracts/{OWN}"


@dataclass
class Scene:
    """What the scenario's parties hold and were answered."""

    bravo: dict[str, str] = field(default_factory=dict)
    draft: int = 0
    council: dict[str, str] = field(default_factory=dict)
    refusal: str = ""
    seen: list[Any] = field(default_factory=list)


@pytest.fixture
def scene(client: TestClient[Litestar]) -> Scene:
    return Scene(bravo=token_for(client, Role.PROVIDER, "bravo"))


def _without_bravo(tag: str) -> ContractSpec:
    spec = own_spec()
    parties = tuple(p for p in spec.parties if p.id != "bravo")
    return dataclasses.replace(spec, parties=parties, content_hash=tag)


# --- a party dropped by the version in force ----------------------------------------------------


@given("Bravo has read the contract with its token")
def bravo_reads(client: TestClient[Litestar], scene: Scene) -> None:
    assert client.get(CONTRACT, headers=scene.bravo).status_code == 200


@when("the intermediary puts in force a version of the contract that no longer names Bravo")
def bravo_dropped(client: TestClient[Litestar]) -> None:
    load_version(client, _without_bravo("feature-no-bravo"))


@when("the intermediary loads, as a draft, a version of the contract that no longer names Bravo")
def bravo_dropped_in_a_draft(client: TestClient[Litestar], scene: Scene) -> None:
    scene.draft = load_version(client, _without_bravo("feature-draft"), active=False)


def _activate(client: TestClient[Litestar], headers: dict[str, str], version: int) -> None:
    done = client.post(f"{CONTRACT}/versions/{version}/activate", headers=headers)
    assert done.status_code == 200, done.text


@when("the intermediary puts that draft in force")
def draft_in_force(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], scene: Scene
) -> None:
    _activate(client, as_role[Role.INTERMEDIARY], scene.draft)


@when("the intermediary puts the earlier version back in force")
def earlier_back(client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]) -> None:
    _activate(client, as_role[Role.INTERMEDIARY], 1)


@then("Bravo's next request is refused because its token reaches no contract")
def bravo_refused(client: TestClient[Litestar], scene: Scene) -> None:
    answer = client.get(CONTRACT, headers=scene.bravo)
    assert answer.status_code == 401
    assert "reaches no contract" in answer.json()["error"]["message"]


@then("Bravo cannot submit evidence either")
def bravo_cannot_submit(client: TestClient[Litestar], scene: Scene) -> None:
    row = {"evidence_id": "E7", "participant_id": "B1", "metric": "job_entry",
           "achieved_on": "2015-03-01", "evidence_type": "payslip"}  # fmt: skip
    answer = client.post(f"{CONTRACT}/evidence", headers=scene.bravo, json={"rows": [row]})
    assert answer.status_code == 401


@then("Bravo still reads the contract")
def bravo_still_reads(client: TestClient[Litestar], scene: Scene) -> None:
    assert client.get(CONTRACT, headers=scene.bravo).status_code == 200


@then("Acme still reads the contract")
def acme_still_reads(client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]) -> None:
    assert client.get(CONTRACT, headers=as_role[Role.PROVIDER]).status_code == 200


# --- one id, two organisations ------------------------------------------------------------------


@given(parsers.parse('another intermediary\'s contract also names a commissioner "{party}"'))
def rival_names(party: str) -> None:
    assert Party(party, Role.COMMISSIONER, "Council") in rival_spec().parties


@when(parsers.parse('the intermediary issues a token to "{party}" for its own contract'))
def council_token(client: TestClient[Litestar], scene: Scene, party: str) -> None:
    scene.council = token_for(client, Role.COMMISSIONER, party, OWN)


@then("that token lists only the intermediary's own contract")
def council_lists(client: TestClient[Litestar], scene: Scene) -> None:
    listed = client.get("/api/contracts", headers=scene.council).json()
    assert [c["id"] for c in listed] == [OWN]


@then("the other intermediary's contract answers as if it did not exist")
def rival_hidden(client: TestClient[Litestar], scene: Scene) -> None:
    rival = client.get(f"/api/contracts/{RIVAL}", headers=scene.council)
    missing = client.get("/api/contracts/no-such-contract", headers=scene.council)
    assert rival.status_code == missing.status_code == 404
    assert rival.json()["error"]["code"] == missing.json()["error"]["code"]


# --- issuing tokens -----------------------------------------------------------------------------


def _refusal(engine: Engine, party: str, contracts: list[str]) -> str:
    with pytest.raises(TokenError) as refused, unit_of_work(engine) as session:
        create_token(session, "provider", party, contracts, actor="t", now=datetime.now(UTC))
    return str(refused.value)


@when("the intermediary asks for a token for Acme without naming a contract")
def acme_anywhere(engine: Engine, scene: Scene) -> None:
    scene.refusal = _refusal(engine, "acme", [])


@then("it is refused and told to name the contract")
def told_to_name(scene: Scene) -> None:
    assert "name the contract" in scene.refusal


@when("the intermediary asks for a token for Bravo after Bravo was dropped from the contract")
def bravo_after_drop(client: TestClient[Litestar], engine: Engine, scene: Scene) -> None:
    bravo_dropped(client)
    scene.refusal = _refusal(engine, "bravo", [OWN])


@then("it is refused because Bravo is not a provider of the contract in force")
def not_in_force(scene: Scene) -> None:
    assert f"'bravo' is not a provider of contract '{OWN}' (version 2, in force)" in scene.refusal


# --- each payer its own money -------------------------------------------------------------------


@given(parsers.parse("Acme's participant P1 entered a job on {day}, verified and reconciled"))
def p1_reconciled(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], day: str
) -> None:
    verified_outcomes(client, as_role)
    started = client.post(
        f"{CONTRACT}/reconciliations",
        headers=as_role[Role.INTERMEDIARY],
        json={"period": "2015-Q1"},
    )
    assert started.status_code == 201, started.text


@when("the top-up fund reads the postings, the quarter's run and the periods")
def topup_reads(client: TestClient[Litestar], scene: Scene) -> None:
    topup = token_for(client, Role.COMMISSIONER, "topup")
    postings = client.get(f"{CONTRACT}/postings", headers=topup).json()
    (run,) = client.get(f"{CONTRACT}/reconciliations", headers=topup).json()
    scene.seen = [postings, run]
    scene.council = topup


@then(parsers.parse("it sees only its own share of {amount}"))
def only_its_share(scene: Scene, amount: str) -> None:
    postings, run = scene.seen
    assert [(p["payer"], p["amount"]) for p in postings["items"]] == [("topup", amount)]
    assert [(p["payer"], p["posted"]) for p in run["payers"]] == [("topup", amount)]
    assert run["posted"] == amount
    assert run["claims"] == [f"{OWN}-2015-Q1-TOPUP-1".upper()]


@then("asking for the department's postings answers that there is no such payer")
def dwp_hidden(client: TestClient[Litestar], scene: Scene) -> None:
    answer = client.get(f"{CONTRACT}/postings", headers=scene.council, params={"payer": "dwp"})
    assert answer.status_code == 404
    assert "payer 'dwp'" in answer.json()["error"]["message"]
