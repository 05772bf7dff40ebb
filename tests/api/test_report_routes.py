"""Report downloads through the API: the right media type and file name, the same bytes as the
CLI writes, a commissioner's own payer and a provider's own participants only."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from openpyxl import load_workbook

from contract_specs.model import Role
from tests.api.conftest import OWN, token_for, verified_outcomes
from tests.integration.test_ledger_cli import run

REPORTS = f"/api/contracts/{OWN}/reports"
Q2 = "2015-Q2"


def _reconciled(client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]) -> None:
    verified_outcomes(client, as_role)
    for period in ("2015-Q1", Q2):
        answer = client.post(
            f"/api/contracts/{OWN}/reconciliations",
            headers=as_role[Role.INTERMEDIARY],
            json={"period": period},
        )
        assert answer.status_code == 201, answer.text


def _get(client: TestClient[Litestar], headers: dict[str, str], what: str, **params: Any) -> Any:
    return client.get(f"{REPORTS}/{what}", headers=headers, params={"period": Q2, **params})


def test_a_commissioner_downloads_its_payment_report_in_each_format(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    _reconciled(client, as_role)
    dwp = as_role[Role.COMMISSIONER]
    xlsx = _get(client, dwp, "commissioner")
    assert xlsx.status_code == 200, xlsx.text
    assert xlsx.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = xlsx.headers["content-disposition"]
    assert disposition == f'attachment; filename="{OWN}-commissioner-{Q2}-dwp.xlsx"'
    assert load_workbook(io.BytesIO(xlsx.content), read_only=True).sheetnames

    text = _get(client, dwp, "commissioner", format="csv")
    assert text.headers["content-type"].startswith("text/csv")
    assert text.headers["content-disposition"].endswith('-dwp.csv"')
    lines = list(csv.DictReader(io.StringIO(text.text)))
    # Q2's claim to dwp is 80% of B1's level 2 (3,300): the lines add up to it
    amounts = [row[name] for row in lines for name in row if "amount" in name]
    assert "2640.00" in amounts

    data = _get(client, dwp, "commissioner", format="json")
    assert data.headers["content-type"].startswith("application/json")
    assert data.json()["report"] == "commissioner"


def test_the_download_is_the_clis_file(
    client: TestClient[Litestar],
    as_role: dict[Role, dict[str, str]],
    cli_env: str,
    tmp_path: Path,
) -> None:
    _reconciled(client, as_role)
    for fmt in ("xlsx", "csv", "json"):
        out = tmp_path / f"report.{fmt}"
        args = ("report", "commissioner", OWN, "--period", Q2, "--payer", "dwp")
        assert run(*args, "--format", fmt, "--out", str(out))[0] == 0
        got = _get(client, as_role[Role.INTERMEDIARY], "commissioner", payer="dwp", format=fmt)
        assert got.content == out.read_bytes(), fmt


def test_a_commissioner_reads_only_its_own_payer(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    _reconciled(client, as_role)
    other = _get(client, as_role[Role.COMMISSIONER], "commissioner", payer="topup")
    assert other.status_code == 404
    unnamed = _get(client, as_role[Role.INTERMEDIARY], "commissioner")
    assert unnamed.status_code == 422
    assert unnamed.json()["error"]["details"][0]["field"] == "payer"
    bad = _get(client, as_role[Role.INTERMEDIARY], "commissioner", payer="nobody")
    assert (bad.status_code, bad.json()["error"]["details"][0]["field"]) == (422, "payer")
    wrong = client.get(
        f"{REPORTS}/commissioner",
        headers=as_role[Role.COMMISSIONER],
        params={"period": "2015-Q9"},
    )
    assert wrong.status_code == 422
    assert wrong.json()["error"]["details"][0]["field"] == "period"


def _ids(report: dict[str, Any]) -> set[str]:
    return {
        str(row["participant_id"])
        for rows in report["tables"].values()
        for row in rows
        if "participant_id" in row
    }


def test_a_provider_sees_its_own_progress_only(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    _reconciled(client, as_role)
    url = f"/api/contracts/{OWN}/progress"
    acme = client.get(url, headers=as_role[Role.PROVIDER], params={"period": Q2})
    assert acme.status_code == 200, acme.text
    assert acme.json()["report"] == "provider"
    bravo = client.get(
        url, headers=token_for(client, Role.PROVIDER, "bravo"), params={"period": Q2}
    )
    whole = client.get(url, headers=as_role[Role.INTERMEDIARY], params={"period": Q2})
    assert _ids(acme.json()) == {"P1"} and _ids(bravo.json()) <= {"B1"}
    assert acme.json()["tables"] != bravo.json()["tables"]
    # a provider reads its own ids; the whole contract's report names each by its ledger key
    assert _ids(whole.json()) == {f"acme/{p}" for p in _ids(acme.json())} | {
        f"bravo/{p}" for p in _ids(bravo.json())
    }
    asked = client.get(
        url, headers=as_role[Role.PROVIDER], params={"period": Q2, "provider": "bravo"}
    )
    assert asked.status_code == 404
    download = _get(client, as_role[Role.PROVIDER], "provider", format="csv")
    assert download.headers["content-disposition"].endswith(f'provider-{Q2}-acme.csv"')
