"""A file with a header and no rows (or no content at all) is refused with one clear error,
never a crash, through the CLI and through an HTTP upload; nothing is stored."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from openpyxl import Workbook
from sqlalchemy import Engine

from contract_specs.model import Role
from ledger.intake.row_checks import decimals_of, scaled_integers
from ledger.services.evidence import COLUMNS as EVIDENCE_COLUMNS
from tests.api.conftest import OWN
from tests.integration.test_ledger_cli import SPEC, run

PEOPLE_HEADER = "participant_id,cohort,provider,start_date,date_of_birth\n"
EVIDENCE_HEADER = ",".join(EVIDENCE_COLUMNS) + "\n"


def _xlsx(header: list[str]) -> bytes:
    book = Workbook()
    book.active.append(header)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_decimal_helpers_take_an_empty_column() -> None:
    empty = pd.Series([], dtype="str")
    assert decimals_of(empty).tolist() == []
    assert scaled_integers(empty, pd.Series([], dtype="int64")).tolist() == []


@pytest.mark.parametrize(
    ("what", "name", "body"),
    [
        ("evidence", "evidence.csv", EVIDENCE_HEADER.encode()),
        ("evidence", "evidence.csv", (EVIDENCE_HEADER + ",,,,,,\n\n").encode()),
        ("evidence", "evidence.xlsx", _xlsx(list(EVIDENCE_COLUMNS))),
        ("participants", "people.csv", PEOPLE_HEADER.encode()),
    ],
    ids=["evidence-csv", "evidence-blank-lines", "evidence-xlsx", "participants-csv"],
)
def test_an_upload_with_no_rows_is_refused_by_name(
    client: TestClient[Litestar],
    as_role: dict[Role, dict[str, str]],
    what: str,
    name: str,
    body: bytes,
) -> None:
    answer = client.post(
        f"/api/contracts/{OWN}/{what}/upload",
        headers=as_role[Role.PROVIDER],
        files={"file": (name, body)},
    )
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "rejected_upload"
    assert [(d["row"], d["column"]) for d in error["details"]] == [(2, "file")]
    assert "no rows" in error["details"][0]["message"]


def test_a_file_with_nothing_in_it_says_so(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    answer = client.post(
        f"/api/contracts/{OWN}/evidence/upload",
        headers=as_role[Role.INTERMEDIARY],
        files={"file": ("evidence.csv", b"")},
    )
    assert answer.status_code == 422
    details = answer.json()["error"]["details"]
    assert len(details) == 1 and "the file is empty" in details[0]["message"]


def test_the_cli_refuses_a_header_only_file(cli_env: str, engine: Engine, tmp_path: Path) -> None:
    assert run("contract", "load", str(SPEC))[0] == 0
    contract = "dwp-innovation-fund-round-1"
    for verb, header in (("evidence", EVIDENCE_HEADER), ("participants", PEOPLE_HEADER)):
        path = tmp_path / f"{verb}.csv"
        path.write_text(header, encoding="utf-8")
        code, out, err = run(verb, "import", contract, str(path))
        assert (code, out) == (1, ""), err
        assert f"{verb}.csv:2: file: the file has no rows" in err
        assert "nothing was stored" in err
