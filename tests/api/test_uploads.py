"""Uploads through the API: the CLI's row errors, all or nothing, JSON paths for JSON rows,
the provider's own rows only, and the upload size limit."""

from __future__ import annotations

import io

from httpx import Response
from litestar import Litestar
from litestar.testing import TestClient
from openpyxl import Workbook
from sqlalchemy import Engine, func, select

from api.app import create_app
from contract_specs.model import Role
from ledger.storage.db import unit_of_work
from ledger.storage.tables import Evidence, Participant
from tests.api.conftest import OWN, PEOPLE, UPLOADS


def _count(engine: Engine, table: type) -> int:
    with unit_of_work(engine) as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def _upload(
    client: TestClient[Litestar], headers: dict[str, str], what: str, name: str, body: bytes
) -> Response:
    return client.post(
        f"/api/contracts/{OWN}/{what}/upload", headers=headers, files={"file": (name, body)}
    )


def test_a_bad_file_stores_nothing_and_names_every_row(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], engine: Engine
) -> None:
    body = (UPLOADS / "participants_bad.csv").read_bytes()
    answer = _upload(client, as_role[Role.INTERMEDIARY], "participants", "bad.csv", body)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "rejected_upload"
    places = {(d["row"], d["column"]) for d in error["details"]}
    # the file's good first row is refused with the rest: row 2 has no problem of its own
    assert {(3, "cohort"), (4, "start_date"), (6, "provider"), (7, "participant_id")} <= places
    assert 2 not in {row for row, _ in places}
    assert _count(engine, Participant) == 0


def test_a_good_xlsx_enrols_like_the_csv(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], engine: Engine
) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["participant_id", "cohort", "provider", "start_date", "date_of_birth"])
    sheet.append(["X1", "c1", "acme", "2015-02-01", "1995-06-01"])
    sheet.append(["X2", "c1", "acme", "2015-03-01", "1996-06-01"])
    buffer = io.BytesIO()
    book.save(buffer)
    answer = _upload(
        client, as_role[Role.PROVIDER], "participants", "people.xlsx", buffer.getvalue()
    )
    assert answer.status_code == 201, answer.text
    assert answer.json() == {"new": 2, "unchanged": 0}
    again = _upload(
        client, as_role[Role.PROVIDER], "participants", "people.xlsx", buffer.getvalue()
    )
    assert (again.status_code, again.json()) == (200, {"new": 0, "unchanged": 2})
    assert _count(engine, Participant) == 2


def test_a_file_that_is_not_csv_or_xlsx_is_refused(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    answer = _upload(client, as_role[Role.INTERMEDIARY], "participants", "people.pdf", b"%PDF")
    assert answer.status_code == 422
    assert answer.json()["error"]["details"][0]["column"] == "file"


def test_json_rows_get_json_paths(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], engine: Engine
) -> None:
    rows = [
        {
            "participant_id": "J1",
            "cohort": "c1",
            "provider": "acme",
            "start_date": "2015-02-01",
            "date_of_birth": "1995-06-01",
        },
        {
            "participant_id": "J2",
            "cohort": "c1",
            "provider": "acme",
            "start_date": "2015-02-31",
            "date_of_birth": "1995-06-01",
        },
    ]
    answer = client.post(
        f"/api/contracts/{OWN}/participants", headers=as_role[Role.PROVIDER], json={"rows": rows}
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["details"] == [
        {"path": "$.rows[1].start_date", "message": "is not a date: write it as YYYY-MM-DD"}
    ]
    assert _count(engine, Participant) == 0


def test_a_provider_submits_evidence_only_for_its_participants(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], engine: Engine
) -> None:
    enrolled = client.post(
        f"/api/contracts/{OWN}/participants",
        headers=as_role[Role.INTERMEDIARY],
        json={"rows": PEOPLE},
    )
    assert enrolled.status_code == 201, enrolled.text
    evidence = [
        {
            "evidence_id": "E1",
            "participant_id": "P1",
            "metric": "job_entry",
            "achieved_on": "2015-03-01",
            "evidence_type": "payslip",
        },
        {
            "evidence_id": "E2",
            "participant_id": "B1",
            "metric": "job_entry",
            "achieved_on": "2015-03-01",
            "evidence_type": "payslip",
        },
        {
            "evidence_id": "E3",
            "participant_id": "NOBODY",
            "metric": "job_entry",
            "achieved_on": "2015-03-01",
            "evidence_type": "payslip",
        },
    ]
    answer = client.post(
        f"/api/contracts/{OWN}/evidence", headers=as_role[Role.PROVIDER], json={"rows": evidence}
    )
    assert answer.status_code == 422
    details = answer.json()["error"]["details"]
    # another provider's participant and an unknown one read the same: nothing to probe
    assert [d["path"] for d in details] == ["$.rows[1].participant_id", "$.rows[2].participant_id"]
    assert details[0]["message"] == details[1]["message"]
    assert _count(engine, Evidence) == 0
    mine = client.post(
        f"/api/contracts/{OWN}/evidence",
        headers=as_role[Role.PROVIDER],
        json={"rows": evidence[:1]},
    )
    assert mine.status_code == 201, mine.text


def test_an_upload_over_the_limit_is_refused_before_reading(
    engine: Engine, world: dict[Role, str]
) -> None:
    with TestClient(create_app(engine=engine, max_upload_bytes=1000)) as small:
        answer = small.post(
            f"/api/contracts/{OWN}/participants/upload",
            headers={"Authorization": f"Bearer {world[Role.PROVIDER]}"},
            files={"file": ("big.csv", b"participant_id\n" + b"P\n" * 2000)},
        )
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "too_large"
    assert _count(engine, Participant) == 0
