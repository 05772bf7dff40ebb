"""The error responses every route documents in the OpenAPI (one shape: api.errors)."""

from __future__ import annotations

from litestar.openapi.datastructures import ResponseSpec

from api.dto import ErrorOut


def _spec(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=ErrorOut, description=description, generate_examples=False)


READ = {
    401: _spec("No valid bearer token."),
    403: _spec("The token's role may not do this."),
    404: _spec("Not found, or not the caller's to see."),
}
WRITE = {
    **READ,
    400: _spec("A malformed request (bad parameter or Idempotency-Key)."),
    409: _spec("A conflict (a racing retry, a closed period, no spec in force)."),
    413: _spec("The request body is larger than the upload limit."),
    422: _spec("Invalid content: every problem with its row, column or JSON path."),
}
