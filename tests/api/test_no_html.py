"""No text a party sent reaches a browser as markup (docs/api.md): the API answers JSON or a
file download, even to a browser that asks for HTML. The one HTML page, Litestar's fixed 404
for the OpenAPI UI pages it does not serve, echoes nothing of the request."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from contract_specs.model import Role
from tests.api.conftest import OWN

MARKUP = "<script>alert(1)</script>"
PATHS = [
    "/",
    "/schema",
    "/schema/swagger",
    f"/schema/redoc?q={MARKUP}",
    f"/{MARKUP}",
    f"/api/contracts/{MARKUP}/postings",
    f"/api/contracts/{OWN}/reports/commissioner?period={MARKUP}&payer={MARKUP}&format=csv",
    f"/api/contracts/{OWN}/participants/{MARKUP}/explain",
]


@pytest.mark.parametrize("path", PATHS)
def test_no_answer_is_html(
    client: TestClient[Litestar], as_role: dict[Role, dict[str, str]], path: str
) -> None:
    for headers in ({}, as_role[Role.INTERMEDIARY]):
        answer = client.get(path, headers={**headers, "Accept": "text/html"})
        kind = answer.headers.get("content-type", "")
        if "html" in kind:
            assert answer.status_code == 404 and path.startswith("/schema/"), (path, kind)
            assert MARKUP not in answer.text and "alert" not in answer.text
        elif MARKUP in answer.text:  # echoed back, then only inside JSON
            assert "json" in kind, (path, kind)
