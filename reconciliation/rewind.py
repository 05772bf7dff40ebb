"""Rewinding: a run at a cut-off earlier than an earlier run of the same contract.

A run posts, for every key, what is owed as of its cut-off minus what was posted so far. The
postings so far include what later runs paid for facts that arrived after this cut-off, so a
run at an earlier cut-off treats those facts as never having arrived and claws all of it back
(on a real contract: thousands of negative postings and credit claims). That is almost always
a mistyped date, so it is refused unless the operator says so, in words: `--rewind-to T
--reason "..."`. Even then the run first shows what it would post (a preview: per payer the
postings and their sum, the clawbacks named, the claims), posting nothing, and posts only when
confirmed with the preview's token: a digest of exactly what was shown, so a ledger that
changed in between (a decision, another run) is refused rather than posted unseen.

The reason is kept with the run (`recon_runs.rewind`) and in its audit entry.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, select
from sqlmodel import Session

from ledger.services.facts import utc
from ledger.storage.tables import Posting, table_of
from reconciliation.errors import Problem, ReconciliationError
from reconciliation.matching import Claim
from reconciliation.tables import ReconcileRun

REASON_AT_MOST = 500  # characters: a sentence for the audit log, not a document
CLAWBACKS_NAMED = 20  # the preview names the largest clawbacks, and counts the rest


class RewindRequiredError(ReconciliationError):
    """The cut-off is earlier than an earlier run's, and no rewind was asked for."""


class RewindChangedError(ReconciliationError):
    """What the run would post is no longer what its preview showed."""


@dataclass(frozen=True)
class Rewind:
    """The operator's word that a run may cut off at `to`, earlier than an earlier run, and
    why. Without `token` the run is only previewed; with the preview's token it posts."""

    to: datetime
    reason: str
    token: str | None = None


@dataclass(frozen=True)
class LatestRun:
    """The run of the contract with the latest cut-off."""

    run_id: str
    period: str
    cut_off: datetime


@dataclass(frozen=True)
class PayerPreview:
    """What a previewed run would post for one payer, and the claim it would issue."""

    payer: str
    postings: int
    amount: int
    clawbacks: int  # negative postings
    clawed_back: int  # their sum (negative)
    claim: str | None  # reference of the claim (a credit claim when negative)
    claimed: int


@dataclass(frozen=True)
class Clawback:
    """One negative posting a previewed run would make."""

    participant_id: str
    metric: str
    occurrence: int
    payer: str
    amount: int
    reason: str


@dataclass(frozen=True)
class RewindPreview:
    """What a rewound run would do, with the token that confirms it. Nothing of it is stored."""

    contract_id: str
    period: str
    cut_off: datetime
    reason: str
    latest: LatestRun
    postings: int
    payers: tuple[PayerPreview, ...]
    clawbacks: tuple[Clawback, ...]  # the largest CLAWBACKS_NAMED
    clawbacks_count: int
    token: str


class PreviewOnly(Exception):  # not an error: the way a preview leaves the run
    """Raised inside a run's unit of work to roll it back and hand the preview out."""

    def __init__(self, preview: RewindPreview) -> None:
        super().__init__("preview")
        self.preview = preview


def latest_run(session: Session, contract_id: str) -> LatestRun | None:
    """The contract's run with the latest cut-off (any period), if any.

    A run knew what was known by its cut-off or by when it ran, whichever came first: a run
    made before cut-offs in the future were refused (as of 2099, say) knew only what was known
    when it ran, and must not make every later run look like going back in time."""
    runs = table_of(ReconcileRun)
    known = case((runs.c.cut_off < runs.c.finished_at, runs.c.cut_off), else_=runs.c.finished_at)
    row = (
        session.connection()
        .execute(
            select(runs.c.run_id, runs.c.period, known.label("known"))
            .where(runs.c.contract_id == contract_id)
            .order_by(known.desc(), runs.c.id.desc())
            .limit(1)
        )
        .first()
    )
    return None if row is None else LatestRun(row.run_id, row.period, utc(row.known))


def _when(moment: datetime) -> str:
    return f"{utc(moment):%Y-%m-%d %H:%M:%S} UTC"


def cut_off_of(as_of: datetime | None, rewind: Rewind | None) -> datetime | None:
    """The cut-off asked for: `--rewind-to` names it for a rewind (`--as-of`, if given too,
    must say the same)."""
    if rewind is None:
        return as_of
    if as_of is not None and utc(as_of) != utc(rewind.to):
        raise ReconciliationError(
            [
                Problem(
                    "--rewind-to",
                    f"{_when(rewind.to)} is not the cut-off --as-of gives ({_when(as_of)}): "
                    "--rewind-to is the cut-off of a rewind; leave --as-of out",
                )
            ]
        )
    return rewind.to


def check_rewind(
    session: Session, contract_id: str, cut_off: datetime, rewind: Rewind | None
) -> LatestRun | None:
    """Refuse a cut-off earlier than the contract's latest run's unless rewound (with a
    reason), and a rewind that rewinds nothing; the latest run when this run is a rewind."""
    latest = latest_run(session, contract_id)
    earlier = latest is not None and cut_off < latest.cut_off
    if rewind is None:
        if earlier and latest is not None:
            raise RewindRequiredError(
                [
                    Problem(
                        "--as-of",
                        f"cut-off {_when(cut_off)} is earlier than the cut-off of run "
                        f"{latest.run_id} ({latest.period}, {_when(latest.cut_off)}): the "
                        "ledger has paid what was known then, and a run at an earlier cut-off "
                        "treats everything submitted or decided since as never having arrived "
                        "and claws back what was paid for it. Give a later cut-off, or, if "
                        f"that is what you mean, --rewind-to {utc(cut_off):%Y-%m-%dT%H:%M:%S} "
                        '--reason "..." to see what it would post first',
                    )
                ]
            )
        return None
    reason = rewind.reason.strip()
    if not reason or len(reason) > REASON_AT_MOST or not reason.isprintable():
        raise ReconciliationError(
            [
                Problem(
                    "--reason",
                    "say in one line why this run goes back in time (at most "
                    f"{REASON_AT_MOST} characters): it is kept with the run and in the audit log",
                )
            ]
        )
    if not earlier or latest is None:
        since = "no run yet" if latest is None else f"the latest is {_when(latest.cut_off)}"
        raise ReconciliationError(
            [
                Problem(
                    "--rewind-to",
                    f"cut-off {_when(cut_off)} is not earlier than any earlier run's ({since}): "
                    "there is nothing to rewind; reconcile with --as-of instead",
                )
            ]
        )
    return latest


def rewind_document(rewind: Rewind, latest: LatestRun) -> dict[str, Any]:
    """What a rewound run keeps (with the run and in its audit entry)."""
    return {
        "to": utc(rewind.to).isoformat(),
        "reason": rewind.reason.strip(),
        "latest_cut_off": latest.cut_off.isoformat(),
        "latest_run": latest.run_id,
    }


def preview(
    session: Session,
    contract_id: str,
    period: str,
    run_id: str,
    cut_off: datetime,
    rewind: Rewind,
    latest: LatestRun,
    claims: list[Claim],
) -> RewindPreview:
    """What the run `run_id` (not committed) posted and claimed, as a preview with its token."""
    table = table_of(Posting)
    rows = (
        session.connection()
        .execute(
            select(
                table.c.participant_id,
                table.c.metric,
                table.c.occurrence,
                table.c.payer,
                table.c.amount,
                table.c.spec_version,
                table.c.reason,
            )
            .where(table.c.contract_id == contract_id, table.c.run_id == run_id)
            .order_by(table.c.participant_id, table.c.metric, table.c.occurrence, table.c.payer)
        )
        .all()
    )
    digest = hashlib.sha256(f"{contract_id}\n{period}\n{utc(cut_off).isoformat()}\n".encode())
    for row in rows:
        digest.update("\t".join(str(v) for v in row[:6]).encode() + b"\n")
    claimed = {c.payer: c for c in claims}
    payers = []
    for payer in sorted({r.payer for r in rows} | set(claimed)):
        mine = [r for r in rows if r.payer == payer]
        negative = [r for r in mine if r.amount < 0]
        claim = claimed.get(payer)
        payers.append(
            PayerPreview(
                payer=payer,
                postings=len(mine),
                amount=sum(r.amount for r in mine),
                clawbacks=len(negative),
                clawed_back=sum(r.amount for r in negative),
                claim=None if claim is None else claim.reference,
                claimed=0 if claim is None else claim.amount,
            )
        )
    negative = sorted((r for r in rows if r.amount < 0), key=lambda r: (r.amount, r[:4]))
    return RewindPreview(
        contract_id=contract_id,
        period=period,
        cut_off=utc(cut_off),
        reason=rewind.reason.strip(),
        latest=latest,
        postings=len(rows),
        payers=tuple(payers),
        clawbacks=tuple(
            Clawback(r.participant_id, r.metric, r.occurrence, r.payer, r.amount, r.reason)
            for r in negative[:CLAWBACKS_NAMED]
        ),
        clawbacks_count=len(negative),
        token=digest.hexdigest(),
    )


def confirm(rewind: Rewind, shown: RewindPreview) -> None:
    """Post only what was shown: PreviewOnly without a token, RewindChangedError when the
    token is not the preview's of what the run would post now."""
    if rewind.token is None:
        raise PreviewOnly(shown)
    if rewind.token != shown.token:
        raise RewindChangedError(
            [
                Problem(
                    "--rewind-to",
                    "what this run would post is not what its preview showed (the ledger "
                    "changed since, or the token is not that preview's): nothing was posted; "
                    "preview the rewind again",
                )
            ]
        )
