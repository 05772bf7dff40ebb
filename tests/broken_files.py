"""Files as they arrive from outside on a bad day, for the tests of the intake's limits.

Each case is a participants or evidence file of the small spec (tests/conftest.py) that must be
refused with one located, human error naming what is wrong with it, and store nothing.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from sqlalchemy import Engine, func, select

from ledger.storage.audit import chain_head
from ledger.storage.db import reading
from ledger.storage.tables import AuditLog, Evidence, Participant, table_of

PEOPLE_HEADER = "participant_id,cohort,provider,start_date,date_of_birth\n"
PERSON = "P1,c1,acme,2015-02-01,1995-06-01\n"
EVIDENCE_HEADER = "evidence_id,participant_id,metric,achieved_on,evidence_type,quantity,reference\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504  # an old .xls (or .doc) file


def stored(engine: Engine) -> tuple[int, int, int, str]:
    """Participants, evidence rows, audit records and the audit chain head: what a refusal
    must leave exactly as it was."""
    with reading(engine) as session:
        connection = session.connection()
        counts = [
            int(connection.execute(select(func.count()).select_from(table_of(t))).scalar() or 0)
            for t in (Participant, Evidence, AuditLog)
        ]
        return counts[0], counts[1], counts[2], chain_head(connection)


def xlsx(rows: Sequence[Sequence[object]]) -> bytes:
    """A workbook whose first sheet holds `rows`."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _empty_zip() -> bytes:
    buffer = io.BytesIO()
    zipfile.ZipFile(buffer, "w").close()
    return buffer.getvalue()


def evidence(*rows: str) -> bytes:
    """An evidence csv of the small spec with these rows (P1 must be enrolled first)."""
    return (EVIDENCE_HEADER + "".join(f"{row}\n" for row in rows)).encode()


@dataclass(frozen=True)
class Broken:
    """A file that must be refused: which import, its name and bytes, and what the error says."""

    id: str
    what: str  # "participants" or "evidence"
    name: str
    content: bytes
    says: str
    row: int = 0  # the row the error names (0: the file as a whole)
    column: str = "file"


PEOPLE = (PEOPLE_HEADER + PERSON).encode()
GOOD_WORKBOOK = xlsx([PEOPLE_HEADER.strip().split(","), PERSON.strip().split(",")])

BROKEN = [
    Broken(
        "latin-1",
        "participants",
        "people.csv",
        (PEOPLE_HEADER + "Ren\xe9,c1,acme,2015-02-01,1995-06-01\n").encode("latin-1"),
        "is not UTF-8 (it looks like Latin-1",
    ),
    Broken(
        "utf-16",
        "participants",
        "people.csv",
        PEOPLE.decode().encode("utf-16"),
        "is not UTF-8 (it looks like UTF-16",
    ),
    Broken(
        "utf-16-no-bom",
        "participants",
        "people.csv",
        PEOPLE.decode().encode("utf-16-le"),
        "is not UTF-8 (it looks like UTF-16",
    ),
    Broken("png-as-csv", "participants", "people.csv", PNG, "is a PNG image, not a CSV file"),
    Broken("png-as-xlsx", "participants", "people.xlsx", PNG, "is not a valid .xlsx workbook"),
    Broken("empty-xlsx", "participants", "people.xlsx", b"", "the file is empty", row=1),
    Broken("empty-zip", "participants", "people.xlsx", _empty_zip(), "not a valid .xlsx workbook"),
    Broken(
        "corrupt-zip",
        "participants",
        "people.xlsx",
        GOOD_WORKBOOK[: len(GOOD_WORKBOOK) // 2],
        "is not a valid .xlsx workbook",
    ),
    Broken("csv-as-xlsx", "participants", "people.xlsx", PEOPLE, "is not a valid .xlsx workbook"),
    Broken("xls-as-xlsx", "participants", "people.xlsx", OLE2, "an old Excel .xls"),
    Broken(
        "control-character",
        "evidence",
        "evidence.csv",
        evidence("E1,P1,job_entry,2015-03-01,payslip,,ref\x07bell"),
        "contains a control character (U+0007)",
        row=2,
        column="reference",
    ),
    Broken(
        "tab-in-id",
        "evidence",
        "evidence.csv",
        evidence("E\t1,P1,job_entry,2015-03-01,payslip,,"),
        "contains a tab",
        row=2,
        column="evidence_id",
    ),
    Broken(
        "line-break-in-reference",
        "evidence",
        "evidence.csv",
        evidence('E1,P1,job_entry,2015-03-01,payslip,,"two\nlines"'),
        "contains a line break",
        row=2,
        column="reference",
    ),
    Broken(
        "long-reference",
        "evidence",
        "evidence.csv",
        evidence("E1,P1,job_entry,2015-03-01,payslip,," + "x" * 501),
        "is too long: at most 500 characters",
        row=2,
        column="reference",
    ),
    Broken(
        "huge-quantity",
        "evidence",
        "evidence.csv",
        evidence("E1,P1,earnings,2015-03-01,,99999999999999999999999999.99,"),
        "is too large: at most 9999999999999999.99",
        row=2,
        column="quantity",
    ),
    Broken(
        "quantity-1e300-in-a-workbook",
        "evidence",
        "evidence.xlsx",
        xlsx(
            [
                EVIDENCE_HEADER.strip().split(","),
                ["E1", "P1", "earnings", "2015-03-01", None, 1e300, None],
            ]
        ),
        "is too large: at most 9999999999999999.99",
        row=2,
        column="quantity",
    ),
]
