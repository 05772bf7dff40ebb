"""Payments on a quantity (issue 16, item 4): a price per unit of a measure (per care-day, per
guided learning hour) and a per-person sliding scale on a measure's cumulative total.

Per unit: each day on which a participant's quantities of the measure add up to more than 0 is
an occurrence, paid the unit price in force x that day's units (a negative quantity corrects its
own day; a day that adds up to 0 or less is no occurrence: no_units). `max_units` caps the units
paid per participant, day by day in date order. Scale: one occurrence per participant, dated on
the latest day measured, paid the price x the share the cumulative total earns (0 at or below
`lower`, 1 at or above `upper`, linear between); a total at or below `lower` is no occurrence
(below_scale). Every amount is exact until one half-up rounding to the minor unit.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from contract_specs.model import Metric

Found = tuple[np.ndarray, np.ndarray, np.ndarray]  # (row helps, day claimed, units) per row
MICRO = 10**6  # prices carry at most 6 decimals: a price x MICRO is a whole number


def scaled(value: Decimal, decimals: int) -> int:
    """A quantity in the measure's minor units (x 10**decimals; the checks keep it whole)."""
    return int(value.scaleb(decimals))


def quantity_claims(
    metric: Metric, decimals: int, frame: pd.DataFrame, daily: pd.DataFrame
) -> Found:
    """The claims a per-unit or scale metric makes from its measure's counted rows (`frame`:
    person, day, quantity per row; `daily`: person, day, quantity, running total per day)."""
    if metric.per_unit is not None:
        net = frame.merge(daily, on=["person", "day"], how="left")["quantity_y"].to_numpy()
        day = frame["day"].to_numpy()
        return net > 0, day, net
    assert metric.scale is not None
    last = daily.groupby("person").agg(day=("day", "max"), total=("total", "last"))
    at = last.reindex(frame["person"].to_numpy())
    total = at["total"].to_numpy(dtype=np.int64)
    helps = total > scaled(metric.scale.lower, decimals)
    return helps, at["day"].to_numpy(dtype=np.int64), total


def paid_units(metric: Metric, decimals: int, person: np.ndarray, units: np.ndarray) -> np.ndarray:
    """Per-unit occurrences of one metric in date order per participant: the units paid after
    `max_units` (what the earlier days left of it, never below 0)."""
    if metric.per_unit is None or metric.per_unit.max_units is None:
        return units
    most = scaled(metric.per_unit.max_units, decimals)
    before = pd.Series(units).groupby(person).cumsum().to_numpy() - units
    return np.asarray(np.clip(most - before, 0, units), dtype=np.int64)


def share(metric: Metric, decimals: int, units: np.ndarray) -> tuple[np.ndarray, int]:
    """(numerator, denominator) of what each occurrence earns of its price: units over one unit
    per unit, the scale's share of the way from lower to upper."""
    if metric.per_unit is not None:
        return units, 10**decimals
    assert metric.scale is not None
    lower, upper = scaled(metric.scale.lower, decimals), scaled(metric.scale.upper, decimals)
    return np.clip(units - lower, 0, upper - lower), upper - lower


def half_up_product(
    micro: np.ndarray, numerator: np.ndarray, denominator: int, exponent: int
) -> np.ndarray:
    """round_half_up(price x numerator / denominator) in minor units, where `micro` is the
    price x MICRO: integer arithmetic, in Python integers when int64 could overflow."""
    divisor = denominator * MICRO // 10**exponent
    biggest = int(np.abs(micro).max(initial=0)) * int(np.abs(numerator).max(initial=0))
    if 2 * biggest + divisor < 2**62:
        product = micro.astype(np.int64) * numerator.astype(np.int64)
        return np.asarray((2 * product + divisor) // (2 * divisor), dtype=np.int64)
    wide = micro.astype(object) * numerator.astype(object)
    return np.array((2 * wide + divisor) // (2 * divisor), dtype=np.int64)
