"""The audit log: who did what to which subject, when. Details carry counts and ids, never
personal data.

The log is tamper-evident: every record carries the hash of the record before it (sha256 over a
canonical form of its own fields and that previous hash), so changing, removing or inserting a
record breaks the chain from that point on, and `verify_chain` names the first broken link.
Records join the chain when they are flushed, under a lock held until the transaction ends
(PostgreSQL: an advisory lock; SQLite has a single writer), so concurrent writers line up
instead of forking it: the database refuses a fork anyway (`prev_hash` is unique).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, event, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm.attributes import instance_state
from sqlmodel import Session

from ledger.storage.db import hold_until_commit
from ledger.storage.tables import AuditLog, table_of

# the hash the first record follows
GENESIS = "0" * 64
CHAIN_LOCK = "audit_log:chain"


def record(
    session: Session,
    actor: str,
    action: str,
    subject: str,
    at: datetime,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Add one audit entry to the current unit of work (it commits or rolls back with it)."""
    # The unit of work's own rows go in first, outside the chain's lock: the lock is then held
    # only from the audit insert to the commit, and never while waiting on another writer's rows.
    session.flush()
    session.add(
        AuditLog(actor=actor, action=action, subject=subject, at=at, details=dict(details or {}))
    )


def record_hash(
    prev_hash: str, actor: str, action: str, subject: str, at: datetime, details: Any
) -> str:
    """The sha256 of a record's canonical form: its fields and the previous record's hash.

    The form is frozen: stored chains are verified with it (sorted-key JSON, ASCII only, `at`
    as an ISO instant in UTC with microseconds).
    """
    body = {
        "prev_hash": prev_hash,
        "actor": actor,
        "action": action,
        "subject": subject,
        "at": _instant(at),
        "details": details,
    }
    return hashlib.sha256(_canonical(body).encode("ascii")).hexdigest()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _instant(at: datetime) -> str:
    if at.utcoffset() is None:
        raise ValueError("audit times must be aware (UTC): use datetime.now(UTC)")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def chain_head(connection: Connection) -> str:
    """The hash of the newest record (GENESIS for an empty log)."""
    table = table_of(AuditLog)
    head = connection.execute(
        select(table.c.hash).order_by(table.c.id.desc()).limit(1)
    ).scalar_one_or_none()
    return head or GENESIS


@event.listens_for(OrmSession, "before_flush")
def _chain_new_records(session: OrmSession, _context: Any, _instances: Any) -> None:
    # Every AuditLog row added through any session joins the chain here, in the order added
    # (the order the ORM inserts them, so ids follow the chain).
    new = sorted(
        (o for o in session.new if isinstance(o, AuditLog)),
        key=lambda o: instance_state(o).insert_order or 0,
    )
    if not new:
        return
    hold_until_commit(session, CHAIN_LOCK)
    prev = chain_head(session.connection())
    for entry in new:
        # store exactly what was hashed: UTC time, details as their JSON round trip
        entry.at = entry.at.astimezone(UTC) if entry.at.utcoffset() is not None else entry.at
        entry.details = json.loads(_canonical(entry.details))
        entry.prev_hash = prev
        entry.hash = prev = record_hash(
            prev, entry.actor, entry.action, entry.subject, entry.at, entry.details
        )


@dataclass(frozen=True)
class BrokenLink:
    """The first record at which the chain does not hold, and what differs."""

    id: int
    problem: str


@dataclass(frozen=True)
class ChainCheck:
    """The result of walking the chain: how many records, the head, the first broken link."""

    records: int
    head: str
    broken: BrokenLink | None

    @property
    def intact(self) -> bool:
        """True when every record follows the one before it and matches its own hash."""
        return self.broken is None


def verify_chain(connection: Connection, batch: int = 5_000) -> ChainCheck:
    """Walk the audit log in id order, recomputing every hash; stop at the first broken link."""
    table = table_of(AuditLog)
    columns = (
        table.c.id,
        table.c.actor,
        table.c.action,
        table.c.subject,
        table.c.at,
        table.c.details,
        table.c.prev_hash,
        table.c.hash,
    )
    prev_id: int | None = None
    prev_hash, count = GENESIS, 0
    while True:
        after = -1 if prev_id is None else prev_id
        rows = connection.execute(
            select(*columns).where(table.c.id > after).order_by(table.c.id).limit(batch)
        ).all()
        if not rows:
            return ChainCheck(count, prev_hash, None)
        for row in rows:
            problem = _link_problem(row, prev_id, prev_hash)
            if problem is not None:
                return ChainCheck(count, prev_hash, BrokenLink(row.id, problem))
            count, prev_id, prev_hash = count + 1, row.id, row.hash


def _link_problem(row: Any, prev_id: int | None, prev_hash: str) -> str | None:
    if row.prev_hash != prev_hash:
        before = f"record {prev_id}" if prev_id is not None else "the start of the log"
        return (
            f"does not follow {before}: it names previous hash {row.prev_hash[:16]}..., "
            f"but {before} has hash {prev_hash[:16]}...; a record before it was removed, "
            "inserted or rewritten"
        )
    computed = record_hash(row.prev_hash, row.actor, row.action, row.subject, row.at, row.details)
    if computed != row.hash:
        return (
            "its content (actor, action, subject, at, details) changed after it was written: "
            f"stored hash {row.hash[:16]}..., the content hashes to {computed[:16]}..."
        )
    return None
