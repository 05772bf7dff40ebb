"""`outcomes report commissioner|provider`: the three formats, the same bytes twice, and every
problem with the command line reported at once."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import Engine

from api.cli import main
from tests.integration.test_reports_world import CONTRACT, build_ledger


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_commissioner_report_in_every_format(cli_env: str, engine: Engine, tmp_path: Path) -> None:
    build_ledger(engine, tmp_path / "ledger")
    outputs = {}
    for fmt in ("csv", "json", "xlsx", "pdf"):
        for copy in (1, 2):
            out = tmp_path / f"report-{copy}.{fmt}"
            code, text = run(
                "report", "commissioner", CONTRACT, "--period", "2015-Q2",
                "--payer", "council", "--format", fmt, "--out", str(out),
            )  # fmt: skip
            assert code == 0, text
            outputs[(fmt, copy)] = out.read_bytes()
        assert outputs[(fmt, 1)] == outputs[(fmt, 2)], fmt
    rows = list(csv.DictReader(outputs[("csv", 1)].decode().splitlines()))
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal("2000.00")
    document = json.loads(outputs[("json", 1)])
    assert set(document["tables"]) == {
        "claim_totals", "claim_position", "claim_changes", "claim_limits",
        "summary", "lines", "not_payable", "received", "payments_by_period",
    }  # fmt: skip
    assert outputs[("xlsx", 1)][:2] == b"PK"
    assert outputs[("pdf", 1)][:5] == b"%PDF-"


def test_provider_report_for_the_whole_contract(
    cli_env: str, engine: Engine, tmp_path: Path
) -> None:
    build_ledger(engine, tmp_path / "ledger")
    out = tmp_path / "progress.csv"
    code, text = run(
        "report", "provider", CONTRACT, "--period", "2015-Q2", "--format", "csv", "--out", str(out)
    )
    assert code == 0, text
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert {r["metric"]: r["enrolled"] for r in rows} == {
        "entry": "6", "sustained_3m": "6", "sustained_6m": "6",
    }  # fmt: skip


def test_a_wrong_command_line_names_every_problem(
    cli_env: str, engine: Engine, tmp_path: Path
) -> None:
    build_ledger(engine, tmp_path / "ledger", q2=False)
    code, text = run(
        "report", "provider", CONTRACT, "--period", "2015-13", "--provider", "east-care",
        "--out", str(tmp_path / "x.json"), "--format", "json",
    )  # fmt: skip
    assert code == 1
    lines = text.strip().splitlines()
    assert lines[0].startswith("--period: '2015-13'")
    assert lines[1].startswith("--provider: 'east-care' is not a provider")
    assert "north-care, south-care" in lines[1]
    assert not (tmp_path / "x.json").exists()
