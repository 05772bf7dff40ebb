"""The waterfall: golden cases worked by hand, and money conserved on random inputs."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contract_specs.model import (
    FeeKind,
    Investment,
    ReturnCap,
    ServiceFee,
    Tranche,
    TrancheKind,
)
from ledger.domain.finance.distribute import plan_distribution
from ledger.domain.finance.flows import CashFlow, CashKind
from ledger.domain.finance.positions import Position, position
from ledger.domain.finance.returns import xirr
from ledger.domain.finance.waterfall import FeeDue, run_waterfall, split

D0 = date(2021, 1, 1)


def pos(
    tranche: str,
    rank: int,
    capital: int = 0,
    interest: int = 0,
    headroom: int | None = None,
    upside: bool = False,
) -> Position:
    """A position with `capital` outstanding and `interest` accrued, nothing paid yet."""
    return Position(tranche, rank, upside, capital, 0, interest, 0, 0, headroom)


def test_senior_is_repaid_before_junior_gets_anything() -> None:
    # 700.00 available; senior owed 600.00, junior 400.00
    result = run_waterfall(70_000, [pos("junior", 2, 40_000), pos("senior", 1, 60_000)])
    assert result.to_tranche("senior") == 60_000
    assert result.to_tranche("junior") == 10_000
    assert result.retained == 0


def test_interest_is_paid_before_capital_within_a_rank() -> None:
    # 100.00 available; 50.00 interest and 1,000.00 capital due
    result = run_waterfall(10_000, [pos("loan", 1, 100_000, interest=5_000)])
    assert result.to_tranche("loan", "return") == 5_000
    assert result.to_tranche("loan", "capital") == 5_000


def test_pro_rata_within_a_rank_gives_the_odd_penny_in_spec_order() -> None:
    # 1.00 between dues of 3.00 and 6.00: 0.33 and 0.66 floored, the odd penny to the first
    result = run_waterfall(100, [pos("a", 1, 300), pos("b", 1, 600)])
    assert (result.to_tranche("a"), result.to_tranche("b")) == (34, 66)
    flipped = run_waterfall(100, [pos("b", 1, 600), pos("a", 1, 300)])
    assert (flipped.to_tranche("a"), flipped.to_tranche("b")) == (33, 67)


def test_a_multiple_cap_binds_and_the_rest_is_retained() -> None:
    # equity drew 1,000.00 with a cap of 1.5x: at most 1,500.00 of the 2,000.00 available
    result = run_waterfall(200_000, [pos("eq", 1, 100_000, headroom=150_000, upside=True)])
    assert result.to_tranche("eq", "capital") == 100_000
    assert result.to_tranche("eq", "upside") == 50_000
    assert result.retained == 50_000


def test_upside_is_shared_pro_rata_to_capital_and_a_full_share_passes_on() -> None:
    # 900.00 of upside; a drew 100.00 (capped at 50.00 more), b drew 200.00 (no cap)
    a = replace(pos("a", 1, 0, headroom=5_000, upside=True), drawn=10_000, capital_repaid=10_000)
    b = replace(pos("b", 1, 0, upside=True), drawn=20_000, capital_repaid=20_000)
    result = run_waterfall(90_000, [a, b])
    assert result.to_tranche("a") == 5_000
    assert result.to_tranche("b") == 85_000


def test_fees_due_from_outcome_income_come_first() -> None:
    fees = [FeeDue("provider", "outcome_linked", 3_000), FeeDue("other", "deferred", 1_000)]
    result = run_waterfall(2_000, [pos("loan", 1, 10_000)], fees)
    # 20.00 between dues of 30.00 and 10.00: 15.00 and 5.00, nothing to the loan
    assert [(p.to, p.amount) for p in result.payments] == [("provider", 1_500), ("other", 500)]


def test_an_irr_cap_stops_the_return_at_the_capped_rate() -> None:
    tranche = Tranche(
        "eq",
        TrancheKind.EQUITY,
        "fund",
        Decimal("1000000.00"),
        1,
        cap=ReturnCap(irr_percent=Decimal("10")),
    )
    investment = Investment("V", (tranche,))
    end = D0 + timedelta(days=500)
    flows = [
        CashFlow(D0, CashKind.CAPITAL_DRAWN, 100_000_000, tranche="eq"),
        CashFlow(D0, CashKind.SERVICE_FEE, 100_000_000, party="p"),
        CashFlow(end, CashKind.OUTCOME_INCOME, 300_000_000, party="payer"),
    ]
    waterfall, paid = plan_distribution(investment, flows, end, 2)
    received = waterfall.to_tranche("eq")
    assert 100_000_000 < received < 300_000_000
    rate = xirr([(D0, -100_000_000), (end, received)])
    assert rate == pytest.approx(0.10, abs=1e-7)
    higher = xirr([(D0, -100_000_000), (end, received + 1)])
    assert higher is not None and higher > 0.10
    assert sum(f.amount for f in paid) == received


def test_a_coupon_accrues_on_capital_outstanding_actual_over_365() -> None:
    loan = Tranche(
        "loan", TrancheKind.SENIOR_LOAN, "bank", Decimal("2000.00"), 1, coupon_percent=Decimal("5")
    )
    flows = [
        CashFlow(D0, CashKind.CAPITAL_DRAWN, 100_000, tranche="loan"),
        # half the capital back after 146 days (0.4 of a year): 1,000.00 x 5% x 0.4 = 20.00
        CashFlow(
            D0 + timedelta(days=146),
            CashKind.DISTRIBUTION,
            50_000,
            tranche="loan",
            component="capital",
        ),
    ]
    # then 500.00 x 5% x 73/365 = 5.00 more
    on = D0 + timedelta(days=146 + 73)
    assert position(loan, flows, on).return_accrued == 2_000 + 500


def test_outcome_linked_and_deferred_fees_are_planned_from_income() -> None:
    investment = Investment(
        "V",
        (Tranche("loan", TrancheKind.SENIOR_LOAN, "bank", Decimal("100.00"), 1),),
        (
            ServiceFee("prov", FeeKind.OUTCOME_LINKED, percent=Decimal("12.5")),
            ServiceFee("prov", FeeKind.DEFERRED, amount=Decimal("10.00")),
            ServiceFee("prov", FeeKind.FIXED, amount=Decimal("99.00")),
        ),
    )
    flows = [
        CashFlow(D0, CashKind.CAPITAL_DRAWN, 10_000, tranche="loan"),
        CashFlow(D0, CashKind.SERVICE_FEE, 10_000, party="prov", component="fixed"),
        CashFlow(D0, CashKind.OUTCOME_INCOME, 10_001, party="payer"),
    ]
    waterfall, paid = plan_distribution(investment, flows, D0, 2)
    # 12.5% of 100.01 is 12.50125: 12.50 (floored); the deferred 10.00; the loan the rest
    fees = {(f.component, f.amount) for f in paid if f.kind is CashKind.SERVICE_FEE}
    assert fees == {("outcome_linked", 1_250), ("deferred", 1_000)}
    assert waterfall.to_tranche("loan") == 10_001 - 2_250


# --- properties ------------------------------------------------------------------------------

positions_strategy = st.lists(
    st.builds(
        pos,
        tranche=st.just(""),
        rank=st.integers(1, 3),
        capital=st.integers(0, 10**7),
        interest=st.integers(0, 10**6),
        headroom=st.one_of(st.none(), st.integers(0, 2 * 10**7)),
        upside=st.booleans(),
    ),
    min_size=1,
    max_size=6,
).map(lambda ps: [replace(p, tranche=f"t{i}") for i, p in enumerate(ps)])
fees_strategy = st.lists(
    st.builds(
        FeeDue,
        provider=st.sampled_from(["p1", "p2"]),
        kind=st.just("deferred"),
        due=st.integers(0, 10**6),
    ),
    max_size=2,
)


@settings(max_examples=300, deadline=None)
@given(cash=st.integers(0, 5 * 10**7), positions=positions_strategy, fees=fees_strategy)
def test_money_is_conserved_and_no_one_gets_more_than_due_or_capped(
    cash: int, positions: list[Position], fees: list[FeeDue]
) -> None:
    result = run_waterfall(cash, positions, fees)
    assert result.paid + result.retained == cash
    assert result.retained >= 0 and all(p.amount > 0 for p in result.payments)
    for p in positions:
        got = result.to_tranche(p.tranche)
        assert result.to_tranche(p.tranche, "return") <= p.return_due
        assert result.to_tranche(p.tranche, "capital") <= p.capital_due
        if p.headroom is not None:
            assert got <= p.headroom
        if not p.takes_upside:
            assert result.to_tranche(p.tranche, "upside") == 0


@settings(max_examples=300, deadline=None)
@given(cash=st.integers(0, 5 * 10**7), positions=positions_strategy)
def test_a_later_rank_is_paid_only_once_every_earlier_rank_is_paid_what_it_may_take(
    cash: int, positions: list[Position]
) -> None:
    result = run_waterfall(cash, positions)
    for later in positions:
        if result.to_tranche(later.tranche, "return") + result.to_tranche(later.tranche, "capital"):
            for earlier in (p for p in positions if p.rank < later.rank):
                may_take = p_due = earlier.return_due + earlier.capital_due
                if earlier.headroom is not None:
                    may_take = min(p_due, earlier.headroom)
                assert (
                    result.to_tranche(earlier.tranche, "return")
                    + result.to_tranche(earlier.tranche, "capital")
                    == may_take
                )


@settings(max_examples=300, deadline=None)
@given(
    amount=st.integers(0, 10**9), weights=st.lists(st.integers(0, 10**6), min_size=1, max_size=8)
)
def test_a_split_sums_exactly_and_each_share_is_within_a_penny_of_pro_rata(
    amount: int, weights: list[int]
) -> None:
    shares = split(amount, weights)
    if sum(weights) == 0:
        assert shares == [0] * len(weights)
        return
    assert sum(shares) == amount
    for share, weight in zip(shares, weights, strict=True):
        exact = amount * weight / sum(weights)
        assert exact - 1 < share < exact + 1 + 1e-9 * amount
