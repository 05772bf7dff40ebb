"""Reach through the API follows the spec in force, tokens reach only the contracts they name, and
each payer sees only its own money on every route (issue 13, finding 3).

dwp-test is paid 80/20 by `dwp` and `topup`; `council` is a commissioner of dwp-test and of
`rival` (two organisations that happen to share an id, until the intermediary links them).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from contract_specs.model import ContractSpec, Party, Role
from ledger.services.contracts import load_spec_file, remember
from ledger.storage.db import unit_of_work
from tests.api.conftest import (
    OWN,
    RIVAL,
    load_version,
    own_spec,
    rival_spec,
    token_for,
    verified_outcomes,
)

CONTRACT = f"/api/contracts/{OWN}"
JOBS_SPEC = Path(__file__).parents[1] / "fixtures" / "specs" / "job_outcomes.yaml"
MANAGER = "  - {id: manager, role: intermediary, name: The manager}\n"
Q1, Q2 = "2015-Q1", "2015-Q2"


def _without(spec: ContractSpec, party: str, tag: str) -> ContractSpec:
    changed = dataclasses.replace(
        spec, parties=tuple(p for p in spec.parties if p.id != party), content_hash=tag
    )
    remember(changed)
    return changed


EVIDENCE_ROW = {
    "evidence_id": "E5",
    "participant_id": "P1",
    "metric": "job_entry",
    "achieved_on": "2015-03-01",
    "evidence_type": "payslip",
}


def _acme_works(client: TestClient[Litestar], acme: dict[str, str]) -> list[int]:
    """Acme reads its contract, polls its progress and submits evidence: the status of each."""
    return [
        client.get(CONTRACT, headers=acme).status_code,
        client.get(f"{CONTRACT}/progress", headers=acme, params={"period": Q1}).status_code,
        client.post(
            f"{CONTRACT}/evidence", headers=acme, json={"rows": [EVIDENCE_ROW]}
        ).status_code,
    ]


@pytest.fixture
def enrolled(client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]) -> None:
    verified_outcomes(client, as_role)


# --- the version in force decides ---------------------------------------------------------------


def test_a_dropped_providers_token_is_refused_on_the_next_request(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], enrolled: None
) -> None:
    acme = as_role[Role.PROVIDER]
    assert _acme_works(client, acme) == [200, 200, 201]
    # a warm token check and progress page are kept at this head: the drop must end them
    assert (
        client.get(f"{CONTRACT}/progress", headers=acme, params={"period": Q1}).status_code == 200
    )
    load_version(client, _without(own_spec(), "acme", "api-own-no-acme"))
    refused = client.get(CONTRACT, headers=acme)
    assert refused.status_code == 401
    assert "no longer" in refused.json()["error"]["message"]
    assert _acme_works(client, acme) == [401, 401, 401]
    # the other provider and the other parties are untouched
    assert client.get(CONTRACT, headers=as_role[Role.COMMISSIONER]).status_code == 200


def test_a_draft_changes_nothing_until_it_is_activated_and_the_old_version_restores_reach(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], enrolled: None
) -> None:
    acme, manager = as_role[Role.PROVIDER], as_role[Role.INTERMEDIARY]
    draft = load_version(client, _without(own_spec(), "acme", "api-own-draft"), active=False)
    assert _acme_works(client, acme) == [200, 200, 201]
    done = client.post(f"{CONTRACT}/versions/{draft}/activate", headers=manager)
    assert done.status_code == 200, done.text
    assert _acme_works(client, acme) == [401, 401, 401]
    assert client.post(f"{CONTRACT}/versions/1/activate", headers=manager).status_code == 200
    assert _acme_works(client, acme)[:2] == [200, 200]
    parties = client.get(CONTRACT, headers=manager).json()["parties"]
    assert "acme" in {p["id"] for p in parties}


# --- a party id means an organisation only within its contract ----------------------------------


def test_a_token_for_one_contract_does_not_reach_another_with_the_same_party_id(
    client: TestClient[Litestar],
) -> None:
    council = token_for(client, Role.COMMISSIONER, "council", OWN)
    assert [c["id"] for c in client.get("/api/contracts", headers=council).json()] == [OWN]
    assert client.get(f"/api/contracts/{RIVAL}", headers=council).status_code == 404
    assert client.get(f"/api/contracts/{RIVAL}/postings", headers=council).status_code == 404
    assert client.get(f"/api/contracts/{RIVAL}/periods", headers=council).status_code == 404


def test_a_token_linked_to_two_contracts_loses_only_the_one_that_dropped_it(
    client: TestClient[Litestar],
) -> None:
    both = token_for(client, Role.COMMISSIONER, "council", [OWN, RIVAL])
    assert [c["id"] for c in client.get("/api/contracts", headers=both).json()] == [OWN, RIVAL]
    load_version(client, _without(rival_spec(), "council", "api-rival-no-council"))
    assert [c["id"] for c in client.get("/api/contracts", headers=both).json()] == [OWN]
    assert client.get(f"/api/contracts/{RIVAL}", headers=both).status_code == 404
    assert client.get(CONTRACT, headers=both).status_code == 200


# --- each payer sees only its own money ---------------------------------------------------------


@pytest.fixture
def reconciled(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], enrolled: None
) -> dict[str, str]:
    """Q1 (P1's job, 3,500) and Q2 (B1's level 2, 3,300) reconciled; topup has paid Q1."""
    manager = as_role[Role.INTERMEDIARY]
    runs = {}
    for period in (Q1, Q2):
        started = client.post(
            f"{CONTRACT}/reconciliations", headers=manager, json={"period": period}
        )
        assert started.status_code == 201, started.text
        runs[period] = started.json()["run_id"]
    paid = {"payer": "topup", "amount": "700.00", "date": "2015-05-02",
            "reference": f"{OWN}-{Q1}-TOPUP-1".upper()}  # fmt: skip
    stored = client.post(f"{CONTRACT}/remittances", headers=manager, json={"rows": [paid]})
    assert stored.status_code == 201, stored.text
    return runs


def _payers_in(value: Any) -> set[str]:
    """Every payer id named anywhere in a JSON answer (under a `payer` key, or in a claim or
    match reference)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("payer", "subject") and isinstance(item, str) and item in {"dwp", "topup"}:
                found.add(item)
            found |= _payers_in(item)
    elif isinstance(value, list):
        for item in value:
            found |= _payers_in(item)
    elif isinstance(value, str):
        for payer in ("dwp", "topup"):
            if f"-{payer.upper()}-" in value:
                found.add(payer)
    return found


def _money_routes(runs: dict[str, str]) -> list[str]:
    return [
        f"{CONTRACT}/postings",
        f"{CONTRACT}/reconciliations",
        f"{CONTRACT}/reconciliations/{runs[Q1]}",
        f"{CONTRACT}/reconciliations/{runs[Q2]}",
        f"{CONTRACT}/periods",
        f"{CONTRACT}/participants/P1/explain",
        f"{CONTRACT}/participants/B1/explain",
    ]


def test_the_intermediary_sees_both_payers_money(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], reconciled: dict[str, str]
) -> None:
    manager = as_role[Role.INTERMEDIARY]
    for url in _money_routes(reconciled)[:3]:
        assert _payers_in(client.get(url, headers=manager).json()) == {"dwp", "topup"}, url


@pytest.mark.parametrize(("payer", "other"), [("dwp", "topup"), ("topup", "dwp")])
def test_a_commissioner_sees_none_of_another_payers_money_on_any_route(
    client: TestClient[Litestar], reconciled: dict[str, str], payer: str, other: str
) -> None:
    mine = token_for(client, Role.COMMISSIONER, payer)
    wrong = []
    for url in _money_routes(reconciled):
        answer = client.get(url, headers=mine)
        assert answer.status_code == 200, (url, answer.text)
        seen = _payers_in(answer.json())
        if other in seen:
            wrong.append(url)
    assert wrong == []
    asked = client.get(f"{CONTRACT}/postings", headers=mine, params={"payer": other})
    assert asked.status_code == 404
    assert asked.json()["error"]["code"] == "not_found"


def test_a_commissioners_totals_are_its_own(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], reconciled: dict[str, str]
) -> None:
    dwp = as_role[Role.COMMISSIONER]
    postings = client.get(f"{CONTRACT}/postings", headers=dwp).json()
    # a commissioner reads the ledger keys <provider>/<local id> (docs/api.md)
    assert {(p["participant_id"], p["amount"]) for p in postings["items"]} == {
        ("acme/P1", "2800.00"), ("bravo/B1", "2640.00")
    }  # fmt: skip
    assert postings["total"] == 2
    same = client.get(f"{CONTRACT}/postings", headers=dwp, params={"payer": "dwp"}).json()
    assert same == postings
    run = client.get(f"{CONTRACT}/reconciliations/{reconciled[Q1]}", headers=dwp).json()
    assert (run["postings"], run["posted"]) == (1, "2800.00")
    assert run["claims"] == [f"{OWN}-{Q1}-DWP-1".upper()]
    assert [p["payer"] for p in run["payers"]] == ["dwp"]
    # topup's remittance reconciles topup's claim; dwp's is still unpaid, and that is dwp's verdict
    assert run["verdict"] != "reconciled" and Decimal(run["unexplained"]) == 0
    assert run["matches"] == [] or all("TOPUP" not in "".join(m["claims"]) for m in run["matches"])
    topup = token_for(client, Role.COMMISSIONER, "topup")
    paid = client.get(f"{CONTRACT}/reconciliations/{reconciled[Q1]}", headers=topup).json()
    assert paid["verdict"] == "reconciled", paid
    periods = {
        p["period"]: p["verdict"] for p in client.get(f"{CONTRACT}/periods", headers=topup).json()
    }
    assert periods[Q1] == "reconciled"
    story = client.get(f"{CONTRACT}/participants/P1/explain", headers=dwp).json()
    (job,) = [m for m in story["metrics"] if m["metric"] == "job_entry"]
    assert (job["paid"], job["owed"]) == ("2800.00", "2800.00")
    assert [p["payer"] for p in job["postings"]] == ["dwp"]


def test_investors_and_evaluators_still_see_the_whole_contracts_postings(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], reconciled: dict[str, str]
) -> None:
    for role in (Role.INVESTOR, Role.EVALUATOR):
        answer = client.get(f"{CONTRACT}/postings", headers=as_role[role]).json()
        assert answer["total"] == 4, role


# --- each investor sees only its own tranches ---------------------------------------------------

PETERBOROUGH = Path(__file__).parents[2] / "contract_specs" / "examples" / "peterborough.yaml"
PB = "/api/contracts/peterborough"
FOUNDATIONS, BANK = "social-impact-partnership", "big-bank"
CASH_ROWS = [
    {"date": "2010-10-01", "kind": "capital_drawn", "tranche": "foundations",
     "amount": "250000.00", "reference": "DRAW-F1"},
    {"date": "2010-10-01", "kind": "capital_drawn", "tranche": "bank-equity",
     "amount": "90000.00", "reference": "DRAW-B1"},
    {"date": "2011-01-05", "kind": "service_fee", "party": "one-service", "component": "fixed",
     "amount": "200000.00", "reference": "FEE-1"},
    {"date": "2014-06-30", "kind": "distribution", "tranche": "bank-equity",
     "component": "capital", "amount": "10000.00", "reference": "DIST-B1"},
]  # fmt: skip


def _two_investors(folder: Path) -> Path:
    """Peterborough with a second investor (a bank) holding a tranche of its own."""
    text = PETERBOROUGH.read_text(encoding="utf-8")
    text = text.replace(
        "  - {id: social-finance, role: intermediary, name: Social Finance}\n",
        "  - {id: social-finance, role: intermediary, name: Social Finance}\n"
        f"  - {{id: {BANK}, role: investor, name: A bank}}\n",
    )
    text = text.replace(
        "repaid only from outcome payments\n",
        "repaid only from outcome payments\n"
        '    - {id: bank-equity, kind: equity, investor: big-bank, commitment: "1000000.00",\n'
        '       rank: 2, cap: {irr_percent: "10"}}\n',
        1,
    )
    path = folder / "peterborough.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def vehicle(client: TestClient[Litestar], tmp_path: Path) -> dict[str, dict[str, str]]:
    """Headers of the intermediary and of each investor; the cash recorded."""
    with unit_of_work(client.app.state.engine) as session:
        load_spec_file(session, _two_investors(tmp_path), actor="t", now=datetime.now(UTC))
    contract = "peterborough"
    headers = {
        party: token_for(client, role, party, contract)
        for role, party in (
            (Role.INTERMEDIARY, "social-finance"), (Role.INVESTOR, FOUNDATIONS),
            (Role.INVESTOR, BANK),
        )
    }  # fmt: skip
    stored = client.post(f"{PB}/cash", headers=headers["social-finance"], json={"rows": CASH_ROWS})
    assert stored.status_code == 201, stored.text
    return headers


def test_each_investor_reads_only_its_own_tranches_cash(
    client: TestClient[Litestar], vehicle: dict[str, dict[str, str]]
) -> None:
    def references(party: str) -> list[str]:
        answer = client.get(f"{PB}/cash", headers=vehicle[party])
        assert answer.status_code == 200, answer.text
        return [row["reference"] for row in answer.json()]

    assert references("social-finance") == ["DRAW-F1", "DRAW-B1", "FEE-1", "DIST-B1"]
    assert references(FOUNDATIONS) == ["DRAW-F1", "FEE-1"]
    assert references(BANK) == ["DRAW-B1", "FEE-1", "DIST-B1"]
    for party, own in ((FOUNDATIONS, {"foundations"}), (BANK, {"bank-equity"})):
        returns = client.get(f"{PB}/returns", headers=vehicle[party]).json()
        assert {r["subject"] for r in returns} == own


def test_each_investor_reads_its_own_tranches_in_the_investor_report(
    client: TestClient[Litestar], vehicle: dict[str, dict[str, str]]
) -> None:
    def report(party: str) -> tuple[str, dict[str, Any]]:
        answer = client.get(
            f"{PB}/reports/investor",
            headers=vehicle[party],
            params={"period": "2014-Q3", "format": "json"},
        )
        assert answer.status_code == 200, answer.text
        return answer.headers["content-disposition"], answer.json()["tables"]

    def tranches(tables: dict[str, Any]) -> dict[str, set[str]]:
        return {
            name: {str(row.get("tranche") or row.get("subject")) for row in tables[name]}
            for name in ("capital", "returns", "distributions")
        }

    _, whole = report("social-finance")
    assert tranches(whole) == {
        "capital": {"foundations", "bank-equity"},
        "returns": {"foundations", "bank-equity", "all"},
        "distributions": {"bank-equity"},
    }
    name, mine = report(FOUNDATIONS)
    assert tranches(mine) == {
        "capital": {"foundations"},
        "returns": {"foundations"},
        "distributions": set(),
    }
    assert name.endswith(f'-{FOUNDATIONS}.json"')
    _, banks = report(BANK)
    assert tranches(banks) == {
        "capital": {"bank-equity"}, "returns": {"bank-equity"}, "distributions": {"bank-equity"}
    }  # fmt: skip


def test_an_idempotent_replay_is_not_a_way_into_another_organisations_contract(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    # "manager" names dwp-test's manager in dwp-test, and another organisation in "elsewhere"
    elsewhere = rival_spec()
    elsewhere = dataclasses.replace(
        elsewhere,
        contract=dataclasses.replace(elsewhere.contract, id="elsewhere"),
        parties=(*elsewhere.parties, Party("manager", Role.INTERMEDIARY, "Another manager")),
        content_hash="api-elsewhere",
    )
    remember(elsewhere)
    load_version(client, elsewhere)
    stranger = token_for(client, Role.INTERMEDIARY, "manager", "elsewhere")
    text = JOBS_SPEC.read_text(encoding="utf-8").replace("parties:\n", "parties:\n" + MANAGER)
    url = "/api/contracts/test-jobs/versions"
    yaml = {"Content-Type": "application/yaml", "Idempotency-Key": "load-1"}
    first = client.post(url, headers={**as_role[Role.INTERMEDIARY], **yaml}, content=text)
    assert first.status_code == 201, first.text
    again = client.post(url, headers={**stranger, **yaml}, content=text)
    assert again.status_code == 404, again.text
    assert "Idempotent-Replayed" not in again.headers
