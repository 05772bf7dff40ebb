"""The vehicle's flows still to come apart from outcome income (pure): the capital still to be
drawn and the fixed fees still to be paid, in equal instalments on the given days.

Fixed fees are paid from capital as the service is delivered, so the forecast draws what is
left of each commitment and pays what is left of each fixed fee on the same days; without them
an implied IRR counts income on half the capital (issue 14).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from contract_specs.model import ContractSpec, FeeKind, Investment, to_minor
from ledger.domain.finance.flows import CashFlow, CashKind, total
from ledger.domain.finance.waterfall import split
from ledger.domain.periods import period_containing


def draw_days(spec: ContractSpec, on: date) -> list[date]:
    """The period ends after `on` through the last cohort's enrolment end (the service is
    delivered, and capital drawn, while people are enrolled); at least the next period end."""
    frequency = spec.contract.payment_frequency
    last = max((c.enrolment_to for c in spec.cohorts), default=on)
    period = period_containing(on, frequency).next()
    days = [period.end]
    while period.end < last:
        period = period.next()
        days.append(period.end)
    return days


def _instalments(amount: int, days: Sequence[date]) -> list[tuple[date, int]]:
    return [(d, a) for d, a in zip(days, split(amount, [1] * len(days)), strict=True) if a]


def future_draws_and_fees(
    investment: Investment, flows: Sequence[CashFlow], days: Sequence[date], exponent: int
) -> list[CashFlow]:
    """What is left of each commitment drawn, and of each fixed fee paid, over `days`."""
    if not days:
        return []
    found: list[CashFlow] = []
    for t in investment.tranches:
        left = to_minor(t.commitment, exponent) - total(flows, CashKind.CAPITAL_DRAWN, tranche=t.id)
        found += [
            CashFlow(d, CashKind.CAPITAL_DRAWN, a, tranche=t.id, party=t.investor,
                     reference="forecast")
            for d, a in _instalments(max(left, 0), days)
        ]  # fmt: skip
    owed: dict[str, int] = {}
    for fee in investment.service_fees:
        if fee.kind is FeeKind.FIXED and fee.amount is not None:
            owed[fee.provider] = owed.get(fee.provider, 0) + to_minor(fee.amount, exponent)
    for provider, amount in owed.items():
        paid = total(flows, CashKind.SERVICE_FEE, party=provider, component=FeeKind.FIXED.value)
        found += [
            CashFlow(d, CashKind.SERVICE_FEE, a, party=provider, component=FeeKind.FIXED.value,
                     reference="forecast")
            for d, a in _instalments(max(amount - paid, 0), days)
        ]  # fmt: skip
    return found
