"""Imports through the API: the CLI's services, the same row errors, all or nothing.

One function runs every import (participants, evidence, verification decisions, cohort
results), from a multipart file or from JSON rows: the file is read and its text checked first,
with no transaction open (a large file parsed inside one would hold SQLite's whole-database
write lock all the while); then the reach check, the provider's own-rows check, the service and
the idempotency record, in one unit of work. A provider may only enrol participants it serves
and only submit evidence for them; those rows are refused beside the service's own errors, so
one answer lists every problem.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, JSONBody
from sqlalchemy import Engine
from sqlmodel import Session

from api.auth import Guard, own_participants, reach
from api.controllers.params import UPLOAD_LIMITS, IdempotencyKey, Multipart
from api.controllers.responses import WRITE
from api.controllers.writes import (
    canonical_body,
    idempotent,
    json_rows_problem,
    limit_rows,
    merge_rejections,
    now,
    read_json_rows,
    read_request_file,
    request_hash,
    rows_csv,
)
from api.dto import ImportOut, RowsIn, UploadForm
from api.errors import ApiProblem
from contract_specs.model import Role
from ledger import enrolment, evidence, results, verification
from ledger.contracts import active_spec
from ledger.db import reading, unit_of_work
from ledger.enrolment import import_participants
from ledger.errors import RejectedUpload, RowError
from ledger.evidence import import_evidence
from ledger.results import import_results
from ledger.tokens import Caller
from ledger.uploads import ImportSummary, Upload
from ledger.verification import import_decisions

Service = Callable[[Session, str, Upload, Caller], ImportSummary]
OwnRows = Callable[[Session, Caller, str, Upload], list[RowError]]


@dataclass(frozen=True)
class ImportKind:
    """One kind of import: the service that stores it, and the provider's own-rows check."""

    name: str
    service: Service
    # the file's columns: a JSON row that leaves one out means it empty, as a blank cell would
    columns: tuple[str, ...]
    own_rows: OwnRows | None = None


def _participants(
    session: Session, contract_id: str, path: Upload, caller: Caller
) -> ImportSummary:
    active = active_spec(session, contract_id)
    return import_participants(session, contract_id, active, path, actor=caller.actor, now=now())


def _evidence(session: Session, contract_id: str, path: Upload, caller: Caller) -> ImportSummary:
    active = active_spec(session, contract_id)
    return import_evidence(session, contract_id, active, path, actor=caller.actor, now=now())


def _results(session: Session, contract_id: str, path: Upload, caller: Caller) -> ImportSummary:
    active = active_spec(session, contract_id)
    return import_results(session, contract_id, active, path, actor=caller.actor, now=now())


def _decisions(session: Session, contract_id: str, path: Upload, caller: Caller) -> ImportSummary:
    return import_decisions(session, contract_id, path, actor=caller.actor, now=now())


def _providers_own_enrolments(
    session: Session, caller: Caller, contract_id: str, upload: Upload
) -> list[RowError]:
    del session, contract_id
    frame = upload.frame
    if "provider" not in frame:  # the service names the missing column
        return []
    others = frame[(frame["provider"] != caller.party_id) & (frame["provider"] != "")]
    return [
        RowError(
            upload.name,
            int(row),
            "provider",
            f"is another provider: you may enrol only your own participants ({caller.party_id})",
        )
        for row in others["row"]
    ]


def _providers_own_evidence(
    session: Session, caller: Caller, contract_id: str, upload: Upload
) -> list[RowError]:
    frame = upload.frame
    if "participant_id" not in frame:  # the service names the missing column
        return []
    mine = own_participants(session, caller, contract_id) or set()
    others = frame[~frame["participant_id"].isin(mine) & (frame["participant_id"] != "")]
    # the same words whether the participant is another provider's or not enrolled at all, so
    # a provider cannot probe for other providers' participant ids
    return [
        RowError(
            upload.name,
            int(row),
            "participant_id",
            "is not one of your enrolled participants: enrol the participant first",
        )
        for row in others["row"]
    ]


PARTICIPANTS = ImportKind(
    "participants", _participants, enrolment.COLUMNS, _providers_own_enrolments
)
EVIDENCE = ImportKind("evidence", _evidence, evidence.COLUMNS, _providers_own_evidence)
RESULTS = ImportKind("results", _results, results.COLUMNS)
DECISIONS = ImportKind("verifications", _decisions, verification.COLUMNS)


def _store(
    session: Session, kind: ImportKind, caller: Caller, contract_id: str, upload: Upload
) -> Any:
    own: list[RowError] = []
    if kind.own_rows is not None and caller.role is Role.PROVIDER:
        own = kind.own_rows(session, caller, contract_id, upload)
    try:
        summary = kind.service(session, contract_id, upload, caller)
    except RejectedUpload as exc:
        raise RejectedUpload(merge_rejections(own, exc.errors), more=exc.more) from None
    if own:
        raise RejectedUpload(own)  # the unit of work rolls back what the service stored
    return {"new": summary.new, "unchanged": summary.unchanged}


def import_file(
    engine: Engine,
    request: Request[Any, Any, Any],
    caller: Caller,
    contract_id: str,
    kind: ImportKind,
    form: UploadForm,
    key: str | None,
) -> Response[Any]:
    """Import an uploaded .csv/.xlsx file: every row stored, or none (422 with each row)."""
    content = form.file.file.read()
    name = form.file.filename or "upload"
    fingerprint = request_hash("POST", request.url.path, name, content)
    _may_reach(engine, caller, contract_id)
    upload = read_request_file(name, content)
    del content
    with unit_of_work(engine) as session:
        reach(session, caller, contract_id)

        def write() -> tuple[int, Any]:
            body = _store(session, kind, caller, contract_id, upload)
            return (201 if body["new"] else 200), body

        return idempotent(session, caller, key, fingerprint, write)


def import_rows(
    engine: Engine,
    request: Request[Any, Any, Any],
    caller: Caller,
    contract_id: str,
    kind: ImportKind,
    data: RowsIn,
    key: str | None,
) -> Response[Any]:
    """Import JSON rows: every row stored, or none (422 with each problem's JSON path)."""
    _may_reach(engine, caller, contract_id)
    if not data.rows:
        raise ApiProblem(
            422,
            "invalid",
            "nothing to import",
            [{"path": "$.rows", "message": "is empty: send at least one row"}],
        )
    limit_rows(data.rows)
    content = rows_csv(data.rows, kind.columns)
    fingerprint = request_hash("POST", request.url.path, canonical_body(data.rows))
    upload = read_json_rows(content)
    with unit_of_work(engine) as session:
        reach(session, caller, contract_id)

        def write() -> tuple[int, Any]:
            try:
                body = _store(session, kind, caller, contract_id, upload)
            except RejectedUpload as exc:
                raise json_rows_problem(exc) from None
            return (201 if body["new"] else 200), body

        return idempotent(session, caller, key, fingerprint, write)


def _may_reach(engine: Engine, caller: Caller, contract_id: str) -> None:
    # a caller with no reach hears 404 before anything of the file is read, under no write lock
    with reading(engine) as session:
        reach(session, caller, contract_id)


def import_handlers(
    kind: ImportKind,
    *,
    path: str,
    operation: str,
    what: str,
    columns: str,
    guards: list[Guard] | None = None,
) -> tuple[HTTPRouteHandler, HTTPRouteHandler]:
    """The two routes of an import for a controller: JSON rows at `path`, a file at
    `path/upload`. `operation` names them in the OpenAPI (importX, uploadX)."""

    @post(
        path,
        operation_id=f"import{operation}",
        summary=f"{what} from JSON rows (all or none)",
        description=f"Each row an object with the columns {columns}. {UPLOAD_LIMITS}",
        responses=WRITE,
        guards=guards,
        sync_to_thread=True,
    )
    def from_rows(
        self: Controller,
        contract_id: FromPath[str],
        data: JSONBody[RowsIn],
        request: Request[Any, Any, Any],
        caller: NamedDependency[Caller],
        engine: NamedDependency[Engine],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[ImportOut]:
        return import_rows(engine, request, caller, contract_id, kind, data, idempotency_key)

    @post(
        f"{path.rstrip('/')}/upload",
        operation_id=f"upload{operation}",
        summary=f"{what} from a .csv or .xlsx file (all or none)",
        description=f"A .csv (UTF-8) or .xlsx file with the columns {columns}. {UPLOAD_LIMITS}",
        responses=WRITE,
        guards=guards,
        sync_to_thread=True,
    )
    def from_file(
        self: Controller,
        contract_id: FromPath[str],
        data: Multipart,
        request: Request[Any, Any, Any],
        caller: NamedDependency[Caller],
        engine: NamedDependency[Engine],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[ImportOut]:
        return import_file(engine, request, caller, contract_id, kind, data, idempotency_key)

    return from_rows, from_file
