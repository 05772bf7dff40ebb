"""What the API answers is what its OpenAPI document says: report downloads in the media types
documented, the progress page as its documented object, times with a UTC offset, constraints
on request bodies written down, and no 500 for requests the document does not forbid (a
preflight OPTIONS, a version number too large for the database)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.cli.serve_cmds import openapi_document
from contract_specs.model import Role
from tests.api.conftest import OWN, verified_outcomes

BASE = f"/api/contracts/{OWN}"
REPORTS = {
    "commissioner": {"payer": "dwp"},
    "provider": {},
}


def _operation(path: str, method: str = "get") -> dict[str, Any]:
    operation: dict[str, Any] = openapi_document()["paths"][path][method]
    return operation


def _media(content_type: str) -> str:
    return content_type.split(";")[0].strip()


@pytest.mark.parametrize("report", sorted(REPORTS))
def test_each_report_format_comes_in_a_documented_media_type(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], report: str
) -> None:
    verified_outcomes(client, as_role)
    documented = _operation(f"/api/contracts/{{contract_id}}/reports/{report}")["responses"]["200"]
    seen = set()
    for fmt in ("xlsx", "csv", "json"):
        answer = client.get(
            f"{BASE}/reports/{report}",
            headers=as_role[Role.INTERMEDIARY],
            params={"period": "2015-Q1", "format": fmt, **REPORTS[report]},
        )
        assert answer.status_code == 200, answer.text
        media = _media(answer.headers["content-type"])
        assert media in documented["content"], (fmt, media)
        seen.add(media)
    assert seen == set(documented["content"])
    binary = documented["content"][
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ]
    assert binary["schema"] == {"type": "string", "format": "binary"}
    assert documented["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ReportOut"
    }


def test_the_progress_page_is_documented_as_the_object_it_is(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    verified_outcomes(client, as_role)
    answer = client.get(
        f"{BASE}/progress", headers=as_role[Role.PROVIDER], params={"period": "2015-Q1"}
    )
    assert answer.status_code == 200, answer.text
    documented = _operation("/api/contracts/{contract_id}/progress")["responses"]["200"]
    ref = documented["content"]["application/json"]["schema"]["$ref"]
    schema = openapi_document()["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert schema["type"] == "object"
    body = answer.json()
    assert set(schema["required"]) <= set(body) and "pages" in schema["required"]
    assert schema["properties"]["cut_off"] == {"type": "string", "format": "date-time"}


def test_a_late_periods_due_time_has_a_utc_offset(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    verified_outcomes(client, as_role)
    # Q3 run first: Q1 and Q2 are late and unreconciled in its findings
    run = client.post(
        f"{BASE}/reconciliations", headers=as_role[Role.INTERMEDIARY], json={"period": "2015-Q3"}
    )
    assert run.status_code == 201, run.text
    late = run.json()["findings"]["unreconciled_periods"]
    assert [p["period"] for p in late][:2] == ["2015-Q1", "2015-Q2"]
    for period in late:
        assert period["due_at"].endswith(("Z", "+00:00")), period
    again = client.get(
        f"{BASE}/reconciliations/{run.json()['run_id']}", headers=as_role[Role.COMMISSIONER]
    )
    assert again.json()["findings"]["unreconciled_periods"] == late


def test_empty_rows_are_refused_as_the_document_says(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    rows = openapi_document()["components"]["schemas"]["RowsIn"]["properties"]["rows"]
    assert rows["minItems"] == 1
    answer = client.post(
        f"{BASE}/participants", headers=as_role[Role.INTERMEDIARY], json={"rows": []}
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["details"][0]["path"] == "$.rows"


def test_a_preflight_options_request_is_answered_without_a_token(
    client: TestClient[Litestar],
) -> None:
    for path in (f"{BASE}/evidence", f"{BASE}/reconciliations", "/api/contracts"):
        answer = client.options(path)
        assert answer.status_code == 204, (path, answer.text)
        assert "OPTIONS" in answer.headers["allow"]


@pytest.mark.parametrize("version", [0, 2**31, 2**63, 2**64])
def test_a_version_number_out_of_range_is_a_bad_request(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], version: int
) -> None:
    manager = as_role[Role.INTERMEDIARY]
    answers = [
        client.get(f"{BASE}/versions/{version}", headers=manager),
        client.get(f"{BASE}/versions/1/compare/{version}", headers=manager),
        client.post(f"{BASE}/versions/{version}/activate", headers=manager),
    ]
    for answer in answers:
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["details"][0]["field"] in ("version", "other")


def test_a_page_offset_out_of_range_is_a_bad_request(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]]
) -> None:
    for path, params in (
        ("postings", {}),
        ("progress", {"period": "2015-Q1"}),
    ):
        answer = client.get(
            f"{BASE}/{path}",
            headers=as_role[Role.INTERMEDIARY],
            params={**params, "offset": 2**63},
        )
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["details"][0]["field"] == "offset"
