"""One JSON shape for every error the API returns, and the handlers that produce it.

    {"error": {"status": 422, "code": "rejected_upload", "message": "...",
               "details": [{"row": 3, "column": "start_date", "message": "..."}]}}

A detail names its place with `path` (a JSON path into the request body or spec), `row` and
`column` (a file row, the header being row 1), or `field` (a query, path or header parameter).
At most MAX_LISTED details are sent; `omitted` (present only then) counts the rest, so that no
answer grows with the file that caused it. A write that could not have its lock in time is 503
`busy` with `Retry-After`: nothing was written, and the same request will do later.
Stack traces never reach a client, and the log line of an unexpected error carries its type and
the route only: request bodies (participants' ids and attributes) are never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from contract_specs.findings import SpecError
from ledger.domain.errors import (
    MAX_LISTED,
    LedgerError,
    NoActiveSpec,
    RejectedUpload,
    UnknownContract,
    UploadTooLarge,
)
from ledger.domain.errors import UnknownParticipant as UnknownParticipantError
from ledger.storage.db import is_busy
from ledger.storage.tokens import TokenError
from reporting.errors import ReportError

log = logging.getLogger("outcomes.api")

Detail = dict[str, Any]

# the code a client can branch on, per HTTP status, when nothing more precise is known
STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    503: "busy",
}
RETRY_AFTER_SECONDS = 5  # about a lock timeout: long enough for a usual write to finish
BUSY = (
    "the ledger is busy with another write and this one could not wait longer: nothing was "
    "written; try again in a few seconds"
)


class ApiProblem(Exception):
    """An error a client can fix, raised by a controller: status, code, message and details."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Iterable[Detail] = (),
        *,
        omitted: int = 0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        listed = list(details)
        self.details = listed[:MAX_LISTED]
        self.omitted = omitted + max(0, len(listed) - MAX_LISTED)
        self.headers = dict(headers or {})


def not_found(what: str) -> ApiProblem:
    """404 for something that does not exist, or that the caller may not know exists."""
    return ApiProblem(404, "not_found", f"{what} does not exist or is not yours to see")


def error_body(
    status: int, code: str, message: str, details: Iterable[Detail] = (), omitted: int = 0
) -> dict[str, object]:
    """The error shape as data (the OpenAPI document and tests use the same function)."""
    error = {"status": status, "code": code, "message": message, "details": list(details)}
    if omitted:
        error["omitted"] = omitted
    return {"error": error}


def problem_response(problem: ApiProblem) -> Response[Any]:
    """The response for an ApiProblem."""
    return Response(
        error_body(problem.status, problem.code, problem.message, problem.details, problem.omitted),
        status_code=problem.status,
        media_type=MediaType.JSON,
        headers=problem.headers,
    )


def rows_problem(exc: RejectedUpload) -> ApiProblem:
    """A refused upload, each problem at its file row and column."""
    details = [{"row": e.row, "column": e.column, "message": e.message} for e in exc.errors]
    if isinstance(exc, UploadTooLarge):
        words = "; ".join(e.message for e in exc.errors)
        return ApiProblem(413, "too_large", f"the upload is over a limit: {words}", details)
    return ApiProblem(422, "rejected_upload", str(exc), details, omitted=exc.more)


def busy() -> ApiProblem:
    """503: a lock not had in time (another writer); the client should come back."""
    return ApiProblem(503, "busy", BUSY, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def as_problem(exc: Exception) -> ApiProblem:
    """The ApiProblem a known exception stands for (500 for anything unexpected)."""
    if isinstance(exc, ApiProblem):
        return exc
    if isinstance(exc, RejectedUpload):
        return rows_problem(exc)
    if isinstance(exc, SpecError):
        details = [_finding(f) for f in exc.findings]
        return ApiProblem(422, "invalid_spec", "the spec has errors; nothing was stored", details)
    if isinstance(exc, UnknownContract | UnknownParticipantError):
        return ApiProblem(404, "not_found", str(exc))
    if isinstance(exc, NoActiveSpec):
        return ApiProblem(409, "no_active_spec", str(exc))
    if isinstance(exc, ReportError):
        return ApiProblem(422, "invalid", "the report cannot be made as asked", _places(exc))
    if isinstance(exc, TokenError | LedgerError):
        return ApiProblem(422, "invalid", str(exc))
    problem = _reconciliation_problem(exc)
    if problem is not None:
        return problem
    if is_busy(exc):
        return busy()
    if isinstance(exc, UnicodeDecodeError):
        # Litestar decodes a multipart part without a filename as text: a file's bytes fail
        return ApiProblem(400, "bad_request", "the request is not valid", [_NOT_TEXT])
    if isinstance(exc, ValidationException):
        return ApiProblem(400, "bad_request", "the request is not valid", _validation(exc.extra))
    if isinstance(exc, HTTPException):
        status = exc.status_code
        return ApiProblem(status, STATUS_CODES.get(status, "error"), exc.detail)
    return ApiProblem(HTTP_500_INTERNAL_SERVER_ERROR, "internal_error", "something went wrong")


def _reconciliation_problem(exc: Exception) -> ApiProblem | None:
    try:
        from reconciliation.errors import (
            PeriodClosedError,
            ReconciliationError,
            RunInProgressError,
        )
        from reconciliation.rewind import RewindChangedError, RewindRequiredError
    except ImportError:  # pragma: no cover - reconciliation is part of the product
        return None
    if not isinstance(exc, ReconciliationError):
        return None
    details = _places(exc)
    if isinstance(exc, PeriodClosedError):
        return ApiProblem(409, "period_closed", str(exc), details)
    if isinstance(exc, RunInProgressError):
        return ApiProblem(409, "run_in_progress", str(exc), details)
    if isinstance(exc, RewindRequiredError):
        return ApiProblem(409, "rewind_required", str(exc), details)
    if isinstance(exc, RewindChangedError):
        return ApiProblem(409, "preview_changed", str(exc), details)
    return ApiProblem(422, "invalid", str(exc), details)


def _places(exc: Any) -> list[Detail]:
    # places are named as the CLI's options (--period); the API's parameters carry no dashes
    return [{"field": p.place.lstrip("-"), "message": p.message} for p in exc.problems]


def _finding(finding: Any) -> Detail:
    detail: Detail = {"path": finding.path, "message": finding.message}
    if finding.line is not None:
        detail["line"] = finding.line
    if not finding.is_error:
        detail["severity"] = "warning"
    return detail


def _validation(extra: Any) -> list[Detail]:
    # Litestar lists each bad parameter as {"key", "message", "source"}
    if not isinstance(extra, list):
        return []
    details = []
    for item in extra:
        if isinstance(item, Mapping):
            key = str(item.get("key", ""))
            place = "path" if item.get("source") == "body" else "field"
            where = f"$.{key}" if place == "path" and key else key
            details.append({place: where, "message": _in_words(key, str(item.get("message", "")))})
    return details


NO_FILENAME = (
    "has no filename, so it is a form field, not a file: send the file as a file part "
    "(curl -F file=@people.csv)"
)


_NOT_TEXT = {"path": "$.file", "message": NO_FILENAME}


def _in_words(key: str, message: str) -> str:
    # a multipart part without a filename reaches the form as text, not as a file
    if key == "file" and message.startswith("Unsupported type: <class 'str'>"):
        return NO_FILENAME
    return message


def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The one exception handler of the app: every error leaves in the same shape."""
    problem = as_problem(exc)
    if problem.status == 413 and isinstance(exc, HTTPException):
        problem = _body_too_large(request)
    if problem.status == 503:
        log.warning("busy on %s %s", request.method, _route(request))
    elif problem.status >= 500:
        # the type and the route only: messages and bodies may carry participants' data
        log.error("unexpected %s on %s %s", type(exc).__name__, request.method, _route(request))
    return problem_response(problem)


def _body_too_large(request: Request[Any, Any, Any]) -> ApiProblem:
    handler = request.scope.get("route_handler")
    resolve = getattr(handler, "resolve_request_max_body_size", None)
    limit = resolve() if resolve is not None else None
    most = f": at most {limit} bytes" if limit else ""
    return ApiProblem(
        413,
        "too_large",
        f"the request body is larger than this route reads{most}; nothing was read",
        [{"field": "body", "message": "send a smaller file, or import it with the CLI"}],
    )


def _route(request: Request[Any, Any, Any]) -> str:
    handler = request.scope.get("route_handler")
    paths = getattr(handler, "paths", None)
    return next(iter(paths)) if paths else "(no route)"
