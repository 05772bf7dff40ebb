"""On the embedded SQLite database, readers (every GET of the API, the token check) take no
write lock: they run beside each other and beside one writer instead of queueing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from ledger.storage.db import make_engine, reading, unit_of_work, upgrade
from ledger.storage.settings import get_settings


@pytest.fixture
def impatient_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    # a lock that is waited for fails after 100 ms instead of hanging the test
    monkeypatch.setenv("OUTCOMES_SQLITE_BUSY_TIMEOUT_MS", "100")
    get_settings.cache_clear()
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    upgrade(engine)
    yield engine
    engine.dispose()
    get_settings.cache_clear()


def test_a_writer_and_readers_do_not_wait_for_each_other(impatient_sqlite: Engine) -> None:
    engine = impatient_sqlite
    with reading(engine) as first, reading(engine) as second:
        first.execute(text("SELECT count(*) FROM contracts")).scalar_one()
        second.execute(text("SELECT count(*) FROM contracts")).scalar_one()
        # both read transactions are open; a writer still gets in at once
        with unit_of_work(engine) as writer:
            writer.execute(text("SELECT count(*) FROM contracts")).scalar_one()


def test_two_writers_still_queue(impatient_sqlite: Engine) -> None:
    engine = impatient_sqlite
    with unit_of_work(engine) as writer:
        writer.execute(text("SELECT 1")).scalar_one()
        with pytest.raises(Exception, match="locked"), unit_of_work(engine) as other:
            other.execute(text("SELECT 1")).scalar_one()
