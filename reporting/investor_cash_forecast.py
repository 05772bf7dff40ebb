"""The investor statement's forecast tables (issue 14): the cash forecast quarter by quarter and
the waterfall step by step, from the central case's projected flows (plain values in, tables
out; money in integer minor units)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from contract_specs.model import ContractSpec, Investment
from ledger.domain.finance.flows import CashFlow, CashKind, Component
from reconciliation.periods import period_containing
from reporting.investor_tables import _table
from reporting.report import Column, Kind, Table

M, N = Kind.MONEY, Kind.INTEGER


def _future(projected: Sequence[CashFlow], flows: Sequence[CashFlow], day: date) -> list[CashFlow]:
    known = set(map(id, flows))
    return [f for f in projected if id(f) not in known and f.on > day]


def cash_forecast_table(
    spec: ContractSpec, projected: Sequence[CashFlow], flows: Sequence[CashFlow], day: date
) -> Table:
    """Per period after `day`: the capital still to draw, fees, costs, income expected, what
    the waterfall pays the investors, and the vehicle's cash at the period's end."""
    frequency = spec.contract.payment_frequency
    opening = sum(f.signed for f in flows if f.on <= day)
    by_period: dict[str, dict[str, int]] = {}
    for f in sorted(_future(projected, flows, day), key=lambda f: f.on):
        row = by_period.setdefault(
            period_containing(f.on, frequency).id,
            {"capital_drawn": 0, "outcome_income": 0, "fees_and_costs": 0, "distributions": 0},
        )
        if f.kind is CashKind.CAPITAL_DRAWN:
            row["capital_drawn"] += f.amount
        elif f.kind is CashKind.OUTCOME_INCOME:
            row["outcome_income"] += f.amount
        elif f.kind is CashKind.DISTRIBUTION:
            row["distributions"] += f.amount
        else:
            row["fees_and_costs"] += f.amount
    columns = (
        Column("period"), Column("capital_drawn", M), Column("outcome_income", M),
        Column("fees_and_costs", M), Column("distributions", M), Column("closing_cash", M),
    )  # fmt: skip
    rows, cash = [], opening
    for period, row in by_period.items():
        cash += (
            row["capital_drawn"]
            + row["outcome_income"]
            - row["fees_and_costs"]
            - row["distributions"]
        )
        rows.append({"period": period, **row, "closing_cash": cash})
    note = (
        "central case; capital still undrawn and fixed fees still unpaid in equal instalments "
        "to the last enrolment end; each receipt paid out through the waterfall the day it arrives"
    )
    return _table("cash_forecast", "Cash forecast by period (central case)", columns, rows, note)


def waterfall_table(
    investment: Investment, projected: Sequence[CashFlow], flows: Sequence[CashFlow], day: date
) -> Table:
    """The central case's forecast waterfall, step by step: what each step pays whom, in all."""
    ranks = {t.id: t.rank for t in investment.tranches}
    totals: dict[tuple[int, str, str, str], int] = {}
    for f in _future(projected, flows, day):
        if f.kind is CashKind.DISTRIBUTION:
            step = 3 if f.component == Component.UPSIDE else 2
            what = f"rank {ranks.get(f.tranche, 0)} {f.component}"
            key = (step, what, f.tranche, f.component)
        elif f.kind is CashKind.SERVICE_FEE and f.component != "fixed":
            key = (1, f"provider's {f.component} fee", f.party, f.component)
        else:
            continue
        totals[key] = totals.get(key, 0) + f.amount
    columns = (Column("step", N), Column("what"), Column("to"), Column("amount", M))
    order = {Component.RETURN.value: 0, Component.CAPITAL.value: 1}
    rows = [
        {"step": step, "what": what, "to": to, "amount": amount}
        for (step, what, to, component), amount in sorted(
            totals.items(), key=lambda kv: (kv[0][0], kv[0][1].split()[:2], order.get(kv[0][3], 2))
        )
    ]
    note = (
        "1: provider's deferred and outcome-linked fees; 2: return then capital, rank by rank; "
        "3: upside to equity"
    )
    return _table(
        "waterfall", "Forecast waterfall step by step (central case)", columns, rows, note
    )
