"""The write lock is held only for the database's part of a write: an upload is parsed before
its transaction opens, a lock that cannot be had in time is 503 with Retry-After (the CLI says
the ledger is busy), and `/health` takes no write lock at all."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import Connection, Engine, func, select, text

import contract_specs.loader as loader
from api.app import create_app
from api.cli import main
from contract_specs.model import Role
from ledger.services.contracts import active_spec
from ledger.services.enrolment import import_participants
from ledger.storage.db import ADVISORY_LOCK, is_sqlite, make_engine, unit_of_work
from ledger.storage.settings import get_settings
from ledger.storage.tables import Participant, table_of
from tests.api.conftest import OWN, PEOPLE, RIVAL

PETERBOROUGH = Path(__file__).parents[2] / "contract_specs" / "examples" / "peterborough.yaml"
HEADER = "participant_id,cohort,provider,start_date,date_of_birth\n"
WHEN = datetime(2015, 12, 1, tzinfo=UTC)


@pytest.fixture
def impatient(
    db_url: str, engine: Engine, world: dict[Role, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    """An engine that waits 100 ms for another writer's lock (SQLite busy timeout, PostgreSQL
    lock_timeout), as the app and the CLI will see it."""
    monkeypatch.setenv("OUTCOMES_SQLITE_BUSY_TIMEOUT_MS", "100")
    monkeypatch.setenv("OUTCOMES_POSTGRES_LOCK_TIMEOUT_MS", "100")
    monkeypatch.setenv("OUTCOMES_DATABASE_URL", db_url)
    get_settings.cache_clear()
    short = make_engine(db_url)
    try:
        yield short
    finally:
        short.dispose()
        monkeypatch.delenv("OUTCOMES_SQLITE_BUSY_TIMEOUT_MS")
        monkeypatch.delenv("OUTCOMES_POSTGRES_LOCK_TIMEOUT_MS")
        get_settings.cache_clear()


@pytest.fixture
def held(engine: Engine) -> Iterator[Connection]:
    """Another writer in the middle of enrolling into dwp-test: on SQLite it holds the whole
    database's write lock, on PostgreSQL the participants lock of the contract."""
    connection = engine.connect()
    transaction = connection.begin()
    if is_sqlite(engine):
        connection.execute(text("SELECT 1"))  # BEGIN IMMEDIATE has taken the lock
    else:
        key = f"participants:{OWN}"
        connection.execute(text(ADVISORY_LOCK), {"key": key})
    try:
        yield connection
    finally:
        transaction.rollback()
        connection.close()


def test_a_lock_not_had_in_time_is_503_with_retry_after(
    impatient: Engine, held: Connection, world: dict[Role, str]
) -> None:
    headers = {"Authorization": f"Bearer {world[Role.PROVIDER]}"}
    with TestClient(create_app(engine=impatient)) as client:
        answer = client.post(
            f"/api/contracts/{OWN}/participants", headers=headers, json={"rows": PEOPLE[:1]}
        )
    assert answer.status_code == 503, answer.text
    assert int(answer.headers["Retry-After"]) >= 1
    error = answer.json()["error"]
    assert (error["status"], error["code"]) == (503, "busy")
    assert "try again" in error["message"]


def test_health_answers_while_another_writer_holds_the_lock(
    impatient: Engine, held: Connection
) -> None:
    with TestClient(create_app(engine=impatient)) as client:
        answer = client.get("/health")
    assert (answer.status_code, answer.json()) == (200, {"status": "ok", "database": "ok"})


def test_the_cli_says_the_ledger_is_busy(
    impatient: Engine, held: Connection, tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(HEADER + "P1,c1,acme,2015-02-01,1995-06-01\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["participants", "import", OWN, str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert "the ledger is busy: try again" in result.stderr
    assert "Traceback" not in result.output


def test_an_upload_being_parsed_holds_no_write_lock(
    impatient: Engine, world: dict[Role, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """While a provider's upload is still being read, the intermediary enrols someone into
    another contract: that write must not wait for the upload (it would time out if it did)."""
    parsing, other_done = threading.Event(), threading.Event()
    real = pd.read_csv

    def slow_read_csv(*args: Any, **kwargs: Any) -> Any:
        # the app parses in its own worker thread; the other write runs in this one
        if threading.current_thread() is not threading.main_thread():
            parsing.set()
            assert other_done.wait(timeout=60), "the other write never finished"
        return real(*args, **kwargs)

    monkeypatch.setattr(pd, "read_csv", slow_read_csv)
    headers = {"Authorization": f"Bearer {world[Role.PROVIDER]}"}
    content = (HEADER + "P1,c1,acme,2015-02-01,1995-06-01\n").encode()
    answers: list[Any] = []

    def upload() -> None:
        with TestClient(create_app(engine=impatient)) as client:
            answers.append(
                client.post(
                    f"/api/contracts/{OWN}/participants/upload",
                    headers=headers,
                    files={"file": ("people.csv", content)},
                )
            )

    uploader = threading.Thread(target=upload, name="uploader")
    uploader.start()
    try:
        assert parsing.wait(timeout=60), "the upload was never parsed"
        rival = tmp_path / "rival.csv"
        rival.write_text(HEADER + "R1,c1,beta,2015-02-01,1995-06-01\n", encoding="utf-8")
        with unit_of_work(impatient) as session:
            active = active_spec(session, RIVAL)
            done = import_participants(session, RIVAL, active, rival, actor="test", now=WHEN)
        assert done.new == 1
    finally:
        other_done.set()
        uploader.join(timeout=120)
    assert answers and answers[0].status_code == 201, answers and answers[0].text
    with unit_of_work(impatient) as session:
        count = session.scalar(select(func.count()).select_from(table_of(Participant)))
    assert count == 2


def test_a_providers_file_is_read_once(
    client: TestClient[Litestar],
    as_role: dict[Role, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    real = pd.read_csv

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(pd, "read_csv", counted)
    content = (HEADER + "P1,c1,acme,2015-02-01,1995-06-01\n").encode()
    answer = client.post(
        f"/api/contracts/{OWN}/participants/upload",
        headers=as_role[Role.PROVIDER],
        files={"file": ("people.csv", content)},
    )
    assert answer.status_code == 201, answer.text
    assert len(calls) == 1


# (route under the contract, role, module whose open_checks the check calls, file content)
CHECKED_BEFORE_THE_LOCK = [
    (
        "verifications/upload",
        Role.INTERMEDIARY,
        "ledger.services.verification",
        b"evidence_id,decision,reason\nacme/E1,verified,\n",
    ),
    (
        "results/upload",
        Role.EVALUATOR,
        "ledger.services.results",
        b"result_id,metric,cohort,observed,comparison,units,evaluated_on\n"
        b"R1,job_entry,c1,1.5,1.0,10,2015-06-01\n",
    ),
    (
        "remittances/upload",
        Role.INTERMEDIARY,
        "reconciliation.remittances",
        b"payer,amount,date,reference\ndwp,2800.00,2015-07-20,DWP-TEST-2015-Q2-DWP-1\n",
    ),
]


@pytest.mark.parametrize(
    ("route", "role", "module", "content"),
    CHECKED_BEFORE_THE_LOCK,
    ids=[route.split("/")[0] for route, *_ in CHECKED_BEFORE_THE_LOCK],
)
def test_an_upload_being_checked_against_the_ledger_holds_no_write_lock(
    impatient: Engine,
    world: dict[Role, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    route: str,
    role: Role,
    module: str,
    content: bytes,
) -> None:
    """While a file is checked against what is stored (decisions against the evidence's
    statuses, results, remittances), another contract's import lands: the check holds no write
    lock (the other write would time out after 100 ms if it did)."""
    checking, other_done = threading.Event(), threading.Event()
    service = importlib.import_module(module)
    real = service.open_checks

    def slow_checks(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is not threading.main_thread():
            checking.set()
            assert other_done.wait(timeout=60), "the other write never finished"
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "open_checks", slow_checks)
    headers = {"Authorization": f"Bearer {world[role]}"}
    answers: list[Any] = []

    def upload() -> None:
        with TestClient(create_app(engine=impatient)) as client:
            answers.append(
                client.post(
                    f"/api/contracts/{OWN}/{route}",
                    headers=headers,
                    files={"file": ("upload.csv", content)},
                )
            )

    uploader = threading.Thread(target=upload, name="uploader")
    uploader.start()
    try:
        assert checking.wait(timeout=60), "the upload was never checked"
        rival = tmp_path / "rival.csv"
        rival.write_text(HEADER + "R1,c1,beta,2015-02-01,1995-06-01\n", encoding="utf-8")
        with unit_of_work(impatient) as session:
            active = active_spec(session, RIVAL)
            done = import_participants(session, RIVAL, active, rival, actor="test", now=WHEN)
        assert done.new == 1
    finally:
        other_done.set()
        uploader.join(timeout=120)
    # answered as it would be without the other write: stored, or refused for its own rows
    assert answers and answers[0].status_code in (200, 201, 422), answers and answers[0].text


def test_a_spec_being_checked_holds_no_write_lock(
    impatient: Engine, world: dict[Role, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Checking a spec is the costly part of loading it: done before the write transaction
    opens, so another contract's import lands meanwhile (it would time out if it waited)."""
    checking, other_done = threading.Event(), threading.Event()
    real = loader._check_text

    def slow_check(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is not threading.main_thread():
            checking.set()
            assert other_done.wait(timeout=60), "the other write never finished"
        return real(*args, **kwargs)

    monkeypatch.setattr(loader, "_check_text", slow_check)
    headers = {"Authorization": f"Bearer {world[Role.INTERMEDIARY]}"}
    answers: list[Any] = []

    def load() -> None:
        with TestClient(create_app(engine=impatient)) as client:
            answers.append(
                client.post(
                    "/api/contracts/peterborough/versions",
                    headers={**headers, "Content-Type": "application/yaml"},
                    content=PETERBOROUGH.read_bytes(),
                )
            )

    loader_thread = threading.Thread(target=load, name="loader")
    loader_thread.start()
    try:
        assert checking.wait(timeout=60), "the spec was never checked"
        rival = tmp_path / "rival.csv"
        rival.write_text(HEADER + "R1,c1,beta,2015-02-01,1995-06-01\n", encoding="utf-8")
        with unit_of_work(impatient) as session:
            active = active_spec(session, RIVAL)
            done = import_participants(session, RIVAL, active, rival, actor="test", now=WHEN)
        assert done.new == 1
    finally:
        other_done.set()
        loader_thread.join(timeout=120)
    # loaded, or refused for whose contract it is: never a lock timeout
    assert answers and answers[0].status_code in (201, 403, 404), answers and answers[0].text
