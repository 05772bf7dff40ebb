"""Payment periods: the months or quarters a contract is paid in.

A period id is "2025-Q3" for a quarterly contract and "2025-07" for a monthly one. Periods are
value objects that order by time, know their first and last day, and their successor: that
arithmetic is the domain's (ledger.domain.periods); here are reconciliation's rules on it
(reading a period id, a contract's periods, what is due to reconcile).

>>> p = parse_period("2025-Q3", Frequency.QUARTERLY)
>>> (p.start, p.end, p.next().id)
(datetime.date(2025, 7, 1), datetime.date(2025, 9, 30), '2025-Q4')
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date, datetime, time, timedelta

from contract_specs.model import Contract, Frequency
from ledger.domain.periods import Period, period_containing, periods_between
from reconciliation.errors import PeriodError, Problem

_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

# Period, period_containing and periods_between are named here too: reconciliation's callers
# (and the reports above it) take a contract's periods from one module.
__all__ = [
    "Period",
    "contract_periods",
    "due_at",
    "last_period",
    "parse_period",
    "period_containing",
    "periods_between",
    "periods_due",
    "periods_so_far",
    "refuse_outside",
]


def parse_period(text: str, frequency: Frequency, place: str = "period") -> Period:
    """Read a period id for a contract paid at `frequency`; PeriodError names what to type."""
    value = text.strip()
    quarter, month = _QUARTER.match(value), _MONTH.match(value)
    example = "2025-Q3" if frequency is Frequency.QUARTERLY else "2025-07"
    if frequency is Frequency.QUARTERLY and quarter:
        return Period(int(quarter[1]), int(quarter[2]), frequency)
    if frequency is Frequency.MONTHLY and month:
        return Period(int(month[1]), int(month[2]), frequency)
    if quarter or month:
        found = "a quarter" if quarter else "a month"
        message = (
            f"{value!r} is {found} but this contract is paid {frequency.value}: "
            f"give a period like {example!r}"
        )
    else:
        shape = (
            "YYYY-Qn with n from 1 to 4"
            if frequency is Frequency.QUARTERLY
            else "YYYY-MM with a month from 01 to 12"
        )
        message = f"{value!r} is not a period id: write {shape}, e.g. {example!r}"
    raise PeriodError([Problem(place, message)])


def contract_periods(
    contract: Contract, lag_days: int | None = None, until: date | None = None
) -> tuple[Period, ...]:
    """The periods a contract is paid in: from service start to its last outcome date + lag.

    The lag (default: the contract's payment terms) leaves room for evidence of the last
    outcomes to arrive and be paid. A contract without a last outcome date needs `until`.
    """
    if until is None:
        if contract.last_outcome_date is None:
            raise PeriodError(
                [
                    Problem(
                        "contract.last_outcome_date",
                        f"contract {contract.id!r} has no last outcome date: "
                        "give the date to list periods until",
                    )
                ]
            )
        lag = contract.payment_terms_days if lag_days is None else lag_days
        until = contract.last_outcome_date + timedelta(days=lag)
    first = period_containing(contract.service_start, contract.payment_frequency)
    last = period_containing(until, contract.payment_frequency)
    return tuple(periods_between(first, last))


def last_period(contract: Contract) -> Period | None:
    """The contract's last period: the one holding its last outcome date plus its payment
    terms (None when the contract declares no last outcome date: it runs on)."""
    if contract.last_outcome_date is None:
        return None
    return contract_periods(contract)[-1]


def refuse_outside(contract: Contract, period: Period, place: str = "--period") -> None:
    """PeriodError, giving the contract's range, when `period` is not one of its periods.

    Periods exist from service start to the last outcome date plus payment terms, and nowhere
    else: a period before the service started or after the last payments were due holds no
    outcome to pay, and a run of it is a mistyped year."""
    first = period_containing(contract.service_start, contract.payment_frequency)
    last = last_period(contract)
    if first <= period and (last is None or period <= last):
        return
    since = f"from {first.id} (service start {contract.service_start})"
    if last is None or contract.last_outcome_date is None:
        until = "; the contract declares no last outcome date"
    else:
        until = (
            f" to {last.id} (last outcome date {contract.last_outcome_date} + "
            f"{contract.payment_terms_days} days' payment terms)"
        )
    raise PeriodError(
        [
            Problem(
                place,
                f"{period.id} is not a period of {contract.id}: its periods run {since}{until}",
            )
        ]
    )


def periods_so_far(contract: Contract, today: date) -> tuple[Period, ...]:
    """The contract's periods up to the one holding `today` (what `outcomes periods` and the
    API list): for a contract that ended, every period it has, and none after."""
    current = period_containing(today, contract.payment_frequency)
    until = today if contract.last_outcome_date is None else None
    return tuple(p for p in contract_periods(contract, until=until) if p <= current)


def due_at(period: Period, delay: timedelta) -> datetime:
    """When a period is ready to reconcile: the midnight (UTC) after its last day, plus delay."""
    return datetime.combine(period.end + timedelta(days=1), time()) + delay


def periods_due(
    contract: Contract, now: datetime, delay: timedelta, done: Collection[str]
) -> tuple[Period, ...]:
    """The contract's periods that have ended (plus `delay`) by `now` and are not in `done`.

    The same rule serves the scheduler (what to run, including runs missed while the service
    was down) and the findings (periods that should have been reconciled and were not).
    """
    until = now.date() if contract.last_outcome_date is None else None
    return tuple(
        period
        for period in contract_periods(contract, until=until)
        if due_at(period, delay) <= now and period.id not in done
    )
