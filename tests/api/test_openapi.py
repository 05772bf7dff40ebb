"""The OpenAPI document: every operation named, served at /schema/openapi.json with no UI that
loads public CDN scripts, and docs/openapi.json kept equal to it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from api.cli.serve_cmds import openapi_document, openapi_text

KEPT = Path(__file__).parents[2] / "docs" / "openapi.json"
METHODS = {"get", "post", "put", "patch", "delete"}


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_docs_openapi_json_is_the_apps() -> None:
    assert KEPT.exists(), "run: outcomes openapi --out docs/openapi.json"
    assert json.loads(KEPT.read_text(encoding="utf-8")) == openapi_document(), (
        "docs/openapi.json has drifted from the app: run `outcomes openapi --out "
        "docs/openapi.json` and commit it"
    )
    assert KEPT.read_text(encoding="utf-8") == openapi_text()


def test_every_operation_has_a_unique_id_and_every_api_route_needs_a_token() -> None:
    operations = _operations(openapi_document())
    ids = [op.get("operationId") for _, _, op in operations]
    assert None not in ids and len(ids) == len(set(ids))
    for path, _, operation in operations:
        assert path == "/health" or path.startswith("/api/"), path
        if path == "/health":
            assert operation.get("security") == [{}]  # an empty requirement: no token


def test_the_schema_is_served_as_json_without_cdn_pages(tmp_path: Path) -> None:
    app = create_app(engine=None)
    paths = {route.path for route in app.routes}
    assert "/schema/openapi.json" in paths
    for ui in ("/schema/swagger", "/schema/redoc", "/schema/elements", "/schema/rapidoc"):
        assert ui not in paths
    del tmp_path


def test_the_schema_answers_without_a_token(client: TestClient[Litestar]) -> None:
    answer = client.get("/schema/openapi.json")
    assert answer.status_code == 200
    assert answer.json()["info"]["title"] == "outcomes-ledger"
    assert "cdn" not in client.get("/schema").text.lower()


def test_every_error_documented_has_the_one_error_shape() -> None:
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
    for path, method, operation in _operations(openapi_document()):
        responses = operation["responses"]
        if path == "/health":
            assert set(responses) == {"200", "503"}
            continue
        # every route needs a token and reads the ledger, which may be busy
        assert {"401", "503"} <= set(responses), (method, path)
        for status, response in responses.items():
            if status[0] in "45":
                assert response.get("content") == error, (method, path, status)
