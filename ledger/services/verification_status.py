"""Where uploaded evidence ids stand in the ledger: each id's stored row and latest decision.

A decisions file names evidence by its id; checking it needs, per row, the evidence's primary
key (or that it is not stored) and its status now, by the one status rule
(ledger.domain.entitlement.status): its latest decision, else automatic when the spec in force
verifies
its metric automatically, else pending. So each stored row's metric is read too.
At a million participants a contract holds four million evidence rows and as many decisions,
so nothing here keeps a Python object per stored row: the database picks each evidence row's
latest decision (one index probe per row), rows are read in batches straight from the driver
and kept as Arrow text and numpy codes, and the file's ids are found among them by Arrow's hash
lookups in C++ (ledger.storage.keys.resolve: a key, a local id and a provider, or a local id alone).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
from sqlalchemy import ColumnElement, Select, func, select
from sqlmodel import Session

from contract_specs.model import ContractSpec
from ledger.domain.entitlement.status import NOT_STORED, PENDING, codes, is_automatic, standing
from ledger.storage.bulk import paused_gc
from ledger.storage.tables import Evidence, VerificationDecision, table_of

BATCH = 100_000  # stored rows per fetch: memory stays per batch, not per contract
LOOKUP_AT_MOST = 200_000  # file rows up to which lookups through the index may beat a scan
ID_CHUNK = 5_000  # ids per lookup through the unique index (below SQLite's bound-variable limit)


@dataclass(frozen=True)
class Standing:
    """Per row of an upload: the evidence's primary key (-1 when not stored) and status code."""

    pk: np.ndarray
    status: np.ndarray

    @property
    def stored(self) -> np.ndarray:
        """Which rows name evidence of the contract."""
        return self.pk >= 0


def latest_decision(evidence_pk: ColumnElement[Any], as_of: datetime | None = None) -> Any:
    """The latest decision on the evidence row `evidence_pk` (NULL when none), counting only
    decisions made by `as_of` when given: latest by decision time, then as stored. A scalar
    subquery, so the database answers it through the (evidence_pk, decided_at) index, one
    probe per evidence row."""
    table = table_of(VerificationDecision)
    query = select(table.c.decision).where(table.c.evidence_pk == evidence_pk)
    if as_of is not None:
        query = query.where(table.c.decided_at <= as_of)
    return query.order_by(table.c.decided_at.desc(), table.c.id.desc()).limit(1).scalar_subquery()


@dataclass(frozen=True)
class StoredEvidence:
    """Stored evidence rows a decisions file may name: their keys (Arrow text), primary keys
    and status codes, one entry per row."""

    ids: pa.Array
    pks: np.ndarray
    statuses: np.ndarray

    def standing(self, at: np.ndarray) -> Standing:
        """Per upload row naming stored row `at` (-1: none), its primary key and status."""
        # one slot past the stored rows answers for rows naming none
        at = np.where(at < 0, len(self.pks), at)
        pk = np.append(self.pks, -1)[at]
        status = np.append(self.statuses, NOT_STORED).astype(np.int8)[at]
        return Standing(pk=pk, status=status)


def stored_evidence(
    session: Session,
    contract_id: str,
    spec: ContractSpec,
    rows: int,
    wanted: Callable[[], list[str] | None],
) -> StoredEvidence:
    """The contract's stored evidence that a file of `rows` rows may name, with each row's
    status now (all decisions count; `spec`, the spec in force, says which metrics are
    automatic). `wanted` gives the keys the file may mean (None: too
    many to list); they are looked up through the unique index when few beside what the
    contract holds (a revocations file), else every evidence row is read once."""
    texts: list[pa.Array] = [pa.array([], type=pa.large_string())]
    pks: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    statuses: list[np.ndarray] = [np.zeros(0, dtype=np.int8)]
    for ids, keys, decisions, metrics in _stored_batches(session, contract_id, rows, wanted):
        texts.append(pa.array(ids, type=pa.large_string()))
        pks.append(np.asarray(keys, dtype=np.int64))
        decided = codes(decisions)  # -1: no decision yet
        automatic = is_automatic(metrics, spec)
        statuses.append(standing(np.where(decided < 0, PENDING, decided), automatic))
    return StoredEvidence(pa.concat_arrays(texts), np.concatenate(pks), np.concatenate(statuses))


def _stored_batches(
    session: Session, contract_id: str, rows: int, wanted: Callable[[], list[str] | None]
) -> Iterator[tuple[list[str], list[int], list[str | None], list[str]]]:
    """(evidence ids, primary keys, latest decisions, metrics) of stored evidence, batch by
    batch: the wanted keys looked up through the unique index when they are few beside what the
    contract holds, else every evidence row of the contract read once in order (a scan costs
    about half a lookup per row)."""
    table = table_of(Evidence)
    query = select(
        table.c.evidence_id, table.c.id, latest_decision(table.c.id), table.c.metric
    ).where(table.c.contract_id == contract_id)
    ids = wanted() if rows <= LOOKUP_AT_MOST else None
    if (
        ids is not None
        and len(ids) <= LOOKUP_AT_MOST
        and _few_beside_stored(session, contract_id, len(ids))
    ):
        for start in range(0, len(ids), ID_CHUNK):
            chunk = query.where(table.c.evidence_id.in_(ids[start : start + ID_CHUNK]))
            yield from _batches(session, chunk)
    else:
        yield from _batches(session, query)


def _few_beside_stored(session: Session, contract_id: str, rows: int) -> bool:
    """Whether `rows` ids are few beside the contract's evidence (it holds more than twice as
    many rows), counting no further than that: counting four million rows costs more than
    looking up a revocations file."""
    table = table_of(Evidence)
    some = select(table.c.id).where(table.c.contract_id == contract_id).limit(2 * rows + 1)
    held = session.connection().execute(select(func.count()).select_from(some.subquery()))
    return int(held.scalar_one()) > 2 * rows


def _batches(
    session: Session, query: Select[Any]
) -> Iterator[tuple[list[str], list[int], list[str | None], list[str]]]:
    """The rows of `query` as columns, BATCH rows at a time, straight from the driver (no
    SQLAlchemy Row per row: at millions of rows it costs more than the query). SQLite steps
    its cursor as it is read; PostgreSQL's client-side cursor holds the rows as compact C
    strings and Python objects are made a batch at a time."""
    cursor = session.connection().execute(query).cursor
    if cursor is None:
        return
    while True:
        with paused_gc():
            rows = cursor.fetchmany(BATCH)
            if not rows:
                return
            ids, pks, decisions, metrics = (list(column) for column in zip(*rows, strict=True))
            del rows
        yield ids, pks, decisions, metrics
