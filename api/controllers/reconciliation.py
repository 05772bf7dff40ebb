"""Reconciliation: start a run, read runs with their verdict and findings, periods, close a period,
and import remittances (money received).

The intermediary runs and closes periods and records remittances; the outcome payers and the
investors read where each period stands. A run is reconciliation's own transaction (the database
decides when two start at once: one posts, the other gets 409 `run_in_progress`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from api.auth import allow, reach
from api.controllers.findings import FindingsOut, findings_out
from api.controllers.imports import ImportKind, import_handlers
from api.controllers.params import IdempotencyKey
from api.controllers.responses import READ, WRITE
from api.controllers.writes import idempotent_service, json_ready, request_hash
from api.errors import not_found
from contract_specs.model import ContractSpec, Role, from_minor
from ledger.contracts import active_spec
from ledger.db import reading, unit_of_work
from ledger.tokens import Caller
from ledger.uploads import ImportSummary, Upload
from reconciliation.periods import contract_periods, period_containing
from reconciliation.remittances import REQUIRED as REMITTANCE_COLUMNS
from reconciliation.remittances import import_remittances
from reconciliation.run_findings import Findings
from reconciliation.runs import reconcile
from reconciliation.status import period_bridge, period_row
from reconciliation.tables import ClaimRow, MatchRow, ReconcileRun
from reconciliation.verdict import PeriodBridge

READERS = (Role.INTERMEDIARY, Role.COMMISSIONER, Role.INVESTOR)


@dataclass
class ReconcileIn:
    """A run of one period: `as_of` is the cut-off (UTC; default now), `close` closes the
    period after the run (nothing more can be posted into it)."""

    period: str
    as_of: datetime | None = None
    close: bool = False


@dataclass
class CloseIn:
    """The final run of a period before it closes; `as_of` as for a run."""

    as_of: datetime | None = None


@dataclass
class PayerBridgeOut:
    """One payer's walk from owed to received; every difference named by its class."""

    payer: str
    owed: Decimal | None
    posted: Decimal
    claimed: Decimal
    received: Decimal
    explained: dict[str, Decimal]
    unexplained: Decimal
    verdict: str


@dataclass
class MatchOut:
    """How claims and remittances matched when the run looked (a break or pending is a
    finding to act on)."""

    status: str
    kind: str
    claims: list[str]
    remittances: list[str]
    claimed: Decimal
    received: Decimal
    detail: str


@dataclass
class RunOut:
    """A run: its inputs, what it posted and claimed, the matches it found, and the period's
    verdict now (money received since the run counts at once). `findings`: what the run found
    to act on as of its cut-off, in a run's own read and a start's answer (null in the list of
    runs, and for runs made before runs kept findings)."""

    run_id: str
    contract_id: str
    period: str
    spec_version: int
    cut_off: datetime
    finished_at: datetime
    actor: str
    participants: int
    evidence: int
    results: int
    inputs_hash: str
    postings: int
    posted: Decimal
    closed: bool
    claims: list[str]
    verdict: str
    unexplained: Decimal
    payers: list[PayerBridgeOut]
    matches: list[MatchOut] = field(default_factory=list)
    findings: FindingsOut | None = None


@dataclass
class PeriodOut:
    period: str
    status: str  # "not reconciled", "open" or "closed"
    verdict: str
    closed_at: datetime | None


RunPeriod = Annotated[
    str | None, QueryParameter(required=False, description="Only runs of this period (2025-Q3).")
]


def _bridge(bridge: PeriodBridge, exponent: int) -> list[PayerBridgeOut]:
    def money(minor: int) -> Decimal:
        return from_minor(minor, exponent)

    return [
        PayerBridgeOut(
            payer=p.payer,
            owed=None if p.owed is None else money(p.owed),
            posted=money(p.posted),
            claimed=money(p.claimed),
            received=money(p.received),
            explained={kind: money(v) for kind, v in sorted(p.explained.items())},
            unexplained=money(p.unexplained),
            verdict=p.verdict.value,
        )
        for p in bridge.payers
    ]


def _run_out(
    session: Session, spec: ContractSpec, run: ReconcileRun, *, findings: bool = True
) -> RunOut:
    e = spec.contract.exponent
    bridge = period_bridge(session, spec, run.period, datetime.now(UTC).date())
    claims = session.scalars(
        select(col(ClaimRow.reference)).where(col(ClaimRow.run_id) == run.run_id)
    ).all()
    matches = session.scalars(
        select(MatchRow).where(col(MatchRow.run_id) == run.run_id).order_by(col(MatchRow.id))
    ).all()
    return RunOut(
        run_id=run.run_id,
        contract_id=run.contract_id,
        period=run.period,
        spec_version=run.spec_version,
        cut_off=run.cut_off,
        finished_at=run.finished_at,
        actor=run.actor,
        participants=run.participants,
        evidence=run.evidence,
        results=run.results,
        inputs_hash=run.inputs_hash,
        postings=run.postings,
        posted=from_minor(run.posted_total, e),
        closed=run.closed,
        claims=sorted(claims),
        verdict=bridge.verdict.value,
        unexplained=from_minor(bridge.unexplained, e),
        payers=_bridge(bridge, e),
        matches=[
            MatchOut(
                m.status,
                m.kind,
                list(m.claims),
                list(m.remittances),
                from_minor(m.claimed, e),
                from_minor(m.received, e),
                m.detail,
            )
            for m in matches
        ],
        findings=(
            findings_out(Findings.from_document(run.findings), e)
            if findings and run.findings is not None
            else None
        ),
    )


def _stored_run(session: Session, contract_id: str, run_id: str) -> ReconcileRun:
    run = session.scalars(
        select(ReconcileRun).where(
            col(ReconcileRun.contract_id) == contract_id, col(ReconcileRun.run_id) == run_id
        )
    ).first()
    if run is None:
        raise not_found(f"run {run_id!r}")
    return run


def _start(
    engine: Engine,
    caller: Caller,
    contract_id: str,
    period: str,
    run: ReconcileIn | CloseIn,
    key: str | None,
    request: Request[Any, Any, Any],
) -> Response[Any]:
    with unit_of_work(engine) as session:
        reach(session, caller, contract_id)
    as_of = run.as_of
    close = isinstance(run, CloseIn) or run.close

    def write() -> tuple[int, Any]:
        at = None if as_of is None else as_of.replace(tzinfo=as_of.tzinfo or UTC)
        report = reconcile(engine, contract_id, period, at, close, actor=caller.actor)
        with unit_of_work(engine) as session:
            spec = active_spec(session, contract_id).spec
            out = _run_out(session, spec, _stored_run(session, contract_id, report.run_id))
        return 201, json_ready(out)

    fingerprint = request_hash("POST", request.url.path, period, str(as_of), str(close))
    return idempotent_service(engine, caller, key, fingerprint, write)


def _remittances(session: Session, contract_id: str, path: Upload, caller: Caller) -> ImportSummary:
    spec = active_spec(session, contract_id).spec
    return import_remittances(
        session, contract_id, spec, path, actor=caller.actor, now=datetime.now(UTC)
    )


REMITTANCES = ImportKind("remittances", _remittances, REMITTANCE_COLUMNS)


class ReconciliationController(Controller):
    """Runs, periods and money received."""

    path = "/api/contracts/{contract_id:str}"
    tags = ("reconciliation",)

    @post(
        "/reconciliations",
        operation_id="startReconciliation",
        summary="Reconcile a period: post what is owed and not yet posted, claim it, match",
        responses=WRITE,
        guards=[allow(Role.INTERMEDIARY)],
        status_code=201,
        sync_to_thread=True,
    )
    def start(
        self,
        contract_id: FromPath[str],
        data: JSONBody[ReconcileIn],
        request: Request[Any, Any, Any],
        caller: NamedDependency[Caller],
        engine: NamedDependency[Engine],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[RunOut]:
        """Re-running a period posts nothing new unless the facts changed. A closed period
        is 409 `period_closed`; a run of the same period already under way, 409
        `run_in_progress`."""
        return _start(engine, caller, contract_id, data.period, data, idempotency_key, request)

    @post(
        "/periods/{period:str}/close",
        operation_id="closePeriod",
        summary="Reconcile a period one last time and close it",
        responses=WRITE,
        guards=[allow(Role.INTERMEDIARY)],
        status_code=201,
        sync_to_thread=True,
    )
    def close(
        self,
        contract_id: FromPath[str],
        period: FromPath[str],
        data: JSONBody[CloseIn],
        request: Request[Any, Any, Any],
        caller: NamedDependency[Caller],
        engine: NamedDependency[Engine],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[RunOut]:
        """After this, nothing is posted into the period: late items land in the next open
        period and say which period they correct."""
        return _start(engine, caller, contract_id, period, data, idempotency_key, request)

    @get(
        "/reconciliations",
        operation_id="listReconciliations",
        responses=READ,
        guards=[allow(*READERS)],
        sync_to_thread=True,
    )
    def runs(
        self,
        contract_id: FromPath[str],
        caller: NamedDependency[Caller],
        engine: NamedDependency[Engine],
        period: RunPeriod = None,
    ) -> list[RunOut]:
        """Every completed run, oldest first, each with its period's verdict now (read a run
        for its findings)."""
        with reading(engine) as session:
            reach(session, caller, contract_id)
            spec = active_spec(session, contract_id).spec
            query = select(ReconcileRun).where(col(ReconcileRun.contract_id) == contract_id)
            if period is not None:
                query = query.where(col(ReconcileRun.period) == period)
            rows = session.scalars(query.order_by(col(ReconcileRun.id))).all()
            return [_run_out(session, spec, run, findings=False) for run in rows]

    @get(
        "/reconciliations/{run_id:str}",
        operation_id="getReconciliation",
        responses=READ,
        guards=[allow(*READERS)],
        sync_to_thread=True,
    )
    def run(
        self,
        contract_id: FromPath[str],
        run_id: FromPath[str],
        caller: NamedDependency[Caller],
        engine: NamedDependency[Engine],
    ) -> RunOut:
        """One run: inputs, postings, claims, the matches it found, its findings and the
        verdict now."""
        with reading(engine) as session:
            reach(session, caller, contract_id)
            spec = active_spec(session, contract_id).spec
            return _run_out(session, spec, _stored_run(session, contract_id, run_id))

    @get(
        "/periods",
        operation_id="listPeriods",
        responses=READ,
        guards=[allow(*READERS)],
        sync_to_thread=True,
    )
    def periods(
        self,
        contract_id: FromPath[str],
        caller: NamedDependency[Caller],
        engine: NamedDependency[Engine],
    ) -> list[PeriodOut]:
        """Each period so far: not reconciled, open or closed, and its verdict today."""
        today = datetime.now(UTC).date()
        with reading(engine) as session:
            reach(session, caller, contract_id)
            spec = active_spec(session, contract_id).spec
            contract = spec.contract
            current = period_containing(today, contract.payment_frequency)
            # to the contract's last payment period, or today's when it has no end
            until = None if contract.last_outcome_date else today
            found = []
            for period in contract_periods(contract, until=until):
                if period > current:
                    break
                row = period_row(session, contract_id, period.id)
                found.append(
                    PeriodOut(
                        period.id,
                        "not reconciled" if row is None else row.status,
                        period_bridge(session, spec, period.id, today).verdict.value,
                        None if row is None else row.closed_at,
                    )
                )
            return found

    remittances_rows, remittances_file = import_handlers(
        REMITTANCES,
        path="/remittances",
        operation="Remittances",
        what="Record money received",
        columns=", ".join(REMITTANCE_COLUMNS) + " (an amount a decimal string, a date ISO)",
        guards=[allow(Role.INTERMEDIARY)],
    )
