"""The distribution waterfall: the cash available on a date, paid out by priority (pure).

Order:
1. the provider's deferred and outcome-linked fees due, pro rata to what each is due;
2. rank by rank (rank 1 first): each tranche's return accrued and unpaid, then its capital
   outstanding, each step pro rata within the rank to what is due;
3. the upside: what is left goes to equity tranches, rank by rank, pro rata within a rank to
   capital drawn, each up to its cap.
Every payment is bounded by the tranche's cap headroom. What no one is due is retained. Money
is conserved: paid + retained == cash, to the minor unit.

Pro rata is exact: each share is floored to the minor unit and the minor units left over go
one at a time in spec order (SEMANTICS.md 1, the rule for splitting between payers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ledger.domain.finance.flows import Component
from ledger.domain.finance.positions import Position


@dataclass(frozen=True)
class FeeDue:
    """What a provider's fee of one kind is due from outcome income on the distribution date."""

    provider: str
    kind: str
    due: int


@dataclass(frozen=True)
class Payment:
    """One payment out of the waterfall: to a tranche (component) or a provider (fee kind)."""

    step: int
    to: str
    component: str
    amount: int
    is_fee: bool = False


@dataclass(frozen=True)
class Waterfall:
    cash: int
    payments: tuple[Payment, ...] = field(default_factory=tuple)

    @property
    def paid(self) -> int:
        return sum(p.amount for p in self.payments)

    @property
    def retained(self) -> int:
        return self.cash - self.paid

    def to_tranche(self, tranche: str, component: str | None = None) -> int:
        """What the waterfall pays `tranche` (of one component, or in all)."""
        return sum(
            p.amount
            for p in self.payments
            if not p.is_fee and p.to == tranche and component in (None, p.component)
        )


# step 2 pays each rank its return due, then its capital due
DUES: tuple[tuple[Component, Callable[[Position], int]], ...] = (
    (Component.RETURN, lambda p: p.return_due),
    (Component.CAPITAL, lambda p: p.capital_due),
)


def split(amount: int, weights: Sequence[int]) -> list[int]:
    """`amount` split pro rata to non-negative `weights`: floors, then the minor units left
    over one at a time in order to positive weights. Sums exactly to `amount`."""
    whole = sum(weights)
    if amount == 0 or whole == 0:
        return [0] * len(weights)
    shares = [amount * w // whole for w in weights]
    left = amount - sum(shares)
    for i, w in enumerate(weights):
        if left == 0:
            break
        if w > 0:
            shares[i] += 1
            left -= 1
    return shares


def pay_due(cash: int, dues: Sequence[int]) -> list[int]:
    """Pay what is due from `cash`: all of it when there is enough, else pro rata to dues
    (no one gets more than it is due)."""
    return split(min(cash, sum(dues)), dues)


def fill(cash: int, weights: Sequence[int], limits: Sequence[int | None]) -> list[int]:
    """`cash` pro rata to `weights`, each up to its limit (None: no limit); what a full share
    cannot take goes round again to the others. Returns each share."""
    given = [0] * len(weights)
    open_ = [i for i, w in enumerate(weights) if w > 0 and limits[i] != 0]
    while cash > 0 and open_:
        shares = split(cash, [weights[i] for i in open_])
        for i, share in zip(open_, shares, strict=True):
            limit = limits[i]
            take = share if limit is None else min(share, limit - given[i])
            given[i] += take
            cash -= take
        still = [i for i in open_ if limits[i] is None or given[i] < (limits[i] or 0)]
        if still == open_:
            break  # nobody was full, so the whole of `cash` was taken
        open_ = still
    return given


def run_waterfall(
    cash: int, positions: Sequence[Position], fees: Sequence[FeeDue] = ()
) -> Waterfall:
    """Distribute `cash` (minor units, >= 0) by the waterfall (positions in spec order)."""
    left = max(cash, 0)
    payments: list[Payment] = []
    for fee, amount in zip(fees, pay_due(left, [f.due for f in fees]), strict=True):
        if amount:
            payments.append(Payment(1, fee.provider, fee.kind, amount, is_fee=True))
            left -= amount
    room = {p.tranche: p.headroom for p in positions}

    def pay(step: int, group: Sequence[Position], component: Component, amounts: list[int]) -> None:
        nonlocal left
        for p, amount in zip(group, amounts, strict=True):
            if amount:
                payments.append(Payment(step, p.tranche, component, amount))
                left -= amount
                if room[p.tranche] is not None:
                    room[p.tranche] = (room[p.tranche] or 0) - amount

    def capped(p: Position, due: int) -> int:
        limit = room[p.tranche]
        return due if limit is None else min(due, limit)

    ranks = sorted({p.rank for p in positions})
    for rank in ranks:
        group = [p for p in positions if p.rank == rank]
        for component, due_of in DUES:
            pay(2, group, component, pay_due(left, [capped(p, due_of(p)) for p in group]))
    for rank in ranks:
        group = [p for p in positions if p.rank == rank and p.takes_upside]
        amounts = fill(left, [p.drawn for p in group], [room[p.tranche] for p in group])
        pay(3, group, Component.UPSIDE, amounts)
    return Waterfall(cash=max(cash, 0), payments=tuple(payments))
