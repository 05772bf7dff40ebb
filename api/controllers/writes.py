"""What every write endpoint shares: idempotency keys, and turning a request into an upload file.

Idempotency: a write sent with an `Idempotency-Key` header is answered once; the key, a hash of
the request (a JSON body by its canonical JSON, so key order and layout do not matter; a file
by its name and bytes) and the response are stored in the same transaction as the write, so a
retry gets the stored response (header `Idempotent-Replayed: true`) and never writes twice.
The same key with a different request is refused (422); two requests racing with one key end
with one written and the other told to retry (409).

Uploads: the ledger's import services take an `Upload`, a file already read into rows. A
multipart upload is read from its bytes under its own (sanitised) name; JSON rows become csv
text in memory whose file row n is JSON row n - 2, so that the services give the same row
errors either way and the API maps them back to JSON paths. Nothing is written to disk. Either
is read and its text checked (ledger.intake.reading, the API's limits) before the write
transaction opens, and its rows checked against what is stored in a read-only session
(ledger.services.checked_import): the database's lock is held for the insert only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from litestar import Response
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from api.errors import ApiProblem
from ledger.domain.errors import RejectedUpload, RowError, UploadTooLarge
from ledger.intake.cell_safety import csv_row_writer
from ledger.intake.reading import MAX_COLUMNS, FileBytes, Upload, api_limits, read_file
from ledger.intake.row_checks import refuse_unread
from ledger.storage.db import unit_of_work
from ledger.storage.tables import IdempotentRequest
from ledger.storage.tokens import Caller

T = TypeVar("T")
REPLAYED = "Idempotent-Replayed"
JSON_ROWS_FILE = "rows.csv"
MAX_KEY = 200


def now() -> datetime:
    """The time of a write (UTC)."""
    return datetime.now(UTC)


def request_hash(*parts: bytes | str) -> str:
    """A digest of what makes two requests the same request (method, path, content)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def canonical_body(value: Any) -> bytes:
    """A parsed JSON body as canonical JSON (sorted keys, no whitespace), so that a retry is
    the same request whatever its key order or layout."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return text.encode("utf-8")


def json_or_bytes(body: bytes) -> bytes:
    """A raw body sent as JSON by its canonical JSON; bytes that are not JSON as they are."""
    try:
        return canonical_body(json.loads(body))
    except ValueError:  # not JSON (nor UTF-8): the service answers that; the bytes identify it
        return body


def idempotent(
    session: Session,
    caller: Caller,
    key: str | None,
    fingerprint: str,
    write: Callable[[], tuple[int, Any]],
) -> Response[Any]:
    """Run `write` (returning status and JSON-ready body) once per key, inside `session`."""
    if key is None:
        status, body = write()
        return Response(body, status_code=status)
    scope = _scope(caller, key)
    stored = _replay(session, scope, key, fingerprint)
    if stored is not None:
        return stored
    status, body = write()
    _remember(session, scope, key, fingerprint, status, body)
    return Response(body, status_code=status)


def idempotent_service(
    engine: Engine,
    caller: Caller,
    key: str | None,
    fingerprint: str,
    write: Callable[[], tuple[int, Any]],
) -> Response[Any]:
    """Like `idempotent`, for a service that owns its transaction (a reconciliation run).

    The key is stored just after the service commits. A retry that comes in between runs the
    service again, which is safe only for services that are themselves idempotent (a re-run
    posts nothing new); use `idempotent` for everything else."""
    if key is None:
        status, body = write()
        return Response(body, status_code=status)
    scope = _scope(caller, key)
    with unit_of_work(engine) as session:
        stored = _replay(session, scope, key, fingerprint)
    if stored is not None:
        return stored
    status, body = write()
    with unit_of_work(engine) as session:
        _remember(session, scope, key, fingerprint, status, body)
    return Response(body, status_code=status)


def _scope(caller: Caller, key: str) -> str:
    if not key or len(key) > MAX_KEY:
        raise ApiProblem(
            400,
            "bad_request",
            f"Idempotency-Key must be 1 to {MAX_KEY} characters",
            [{"field": "Idempotency-Key", "message": "use a fresh random id (a UUID) per write"}],
        )
    return f"{caller.role.value}:{caller.party_id}"


def _replay(session: Session, scope: str, key: str, fingerprint: str) -> Response[Any] | None:
    stored = session.scalars(
        select(IdempotentRequest).where(
            col(IdempotentRequest.scope) == scope, col(IdempotentRequest.key) == key
        )
    ).first()
    if stored is None:
        return None
    if stored.request_sha256 != fingerprint:
        raise ApiProblem(
            422,
            "idempotency_key_reused",
            "this Idempotency-Key was used for a different request: use a new key",
            [{"field": "Idempotency-Key", "message": "already used for another request"}],
        )
    return Response(stored.response["body"], status_code=stored.status, headers={REPLAYED: "true"})


def _remember(
    session: Session, scope: str, key: str, fingerprint: str, status: int, body: Any
) -> None:
    session.add(
        IdempotentRequest(
            scope=scope,
            key=key,
            request_sha256=fingerprint,
            status=status,
            response={"body": body},
            created_at=now(),
        )
    )
    try:
        session.flush()
    except IntegrityError:
        raise ApiProblem(
            409,
            "conflict",
            "another request with this Idempotency-Key is being handled: retry it shortly",
        ) from None


# --- upload files -----------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


MAX_NAME = 100  # characters of an uploaded file's name kept (it is in every row error)


def safe_name(filename: str | None) -> str:
    """The uploaded file's own name, without folders or odd characters (kept for row errors),
    at most MAX_NAME characters (its extension kept)."""
    name = _UNSAFE.sub("_", Path(filename or "").name).strip("._")
    if len(name) > MAX_NAME:
        suffix = Path(name).suffix[:10]
        name = name[: MAX_NAME - len(suffix)] + suffix
    return name or "upload"


def read_request_file(name: str, content: bytes) -> Upload:
    """An upload read and its text checked under the API's limits, before any transaction;
    refused at once (RejectedUpload, UploadTooLarge) when it cannot be read."""
    upload = read_file(FileBytes(safe_name(name), content), api_limits())
    refuse_unread(upload)
    return upload


def limit_rows(rows: list[dict[str, Any]]) -> None:
    """JSON rows are held to the API's row limit before anything is made of them (413)."""
    most = api_limits().max_rows
    if len(rows) > most:
        raise ApiProblem(
            413,
            "too_large",
            f"the upload is over a limit: {len(rows)} rows, at most {most} rows per upload",
            [
                {
                    "path": "$.rows",
                    "message": "send the rows in parts, or import a file with the CLI",
                }
            ],
        )


def read_json_rows(content: bytes) -> Upload:
    """JSON rows (as `rows_csv` wrote them) read like a file; problems at their JSON paths."""
    try:
        return read_request_file(JSON_ROWS_FILE, content)
    except RejectedUpload as exc:
        raise json_rows_problem(exc) from None


def cell_text(value: Any, place: str) -> str:
    """A JSON value as the text a csv cell would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str | Decimal):
        return str(value).strip()
    if isinstance(value, float):
        # the shortest text that reads back as the same float: 250.5, never 250.49999
        return format(Decimal(repr(value)), "f")
    if isinstance(value, date):
        return value.isoformat()
    raise ApiProblem(
        422,
        "invalid",
        "a row value must be a string, number, boolean or null",
        [{"path": place, "message": "is a list or an object: send a single value"}],
    )


def rows_csv(rows: list[dict[str, Any]], known: tuple[str, ...] = ()) -> bytes:
    """JSON rows as csv text: the `known` columns, then others in the order they first appear;
    JSON row i is file row i + 2."""
    columns: dict[str, None] = dict.fromkeys(known)
    for index, row in enumerate(rows):
        columns.update(dict.fromkeys(row))
        if len(columns) > MAX_COLUMNS:  # before a table of rows x columns is built
            raise ApiProblem(
                422,
                "invalid",
                f"the rows have more than {MAX_COLUMNS} different keys",
                [{"path": f"$.rows[{index}]", "message": "send only the import's columns"}],
            )
    lines: list[list[str]] = [list(columns)]
    for index, row in enumerate(rows):
        lines.append([cell_text(row.get(c), f"$.rows[{index}].{c}") for c in columns])
    return _csv_bytes(lines)


def _csv_bytes(lines: list[list[str]]) -> bytes:
    # the shared row writer: a carriage return inside a value stays inside its cell (the
    # values are the party's own, read back by the import as they were sent: not escaped)
    buffer = io.StringIO(newline="")
    write = csv_row_writer(buffer)
    for line in lines:
        write(line)
    return buffer.getvalue().encode("utf-8")


def json_rows_problem(exc: RejectedUpload) -> ApiProblem:
    """A rejected import of JSON rows, each problem at the JSON path of its row and field."""
    details = [{"path": _row_path(e), "message": e.message} for e in exc.errors]
    if isinstance(exc, UploadTooLarge):
        words = "; ".join(e.message for e in exc.errors)
        return ApiProblem(413, "too_large", f"the upload is over a limit: {words}", details)
    return ApiProblem(422, "rejected_upload", str(exc), details, omitted=exc.more)


def _row_path(error: RowError) -> str:
    column = error.column if error.column not in ("row", "file") else ""
    suffix = f".{column}" if column else ""
    if error.row <= 1:
        return f"$.rows[*]{suffix}"
    return f"$.rows[{error.row - 2}]{suffix}"


def json_ready(value: Any) -> Any:
    """A response body as plain JSON data (decimals as strings, times ISO), as it is stored
    for an idempotent replay and sent the first time alike."""
    return json.loads(json.dumps(value, default=_plain))


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON data")
