"""What reporting.memo keeps lasts exactly as long as the ledger's audit chain head: a write
anywhere drops it, a reader of an older state never overwrites a newer one, and sixteen
callers asking at once for the same report wait for one build."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from ledger.storage import audit
from ledger.storage.db import reading, unit_of_work
from reporting import memo

NOW = datetime(2026, 1, 5, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _forget() -> Iterator[None]:
    memo.clear()
    yield
    memo.clear()


def _write(engine: Engine, what: str = "test.write") -> None:
    """Any audited write moves the head (every write of the ledger records one)."""
    with unit_of_work(engine) as session:
        audit.record(session, "tester", what, "subject:1", NOW, {"n": 1})


def _head_in_session(engine: Engine) -> memo.Head:
    with reading(engine) as session:
        return memo.head_of(session)


def test_the_head_read_alone_is_the_head_a_session_sees(engine: Engine) -> None:
    empty = memo.head(engine)
    assert empty == memo.Head(0, audit.GENESIS) or empty.id > 0  # migrations may audit
    _write(engine)
    now = memo.head(engine)
    assert now.id > empty.id
    with reading(engine) as session:
        assert memo.head_of(session) == now
        assert now.hash == audit.chain_head(session.connection())


def test_a_value_lasts_until_the_next_write(engine: Engine) -> None:
    _write(engine)
    at = memo.head(engine)
    memo.keep(engine, at, "k", b"page")
    assert memo.value(engine, at, "k") == b"page"
    _write(engine)
    later = memo.head(engine)
    assert later != at
    assert memo.value(engine, later, "k") is None
    memo.keep(engine, later, "other", 1)  # the newer head replaces what the older one kept
    assert memo.value(engine, at, "k") is None


def test_a_reader_of_an_older_state_keeps_nothing(engine: Engine) -> None:
    _write(engine)
    old = memo.head(engine)
    _write(engine)
    new = memo.head(engine)
    memo.keep(engine, new, "k", "new")
    memo.keep(engine, old, "k", "old")  # a slow request that read the ledger before the write
    assert memo.value(engine, new, "k") == "new"
    assert memo.value(engine, old, "k") is None


def test_texts_kept_stay_within_their_byte_budget(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memo, "MAX_TEXT_BYTES", 25)
    at = memo.head(engine)
    for key in "abc":
        memo.keep(engine, at, key, b"x" * 10)
    # the least recently used leaves first
    assert [memo.value(engine, at, k) is not None for k in "abc"] == [False, True, True]


def test_concurrent_askers_wait_for_one_build_and_a_write_rebuilds(engine: Engine) -> None:
    _write(engine)
    builds: list[int] = []

    def build() -> object:
        builds.append(1)
        time.sleep(0.05)  # long enough for every asker to arrive while it runs
        return object()

    got: list[object] = []

    def ask() -> None:
        with reading(engine) as session:
            got.append(memo.remembered(session, ("r",), build))

    askers = [threading.Thread(target=ask) for _ in range(16)]
    for asker in askers:
        asker.start()
    for asker in askers:
        asker.join()
    assert len(builds) == 1
    assert all(g is got[0] for g in got)
    _write(engine)
    ask()
    assert len(builds) == 2
    assert got[-1] is not got[0]


def test_a_kept_report_has_an_entity_tag_that_moves_with_the_head(engine: Engine) -> None:
    _write(engine)
    with reading(engine) as session:
        report = memo.remembered(session, ("r",), object)
    at = _head_in_session(engine)
    assert memo.kept_text(report, "json", lambda: "{}") == "{}"
    assert memo.kept_text(report, "json", lambda: "not written again") == "{}"
    assert memo.kept_text(object(), "json", lambda: "{}") is None  # not kept: streamed
    _write(engine)
    assert memo.etag(("r",), at) != memo.etag(("r",), memo.head(engine))
    assert memo.etag(("r",), at, 0, 100) != memo.etag(("r",), at, 100, 100)


def test_reports_kept_stay_within_their_byte_budget(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memo, "MAX_REPORT_BYTES", 25)
    _write(engine)
    builds: list[str] = []

    def ask(name: str) -> None:
        def build() -> str:
            builds.append(name)
            return name

        with reading(engine) as session:
            assert memo.remembered(session, name, build, lambda _: 10) == name

    for name in ("a", "b", "c", "b", "a"):
        ask(name)
    # a, b, c built; c pushed a out (30 bytes > 25); b was still kept; a is built again
    assert builds == ["a", "b", "c", "a"]
