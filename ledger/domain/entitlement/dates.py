"""Calendar dates as int64 day numbers (days since 1970-01-01), with vectorised calendar months.

The engine compares and shifts millions of dates, so it works on plain integers; these helpers
follow `contract_specs.model` exactly (31 Jan + 1 month is the last day of February).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from contract_specs.model import Duration

_EPOCH = date(1970, 1, 1)
# Marks a missing date in a day-number array: earlier than any real date.
NO_DAY = np.iinfo(np.int64).min


def day_number(day: date) -> int:
    """A date as days since 1970-01-01."""
    return (day - _EPOCH).days


def from_day_number(number: int) -> date:
    """Days since 1970-01-01 back to a date."""
    return _EPOCH + timedelta(days=int(number))


def day_numbers(values: pd.Series) -> np.ndarray:
    """A datetime64 column as int64 day numbers; missing dates become NO_DAY."""
    days = pd.to_datetime(values).to_numpy(dtype="datetime64[D]")
    numbers = days.astype(np.int64)
    numbers[np.isnat(days)] = NO_DAY
    return np.asarray(numbers)


def add_months(days: np.ndarray, months: int) -> np.ndarray:
    """Calendar months added to each day number, the day of month clipped to the month's end."""
    if months == 0:
        return days
    as_days = days.astype("datetime64[D]")
    month = as_days.astype("datetime64[M]")
    day_of_month = (as_days - month.astype("datetime64[D]")).astype(np.int64)
    target = month + np.timedelta64(months, "M")
    first = target.astype("datetime64[D]")
    length = ((target + np.timedelta64(1, "M")).astype("datetime64[D]") - first).astype(np.int64)
    return np.asarray(first.astype(np.int64) + np.minimum(day_of_month, length - 1))


def after(days: np.ndarray, duration: Duration) -> np.ndarray:
    """`Duration.after` for each day number (months first, then weeks and days)."""
    return add_months(days, duration.months) + duration.days + 7 * duration.weeks


def before(days: np.ndarray, duration: Duration) -> np.ndarray:
    """`Duration.before` for each day number (used for prerequisite gaps)."""
    return add_months(days, -duration.months) - duration.days - 7 * duration.weeks


def _parts(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    as_days = days.astype("datetime64[D]")
    year = as_days.astype("datetime64[Y]").astype(np.int64) + 1970
    month = as_days.astype("datetime64[M]")
    month_day = (month.astype(np.int64) % 12 + 1) * 100 + (
        as_days - month.astype("datetime64[D]")
    ).astype(np.int64)
    return year, month_day


def age_in_years(birth: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Whole years from `birth` to `on` (a birthday not yet reached this year does not count)."""
    birth_year, birth_month_day = _parts(birth)
    on_year, on_month_day = _parts(on)
    return np.asarray(on_year - birth_year - (on_month_day < birth_month_day).astype(np.int64))
