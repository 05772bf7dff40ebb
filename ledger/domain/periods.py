"""Payment periods: the months or quarters a contract is paid in, as plain values.

A period id is "2025-Q3" for a quarterly contract and "2025-07" for a monthly one. Periods are
value objects that order by time, know their first and last day, and their successor. This is
pure date arithmetic, so it sits in the domain: the ledger's services and finance use it, and
reconciliation builds its period rules (reading a period id, a contract's periods, what is due)
on it (reconciliation.periods).

>>> p = period_containing(date(2025, 8, 14), Frequency.QUARTERLY)
>>> (p.id, p.start, p.end, p.next().id)
('2025-Q3', datetime.date(2025, 7, 1), datetime.date(2025, 9, 30), '2025-Q4')
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from contract_specs.model import Frequency

_MONTHS_IN = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3}


@dataclass(frozen=True, order=True)
class Period:
    """One payment period: `number` is the quarter (1-4) or the month (1-12) of `year`."""

    year: int
    number: int
    frequency: Frequency

    @property
    def id(self) -> str:
        if self.frequency is Frequency.QUARTERLY:
            return f"{self.year}-Q{self.number}"
        return f"{self.year}-{self.number:02d}"

    @property
    def start(self) -> date:
        """The first day of the period."""
        return date(self.year, (self.number - 1) * _MONTHS_IN[self.frequency] + 1, 1)

    @property
    def end(self) -> date:
        """The last day of the period (inclusive)."""
        month = self.number * _MONTHS_IN[self.frequency]
        return date(self.year, month, calendar.monthrange(self.year, month)[1])

    def contains(self, day: date) -> bool:
        """Whether `day` falls inside the period."""
        return self.start <= day <= self.end

    def next(self) -> Period:
        """The period right after this one."""
        return period_containing(self.end + timedelta(days=1), self.frequency)

    def previous(self) -> Period:
        """The period right before this one."""
        return period_containing(self.start - timedelta(days=1), self.frequency)

    def __str__(self) -> str:
        return self.id


def period_containing(day: date, frequency: Frequency) -> Period:
    """The period of `frequency` that `day` falls in."""
    if frequency is Frequency.QUARTERLY:
        return Period(day.year, (day.month - 1) // 3 + 1, frequency)
    return Period(day.year, day.month, frequency)


def periods_between(first: Period, last: Period) -> Iterator[Period]:
    """Every period from `first` to `last`, both included, in order."""
    period = first
    while period <= last:
        yield period
        period = period.next()
