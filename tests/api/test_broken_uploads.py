"""Every malformed upload is a 4xx in our error shape, never a 500, and stores nothing; the work a
request can cause is bounded (rows, bytes, errors listed, spec size, integers)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Engine

from api.app import create_app
from contract_specs.model import Role
from ledger.storage.settings import get_settings
from tests.api.conftest import OWN, PEOPLE
from tests.broken_files import BROKEN, Broken, stored

BIG = 2**63


def _error(answer: Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == status
    error: dict[str, Any] = body["error"]
    return error


@pytest.fixture
def enrolled(client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]) -> None:
    """Acme's P1 enrolled, so an evidence file's only problem is the one under test."""
    answer = client.post(
        f"/api/contracts/{OWN}/participants",
        headers=as_role[Role.PROVIDER],
        json={"rows": PEOPLE[:1]},
    )
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize("case", BROKEN, ids=[case.id for case in BROKEN])
def test_a_broken_upload_is_a_located_422(
    client: TestClient[Litestar],
    as_role: dict[Role, dict[str, str]],
    engine: Engine,
    enrolled: None,
    case: Broken,
) -> None:
    before = stored(engine)
    answer = client.post(
        f"/api/contracts/{OWN}/{case.what}/upload",
        headers=as_role[Role.PROVIDER],
        files={"file": (case.name, case.content)},
    )
    error = _error(answer, 422)
    assert error["code"] == "rejected_upload"
    assert [(d["row"], d["column"]) for d in error["details"]] == [(case.row, case.column)]
    assert case.says in error["details"][0]["message"]
    assert stored(engine) == before


def _evidence(client: TestClient[Litestar], headers: dict[str, str], **fields: object) -> Response:
    row = {"evidence_id": "E1", "participant_id": "P1", "achieved_on": "2015-03-01", **fields}
    return client.post(f"/api/contracts/{OWN}/evidence", headers=headers, json={"rows": [row]})


@pytest.mark.parametrize(
    ("fields", "column", "says"),
    [
        ({"metric": "earnings", "quantity": 1e300}, "quantity", "is too large: at most"),
        ({"metric": "earnings", "quantity": 10**40}, "quantity", "is too large: at most"),
        (
            {"metric": "earnings", "quantity": "99999999999999999999999999.99"},
            "quantity",
            "is too large: at most 9999999999999999.99",
        ),
        (
            {"metric": "job_entry", "evidence_type": "payslip", "reference": "a\x00b"},
            "reference",
            "contains a control character (U+0000)",
        ),
        (
            {"metric": "job_entry", "evidence_type": "payslip", "reference": "r" * 501},
            "reference",
            "is too long: at most 500 characters",
        ),
    ],
    ids=["float-1e300", "int-1e40", "decimal-29-digits", "nul", "long"],
)
def test_json_rows_are_held_to_the_same_rules(
    client: TestClient[Litestar],
    as_role: dict[Role, dict[str, str]],
    engine: Engine,
    enrolled: None,
    fields: dict[str, object],
    column: str,
    says: str,
) -> None:
    before = stored(engine)
    error = _error(_evidence(client, as_role[Role.PROVIDER], **fields), 422)
    assert [d["path"] for d in error["details"]] == [f"$.rows[0].{column}"]
    assert says in error["details"][0]["message"]
    assert stored(engine) == before


@pytest.mark.parametrize(
    "content", [b"participant_id\r\nP1", b"\x89PNG\r\n\x1a\n\xff"], ids=["text", "binary"]
)
def test_a_part_without_a_filename_is_a_400_in_words(
    client: TestClient[Litestar],
    as_role: dict[Role, dict[str, str]],
    engine: Engine,
    content: bytes,
) -> None:
    body = (
        b'--XX\r\nContent-Disposition: form-data; name="file"\r\n\r\n' + content + b"\r\n--XX--\r\n"
    )
    answer = client.post(
        f"/api/contracts/{OWN}/participants/upload",
        headers={**as_role[Role.PROVIDER], "Content-Type": "multipart/form-data; boundary=XX"},
        content=body,
    )
    error = _error(answer, 400)
    assert error["details"][0]["path"] == "$.file"
    assert "has no filename" in error["details"][0]["message"]
    assert stored(engine)[0] == 0


def test_errors_listed_are_capped_with_a_count_of_the_rest(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], enrolled: None
) -> None:
    rows = [
        {"evidence_id": f"E{i}", "participant_id": "P1", "metric": "job_entry",
         "achieved_on": "2015-02-31", "evidence_type": "payslip"}
        for i in range(1_500)
    ]  # fmt: skip
    answer = client.post(
        f"/api/contracts/{OWN}/evidence", headers=as_role[Role.PROVIDER], json={"rows": rows}
    )
    error = _error(answer, 422)
    assert len(error["details"]) == 1_000
    assert error["omitted"] == 500
    assert error["message"].startswith("1500 problem(s); nothing was stored")


@pytest.fixture
def small_limits(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient[Litestar]]:
    """The app with an API limit of 3 rows per upload."""
    monkeypatch.setenv("OUTCOMES_API_UPLOAD_MAX_ROWS", "3")
    get_settings.cache_clear()
    try:
        with TestClient(create_app(engine=engine)) as client:
            yield client
    finally:
        monkeypatch.delenv("OUTCOMES_API_UPLOAD_MAX_ROWS")
        get_settings.cache_clear()


def test_too_many_rows_are_413(
    small_limits: TestClient[Litestar], as_role: dict[Role, dict[str, str]], engine: Engine
) -> None:
    people = [{**PEOPLE[0], "participant_id": f"P{i}"} for i in range(4)]
    answer = small_limits.post(
        f"/api/contracts/{OWN}/participants", headers=as_role[Role.PROVIDER], json={"rows": people}
    )
    error = _error(answer, 413)
    assert error["code"] == "too_large"
    assert "at most 3 rows" in error["message"]
    csv = "participant_id,cohort,provider,start_date,date_of_birth\n" + "".join(
        f"P{i},c1,acme,2015-02-01,1995-06-01\n" for i in range(4)
    )
    upload = small_limits.post(
        f"/api/contracts/{OWN}/participants/upload",
        headers=as_role[Role.PROVIDER],
        files={"file": ("p.csv", csv.encode())},
    )
    assert _error(upload, 413)["details"] == [
        {"row": 0, "column": "file", "message": "has 4 rows: at most 3 rows per upload"}
    ]
    assert stored(engine)[0] == 0


@pytest.mark.parametrize(
    "route",
    [
        f"/api/contracts/{OWN}/versions/{BIG}",
        f"/api/contracts/{OWN}/versions/1/compare/{BIG}",
        f"/api/contracts/{OWN}/versions/{BIG}/compare/1",
        f"/api/contracts/{OWN}/postings?offset={BIG}",
        f"/api/contracts/{OWN}/postings?limit={BIG}",
    ],
)
def test_an_integer_too_large_is_a_400(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], route: str
) -> None:
    error = _error(client.get(route, headers=as_role[Role.INTERMEDIARY]), 400)
    assert error["code"] == "bad_request"


def test_activating_version_2_63_is_a_400(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    answer = client.post(
        f"/api/contracts/{OWN}/versions/{BIG}/activate", headers=as_role[Role.INTERMEDIARY]
    )
    assert _error(answer, 400)["code"] == "bad_request"


BOMB = """spec_language: 1
a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: [*c, *c, *c, *c, *c, *c, *c, *c, *c]
"""


def test_a_spec_with_aliases_is_refused_at_its_line(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    answer = client.post("/api/specs/validate", headers=as_role[Role.PROVIDER], content=BOMB)
    assert answer.status_code == 200, answer.text
    checked = answer.json()
    assert checked["valid"] is False
    assert checked["errors"] == [
        {
            "path": "$",
            "message": "line 2: anchors and aliases are not allowed in a contract spec: "
            "write each value out in full",
            "line": 2,
        }
    ]


def test_a_spec_over_the_size_limit_is_413(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    text = "spec_language: 1\n" + "# padding\n" * 200_000
    answer = client.post("/api/specs/validate", headers=as_role[Role.PROVIDER], content=text)
    assert _error(answer, 413)["code"] == "too_large"
