"""The intermediary's view of a period's claims across every payer (issue 14).

One claim pack per payer (reporting.claim_pack), put side by side: each payer's claim with its
reference, days, amount and what is left of its commitment; the totals by outcome per payer;
and every payer's lines in one table with the payer named. The figures are each pack's own, so
they agree with what each payer was sent.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pandas as pd
from sqlmodel import Session

from ledger.services.contracts import active_spec
from reporting.claim_headings import in_words
from reporting.claim_pack import claim_pack
from reporting.claim_totals import CHANGES_ROW, TOTAL_ROW
from reporting.report import Column, Kind, Report, Table

BY_PAYER_COLUMNS = (
    Column("payer"),
    Column("claim_reference"),
    Column("issued_on"),
    Column("due_on"),
    Column("lines", Kind.INTEGER, "Lines"),
    Column("amount", Kind.MONEY, "Amount claimed"),
    Column("commitment_left", Kind.MONEY, "Commitment left after"),
)
TOTAL_OUTCOME = "Total: every payer's claims"


def _n(value: object) -> int:
    """A count or an amount of a row, 0 where the payer has none."""
    return value if isinstance(value, int) else 0


def outcomes_by_payer(totals: dict[str, pd.DataFrame], names: dict[str, str]) -> Table:
    """One row per outcome, each payer's number and amount side by side, and the total (each
    payer's own totals by outcome, with its 'Changes to earlier claims' row)."""
    payers = list(totals)
    columns = [Column("outcome", heading="Outcome")]
    for payer in payers:
        columns.append(Column(f"{payer}_lines", Kind.INTEGER, f"{names[payer]}: number"))
        columns.append(Column(f"{payer}_amount", Kind.MONEY, f"{names[payer]}: amount"))
    columns.append(Column("amount", Kind.MONEY, "Amount claimed"))
    rows: dict[str, dict[str, object]] = {}
    for payer, frame in totals.items():
        for row in frame.itertuples(index=False):
            if row.outcome == TOTAL_ROW:
                continue
            found = rows.setdefault(str(row.outcome), {"outcome": row.outcome, "amount": 0})
            found[f"{payer}_lines"] = _n(found.get(f"{payer}_lines")) + int(row.lines)
            found[f"{payer}_amount"] = _n(found.get(f"{payer}_amount")) + int(row.amount)
            found["amount"] = _n(found["amount"]) + int(row.amount)
    ordered = sorted(rows.values(), key=lambda r: r["outcome"] == CHANGES_ROW)
    total: dict[str, object] = {"outcome": TOTAL_OUTCOME}
    for name in [c.name for c in columns[1:]]:
        total[name] = sum(_n(r.get(name)) for r in ordered)
    frame = pd.DataFrame([*ordered, total], columns=[c.name for c in columns], dtype="object")
    return Table(
        "outcomes_by_payer",
        "Totals by outcome, payer by payer",
        tuple(columns),
        frame.astype("object").where(frame.notna(), None),
        "each payer's own totals side by side",
    )


def combined_claims(
    session: Session, contract_id: str, period_id: str, as_of: datetime | None = None
) -> Report:
    """Every payer's claim for `period_id` side by side, from each payer's own claim pack."""
    spec = active_spec(session, contract_id).spec
    packs = [claim_pack(session, contract_id, period_id, p.party, as_of) for p in spec.payers]
    claims, lines = [], []
    outcomes: dict[str, pd.DataFrame] = {}
    for payer, pack in zip(spec.payers, packs, strict=True):
        cover = dict(pack.cover)
        theirs = pack.table("lines").frame
        position = pack.table("claim_position").frame
        left = position["left_after"].iloc[0] if len(position) else None
        committed = payer.commitment is not None
        claims.append(
            (
                payer.party,
                cover["Claim reference"] if "Issued on" in cover else "",  # issued ones only
                cover.get("Issued on", ""),
                cover.get("Due on", ""),
                len(theirs),
                int(theirs["amount"].sum()) if len(theirs) else 0,
                left if committed else None,
            )
        )
        outcomes[payer.party] = pack.table("claim_totals").frame
        lines.append(theirs.assign(payer=payer.party))
    first = packs[0]
    line_table = first.table("lines")
    every = pd.concat(lines, ignore_index=True) if lines else line_table.frame
    every = every[["payer", *line_table.column_names]]
    tables = (
        Table(
            "claims_by_payer",
            "Claims by payer",
            BY_PAYER_COLUMNS,
            pd.DataFrame(claims, columns=[c.name for c in BY_PAYER_COLUMNS], dtype="object"),
            "each payer's claim for the period, as it was sent",
        ),
        outcomes_by_payer(outcomes, {p.party: p.party for p in spec.payers}),
        replace(line_table, columns=(Column("payer"), *line_table.columns), frame=every),
    )
    references = "; ".join(str(c[1]) for c in claims if c[1])
    return replace(
        first,
        title=f"Claims for {period_id}, every payer: {spec.contract.name}",
        cover=tuple(
            (label, value)
            for label, value in first.cover
            if label in ("Period", "Payee", "Contract", "Cut-off", "Spec version", "Currency")
        ),
        tables=tuple(in_words(t) for t in tables),
        front=("claims_by_payer", "outcomes_by_payer"),
        reference=references or f"no claims issued yet for {period_id}",
    )
