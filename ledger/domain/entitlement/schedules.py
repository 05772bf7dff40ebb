"""Dated schedules (tariffs, payer shares) looked up for many days at once."""

from __future__ import annotations

from typing import Any

import numpy as np

from contract_specs.model import CohortMetric, ContractSpec, Metric, Schedule
from ledger.domain.entitlement.dates import day_number


def in_force(schedule: Schedule[Any], days: np.ndarray) -> np.ndarray:
    """For each day number, the index of the schedule entry in force, or -1 before the first."""
    starts = np.array([day_number(entry.from_) for entry in schedule.entries], dtype=np.int64)
    return np.searchsorted(starts, days, side="right") - 1


def every_metric(spec: ContractSpec) -> tuple[Metric | CohortMetric, ...]:
    """Individual metrics then cohort-level metrics: the order of `spec.metric_position`."""
    return (*spec.metrics, *spec.cohort_metrics)
