"""One JSON shape for every error the API returns, and the handlers that produce it.

    {"error": {"status": 422, "code": "rejected_upload", "message": "...",
               "details": [{"row": 3, "column": "start_date", "message": "..."}]}}

A detail names its place with `path` (a JSON path into the request body or spec), `row` and
`column` (a file row, the header being row 1), or `field` (a query, path or header parameter).
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
from ledger.errors import LedgerError, NoActiveSpec, RejectedUpload, UnknownContract
from ledger.errors import UnknownParticipant as UnknownParticipantError
from ledger.tokens import TokenError
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
}


class ApiProblem(Exception):
    """An error a client can fix, raised by a controller: status, code, message and details."""

    def __init__(
        self, status: int, code: str, message: str, details: Iterable[Detail] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = list(details)


def not_found(what: str) -> ApiProblem:
    """404 for something that does not exist, or that the caller may not know exists."""
    return ApiProblem(404, "not_found", f"{what} does not exist or is not yours to see")


def error_body(status: int, code: str, message: str, details: Iterable[Detail] = ()) -> dict:
    """The error shape as data (the OpenAPI document and tests use the same function)."""
    return {"error": {"status": status, "code": code, "message": message, "details": list(details)}}


def problem_response(problem: ApiProblem) -> Response[Any]:
    """The response for an ApiProblem."""
    return Response(
        error_body(problem.status, problem.code, problem.message, problem.details),
        status_code=problem.status,
        media_type=MediaType.JSON,
    )


def as_problem(exc: Exception) -> ApiProblem:
    """The ApiProblem a known exception stands for (500 for anything unexpected)."""
    if isinstance(exc, ApiProblem):
        return exc
    if isinstance(exc, RejectedUpload):
        details = [{"row": e.row, "column": e.column, "message": e.message} for e in exc.errors]
        return ApiProblem(422, "rejected_upload", str(exc), details)
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
            details.append({place: where, "message": str(item.get("message", ""))})
    return details


def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The one exception handler of the app: every error leaves in the same shape."""
    problem = as_problem(exc)
    if problem.status >= 500:
        # the type and the route only: messages and bodies may carry participants' data
        log.error("unexpected %s on %s %s", type(exc).__name__, request.method, _route(request))
    return problem_response(problem)


def _route(request: Request[Any, Any, Any]) -> str:
    handler = request.scope.get("route_handler")
    paths = getattr(handler, "paths", None)
    return next(iter(paths)) if paths else "(no route)"
