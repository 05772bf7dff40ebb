"""Importing remittances: workbooks as well as csv, identical rows, nothing half stored."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine

from contract_specs.model import ContractSpec
from ledger.domain.errors import RejectedUpload
from ledger.services.contracts import ActiveSpec
from ledger.storage.db import unit_of_work
from reconciliation.remittances import import_remittances, load_remittances

NOW = datetime(2015, 8, 1, tzinfo=UTC)


def workbook(path: Path, *rows: tuple[object, ...]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["payer", "amount", "date", "reference"])
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def imported(engine: Engine, spec: ContractSpec, path: Path) -> str:
    with unit_of_work(engine) as session:
        return str(import_remittances(session, "dwp-test", spec, path, actor="finance", now=NOW))


def test_a_workbook_is_read_like_a_csv_and_identical_rows_are_two_payments(
    engine: Engine, active: ActiveSpec, tmp_path: Path
) -> None:
    path = workbook(
        tmp_path / "bank.xlsx",
        ("dwp", 2800, date(2015, 7, 20), "DWP-TEST-2015-Q2-DWP-1"),
        ("dwp", 2800, date(2015, 7, 20), "DWP-TEST-2015-Q2-DWP-1"),
        ("topup", "-700.50", date(2015, 7, 21), "refund"),
    )
    assert imported(engine, active.spec, path) == "3 new, 0 unchanged"
    assert imported(engine, active.spec, path) == "0 new, 3 unchanged"
    with unit_of_work(engine) as session:
        found = load_remittances(session, "dwp-test")
    assert [(r.payer, r.amount, r.received_on) for r in found] == [
        ("dwp", 280_000, date(2015, 7, 20)),
        ("dwp", 280_000, date(2015, 7, 20)),
        ("topup", -70_050, date(2015, 7, 21)),
    ]
    assert len({r.remittance_id for r in found}) == 3


def test_one_bad_row_stores_nothing_and_every_problem_is_listed(
    engine: Engine, active: ActiveSpec, tmp_path: Path
) -> None:
    path = tmp_path / "bank.csv"
    path.write_text("payer,amount,date,reference\ndwp,2800.00,2015-07-20,A\n,0,,B\n")
    with pytest.raises(RejectedUpload) as refused:
        imported(engine, active.spec, path)
    assert refused.value.lines() == [
        "bank.csv:3: amount: is zero: leave the row out",
        "bank.csv:3: date: is empty: every row needs one",
        "bank.csv:3: payer: is empty: every row needs one",
    ]
    with unit_of_work(engine) as session:
        assert load_remittances(session, "dwp-test") == []
