"""What a forecast case implies for the investors: the capital still to be drawn and the fixed
fees still to be paid (on `draw_days`), its income received as forecast, each receipt paid out
through the waterfall on the day it arrives, and the returns that gives."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from contract_specs.model import Investment, to_minor
from ledger.domain.finance.distribute import plan_distribution
from ledger.domain.finance.flows import CashFlow, CashKind
from ledger.domain.finance.forecast_caps import ForecastCase
from ledger.domain.finance.future_draws import future_draws_and_fees
from ledger.domain.finance.returns import Returns, returns_of


def projected_flows(
    investment: Investment,
    flows: Sequence[CashFlow],
    case: ForecastCase,
    exponent: int,
    draw_days: Sequence[date] = (),
) -> list[CashFlow]:
    """The vehicle's flows so far, the draws and fixed fees still to come, the case's income
    and the distributions it pays."""
    projected = list(flows) + future_draws_and_fees(investment, flows, draw_days, exponent)
    projected += [
        CashFlow(i.on, CashKind.OUTCOME_INCOME, i.amount, party=i.payer, reference="forecast")
        for i in case.income
    ]
    for day in sorted({i.on for i in case.income}):
        projected += plan_distribution(investment, projected, day, exponent)[1]
    return projected


def implied_returns(
    investment: Investment,
    flows: Sequence[CashFlow],
    case: ForecastCase,
    exponent: int,
    on: date,
    draw_days: Sequence[date],
) -> Returns:
    """Overall returns of the vehicle's investors if the case comes true (to its last day),
    the rest of the capital drawn and the fixed fees paid on `draw_days`."""
    projected = projected_flows(investment, flows, case, exponent, draw_days)
    end = max([on, *(f.on for f in projected)])
    committed = sum(to_minor(t.commitment, exponent) for t in investment.tranches)
    every = [t.id for t in investment.tranches]
    return returns_of(case.case, "", committed, every, projected, end)
