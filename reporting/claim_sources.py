"""What a claim pack reads from the ledger besides the payment report: the payer's claims, the
claim each posting went out on, and what an auditor samples on for the evidence behind a line.

Everything as of the report's cut-off, read for the ids the pack names only (chunks through the
unique indexes), never the whole contract.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
from sqlalchemy import func, select
from sqlmodel import Session

from ledger.services.facts import fetch_columns, fetch_frame
from ledger.storage.tables import Evidence, Posting, VerificationDecision, table_of
from reconciliation.tables import ClaimLine, ClaimRow
from reporting.sources import IN_CHUNK, POSTING_COLUMNS


@dataclass(frozen=True)
class IssuedClaim:
    """A claim issued to a payer: the reference it quotes, for which period, and its days."""

    reference: str
    period: str
    number: int
    amount: int
    claimed_on: date
    due_on: date


@dataclass(frozen=True)
class Audit:
    """What an auditor samples an evidence row on: its type, when it was submitted, the latest
    decision on it by the cut-off, and who verified it and when (none for automatic evidence)."""

    evidence_type: str
    submitted_at: datetime | None
    decision: str
    verified_by: str
    verified_at: datetime | None


def issued_claims(
    session: Session, contract_id: str, payer: str, cut_off: datetime
) -> list[IssuedClaim]:
    """The payer's claims issued on or before the cut-off's day, oldest first."""
    claims = table_of(ClaimRow)
    found = session.connection().execute(
        select(
            claims.c.reference,
            claims.c.period,
            claims.c.number,
            claims.c.amount,
            claims.c.claimed_on,
            claims.c.due_on,
        )
        .where(
            claims.c.contract_id == contract_id,
            claims.c.payer == payer,
            claims.c.claimed_on <= cut_off.date(),
        )
        .order_by(claims.c.number)
    )
    return [IssuedClaim(str(r), str(p), int(n), int(a), c, d) for r, p, n, a, c, d in found]


def claim_of_postings(session: Session, contract_id: str, ids: Iterable[str]) -> dict[str, str]:
    """Posting id -> the reference of the claim it went out on (postings not yet claimed have
    none)."""
    lines, claims = table_of(ClaimLine), table_of(ClaimRow)
    wanted = sorted(set(ids))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        query = (
            select(lines.c.posting_id, claims.c.reference)
            .join(claims, claims.c.id == lines.c.claim_pk)
            .where(
                claims.c.contract_id == contract_id,
                lines.c.posting_id.in_(wanted[start : start + IN_CHUNK]),
            )
        )
        keys, references = fetch_columns(session, query)
        found.update(zip(keys, references, strict=True))
    return found


def audits(
    session: Session, contract_id: str, ids: Iterable[str], cut_off: datetime
) -> dict[str, Audit]:
    """Evidence id -> its audit facts as of `cut_off`, for the given ids only."""
    evidence, decisions = table_of(Evidence), table_of(VerificationDecision)
    wanted = sorted(set(ids))
    found: dict[str, Audit] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        chunk = wanted[start : start + IN_CHUNK]
        rows = fetch_columns(
            session,
            select(
                evidence.c.id,
                evidence.c.evidence_id,
                evidence.c.evidence_type,
                evidence.c.submitted_at,
            ).where(evidence.c.contract_id == contract_id, evidence.c.evidence_id.in_(chunk)),
            typed=("submitted_at",),
        )
        pks, keys, types, submitted = rows
        made = fetch_columns(
            session,
            select(
                decisions.c.evidence_pk,
                decisions.c.decision,
                decisions.c.actor,
                decisions.c.decided_at,
            )
            .where(
                decisions.c.contract_id == contract_id,
                decisions.c.evidence_pk.in_([int(p) for p in pks]),
                decisions.c.decided_at <= cut_off,
            )
            # the latest by decision time, then as stored (verification_status.latest_decision)
            .order_by(decisions.c.decided_at, decisions.c.id),
            typed=("decided_at",),
        )
        latest: dict[int, str] = {}
        verified: dict[int, tuple[str, datetime]] = {}
        for pk, decision, actor, at in zip(*made, strict=True):
            latest[int(pk)] = str(decision)
            if decision == "verified":
                verified[int(pk)] = (str(actor), at)
        for pk, key, kind, sent in zip(pks, keys, types, submitted, strict=True):
            by, at = verified.get(int(pk), ("", None))
            decision = latest.get(int(pk), "")
            found[str(key)] = Audit(str(kind or ""), sent, decision, by, at)
    return found


def posted_sums(session: Session, contract_id: str, cut_off: datetime) -> pd.DataFrame:
    """What was posted by the cut-off, summed per period, payer and metric: all the limits
    before and after a claim need (a few hundred rows, however many postings there are)."""
    table = table_of(Posting)
    query = (
        select(table.c.period, table.c.payer, table.c.metric, func.sum(table.c.amount))
        .where(table.c.contract_id == contract_id, table.c.posted_at <= cut_off)
        .group_by(table.c.period, table.c.payer, table.c.metric)
    )
    frame = fetch_frame(session, query, ["period", "payer", "metric", "amount"])
    return frame.astype({"amount": "int64"})


def postings_of(
    session: Session, contract_id: str, payer: str, people: Iterable[str], cut_off: datetime
) -> pd.DataFrame:
    """The payer's postings by the cut-off for the given participants only (the keys a claim
    changes), with the columns reporting.sources.postings reads."""
    table = table_of(Posting)
    wanted = sorted(set(people))
    frames = [pd.DataFrame({name: pd.Series([], dtype="object") for name in POSTING_COLUMNS})]
    for start in range(0, len(wanted), IN_CHUNK):
        query = select(*(table.c[name] for name in POSTING_COLUMNS)).where(
            table.c.contract_id == contract_id,
            table.c.payer == payer,
            table.c.posted_at <= cut_off,
            table.c.participant_id.in_(wanted[start : start + IN_CHUNK]),
        )
        frames.append(fetch_frame(session, query, list(POSTING_COLUMNS)))
    found = pd.concat(frames, ignore_index=True)
    return found.astype({"occurrence": "int64", "amount": "int64"})
