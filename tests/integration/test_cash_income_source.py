"""Outcome income is counted once: a contract whose money received is reconciled in the product
(a remittance on record) takes its outcome income from matched remittances only, so a cash import
refuses outcome_income rows, naming the row; other cash is imported as before.

The small rate card of tests/conftest.py with a one-tranche vehicle.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from ledger.domain.errors import RejectedUpload
from ledger.services.cash import load_cash
from ledger.services.contracts import ActiveSpec
from ledger.storage.db import unit_of_work
from reconciliation.income import import_cash_by_hand
from reconciliation.remittances import import_remittances
from tests.integration import test_reconciliation_income
from tests.integration.test_ledger_cli import run

NOW = datetime(2015, 7, 1, tzinfo=UTC)
HEADER = "date,kind,tranche,party,component,amount,reference\n"
DRAW = "2015-01-05,capital_drawn,equity,,,5000.00,DRAW-1\n"
INCOME = "2015-06-20,outcome_income,,dwp,,2800.00,DWP-JUNE\n"


# the small spec with a one-tranche vehicle (overrides conftest's `spec`)
spec = test_reconciliation_income.spec


def _file(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def _cash(engine: Engine, active: ActiveSpec, path: Path) -> None:
    with unit_of_work(engine) as session:
        import_cash_by_hand(session, "dwp-test", active, path, actor="t", now=NOW)


def _remittance(engine: Engine, active: ActiveSpec, folder: Path) -> None:
    text = "payer,amount,date,reference\ndwp,2800.00,2015-06-20,DWP-TEST-2015-Q2-DWP-1\n"
    with unit_of_work(engine) as session:
        import_remittances(
            session, "dwp-test", active.spec, _file(folder, "bank.csv", text), actor="t", now=NOW
        )


def _references(engine: Engine) -> list[str]:
    with unit_of_work(engine) as session:
        return [f.reference for f in load_cash(session, "dwp-test")]


def test_outcome_income_is_imported_by_hand_while_no_money_is_reconciled_here(
    engine: Engine, active: ActiveSpec, tmp_path: Path
) -> None:
    _cash(engine, active, _file(tmp_path, "cash.csv", HEADER + DRAW + INCOME))
    assert _references(engine) == ["DRAW-1", "DWP-JUNE"]


def test_once_remittances_are_reconciled_here_a_cash_file_with_income_is_refused_whole(
    engine: Engine, active: ActiveSpec, tmp_path: Path
) -> None:
    _remittance(engine, active, tmp_path)
    with pytest.raises(RejectedUpload) as refused:
        _cash(engine, active, _file(tmp_path, "cash.csv", HEADER + DRAW + INCOME))
    lines = refused.value.lines()
    assert len(lines) == 1
    assert lines[0].startswith("cash.csv:3: kind: outcome income of this contract is recorded ")
    assert "outcomes remittances import" in lines[0]
    assert _references(engine) == []  # the capital draw was not stored either
    _cash(engine, active, _file(tmp_path, "draws.csv", HEADER + DRAW))
    assert _references(engine) == ["DRAW-1"]


def test_outcomes_cash_import_says_so(
    engine: Engine, active: ActiveSpec, tmp_path: Path, cli_env: str
) -> None:
    _remittance(engine, active, tmp_path)
    path = _file(tmp_path, "cash.csv", HEADER + INCOME)
    code, _, err = run("cash", "import", "dwp-test", str(path))
    assert code == 1
    assert err.startswith("cash.csv:2: kind: outcome income of this contract is recorded ")
