"""The price in force for each occurrence (SEMANTICS 3.5): the cohort's override of the metric's
schedule when it has a price in force that day, else the metric's own; prices are rounded
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
    rule: np.ndarray  # index into `labels`, -1: no tariff in force
    labels: tuple[str, ...]


def prices_of(
    spec: ContractSpec, metric: np.ndarray, day: np.ndarray, cohort: np.ndarray
) -> Prices:
    """Price and tariff entry for each (metric position, day, cohort number)."""
    exponent = spec.contract.exponent
    price = np.zeros(len(metric), dtype=np.int64)
    rule = np.full(len(metric), -1, dtype=np.int64)
    labels: list[str] = []

    def apply(schedule: Schedule[Decimal], rows: np.ndarray, prefix: str) -> None:
        found = in_force(schedule, day[rows])
        minor = np.array([to_minor(e.value, exponent) for e in schedule.entries], dtype=np.int64)
        hit = found >= 0
        price[rows[hit]] = minor[found[hit]]
        rule[rows[hit]] = len(labels) + found[hit]
        labels.extend(
            f"{prefix}tariff {e.value} from {e.from_.isoformat()}" for e in schedule.entries
        )

    for position, item in enumerate(spec.metrics):
        rows = np.flatnonzero(metric == position)
        if rows.size == 0:
            continue
        apply(item.tariff, rows, "")
        for number, cohort_spec in enumerate(spec.cohorts):
            override = cohort_spec.tariffs.get(item.id)
            if override is not None:
                apply(override, rows[cohort[rows] == number], f"{cohort_spec.id} ")
    return Prices(price, rule, tuple(labels))
