"""`outcomes serve` runs the reconciliation scheduler inside the process in the embedded
topology (SQLite, one worker) and stops it on exit; scaled out, it leaves it to one
`outcomes scheduler` process."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from click.testing import CliRunner

from api.cli import main
from api.cli.serve_cmds import embedded_scheduler


@pytest.mark.parametrize(
    ("choice", "url", "workers", "runs"),
    [
        (None, "sqlite:///./outcomes.sqlite", 1, True),
        (None, "sqlite:///./outcomes.sqlite", 4, False),  # each worker would run every job
        (None, "postgresql://u@db/ledger", 1, False),  # production: one `outcomes scheduler`
        (None, "postgresql+psycopg://u@db/ledger", 2, False),
        (False, "sqlite:///./outcomes.sqlite", 1, False),
        (True, "postgresql://u@db/ledger", 1, True),
    ],
)
def test_who_runs_the_scheduler(choice: bool | None, url: str, workers: int, runs: bool) -> None:
    assert embedded_scheduler(choice, url, workers) is runs


@pytest.fixture
def sqlite_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """OUTCOMES_DATABASE_URL on an SQLite file (the embedded topology serve decides on)."""
    from ledger.storage.settings import get_settings

    url = f"sqlite:///{tmp_path / 'serve.sqlite'}"
    monkeypatch.setenv("OUTCOMES_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def _scheduler_threads() -> list[threading.Thread]:
    # APScheduler 3's BackgroundScheduler names its thread "APScheduler"
    return [t for t in threading.enumerate() if t.name == "APScheduler" and t.is_alive()]


@pytest.mark.parametrize(("flags", "inside"), [((), True), (("--no-scheduler",), False)])
def test_serve_starts_the_scheduler_around_the_server_and_stops_it(
    sqlite_cli: str, monkeypatch: pytest.MonkeyPatch, flags: tuple[str, ...], inside: bool
) -> None:
    seen: dict[str, Any] = {}

    def fake_run(app: str, **options: Any) -> None:
        seen.update(options, app=app, threads=len(_scheduler_threads()))

    monkeypatch.setattr(uvicorn, "run", fake_run)
    before = len(_scheduler_threads())
    result = CliRunner().invoke(main, ["serve", "--port", "8123", *flags])
    assert result.exit_code == 0, result.output
    assert seen["app"] == "api.app:create_app" and seen["port"] == 8123
    assert seen["threads"] == before + (1 if inside else 0)
    assert len(_scheduler_threads()) == before  # shut down when the server stops


def test_the_scheduler_stops_when_the_server_fails(
    sqlite_cli: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(app: str, **options: Any) -> None:
        raise OSError("address already in use")

    monkeypatch.setattr(uvicorn, "run", broken)
    before = len(_scheduler_threads())
    result = CliRunner().invoke(main, ["serve"])
    assert isinstance(result.exception, OSError)
    assert len(_scheduler_threads()) == before
