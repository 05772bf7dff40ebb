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

from contract_specs.findings import SpecError
from contract_specs.model import AttributeType, ContractSpec, Results
from ledger.domain.errors import LedgerError
from ledger.services.contracts import (
    ActiveSpec,
    Registered,
    activate_version,
    active_spec,
    load_spec_file,
)
from ledger.services.enrolment import import_participants
from ledger.services.evidence import import_evidence
from ledger.services.results import import_results
from ledger.services.verification import import_decisions
from ledger.storage.audit import chain_head, verify_chain
from ledger.storage.db import unit_of_work
from ledger.storage.sealed import opened_attributes
from ledger.storage.tables import (
    CohortResult,
    Evidence,
    Participant,
    Posting,
    SQLModel,
    VerificationDecision,
    table_of,
)
from reconciliation.errors import ReconciliationError
from reconciliation.remittances import import_remittances
from reconciliation.rewind import Rewind
from reconciliation.runs import preview_rewind, reconcile

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
RESULT_HEADER = (
    "result_id",
    "metric",
    "cohort",
    "observed",
    "comparison",
    "units",
    "evaluated_on",
    "reference",
)


@dataclass(frozen=True)
class Outcome:
    """What one operation did: stored, or refused with the service's own words."""

    stored: bool
    said: str = ""
    done: Any = None


@dataclass(frozen=True)
class Snapshot:
    """What a refused operation must leave as it was: every table's rows, the chain's head."""

    counts: tuple[tuple[str, int], ...]
    head: str


REFUSALS = (LedgerError, ReconciliationError, SpecError)


class World:
    """One contract on one database, driven through the ledger's own service functions: each
    import runs under the spec in force, read in its own unit of work, as the CLI does."""

    def __init__(self, engine: Engine, folder: Path) -> None:
        self.engine, self.folder = engine, folder
        self.files = 0
        self.contract_id = ""

    @property
    def spec(self) -> ContractSpec:
        return self.active().spec

    def active(self) -> ActiveSpec:
        with unit_of_work(self.engine) as session:
            return active_spec(session, self.contract_id)

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
            done = write()
        except REFUSALS as refused:
            return Outcome(False, str(refused))
        return Outcome(True, done=done)

    def _import(self, service: Callable[..., object], path: Path, now: datetime) -> Outcome:
        """An import under the spec in force (read in the import's own unit of work)."""

        def write() -> None:
            with unit_of_work(self.engine) as session:
                active = active_spec(session, self.contract_id)
                service(session, self.contract_id, active, path, actor="sim", now=now)

        return self._attempt(write)

    def load_spec(self, text: str, now: datetime, active: bool = True) -> Outcome:
        """`outcomes contract load FILE` (or `--draft`): the spec checked and registered."""
        self.files += 1
        path = self.folder / f"spec-{self.files}.yaml"
        path.write_text(text, encoding="utf-8")

        def write() -> Registered:
            with unit_of_work(self.engine) as session:
                return load_spec_file(session, path, actor="sim", now=now, active=active)

        outcome = self._attempt(write)
        if outcome.stored:
            self.contract_id = outcome.done.contract_id
        return outcome

    def activate(self, version: int, now: datetime) -> Outcome:
        def write() -> None:
            with unit_of_work(self.engine) as session:
                activate_version(session, self.contract_id, version, "sim", now)

        return self._attempt(write)

    def enrol(self, header: Sequence[str], rows: Sequence[Sequence[Any]], now: datetime) -> Outcome:
        return self._import(import_participants, self._file(header, rows), now)

    def submit(self, rows: Sequence[Sequence[Any]], now: datetime) -> Outcome:
        return self._import(import_evidence, self._file(EVIDENCE_HEADER, rows), now)

    def report(self, rows: Sequence[Sequence[Any]], now: datetime) -> Outcome:
        return self._import(import_results, self._file(RESULT_HEADER, rows), now)

    def decide(self, rows: Sequence[Sequence[Any]], now: datetime) -> Outcome:
        path = self._file(DECISION_HEADER, rows)

        def write() -> None:
            with unit_of_work(self.engine) as session:
                import_decisions(session, self.contract_id, path, actor="sim", now=now)

        return self._attempt(write)

    def remit(self, rows: Sequence[Sequence[Any]], now: datetime) -> Outcome:
        path = self._file(REMITTANCE_HEADER, rows)

        def write() -> None:
            with unit_of_work(self.engine) as session:
                spec = active_spec(session, self.contract_id).spec
                import_remittances(session, self.contract_id, spec, path, actor="sim", now=now)

        return self._attempt(write)

    def reconcile(
        self,
        period: str,
        as_of: datetime,
        now: datetime,
        close: bool,
        rewind: Rewind | None = None,
    ) -> Outcome:
        return self._attempt(
            lambda: reconcile(
                self.engine,
                self.contract_id,
                period,
                None if rewind is not None else as_of,
                close,
                actor="sim",
                now=now,
                clock=lambda: now,
                rewind=rewind,
            )
        )

    def preview_rewind(self, period: str, rewind: Rewind, now: datetime) -> Outcome:
        return self._attempt(
            lambda: preview_rewind(
                self.engine,
                self.contract_id,
                period,
                rewind,
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
    world: World, as_of: datetime, spec: ContractSpec
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Participants, evidence (with its status as of `as_of`) and results, as the reference
    engine takes them: read with plain selects, the cut-off applied here row by row."""
    cut = naive(as_of)
    decimals = {m.id: m.decimals for m in spec.measures}
    dates = {a.name for a in spec.attributes if a.type == AttributeType.DATE}
    with world.engine.connect() as connection:
        people = table_of(Participant)
        participants = []
        # declared attributes are stored sealed, each person's under a key of their own
        opened = opened_attributes(connection, world.contract_id)
        for row in connection.execute(
            select(people).where(people.c.contract_id == world.contract_id)
        ).mappings():
            if _moment(row["enrolled_at"]) > cut:
                continue
            attributes = opened.get(row["participant_id"], {})
            typed = {
                name: _day(value) if name in dates and value is not None else value
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
        results_table = table_of(CohortResult)
        stored = [
            row
            for row in connection.execute(
                select(results_table)
                .where(results_table.c.contract_id == world.contract_id)
                .order_by(results_table.c.submitted_at, results_table.c.id)
            ).mappings()
            if _moment(row["submitted_at"]) <= cut
        ]
    return participants, evidence, _current_results(stored, spec)


def _current_results(stored: Sequence[Any], spec: ContractSpec) -> list[dict[str, Any]]:
    """The current results, in submission order (docs/semantics.md, section 4): a later
    submission for the same metric and cohort replaces the earlier one; in a cumulative
    series, one per evaluation date, and a correction replaces the result it names."""
    series = {m.id for m in spec.cohort_metrics if m.results == Results.CUMULATIVE}
    named = {row["supersedes"] for row in stored if row["metric"] in series and row["supersedes"]}
    current: dict[tuple[str, ...], dict[str, Any]] = {}
    for row in stored:
        if row["metric"] in series and row["result_id"] in named:
            continue
        key: tuple[str, ...] = (row["metric"], row["cohort"])
        if row["metric"] in series:
            key += (str(row["evaluated_on"])[:10],)
        current.pop(key, None)
        current[key] = {
            "result_id": row["result_id"],
            "metric": row["metric"],
            "cohort": row["cohort"],
            "observed": row["observed"],
            "comparison": row["comparison"],
            "units": int(row["units"]),
            "evaluated_on": _day(row["evaluated_on"]),
        }
    return list(current.values())


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
