"""An upload's cells come back stripped whether or not the reader decides to strip them.

The csv reader skips stripping when the bytes show no cell can begin or end with whitespace
(ledger.intake.reading.may_be_padded). Random files, written by the csv module with its quoting,
are
read by the upload reader and compared with the csv module's own cells, stripped. A cell that
still holds a control character (a tab, a line break) once stripped is refused at its row and
column instead (ledger.intake.reading): those are the only errors.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.intake.row_checks import ROW, may_be_padded, read_upload

HEADER = ["a", "b", "c"]
# letters, the blanks Python strips, the bytes csv gives meaning to, and a Unicode space
cells = st.text(alphabet=[*'xy \t\x0b\x0c\x1f,"\r\n', "\u00a0", "é"], max_size=6)
rows = st.lists(st.lists(cells, min_size=3, max_size=3), min_size=1, max_size=8)
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _csv_bytes(table: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(table)
    return out.getvalue().encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(rows)
def test_cells_come_back_stripped_as_the_csv_module_reads_them(table: list[list[str]]) -> None:
    data = _csv_bytes(table)
    expected = [
        (number, [cell.strip() for cell in record])
        for number, record in enumerate(csv.reader(io.StringIO(data.decode("utf-8"))), start=1)
        if number > 1 and any(cell.strip() for cell in record)
    ]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.csv"
        path.write_bytes(data)
        upload = read_upload(path, HEADER)
    if not expected:
        assert [e.column for e in upload.errors] == ["file"]  # no rows: refused as a whole
        return
    controls = [
        (number, column)
        for number, record in expected
        for column, cell in zip(HEADER, record, strict=True)
        if CONTROL.search(cell)
    ]
    assert sorted((e.row, e.column) for e in upload.errors) == sorted(controls)
    if controls:
        return
    frame = upload.frame
    got = [
        (int(number), [str(frame[column].iloc[i]) for column in HEADER])
        for i, number in enumerate(frame[ROW])
    ]
    assert got == expected


@given(rows)
def test_a_file_said_not_to_be_padded_has_no_cell_to_strip(table: list[list[str]]) -> None:
    data = _csv_bytes(table)
    if not may_be_padded(data):
        records = csv.reader(io.StringIO(data.decode("utf-8")))
        assert all(cell == cell.strip() for record in records for cell in record)


def test_free_text_inside_cells_is_not_padding() -> None:
    assert not may_be_padded(b"evidence_id,decision,reason\nE1,revoked,not genuine\n")
    assert may_be_padded(b"evidence_id,decision,reason\nE1 ,revoked,not genuine\n")
    assert may_be_padded(b"evidence_id,decision,reason\nE1,revoked,\tnot genuine\n")
    assert may_be_padded("E1,revoked,not genuine\u00a0\n".encode())
