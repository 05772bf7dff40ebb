"""A payer's position for a period: the claim, what was paid and received, what is left. Pure.

All sums are integer minor units over the postings made up to the report's cut-off, so the
summary agrees with the ledger to the penny: the claim is the sum of the payer's postings in
the period (SEMANTICS.md 5), to date is every period up to and including this one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from contract_specs.model import ContractSpec, to_minor
from reconciliation.matching import Claim, Matching, Remittance
from reconciliation.periods import Period, parse_period
from reporting.report import Column, Kind, Table

ADJUSTMENT = "adjustment"

SUMMARY_COLUMNS = (Column("item"), Column("amount", Kind.MONEY), Column("note"))
BY_PERIOD_COLUMNS = (
    Column("period"),
    Column("claimed", Kind.MONEY),
    Column("cumulative", Kind.MONEY),
    Column("limit", Kind.MONEY),
)
RECEIVED_COLUMNS = (
    Column("remittance_id"),
    Column("received_on", Kind.DATE),
    Column("amount", Kind.MONEY),
    Column("reference"),
    Column("status"),
    Column("matched_as"),
    Column("claims"),
    Column("detail"),
)


@dataclass(frozen=True)
class MoneyIn:
    """What reconciliation knows about money from the payer: its claims, the remittances, how
    they matched and the period's verdict. `known` is False until reconciliation records any."""

    claims: Sequence[Claim] = ()
    remittances: Sequence[Remittance] = ()
    matching: Matching | None = None
    verdict: str = ""
    known: bool = False


def _upto(postings: pd.DataFrame, spec: ContractSpec, period: Period) -> pd.Series:
    frequency = spec.contract.payment_frequency
    return postings["period"].map(lambda p: parse_period(str(p), frequency) <= period)


def payer_summary(
    spec: ContractSpec, postings: pd.DataFrame, payer: str, period: Period, money: MoneyIn
) -> Table:
    """The summary lines of the payer's report for `period`."""
    exponent = spec.contract.exponent
    theirs = postings[postings["payer"] == payer]
    upto = theirs[_upto(theirs, spec, period)] if len(theirs) else theirs
    now = theirs[theirs["period"] == period.id]
    claim = int(now["amount"].sum())
    adjustments = int(now.loc[now["kind"] == ADJUSTMENT, "amount"].sum())
    to_date = int(upto["amount"].sum())
    rows: list[tuple[str, int | None, str]] = [
        ("Claim this period", claim, f"the sum of {len(now)} lines"),
        ("of which outcome payments", claim - adjustments, ""),
        ("of which adjustments", adjustments, "corrections to earlier periods, + or -"),
        ("Claimed to date", to_date, f"every period up to and including {period.id}"),
    ]
    recorded = [c for c in money.claims if c.payer == payer and c.period == period.id]
    if recorded:
        on_claims = sum(c.amount for c in recorded)
        agrees = "agrees with the lines" if on_claims == claim else "DIFFERS from the lines"
        rows.append(("Claimed on claim documents", on_claims, agrees))
    if money.known:
        received = sum(r.amount for r in money.remittances if r.payer == payer)
        rows.append(("Money received to date", received, "remittances recorded"))
        rows.append(("Outstanding", to_date - received, "claimed to date minus received"))
    else:
        note = "no remittances recorded yet: reconciliation records them"
        rows.append(("Money received to date", None, note))
        rows.append(("Outstanding", None, note))
    commitment = next((p.commitment for p in spec.payers if p.party == payer), None)
    if commitment is not None:
        limit = to_minor(commitment, exponent)
        rows.append(("Commitment", limit, f"the most {payer} will ever pay"))
        rows.append(("Commitment remaining", limit - to_date, "commitment minus claimed to date"))
    everyone = postings[_upto(postings, spec, period)] if len(postings) else postings
    if spec.caps.contract is not None:
        cap = to_minor(spec.caps.contract, exponent)
        used = int(everyone["amount"].sum())
        rows.append(("Contract cap remaining", cap - used, "all payers' claims to date"))
    for metric in spec.metrics:
        if metric.caps.amount is not None:
            cap = to_minor(metric.caps.amount, exponent)
            used = int(everyone.loc[everyone["metric"] == metric.id, "amount"].sum())
            rows.append((f"Cap remaining: {metric.id}", cap - used, "all payers' claims to date"))
    verdict = money.verdict or "not reconciled yet: no reconcile run has recorded a verdict"
    rows.append(("Verdict", None, verdict))
    frame = pd.DataFrame(rows, columns=[c.name for c in SUMMARY_COLUMNS], dtype="object")
    return Table("summary", "Summary", SUMMARY_COLUMNS, frame, "the payer's position")


def payments_by_period(
    spec: ContractSpec, postings: pd.DataFrame, payer: str, period: Period
) -> Table:
    """Per period up to `period`: the payer's claim, its running total and the limit it runs
    against (its commitment, else the contract cap, else none)."""
    frequency = spec.contract.payment_frequency
    theirs = postings[postings["payer"] == payer]
    sums = theirs.groupby("period")["amount"].sum()
    commitment = next((p.commitment for p in spec.payers if p.party == payer), None)
    limit_amount = commitment if commitment is not None else spec.caps.contract
    limit = None if limit_amount is None else to_minor(limit_amount, spec.contract.exponent)
    first = min(
        [parse_period(str(p), frequency) for p in sums.index] + [period],
    )
    rows = []
    running = 0
    current = first
    while current <= period:
        claimed = int(sums.get(current.id, 0))
        running += claimed
        rows.append((current.id, claimed, running, limit))
        current = current.next()
    frame = pd.DataFrame(rows, columns=[c.name for c in BY_PERIOD_COLUMNS], dtype="object")
    return Table(
        "payments_by_period",
        "Payments by period",
        BY_PERIOD_COLUMNS,
        frame,
        "the payer's claims period by period, cumulative, against its limit",
    )


def money_received(money: MoneyIn, payer: str) -> Table:
    """The payer's remittances and how each matched its claims."""
    references = {c.key: c.reference for c in money.claims}
    rows = []
    for remittance in sorted(
        (r for r in money.remittances if r.payer == payer),
        key=lambda r: (r.received_on, r.remittance_id),
    ):
        found = money.matching.of_remittance(remittance.remittance_id) if money.matching else None
        rows.append(
            (
                remittance.remittance_id,
                remittance.received_on,
                remittance.amount,
                remittance.reference,
                found.status.value if found else "",
                found.kind.value if found else "",
                "; ".join(references.get(k, f"{k[1]}#{k[2]}") for k in found.claims)
                if found
                else "",
                found.detail if found else "",
            )
        )
    frame = pd.DataFrame(rows, columns=[c.name for c in RECEIVED_COLUMNS], dtype="object")
    note = "money received and how each remittance matched the claims"
    if not money.known:
        note += " (none recorded yet)"
    return Table("received", "Money received", RECEIVED_COLUMNS, frame, note)
