"""Putting a spec version in force: a draft, or an earlier version again. No version row is ever
changed; each activation is a new fact with its actor and time, through the service, the API
(intermediary only) and the CLI."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine, select
from sqlmodel import col

from contract_specs.model import Role
from ledger.services.contracts import (
    UnknownSpecVersion,
    activate_version,
    active_spec,
    load_spec_file,
)
from ledger.storage.db import unit_of_work
from ledger.storage.tables import AuditLog, SpecVersion
from ledger.storage.versions import version_in_force
from tests.api.conftest import OWN, RIVAL, token_for
from tests.integration.test_ledger_cli import run

SPEC = Path(__file__).parents[1] / "fixtures" / "specs" / "job_outcomes.yaml"
CONTRACT = "test-jobs"
MANAGER = "  - {id: manager, role: intermediary, name: The manager}\n"
AT = datetime(2016, 3, 1, 9, 0, tzinfo=UTC)


def _texts() -> tuple[str, str]:
    """The fixture spec naming `manager` as intermediary, and an amendment of one tariff."""
    named = SPEC.read_text(encoding="utf-8").replace("parties:\n", "parties:\n" + MANAGER)
    amended = named.replace('price: "2000.00"', 'price: "2100.00"')
    assert amended != named
    return named, amended


def _files(folder: Path) -> tuple[Path, Path]:
    first, second = folder / "v1.yaml", folder / "v2.yaml"
    for path, text in zip((first, second), _texts(), strict=True):
        path.write_text(text, encoding="utf-8")
    return first, second


def _prices(engine: Engine) -> set[Decimal]:
    with unit_of_work(engine) as session:
        spec = active_spec(session, CONTRACT).spec
    return {entry.value for metric in spec.metrics for entry in metric.tariff.entries}


def _rows(engine: Engine) -> list[tuple[int, bool]]:
    with unit_of_work(engine) as session:
        rows = session.scalars(select(SpecVersion).order_by(col(SpecVersion.version))).all()
        return [(r.version, r.active) for r in rows if r.contract_id == CONTRACT]


def test_activation_is_a_new_fact_and_keeps_history(engine: Engine, tmp_path: Path) -> None:
    first, second = _files(tmp_path)
    with unit_of_work(engine) as session:
        load_spec_file(session, first, actor="a", now=AT)
        draft = load_spec_file(session, second, actor="a", now=AT, active=False)
    assert (draft.version, draft.active) == (2, False)
    assert Decimal("2100.00") not in _prices(engine)

    with unit_of_work(engine) as session:
        done = activate_version(session, CONTRACT, 2, "intermediary:manager", AT)
    assert (done.previous, done.changed) == (1, True)
    assert Decimal("2100.00") in _prices(engine)

    with unit_of_work(engine) as session:
        back = activate_version(session, CONTRACT, 1, "intermediary:manager", AT)
        again = activate_version(session, CONTRACT, 1, "intermediary:manager", AT)
    assert (back.previous, back.changed) == (2, True)
    assert (again.previous, again.changed) == (1, False)
    assert Decimal("2100.00") not in _prices(engine)
    # the version rows are exactly as they were loaded; the activations are the history
    assert _rows(engine) == [(1, True), (2, False)]
    with unit_of_work(engine) as session:
        entries = session.scalars(
            select(AuditLog)
            .where(col(AuditLog.action) == "spec.activate")
            .order_by(col(AuditLog.id))
        ).all()
        assert [(e.details["previous"], e.details["version"]) for e in entries] == [(1, 2), (2, 1)]


def test_an_unknown_version_is_refused(engine: Engine, tmp_path: Path) -> None:
    first, _ = _files(tmp_path)
    with unit_of_work(engine) as session:
        load_spec_file(session, first, actor="a", now=AT)
    with pytest.raises(UnknownSpecVersion, match="no version 3"), unit_of_work(engine) as session:
        activate_version(session, CONTRACT, 3, "a", AT)


def test_a_new_contracts_draft_is_reachable_and_activated_by_its_intermediary(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    named, _ = _texts()
    headers = as_role[Role.INTERMEDIARY]
    loaded = client.post(
        f"/api/contracts/{CONTRACT}/versions?draft=true",
        headers={**headers, "Content-Type": "application/yaml"},
        content=named,
    )
    assert loaded.status_code == 201, loaded.text
    assert (loaded.json()["version"], loaded.json()["active"]) == (1, False)
    contract = client.get(f"/api/contracts/{CONTRACT}", headers=headers)
    assert (contract.status_code, contract.json()["active_version"]) == (200, None)

    url = f"/api/contracts/{CONTRACT}/versions/1/activate"
    done = client.post(url, headers={**headers, "Idempotency-Key": "act-1"})
    assert done.status_code == 200, done.text
    assert done.json() == {"contract_id": CONTRACT, "version": 1, "previous": None, "changed": True}
    replay = client.post(url, headers={**headers, "Idempotency-Key": "act-1"})
    assert replay.json() == done.json() and replay.headers["Idempotent-Replayed"] == "true"
    assert client.get(f"/api/contracts/{CONTRACT}", headers=headers).json()["active_version"] == 1
    versions = client.get(f"/api/contracts/{CONTRACT}/versions", headers=headers).json()
    assert [(v["version"], v["active"]) for v in versions] == [(1, True)]


def test_only_the_contracts_intermediary_may_activate(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    url = f"/api/contracts/{OWN}/versions/1/activate"
    for role in (Role.COMMISSIONER, Role.INVESTOR, Role.PROVIDER, Role.EVALUATOR):
        assert client.post(url, headers=as_role[role]).status_code == 403, role
    boss = token_for(client, Role.INTERMEDIARY, "boss", RIVAL)
    assert client.post(url, headers=boss).status_code == 404
    missing = client.post(
        f"/api/contracts/{OWN}/versions/9/activate", headers=as_role[Role.INTERMEDIARY]
    )
    assert missing.status_code == 404
    assert "version 9" in missing.json()["error"]["message"]
    same = client.post(url, headers=as_role[Role.INTERMEDIARY])
    assert (same.status_code, same.json()["changed"]) == (200, False)


def test_the_cli_activates_a_draft(cli_env: str, engine: Engine, tmp_path: Path) -> None:
    first, second = _files(tmp_path)
    assert run("contract", "load", str(first))[0] == 0
    assert run("contract", "load", "--draft", str(second))[1] == (
        f"{CONTRACT}: version 2 loaded (draft)\n"
    )
    assert run("contract", "activate", CONTRACT, "2")[:2] == (
        0,
        f"{CONTRACT}: version 2 in force (was version 1)\n",
    )
    assert run("contract", "activate", CONTRACT, "2")[1] == (
        f"{CONTRACT}: version 2 is already in force\n"
    )
    code, _, err = run("contract", "activate", CONTRACT, "7")
    assert code == 1 and "no version 7" in err
    with unit_of_work(engine) as session:
        assert version_in_force(session, CONTRACT) == 2
