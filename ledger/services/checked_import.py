"""An import checked before the write lock, stored under it: the lock is held only for the insert.

Checking a file against what is stored (rows already there, a cohort's places, who is enrolled)
reads the database; on SQLite a writer holds the whole database's lock, so those reads run in a
read-only session first. Under the lock only a stamp is read again (the spec version in force
and the row counts the checks depended on): if it is unchanged, nothing the checks read has
changed (the tables are append-only) and the checked rows are inserted; if another import
landed in between, the file is checked again under the lock, so the answer is the one a
serialised import would have given, all or nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlmodel import Session, SQLModel

from ledger.services.contracts import active_version
from ledger.storage.db import hold_until_commit, reading, unit_of_work
from ledger.storage.tables import table_of
from ledger.storage.uploads import ImportSummary, store_columns

Store = Callable[[Session], ImportSummary]
"""Inserts an import's checked rows in the writer's session."""


@dataclass(frozen=True)
class Insert:
    """A Store: an import's `count` new rows of `model`, column by column, and its audit entry
    (`action` on `contract_id`, from `file`, by `actor` at `now`)."""

    model: type[SQLModel]
    columns: Mapping[str, Any]
    count: int
    unchanged: int
    action: str
    contract_id: str
    file: str
    actor: str
    now: datetime

    def __call__(self, writer: Session) -> ImportSummary:
        return store_columns(
            writer,
            self.model,
            self.columns,
            self.count,
            self.unchanged,
            action=self.action,
            contract_id=self.contract_id,
            file=self.file,
            actor=self.actor,
            now=self.now,
        )


@dataclass(frozen=True)
class Checked:
    """A file's rows checked against the database as it was at `stamp`; `store` inserts them."""

    stamp: Hashable
    store: Store


@dataclass(frozen=True)
class CheckedImport:
    """How one import is checked (`check`, raising RejectedUpload), which lock serialises its
    inserts (`lock`), and what it read that another import could change (`stamp`)."""

    lock: str
    stamp: Callable[[Session], Hashable]
    check: Callable[[Session], Checked]


def contract_import(
    lock: str,
    contract_id: str,
    depends_on: tuple[type[SQLModel], ...],
    check: Callable[[Session], Store],
) -> CheckedImport:
    """An import of `contract_id` serialised by `lock`, whose `check` (returning how to store the
    checked rows) read the contract's rows of `depends_on`: the stamp is the version in force
    and those tables' row counts, read just before the check in the same session."""

    def stamp(session: Session) -> Hashable:
        return contract_stamp(session, contract_id, *depends_on)

    def checked(session: Session) -> Checked:
        return Checked(stamp(session), check(session))

    return CheckedImport(lock=lock, stamp=stamp, check=checked)


def store_checked(session: Session, job: CheckedImport, checked: Checked) -> ImportSummary:
    """Take the import's lock, and insert `checked` if nothing it depended on changed since it
    was checked; otherwise check again under the lock first."""
    hold_until_commit(session, job.lock)
    if job.stamp(session) != checked.stamp:
        checked = job.check(session)
    return checked.store(session)


def in_one_session(session: Session, job: CheckedImport) -> ImportSummary:
    """Check and store in one session (the caller's transaction): on PostgreSQL the checks
    still run before the advisory lock is taken."""
    return store_checked(session, job, job.check(session))


def in_two_sessions(
    engine: Engine, job: CheckedImport, before_write: Callable[[Session], None] | None = None
) -> ImportSummary:
    """Check in a read-only session (no write lock held while the file is checked), then store
    in one write transaction (`before_write`: e.g. the caller's reach, checked again there)."""
    with reading(engine) as reader:
        checked = job.check(reader)
    with unit_of_work(engine) as session:
        if before_write is not None:
            before_write(session)
        return store_checked(session, job, checked)


def contract_stamp(session: Session, contract_id: str, *models: type[SQLModel]) -> Hashable:
    """The version in force and how many rows of each of `models` (append-only tables) the
    contract has: what an import's checks read that another import can change."""
    counts = tuple(
        int(
            session.connection()
            .execute(select(func.count()).where(table_of(model).c.contract_id == contract_id))
            .scalar_one()
        )
        for model in models
    )
    return (active_version(session, contract_id).version, *counts)
