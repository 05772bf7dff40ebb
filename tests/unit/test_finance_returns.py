"""XIRR and returns: known cases computed independently, and a property over random flows."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contract_specs.model import Investment, Tranche, TrancheKind
from ledger.domain.finance.flows import CashFlow, CashKind, Component
from ledger.domain.finance.returns import multiple, returns_table, xirr

D0 = date(2021, 1, 1)


def test_a_loan_repaid_with_its_coupon_yields_the_coupon() -> None:
    # 1,000,000.00 at 5%: a year's coupon on 2022-01-01, coupon and capital on 2023-01-01
    flows = [
        (D0, -100_000_000),
        (date(2022, 1, 1), 5_000_000),
        (date(2023, 1, 1), 105_000_000),
    ]
    assert xirr(flows) == pytest.approx(0.05, abs=1e-9)


def test_a_loss_gives_a_negative_irr() -> None:
    # 1,000 in, 600 back 731 days later: (600 / 1000) ** (365 / 731) - 1
    rate = xirr([(D0, -100_000), (D0 + timedelta(days=731), 60_000)])
    assert rate is not None and rate < 0
    assert rate == pytest.approx(0.6 ** (365 / 731) - 1, abs=1e-9)


def test_a_total_loss_with_a_penny_back_is_close_to_minus_100_percent() -> None:
    rate = xirr([(D0, -100_000_000), (date(2024, 1, 1), 1)])
    assert rate is not None and rate > -1 < -0.98


@pytest.mark.parametrize(
    "flows",
    [[], [(D0, -100)], [(D0, -100), (date(2022, 1, 1), -50)], [(D0, 100)]],
    ids=["no cash yet", "drawn only", "two draws", "money in only"],
)
def test_without_flows_of_both_signs_the_irr_is_undefined(flows: list[tuple[date, int]]) -> None:
    assert xirr(flows) is None


def _grown(draws: list[tuple[int, int]], last: int, rate: float) -> float:
    """What the draws are worth on day `last` had they grown at `rate` a year."""
    return float(sum(amount * (1 + rate) ** ((last - day) / 365) for day, amount in draws))


@settings(max_examples=200, deadline=None)
@given(
    rate=st.floats(min_value=-0.999, max_value=5.0),
    draws=st.lists(
        st.tuples(st.integers(0, 2000), st.integers(1_000_000, 10**10)), min_size=1, max_size=6
    ),
    end=st.integers(30, 4000),
)
def test_the_rate_that_grew_the_money_is_found(
    rate: float, draws: list[tuple[int, int]], end: int
) -> None:
    # every draw grows at `rate` until one final payment, paid in whole minor units: the IRR is
    # the rate that grows the draws into what was paid. Rounding moves it away from `rate` by
    # what half a minor unit is worth, which is not negligible when little comes back (10,000.00
    # shrinking at -75% a year for 6.5 years is 1.13), and when nothing comes back there is none
    last = max(day for day, _ in draws) + end
    paid = round(_grown(draws, last, rate))
    flows = [(D0 + timedelta(days=day), -amount) for day, amount in draws]
    flows.append((D0 + timedelta(days=last), paid))
    found = xirr(flows)
    if paid == 0:
        assert found is None
        return
    assert found is not None and found > -1
    assert _grown(draws, last, found) == pytest.approx(paid, rel=1e-6)
    if paid >= 1_000_000:  # 10,000.00 or more came back: the rounding is negligible
        assert found == pytest.approx(rate, abs=1e-4)


def test_a_rate_near_minus_100_percent_over_a_short_time_is_found() -> None:
    # 1,000,000.00 in, 100,000.00 back 30 days later: 0.1 ** (365 / 30) - 1 = -99.9999999999%,
    # a rate a scan from -99.99% upwards never brackets (1 + rate is known to a float's
    # precision near 1 only)
    rate = xirr([(D0, -100_000_000), (D0 + timedelta(days=30), 10_000_000)])
    assert rate is not None and rate > -1
    assert 1 + rate == pytest.approx(0.1 ** (365 / 30), rel=1e-3)


def test_money_doubled_in_a_day_is_found() -> None:
    rate = xirr([(D0, -100_000), (D0 + timedelta(days=1), 200_000)])
    assert rate is not None
    assert rate == pytest.approx(2.0**365 - 1, rel=1e-6)


def test_money_multiple_and_undefined_before_any_capital() -> None:
    assert multiple(150, 100) == Decimal("1.5000")
    assert multiple(0, 100) == Decimal("0.0000")
    assert multiple(10, 0) is None


def test_returns_per_tranche_per_investor_holding_several_and_overall() -> None:
    investment = Investment(
        vehicle="V",
        tranches=(
            Tranche("senior", TrancheKind.SENIOR_LOAN, "bank", Decimal("1000.00"), 1),
            Tranche("junior", TrancheKind.JUNIOR_LOAN, "bank", Decimal("500.00"), 2),
            Tranche("equity", TrancheKind.EQUITY, "trust", Decimal("500.00"), 3),
        ),
    )
    flows = [
        CashFlow(D0, CashKind.CAPITAL_DRAWN, 100_000, tranche="senior"),
        CashFlow(D0, CashKind.CAPITAL_DRAWN, 50_000, tranche="junior"),
        CashFlow(D0, CashKind.CAPITAL_DRAWN, 50_000, tranche="equity"),
        CashFlow(
            date(2022, 1, 1), CashKind.DISTRIBUTION, 100_000, tranche="senior", component="capital"
        ),
    ]
    rows = {r.subject: r for r in returns_table(investment, flows, date(2022, 6, 1), 2)}
    assert list(rows) == ["senior", "junior", "equity", "bank", "all"]
    assert rows["senior"].irr == pytest.approx(0.0, abs=1e-9)
    assert rows["senior"].capital_outstanding == 0
    assert rows["junior"].irr is None and rows["junior"].gain == -50_000
    assert rows["bank"].committed == 150_000 and rows["bank"].capital_outstanding == 50_000
    assert rows["all"].drawn == 200_000 and rows["all"].money_multiple == Decimal("0.5000")
    assert rows["all"].capital_returned == 100_000
    assert str(Component.CAPITAL) == "capital"
