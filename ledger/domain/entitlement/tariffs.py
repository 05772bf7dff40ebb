"""The price in force for each occurrence (SEMANTICS 3.5): the cohort's override of the metric's
schedule when it has a price in force that day, else the metric's own; an entry may price by
occurrence number (the n-th price, the last for any later occurrence); prices are rounded
half-up to the currency's minor unit. A day before every entry has no price (0)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from contract_specs.model import ContractSpec, Schedule, to_minor
from ledger.domain.entitlement.schedules import in_force


@dataclass(frozen=True)
class Prices:
    price: np.ndarray  # int64 minor units
    micro: np.ndarray  # int64: the exact price x 10**6 (for prices times a quantity)
    rule: np.ndarray  # index into `labels`, -1: no tariff in force
    labels: tuple[str, ...]


def _table(
    schedule: Schedule[Decimal], by_occurrence: Schedule[tuple[Decimal, ...]] | None
) -> list[tuple[Decimal, ...]]:
    """Each entry's prices by occurrence number, padded with its last to one width."""
    lists: list[tuple[Decimal, ...]] = [(e.value,) for e in schedule.entries]
    if by_occurrence is not None:
        lists = [e.value for e in by_occurrence.entries]
    width = max(len(prices) for prices in lists)
    return [prices + (prices[-1],) * (width - len(prices)) for prices in lists]


def prices_of(
    spec: ContractSpec, metric: np.ndarray, day: np.ndarray, cohort: np.ndarray, n: np.ndarray
) -> Prices:
    """Price and tariff entry for each (metric position, day, cohort number, occurrence n)."""
    exponent = spec.contract.exponent
    price = np.zeros(len(metric), dtype=np.int64)
    micro = np.zeros(len(metric), dtype=np.int64)
    rule = np.full(len(metric), -1, dtype=np.int64)
    labels: list[str] = []

    def apply(
        schedule: Schedule[Decimal],
        by_occurrence: Schedule[tuple[Decimal, ...]] | None,
        rows: np.ndarray,
        prefix: str,
        per: str,
    ) -> None:
        table = _table(schedule, by_occurrence)
        width = len(table[0])
        found = in_force(schedule, day[rows])
        minor = np.array(
            [[to_minor(p, exponent) for p in prices] for prices in table], dtype=np.int64
        )
        exact = np.array([[int(p.scaleb(6)) for p in prices] for prices in table], dtype=np.int64)
        hit = found >= 0
        k = np.minimum(np.maximum(n[rows[hit]], 1), width) - 1
        price[rows[hit]] = minor[found[hit], k]
        micro[rows[hit]] = exact[found[hit], k]
        rule[rows[hit]] = len(labels) + found[hit] * width + k
        for entry, prices in zip(schedule.entries, table, strict=True):
            for number, value in enumerate(prices, start=1):
                which = "" if width == 1 else f" (occurrence {number}{'+' * (number == width)})"
                labels.append(f"{prefix}tariff {value}{per}{which} from {entry.from_.isoformat()}")

    for position, item in enumerate(spec.metrics):
        rows = np.flatnonzero(metric == position)
        if rows.size == 0:
            continue
        per = " per unit" if item.per_unit else " at 100% of the scale" if item.scale else ""
        apply(item.tariff, item.tariff_by_occurrence, rows, "", per)
        for number, cohort_spec in enumerate(spec.cohorts):
            override = cohort_spec.tariffs.get(item.id)
            if override is not None:
                mine = rows[cohort[rows] == number]
                by = cohort_spec.tariffs_by_occurrence.get(item.id)
                apply(override, by, mine, f"{cohort_spec.id} ", per)
    return Prices(price, micro, rule, tuple(labels))
