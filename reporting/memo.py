"""What is kept for as long as the ledger it was read from stays the same.

A provider polls its progress far more often than the ledger changes, and at national scale a
progress report reads hundreds of thousands of rows. A report is a function of its request and
of the ledger (its cut-off is fixed by the ledger, never by the clock), so a report built once
can be served again until the ledger changes; so can its pages as bytes, and anything else read
from the ledger alone (the API keeps token checks and contract reach the same way).

How we know the ledger changed: every write (an import, a decision, a posting, an activation,
a run, a token made or revoked, a spec loaded) records an audit entry in the same transaction,
and the entries form a hash chain (ledger.storage.audit). The chain's head names the whole history:
whatever was read at one head is still right at the same head. Reading the head is one indexed
statement on a pooled connection, tens of microseconds, so a warm request costs that read and a
few dict lookups.

Everything is kept per database (per connection pool: tests open many databases in one
process, some with the same history) for the newest head seen only: when a newer head is read,
what was kept at the older one is dropped at once. A reader still inside an older snapshot gets
its answer built, not kept. One build per request at a time, so sixteen clients asking at once
wait for one build instead of running sixteen.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Engine, select
from sqlalchemy.pool import Pool
from sqlmodel import Session

from ledger.storage.audit import GENESIS
from ledger.storage.tables import AuditLog, table_of

# Reports per database: every provider of a national programme polling at once (twenty
# providers' reports at a million participants are about 20 MB each), within a byte budget
# that a whole-contract report (twenty times larger) also fits in.
MAX_REPORTS = 64
MAX_REPORT_BYTES = 1024 * 2**20
# Other values per database: token checks, reach, pages as bytes (dashboards page through the
# long tables). Bounded by count and by the bytes of the texts, least recently used first out.
MAX_VALUES = 4096
MAX_TEXT_BYTES = 64 * 2**20
T = TypeVar("T")


class Head(NamedTuple):
    """The audit chain's newest entry: its id (ids only grow) and its hash."""

    id: int
    hash: str


class _Kept:
    """What is kept for one database at one head."""

    def __init__(self, head: Head) -> None:
        self.head = head
        self.reports: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self.report_bytes = 0
        self.values: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self.text_bytes = 0
        self.building: dict[Hashable, threading.Lock] = {}


_lock = threading.Lock()
_kept: weakref.WeakKeyDictionary[Pool, _Kept] = weakref.WeakKeyDictionary()
_AUDIT = table_of(AuditLog)
_HEAD = select(_AUDIT.c.id, _AUDIT.c.hash).order_by(_AUDIT.c.id.desc()).limit(1)
_head_sql: dict[str, str] = {}


def head(engine: Engine) -> Head:
    """The audit chain's head now: one statement on a pooled driver connection, no session
    (a statement of its own reads one consistent state on SQLite and PostgreSQL alike)."""
    sql = _head_sql.get(engine.dialect.name)
    if sql is None:
        compiled = _HEAD.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
        sql = _head_sql[engine.dialect.name] = str(compiled)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(sql)
        row = cursor.fetchone()
        cursor.close()
    finally:
        raw.close()  # back to the pool, which rolls back whatever the driver began
    return Head(int(row[0]), str(row[1])) if row else Head(0, GENESIS)


def head_of(session: Session) -> Head:
    """The audit chain's head in `session`'s own transaction (the state its reads see)."""
    row = session.connection().execute(_HEAD).first()
    return Head(int(row[0]), str(row[1])) if row else Head(0, GENESIS)


def _at(engine: Engine, at: Head, newer: bool) -> _Kept | None:
    """What is kept for `engine` at `at` (caller holds _lock); with `newer`, a head newer
    than the one kept replaces it."""
    kept = _kept.get(engine.pool)
    if kept is not None and kept.head == at:
        return kept
    if newer and (kept is None or at.id > kept.head.id):
        kept = _kept[engine.pool] = _Kept(at)
        return kept
    return None


def value(engine: Engine, at: Head, key: Hashable) -> Any:
    """The value kept under `key` at head `at`, or None."""
    with _lock:
        kept = _at(engine, at, newer=False)
        if kept is None or key not in kept.values:
            return None
        kept.values.move_to_end(key)
        return kept.values[key][0]


def keep(engine: Engine, at: Head, key: Hashable, found: object) -> None:
    """Keep `found` under `key` while the head stays `at` (nothing when `at` is older than the
    head already seen). Bytes and text count against the bytes kept."""
    with _lock:
        kept = _at(engine, at, newer=True)
        if kept is not None:
            _store(kept, key, found)


def remembered(
    session: Session,
    request: Hashable,
    build: Callable[[], T],
    size: Callable[[T], int] | None = None,
) -> T:
    """The report for `request` as the ledger stands in `session`: kept, or built by `build`
    and kept (when the session's head is the newest seen). `size`: its bytes in memory, for
    the budget (None: counted by number only; the least recently used leave first)."""
    engine = session.get_bind()
    if not isinstance(engine, Engine):  # a session on one connection: nothing to share
        return build()
    at = head_of(session)
    with _lock:
        kept = _at(engine, at, newer=True)
        if kept is None:  # an older snapshot than one already served: build, keep nothing
            building = threading.Lock()
        elif request in kept.reports:
            kept.reports.move_to_end(request)
            found: T = kept.reports[request][0]
            return found
        else:
            building = kept.building.setdefault(request, threading.Lock())
    with building:
        with _lock:
            if kept is not None and request in kept.reports:
                found = kept.reports[request][0]
                return found
        report = build()
        weight = size(report) if size is not None and kept is not None else 0
        with _lock:
            if kept is not None and _kept.get(engine.pool) is kept:
                kept.reports[request] = (report, weight)
                kept.report_bytes += weight
                while len(kept.reports) > MAX_REPORTS or (
                    kept.report_bytes > MAX_REPORT_BYTES and len(kept.reports) > 1
                ):
                    kept.report_bytes -= kept.reports.popitem(last=False)[1][1]
                kept.building.pop(request, None)
    return report


def _kept_as(report: object) -> tuple[_Kept, Hashable] | None:
    """Where `report` is kept: the head's store and its request (caller holds _lock)."""
    for kept in _kept.values():
        for request, (known, _) in kept.reports.items():
            if known is report:
                return kept, request
    return None


def kept_text(report: object, form: str, write: Callable[[], str]) -> str | None:
    """`report` written as text in `form`, once per kept report (a kept report is immutable
    and served again; the text is dropped with its head). None for any other report: its
    writer streams it instead."""
    with _lock:
        where = _kept_as(report)
        if where is None:
            return None
        kept, request = where
        known = kept.values.get(("text", request, form))
    if known is not None:
        return str(known[0])
    text = write()
    with _lock:
        if any(k is kept for k in _kept.values()):  # its head is still the newest
            _store(kept, ("text", request, form), text)
    return text


def _store(kept: _Kept, key: Hashable, found: object) -> None:
    # caller holds _lock
    size = len(found) if isinstance(found, bytes | str) else 0
    if key in kept.values:
        kept.text_bytes -= kept.values.pop(key)[1]
    kept.values[key] = (found, size)
    kept.text_bytes += size
    while len(kept.values) > MAX_VALUES or kept.text_bytes > MAX_TEXT_BYTES:
        kept.text_bytes -= kept.values.popitem(last=False)[1][1]


def etag(request: Hashable, at: Head, *form: Hashable) -> str:
    """An entity tag for what `request` answers in `form` at head `at`: it changes with every
    write to the ledger."""
    return hashlib.sha256(repr((request, at.hash, form)).encode("utf-8")).hexdigest()[:32]


def clear() -> None:
    """Forget everything kept (tests)."""
    with _lock:
        _kept.clear()
