"""A claim's totals by metric: number x tariff = value, the payer's share, what the caps cut,
the amount claimed; adding up to the claim. Pure, over the payment report's lines.

A payer checks a claim by outcome before it checks lines: "15 six-month sustainments at
1,500.00, our 90% is 20,250.00, all paid" is what it signs. The share of each line is the
engine's exact split (floors, leftover pennies in the spec's payer order), so a line paid in
full shows no cut at all, and a line cut by a cap shows exactly what was cut.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from contract_specs.model import ContractSpec
from ledger.domain.entitlement.dates import day_number
from ledger.domain.entitlement.shares import share_ids, share_table, split
from ledger.services.postings import OUTCOME_PAYMENT
from reporting.report import Column, Kind, Table, as_date, percent

TOTALS_COLUMNS = (
    Column("outcome", heading="Outcome"),
    Column("metric", heading="Metric id"),
    Column("lines", Kind.INTEGER, "Number"),
    Column("tariff", Kind.MONEY, "Tariff"),
    Column("at_tariff", Kind.MONEY, "Number x tariff"),
    Column("share", Kind.PERCENT, "Payer's share"),
    Column("payer_share", Kind.MONEY, "Share of value"),
    Column("cut", Kind.MONEY, "Cut by caps"),
    Column("lines_cut", Kind.INTEGER, "Lines cut"),
    Column("amount", Kind.MONEY, "Amount claimed"),
)
CHANGES_ROW = "Changes to earlier claims"
TOTAL_ROW = "Total: the claim"


def payer_part(
    spec: ContractSpec, payer: str, metric: str, day: date, amount: int
) -> tuple[int, str] | None:
    """The payer's part of `amount` for `metric` achieved on `day` by the share map in force
    (the engine's exact split) and its share in percent ("90.0"); None when the payer is not
    one of the spec's or the metric is unknown."""
    table = share_table(spec)
    if payer not in table.payers:
        return None
    try:
        position = spec.metric_position(metric)
    except ValueError:
        return None
    found = share_ids(spec, table, np.array([position]), np.array([day_number(day)]))
    numerators = table.numerators[int(found[0])]
    parts = split(np.array([amount], dtype=np.int64), numerators[None, :], table.denominator)
    column = table.payers.index(payer)
    return int(parts[0, column]), percent(int(numerators[column]), table.denominator)


def _priced_by_tariff(spec: ContractSpec, metric: str) -> bool:
    """Whether a line's value is its tariff alone (not a quantity times a unit price)."""
    try:
        found = spec.metric(metric)
    except KeyError:
        return False
    return found.per_unit is None and found.scale is None


@dataclass
class _Group:
    lines: int = 0
    amount: int = 0
    shared: int = 0
    cut_lines: int = 0
    share: str | None = None  # None: not priced by its tariff alone (a quantity, no date)


def claim_totals(
    lines: pd.DataFrame, payer: str, spec_of: Callable[[int], ContractSpec], spec: ContractSpec
) -> Table:
    """One row per metric and tariff of the first payments, one for the changes to earlier
    claims, and the total, which is the claim (the sum of the lines)."""
    names = {m.id: m.name for m in spec.metrics} | {m.id: m.name for m in spec.cohort_metrics}
    groups: dict[tuple[str, int | None], _Group] = {}
    parts: dict[tuple[int, str, date, int], tuple[int, str] | None] = {}
    changes = _Group()
    for line in lines.itertuples(index=False):
        amount = int(line.amount)
        if line.kind != OUTCOME_PAYMENT:
            changes.lines += 1
            changes.amount += amount
            continue
        tariff = None if pd.isna(line.tariff) else int(line.tariff)
        day = as_date(line.achieved_on)
        version = spec_of(int(line.spec_version))
        share: tuple[int, str] | None = None
        if tariff is not None and day is not None and _priced_by_tariff(version, line.metric):
            known = (int(line.spec_version), str(line.metric), day, tariff)
            if known not in parts:
                parts[known] = payer_part(version, payer, str(line.metric), day, tariff)
            share = parts[known]
        group = groups.setdefault((str(line.metric), tariff if share else None), _Group())
        group.lines += 1
        group.amount += amount
        if share is not None:
            group.shared += share[0]
            group.cut_lines += 1 if amount < share[0] else 0
            group.share = share[1]
    order = {m: i for i, m in enumerate(names)}
    rows: list[dict[str, object]] = []
    for (metric, tariff), group in sorted(
        groups.items(), key=lambda item: (order.get(item[0][0], len(order)), item[0][1] or 0)
    ):
        priced = tariff is not None and group.share is not None
        rows.append(
            {
                "outcome": names.get(metric, metric),
                "metric": metric,
                "lines": group.lines,
                "tariff": tariff,
                "at_tariff": group.lines * tariff if priced and tariff is not None else None,
                "share": group.share if priced else None,
                "payer_share": group.shared if priced else None,
                "cut": group.shared - group.amount if priced else None,
                "lines_cut": group.cut_lines if priced else None,
                "amount": group.amount,
            }
        )
    claimed = list(rows)
    if changes.lines:
        rows.append({"outcome": CHANGES_ROW, "lines": changes.lines, "amount": changes.amount})
    rows.append(
        {
            "outcome": TOTAL_ROW,
            "lines": len(lines),
            "at_tariff": _sum(claimed, "at_tariff"),
            "payer_share": _sum(claimed, "payer_share"),
            "cut": _sum(claimed, "cut"),
            "lines_cut": _sum(claimed, "lines_cut"),
            "amount": int(lines["amount"].sum()) if len(lines) else 0,
        }
    )
    frame = pd.DataFrame(rows, columns=[c.name for c in TOTALS_COLUMNS], dtype="object")
    return Table(
        "claim_totals",
        "Totals by outcome",
        TOTALS_COLUMNS,
        frame.astype("object").where(frame.notna(), None),
        "number x tariff, the payer's share, what the caps cut: adding up to the claim",
    )


def _sum(rows: list[dict[str, object]], name: str) -> int | None:
    values = [v for r in rows if isinstance(v := r.get(name), int)]
    return sum(values) if values else None
