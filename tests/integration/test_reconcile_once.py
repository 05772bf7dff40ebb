"""Issue 18, "each thing computed once per run": one reconcile reads the postings so far, checks
the period is open, matches claims and remittances and sums the postings by payer once each,
and looks the spec up once. Counted by spies on the functions themselves, never timed."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

import ledger.services.contracts as contracts
import ledger.services.postings as postings
import ledger.storage.versions as versions
import reconciliation.claims as claims
import reconciliation.matching as matching
import reconciliation.remittances as remittances
import reconciliation.status as status
from reconciliation.runs import reconcile
from tests.integration.test_reports_world import CONTRACT, Q2_RUN, build_ledger, fixed

SPIED: tuple[tuple[Any, str], ...] = (
    (postings, "posted_so_far"),
    (status, "is_closed"),
    (matching, "match"),
    (status, "payer_sums"),
    (claims, "load_claims"),
    (remittances, "load_remittances"),
    (versions, "version_in_force"),
    (contracts, "spec_version"),
    (contracts, "active_spec"),
    (contracts, "typed_spec"),
)


def spy_everywhere(monkeypatch: pytest.MonkeyPatch, calls: Counter[str]) -> None:
    """Replace each spied function wherever a loaded module holds it (modules import the
    names themselves), by a wrapper that counts its calls."""
    for module, name in SPIED:
        original: Callable[..., Any] = getattr(module, name)

        def counted(
            *args: Any, _f: Callable[..., Any] = original, _n: str = name, **kw: Any
        ) -> Any:
            calls[_n] += 1
            return _f(*args, **kw)

        for loaded in list(sys.modules.values()):
            if getattr(loaded, name, None) is original:
                monkeypatch.setattr(loaded, name, counted)


def _counting(function: Callable[..., Any], name: str, calls: Counter[str]) -> Callable[..., Any]:
    def counted(*args: Any, **kw: Any) -> Any:
        calls[name] += 1
        return function(*args, **kw)

    return counted


@pytest.mark.parametrize("reuse", [False, True], ids=["computed", "reused"])
def test_one_reconcile_does_each_thing_once(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reuse: bool
) -> None:
    build_ledger(engine, tmp_path, q2=False, reconciled=True)
    if reuse:  # a first run of the period, so that the next one can reuse it
        reconcile(engine, CONTRACT, "2015-Q2", Q2_RUN, actor="ops", now=Q2_RUN, clock=fixed(Q2_RUN))
    calls: Counter[str] = Counter()
    spy_everywhere(monkeypatch, calls)
    done = reconcile(
        engine, CONTRACT, "2015-Q2", Q2_RUN, actor="ops", now=Q2_RUN, clock=fixed(Q2_RUN)
    )
    assert done.claims or reuse  # the first run of Q2 posted and claimed
    expected = {
        "is_closed": 1,  # the closed-period check
        "match": 1,  # claims against remittances
        "load_claims": 1,
        "load_remittances": 1,
        "payer_sums": 1,  # postings by payer, in the period and elsewhere
        # the spec: which version is in force, its stored row, the typed spec, once each
        "version_in_force": 1,
        "spec_version": 1,
        "active_spec": 0,
        "typed_spec": 1,
    }
    if not reuse:  # a reused run posts nothing and reads no postings so far
        expected["posted_so_far"] = 1
    assert {name: calls[name] for name in expected} == expected
