"""Where each tranche stands on a date: capital drawn and outstanding, return accrued and
unpaid, and how much more its return cap lets it receive (the waterfall's input).

A coupon or preferred return accrues as simple yearly interest on the capital outstanding,
day by day over a 365-day year (actual/365), and is rounded half-up to the minor unit once, on
the day it is asked for. An IRR cap is turned into money exactly: the most a tranche may still
receive on day D is the value on D, at the capped rate, of what it put in minus what it got.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal, localcontext
from fractions import Fraction

from contract_specs.model import Investment, Tranche
from ledger.domain.finance.flows import CashFlow, CashKind, Component, total

DAYS_PER_YEAR = 365


@dataclass(frozen=True)
class Position:
    """A tranche on a date. `headroom` is None when no cap limits it."""

    tranche: str
    rank: int
    takes_upside: bool
    drawn: int
    capital_repaid: int
    return_accrued: int
    return_paid: int
    distributed: int
    headroom: int | None

    @property
    def capital_due(self) -> int:
        return max(self.drawn - self.capital_repaid, 0)

    @property
    def return_due(self) -> int:
        return max(self.return_accrued - self.return_paid, 0)


def position(tranche: Tranche, flows: Sequence[CashFlow], on: date) -> Position:
    """The position of `tranche` on `on` from the vehicle's cash flows (any order)."""
    own = sorted((f for f in flows if f.tranche == tranche.id and f.on <= on), key=lambda f: f.on)
    paid = [f for f in own if f.kind is CashKind.DISTRIBUTION]
    return Position(
        tranche=tranche.id,
        rank=tranche.rank,
        takes_upside=tranche.takes_upside,
        drawn=total(own, CashKind.CAPITAL_DRAWN),
        capital_repaid=total(paid, CashKind.DISTRIBUTION, component=Component.CAPITAL),
        return_accrued=accrued_return(tranche, own, on),
        return_paid=total(paid, CashKind.DISTRIBUTION, component=Component.RETURN),
        distributed=total(paid, CashKind.DISTRIBUTION),
        headroom=headroom(tranche, own, on),
    )


def positions(investment: Investment, flows: Sequence[CashFlow], on: date) -> list[Position]:
    """Every tranche's position on `on`, in spec order."""
    return [position(t, flows, on) for t in investment.tranches]


def _outstanding_steps(own: Sequence[CashFlow]) -> list[tuple[date, int]]:
    """(date, change in capital outstanding) for draws and capital repaid, in date order."""
    steps = []
    for f in own:
        if f.kind is CashKind.CAPITAL_DRAWN:
            steps.append((f.on, f.amount))
        elif f.kind is CashKind.DISTRIBUTION and f.component == Component.CAPITAL:
            steps.append((f.on, -f.amount))
    return steps


def accrued_return(tranche: Tranche, own: Sequence[CashFlow], on: date) -> int:
    """Simple return accrued from the first draw to `on` on the capital outstanding each day."""
    rate = Fraction(tranche.return_percent) / 100
    if rate == 0:
        return 0
    exact = Fraction(0)
    outstanding = 0
    last: date | None = None
    for day, change in [*_outstanding_steps(own), (on, 0)]:
        if last is not None:
            exact += outstanding * rate * (day - last).days / DAYS_PER_YEAR
        outstanding, last = outstanding + change, day
    return _half_up(exact)


def _half_up(value: Fraction) -> int:
    """Round a non-negative exact amount half-up to a whole minor unit."""
    return (2 * value.numerator + value.denominator) // (2 * value.denominator)


def headroom(tranche: Tranche, own: Sequence[CashFlow], on: date) -> int | None:
    """How much more the tranche may receive on `on` under its cap (None: no cap)."""
    limits: list[int] = []
    drawn = total(own, CashKind.CAPITAL_DRAWN)
    distributed = total(own, CashKind.DISTRIBUTION)
    if tranche.cap.multiple is not None:
        most = (tranche.cap.multiple * drawn).to_integral_value(rounding=ROUND_FLOOR)
        limits.append(int(most) - distributed)
    if tranche.cap.irr_percent is not None:
        limits.append(_irr_headroom(tranche.cap.irr_percent, own, on))
    return max(min(limits), 0) if limits else None


def _irr_headroom(irr_percent: Decimal, own: Sequence[CashFlow], on: date) -> int:
    """The value on `on`, compounding at the capped IRR, of draws minus distributions: paying
    exactly that on `on` brings the tranche's IRR to the cap."""
    with localcontext() as context:
        context.prec = 40
        growth = 1 + irr_percent / 100
        value = Decimal(0)
        for f in own:
            if f.kind not in (CashKind.CAPITAL_DRAWN, CashKind.DISTRIBUTION):
                continue
            years = Decimal((on - f.on).days) / DAYS_PER_YEAR
            sign = 1 if f.kind is CashKind.CAPITAL_DRAWN else -1
            value += sign * f.amount * growth**years
        return int(value.to_integral_value(rounding=ROUND_FLOOR))
