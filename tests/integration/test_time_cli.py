"""`outcomes` and time (issue 13, finding 4): cut-offs in the future, rewinds, periods outside
the contract, on the DWP Innovation Fund round 1 example (quarterly, service start 2012-04-01,
last outcome date 2015-09-30, 30 days' payment terms: periods 2012-Q2 to 2015-Q4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from api.cli import main
from ledger.storage.db import unit_of_work
from ledger.storage.tables import Posting
from reconciliation.tables import ReconcileRun
from tests.integration.test_ledger_cli import CONTRACT, run
from tests.integration.test_reconciliation_cli import verified_entry

TOMORROW = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")


@pytest.fixture
def paid(cli_env: str, tmp_path: Path) -> Path:
    """Y1's employment entry (2013-03-01) imported, verified and paid by a 2013-Q1 run today."""
    verified_entry(tmp_path)
    assert run("reconcile", CONTRACT, "--period", "2013-Q1")[0] == 0
    return tmp_path


def written(engine: Engine) -> tuple[int, int]:
    with unit_of_work(engine) as session:
        postings = session.scalar(select(func.count()).select_from(Posting))
        runs = session.scalar(select(func.count()).select_from(ReconcileRun))
    return postings or 0, runs or 0


@pytest.mark.parametrize(
    "command",
    [
        ("reconcile", CONTRACT, "--period", "2013-Q1", "--as-of", TOMORROW),
        ("ledger", "explain", CONTRACT, "Y1", "--as-of", TOMORROW),
        (
            *("report", "commissioner", CONTRACT, "--period", "2013-Q1", "--payer", "dwp"),
            *("--format", "csv", "--out", "report.csv", "--as-of", TOMORROW),
        ),
    ],
    ids=["reconcile", "explain", "report"],
)
def test_a_cut_off_in_the_future_is_refused(
    paid: Path, engine: Engine, command: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(paid)
    before = written(engine)
    code, out, err = run(*command)
    assert code == 1
    assert "--as-of: cut-off " in err and "is in the future" in err
    assert "Traceback" not in err + out
    assert written(engine) == before
    assert not (paid / "report.csv").exists()


def test_an_earlier_cut_off_is_refused_then_previewed_then_posted(
    paid: Path, engine: Engine
) -> None:
    before = written(engine)
    code, _, err = run("reconcile", CONTRACT, "--period", "2013-Q2", "--as-of", "2013-07-05")
    assert code == 1
    assert "--as-of: cut-off 2013-07-05 00:00:00 UTC is earlier than the cut-off of run" in err
    assert '--rewind-to 2013-07-05T00:00:00 --reason "..."' in err
    assert written(engine) == before

    rewind = ("reconcile", CONTRACT, "--period", "2013-Q2", "--rewind-to", "2013-07-05")
    result = CliRunner().invoke(main, [*rewind, "--reason", "re-run as of July 2013"], input="n\n")
    assert result.exit_code == 1
    # as of 5 July 2013 the ledger knew nothing of E1 (imported today): all of it comes back
    assert "it would make 1 posting(s):" in result.stdout
    assert "dwp: 1 posting(s), -2600.00, of which 1 clawback(s) -2600.00; credit claim" in (
        result.stdout
    )
    assert "Y1 employment_entry occurrence 1 dwp -2600.00" in result.stdout
    assert "nothing was posted" in result.stderr
    assert written(engine) == before

    code, _, err = run(*rewind)
    assert code == 1 and err.startswith("--reason: say in one line why")
    code, out, _ = run(*rewind, "--reason", "re-run as of July 2013", "--yes")
    assert code == 0
    assert "1 posting(s), dwp -2600.00" in out
    assert "rewound from the cut-off" in out and ": re-run as of July 2013" in out


def test_periods_are_those_of_the_contract_and_no_other(paid: Path) -> None:
    code, out, _ = run("periods", CONTRACT)
    assert code == 0
    listed = [line.split()[0] for line in out.splitlines()]
    # the contract ended in 2015: its periods, not every quarter up to today
    assert (listed[0], listed[-1], len(listed)) == ("2012-Q2", "2015-Q4", 15)
    code, _, err = run("reconcile", CONTRACT, "--period", "2016-Q1")
    assert code == 1
    assert err.strip() == (
        "--period: 2016-Q1 is not a period of dwp-innovation-fund-round-1: its periods run from "
        "2012-Q2 (service start 2012-04-01) to 2015-Q4 (last outcome date 2015-09-30 + 30 days' "
        "payment terms)"
    )
