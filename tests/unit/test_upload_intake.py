"""The intake of a file, before any contract rule: limits, encodings, what a file really is,
control characters, the size of numbers, and how many problems one refusal lists."""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import pytest

from ledger.domain.errors import MAX_LISTED, RejectedUpload, RowError, UploadTooLarge
from ledger.intake.reading import FileBytes, UploadLimits, read_file
from ledger.intake.row_checks import ROW, RowChecks, is_integer
from tests.broken_files import PEOPLE_HEADER, xlsx

ROOMY = UploadLimits(max_bytes=10_000_000, max_rows=1_000, max_cell_chars=500)


def _checks(*values: str) -> RowChecks:
    frame = pd.DataFrame(
        {
            ROW: pd.array(range(2, len(values) + 2), dtype="int64"),
            "amount": pd.array(list(values), dtype="str"),
        }
    )
    return RowChecks("bank.csv", frame)


@pytest.mark.parametrize(
    ("value", "fits"),
    [
        ("9999999999999999.99", True),  # 18 digits of minor units
        ("-9999999999999999.99", True),
        ("0009999999999999999.99", True),  # leading zeros are no digits
        ("10000000000000000.00", False),
        ("99999999999999999999999999.99", False),
    ],
)
def test_an_amount_fits_a_64_bit_integer_or_is_too_large(value: str, fits: bool) -> None:
    checks = _checks(value)
    minor = checks.amount("amount", 2)
    if fits:
        assert checks.errors == []
        assert abs(int(minor.iloc[0])) == 999_999_999_999_999_999
    else:
        assert [str(e) for e in checks.errors] == [
            "bank.csv:2: amount: is too large: at most 9999999999999999.99"
        ]


def test_a_whole_number_has_at_most_18_digits() -> None:
    values = pd.Series(["1" * 18, "-" + "9" * 18, "1" * 19, str(2**63)], dtype="str")
    assert is_integer(values).tolist() == [True, True, False, False]


def test_each_check_keeps_the_first_problems_and_counts_the_rest() -> None:
    checks = _checks(*["x"] * (MAX_LISTED + 5))
    checks.amount("amount", 2)
    refused = RejectedUpload(checks.errors)
    assert len(refused.errors) == MAX_LISTED
    assert refused.errors[0].row == 2
    assert refused.more == 5
    assert refused.lines()[-1] == "... and 5 more problem(s) not listed"
    assert str(refused).startswith(f"{MAX_LISTED + 5} problem(s); nothing was stored.")


def test_a_refusal_lists_the_first_problems_in_file_order() -> None:
    errors = [RowError("f.csv", row, "c", "bad") for row in range(3_000, 0, -1)]
    refused = RejectedUpload(errors, more=7)
    assert [e.row for e in refused.errors] == list(range(1, MAX_LISTED + 1))
    assert refused.more == 3_000 - MAX_LISTED + 7


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/sharedStrings.xml", " " * 2_000_000)
    return buffer.getvalue()


def test_a_workbook_that_unpacks_too_far_is_refused_before_it_is_read() -> None:
    bomb = _zip_bomb()
    limits = UploadLimits(max_bytes=100_000, max_rows=10, max_cell_chars=500)
    assert len(bomb) < limits.max_bytes
    with pytest.raises(UploadTooLarge) as refused:
        read_file(FileBytes("people.xlsx", bomb), limits)
    assert refused.value.errors[0].message.startswith("unpacks to ")


def test_a_workbook_stops_being_read_past_the_row_limit() -> None:
    rows = [PEOPLE_HEADER.strip().split(",")] + [[f"P{i}", "c1"] for i in range(20)]
    limits = UploadLimits(max_bytes=10_000_000, max_rows=5, max_cell_chars=500)
    with pytest.raises(UploadTooLarge) as refused:
        read_file(FileBytes("people.xlsx", xlsx(rows)), limits)
    assert refused.value.lines()[0] == (
        "people.xlsx: file: has more than 5 rows: at most 5 rows per upload"
    )


def test_a_workbook_cell_with_a_line_break_is_located() -> None:
    # Alt+Enter in a spreadsheet cell: the control character a workbook really carries
    rows = [["participant_id", "cohort"], ["P1", "c1"], ["P2", "c1\nc2"]]
    upload = read_file(FileBytes("people.xlsx", xlsx(rows)), ROOMY)
    assert [str(e) for e in upload.errors] == [
        "people.xlsx:3: cohort: contains a line break: keep the value on one line"
    ]


def test_a_header_cell_is_held_to_the_same_rules() -> None:
    content = b"participant_id,co\x01hort\nP1,c1\n"
    upload = read_file(FileBytes("people.csv", content), ROOMY)
    assert [str(e) for e in upload.errors] == [
        "people.csv:1: column 2: contains a control character (U+0001): remove it"
    ]


def test_a_csv_too_wide_is_refused_before_it_is_parsed() -> None:
    content = b"," * 10_000 + b"\n"
    upload = read_file(FileBytes("wide.csv", content), ROOMY)
    assert [e.message for e in upload.errors] == [
        "has more than 256 columns: keep only the columns of the import"
    ]


def test_a_c1_control_in_utf8_is_found() -> None:
    content = "participant_id\nP\u00851\n".encode()
    upload = read_file(FileBytes("people.csv", content), ROOMY)
    assert [e.message for e in upload.errors] == [
        "contains a control character (U+0085): remove it"
    ]


def test_text_that_only_looks_odd_is_fine() -> None:
    content = "participant_id,reference\nP1,Café £12 — ok\n".encode()
    upload = read_file(FileBytes("people.csv", content), ROOMY)
    assert upload.errors == ()
    assert upload.frame["reference"].tolist() == ["Café £12 — ok"]
