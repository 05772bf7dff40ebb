"""Reports kept for as long as the ledger they were built from stays the same.

A provider polls its progress far more often than the ledger changes, and at national scale a
progress report reads hundreds of thousands of rows. A report is a function of its request and
of the ledger (its cut-off is fixed by the ledger, never by the clock), so a report built once
can be served again until the ledger changes.

How we know the ledger changed: every write of a fact (an import, a decision, a posting, an
activation, a run) records an audit entry in the same transaction, and the entries form a hash
chain (ledger.audit). The chain's head names the whole history: a report built at one head is
still right at the same head. Reports are kept per database engine (tests open many databases
in one process, some with the same history).

Per process, a few entries (least recently used leave first); one build per request at a time,
so sixteen clients asking at once wait for one build instead of running sixteen.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable

from sqlalchemy import Engine
from sqlmodel import Session

from ledger.audit import chain_head
from reporting.report import Report

MAX_REPORTS = 4
# Texts per kept report: the whole document and a few pages of it (dashboards page through
# the long tables; the oldest page written leaves first).
MAX_TEXTS = 16

# Re-entrant: dropping a kept report (or any garbage collection while the lock is held) runs
# its finalizer `_forget` in the same thread, which takes this lock again.
_lock = threading.RLock()
_reports: weakref.WeakKeyDictionary[Engine, OrderedDict[Hashable, Report]] = (
    weakref.WeakKeyDictionary()
)
_building: dict[Hashable, threading.Lock] = {}
_texts: dict[int, dict[str, str]] = {}


def remembered(session: Session, request: Hashable, build: Callable[[], Report]) -> Report:
    """The report for `request` as the ledger stands now: kept, or built by `build` and kept."""
    engine = session.get_bind()
    if not isinstance(engine, Engine):  # a session on one connection: nothing to share
        return build()
    key = (request, chain_head(session.connection()))
    with _lock:
        kept = _reports.setdefault(engine, OrderedDict())
        if key in kept:
            kept.move_to_end(key)
            return kept[key]
        building = _building.setdefault((id(engine), key), threading.Lock())
    with building:
        with _lock:
            if key in kept:
                return kept[key]
        report = build()
        with _lock:
            kept[key] = report
            while len(kept) > MAX_REPORTS:
                kept.popitem(last=False)
            _building.pop((id(engine), key), None)
    return report


def kept_text(report: Report, form: str, write: Callable[[], str]) -> str | None:
    """`report` written as text in `form`, once per report object, when the report is one this
    module keeps (a kept report is immutable and served again; the text is dropped with it).
    None for any other report: its writer streams it instead."""
    key = id(report)
    with _lock:
        if not any(report is r for kept in _reports.values() for r in kept.values()):
            return None
        known = _texts.get(key, {}).get(form)
    if known is not None:
        return known
    text = write()
    with _lock:
        if key not in _texts:
            _texts[key] = {}
            weakref.finalize(report, _forget, key)
        texts = _texts[key]
        texts[form] = text
        while len(texts) > MAX_TEXTS:
            del texts[next(iter(texts))]
    return text


def tag(report: Report, *form: Hashable) -> str | None:
    """An entity tag for `report` written in `form`: a digest of the key it is kept under
    (its request and the audit chain head) and of `form`, so it changes with every write to
    the ledger. None for a report this module does not keep."""
    with _lock:
        key = next((k for kept in _reports.values() for k, r in kept.items() if r is report), None)
    if key is None:
        return None
    return hashlib.sha256(repr((key, form)).encode("utf-8")).hexdigest()[:32]


def _forget(key: int) -> None:
    with _lock:
        _texts.pop(key, None)


def clear() -> None:
    """Forget every kept report (tests)."""
    with _lock:
        _reports.clear()
        _texts.clear()
