"""Runs the simulator (tests/simulation/machine.py) for a bounded budget on each engine.

`make test` runs SIM_EXAMPLES histories (default 15) of up to SIM_STEPS steps (default 40)
per engine, derandomised, so every run of the suite explores the same histories; histories
found failing before are replayed first from tests/simulation/histories (hypothesis' example
database, read-only here). `make simulate HOURS=1` runs with fresh randomness for as long as
asked and saves what it finds into that folder (docs/testing.md).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase, ReadOnlyDatabase
from hypothesis.stateful import run_state_machine_as_test
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ledger.storage.db import make_engine, normalise_url, upgrade
from tests.conftest import POSTGRES_ENV, small_spec
from tests.simulation.machine import LedgerMachine

HISTORIES = Path(__file__).parent / "histories"


_TEMPLATE: list[Path] = []


def _sqlite(folder: Path) -> tuple[str, Callable[[], None]]:
    """A copy of one migrated database file: migrating each history's database would cost
    more than most histories."""
    if not _TEMPLATE:
        template = Path(tempfile.mkdtemp(prefix="sim-template-")) / "ledger.sqlite"
        engine = make_engine(f"sqlite:///{template}")
        upgrade(engine)
        engine.dispose()
        _TEMPLATE.append(template)
    shutil.copyfile(_TEMPLATE[0], folder / "ledger.sqlite")
    return f"sqlite:///{folder / 'ledger.sqlite'}", lambda: None


def _postgres(server: str) -> Callable[[Path], tuple[str, Callable[[], None]]]:
    def database(folder: Path) -> tuple[str, Callable[[], None]]:
        del folder
        schema = f"sim_{uuid.uuid4().hex[:12]}"
        admin = create_engine(normalise_url(server), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(normalise_url(server)).update_query_dict(
            {"options": f"-csearch_path={schema}"}
        )

        def drop() -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

        return url.render_as_string(hide_password=False), drop

    return database


def _settings(replay: bool) -> settings:
    """Replaying: only the saved failing histories. Exploring under `make test`: the same
    derandomised histories every run. Under `make simulate` (SIM_EXPLORE=1): fresh randomness,
    and whatever fails is saved to HISTORIES for every later run to replay."""
    exploring = os.environ.get("SIM_EXPLORE", "") == "1"
    store = DirectoryBasedExampleDatabase(HISTORIES)
    common: dict[str, Any] = {
        "max_examples": int(os.environ.get("SIM_EXAMPLES", "15")),
        "stateful_step_count": int(os.environ.get("SIM_STEPS", "40")),
        "deadline": None,
        "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much],
        "print_blob": True,
    }
    if replay:
        return settings(
            **common, database=ReadOnlyDatabase(store), phases=[Phase.explicit, Phase.reuse]
        )
    if exploring:
        return settings(**common, database=store)
    return settings(**common, derandomize=True, database=None)


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_random_histories_keep_every_invariant(backend: str) -> None:
    if backend == "postgres":
        server = os.environ.get(POSTGRES_ENV)
        if not server:
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(f"CI=true but {POSTGRES_ENV} is not set")
            pytest.skip(f"{POSTGRES_ENV} not set")
        LedgerMachine.database = staticmethod(_postgres(server))
    else:
        LedgerMachine.database = staticmethod(_sqlite)
    LedgerMachine.spec = small_spec()
    if HISTORIES.exists():
        run_state_machine_as_test(LedgerMachine, settings=_settings(replay=True))
    # `make simulate HOURS=n`: fresh random histories until the time is up
    deadline = time.monotonic() + float(os.environ.get("SIM_HOURS", "0")) * 3600
    while True:
        run_state_machine_as_test(LedgerMachine, settings=_settings(replay=False))
        if time.monotonic() >= deadline:
            break
