"""The simulator's hands and eyes: real operations on a real database, and the facts read raw.

`World` sends files through the same service functions the CLI and the API call (imports,
reconcile, period close) and says whether each was stored or refused. `raw_facts` reads the
stored rows back with plain SQL and applies the cut-off in plain Python (no ledger.services.facts),
so
that the independent reference engine (tests/reference/) sees the facts as an auditor would.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, text

from contract_specs.model import ContractSpec
from ledger.domain.errors import LedgerError
from ledger.services.contracts import ActiveSpec
from ledger.services.enrolment import import_participants
from ledger.services.evidence import import_evidence
from ledger.services.verification import import_decisions
from ledger.storage.audit import chain_head, verify_chain
from ledger.storage.db import unit_of_work
from ledger.storage.tables import (
    Evidence,
    Participant,
    Posting,
    SQLModel,
    VerificationDecision,
    table_of,
)
from reconciliation.errors import ReconciliationError
from reconciliation.remittances import import_remittances
from reconciliation.runs import reconcile

PARTICIPANT_HEADER = ("participant_id", "cohort", "provider", "start_date", "date_of_birth")
EVIDENCE_HEADER = (
    "evidence_id",
    "participant_id",
    "metric",
    "achieved_on",
    "evidence_type",
    "quantity",
    "reference",
)
DECISION_HEADER = ("evidence_id", "decision", "reason")
REMITTANCE_HEADER = ("payer", "amount", "date", "reference")


@dataclass(frozen=True)
class Outcome:
    """What one operation did: stored, or refused with the service's own words."""

    stored: bool
    said: str = ""


@dataclass(frozen=True)
class Snapshot:
    """What a refused operation must leave as it was: every table's rows, the chain's head."""

    counts: tuple[tuple[str, int], ...]
    head: str


class World:
    """One contract on one database, driven through the ledger's own service functions."""

    def __init__(self, engine: Engine, active: ActiveSpec, folder: Path) -> None:
        self.engine, self.active, self.folder = engine, active, folder
        self.files = 0

    @property
    def spec(self) -> ContractSpec:
        return self.active.spec

    @property
    def contract_id(self) -> str:
        return self.spec.contract.id

    def _file(self, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
        self.files += 1
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        path = self.folder / f"upload-{self.files}.csv"
        path.write_text(buffer.getvalue(), encoding="utf-8")
        return path

    def _attempt(self, write: Callable[[], object]) -> Outcome:
        try:
            write()
        except (LedgerError, ReconciliationError) as refused:
            return Outcome(False, str(refused))
        return Outcome(True)

    def _import(
        self, service: Callable[..., object], path: Path, now: datetime, *args: Any
    ) -> Outcome:
        def write() -> None:
            with unit_of_work(self.engine) as session:
                service(session, self.contract_id, *args, path, actor="sim", now=now)

        return self._attempt(write)

    def enrol(self, rows: Sequence[Sequence[Any]], now: datetime) -> Outcome:
        path = self._file(PARTICIPANT_HEADER, rows)
        return self._import(import_participants, path, now, self.active)

    def submit(self, rows: Sequence[Sequence[Any]], now: datetime) -> Outcome:
        path = self._file(EVIDENCE_HEADER, rows)
        return self._import(import_evidence, path, now, self.active)

    def decide(self, rows: Sequence[Sequence[Any]], now: datetime) -> Outcome:
        path = self._file(DECISION_HEADER, rows)
        return self._import(import_decisions, path, now)

    def remit(self, rows: Sequence[Sequence[Any]], now: datetime) -> Outcome:
        path = self._file(REMITTANCE_HEADER, rows)
        return self._import(import_remittances, path, now, self.spec)

    def reconcile(self, period: str, as_of: datetime, now: datetime, close: bool) -> Outcome:
        return self._attempt(
            lambda: reconcile(
                self.engine,
                self.contract_id,
                period,
                as_of,
                close,
                actor="sim",
                now=now,
                clock=lambda: now,
            )
        )

    def snapshot(self) -> Snapshot:
        with self.engine.connect() as connection:
            counts = tuple(
                (
                    name,
                    int(connection.execute(select(func.count()).select_from(table)).scalar_one()),
                )
                for name, table in sorted(SQLModel.metadata.tables.items())
            )
            return Snapshot(counts, chain_head(connection))

    def chain_intact(self) -> bool:
        with self.engine.connect() as connection:
            return verify_chain(connection).intact

    def query(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as connection:
            return list(connection.execute(text(sql), params))


def naive(moment: datetime) -> datetime:
    """A moment as the ledger stores it: naive UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _moment(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return naive(moment)


def raw_facts(
    world: World, as_of: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Participants, evidence (with its status as of `as_of`) and results, as the reference
    engine takes them: read with plain selects, the cut-off applied here row by row."""
    cut = naive(as_of)
    spec = world.spec
    decimals = {m.id: m.decimals for m in spec.measures}
    with world.engine.connect() as connection:
        people = table_of(Participant)
        participants = []
        for row in connection.execute(
            select(people).where(people.c.contract_id == world.contract_id)
        ).mappings():
            if _moment(row["enrolled_at"]) > cut:
                continue
            attributes = row["attributes"]
            if isinstance(attributes, str):
                import json

                attributes = json.loads(attributes)
            typed = {
                name: _day(value) if name == "date_of_birth" else value
                for name, value in attributes.items()
            }
            participants.append(
                {
                    "participant_id": row["participant_id"],
                    "cohort": row["cohort"],
                    "provider": row["provider"],
                    "start_date": _day(row["start_date"]),
                    **typed,
                }
            )
        decisions: dict[int, tuple[datetime, int, str]] = {}
        table = table_of(VerificationDecision)
        for row in connection.execute(
            select(table).where(table.c.contract_id == world.contract_id)
        ).mappings():
            at = _moment(row["decided_at"])
            if at > cut:
                continue
            latest = decisions.get(row["evidence_pk"])
            if latest is None or (at, row["id"]) > latest[:2]:
                decisions[row["evidence_pk"]] = (at, row["id"], row["decision"])
        evidence_table = table_of(Evidence)
        evidence = []
        for row in connection.execute(
            select(evidence_table).where(evidence_table.c.contract_id == world.contract_id)
        ).mappings():
            submitted = _moment(row["submitted_at"])
            if submitted > cut:
                continue
            quantity = row["quantity"]
            if quantity is not None:
                quantity = Decimal(quantity).scaleb(-decimals.get(row["metric"], 0))
            decided = decisions.get(row["id"])
            evidence.append(
                {
                    "evidence_id": row["evidence_id"],
                    "participant_id": row["participant_id"],
                    "metric": row["metric"],
                    "achieved_on": _day(row["achieved_on"]),
                    "evidence_type": row["evidence_type"],
                    "quantity": quantity,
                    "reference": row["reference"],
                    "status": decided[2] if decided else "pending",
                    "submitted_at": submitted,
                    "submitted_on": submitted.date(),
                }
            )
    return participants, evidence, []


def postings_by_key(world: World) -> dict[tuple[str, str, int, str], int]:
    """Key -> the sum of its postings."""
    table = table_of(Posting)
    sums: dict[tuple[str, str, int, str], int] = {}
    with world.engine.connect() as connection:
        for pid, metric, occurrence, payer, amount in connection.execute(
            select(
                table.c.participant_id,
                table.c.metric,
                table.c.occurrence,
                table.c.payer,
                table.c.amount,
            ).where(table.c.contract_id == world.contract_id)
        ):
            key = (pid, metric, int(occurrence), payer)
            sums[key] = sums.get(key, 0) + int(amount)
    return sums
