"""Calendar helpers for whole arrays of dates held as int64 day numbers (days since 1970-01-01).

Calendar months come from the engine's own `ledger.domain.entitlement.dates`, so generated dates and
the engine's checks agree on what "3 months after" means; what is here only the generator needs.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ledger.domain.entitlement.dates import add_months

Days = npt.NDArray[np.int64]


def add_years(days: Days, years: npt.NDArray[np.int64]) -> Days:
    """Each date moved by its own number of whole years (29 Feb becomes 28 Feb)."""
    moved = days.copy()
    for count in np.unique(years).tolist():
        chosen = years == count
        moved[chosen] = add_months(days[chosen], 12 * count)
    return moved


def month_number(days: Days) -> npt.NDArray[np.int64]:
    """Months since 1970-01 of each date."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def month_start(months: npt.NDArray[np.int64]) -> Days:
    """The first day of each month numbered from 1970-01."""
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def quarter_start(days: Days) -> Days:
    """The first day of each date's calendar quarter."""
    month = month_number(days)
    return month_start(month - month % 3)


def to_datetime64(days: Days) -> npt.NDArray[np.datetime64]:
    """Day numbers as numpy dates (pandas keeps them as calendar dates)."""
    return days.astype("datetime64[D]")
