"""Reading csv and xlsx uploads into rows with their file row numbers."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook

from ledger.intake.row_checks import read_upload

REQUIRED = ("participant_id", "cohort", "provider", "start_date")


def test_csv_rows_keep_file_row_numbers_and_skip_empty_rows(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text(
        "participant_id,cohort,provider,start_date\nP1,c1,acme,2015-02-01\n,,,\n\nP2,c1,acme,2015-03-01\n",
        encoding="utf-8",
    )
    upload = read_upload(path, REQUIRED)
    assert upload.errors == ()
    assert list(upload.frame["row"]) == [2, 5]
    assert list(upload.frame["participant_id"]) == ["P1", "P2"]


def test_missing_and_undeclared_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("participant_id,cohort,start_date,name\nP1,c1,2015-02-01,Alice\n")
    upload = read_upload(path, REQUIRED, optional=("date_of_birth",))
    assert [(e.row, e.column) for e in upload.errors] == [(1, "provider"), (1, "name")]


def test_xlsx_formula_is_an_error_at_its_cell_and_values_read_as_text(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([*REQUIRED, "date_of_birth"])
    sheet.append(["P1", "c1", "acme", datetime(2015, 2, 1), date(2000, 1, 2)])
    sheet.append([None, None, None, None, None])
    sheet.append(["P2", "c1", "acme", "=TODAY()", 7.5])
    path = tmp_path / "p.xlsx"
    book.save(path)
    upload = read_upload(path, REQUIRED, optional=("date_of_birth",))
    assert [str(e) for e in upload.errors] == [
        "p.xlsx:4: start_date: is a formula: paste the value instead"
    ]
    assert list(upload.frame["row"]) == [2, 4]
    assert upload.frame.loc[0, "start_date"] == "2015-02-01"
    assert upload.frame.loc[0, "date_of_birth"] == "2000-01-02"
    assert upload.frame.loc[1, "date_of_birth"] == "7.5"


def test_other_formats_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.txt"
    path.write_text("x")
    assert "upload a .csv or .xlsx" in read_upload(path, REQUIRED).errors[0].message
