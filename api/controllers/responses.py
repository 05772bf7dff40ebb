"""What the OpenAPI document says a route answers, beyond its success type: every error in the
one shape of api.errors, report downloads in their real media types, and spec bodies sent raw.

tests/api/test_schemathesis.py holds every route to what is written here.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)

from api.dto import ErrorOut

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
PDF = "application/pdf"
YAML = "application/yaml"

ERRORS = {
    400: "A malformed request: a parameter, header or body that does not match this document, "
    "each named at its `field` or `path`.",
    401: "No valid bearer token.",
    403: "The token's role may not do this.",
    404: "Not found, or not the caller's to see.",
    409: "A conflict: no spec in force, a closed period, a run already under way, or a retry "
    "racing the first request with the same Idempotency-Key.",
    413: "The request body is larger than the upload limit.",
    422: "Content that cannot be accepted, or a request that cannot be answered as asked: every "
    "problem with its row and column, JSON path or field.",
    503: "The ledger is busy (a write lock held too long) or unreachable: retry after the "
    "seconds in Retry-After.",
}


def errors(*statuses: int) -> dict[int, ResponseSpec]:
    """The documented error responses for these statuses, each in the one error shape."""
    return {
        status: ResponseSpec(
            data_container=ErrorOut, description=ERRORS[status], generate_examples=False
        )
        for status in statuses
    }


# what any read of a contract can answer besides its data (409: no spec in force; 422: a
# report or period asked for wrongly)
READ = errors(400, 401, 403, 404, 409, 422, 503)
# what any write can answer besides its result
WRITE = errors(400, 401, 403, 404, 409, 413, 422, 503)


@dataclass
class DownloadOperation(Operation):
    """A report download: 200 is an xlsx workbook, a csv file or the JSON document (the
    `format` parameter chooses), named in Content-Disposition."""

    def __post_init__(self) -> None:
        ok = self.responses["200"] if self.responses else None
        assert isinstance(ok, OpenAPIResponse) and ok.content  # the JSON document's ResponseSpec
        binary = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
        ok.content = {
            XLSX: OpenAPIMediaType(schema=binary),
            CSV: OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING)),
            **ok.content,
        }
        ok.headers = {
            "Content-Disposition": OpenAPIHeader(
                schema=Schema(type=OpenAPIType.STRING),
                description='attachment; filename="<contract>-<report>-<period>[-<party>].<ext>"',
            )
        }


@dataclass
class ClaimDownloadOperation(DownloadOperation):
    """A claim pack's download: a report download, or (`format=pdf`) the PDF claim."""

    def __post_init__(self) -> None:
        super().__post_init__()
        ok = self.responses["200"] if self.responses else None
        assert isinstance(ok, OpenAPIResponse) and ok.content
        binary = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
        ok.content = {PDF: OpenAPIMediaType(schema=binary), **ok.content}


@dataclass
class SpecBodyOperation(Operation):
    """A route whose body is a contract spec as sent: YAML text, or a JSON document when the
    Content-Type says json."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            description="The spec as written (docs/spec-language.md), UTF-8.",
            content={
                YAML: OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING)),
                "application/json": OpenAPIMediaType(schema=Schema(type=OpenAPIType.OBJECT)),
            },
        )
