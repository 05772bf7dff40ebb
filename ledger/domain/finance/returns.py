"""Returns on dated cash flows: XIRR, money multiple, capital outstanding, per investor and
overall.

The XIRR solver is our own (no library gave exactness we could check and a None for "no
answer"): it solves sum(cf / (1 + r) ** (days / 365)) = 0 for the rate r > -1 with Newton's
method from 10%, and when Newton leaves the domain or does not converge, bisects a bracket found
by scanning the whole range of rates. The scan works in x = ln(1 + r), where (-100%, +inf) is
the whole real line, and compares the logarithms of the discounted money in and money out, so
no rate overflows: a root near -100% (a loss over a short time) is found as surely as one near
zero. A rate is not money: floats are fine here. With no cash yet, or flows all of one sign,
the IRR is undefined and the answer is None.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from contract_specs.model import Investment, to_minor
from ledger.domain.finance.flows import CashFlow, CashKind, Component, investor_flows, total

DatedAmount = tuple[date, int]
TOLERANCE = 1e-10
# Scanned for a sign change when Newton fails, as x = ln(1 + rate), outwards from 0 in steps of
# 2 ** (1/4): short horizons turn ordinary multiples into extreme annual rates (doubling in a
# day is x = 253; a penny back of 100m a day later is x = -8,400). Above x = 709 a rate is no
# longer a float; below about -37 it is -100% to a float's precision.
_STEPS = [0.001 * 2 ** (k / 4) for k in range(112)]
_POSITIVE = [0.0, *(x for x in _STEPS if x < 709)]
_NEGATIVE = [0.0, *(-x for x in _STEPS)]


def _npv(rate: float, flows: Sequence[tuple[float, float]]) -> float:
    try:
        return float(sum(cf / (1 + rate) ** years for years, cf in flows))
    except (OverflowError, ZeroDivisionError):  # a rate near -100% over many years
        return math.nan


def _slope(rate: float, flows: Sequence[tuple[float, float]]) -> float:
    try:
        return float(sum(-years * cf / (1 + rate) ** (years + 1) for years, cf in flows))
    except (OverflowError, ZeroDivisionError):
        return math.nan


def xirr(flows: Sequence[DatedAmount]) -> float | None:
    """The annual internal rate of return of dated amounts (actual/365), or None when there is
    none: no flows, or no flow of each sign. A rate within a float's precision of -100% (a loss
    of nearly everything within days) is -1.0. When the flows change sign more than once there
    may be several rates; the one found is the nearest 0% the scan sees (two rates closer
    together than its step can both be missed)."""
    if not any(a > 0 for _, a in flows) or not any(a < 0 for _, a in flows):
        return None
    first = min(day for day, _ in flows)
    scale = max(abs(a) for _, a in flows)
    years = [((day - first).days / 365, a / scale) for day, a in flows]
    rate = _newton(years)
    return rate if rate is not None else _bisect(years)


def _newton(flows: Sequence[tuple[float, float]]) -> float | None:
    rate = 0.1
    for _ in range(100):
        value, slope = _npv(rate, flows), _slope(rate, flows)
        if not (math.isfinite(value) and math.isfinite(slope)) or slope == 0:
            return None
        step = value / slope
        rate -= step
        if rate <= -1:
            return None
        if abs(step) < TOLERANCE:
            return rate if abs(_npv(rate, flows)) < 1e-7 else None
    return None


def _log_total(flows: Sequence[tuple[float, float]], x: float, sign: int) -> float:
    """ln of the flows of one sign (as positive amounts) discounted at ln(1 + rate) = x."""
    logs = [math.log(sign * cf) - x * years for years, cf in flows if sign * cf > 0]
    top = max(logs)
    return top + math.log(sum(math.exp(value - top) for value in logs))


def _balance(x: float, flows: Sequence[tuple[float, float]]) -> float:
    """ln(money in) - ln(money out) at ln(1 + rate) = x: the sign of the NPV, never overflowing."""
    return _log_total(flows, x, 1) - _log_total(flows, x, -1)


def _brackets() -> list[tuple[float, float]]:
    """Neighbouring scan points, nearest zero first, alternating sides (the root nearest a
    rate of 0% is the one found when there are several)."""
    above = list(itertools.pairwise(_POSITIVE))
    below = [(lo, hi) for hi, lo in itertools.pairwise(_NEGATIVE)]
    return [pair for both in itertools.zip_longest(above, below) for pair in both if pair]


def _bisect(flows: Sequence[tuple[float, float]]) -> float | None:
    seen: dict[float, float] = {}

    def at(x: float) -> float:
        if x not in seen:
            seen[x] = _balance(x, flows)
        return seen[x]

    for lo, hi in _BRACKETS:
        f_lo, f_hi = at(lo), at(hi)
        if f_lo == 0 or f_hi == 0:
            return math.expm1(lo if f_lo == 0 else hi)
        if (f_lo < 0) != (f_hi < 0):
            for _ in range(200):
                mid = (lo + hi) / 2
                if hi - lo <= TOLERANCE * max(1.0, abs(mid)) or mid in (lo, hi):
                    break
                if (at(mid) < 0) == (f_lo < 0):
                    lo = mid
                else:
                    hi = mid
            return math.expm1((lo + hi) / 2)
    return None


_BRACKETS = _brackets()


def multiple(received: int, paid_in: int) -> Decimal | None:
    """Money multiple (received / paid in) to 4 decimals; None before any money was paid in."""
    if paid_in <= 0:
        return None
    return (Decimal(received) / Decimal(paid_in)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


@dataclass(frozen=True)
class Returns:
    """Returns to date of one tranche, one investor, or the whole vehicle ("all")."""

    subject: str
    investor: str
    committed: int
    drawn: int
    distributed: int
    capital_returned: int
    irr: float | None
    money_multiple: Decimal | None

    @property
    def capital_outstanding(self) -> int:
        return self.drawn - self.capital_returned

    @property
    def gain(self) -> int:
        """Distributed minus drawn: negative is a loss so far."""
        return self.distributed - self.drawn


def returns_of(
    subject: str,
    investor: str,
    committed: int,
    tranche_ids: Sequence[str],
    flows: Sequence[CashFlow],
    on: date,
) -> Returns:
    """Returns of the given tranches on `on` from the vehicle's flows."""
    own = [f for f in flows if f.tranche in tranche_ids and f.on <= on]
    drawn = total(own, CashKind.CAPITAL_DRAWN)
    distributed = total(own, CashKind.DISTRIBUTION)
    return Returns(
        subject=subject,
        investor=investor,
        committed=committed,
        drawn=drawn,
        distributed=distributed,
        capital_returned=total(own, CashKind.DISTRIBUTION, component=Component.CAPITAL),
        irr=xirr(investor_flows(own, tranche_ids)),
        money_multiple=multiple(distributed, drawn),
    )


def returns_table(
    investment: Investment, flows: Sequence[CashFlow], on: date, exponent: int
) -> list[Returns]:
    """Per tranche, per investor (when an investor holds several tranches) and overall."""
    rows: list[Returns] = []
    for t in investment.tranches:
        rows.append(
            returns_of(t.id, t.investor, to_minor(t.commitment, exponent), [t.id], flows, on)
        )
    investors = list(dict.fromkeys(t.investor for t in investment.tranches))
    for investor in investors:
        held = [t for t in investment.tranches if t.investor == investor]
        if len(held) > 1:
            committed = sum(to_minor(t.commitment, exponent) for t in held)
            rows.append(returns_of(investor, investor, committed, [t.id for t in held], flows, on))
    every = [t.id for t in investment.tranches]
    committed = sum(to_minor(t.commitment, exponent) for t in investment.tranches)
    rows.append(returns_of("all", "", committed, every, flows, on))
    return rows


# --- what one investor sees -------------------------------------------------------------------


def own_tranches(investment: Investment, investor: str) -> frozenset[str]:
    """The ids of the tranches `investor` holds."""
    return frozenset(t.id for t in investment.tranches if t.investor == investor)


def seen_by_investor(
    investment: Investment, investor: str, flows: Sequence[CashFlow]
) -> list[CashFlow]:
    """The vehicle's cash one investor sees: the vehicle's own transactions (outcome income,
    fees, costs) and its own tranches' draws and distributions, never another investor's."""
    own = own_tranches(investment, investor)
    return [f for f in flows if not f.tranche or f.tranche in own]


def returns_of_investor(rows: Sequence[Returns], investor: str) -> list[Returns]:
    """The rows of `returns_table` one investor sees: its tranches, and its holding when it
    holds several (the vehicle's row and other investors' are not its to read)."""
    return [r for r in rows if r.investor == investor]
