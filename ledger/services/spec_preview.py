"""What a new spec version would change in money, before it is loaded (`contract preview`).

The engine computes the entitlement twice against the same facts as of now: under the version
in force and under the new spec. The difference is given per payer and period (the period an
outcome is achieved in, the one reconciliation posts it in), per metric, and line by line (a
line is one participant's occurrence of a metric for one payer). Reads only: the caller opens a
read-only session, so nothing is written (no version, posting or audit entry).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
from sqlmodel import Session

from contract_specs.model import ContractSpec, from_minor
from ledger.domain.entitlement import compute_entitlement
from ledger.domain.errors import LedgerError
from ledger.domain.periods import period_containing
from ledger.services.contracts import active_spec
from ledger.services.facts import load_facts, utc

KEY = ("participant_id", "metric", "occurrence", "payer")


class PreviewRefused(LedgerError):
    """The new spec is for another contract than the one previewed."""


@dataclass(frozen=True)
class Change:
    """Money under the version in force (`before`) and under the new spec (`after`)."""

    before: Decimal
    after: Decimal

    @property
    def change(self) -> Decimal:
        return self.after - self.before


@dataclass(frozen=True)
class PayerPeriodChange(Change):
    payer: str
    period: str


@dataclass(frozen=True)
class MetricChange(Change):
    metric: str


@dataclass(frozen=True)
class LineChange(Change):
    participant_id: str
    metric: str
    occurrence: int
    payer: str
    period: str
    achieved_on: date


@dataclass(frozen=True)
class Preview:
    contract_id: str
    version_in_force: int
    new_hash: str
    as_of: datetime
    currency: str
    total: Change
    by_payer_period: tuple[PayerPeriodChange, ...]
    by_metric: tuple[MetricChange, ...]
    lines: tuple[LineChange, ...]


def _lines(spec: ContractSpec, session: Session, contract_id: str, as_of: datetime) -> pd.DataFrame:
    facts = load_facts(session, contract_id, as_of, spec)
    lines = compute_entitlement(spec, facts, not_payable=False).lines
    frame = pd.DataFrame(
        {
            "participant_id": lines["participant_id"].astype(str),
            "metric": lines["metric"].astype(str),
            "occurrence": lines["occurrence"].astype("int64"),
            "payer": lines["payer"].astype(str),
            "achieved_on": pd.to_datetime(lines["achieved_on"]).dt.date,
            "amount": lines["amount"].astype("int64"),
        }
    )
    # one line per key: a key is paid once per payer
    return frame.groupby(list(KEY), as_index=False).agg(
        achieved_on=("achieved_on", "first"), amount=("amount", "sum")
    )


def preview_spec(session: Session, contract_id: str, new: ContractSpec, as_of: datetime) -> Preview:
    """The money `new` would change against the contract's facts as of `as_of` (pure reads)."""
    if new.contract.id != contract_id:
        raise PreviewRefused(
            f"the new spec is for contract {new.contract.id!r}, not {contract_id!r}: "
            f"preview it against {new.contract.id!r}"
        )
    as_of = utc(as_of)
    current = active_spec(session, contract_id)
    before = _lines(current.spec, session, contract_id, as_of)
    after = _lines(new, session, contract_id, as_of)
    both = before.merge(after, on=list(KEY), how="outer", suffixes=("_before", "_after"))
    both["before"] = both["amount_before"].fillna(0).astype("int64")
    both["after"] = both["amount_after"].fillna(0).astype("int64")
    both["achieved_on"] = both["achieved_on_after"].where(
        both["achieved_on_after"].notna(), both["achieved_on_before"]
    )
    frequency = new.contract.payment_frequency
    both["period"] = [period_containing(day, frequency).id for day in both["achieved_on"]]
    exponent = new.contract.exponent

    def money(minor: object) -> Decimal:
        return from_minor(int(minor), exponent)  # type: ignore[call-overload]

    def sums(by: list[str]) -> pd.DataFrame:
        return both.groupby(by, as_index=False)[["before", "after"]].sum().sort_values(by)

    moved = both[both["before"] != both["after"]].sort_values(
        ["achieved_on", "metric", "participant_id", "occurrence", "payer"]
    )
    return Preview(
        contract_id=contract_id,
        version_in_force=current.version,
        new_hash=new.content_hash,
        as_of=as_of,
        currency=new.contract.currency,
        total=Change(money(both["before"].sum()), money(both["after"].sum())),
        by_payer_period=tuple(
            PayerPeriodChange(money(r.before), money(r.after), str(r.payer), str(r.period))
            for r in sums(["payer", "period"]).itertuples()
        ),
        by_metric=tuple(
            MetricChange(money(r.before), money(r.after), str(r.metric))
            for r in sums(["metric"]).itertuples()
        ),
        lines=tuple(
            LineChange(
                money(r.before),
                money(r.after),
                str(r.participant_id),
                str(r.metric),
                int(r.occurrence),
                str(r.payer),
                str(r.period),
                r.achieved_on,
            )
            for r in moved.itertuples()
        ),
    )


def preview_document(preview: Preview) -> dict[str, object]:
    """The preview as JSON data: amounts as decimal strings, only what changes."""

    def amounts(change: Change) -> dict[str, str]:
        return {
            "before": str(change.before),
            "after": str(change.after),
            "change": str(change.change),
        }

    return {
        "contract_id": preview.contract_id,
        "version_in_force": preview.version_in_force,
        "new_hash": preview.new_hash,
        "as_of": preview.as_of.isoformat(),
        "currency": preview.currency,
        "total": amounts(preview.total),
        "by_payer_period": [
            {"payer": c.payer, "period": c.period, **amounts(c)}
            for c in preview.by_payer_period
            if c.change
        ],
        "by_metric": [{"metric": c.metric, **amounts(c)} for c in preview.by_metric if c.change],
        "lines": [
            {
                "participant_id": c.participant_id,
                "metric": c.metric,
                "occurrence": c.occurrence,
                "payer": c.payer,
                "period": c.period,
                "achieved_on": c.achieved_on.isoformat(),
                **amounts(c),
            }
            for c in preview.lines
        ],
    }


def render_preview(preview: Preview) -> list[str]:
    """The preview as terminal lines: totals, then per payer and period, per metric, lines."""
    doc = preview_document(preview)
    cur = preview.currency
    out = [
        f"{preview.contract_id}: new spec {preview.new_hash[:12]} against version "
        f"{preview.version_in_force} in force, facts as of {preview.as_of:%Y-%m-%d %H:%M} UTC",
        f"total owed: {preview.total.before} -> {preview.total.after} {cur} "
        f"(change {preview.total.change:+})",
    ]
    if not preview.lines:
        out.append("no money changes")
        return out
    out.append("by payer and period:")
    for c in preview.by_payer_period:
        if c.change:
            out.append(
                f"  {c.payer:<20} {c.period:<8} {c.before:>14} -> {c.after:>14} {c.change:>+14}"
            )
    out.append("by metric:")
    for m in preview.by_metric:
        if m.change:
            out.append(f"  {m.metric:<29} {m.before:>14} -> {m.after:>14} {m.change:>+14}")
    out.append(f"lines that move ({len(doc['lines'])}):")  # type: ignore[arg-type]
    for line in preview.lines:
        out.append(
            f"  {line.participant_id} {line.metric} #{line.occurrence} {line.payer} "
            f"{line.period} ({line.achieved_on}): {line.before} -> {line.after} "
            f"({line.change:+})"
        )
    return out
