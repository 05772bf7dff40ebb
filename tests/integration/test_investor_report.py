"""Issue acceptance, end to end through the CLI: Peterborough's investors, paid and unpaid.

Assumed cash (the spec's investment terms are assumed too): the foundations' 5,000,000.00 drawn
in 20 quarterly instalments of 250,000.00 from October 2010, of which 225,000.00 a quarter pays
the One Service and 12,500.00 a quarter pays costs; a final pooled result in July 2017.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import Engine

from api.cli import main
from contract_specs.model import add_months

SPEC = Path(__file__).parents[2] / "contract_specs" / "examples" / "peterborough.yaml"
CONTRACT = "peterborough"
RESULTS = "result_id,metric,cohort,observed,comparison,units,evaluated_on,reference\n"
# cohort 1 as published (8.4%) and cohort 2 below 10%: neither pays on its own
COHORTS = (
    "R1,reconviction_events_cohort,cohort-1,1.42,1.55,1000,2014-08-07,cohort 1\n"
    "R2,reconviction_events_cohort,cohort-2,1.38,1.52,1000,2016-07-27,cohort 2\n"
)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def cash_rows(income: str | None) -> str:
    rows = ["date,kind,tranche,party,component,amount,reference"]
    for i in range(20):
        day = add_months(date(2010, 10, 1), 3 * i).isoformat()
        rows.append(f"{day},capital_drawn,foundations,,,250000.00,DRAW-{i + 1}")
        rows.append(f"{day},service_fee,,one-service,fixed,225000.00,FEE-{i + 1}")
        rows.append(f"{day},cost,,,,12500.00,COST-{i + 1}")
    if income:
        rows.append(f"2017-09-29,outcome_income,,moj,,{income},MOJ-FINAL")
    return "\n".join(rows) + "\n"


def scenario(tmp_path: Path, pooled: str, income: str | None) -> dict[str, Any]:
    """Load the spec, the results and the cash; distribute; the 2017-Q3 report as JSON."""
    assert run("contract", "load", str(SPEC))[0] == 0
    results = tmp_path / "results.csv"
    results.write_text(RESULTS + COHORTS + pooled)
    assert run("results", "import", CONTRACT, str(results))[0] == 0
    cash = tmp_path / "cash.csv"
    cash.write_text(cash_rows(income))
    rows = 60 + (1 if income else 0)
    assert run("cash", "import", CONTRACT, str(cash)) == (0, f"{rows} new, 0 unchanged\n", "")
    assert run("distribute", CONTRACT, "--date", "2017-09-30")[0] == 0
    out = tmp_path / "investor.json"
    # the results were submitted today, long after 2017: a cut-off now lets the report see them
    # (a cut-off in the future is refused)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    code, _, err = run(
        "report", "investor", CONTRACT, "--period", "2017-Q3", "--format", "json",
        "--out", str(out), "--as-of", now,
    )  # fmt: skip
    assert code == 0, err
    document: dict[str, Any] = json.loads(out.read_text())
    return document


def only(rows: list[dict[str, Any]], **match: str) -> dict[str, Any]:
    (found,) = [r for r in rows if all(r[k] == v for k, v in match.items())]
    return found


def test_a_pooled_result_that_pays_returns_capital_plus_about_3_percent_a_year(
    cli_env: str, engine: Engine, tmp_path: Path
) -> None:
    # pooled 9.00%: 279 fewer events x 20,000.00 = 5,580,000.00 owed by the Ministry of Justice
    pooled = "R3,reconviction_events_pooled,pool,1.4105,1.55,2000,2017-07-27,final result\n"
    report = scenario(tmp_path, pooled, "5580000.00")["tables"]
    capital = only(report["capital"], tranche="foundations")
    assert capital["drawn"] == capital["capital_returned"] == "5000000.00"
    assert capital["capital_outstanding"] == "0.00"
    overall = only(report["returns"], subject="all")
    assert 2.5 <= float(overall["irr_percent"]) <= 4.0
    assert Decimal(overall["gain"]) > 0
    assert only(report["income"], period="2017-Q3", payer="moj")["amount"] == "5580000.00"
    # everything the contract owes has been received: nothing left to forecast as owed
    assert {row["owed"] for row in report["forecast"]} == {"0.00"}
    paid = sum(Decimal(r["amount"]) for r in report["distributions"])
    # the vehicle paid out everything it held: 5m in, 4.75m spent, 5.58m received
    assert paid == Decimal("5830000.00")


def test_a_result_below_the_threshold_brings_no_income_and_a_loss(
    cli_env: str, engine: Engine, tmp_path: Path
) -> None:
    # pooled (1.55 - 1.4415) / 1.55 = 7.0% < 7.5%: nothing is owed
    pooled = "R3,reconviction_events_pooled,pool,1.4415,1.55,2000,2017-07-27,final result\n"
    report = scenario(tmp_path, pooled, None)["tables"]
    assert report["income"] == []
    overall = only(report["returns"], subject="all")
    # only the unspent 250,000.00 came back
    assert overall["distributed"] == "250000.00"
    assert overall["gain"] == "-4750000.00"
    assert float(overall["irr_percent"]) < 0
    assert {row["total"] for row in report["forecast"]} == {"0.00"}


def test_the_workbook_has_a_native_line_chart_of_cumulative_cash(
    cli_env: str, engine: Engine, tmp_path: Path
) -> None:
    scenario(tmp_path, "", "5580000.00")
    out = tmp_path / "investor.xlsx"
    code, _, err = run(
        "report", "investor", CONTRACT, "--period", "2017-Q3", "--format", "xlsx", "--out", str(out)
    )
    assert code == 0, err
    workbook = load_workbook(out)
    sheet = next(ws for ws in workbook.worksheets if ws.title.lower().startswith("cumulative"))
    assert [type(c).__name__ for c in sheet._charts] == ["LineChart", "LineChart"]


@pytest.mark.parametrize("period", ["2017-13", "2017-Q5"])
def test_a_bad_period_is_named(cli_env: str, engine: Engine, tmp_path: Path, period: str) -> None:
    assert run("contract", "load", str(SPEC))[0] == 0
    code, _, err = run(
        "report", "investor", CONTRACT, "--period", period, "--out", str(tmp_path / "x.xlsx")
    )
    assert code == 1 and "--period" in err
