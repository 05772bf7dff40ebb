"""Hostile text stored in the ledger comes out of every report and the export as text, never as
a formula, and never breaks a workbook (issue 13, findings 1 and 6), on SQLite and PostgreSQL.

The ledger is tests/integration/hostile_world.py's: ids, references, reasons and names that are
formulas, `+1`, `@SUM(A1)`, `-2+3`, `#N/A`, tabs, CR and control characters, stored as an old
ledger may hold them. Every file is made by the `outcomes` commands, as a user would make it,
and read back as a spreadsheet (openpyxl) or a csv reader would.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine

from api.app import create_app
from api.cli import main
from ledger.services.export import EXPORT_COLUMNS
from ledger.storage.db import make_engine, unit_of_work
from ledger.storage.tokens import create_token
from reporting.claim_pack import AUDIT_COLUMNS
from reporting.payment_lines import LINE_COLUMNS as REPORT_LINE_COLUMNS
from reporting.progress import PROGRESS_COLUMNS
from reporting.report import Column, Kind
from tests.integration import test_investor_report as investors
from tests.integration.hostile_world import (
    FORMULA_NAME,
    as_local,
    build_hostile_ledger,
    load_as_stored_long_ago,
    shown,
)
from tests.integration.test_reports_world import CONTRACT
from tests.read_back import FORMULA_STARTS, from_csv, shown_in_xlsx

LINE_COLUMNS = (*REPORT_LINE_COLUMNS, *AUDIT_COLUMNS)  # the claim pack's lines
EXPORT_NUMBERS = {"spec_version", "occurrence", "amount", "achieved_on", "posted_at"}


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.stderr
    return result.stdout


def cells(path: Path) -> Iterator[tuple[str, Any]]:
    """Every non-empty cell of a workbook as (sheet, cell); none is a formula or an error."""
    for sheet in load_workbook(path).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                assert cell.data_type not in ("f", "e"), (sheet.title, cell.coordinate, cell.value)
                yield sheet.title, cell


def sheet_values(path: Path) -> dict[str, set[object]]:
    found: dict[str, set[object]] = {}
    for title, cell in cells(path):
        found.setdefault(title, set()).add(cell.value)
    return found


def csv_rows(text: str, columns: tuple[Column, ...]) -> list[dict[str, str]]:
    """The csv's rows, each text cell checked (no formula start) and given back as written."""
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    kinds = {c.name: c.kind for c in columns}
    for row in rows:
        for name, value in row.items():
            if kinds[name] is Kind.TEXT:
                assert not value.startswith(FORMULA_STARTS), (name, value)
                row[name] = from_csv(value)
    return rows


@pytest.fixture
def hostile(cli_env: str, engine: Engine, tmp_path: Path) -> Path:
    build_hostile_ledger(engine, cli_env, tmp_path / "ledger")
    return tmp_path


def report(folder: Path, kind: str, fmt: str, *options: str) -> Path:
    out = folder / f"{kind}-{'-'.join(options)}.{fmt}"
    run("report", kind, CONTRACT, "--period", "2015-Q2", "--format", fmt, "--out", str(out),
        *options)  # fmt: skip
    return out


def test_the_payment_workbook_shows_every_hostile_text_as_text(hostile: Path) -> None:
    values = sheet_values(report(hostile, "commissioner", "xlsx", "--payer", "council"))
    assert {shown("XPIDQ1"), shown("XPIDQ2"), shown("XEVQ2")} <= as_local(values["Lines"])
    assert shown("LL-E2") in values["Lines"]
    drawn = {shown_in_xlsx(shown("XPIDQ6")), shown_in_xlsx(shown("XEVQ8"))}  # BEL, ESC, VT
    assert {shown("XEVQ4"), *drawn} <= as_local(values["Not payable"])
    assert f"{FORMULA_NAME} ({CONTRACT})" in values["Claim"]
    assert "@SUM(A1) council (council)" in values["Claim"]
    top_up = sheet_values(report(hostile, "commissioner", "xlsx", "--payer", "top-up"))
    assert shown("REP-TEST-2015-Q1-TOP-UP-1") in top_up["Money received"]
    assert shown("XPIDQ5") in as_local(top_up["Lines"])


def test_the_progress_workbooks_show_every_hostile_text_as_text(hostile: Path) -> None:
    north = sheet_values(report(hostile, "provider", "xlsx", "--provider", "north-care"))
    assert {shown("XPIDQ1"), shown("XPIDQ2"), shown_in_xlsx(shown("XPIDQ4"))} <= north["Deadlines"]
    assert shown("XPIDQ3") in north["Awaiting verification"]
    assert "-1 Move into accommodation" in north["Progress"]
    assert "North\u2407Care (north-care)" in north["Cover"]
    everyone = sheet_values(report(hostile, "provider", "xlsx"))
    assert f"{FORMULA_NAME} ({CONTRACT})" in everyone["Cover"]


def test_the_payment_csv_gives_back_every_text_and_starts_no_formula(hostile: Path) -> None:
    path = report(hostile, "commissioner", "csv", "--payer", "council")
    lines = csv_rows(path.read_text(encoding="utf-8"), LINE_COLUMNS)
    ids = as_local(row["participant_id"] for row in lines)
    assert {shown("XPIDQ1"), shown("XPIDQ2")} <= ids
    assert shown("LL-E2") in {row["evidence_references"] for row in lines}
    assert shown("XEVQ2") in as_local(row["evidence_ids"] for row in lines)
    # the ledger's own numbers stay numbers: the adjustment's minus sign, no apostrophe
    assert "-400.00" in {row["amount"] for row in lines}
    top_up = report(hostile, "commissioner", "csv", "--payer", "top-up").read_text()
    assert shown("XPIDQ5") in as_local(r["participant_id"] for r in csv_rows(top_up, LINE_COLUMNS))


def test_the_progress_csv_gives_back_every_text_and_starts_no_formula(hostile: Path) -> None:
    path = report(hostile, "provider", "csv", "--provider", "north-care")
    rows = csv_rows(path.read_text(encoding="utf-8"), PROGRESS_COLUMNS)
    assert "-1 Move into accommodation" in {row["name"] for row in rows}


def test_the_ledger_export_gives_back_every_text_and_starts_no_formula(hostile: Path) -> None:
    exported = run("ledger", "export", CONTRACT)
    rows = list(csv.DictReader(io.StringIO(exported, newline="")))
    assert rows and list(rows[0]) == list(EXPORT_COLUMNS)
    for row in rows:
        for name, value in row.items():
            if name not in EXPORT_NUMBERS:
                assert not value.startswith(FORMULA_STARTS), (name, value)
                row[name] = from_csv(value)
    ids = as_local(row["participant_id"] for row in rows)
    assert {shown(f"XPIDQ{n}") for n in (1, 2, 5)} <= ids
    assert shown("XEVQ2") in as_local(row["evidence_ids"] for row in rows)
    assert "-400.00" in {row["amount"] for row in rows}  # a number the ledger computed


def test_the_investor_report_shows_a_formula_name_as_text(
    cli_env: str, engine: Engine, tmp_path: Path
) -> None:
    spec = tmp_path / "peterborough.yaml"
    hostile = investors.SPEC.read_text(encoding="utf-8").replace(
        "name: Peterborough social impact bond (HMP Peterborough)", f"name: '{FORMULA_NAME}'"
    )
    hostile = hostile.replace("vehicle: Social Impact Partnership LP", 'vehicle: "SIP\\x07LP"')
    spec.write_text(hostile, encoding="utf-8")
    # a new spec with a control character in a name is refused at its JSON path ...
    refused = CliRunner().invoke(main, ["contract", "load", str(spec)])
    assert refused.exit_code == 1
    assert "$.investment.vehicle: the text contains a control character (U+0007)" in refused.stderr
    # ... and one stored before that rule still makes its report
    load_as_stored_long_ago(engine, hostile, str(spec), datetime(2015, 1, 1, tzinfo=UTC))
    cash = tmp_path / "cash.csv"
    cash.write_text(investors.cash_rows("5580000.00"), encoding="utf-8")
    run("cash", "import", investors.CONTRACT, str(cash))
    run("distribute", investors.CONTRACT, "--date", "2017-09-30")
    made = {}
    for fmt in ("xlsx", "csv"):
        made[fmt] = tmp_path / f"investor.{fmt}"
        run("report", "investor", investors.CONTRACT, "--period", "2017-Q3", "--format", fmt,
            "--out", str(made[fmt]))  # fmt: skip
    values = sheet_values(made["xlsx"])
    assert f"{FORMULA_NAME} ({investors.CONTRACT})" in values["Cover"]
    assert any("SIP\u2407LP" in str(v) for v in values["Cover"])
    rows = list(csv.reader(io.StringIO(made["csv"].read_text(encoding="utf-8"), newline="")))
    assert len(rows) > 1
    for row in rows:
        for value in row:
            # the returns table: subjects are the spec's ids; amounts the ledger's own numbers
            assert not value.startswith(("=", "+", "@", "\t", "\r")), value


def test_the_api_downloads_are_the_same_safe_files(cli_env: str, hostile: Path) -> None:
    engine = make_engine(cli_env)
    try:
        with unit_of_work(engine) as session:
            secret = create_token(
                session, "commissioner", "council", CONTRACT, actor="test", now=datetime.now(UTC)
            ).secret
        with TestClient(create_app(engine=engine)) as client:
            answer = client.get(
                f"/api/contracts/{CONTRACT}/reports/commissioner",
                params={"period": "2015-Q2", "payer": "council", "format": "csv"},
                headers={"Authorization": f"Bearer {secret}"},
            )
    finally:
        engine.dispose()
    assert answer.status_code == 200, answer.text
    cli = report(hostile, "commissioner", "csv", "--payer", "council").read_bytes()
    assert answer.content == cli  # byte for byte the CLI's file, checked above
    lines = csv_rows(answer.text, LINE_COLUMNS)
    assert shown("XPIDQ1") in as_local(row["participant_id"] for row in lines)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_the_pdf_claim_prints_every_hostile_text_as_itself(hostile: Path) -> None:
    # fpdf2 draws the text as it is: no markup read, no formula, no page-count alias
    pdf = report(hostile, "commissioner", "pdf", "--payer", "council")
    text = subprocess.run(
        ["pdftotext", "-raw", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    flat = " ".join(text.split())
    assert f"{FORMULA_NAME} ({CONTRACT})" in flat  # the contract's name, on the first page
    assert "@SUM(A1) council (council)" in flat
    assert shown("XPIDQ2") in flat  # "-2+3", a participant id, kept as written


def _libreoffice(source: Path, target: str, out: Path) -> Path:
    """`source` converted by LibreOffice (headless, its own profile) to `target` in `out`."""
    profile = (out / "profile").as_uri()
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", target,
         "--outdir", str(out), str(source)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return out / (source.stem + "." + target.split(":")[0])


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_opens_the_hostile_reports_and_evaluates_no_formula(hostile: Path) -> None:
    # the real program a commissioner opens them with: a formula it evaluated would come back
    # as its value ("Click for details", 2), not as the text the provider typed
    out = hostile / "libreoffice"
    out.mkdir()
    workbook = report(hostile, "commissioner", "xlsx", "--payer", "council")
    cover = _libreoffice(workbook, "csv", out).read_text(encoding="utf-8", errors="replace")
    assert FORMULA_NAME.replace('"', '""') in cover or FORMULA_NAME in cover
    assert "@SUM(A1) council" in cover
    lines = report(hostile, "commissioner", "csv", "--payer", "council")
    pdf = _libreoffice(lines, "pdf", out)
    if shutil.which("pdftotext") is not None:
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
        ).stdout
        # an evaluated HYPERLINK would show its label alone; as text it keeps quotes and paren
        assert '"Click for details")' in text
    else:
        assert pdf.stat().st_size > 0
