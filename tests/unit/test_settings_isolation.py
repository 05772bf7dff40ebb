"""Settings do not leak from one test to the next. get_settings (ledger/storage/settings.py)
reads the environment once per process; tests/conftest.py::fresh_settings empties its cache
around every test. These two run in this order, each with its own database URL: without the
fixture the second would read the first's."""

from __future__ import annotations

import pytest

from ledger.storage.settings import get_settings

FIRST = "sqlite:///first-test.sqlite"
SECOND = "sqlite:///second-test.sqlite"


def test_a_test_reads_the_database_url_it_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTCOMES_DATABASE_URL", FIRST)
    assert get_settings().database_url == FIRST


def test_the_next_test_reads_its_own_url_not_the_one_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OUTCOMES_DATABASE_URL", SECOND)
    assert get_settings().database_url == SECOND
