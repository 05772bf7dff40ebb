"""The limits a claim runs against, before and after it: the payer's commitment, the contract
cap and each outcome's amount cap. Pure, over what was posted by the report's cut-off
(per period, payer and metric: claim_sources.posted_sums).

"Before" is everything claimed in the periods before this one; "after" adds this period's
claims (the payer's own for its commitment, every payer's for the caps, which all payers
share). So "left after" is what can still be claimed once this claim is paid.
"""

from __future__ import annotations

import pandas as pd

from contract_specs.model import ContractSpec, to_minor
from reconciliation.periods import Period, parse_period
from reporting.report import Column, Kind, Table

POSITION_COLUMNS = (
    Column("limit", heading="Limit"),
    Column("amount", Kind.MONEY, "Limit amount"),
    Column("used_before", Kind.MONEY, "Claimed before"),
    Column("this_claim", Kind.MONEY, "This period"),
    Column("used_after", Kind.MONEY, "Claimed after"),
    Column("left_before", Kind.MONEY, "Left before"),
    Column("left_after", Kind.MONEY, "Left after"),
)


def claim_position(spec: ContractSpec, postings: pd.DataFrame, payer: str, period: Period) -> Table:
    """One row per limit: its amount, claimed before this period, in it, and what is left."""
    frequency = spec.contract.payment_frequency
    exponent = spec.contract.exponent
    periods = {p: parse_period(str(p), frequency) for p in postings["period"].unique()}
    when = postings["period"].map(lambda p: periods[p])
    before = postings[(when < period).to_numpy(dtype=bool)] if len(postings) else postings
    now = postings[postings["period"] == period.id]
    rows = []

    def row(name: str, limit: int, earlier: pd.DataFrame, current: pd.DataFrame) -> None:
        used, claim = int(earlier["amount"].sum()), int(current["amount"].sum())
        rows.append((name, limit, used, claim, used + claim, limit - used, limit - used - claim))

    commitment = next((p.commitment for p in spec.payers if p.party == payer), None)
    if commitment is not None:
        row(
            f"{spec.party(payer).name}'s commitment",
            to_minor(commitment, exponent),
            before[before["payer"] == payer],
            now[now["payer"] == payer],
        )
    if spec.caps.contract is not None:
        row("Contract cap (all payers)", to_minor(spec.caps.contract, exponent), before, now)
    for metric in spec.metrics:
        if metric.caps.amount is not None:
            row(
                f"Amount cap: {metric.name} (all payers)",
                to_minor(metric.caps.amount, exponent),
                before[before["metric"] == metric.id],
                now[now["metric"] == metric.id],
            )
    frame = pd.DataFrame(rows, columns=[c.name for c in POSITION_COLUMNS], dtype="object")
    return Table(
        "claim_position",
        "The commitment and the caps, before and after this claim",
        POSITION_COLUMNS,
        frame,
        "what was claimed before this period, in it, and what is left to claim",
    )
