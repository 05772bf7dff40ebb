"""Planning a distribution on a date: the cash available, the fees due, the waterfall, and the
cash flows that carry it out (pure; `ledger.services.cash` stores them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from contract_specs.model import FeeKind, Investment, to_minor
from ledger.domain.finance.flows import CashFlow, CashKind, balance, total
from ledger.domain.finance.positions import positions
from ledger.domain.finance.waterfall import FeeDue, Waterfall, run_waterfall


def fees_due(
    investment: Investment, flows: Sequence[CashFlow], on: date, exponent: int
) -> list[FeeDue]:
    """What each deferred or outcome-linked fee is due on `on` (fixed fees are paid from
    capital as the service is delivered, outside the waterfall)."""
    known = [f for f in flows if f.on <= on]
    income = total(known, CashKind.OUTCOME_INCOME)
    found: dict[tuple[str, str], int] = {}
    for fee in investment.service_fees:
        if fee.kind is FeeKind.FIXED:
            continue
        if fee.kind is FeeKind.DEFERRED:
            owed = to_minor(fee.amount, exponent) if fee.amount is not None else 0
        else:
            # a share of all income so far, floored: a provider is never paid part of a penny
            share = Decimal(income) * (fee.percent or Decimal(0)) / 100
            owed = int(share.to_integral_value(rounding=ROUND_FLOOR))
        key = (fee.provider, fee.kind.value)
        found[key] = found.get(key, 0) + owed
    due = []
    for (provider, kind), owed in found.items():
        paid = total(known, CashKind.SERVICE_FEE, party=provider, component=kind)
        due.append(FeeDue(provider, kind, max(owed - paid, 0)))
    return due


def plan_distribution(
    investment: Investment,
    flows: Sequence[CashFlow],
    on: date,
    exponent: int,
    reserve: int = 0,
) -> tuple[Waterfall, list[CashFlow]]:
    """The waterfall of the cash on hand on `on` (less `reserve`, kept back for costs), and
    the cash flows paying it: one per tranche and component, one per fee."""
    cash = max(balance(flows, on) - reserve, 0)
    waterfall = run_waterfall(
        cash, positions(investment, flows, on), fees_due(investment, flows, on, exponent)
    )
    investors = {t.id: t.investor for t in investment.tranches}
    paid = [
        CashFlow(on, CashKind.SERVICE_FEE, p.amount, party=p.to, component=p.component)
        if p.is_fee
        else CashFlow(
            on,
            CashKind.DISTRIBUTION,
            p.amount,
            tranche=p.to,
            party=investors[p.to],
            component=p.component,
        )
        for p in waterfall.payments
    ]
    return waterfall, paid
