"""What a refused file is told: a whole number too large says so and its limit; a problem of
the whole file is not told to fix rows."""

from __future__ import annotations

from pathlib import Path

from ledger.domain.errors import MISSING_COLUMN, RejectedUpload, RowError
from ledger.intake.row_checks import MAX_DIGITS, flag_whole_numbers, open_checks


def test_a_whole_number_of_more_than_18_digits_is_too_large_not_a_non_number(
    tmp_path: Path,
) -> None:
    path = tmp_path / "people.csv"
    path.write_text("units\n" + "9" * MAX_DIGITS + "\n" + "1" * (MAX_DIGITS + 1) + "\n1.5\n")
    checks = open_checks(path, ("units",))
    ok = flag_whole_numbers(checks, "units", checks.frame["units"])
    assert list(ok) == [True, False, False]
    said = {error.row: error.message for error in checks.errors}
    assert said[3] == (
        f"is too large: a whole number of at most {MAX_DIGITS} digits (at most {'9' * 18})"
    )
    assert said[4] == "is not a whole number"


def test_a_whole_file_problem_is_not_told_to_fix_rows() -> None:
    refused = RejectedUpload([RowError("big.csv", 0, "file", "is too large: at most 10 MB")])
    assert "row" not in str(refused).split("nothing was stored.")[1]
    assert str(refused).endswith("Correct the file as each problem says, then import it again.")


def test_a_file_with_bad_rows_is_told_to_fix_them() -> None:
    refused = RejectedUpload([RowError("p.csv", 3, "cohort", "is not a cohort")])
    assert str(refused).endswith("Fix every row listed and import the whole file again.")


def test_a_wrong_header_is_told_as_a_problem_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bank.csv"
    path.write_text("payer,amount,date,reference,colour\ndwp,1.00,2015-07-20,A,red\n")
    try:
        open_checks(path, ("payer", "amount", "date", "reference"))
    except RejectedUpload as refused:
        assert [(e.row, e.column) for e in refused.errors] == [(1, "colour")]
        assert str(refused).endswith("Correct the file as each problem says, then import it again.")
    else:
        raise AssertionError("a header with an unexpected column was accepted")


def test_missing_columns_are_named_and_the_header_is_where_to_add_them() -> None:
    refused = RejectedUpload(
        [RowError("p.csv", 1, c, MISSING_COLUMN) for c in ("cohort", "start_date")]
    )
    assert str(refused) == (
        "2 problem(s); nothing was stored. The header (row 1) has no column cohort, start_date: "
        "add them and import the whole file again."
    )
