"""The forecast's implied returns count every future flow: capital still to be drawn and fixed
fees still to be paid, as well as the income and the waterfall it pays (issue 14)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from contract_specs.model import FeeKind, Investment, ServiceFee, Tranche, TrancheKind
from ledger.domain.finance.flows import CashFlow, CashKind
from ledger.domain.finance.forecast_caps import ForecastCase, Income
from ledger.domain.finance.projection import implied_returns

DRAW_DAY = date(2020, 7, 1)
INCOME_DAY = date(2021, 1, 1)


def _vehicle(fee: str) -> Investment:
    equity = Tranche("eq", TrancheKind.EQUITY, "fund", Decimal("1000.00"), rank=1)
    return Investment("vehicle", (equity,), (ServiceFee("acme", FeeKind.FIXED, Decimal(fee)),))


SO_FAR = [
    CashFlow(date(2020, 1, 1), CashKind.CAPITAL_DRAWN, 50000, tranche="eq", party="fund"),
    CashFlow(date(2020, 1, 1), CashKind.SERVICE_FEE, 40000, party="acme", component="fixed"),
]
CASE = ForecastCase("central", (Income(INCOME_DAY, "council", "m", 150000),))


def _hand_xirr(flows: list[tuple[date, int]]) -> float:
    """XIRR by bisection on the NPV written out here (actual/365), independent of the product."""
    first = flows[0][0]

    def npv(rate: float) -> float:
        return float(sum(a / (1 + rate) ** ((d - first).days / 365) for d, a in flows))

    lo, hi = -0.99, 10.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if (npv(mid) > 0) == (npv(lo) > 0):
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def test_the_implied_irr_counts_the_capital_still_to_draw_and_the_fees_still_to_pay() -> None:
    # half of 1000.00 drawn, 400.00 of an 800.00 fixed fee paid; the rest of both on DRAW_DAY;
    # 1500.00 of income on INCOME_DAY: cash 100 + 100 + 1500 = 1700.00, all to the equity
    got = implied_returns(_vehicle("800.00"), SO_FAR, CASE, 2, date(2020, 3, 31), [DRAW_DAY])
    investor = [(date(2020, 1, 1), -50000), (DRAW_DAY, -50000), (INCOME_DAY, 170000)]
    assert got.drawn == 100000
    assert got.distributed == 170000
    assert got.money_multiple == Decimal("1.7000")
    assert got.irr is not None
    assert abs(got.irr - _hand_xirr(investor)) < 1e-6


def test_the_implied_irr_falls_when_more_fees_are_still_to_pay() -> None:
    on = date(2020, 3, 31)
    lower = implied_returns(_vehicle("800.00"), SO_FAR, CASE, 2, on, [DRAW_DAY])
    higher = implied_returns(_vehicle("900.00"), SO_FAR, CASE, 2, on, [DRAW_DAY])
    assert lower.irr is not None and higher.irr is not None
    assert higher.irr < lower.irr
    assert higher.distributed == lower.distributed - 10000


def test_the_implied_irr_changes_when_less_capital_is_undrawn() -> None:
    on = date(2020, 3, 31)
    bigger = Investment(
        "vehicle",
        (Tranche("eq", TrancheKind.EQUITY, "fund", Decimal("1200.00"), rank=1),),
        (ServiceFee("acme", FeeKind.FIXED, Decimal("800.00")),),
    )
    base = implied_returns(_vehicle("800.00"), SO_FAR, CASE, 2, on, [DRAW_DAY])
    more = implied_returns(bigger, SO_FAR, CASE, 2, on, [DRAW_DAY])
    assert more.drawn == base.drawn + 20000
    assert more.irr != base.irr
