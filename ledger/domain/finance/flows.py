"""Cash transactions of the investment vehicle as plain values, and what they add up to.

Every amount is positive minor units in the direction its kind says (a negative amount is a
correction of an earlier transaction of the same kind): capital comes in from investors and
outcome income from payers; service fees, costs and distributions go out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class CashKind(StrEnum):
    CAPITAL_DRAWN = "capital_drawn"
    OUTCOME_INCOME = "outcome_income"
    SERVICE_FEE = "service_fee"
    COST = "cost"
    DISTRIBUTION = "distribution"


class Component(StrEnum):
    """What part of a tranche's entitlement a distribution pays."""

    RETURN = "return"  # coupon or preferred return accrued
    CAPITAL = "capital"
    UPSIDE = "upside"  # equity's share of what is left, up to its cap


INFLOWS = frozenset({CashKind.CAPITAL_DRAWN, CashKind.OUTCOME_INCOME})


@dataclass(frozen=True)
class CashFlow:
    """One dated cash transaction of the vehicle.

    `tranche` is set for capital drawn and distributions; `party` names the investor, payer or
    provider; `component` says which part a distribution pays (a Component) or which kind of
    service fee was paid (fixed, deferred, outcome_linked).
    """

    on: date
    kind: CashKind
    amount: int
    tranche: str = ""
    party: str = ""
    component: str = ""
    reference: str = ""

    @property
    def signed(self) -> int:
        """The amount as it changes the vehicle's cash: in positive, out negative."""
        return self.amount if self.kind in INFLOWS else -self.amount


def until(flows: Iterable[CashFlow], on: date) -> list[CashFlow]:
    """The flows dated on or before `on`, in date order (stable)."""
    return sorted((f for f in flows if f.on <= on), key=lambda f: f.on)


def balance(flows: Iterable[CashFlow], on: date) -> int:
    """The vehicle's cash on `on`: everything in minus everything out, to that day."""
    return sum(f.signed for f in flows if f.on <= on)


def total(flows: Iterable[CashFlow], kind: CashKind, **match: str) -> int:
    """The sum of the flows of one kind whose fields equal `match` (e.g. tranche="senior")."""
    return sum(
        f.amount
        for f in flows
        if f.kind is kind and all(getattr(f, key) == value for key, value in match.items())
    )


def investor_flows(flows: Sequence[CashFlow], tranches: Iterable[str]) -> list[tuple[date, int]]:
    """The dated flows seen by the investors of `tranches`: drawn negative, distributions
    positive (the input of an IRR)."""
    wanted = set(tranches)
    return [
        (f.on, -f.amount if f.kind is CashKind.CAPITAL_DRAWN else f.amount)
        for f in sorted(flows, key=lambda f: f.on)
        if f.tranche in wanted and f.kind in (CashKind.CAPITAL_DRAWN, CashKind.DISTRIBUTION)
    ]
