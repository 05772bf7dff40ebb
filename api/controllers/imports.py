"""Imports through the API: the CLI's services, the same row errors, all or nothing.

One function runs every import (participants, evidence, verification decisions, cohort
results, remittances, cash), from a multipart file or from JSON rows, with the job the CLI's
command runs: the file is read and its text checked first, with no transaction open (a large
file parsed inside one would hold SQLite's whole-database write lock all the while), then
checked against what is stored in a read-only session (ledger.services.checked_import); then
the reach check, the insert and the idempotency record, in one unit of work. A provider's rows
are in its own namespace by construction: the services qualify its ids with its party before
anything is looked up, and refuse a row naming another provider (ledger.services.ids), so no
answer to it depends on another provider's rows.
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

from api.auth import Guard, reach
from api.controllers.params import UPLOAD_LIMITS, IdempotencyKey, Multipart
from api.controllers.responses import WRITE
from api.controllers.writes import (
    canonical_body,
    idempotent,
    json_rows_problem,
    limit_rows,
    now,
    read_json_rows,
    read_request_file,
    request_hash,
    rows_csv,
)
from api.dto import ImportOut, RowsIn, UploadForm
from api.errors import ApiProblem
from contract_specs.model import Role
from ledger.domain.errors import RejectedUpload
from ledger.intake.row_checks import Upload
from ledger.services import enrolment, evidence, results, verification, withdrawal
from ledger.services.checked_import import CheckedImport, store_checked
from ledger.services.enrolment import participants_import
from ledger.services.evidence import evidence_import
from ledger.services.results import results_import
from ledger.services.verification import decisions_import
from ledger.services.withdrawal import withdrawals_import
from ledger.storage.db import reading, unit_of_work
from ledger.storage.tokens import Caller
from ledger.storage.uploads import ImportSummary


@dataclass(frozen=True)
class ImportKind:
    """One kind of import: its columns and how it is checked and stored."""

    name: str
    # the file's columns: a JSON row that leaves one out means it empty, as a blank cell would
    columns: tuple[str, ...]
    # the import of an upload by a caller, checked before the write lock and stored under it
    # (ledger.services.checked_import): the same service the CLI's command runs
    job: Callable[[str, Upload, Caller], CheckedImport]


def _own(caller: Caller) -> str | None:
    """The provider whose namespace a caller's rows are in (None: a role that sees all)."""
    return caller.party_id if caller.role is Role.PROVIDER else None


def _participants(contract_id: str, upload: Upload, caller: Caller) -> CheckedImport:
    return participants_import(
        contract_id, upload, actor=caller.actor, now=now(), provider=_own(caller)
    )


def _evidence(contract_id: str, upload: Upload, caller: Caller) -> CheckedImport:
    return evidence_import(
        contract_id, upload, actor=caller.actor, now=now(), provider=_own(caller)
    )


def _results(contract_id: str, upload: Upload, caller: Caller) -> CheckedImport:
    return results_import(contract_id, upload, actor=caller.actor, now=now())


def _decisions(contract_id: str, upload: Upload, caller: Caller) -> CheckedImport:
    return decisions_import(contract_id, upload, actor=caller.actor, now=now())


def _withdrawals(contract_id: str, upload: Upload, caller: Caller) -> CheckedImport:
    return withdrawals_import(
        contract_id, upload, actor=caller.actor, now=now(), provider=_own(caller)
    )


PARTICIPANTS = ImportKind("participants", enrolment.COLUMNS, _participants)
EVIDENCE = ImportKind("evidence", evidence.COLUMNS, _evidence)
WITHDRAWALS = ImportKind("withdrawals", withdrawal.COLUMNS, _withdrawals)
RESULTS = ImportKind("results", results.COLUMNS, _results)
DECISIONS = ImportKind("verifications", verification.COLUMNS, _decisions)


Store = Callable[[Session], ImportSummary]


def _checked(
    engine: Engine, kind: ImportKind, caller: Caller, contract_id: str, upload: Upload
) -> Store:
    """What the write transaction runs: the rows already checked in a read-only session (no
    write lock held while the file is checked against what is stored), stored under the lock."""
    job = kind.job(contract_id, upload, caller)
    with reading(engine) as reader:
        checked = job.check(reader)
    return lambda session: store_checked(session, job, checked)


def _store(session: Session, store: Store) -> Any:
    summary = store(session)
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
    store = _checked(engine, kind, caller, contract_id, upload)
    with unit_of_work(engine) as session:
        reach(session, caller, contract_id)

        def write() -> tuple[int, Any]:
            body = _store(session, store)
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
    try:
        store = _checked(engine, kind, caller, contract_id, upload)
    except RejectedUpload as exc:
        raise json_rows_problem(exc) from None
    with unit_of_work(engine) as session:
        reach(session, caller, contract_id)

        def write() -> tuple[int, Any]:
            try:
                body = _store(session, store)
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
