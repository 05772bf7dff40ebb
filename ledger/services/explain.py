"""Why was this paid, and why not? (SEMANTICS.md 6) for one participant of a contract.

Per metric: the postings made (amount, kind, period, run, the rule and spec version behind them),
the evidence behind them with every verification decision (who, when, why), and every evidence
row that counts for nothing with the engine's reason as of the cut-off.

Everything is what the ledger knew at the cut-off: postings made at or before it, evidence
submitted at or before it and the decisions made by then. A cut-off in the future is refused.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session, col

from contract_specs.model import ContractSpec, from_minor
from ledger.domain.entitlement import compute_entitlement
from ledger.domain.errors import UnknownParticipant
from ledger.services.contracts import active_spec, require_contract, spec_version, typed_spec
from ledger.services.cut_off import refuse_future
from ledger.services.facts import load_facts
from ledger.storage import keys
from ledger.storage.tables import Evidence, Participant, Posting, VerificationDecision, table_of


@dataclass(frozen=True)
class Decision:
    decision: str
    actor: str
    decided_at: datetime
    reason: str


@dataclass(frozen=True)
class EvidenceItem:
    evidence_id: str
    achieved_on: date
    evidence_type: str
    submitted_at: datetime
    submitted_by: str
    decisions: tuple[Decision, ...]
    not_payable: str  # "" when it counts; else the engine's reason and detail


@dataclass(frozen=True)
class PostingItem:
    posting_id: str
    period: str
    payer: str
    amount: Decimal
    kind: str
    occurrence: int
    reason: str
    evidence_ids: tuple[str, ...]
    spec_version: int
    rule: str  # the metric's name in that spec version
    run_id: str
    posted_at: datetime
    # what the engine decided when it was posted (None on postings made before they kept it)
    tariff: Decimal | None = None
    cut_by: str | None = None  # the cap that cut the line ("" when none did)
    cut_amount: Decimal | None = None  # by how much


@dataclass(frozen=True)
class MetricStory:
    metric: str
    name: str
    paid: Decimal  # the sum of the postings so far
    owed: Decimal  # the entitlement as of the cut-off: what the postings will come to
    postings: tuple[PostingItem, ...]
    evidence: tuple[EvidenceItem, ...]


@dataclass(frozen=True)
class Explanation:
    contract_id: str
    participant_id: str
    currency: str
    as_of: datetime
    metrics: tuple[MetricStory, ...]


def explain_participant(
    session: Session,
    contract_id: str,
    participant_id: str,
    as_of: datetime,
    *,
    payer: str | None = None,
) -> Explanation:
    """Everything the ledger can say about one participant's payments, as it knew them at
    `as_of` (CutOffInFuture when that is after now); with `payer`, only that payer's postings
    and share of what is owed (the evidence is the same for every payer)."""
    contract = require_contract(session, contract_id)
    as_of = refuse_future(as_of)
    exists = session.scalars(
        select(col(Participant.id)).where(
            col(Participant.contract_id) == contract_id,
            col(Participant.participant_id) == participant_id,
        )
    ).first()
    if exists is None:
        raise UnknownParticipant(contract_id, participant_id)
    current = active_spec(session, contract_id)
    exponent = current.spec.contract.exponent
    owed, unpaid = _entitlement(session, contract_id, participant_id, as_of, current.spec, payer)
    evidence = _evidence(session, contract_id, participant_id, unpaid, as_of)
    postings = _postings(session, contract_id, participant_id, exponent, as_of, payer)
    names = {m.id: m.name for m in current.spec.metrics}
    names.update({m.id: m.name for m in current.spec.measures})
    names.update({e.id: e.name for e in current.spec.events})
    metrics = sorted({*(e[0] for e in evidence), *(p[0] for p in postings), *owed})
    zero = from_minor(0, exponent)
    stories = tuple(
        MetricStory(
            metric=metric,
            name=names.get(metric, metric),
            paid=sum((p.amount for m, p in postings if m == metric), zero),
            owed=from_minor(owed.get(metric, 0), exponent),
            postings=tuple(p for m, p in postings if m == metric),
            evidence=tuple(e for m, e in evidence if m == metric),
        )
        for metric in metrics
    )
    return Explanation(contract_id, participant_id, contract.currency, as_of, stories)


def _entitlement(
    session: Session,
    contract_id: str,
    participant_id: str,
    as_of: datetime,
    spec: ContractSpec,
    payer: str | None,
) -> tuple[dict[str, int], dict[str, str]]:
    """What the participant is owed per metric (minor units; by `payer` only, when given),
    and why each row earns nothing."""
    # caps are shared across the contract, so the whole contract's entitlement is computed
    entitlement = compute_entitlement(spec, load_facts(session, contract_id, as_of, spec))
    lines = entitlement.lines
    mine = lines["participant_id"] == participant_id
    if payer is not None:
        mine &= lines["payer"] == payer
    owed = lines[mine].groupby("metric")["amount"].sum()
    frame = entitlement.not_payable
    mine = frame[frame["participant_id"] == participant_id]
    unpaid = {
        str(eid): f"{reason}: {detail}" if detail else str(reason)
        for eid, reason, detail in zip(
            mine["evidence_id"], mine["reason"], mine["detail"], strict=True
        )
    }
    return {str(metric): int(amount) for metric, amount in owed.items()}, unpaid


def _evidence(
    session: Session, contract_id: str, participant_id: str, unpaid: dict[str, str], as_of: datetime
) -> list[tuple[str, EvidenceItem]]:
    rows = session.scalars(
        select(Evidence)
        .where(
            col(Evidence.contract_id) == contract_id,
            col(Evidence.participant_id) == participant_id,
            col(Evidence.submitted_at) <= as_of,
        )
        .order_by(col(Evidence.achieved_on), col(Evidence.evidence_id))
    ).all()
    decisions = table_of(VerificationDecision)
    history: dict[int, list[Decision]] = {}
    if rows:
        found = session.connection().execute(
            select(
                decisions.c.evidence_pk,
                decisions.c.decision,
                decisions.c.actor,
                decisions.c.decided_at,
                decisions.c.reason,
            )
            .where(
                decisions.c.evidence_pk.in_([r.id for r in rows]), decisions.c.decided_at <= as_of
            )
            .order_by(decisions.c.decided_at, decisions.c.id)
        )
        for pk, decision, actor, at, reason in found:
            history.setdefault(pk, []).append(Decision(decision, actor, at, reason))
    return [
        (
            r.metric,
            EvidenceItem(
                r.evidence_id,
                r.achieved_on,
                r.evidence_type,
                r.submitted_at,
                r.submitted_by,
                tuple(history.get(r.id or 0, ())),
                unpaid.get(r.evidence_id, ""),
            ),
        )
        for r in rows
    ]


def _postings(
    session: Session,
    contract_id: str,
    participant_id: str,
    exponent: int,
    as_of: datetime,
    payer: str | None,
) -> list[tuple[str, PostingItem]]:
    query = select(Posting).where(
        col(Posting.contract_id) == contract_id,
        col(Posting.participant_id) == participant_id,
        col(Posting.posted_at) <= as_of,
    )
    if payer is not None:
        query = query.where(col(Posting.payer) == payer)
    rows = session.scalars(query.order_by(col(Posting.posted_at), col(Posting.id))).all()
    rules: dict[tuple[int, str], str] = {}
    for r in rows:
        if (r.spec_version, r.metric) not in rules:
            spec = typed_spec(spec_version(session, contract_id, r.spec_version))
            names = {m.id: m.name for m in spec.metrics}
            rules[(r.spec_version, r.metric)] = names.get(r.metric, r.metric)
    return [
        (
            r.metric,
            PostingItem(
                r.posting_id,
                r.period,
                r.payer,
                from_minor(r.amount, exponent),
                r.kind,
                r.occurrence,
                r.reason,
                tuple(filter(None, r.evidence_ids.split(";"))),
                r.spec_version,
                rules[(r.spec_version, r.metric)],
                r.run_id,
                r.posted_at,
                _money(r.tariff, exponent),
                r.cut_by,
                _money(r.cut_amount, exponent),
            ),
        )
        for r in rows
    ]


def _money(minor: int | None, exponent: int) -> Decimal | None:
    return None if minor is None else from_minor(minor, exponent)


def as_seen_by(explanation: Explanation, provider: str) -> Explanation:
    """The explanation as `provider` reads it: its own ids as its case system wrote them."""
    local = functools.partial(keys.local_text, provider=provider)
    return dataclasses.replace(
        explanation,
        participant_id=local(explanation.participant_id),
        metrics=tuple(
            dataclasses.replace(
                story,
                postings=tuple(
                    dataclasses.replace(
                        p,
                        reason=local(p.reason),
                        evidence_ids=tuple(local(e) for e in p.evidence_ids),
                    )
                    for p in story.postings
                ),
                evidence=tuple(
                    dataclasses.replace(
                        e, evidence_id=local(e.evidence_id), not_payable=local(e.not_payable)
                    )
                    for e in story.evidence
                ),
            )
            for story in explanation.metrics
        ),
    )


def render(explanation: Explanation) -> list[str]:
    """The explanation as lines of text for the CLI."""
    out = [
        f"{explanation.participant_id} in {explanation.contract_id}, "
        f"as of {explanation.as_of:%Y-%m-%d %H:%M} UTC: what the ledger knew then (postings "
        "made, evidence submitted and decisions made by then)"
    ]
    if not explanation.metrics:
        out.append("  no evidence and no postings")
    for story in explanation.metrics:
        heading = f"{story.metric} ({story.name}): paid {story.paid} {explanation.currency}"
        if story.owed != story.paid:
            # SEMANTICS 6: what will be owed if nothing else changes
            heading += f"; owed now {story.owed}, {story.owed - story.paid} to post at the next run"
        out.append(heading)
        for p in story.postings:
            decided = "" if p.tariff is None else f", tariff {p.tariff}"
            if p.cut_by:
                decided += f", cut by {p.cut_by} by {p.cut_amount}"
            out.append(
                f"  posting {p.posting_id} {p.period} {p.kind} {p.payer} {p.amount} "
                f"(occurrence {p.occurrence}; rule '{p.rule}'{decided}, spec v{p.spec_version}; "
                f"run {p.run_id} at {p.posted_at:%Y-%m-%d %H:%M}): {p.reason}"
            )
            if p.evidence_ids:
                out.append(f"    from evidence {', '.join(p.evidence_ids)}")
        for e in story.evidence:
            out.append(
                f"  evidence {e.evidence_id} achieved {e.achieved_on} "
                f"({e.evidence_type or 'no type'}), submitted by {e.submitted_by} "
                f"at {e.submitted_at:%Y-%m-%d %H:%M}"
            )
            for d in e.decisions:
                why = f": {d.reason}" if d.reason else ""
                out.append(f"    {d.decision} by {d.actor} at {d.decided_at:%Y-%m-%d %H:%M}{why}")
            if e.not_payable:
                out.append(f"    not paid: {e.not_payable}")
    return out
