"""Steps for features/security/broken_files.feature: a caseworker's broken files through the API.

Each scenario runs on both backends (the `engine` fixture). The app's engine waits 200 ms for
another writer's lock, so that the busy scenario is answered at once; no step measures time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import Connection, Engine, text

from api.app import create_app
from contract_specs.model import Role
from ledger.storage.db import ADVISORY_LOCK, is_sqlite, make_engine
from ledger.storage.settings import get_settings
from tests.api.conftest import LITESTAR_DEPRECATIONS, OWN, PEOPLE, bearer, load_world
from tests.broken_files import EVIDENCE_HEADER, GOOD_WORKBOOK, OLE2, PNG, evidence, stored

# the desk (and through it the parametrised database) is asked for statically, so each
# scenario runs once per backend
pytestmark = [pytest.mark.usefixtures("desk"), pytest.mark.filterwarnings(LITESTAR_DEPRECATIONS)]

scenarios("security/broken_files.feature")

A_JOB = "E1,P1,job_entry,2015-03-01,payslip,,"
FILES = {
    "a spreadsheet saved as Windows CSV": (
        EVIDENCE_HEADER + "E1,P1,job_entry,2015-03-01,payslip,,Caf\xe9 letter\n"
    ).encode("latin-1"),
    "a spreadsheet saved as Unicode text": evidence(A_JOB).decode().encode("utf-16"),
    "a screenshot of the spreadsheet": PNG,
    "a workbook cut off half way by the email": GOOD_WORKBOOK[: len(GOOD_WORKBOOK) // 2],
    "an old Excel 97 workbook": OLE2,
}


@dataclass
class Desk:
    """Sam's desk: the app, Sam's token, what was stored before, the last answer."""

    client: TestClient[Litestar]
    headers: dict[str, str]
    before: Any = None
    answer: Any = None
    file: tuple[str, bytes] = ("evidence.csv", b"")
    lock: Connection | None = None


@pytest.fixture
def desk(
    db_url: str, engine: Engine, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Desk]:
    monkeypatch.setenv("OUTCOMES_SQLITE_BUSY_TIMEOUT_MS", "200")
    monkeypatch.setenv("OUTCOMES_POSTGRES_LOCK_TIMEOUT_MS", "200")
    get_settings.cache_clear()
    impatient = make_engine(db_url)
    secrets = load_world(engine, now)
    try:
        with TestClient(create_app(engine=impatient)) as client:
            found = Desk(client, bearer(secrets[Role.PROVIDER]))
            yield found
            if found.lock is not None:
                found.lock.rollback()
                found.lock.close()
    finally:
        impatient.dispose()
        monkeypatch.delenv("OUTCOMES_SQLITE_BUSY_TIMEOUT_MS")
        monkeypatch.delenv("OUTCOMES_POSTGRES_LOCK_TIMEOUT_MS")
        get_settings.cache_clear()


def _send(desk: Desk, name: str, content: bytes) -> None:
    desk.file = (name, content)
    desk.answer = desk.client.post(
        f"/api/contracts/{OWN}/evidence/upload", headers=desk.headers, files={"file": desk.file}
    )


def _refused(desk: Desk, status: int = 422) -> dict[str, Any]:
    assert desk.answer.status_code == status, desk.answer.text
    error: dict[str, Any] = desk.answer.json()["error"]
    return error


@given("Acme has enrolled its participant P1")
def enrolled(desk: Desk, engine: Engine) -> None:
    answer = desk.client.post(
        f"/api/contracts/{OWN}/participants", headers=desk.headers, json={"rows": PEOPLE[:1]}
    )
    assert answer.status_code == 201, answer.text
    desk.before = stored(engine)


@given("another import holds the ledger's write lock")
def held(desk: Desk, engine: Engine) -> None:
    connection = engine.connect()
    connection.begin()  # on SQLite: BEGIN IMMEDIATE, the whole database's write lock
    if is_sqlite(engine):
        connection.execute(text("SELECT 1"))
    else:
        key = f"evidence:{OWN}"
        connection.execute(text(ADVISORY_LOCK), {"key": key})
    desk.lock = connection


@when(parsers.parse("Sam uploads {what}, named {name}"))
def upload_the_wrong_file(desk: Desk, what: str, name: str) -> None:
    _send(desk, name, FILES[what])


@when("Sam uploads evidence for P1 whose reference holds a hidden bell character")
def bell(desk: Desk) -> None:
    _send(desk, "evidence.csv", evidence(A_JOB + "ref\x07 from email"))


@when("Sam uploads evidence for P1 whose reference runs over two lines")
def two_lines(desk: Desk) -> None:
    _send(desk, "evidence.csv", evidence(A_JOB + '"letter of\n2 March"'))


@when(parsers.parse("Sam uploads earnings for P1 of {amount}"))
def earnings(desk: Desk, amount: str) -> None:
    _send(desk, "evidence.csv", evidence(f"E1,P1,earnings,2015-03-01,,{amount},"))


@when(parsers.parse("Sam uploads {count:d} evidence rows that all have the date {day}"))
def many_mistakes(desk: Desk, count: int, day: str) -> None:
    rows = [f"E{i},P1,job_entry,{day},payslip,," for i in range(count)]
    _send(desk, "evidence.csv", evidence(*rows))


@when(parsers.parse("Sam uploads evidence for P1 that entered a job on {day}"))
def a_job(desk: Desk, day: str) -> None:
    _send(desk, "evidence.csv", evidence(f"E1,P1,job_entry,{day},payslip,,"))


@when("the other import has finished and Sam sends the same file again")
def again(desk: Desk) -> None:
    assert desk.lock is not None
    desk.lock.rollback()
    desk.lock.close()
    desk.lock = None
    _send(desk, *desk.file)


@then(parsers.parse("the upload is refused because the file {says}"))
def refused_as_a_file(desk: Desk, says: str) -> None:
    details = _refused(desk)["details"]
    assert [(d["row"], d["column"]) for d in details] == [(0, "file")]
    assert says in details[0]["message"]


@then(parsers.parse("the upload is refused at row {row:d}, column {column}, because it {says}"))
def refused_at(desk: Desk, row: int, column: str, says: str) -> None:
    details = _refused(desk)["details"]
    assert [(d["row"], d["column"]) for d in details] == [(row, column)]
    assert details[0]["message"].startswith(says)


@then(parsers.parse("the answer lists {listed:d} problems and says {more:d} more were not listed"))
def capped(desk: Desk, listed: int, more: int) -> None:
    error = _refused(desk)
    assert (len(error["details"]), error["omitted"]) == (listed, more)


@then("Sam is told the ledger is busy and to try again in a few seconds")
def busy(desk: Desk) -> None:
    error = _refused(desk, 503)
    assert error["code"] == "busy" and "try again" in error["message"]
    assert int(desk.answer.headers["Retry-After"]) > 0


@then("nothing new is stored")
def nothing_stored(desk: Desk, engine: Engine) -> None:
    assert stored(engine) == desk.before


@then("the upload is accepted")
def accepted(desk: Desk) -> None:
    assert desk.answer.status_code == 201, desk.answer.text
