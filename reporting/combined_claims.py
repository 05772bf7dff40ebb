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
OUTCOME_COLUMNS = (
    Column("payer"),
    Column("outcome", heading="Outcome"),
    Column("lines", Kind.INTEGER, "Number"),
    Column("amount", Kind.MONEY, "Amount claimed"),
)


def combined_claims(
    session: Session, contract_id: str, period_id: str, as_of: datetime | None = None
) -> Report:
    """Every payer's claim for `period_id` side by side, from each payer's own claim pack."""
    spec = active_spec(session, contract_id).spec
    packs = [claim_pack(session, contract_id, period_id, p.party, as_of) for p in spec.payers]
    claims, outcomes, lines = [], [], []
    for payer, pack in zip(spec.payers, packs, strict=True):
        cover = dict(pack.cover)
        theirs = pack.table("lines").frame
        position = pack.table("claim_position").frame
        left = position["left_after"].iloc[0] if len(position) else None
        committed = payer.commitment is not None
        claims.append(
            (
                payer.party,
                cover.get("Claim reference", ""),
                cover.get("Issued on", ""),
                cover.get("Due on", ""),
                len(theirs),
                int(theirs["amount"].sum()) if len(theirs) else 0,
                left if committed else None,
            )
        )
        for row in pack.table("claim_totals").frame.itertuples(index=False):
            if row.outcome != TOTAL_ROW:
                outcomes.append((payer.party, row.outcome, row.lines, row.amount))
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
        Table(
            "outcomes_by_payer",
            "Totals by outcome and payer",
            OUTCOME_COLUMNS,
            pd.DataFrame(outcomes, columns=[c.name for c in OUTCOME_COLUMNS], dtype="object"),
            f"each payer's totals by outcome ('{CHANGES_ROW}': what changed)",
        ),
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
