"""Reconciling a period: post what is owed and not yet posted, claim it, match money received.

`reconcile` is one transaction (all or nothing):

1. take the period's lock, and refuse if another run of the same contract and period finished
   while this one waited (two runs at the same moment: one posts, the other says so);
2. refuse a closed period (late items belong in the next open period);
3. compute the entitlement as of the cut-off and post, per key, entitlement minus postings so
   far into the period (ledger.services.postings). Keys first achieved after the period's end wait
   for
   their own period; a key achieved in an earlier period says which period it corrects;
4. issue one claim per payer for what was posted, match claims and remittances, record each
   matched remittance as the vehicle's outcome income (reconciliation.income), record the run
   with its inputs (spec version, cut-off, fact counts, a hash of the inputs) and its findings
   (reconciliation.run_findings: evidence awaiting verification, likely unclaimed outcomes,
   caps near exhaustion, periods not reconciled) and close the period when asked.

Re-running posts nothing and claims nothing, unless the facts changed in between. When
nothing that decides step 3 changed since the period's last run (reconciliation.rerun: the
facts as of the cut-off, the spec, the postings), that run's computation is reused instead of
done again (reconciliation.settle); the run says so (`reused_run_id`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from ledger.services.contracts import ActiveSpec, active_version, typed_spec
from ledger.services.cut_off import future_cut_off
from ledger.services.facts import utc
from ledger.storage import audit
from ledger.storage.db import hold_until_commit, is_busy, unit_of_work
from ledger.storage.tables import Posting, table_of
from reconciliation.claims import issue_claims, load_claims
from reconciliation.errors import (
    PeriodClosedError,
    Problem,
    ReconciliationError,
    RunInProgressError,
)
from reconciliation.income import record_matched_income
from reconciliation.matching import Claim, Matching
from reconciliation.periods import Period, parse_period, refuse_outside
from reconciliation.remittances import load_remittances
from reconciliation.rerun import (
    facts_stamp,
    reusable_run,
    settle_as_before,
    stamp_document,
)
from reconciliation.rewind import (
    PreviewOnly,
    Rewind,
    RewindPreview,
    check_rewind,
    confirm,
    cut_off_of,
    preview,
    rewind_document,
)
from reconciliation.run_findings import Findings
from reconciliation.settle import compute_and_post
from reconciliation.status import current_matching, is_closed, payer_sums, period_bridge
from reconciliation.tables import CLOSED, OPEN, MatchRow, PeriodRow, ReconcileRun
from reconciliation.verdict import PeriodBridge

Clock = Callable[[], datetime]


def wall_clock() -> datetime:
    """Now, aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class RunReport:
    """What a run did: postings per payer, the claims issued, late corrections, the bridge."""

    run_id: str
    contract_id: str
    period: str
    spec_version: int
    cut_off: datetime
    postings: int
    by_payer: dict[str, int]
    claims: tuple[str, ...]
    corrections: dict[str, int]
    closed: bool
    bridge: PeriodBridge
    # matched remittances recorded as the vehicle's outcome income by this run
    income_recorded: int = 0
    # what to act on as of the cut-off (reconciliation.run_findings)
    findings: Findings | None = None
    # a rewound run: its cut-off, reason and the later run it went back from (else None)
    rewind: dict[str, Any] | None = None


def reconcile(
    engine: Engine,
    contract_id: str,
    period: str,
    as_of: datetime | None = None,
    close: bool = False,
    *,
    actor: str,
    now: datetime | None = None,
    clock: Clock = wall_clock,
    reuse: bool = True,
    rewind: Rewind | None = None,
) -> RunReport:
    """Reconcile `period` (an id like 2025-Q3) of a contract as of `as_of` (default: now).

    A cut-off in the future, or earlier than the cut-off of an earlier run of the contract,
    is refused; the latter is run only as a `rewind` confirmed with its preview's token (see
    preview_rewind and reconciliation.rewind). With nothing changed since the period's last
    run (reconciliation.rerun), its computation is reused; `reuse=False` computes everything
    again."""
    if rewind is not None and rewind.token is None:
        raise ReconciliationError(
            [
                Problem(
                    "--rewind-to",
                    "a rewind posts only what its preview showed: preview it first and confirm "
                    "it with the preview's token",
                )
            ]
        )
    return _run(engine, contract_id, period, as_of, close, actor, now, clock, reuse, rewind)


def _run(
    engine: Engine,
    contract_id: str,
    period: str,
    as_of: datetime | None,
    close: bool,
    actor: str,
    now: datetime | None,
    clock: Clock,
    reuse: bool,
    rewind: Rewind | None,
) -> RunReport:
    """One run in one unit of work (a preview raises PreviewOnly out of it: rolled back)."""
    requested_at = clock()
    try:
        with unit_of_work(engine) as session:
            return _reconcile(
                session,
                contract_id,
                period,
                as_of,
                close,
                actor,
                now,
                requested_at,
                clock,
                reuse,
                rewind,
            )
    except OperationalError as error:
        # another writer held the database (SQLite) or the run's lock (PostgreSQL) too long
        if not is_busy(error):
            raise
        raise RunInProgressError(
            [Problem(period, f"{contract_id} is being reconciled by another run: try later")]
        ) from error


def preview_rewind(
    engine: Engine,
    contract_id: str,
    period: str,
    rewind: Rewind,
    close: bool = False,
    *,
    actor: str,
    now: datetime | None = None,
    clock: Clock = wall_clock,
) -> RewindPreview:
    """What a rewound run would post, claim and claw back, and the token that confirms it: the
    run is done in full and rolled back, so nothing is stored (no posting, claim, run, period
    or audit entry) and the preview is exactly what the confirmed run will post, or it is
    refused (RewindChangedError) if the ledger changed in between."""
    try:
        _run(
            engine,
            contract_id,
            period,
            None,
            close,
            actor,
            now,
            clock,
            True,
            replace(rewind, token=None),
        )
    except PreviewOnly as shown:
        return shown.preview
    raise AssertionError("a rewind without a token is only ever previewed")


def _reconcile(
    session: Session,
    contract_id: str,
    period_id: str,
    as_of: datetime | None,
    close: bool,
    actor: str,
    now: datetime | None,
    requested_at: datetime,
    clock: Clock,
    reuse: bool,
    rewind: Rewind | None,
) -> RunReport:
    version = active_version(session, contract_id)
    spec = typed_spec(version)
    period = parse_period(period_id, spec.contract.payment_frequency, place="--period")
    refuse_outside(spec.contract, period)
    # a second run of the same period waits here, then finds this one done
    hold_until_commit(session, f"reconcile:{contract_id}:{period.id}")
    _refuse_if_done_meanwhile(session, contract_id, period.id, requested_at)
    moment = utc(now or clock())
    asked = cut_off_of(as_of, rewind)
    cut_off = utc(asked) if asked is not None else moment
    in_future = future_cut_off(cut_off, moment)
    if in_future is not None:
        place = "--as-of" if rewind is None else "--rewind-to"
        raise ReconciliationError([Problem(place, in_future)])
    _refuse_closed_or_early(session, contract_id, period, cut_off)
    latest = check_rewind(session, contract_id, cut_off, rewind)
    _open(session, contract_id, period.id, moment)

    stamp = facts_stamp(session, contract_id, version, cut_off)  # before the facts are read
    last = reusable_run(session, contract_id, period.id, cut_off, stamp) if reuse else None
    run_id = uuid.uuid4().hex
    if last is not None:
        settled = settle_as_before(
            session, spec, last, period, cut_off, run_id, actor=actor, now=moment
        )
    else:
        settled = compute_and_post(
            session,
            version,
            spec,
            period,
            cut_off,
            run_id,
            actor,
            moment,
        )
    owed, posted, findings = settled.owed, settled.posted, settled.findings
    claims = issue_claims(
        session, contract_id, period.id, run_id, moment.date(), spec.contract.payment_terms_days
    )
    rewound = None
    if rewind is not None and latest is not None:
        # a preview leaves here (rolled back); a confirmed rewind posts only what was shown
        confirm(
            rewind,
            preview(session, contract_id, period.id, run_id, cut_off, rewind, latest, claims),
        )
        rewound = rewind_document(rewind, latest)
    if close:
        _close(session, contract_id, period.id, run_id, actor, moment)
    # the claims, remittances, their matching and the postings per payer, each read once
    every_claim = load_claims(session, contract_id)
    remittances = load_remittances(session, contract_id)
    matching = current_matching(session, spec, moment.date(), every_claim, remittances)
    _store_matches(session, contract_id, run_id, matching, every_claim)
    income = record_matched_income(
        session,
        ActiveSpec(version.version, spec),
        matching,
        actor=actor,
        now=moment,
        source=f"reconcile:{run_id}",
        remittances=remittances,
    )
    # this run posts into its period only: the other periods' sums are as they were before it
    inside, elsewhere = payer_sums(session, contract_id, period.id)
    totals = {
        payer: {
            "entitlement": owed.get(payer, 0),
            "posted_elsewhere": elsewhere.get(payer, 0),
            "posted": posted.by_payer.get(payer, 0),
            "claimed": sum(c.amount for c in claims if c.payer == payer),
        }
        for payer in sorted(set(owed) | set(elsewhere) | set(posted.by_payer))
    }
    session.add(
        ReconcileRun(
            run_id=run_id,
            contract_id=contract_id,
            period=period.id,
            spec_version=version.version,
            cut_off=cut_off,
            requested_at=requested_at,
            finished_at=clock(),
            actor=actor,
            participants=settled.participants,
            evidence=settled.evidence,
            results=settled.results,
            inputs_hash=settled.inputs_hash,
            postings=posted.postings,
            posted_total=posted.total,
            totals=totals,
            closed=close,
            findings=findings.document(),
            facts_stamp=stamp_document(stamp, session, contract_id, owed),
            reused_run_id=settled.reused_from,
            not_payable=settled.not_payable,
            rewind=rewound,
        )
    )
    details: dict[str, Any] = {
        "period": period.id,
        "run_id": run_id,
        "postings": posted.postings,
        "closed": close,
    }
    if rewound is not None:
        details["rewind"] = rewound
    audit.record(session, actor, "reconcile.run", f"contract:{contract_id}", moment, details)
    session.flush()
    return RunReport(
        run_id=run_id,
        contract_id=contract_id,
        period=period.id,
        spec_version=version.version,
        cut_off=cut_off,
        postings=posted.postings,
        by_payer=posted.by_payer,
        claims=tuple(c.reference for c in claims),
        corrections=_corrections(session, contract_id, run_id),
        closed=close,
        bridge=period_bridge(
            session, spec, period.id, moment.date(), known=(every_claim, matching, inside)
        ),
        income_recorded=income,
        findings=findings,
        rewind=rewound,
    )


def _refuse_if_done_meanwhile(
    session: Session, contract_id: str, period: str, requested_at: datetime
) -> None:
    table = table_of(ReconcileRun)
    other = (
        session.connection()
        .execute(
            select(table.c.run_id, table.c.finished_at).where(
                table.c.contract_id == contract_id,
                table.c.period == period,
                table.c.finished_at > requested_at,
            )
        )
        .first()
    )
    if other is not None:
        raise RunInProgressError(
            [
                Problem(
                    period,
                    f"{contract_id} {period} was reconciled by run {other.run_id} while this "
                    "run waited: nothing more was posted; run again if facts changed since",
                )
            ]
        )


def _refuse_closed_or_early(
    session: Session, contract_id: str, period: Period, cut_off: datetime
) -> None:
    if is_closed(session, contract_id, period.id):
        raise PeriodClosedError(
            [
                Problem(
                    period.id,
                    f"period {period.id} of {contract_id} is closed and takes no postings: "
                    f"late items go to the next open period (try {period.next().id})",
                )
            ]
        )
    if cut_off.date() < period.start:
        raise ReconciliationError(
            [
                Problem(
                    "--as-of",
                    f"cut-off {cut_off.date()} is before period {period.id} starts "
                    f"({period.start}): give a later cut-off or an earlier period",
                )
            ]
        )


def _open(session: Session, contract_id: str, period: str, moment: datetime) -> None:
    if session.get(PeriodRow, (contract_id, period)) is None:
        session.add(
            PeriodRow(contract_id=contract_id, period=period, status=OPEN, opened_at=moment)
        )
        session.flush()


def _close(
    session: Session, contract_id: str, period: str, run_id: str, actor: str, moment: datetime
) -> None:
    table = table_of(PeriodRow)
    session.connection().execute(
        update(table)
        .where(table.c.contract_id == contract_id, table.c.period == period, table.c.status == OPEN)
        .values(status=CLOSED, closed_at=moment, closed_by=actor, close_run_id=run_id)
    )
    session.expire_all()


def _store_matches(
    session: Session, contract_id: str, run_id: str, matching: Matching, claims: Sequence[Claim]
) -> None:
    references = {(c.payer, c.period, c.number): c.reference for c in claims}
    rows = [
        {
            "contract_id": contract_id,
            "run_id": run_id,
            "status": m.status.value,
            "kind": m.kind.value,
            "claims": [references[k] for k in m.claims],
            "remittances": list(m.remittances),
            "claimed": m.claimed,
            "received": m.received,
            "allocated": [[references[k], part] for k, part in m.allocated],
            "detail": m.detail,
        }
        for m in matching.matches
    ]
    if rows:
        session.connection().execute(insert(table_of(MatchRow)), rows)


def _corrections(session: Session, contract_id: str, run_id: str) -> dict[str, int]:
    table = table_of(Posting)
    rows = session.connection().execute(
        select(table.c.corrects_period, table.c.amount).where(
            table.c.contract_id == contract_id,
            table.c.run_id == run_id,
            table.c.corrects_period.is_not(None),
        )
    )
    found: dict[str, int] = {}
    for period, amount in rows:
        found[period] = found.get(period, 0) + int(amount)
    return found
