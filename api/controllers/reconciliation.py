"""Reconciliation: start a run, read runs with their verdict and findings, periods, close a period,
and import remittances (money received).

The intermediary runs and closes periods and records remittances; the outcome payers and the
investors read where each period stands. A run is reconciliation's own transaction (the database
decides when two start at once: one posts, the other gets 409 `run_in_progress`).

A commissioner reads its own payer's part of each run and period only: its postings, claims,
matches, bridge line and verdict, and no other payer's commitment among the findings.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from api.auth import allow, own_payer, reach
from api.controllers.findings import FindingsOut, findings_out
from api.controllers.imports import ImportKind, import_handlers
from api.controllers.params import IdempotencyKey
from api.controllers.responses import READ, WRITE
from api.controllers.writes import canonical_body, idempotent_service, json_ready, request_hash
from api.errors import not_found
from contract_specs.model import ContractSpec, Role, from_minor
from ledger.intake.row_checks import Upload
from ledger.services.checked_import import CheckedImport
from ledger.services.contracts import active_spec
from ledger.storage.db import reading, unit_of_work
from ledger.storage.tables import Posting, table_of
from ledger.storage.tokens import Caller
from reconciliation.errors import Problem, ReconciliationError
from reconciliation.periods import periods_so_far
from reconciliation.remittances import REQUIRED as REMITTANCE_COLUMNS
from reconciliation.remittances import remittances_import
from reconciliation.rewind import Rewind, RewindPreview
from reconciliation.run_findings import Findings
from reconciliation.runs import preview_rewind, reconcile
from reconciliation.status import period_bridge, period_row
from reconciliation.tables import ClaimRow, MatchRow, ReconcileRun, RemittanceRow
from reconciliation.verdict import PeriodBridge

READERS = (Role.INTERMEDIARY, Role.COMMISSIONER, Role.INVESTOR)


@dataclass
class ReconcileIn:
    """A run of one period: `as_of` is the cut-off (UTC; default now, never in the future),
    `close` closes the period after the run (nothing more can be posted into it). A cut-off
    earlier than an earlier run's is refused (409 `rewind_required`) unless given as
    `rewind_to` with a `reason` and the `confirmation` of its preview
    (POST .../reconciliations/preview)."""

    period: str
    as_of: datetime | None = None
    close: bool = False
    rewind_to: datetime | None = None
    reason: str | None = None
    confirmation: str | None = None


@dataclass
class RewindIn:
    """A rewind to preview: the period, the earlier cut-off (UTC) and why."""

    period: str
    rewind_to: datetime
    reason: str
    close: bool = False


@dataclass
class RewindPayerOut:
    """What the rewind would post for one payer, and the claim it would issue (negative: a
    credit claim)."""

    payer: str
    postings: int
    amount: Decimal
    clawbacks: int
    clawed_back: Decimal
    claim: str | None
    claimed: Decimal


@dataclass
class ClawbackOut:
    """One negative posting the rewind would make."""

    participant_id: str
    metric: str
    occurrence: int
    payer: str
    amount: Decimal
    reason: str


@dataclass
class RewindPreviewOut:
    """What a rewound run would do; nothing of it is stored. Post it by starting the run with
    the same period, `rewind_to` and `reason`, and `confirmation`: a ledger that changed in
    between is refused (409 `preview_changed`)."""

    contract_id: str
    period: str
    cut_off: datetime
    reason: str
    latest_run: str
    latest_period: str
    latest_cut_off: datetime
    postings: int
    payers: list[RewindPayerOut]
    clawbacks: list[ClawbackOut]  # the largest, at most 20
    clawbacks_count: int
    confirmation: str


@dataclass
class RewindOut:
    """A rewound run's cut-off, the reason given and the later run it went back from."""

    to: str
    reason: str
    latest_cut_off: str
    latest_run: str


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
    rewind: RewindOut | None = None


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


def _payers_bridge(bridge: PeriodBridge, payer: str | None) -> PeriodBridge:
    """The bridge as `payer` may see it: its own line, and so its own verdict (None: all)."""
    if payer is None:
        return bridge
    return dataclasses.replace(bridge, payers=tuple(p for p in bridge.payers if p.payer == payer))


def _own_part(session: Session, run: ReconcileRun, payer: str) -> tuple[int, int]:
    """How many postings the run made to `payer`, and their total (minor units)."""
    table = table_of(Posting)
    count, total = (
        session.connection()
        .execute(
            select(func.count(), func.coalesce(func.sum(table.c.amount), 0)).where(
                table.c.run_id == run.run_id,
                table.c.contract_id == run.contract_id,
                table.c.payer == payer,
            )
        )
        .one()
    )
    return int(count), int(total)


def _theirs(session: Session, contract_id: str, payer: str) -> tuple[set[str], set[str]]:
    """The payer's claim references and remittance ids in the contract."""
    claims = session.scalars(
        select(col(ClaimRow.reference)).where(
            col(ClaimRow.contract_id) == contract_id, col(ClaimRow.payer) == payer
        )
    )
    money = session.scalars(
        select(col(RemittanceRow.remittance_id)).where(
            col(RemittanceRow.contract_id) == contract_id, col(RemittanceRow.payer) == payer
        )
    )
    return set(claims.all()), set(money.all())


def _run_out(
    session: Session,
    spec: ContractSpec,
    run: ReconcileRun,
    *,
    findings: bool = True,
    payer: str | None = None,
) -> RunOut:
    e = spec.contract.exponent
    today = datetime.now(UTC).date()
    bridge = _payers_bridge(period_bridge(session, spec, run.period, today), payer)
    claims_query = select(col(ClaimRow.reference)).where(col(ClaimRow.run_id) == run.run_id)
    if payer is not None:
        claims_query = claims_query.where(col(ClaimRow.payer) == payer)
    claims = session.scalars(claims_query).all()
    matches = session.scalars(
        select(MatchRow).where(col(MatchRow.run_id) == run.run_id).order_by(col(MatchRow.id))
    ).all()
    postings, posted = run.postings, run.posted_total
    kept = None if run.findings is None else Findings.from_document(run.findings)
    if payer is not None:
        postings, posted = _own_part(session, run, payer)
        own_claims, own_money = _theirs(session, run.contract_id, payer)
        matches = [
            m for m in matches if own_claims & set(m.claims) or own_money & set(m.remittances)
        ]
        kept = None if kept is None else kept.for_payer(payer)
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
        postings=postings,
        posted=from_minor(posted, e),
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
        findings=findings_out(kept, e) if findings and kept is not None else None,
        rewind=None if run.rewind is None else RewindOut(**run.rewind),
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
    at = None if as_of is None else as_of.replace(tzinfo=as_of.tzinfo or UTC)
    close = isinstance(run, CloseIn) or run.close
    rewind = None
    if isinstance(run, ReconcileIn) and (run.rewind_to or run.reason or run.confirmation):
        if run.rewind_to is None:
            raise ReconciliationError(
                [Problem("rewind_to", "reason and confirmation go with a rewind_to")]
            )
        rewind = Rewind(_aware(run.rewind_to), run.reason or "", run.confirmation)

    def write() -> tuple[int, Any]:
        report = reconcile(
            engine, contract_id, period, at, close, actor=caller.actor, rewind=rewind
        )
        with unit_of_work(engine) as session:
            spec = active_spec(session, contract_id).spec
            out = _run_out(session, spec, _stored_run(session, contract_id, report.run_id))
        return 201, json_ready(out)

    asked = {
        "period": period,
        "as_of": None if at is None else at.astimezone(UTC),
        "close": close,
        "rewind": None if rewind is None else repr(rewind),
    }
    fingerprint = request_hash("POST", request.url.path, canonical_body(asked))
    return idempotent_service(engine, caller, key, fingerprint, write)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=moment.tzinfo or UTC)


def _preview_out(shown: RewindPreview, exponent: int) -> RewindPreviewOut:
    def money(minor: int) -> Decimal:
        return from_minor(minor, exponent)

    return RewindPreviewOut(
        contract_id=shown.contract_id,
        period=shown.period,
        cut_off=shown.cut_off,
        reason=shown.reason,
        latest_run=shown.latest.run_id,
        latest_period=shown.latest.period,
        latest_cut_off=shown.latest.cut_off,
        postings=shown.postings,
        payers=[
            RewindPayerOut(
                p.payer,
                p.postings,
                money(p.amount),
                p.clawbacks,
                money(p.clawed_back),
                p.claim,
                money(p.claimed),
            )
            for p in shown.payers
        ],
        clawbacks=[
            ClawbackOut(
                c.participant_id, c.metric, c.occurrence, c.payer, money(c.amount), c.reason
            )
            for c in shown.clawbacks
        ],
        clawbacks_count=shown.clawbacks_count,
        confirmation=shown.token,
    )


def _remittances(contract_id: str, upload: Upload, caller: Caller) -> CheckedImport:
    return remittances_import(contract_id, upload, actor=caller.actor, now=datetime.now(UTC))


REMITTANCES = ImportKind("remittances", REMITTANCE_COLUMNS, _remittances)


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
        "/reconciliations/preview",
        operation_id="previewRewind",
        summary="Show what a run at a cut-off earlier than an earlier run's would post",
        responses=WRITE,
        guards=[allow(Role.INTERMEDIARY)],
        status_code=200,
        sync_to_thread=True,
    )
    def preview(
        self,
        contract_id: FromPath[str],
        data: JSONBody[RewindIn],
        caller: NamedDependency[Caller],
        engine: NamedDependency[Engine],
    ) -> RewindPreviewOut:
        """The run is done in full and rolled back: nothing is posted, claimed or recorded.
        The answer names, per payer, the postings and clawbacks it would make and the claim
        it would issue, with the `confirmation` that starts it (POST .../reconciliations)."""
        with unit_of_work(engine) as session:
            reach(session, caller, contract_id)
            exponent = active_spec(session, contract_id).spec.contract.exponent
        asked = Rewind(_aware(data.rewind_to), data.reason)
        shown = preview_rewind(
            engine, contract_id, data.period, asked, data.close, actor=caller.actor
        )
        return _preview_out(shown, exponent)

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
        for its findings). A commissioner's token sees its own payer's part of each."""
        with reading(engine) as session:
            reach(session, caller, contract_id)
            spec = active_spec(session, contract_id).spec
            query = select(ReconcileRun).where(col(ReconcileRun.contract_id) == contract_id)
            if period is not None:
                query = query.where(col(ReconcileRun.period) == period)
            rows = session.scalars(query.order_by(col(ReconcileRun.id))).all()
            payer = own_payer(caller)
            return [_run_out(session, spec, run, findings=False, payer=payer) for run in rows]

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
            stored = _stored_run(session, contract_id, run_id)
            return _run_out(session, spec, stored, payer=own_payer(caller))

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
        """Each period so far: not reconciled, open or closed, and its verdict today (a
        commissioner's: its own payer's)."""
        today = datetime.now(UTC).date()
        payer = own_payer(caller)
        with reading(engine) as session:
            reach(session, caller, contract_id)
            spec = active_spec(session, contract_id).spec
            found = []
            for period in periods_so_far(spec.contract, today):
                row = period_row(session, contract_id, period.id)
                found.append(
                    PeriodOut(
                        period.id,
                        "not reconciled" if row is None else row.status,
                        _payers_bridge(
                            period_bridge(session, spec, period.id, today), payer
                        ).verdict.value,
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
