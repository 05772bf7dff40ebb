"""The demo a newcomer starts with: a real history in the ledger, and a token per role."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient
from sqlalchemy import Engine, func, select

from api.app import create_app
from api.cli import main
from api.cli.demo_cmds import _examples
from api.demo import DEMO_CONTRACT, DEMO_QUARTERS, build_demo, demo_tokens, is_loaded
from contract_specs.model import Role
from ledger.services.cash import load_cash
from ledger.services.contracts import active_spec
from ledger.storage.db import unit_of_work
from ledger.storage.tables import Posting
from ledger.storage.tokens import authenticate
from reconciliation.status import period_bridge


def test_demo_history_reconciles_and_every_role_gets_a_working_token(engine: Engine) -> None:
    assert not is_loaded(engine)
    build_demo(engine, participants=120, seed=7)
    assert is_loaded(engine)

    with unit_of_work(engine) as session:
        spec = active_spec(session, DEMO_CONTRACT).spec
        verdicts = {
            q: period_bridge(session, spec, q, date(2017, 1, 10)).verdict.value
            for q in DEMO_QUARTERS
        }
        postings = session.scalar(select(func.count()).select_from(Posting))
    # paid quarters reconcile; the last one was claimed and is not yet due to be paid
    assert all(verdicts[q] == "reconciled" for q in DEMO_QUARTERS[:-1]), verdicts
    assert verdicts[DEMO_QUARTERS[-1]] == "reconciled_with_pending"
    assert postings and postings > 0

    # matched remittances became outcome income, which the vehicle paid out to the investors
    with unit_of_work(engine) as session:
        kinds = {f.kind.value for f in load_cash(session, DEMO_CONTRACT)}
    assert {"capital_drawn", "service_fee", "outcome_income", "distribution"} <= kinds

    tokens = demo_tokens(engine, datetime(2026, 1, 1, tzinfo=UTC))
    assert {t.role for t in tokens} == set(Role)
    with unit_of_work(engine) as session:
        for token in tokens:
            caller = authenticate(session, token.secret)
            assert caller is not None and caller.role == token.role
            assert caller.contracts == {DEMO_CONTRACT}  # issued for the demo contract
    # every example the demo prints answers, with the token printed beside it
    with TestClient(create_app(engine=engine)) as client:
        for token in tokens:
            for path in _examples(token.role.value):
                answer = client.get(path, headers={"Authorization": f"Bearer {token.secret}"})
                assert answer.status_code == 200, (token.role, path, answer.text[:200])


def test_demo_command_builds_once_and_prints_tokens(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUTCOMES_DATABASE_URL", db_url)
    from ledger.storage.settings import get_settings

    if hasattr(get_settings, "cache_clear"):
        get_settings.cache_clear()
    runner = CliRunner()
    first = runner.invoke(main, ["demo", "--no-serve", "--participants", "40"])
    assert first.exit_code == 0, first.output
    assert "loading fcf-ambition" in first.output
    assert first.output.count("olt_") >= len(Role)
    again = runner.invoke(main, ["demo", "--no-serve"])
    assert again.exit_code == 0, again.output
    assert "already loaded" in again.output
